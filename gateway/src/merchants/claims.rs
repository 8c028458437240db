//! Payment requests paid from another home shard. A request lives on its merchant's
//! shard until a citizen pays it; a payer on another shard first holds the money there
//! (toward the merchant's account on the payer's shard), then claims the request here
//! for that payment (this module, the payment's outside call), then posts or keeps the
//! hold and writes the request's copy on the payer's shard, where its capture, void,
//! refunds and webhooks happen from then on.
//!
//! The claim is the one write on the request's shard, and what decides who pays a
//! request. A claim whose payment later failed (its answer lost, say) is released by
//! [`settle_stale`] from that payment's final status, read on its shard, so a request
//! is never left claimed by nothing; a claim whose payment settled is confirmed there
//! and left alone from then on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::requests::RequestRow;
use crate::commit::{Confirmation, OutsideResult};
use crate::db;
use crate::error::ApiError;
use crate::schema::{merchant_payment_requests as requests, payments};
use crate::state::AppState;

/// A claim the request's shard did not answer: the payment fails, never waits.
pub const MERCHANT_SHARD_UNAVAILABLE: &str = "merchant_shard_unavailable";

/// How long a claim may wait for its payment to settle before its payment's status
/// is looked at.
const SETTLE_AFTER_SECONDS: i64 = 10;

/// A payment's claim on a request on another shard.
pub struct Claim<'a> {
    pub request_shard: u16,
    pub payer_shard: u16,
    pub request_id: &'a str,
    pub payment_id: &'a str,
    pub amount: i64,
}

/// The request as its own shard holds it, when it lives on another shard than
/// `home` (the payer's): what the payer's batch checks the payment against.
pub async fn remote_request(
    state: &AppState,
    home: u16,
    request_id: &str,
) -> Result<Option<Box<RequestRow>>, ApiError> {
    let there = state.shard_of_request(request_id);
    if !state.routes_citizens() || there == home {
        return Ok(None);
    }
    let id = request_id.to_string();
    let row = db::run(&state.at_home(there), move |conn| {
        super::requests::find(conn, &id)
    })
    .await
    .map_err(|e| {
        tracing::warn!(shard = there, error = %e, "a payment request's shard did not answer");
        ApiError::Unavailable("merchant shard")
    })?
    .ok_or(ApiError::NotFound("payment request"))?;
    Ok(Some(Box::new(row)))
}

/// Claims the request for the payment; every attempt of the same payment answers
/// the same claim.
pub async fn claim(state: &AppState, claim: Claim<'_>) -> OutsideResult {
    let there = state.at_home(claim.request_shard);
    let (id, payment) = (claim.request_id.to_string(), claim.payment_id.to_string());
    let (shard, amount, now) = (claim.payer_shard, claim.amount, Utc::now());
    let made = db::run(&there, move |conn| {
        conn.transaction(|conn| claim_in(conn, &id, &payment, shard, amount, now))
    })
    .await;
    match made {
        Ok(Ok(row)) => OutsideResult::Done(Confirmation::RequestClaimed {
            request: Box::new(row),
        }),
        Ok(Err(code)) => OutsideResult::Refused(code),
        Err(e) => {
            tracing::warn!(shard = claim.request_shard, error = %e, "a payment request's shard did not take the claim");
            OutsideResult::Refused(MERCHANT_SHARD_UNAVAILABLE)
        }
    }
}

fn claim_in(
    conn: &mut PgConnection,
    id: &str,
    payment: &str,
    payer_shard: u16,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<Result<RequestRow, &'static str>, ApiError> {
    let shard = i16::try_from(payer_shard)
        .map_err(|_| ApiError::Internal(format!("shard {payer_shard} out of range")))?;
    let Some(mut row) = requests::table
        .find(id)
        .for_update()
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(Err("payment_request_not_found"));
    };
    if row.payment_id.as_deref() == Some(payment) && row.claimed_shard == Some(shard) {
        return Ok(Ok(row));
    }
    if let Some(code) = row.refusal_at(now) {
        return Ok(Err(code));
    }
    if row.amount != amount {
        return Ok(Err("payment_request_not_open"));
    }
    diesel::update(requests::table.find(id))
        .set((
            requests::payment_id.eq(payment),
            requests::claimed_shard.eq(shard),
            requests::claimed_at.eq(now),
            requests::updated_at.eq(now),
        ))
        .execute(conn)?;
    row.payment_id = Some(payment.to_string());
    row.claimed_shard = Some(shard);
    row.claimed_at = Some(now);
    row.updated_at = now;
    Ok(Ok(row))
}

