//! Writing a batch's changes: per table, one multi-row INSERT for new rows and one
//! UPDATE from `unnest` for changed ones, in an order that satisfies the foreign keys
//! (payments before the requests and records that name them). The ledger writes last.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel::upsert::excluded;
use ledger::TransferBatch;

use super::working::Working;
use super::BatchError;
use crate::schema::{
    biller_payments, idempotency_keys, identity_usage, merchant_payment_requests as requests,
    merchant_refunds, payments, provider_orders,
};

/// Rows per multi-row INSERT: PostgreSQL takes at most 65,535 parameters.
const ROWS_PER_INSERT: usize = 2_000;

fn keys(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let rows: Vec<_> = w
        .keys
        .new_rows()
        .chain(w.keys.changed_rows())
        .map(|k| {
            (
                idempotency_keys::principal.eq(&k.scope),
                idempotency_keys::key.eq(&k.key),
                idempotency_keys::request_hash.eq(&k.fingerprint),
                idempotency_keys::fingerprint_version.eq(k.fingerprint_version),
                idempotency_keys::resource_id.eq(&k.resource_id),
                idempotency_keys::response_status.eq(k.response.as_ref().map(|r| r.0)),
                idempotency_keys::response_body.eq(k.response.as_ref().map(|r| &r.1)),
                idempotency_keys::created_at.eq(k.created_at),
                idempotency_keys::completed_at.eq(k.response.as_ref().map(|_| w.now)),
            )
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        diesel::insert_into(idempotency_keys::table)
            .values(chunk)
            .on_conflict((idempotency_keys::principal, idempotency_keys::key))
            .do_update()
            .set((
                idempotency_keys::resource_id.eq(excluded(idempotency_keys::resource_id)),
                idempotency_keys::response_status.eq(excluded(idempotency_keys::response_status)),
                idempotency_keys::response_body.eq(excluded(idempotency_keys::response_body)),
                idempotency_keys::completed_at.eq(excluded(idempotency_keys::completed_at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn payments(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
    let new: Vec<_> = w.payments.new_rows().collect();
    for chunk in new.chunks(ROWS_PER_INSERT / 2) {
        let rows: Vec<_> = chunk.iter().map(|p| (*p).clone()).collect();
        diesel::insert_into(payments::table)
            .values(&rows)
            .execute(conn)?;
    }
    let changed: Vec<_> = w.payments.changed_rows().collect();
    if changed.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE payments p SET status = v.status, failure_code = v.failure_code, \
         settled_amount = v.settled_amount, history = v.history, driver = v.driver, \
         updated_at = v.updated_at \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[], \
         $6::uuid[], $7::timestamptz[]) \
         AS v(id, status, failure_code, settled_amount, history, driver, updated_at) \
         WHERE p.id = v.id",
    )
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
    .execute(conn)?;
    Ok(())
}

fn usage(conn: &mut PgConnection, w: &Working) -> Result<(), BatchError> {
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
    let changed: Vec<_> = w.usage.changed_rows().collect();
    if changed.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE identity_usage u SET day = v.day, day_total = v.day_total, month = v.month, \
         month_general = v.month_general, month_essential = v.month_essential \
         FROM unnest($1::text[], $2::date[], $3::bigint[], $4::date[], $5::bigint[], \
         $6::bigint[]) AS v(identity_id, day, day_total, month, month_general, month_essential) \
         WHERE u.identity_id = v.identity_id",
    )
    .bind::<Array<Text>, _>(
        changed
            .iter()
            .map(|u| u.identity_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Date>, _>(changed.iter().map(|u| u.day).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(changed.iter().map(|u| u.day_total).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(changed.iter().map(|u| u.month).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(changed.iter().map(|u| u.month_general).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(
        changed
            .iter()
            .map(|u| u.month_essential)
            .collect::<Vec<_>>(),
    )
    .execute(conn)?;
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
    diesel::sql_query(
        "UPDATE biller_payments b SET claimed = v.claimed, payment_id = v.payment_id, \
         biller_transaction_id = v.biller_transaction_id, confirmed_at = v.confirmed_at \
         FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::text[], \
         $6::timestamptz[]) \
         AS v(identity_id, idempotency_key, claimed, payment_id, biller_transaction_id, confirmed_at) \
         WHERE b.identity_id = v.identity_id AND b.idempotency_key = v.idempotency_key \
         AND NOT v.claimed",
    )
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.identity_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.idempotency_key.clone()).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(changed.iter().map(|r| r.claimed).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(changed.iter().map(|r| r.payment_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        changed
            .iter()
            .map(|r| r.biller_transaction_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(changed.iter().map(|r| r.confirmed_at).collect::<Vec<_>>())
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE biller_payments b SET claimed = v.claimed, payment_id = v.payment_id, \
         biller_transaction_id = v.biller_transaction_id, confirmed_at = v.confirmed_at \
         FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::text[], \
         $6::timestamptz[]) \
         AS v(identity_id, idempotency_key, claimed, payment_id, biller_transaction_id, confirmed_at) \
         WHERE b.identity_id = v.identity_id AND b.idempotency_key = v.idempotency_key \
         AND v.claimed",
    )
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.identity_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|r| r.idempotency_key.clone()).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(changed.iter().map(|r| r.claimed).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(changed.iter().map(|r| r.payment_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        changed
            .iter()
            .map(|r| r.biller_transaction_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(changed.iter().map(|r| r.confirmed_at).collect::<Vec<_>>())
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
    diesel::sql_query(
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
pub fn all(conn: &mut PgConnection, w: &Working, ledger: TransferBatch) -> Result<(), BatchError> {
    keys(conn, w)?;
    payments(conn, w)?;
    usage(conn, w)?;
    records(conn, w)?;
    orders(conn, w)?;
    requests(conn, w)?;
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
