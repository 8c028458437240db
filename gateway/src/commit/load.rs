//! Loading a batch's working set: one query per table for all its commands, each
//! `= ANY` a list of keys, in rounds (a payment names its payee, a bill its claim),
//! and the rows that change locked. Every batch has locked the ledger's chain head
//! first, so batches are serialized and their row locks never meet in another order.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use ledger::Prepared;

use super::command::{Command, NewPayment, PayeeRef};
use super::working::{KeyRecord, Party, Rows, Settings, Working};
use super::BatchError;
use crate::bills::inquiries::InquiryRow;
use crate::bills::quotes::QuoteRow;
use crate::bills::records::{bill_claim_key, quote_claim_key, RecordRow};
use crate::citizens::bank_links::BankLinkRow;
use crate::instance::{self, Instance};
use crate::merchants::requests::RequestRow;
use crate::merchants::store::MerchantRow;
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::payments::provider_orders::ProviderOrderRow;
use crate::rules::vietnam_date;
use crate::schema::{
    bank_links, bill_inquiries, identities, identity_usage, insurance_quotes,
    merchant_payment_requests as requests, merchants, payments,
};
use crate::usage::UsageRow;

/// The keys each table is looked up by, gathered from the commands and from rows
/// loaded in earlier rounds.
#[derive(Default)]
struct Wanted {
    keys: HashSet<(String, String)>,
    payments: HashSet<String>,
    requests: HashSet<String>,
    parties: HashSet<String>,
    cccds: HashSet<String>,
    phones: HashSet<String>,
    links: HashSet<String>,
    bills: HashSet<String>,
    quotes: HashSet<String>,
    records: HashSet<(String, String)>,
    orders: HashSet<String>,
    order_refs: HashSet<(String, String)>,
    usage: HashSet<String>,
    devices: HashSet<(String, String)>,
    discrepancies: HashSet<String>,
}

fn sorted<T: Ord + Clone>(set: &HashSet<T>) -> Vec<T> {
    let mut v: Vec<T> = set.iter().cloned().collect();
    v.sort();
    v
}

/// A query's cutoff and row limit.
type Sweep = Option<(DateTime<Utc>, i64)>;

/// What the commands name, and the resumer's and the expiry's sweeps.
fn from_commands(commands: &[Command]) -> (Wanted, Sweep, Sweep) {
    let mut w = Wanted::default();
    let (mut resume, mut expire) = (None, None);
    for c in commands {
        match c {
            Command::Pay {
                key,
                caller,
                payment,
            } => {
                if let Some(device) = &caller.device_id {
                    w.devices
                        .insert((caller.identity_id.clone(), device.clone()));
                }
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.usage.insert(caller.identity_id.clone());
                w.parties.insert(caller.identity_id.clone());
                match payment {
                    NewPayment::ToCitizen { payee, .. } => match payee {
                        PayeeRef::Cccd(c) => {
                            w.cccds.insert(c.clone());
                        }
                        PayeeRef::Phone(p) => {
                            w.phones.insert(p.clone());
                        }
                    },
                    NewPayment::Withdrawal { bank_link_id, .. }
                    | NewPayment::BankTopup { bank_link_id, .. } => {
                        w.links.insert(bank_link_id.clone());
                    }
                    NewPayment::Bill { bill_id } => {
                        w.bills.insert(bill_id.clone());
                    }
                    NewPayment::Insurance { quote_id } => {
                        w.quotes.insert(quote_id.clone());
                    }
                    NewPayment::Merchant { request_id, .. } => {
                        w.requests.insert(request_id.clone());
                    }
                    NewPayment::ToBankAccount { .. } | NewPayment::ProviderTopup { .. } => {}
                }
            }
            Command::Confirm {
                key,
                caller,
                payment_id,
                ..
            } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.usage.insert(caller.identity_id.clone());
                w.parties.insert(caller.identity_id.clone());
                w.payments.insert(payment_id.clone());
            }
            Command::Settle {
                payment_id, key, ..
            } => {
                w.payments.insert(payment_id.clone());
                if let Some(k) = key {
                    w.keys.insert((k.scope.clone(), k.key.clone()));
                }
            }
            Command::Resume { before, limit } => resume = Some((*before, *limit)),
            Command::ProviderCallback(result) => {
                w.order_refs.insert((
                    result.provider.as_str().to_string(),
                    result.reference.clone(),
                ));
            }
            Command::CreateRequest { key, .. } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
            }
            Command::Capture {
                key, request_id, ..
            }
            | Command::Void {
                key, request_id, ..
            }
            | Command::Refund {
                key, request_id, ..
            } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.requests.insert(request_id.clone());
            }
            Command::ExpireRequests { before, limit } => expire = Some((*before, *limit)),
            Command::Resolve { key, request } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.discrepancies.insert(request.discrepancy.id.clone());
                if let Some(id) = &request.discrepancy.payment_id {
                    w.payments.insert(id.clone());
                }
            }
        }
    }
    (w, resume, expire)
}