/// What was done with the claims on one shard whose payments were looked at.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub confirmed: usize,
    pub released: usize,
}

/// Looks at the claims on `here` (a home shard's service) that have waited a while:
/// one whose payment failed is released (the request is open again, or expired), one
/// whose payment settled otherwise is confirmed, one still pending waits.
pub async fn settle_stale(here: &AppState) -> Result<Settled, ApiError> {
    let before = Utc::now() - chrono::Duration::seconds(SETTLE_AFTER_SECONDS);
    let stale: Vec<(String, Option<String>, Option<i16>)> = db::run(here, move |conn| {
        Ok(requests::table
            .filter(requests::claimed_at.lt(before))
            .order(requests::claimed_at)
            .limit(200)
            .select((requests::id, requests::payment_id, requests::claimed_shard))
            .load(conn)?)
    })
    .await?;
    let mut by_shard: HashMap<u16, Vec<(String, String)>> = HashMap::new();
    for (request, payment, shard) in stale {
        if let (Some(payment), Some(shard)) = (payment, shard.and_then(|s| u16::try_from(s).ok())) {
            by_shard.entry(shard).or_default().push((request, payment));
        }
    }
    let mut settled = Settled::default();
    for (shard, claims) in by_shard {
        let ids: Vec<String> = claims.iter().map(|(_, p)| p.clone()).collect();
        let statuses: HashMap<String, String> = match db::run(&here.at_home(shard), move |conn| {
            Ok(payments::table
                .filter(payments::id.eq_any(&ids))
                .select((payments::id, payments::status))
                .load::<(String, String)>(conn)?)
        })
        .await
        {
            Ok(rows) => rows.into_iter().collect(),
            Err(e) => {
                tracing::warn!(shard, error = %e, "claims wait: their payments' shard did not answer");
                continue;
            }
        };
        let mut release = Vec::new();
        let mut confirm = Vec::new();
        for (request, payment) in claims {
            match statuses.get(&payment).map(String::as_str) {
                Some("failed") => release.push((request, payment)),
                Some("pending" | "requires_step_up") => {}
                Some(_) => confirm.push((request, payment)),
                None => {
                    tracing::error!(%request, %payment, shard, "a claimed request's payment is missing on its shard")
                }
            }
        }
        let now = Utc::now();
        let done = db::run(here, move |conn| {
            let mut done = Settled::default();
            for (request, payment) in &release {
                done.released += diesel::update(
                    requests::table
                        .find(request)
                        .filter(requests::payment_id.eq(payment))
                        .filter(requests::claimed_at.is_not_null()),
                )
                .set((
                    requests::payment_id.eq(None::<String>),
                    requests::claimed_shard.eq(None::<i16>),
                    requests::claimed_at.eq(None::<DateTime<Utc>>),
                    requests::updated_at.eq(now),
                ))
                .execute(conn)?;
            }
            for (request, payment) in &confirm {
                done.confirmed += diesel::update(
                    requests::table
                        .find(request)
                        .filter(requests::payment_id.eq(payment)),
                )
                .set(requests::claimed_at.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
            }
            Ok(done)
        })
        .await?;
        settled.confirmed += done.confirmed;
        settled.released += done.released;
    }
    Ok(settled)
}

/// Where a request stands now: on its own shard, or (once a payment on another shard
/// claimed it and wrote its copy there) on that shard. The service answered is the one
/// to run the request's commands on.
pub async fn locate(
    state: &AppState,
    request_id: &str,
) -> Result<(AppState, RequestRow), ApiError> {
    let home = state.at_home(state.shard_of_request(request_id));
    let id = request_id.to_string();
    let row = db::run(&home, move |conn| super::requests::find(conn, &id))
        .await?
        .ok_or(ApiError::NotFound("payment request"))?;
    let Some(shard) = row.claimed_by_shard() else {
        return Ok((home, row));
    };
    let moved = state.at_home(shard);
    let id = request_id.to_string();
    match db::run(&moved, move |conn| super::requests::find(conn, &id)).await? {
        Some(copy) => Ok((moved, copy)),
        // Claimed, its payment not settled yet: still as its own shard has it.
        None => Ok((home, row)),
    }
}
