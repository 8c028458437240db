//! The rows around the batch's payments, loaded in rounds (a payment names its payee,
//! its bank link, its bill or quote, its request; a record names its claim): the
//! idempotency records, requests, payments, parties, and bill and quote details.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use ledger::Prepared;

use super::wanted::{sorted, wants_of, Sweep, Wanted};
use crate::bills::inquiries::InquiryRow;
use crate::bills::quotes::QuoteRow;
use crate::bills::records::{bill_claim_key, quote_claim_key, RecordRow};
use crate::citizens::bank_links::BankLinkRow;
use crate::commit::working::{KeyRecord, Party, Rows, Working};
use crate::commit::BatchError;
use crate::merchants::requests::RequestRow;
use crate::merchants::store::MerchantRow;
use crate::payments::model::{PaymentRow, PaymentStatus};
use crate::payments::provider_orders::ProviderOrderRow;
use crate::schema::{
    bank_links, bill_inquiries, identities, insurance_quotes,
    merchant_payment_requests as requests, merchants, payments,
};

#[derive(QueryableByName)]
pub(super) struct KeyRowSql {
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

pub(super) fn load_keys(
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

pub(super) fn add_request(w: &mut Working, wanted: &mut Wanted, r: RequestRow) {
    if let Some(p) = &r.payment_id {
        wanted.payments.insert(p.clone());
    }
    w.requests.loaded(r.id.clone(), r);
}

pub(super) fn load_requests(
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
            // A request claimed by another shard's payment lives on there.
            .filter(requests::claimed_shard.is_null())
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
        .chain(wanted.merchants.iter().cloned())
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

pub(super) fn load_payments(
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

pub(super) fn load_parties(
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
pub(super) fn load_details(
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

pub(super) fn load_records(
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