fn load_keys(
    conn: &mut PgConnection,
    wanted: &HashSet<(String, String)>,
    into: &mut Rows<(String, String), KeyRecord>,
) -> Result<(), BatchError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let (scopes, keys): (Vec<String>, Vec<String>) = sorted(wanted).into_iter().unzip();
    let rows = Prepared::new(
        "SELECT k.principal, k.key, k.request_hash, k.fingerprint_version, k.resource_id, \
         k.response_status, k.response_body, k.created_at \
         FROM idempotency_keys k JOIN unnest($1::text[], $2::text[]) AS w(principal, key) \
         ON k.principal = w.principal AND k.key = w.key",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(scopes)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
    .load::<KeyRowSql>(conn)?;
    for r in rows {
        into.loaded(
            (r.principal.clone(), r.key.clone()),
            KeyRecord {
                scope: r.principal,
                key: r.key,
                fingerprint: r.request_hash,
                fingerprint_version: r.fingerprint_version,
                resource_id: r.resource_id,
                response: r.response_status.zip(r.response_body),
                created_at: r.created_at,
            },
        );
    }
    Ok(())
}

#[derive(QueryableByName)]
struct KeyRowSql {
    #[diesel(sql_type = diesel::sql_types::Text)]
    principal: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    request_hash: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    fingerprint_version: i16,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    resource_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    response_status: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    response_body: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
}

fn add_request(w: &mut Working, wanted: &mut Wanted, r: RequestRow) {
    if let Some(p) = &r.payment_id {
        wanted.payments.insert(p.clone());
    }
    w.requests.loaded(r.id.clone(), r);
}

fn load_requests(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &mut Wanted,
    expire: Sweep,
) -> Result<(), BatchError> {
    let ids: Vec<String> = sorted(&wanted.requests)
        .into_iter()
        .filter(|id| !w.requests.contains(id))
        .collect();
    if !ids.is_empty() {
        let rows = requests::table
            .filter(requests::id.eq_any(&ids))
            .order(requests::id)
            .for_update()
            .select(RequestRow::as_select())
            .load(conn)?;
        for r in rows {
            add_request(w, wanted, r);
        }
    }
    if let Some((before, limit)) = expire {
        let due = requests::table
            .filter(requests::expires_at.le(before))
            .filter(requests::status.eq_any(["open", "authorized"]))
            .order(requests::expires_at)
            .limit(limit)
            .for_update()
            .skip_locked()
            .select(RequestRow::as_select())
            .load(conn)?;
        for r in due {
            add_request(w, wanted, r);
        }
    }
    let merchant_ids: Vec<String> = w
        .requests
        .values()
        .map(|r| r.merchant_id.clone())
        .filter(|m| !w.merchants.contains_key(m))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !merchant_ids.is_empty() {
        for m in merchants::table
            .filter(merchants::id.eq_any(&merchant_ids))
            .select(MerchantRow::as_select())
            .load(conn)?
        {
            w.merchants.insert(m.id.clone(), m);
        }
    }
    Ok(())
}

/// What a loaded payment needs besides itself: its payee, link, bill record,
/// provider order, merchant request, and its citizen's counters.
fn wants_of(p: &PaymentRow, wanted: &mut Wanted) {
    wanted.usage.insert(p.identity_id.clone());
    wanted.parties.insert(p.identity_id.clone());
    if let Some(payee) = &p.payee_identity_id {
        wanted.parties.insert(payee.clone());
    }
    if let Some(link) = &p.bank_link_id {
        wanted.links.insert(link.clone());
    }
    if let Some(request) = &p.payment_request_id {
        wanted.requests.insert(request.clone());
    }
    match p.kind() {
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            wanted
                .records
                .insert((p.identity_id.clone(), p.idempotency_key.clone()));
        }
        Some(PaymentKind::Topup) if p.bank_link_id.is_none() => {
            wanted.orders.insert(p.id.clone());
        }
        _ => {}
    }
}

