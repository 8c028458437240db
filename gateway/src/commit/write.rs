//! Writing a batch's changes: per table, one INSERT from `unnest` for new rows and one
//! UPDATE from `unnest` for changed ones (fixed text, so each stays prepared on the
//! connection), in an order that satisfies the foreign keys (payments before the
//! requests and records that name them). The ledger writes last.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Binary, Bool, Date, Integer, Jsonb, Nullable, SmallInt, Text, Timestamptz,
    Uuid as SqlUuid,
};
use ledger::{Prepared, TransferBatch};

use super::working::Working;
use super::BatchError;
use crate::bills::records::RecordRow;
use crate::payments::model::PaymentRow;
use crate::schema::{
    biller_payments, identity_usage, merchant_payment_requests as requests, merchant_refunds,
    provider_orders,
};

/// Rows per multi-row INSERT: PostgreSQL takes at most 65,535 parameters.
const ROWS_PER_INSERT: usize = 2_000;

/// The writes of every payment in one statement (one round trip): the idempotency
/// records, new and changed payments, and the citizens' running totals. Each part is an
/// `unnest` of its own arrays; empty ones write nothing.
fn payments(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let keys: Vec<_> = w.keys.new_rows().chain(w.keys.changed_rows()).collect();
    let new: Vec<_> = w.payments.new_rows().collect();
    let changed: Vec<_> = w.payments.changed_rows().collect();
    let usage: Vec<_> = w.usage.changed_rows().collect();
    if keys.is_empty() && new.is_empty() && changed.is_empty() && usage.is_empty() {
        return Ok(());
    }
    let now = w.now;
    let text = |f: fn(&PaymentRow) -> &String| new.iter().map(|p| f(p).clone()).collect::<Vec<_>>();
    let maybe = |f: fn(&PaymentRow) -> &Option<String>| {
        new.iter().map(|p| f(p).clone()).collect::<Vec<_>>()
    };
    Prepared::new(
        "WITH keys AS (INSERT INTO idempotency_keys (principal, key, request_hash, \
         fingerprint_version, resource_id, response_status, response_body, created_at, \
         completed_at) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::smallint[], $5::text[], \
         $6::integer[], $7::text[], $8::timestamptz[], $9::timestamptz[]) \
         ON CONFLICT (principal, key) DO UPDATE SET resource_id = EXCLUDED.resource_id, \
         response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, \
         completed_at = EXCLUDED.completed_at), \
         made AS (INSERT INTO payments (id, identity_id, idempotency_key, kind, amount, fee, \
         status, failure_code, bank_link_id, payee_identity_id, payee_bank_bin, payee_account, \
         note, created_at, updated_at, settled_amount, history, driver, payment_request_id, cap) \
         SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], \
         $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], \
         $21::text[], $22::text[], $23::timestamptz[], $24::timestamptz[], $25::bigint[], \
         $26::jsonb[], $27::uuid[], $28::text[], $29::text[])), \
         moved AS (UPDATE payments p SET status = v.status, failure_code = v.failure_code, \
         settled_amount = v.settled_amount, history = v.history, driver = v.driver, \
         updated_at = v.updated_at \
         FROM unnest($30::text[], $31::text[], $32::text[], $33::bigint[], $34::jsonb[], \
         $35::uuid[], $36::timestamptz[]) \
         AS v(id, status, failure_code, settled_amount, history, driver, updated_at) \
         WHERE p.id = v.id) \
         UPDATE identity_usage u SET day = v.day, day_total = v.day_total, month = v.month, \
         month_general = v.month_general, month_essential = v.month_essential \
         FROM unnest($37::text[], $38::date[], $39::bigint[], $40::date[], $41::bigint[], \
         $42::bigint[]) AS v(identity_id, day, day_total, month, month_general, month_essential) \
         WHERE u.identity_id = v.identity_id",
    )
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.scope.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.key.clone()).collect::<Vec<_>>())
    .bind::<Array<Binary>, _>(
        keys.iter()
            .map(|k| k.fingerprint.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SmallInt>, _>(
        keys.iter()
            .map(|k| k.fingerprint_version)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        keys.iter()
            .map(|k| k.resource_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Integer>>, _>(
        keys.iter()
            .map(|k| k.response.as_ref().map(|r| r.0))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        keys.iter()
            .map(|k| k.response.as_ref().map(|r| r.1.clone()))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(keys.iter().map(|k| k.created_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        keys.iter()
            .map(|k| k.response.as_ref().map(|_| now))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(text(|p| &p.id))
    .bind::<Array<Text>, _>(text(|p| &p.identity_id))
    .bind::<Array<Text>, _>(text(|p| &p.idempotency_key))
    .bind::<Array<Text>, _>(text(|p| &p.kind))
    .bind::<Array<BigInt>, _>(new.iter().map(|p| p.amount).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(new.iter().map(|p| p.fee).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(text(|p| &p.status))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.failure_code))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.bank_link_id))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.payee_identity_id))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.payee_bank_bin))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.payee_account))
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.note))
    .bind::<Array<Timestamptz>, _>(new.iter().map(|p| p.created_at).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(new.iter().map(|p| p.updated_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(new.iter().map(|p| p.settled_amount).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(new.iter().map(|p| p.history.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(new.iter().map(|p| p.driver).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(maybe(|p| &p.payment_request_id))
    .bind::<Array<Text>, _>(text(|p| &p.cap))
    .bind::<Array<Text>, _>(changed.iter().map(|p| p.id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|p| p.status.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        changed
            .iter()
            .map(|p| p.failure_code.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<BigInt>>, _>(
        changed.iter().map(|p| p.settled_amount).collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(
        changed
            .iter()
            .map(|p| p.history.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<SqlUuid>>, _>(changed.iter().map(|p| p.driver).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(changed.iter().map(|p| p.updated_at).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        usage
            .iter()
            .map(|u| u.identity_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Date>, _>(usage.iter().map(|u| u.day).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(usage.iter().map(|u| u.day_total).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(usage.iter().map(|u| u.month).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(usage.iter().map(|u| u.month_general).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(usage.iter().map(|u| u.month_essential).collect::<Vec<_>>())
    .execute(conn)?;
    Ok(())
}

/// Counters for citizens from before the counters existed.
fn new_usage(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let new: Vec<_> = w
        .usage
        .new_rows()
        .map(|u| {
            (
                identity_usage::identity_id.eq(&u.identity_id),
                identity_usage::day.eq(u.day),
                identity_usage::day_total.eq(u.day_total),
                identity_usage::month.eq(u.month),
                identity_usage::month_general.eq(u.month_general),
                identity_usage::month_essential.eq(u.month_essential),
            )
        })
        .collect();
    if !new.is_empty() {
        diesel::insert_into(identity_usage::table)
            .values(&new)
            .execute(conn)?;
    }
    Ok(())
}

fn records(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let new: Vec<_> = w.records.new_rows().cloned().collect();
    if !new.is_empty() {
        diesel::insert_into(biller_payments::table)
            .values(&new)
            .execute(conn)?;
    }
    let changed: Vec<_> = w.records.changed_rows().collect();
    if changed.is_empty() {
        return Ok(());
    }
    // Releases before claims, so the one-claim index never sees two at once.
    update_records(conn, &changed, RELEASE_RECORDS)?;
    update_records(conn, &changed, CLAIM_RECORDS)
}

/// One statement for both, but for which records it selects (prepared statements
/// want static text).
macro_rules! record_update {
    () => {
        "UPDATE biller_payments b SET claimed = v.claimed, payment_id = v.payment_id, \
         biller_transaction_id = v.biller_transaction_id, confirmed_at = v.confirmed_at \
         FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::text[], \
         $6::timestamptz[]) \
         AS v(identity_id, idempotency_key, claimed, payment_id, biller_transaction_id, confirmed_at) \
         WHERE b.identity_id = v.identity_id AND b.idempotency_key = v.idempotency_key"
    };
}
const RELEASE_RECORDS: &str = concat!(record_update!(), " AND NOT v.claimed");
const CLAIM_RECORDS: &str = concat!(record_update!(), " AND v.claimed");

/// Writes the changed biller records that `sql` selects (the released or the claimed).
fn update_records(
    conn: &mut PgConnection,
    changed: &[&RecordRow],
    sql: &'static str,
) -> Result<(), BatchError> {
    Prepared::new(sql)
        .bind::<Array<Text>, _>(
            changed
                .iter()
                .map(|r| r.identity_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            changed
                .iter()
                .map(|r| r.idempotency_key.clone())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Bool>, _>(changed.iter().map(|r| r.claimed).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(
            changed
                .iter()
                .map(|r| r.payment_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Text>>, _>(
            changed
                .iter()
                .map(|r| r.biller_transaction_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Timestamptz>>, _>(
            changed.iter().map(|r| r.confirmed_at).collect::<Vec<_>>(),
        )
        .execute(conn)?;
    Ok(())
}

fn orders(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let new: Vec<_> = w.orders.new_rows().cloned().collect();
    if !new.is_empty() {
        diesel::insert_into(provider_orders::table)
            .values(&new)
            .execute(conn)?;
    }
    for o in w.orders.changed_rows() {
        diesel::update(provider_orders::table.find(&o.payment_id))
            .set((
                provider_orders::provider_reference.eq(&o.provider_reference),
                provider_orders::redirect_url.eq(&o.redirect_url),
                provider_orders::created_at.eq(o.created_at),
                provider_orders::recorded_at.eq(o.recorded_at),
                provider_orders::provider_transaction_id.eq(&o.provider_transaction_id),
                provider_orders::result_code.eq(&o.result_code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn requests(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let new: Vec<_> = w.requests.new_rows().cloned().collect();
    for chunk in new.chunks(ROWS_PER_INSERT / 2) {
        diesel::insert_into(requests::table)
            .values(chunk)
            .execute(conn)?;
    }
    let changed: Vec<_> = w.requests.changed_rows().collect();
    if changed.is_empty() {
        return Ok(());
    }
    Prepared::new(
        "UPDATE merchant_payment_requests r SET status = v.status, payment_id = v.payment_id, \
         captured_amount = v.captured_amount, refunded_amount = v.refunded_amount, \
         updated_at = v.updated_at \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], \
         $6::timestamptz[]) \
         AS v(id, status, payment_id, captured_amount, refunded_amount, updated_at) \
         WHERE r.id = v.id",
    )
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.status.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        changed
            .iter()
            .map(|r| r.payment_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        changed
            .iter()
            .map(|r| r.captured_amount)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        changed
            .iter()
            .map(|r| r.refunded_amount)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(changed.iter().map(|r| r.updated_at).collect::<Vec<_>>())
    .execute(conn)?;
    Ok(())
}

/// Writes everything the batch changed; the caller commits.
/// The audit records of resolutions, and their differences marked resolved.
fn resolutions(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    use crate::schema::{reconciliation_discrepancies as d, reconciliation_resolutions as r};
    if w.resolutions.is_empty() {
        return Ok(());
    }
    diesel::insert_into(r::table)
        .values(&w.resolutions)
        .execute(conn)?;
    let ids: Vec<&str> = w
        .resolutions
        .iter()
        .map(|x| x.discrepancy_id.as_str())
        .collect();
    diesel::update(d::table.filter(d::id.eq_any(ids)))
        .set(d::resolved_at.eq(w.now))
        .execute(conn)?;
    Ok(())
}

/// Adds the batch's captures and refunds to the merchants' monthly totals.
fn revenue(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    if w.revenue.is_empty() {
        return Ok(());
    }
    let (mut ids, mut months, mut gross, mut refunds, mut receipts, mut refund_counts) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((merchant, month), d) in w.revenue.iter() {
        ids.push(merchant.clone());
        months.push(*month);
        gross.push(d.gross);
        refunds.push(d.refunds);
        receipts.push(d.receipts);
        refund_counts.push(d.refund_count);
    }
    Prepared::new(
        "INSERT INTO merchant_revenue AS m (merchant_id, month, gross, refunds, receipts, refund_count) \
         SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::int[], $6::int[]) \
         ON CONFLICT (merchant_id, month) DO UPDATE SET gross = m.gross + excluded.gross, \
         refunds = m.refunds + excluded.refunds, receipts = m.receipts + excluded.receipts, \
         refund_count = m.refund_count + excluded.refund_count",
    )
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<diesel::sql_types::Date>, _>(months)
    .bind::<Array<BigInt>, _>(gross)
    .bind::<Array<BigInt>, _>(refunds)
    .bind::<Array<diesel::sql_types::Integer>, _>(receipts)
    .bind::<Array<diesel::sql_types::Integer>, _>(refund_counts)
    .execute(conn)?;
    Ok(())
}

pub fn all(conn: &mut PgConnection, w: &Working, ledger: TransferBatch) -> Result<(), BatchError> {
    new_usage(conn, w)?;
    payments(conn, w)?;
    records(conn, w)?;
    orders(conn, w)?;
    requests(conn, w)?;
    if !w.new_devices.is_empty() {
        let (owners, devices): (Vec<String>, Vec<String>) = w.new_devices.iter().cloned().unzip();
        Prepared::new(
            "INSERT INTO citizen_devices (identity_id, device_id, first_used_at) \
             SELECT v.i, v.d, t.at FROM unnest($1::text[], $2::text[]) AS v(i, d) \
             CROSS JOIN (SELECT $3::timestamptz AS at) AS t \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Array<Text>, _>(owners)
        .bind::<Array<Text>, _>(devices)
        .bind::<Timestamptz, _>(w.now)
        .execute(conn)?;
    }
    revenue(conn, w)?;
    resolutions(conn, w)?;
    if !w.refunds.is_empty() {
        diesel::insert_into(merchant_refunds::table)
            .values(&w.refunds)
            .execute(conn)?;
    }
    crate::merchants::webhooks::insert(conn, &w.events)
        .map_err(|e| BatchError::Broken(e.to_string()))?;
    ledger.write(conn)?;
    Ok(())
}