fn load_payments(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &mut Wanted,
    resume: Sweep,
) -> Result<(), BatchError> {
    let ids: Vec<String> = sorted(&wanted.payments)
        .into_iter()
        .filter(|id| !w.payments.contains(id))
        .collect();
    let mut loaded = Vec::new();
    if !ids.is_empty() {
        loaded.extend(
            payments::table
                .filter(payments::id.eq_any(&ids))
                .order(payments::id)
                .for_update()
                .select(PaymentRow::as_select())
                .load(conn)?,
        );
    }
    if let Some((before, limit)) = resume {
        loaded.extend(
            payments::table
                .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
                .filter(payments::updated_at.lt(before))
                .order(payments::updated_at)
                .limit(limit)
                .for_update()
                .skip_locked()
                .select(PaymentRow::as_select())
                .load(conn)?,
        );
    }
    for p in loaded {
        wants_of(&p, wanted);
        w.payments.loaded(p.id.clone(), p);
    }
    Ok(())
}

fn load_parties(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &Wanted,
) -> Result<(), BatchError> {
    let ids: Vec<String> = sorted(&wanted.parties)
        .into_iter()
        .filter(|id| !w.parties.contains_key(id))
        .collect();
    let cccds = sorted(&wanted.cccds);
    let phones = sorted(&wanted.phones);
    if ids.is_empty() && cccds.is_empty() && phones.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, String, String, String, i16, String)> = identities::table
        .filter(
            identities::id
                .eq_any(&ids)
                .or(identities::cccd.eq_any(&cccds))
                .or(identities::phone.eq_any(&phones)),
        )
        .select((
            identities::id,
            identities::cccd,
            identities::full_name,
            identities::phone,
            identities::vneid_level,
            identities::wallet_account_id,
        ))
        .load(conn)?;
    for (id, cccd, full_name, phone, vneid_level, wallet) in rows {
        let wallet = crate::ids::decode("account", crate::ids::ACCOUNT, &wallet)
            .map_err(|_| BatchError::Broken(format!("identity {id} has a malformed wallet id")))?;
        if wanted.cccds.contains(&cccd) {
            w.by_cccd.insert(cccd.clone(), id.clone());
        }
        if wanted.phones.contains(&phone) {
            let ids = w.by_phone.entry(phone).or_default();
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
        }
        w.parties.insert(
            id.clone(),
            Party {
                cccd,
                full_name,
                vneid_level,
                wallet,
            },
        );
    }
    Ok(())
}

/// Links, bills and provider orders wanted so far (each asked for once).
fn load_details(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &mut Wanted,
) -> Result<(), BatchError> {
    let links = std::mem::take(&mut wanted.links);
    let bills = std::mem::take(&mut wanted.bills);
    let orders = std::mem::take(&mut wanted.orders);
    let order_refs = std::mem::take(&mut wanted.order_refs);
    if !links.is_empty() {
        for l in bank_links::table
            .filter(bank_links::id.eq_any(sorted(&links)))
            .select(BankLinkRow::as_select())
            .load(conn)?
        {
            w.links.insert(l.id.clone(), l);
        }
    }
    if !bills.is_empty() {
        for b in bill_inquiries::table
            .filter(bill_inquiries::id.eq_any(sorted(&bills)))
            .select(InquiryRow::as_select())
            .load(conn)?
        {
            w.bills.insert(b.id.clone(), b);
        }
    }
    let orders: HashSet<String> = orders
        .into_iter()
        .filter(|o| !w.orders.contains(o))
        .collect();
    if !orders.is_empty() || !order_refs.is_empty() {
        let (providers, refs): (Vec<String>, Vec<String>) = sorted(&order_refs).into_iter().unzip();
        let rows: Vec<ProviderOrderRow> = Prepared::new(
            "SELECT * FROM provider_orders WHERE payment_id = ANY($1) \
             OR (provider, provider_reference) IN (SELECT * FROM unnest($2::text[], $3::text[])) \
             ORDER BY payment_id FOR UPDATE",
        )
        .bind::<Array<Text>, _>(sorted(&orders))
        .bind::<Array<Text>, _>(providers)
        .bind::<Array<Text>, _>(refs)
        .load(conn)?;
        for o in rows {
            w.orders.loaded(o.payment_id.clone(), o);
        }
    }
    Ok(())
}

fn load_records(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &mut Wanted,
) -> Result<(), BatchError> {
    // The bills and quotes a record names, and the claims on every bill or quote in
    // play: a record by its payment's key, or by the claim it holds.
    let mut claim_keys: HashSet<String> = HashSet::new();
    for b in w.bills.values() {
        claim_keys.insert(bill_claim_key(&b.biller_code, &b.bill_ref));
    }
    if !wanted.quotes.is_empty() {
        for q in insurance_quotes::table
            .filter(insurance_quotes::id.eq_any(sorted(&wanted.quotes)))
            .select(QuoteRow::as_select())
            .load(conn)?
        {
            w.quotes.insert(q.id.clone(), q);
        }
    }
    for q in w.quotes.values() {
        claim_keys.insert(quote_claim_key(&q.id));
    }
    if wanted.records.is_empty() && claim_keys.is_empty() {
        return Ok(());
    }
    let (owners, keys): (Vec<String>, Vec<String>) = sorted(&wanted.records).into_iter().unzip();
    let claims: Vec<String> = claim_keys.into_iter().collect();
    let records: Vec<RecordRow> = Prepared::new(
        "SELECT * FROM biller_payments WHERE (claimed AND claim_key = ANY($1)) \
         OR (identity_id, idempotency_key) IN (SELECT * FROM unnest($2::text[], $3::text[])) \
         ORDER BY identity_id, idempotency_key FOR UPDATE",
    )
    .bind::<Array<Text>, _>(claims)
    .bind::<Array<Text>, _>(owners)
    .bind::<Array<Text>, _>(keys)
    .load(conn)?;
    let mut more_bills = HashSet::new();
    let mut more_quotes = HashSet::new();
    for r in records {
        let id = (r.identity_id.clone(), r.idempotency_key.clone());
        if r.claimed {
            w.claims.insert(r.claim_key.clone(), id.clone());
        }
        if let Some(b) = r.bill_id.as_ref().filter(|b| !w.bills.contains_key(*b)) {
            more_bills.insert(b.clone());
        }
        if let Some(q) = r.quote_id.as_ref().filter(|q| !w.quotes.contains_key(*q)) {
            more_quotes.insert(q.clone());
        }
        w.records.loaded(id, r);
    }
    if !more_bills.is_empty() {
        for b in bill_inquiries::table
            .filter(bill_inquiries::id.eq_any(sorted(&more_bills)))
            .select(InquiryRow::as_select())
            .load(conn)?
        {
            w.bills.insert(b.id.clone(), b);
        }
    }
    if !more_quotes.is_empty() {
        for q in insurance_quotes::table
            .filter(insurance_quotes::id.eq_any(sorted(&more_quotes)))
            .select(QuoteRow::as_select())
            .load(conn)?
        {
            w.quotes.insert(q.id.clone(), q);
        }
    }
    Ok(())
}

fn load_usage(conn: &mut PgConnection, w: &mut Working, wanted: &Wanted) -> Result<(), BatchError> {
    if wanted.usage.is_empty() {
        return Ok(());
    }
    let ids = sorted(&wanted.usage);
    let rows: Vec<(String, chrono::NaiveDate, i64, chrono::NaiveDate, i64, i64)> =
        identity_usage::table
            .filter(identity_usage::identity_id.eq_any(&ids))
            .order(identity_usage::identity_id)
            .for_no_key_update()
            .select((
                identity_usage::identity_id,
                identity_usage::day,
                identity_usage::day_total,
                identity_usage::month,
                identity_usage::month_general,
                identity_usage::month_essential,
            ))
            .load(conn)?;
    for (identity_id, day, day_total, month, month_general, month_essential) in rows {
        w.usage.loaded(
            identity_id.clone(),
            UsageRow {
                identity_id,
                day,
                day_total,
                month,
                month_general,
                month_essential,
            },
        );
    }
    // A citizen from before the counters existed: start theirs now.
    for id in ids {
        if !w.usage.contains(&id) && w.parties.contains_key(&id) {
            w.usage.insert(id.clone(), UsageRow::empty(&id, w.today));
        }
    }
    Ok(())
}

fn load_devices(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &Wanted,
) -> Result<(), BatchError> {
    if wanted.devices.is_empty() {
        return Ok(());
    }
    let (owners, devices): (Vec<String>, Vec<String>) = sorted(&wanted.devices).into_iter().unzip();
    #[derive(QueryableByName)]
    struct Known {
        #[diesel(sql_type = Text)]
        identity_id: String,
        #[diesel(sql_type = Text)]
        device_id: String,
    }
    let known: Vec<Known> = Prepared::new(
        "SELECT d.identity_id, d.device_id FROM citizen_devices d \
         JOIN unnest($1::text[], $2::text[]) AS w(identity_id, device_id) \
         ON d.identity_id = w.identity_id AND d.device_id = w.device_id",
    )
    .bind::<Array<Text>, _>(owners)
    .bind::<Array<Text>, _>(devices)
    .load(conn)?;
    w.devices
        .extend(known.into_iter().map(|k| (k.identity_id, k.device_id)));
    Ok(())
}

fn load_resolved(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &Wanted,
) -> Result<(), BatchError> {
    if wanted.discrepancies.is_empty() {
        return Ok(());
    }
    #[derive(QueryableByName)]
    struct Resolved {
        #[diesel(sql_type = Text)]
        discrepancy_id: String,
    }
    let resolved: Vec<Resolved> = Prepared::new(
        "SELECT discrepancy_id FROM reconciliation_resolutions WHERE discrepancy_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(sorted(&wanted.discrepancies))
    .load(conn)?;
    w.resolved
        .extend(resolved.into_iter().map(|r| r.discrepancy_id));
    Ok(())
}

/// Loads what `commands` may read. The chain head is already locked.
pub fn working_set(
    conn: &mut PgConnection,
    commands: &[Command],
    instance: &Arc<Instance>,
    settings: &Arc<Settings>,
) -> Result<Working, BatchError> {
    let now = Utc::now();
    let (mut wanted, resume, expire) = from_commands(commands);
    let mut w = Working {
        now,
        today: vietnam_date(now),
        settings: Arc::clone(settings),
        instance: Arc::clone(instance),
        live: HashSet::new(),
        keys: Rows::default(),
        payments: Rows::default(),
        parties: Default::default(),
        by_cccd: Default::default(),
        by_phone: Default::default(),
        links: Default::default(),
        bills: Default::default(),
        quotes: Default::default(),
        records: Rows::default(),
        claims: Default::default(),
        requests: Rows::default(),
        merchants: Default::default(),
        orders: Rows::default(),
        usage: Rows::default(),
        devices: HashSet::new(),
        new_devices: Vec::new(),
        resolved: HashSet::new(),
        resolutions: Vec::new(),
        refunds: Vec::new(),
        revenue: Default::default(),
        events: Vec::new(),
    };
    load_keys(conn, &wanted.keys, &mut w.keys)?;
    for k in w.keys.values() {
        if let Some(resource) = k.resource_id.as_ref().filter(|_| k.response.is_none()) {
            if resource.starts_with("pay_") {
                wanted.payments.insert(resource.clone());
            }
        }
    }
    load_details(conn, &mut w, &mut wanted)?;
    let order_payments: Vec<String> = w.orders.values().map(|o| o.payment_id.clone()).collect();
    wanted.payments.extend(order_payments);
    load_requests(conn, &mut w, &mut wanted, expire)?;
    load_payments(conn, &mut w, &mut wanted, resume)?;
    // Requests and orders named by the payments just loaded.
    load_requests(conn, &mut w, &mut wanted, None)?;
    load_details(conn, &mut w, &mut wanted)?;
    load_parties(conn, &mut w, &wanted)?;
    load_records(conn, &mut w, &mut wanted)?;
    load_usage(conn, &mut w, &wanted)?;
    load_devices(conn, &mut w, &wanted)?;
    load_resolved(conn, &mut w, &wanted)?;
    if w.payments.values().any(|p| p.driver.is_some()) {
        w.live = instance::live(conn).map_err(|e| BatchError::Broken(e.to_string()))?;
    }
    Ok(w)
}
