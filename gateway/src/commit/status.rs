//! The steps every way of moving a payment on shares, inside a batch: its status with
//! the citizen's running totals kept in step, a ledger chain applied as a whole, the
//! biller's record released, and a failure answered.

use actix_web::http::StatusCode;
use ledger::{CreateTransferResult as R, Transfer, TransferBatch};

use super::command::Reply;
use super::render;
use super::working::Working;
use crate::error::ApiError;
use crate::merchants::requests::{self, Changes, RequestRow, RequestStatus};
use crate::payments::model::{PaymentRow, PaymentStatus};
use crate::rules::vietnam_date;

pub(super) fn missing(what: &str, payment_id: &str) -> ApiError {
    ApiError::Internal(format!(
        "payment {payment_id}: its {what} is not in the batch"
    ))
}

pub(super) fn payment<'a>(w: &'a Working, id: &str) -> Result<&'a PaymentRow, ApiError> {
    w.payments
        .get(&id.to_string())
        .ok_or_else(|| missing("row", id))
}

/// What a payment counts toward the citizen's limits in its status.
pub(super) fn contribution(p: &PaymentRow) -> i64 {
    match p.status() {
        Some(s) if s.is_counted() => p.counted_amount(),
        _ => 0,
    }
}

pub(super) fn count(w: &mut Working, p: &PaymentRow, delta: i64) -> Result<(), ApiError> {
    if delta == 0 {
        return Ok(());
    }
    let (today, started, class) = (w.today, vietnam_date(p.created_at), p.cap_class());
    let usage = w
        .usage
        .get_mut(&p.identity_id)
        .ok_or_else(|| missing("citizen's usage counters", &p.id))?;
    usage.count(today, started, delta, class);
    Ok(())
}

/// Records a new payment, counted toward the limits if its status counts.
pub fn create(w: &mut Working, row: PaymentRow) -> Result<(), ApiError> {
    count(w, &row, contribution(&row))?;
    w.payments.insert(row.id.clone(), row);
    Ok(())
}

/// Changes a payment; the citizen's totals follow what it now counts.
pub fn update(
    w: &mut Working,
    id: &str,
    change: impl FnOnce(&mut PaymentRow),
) -> Result<(), ApiError> {
    let p = w
        .payments
        .get_mut(&id.to_string())
        .ok_or_else(|| missing("row", id))?;
    let before = contribution(p);
    change(p);
    let after = p.clone();
    count(w, &after, contribution(&after) - before)
}

/// Moves a payment to `to` (with its failure code), recorded in its history.
pub fn set_status(
    w: &mut Working,
    id: &str,
    to: PaymentStatus,
    code: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    let now = w.now;
    update(w, id, |p| {
        p.set_status(to, code, detail, now);
        p.driver = None;
    })
}

/// Applies one chain in the ledger: its outcome as a whole (applied now, already
/// applied by an earlier attempt, or the failing member's own result).
pub fn apply_chain(ledger: &mut TransferBatch, chain: &[Transfer]) -> Result<R, ApiError> {
    let results = ledger
        .apply(chain)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if results.first() == Some(&R::Exists) || results.iter().all(|r| *r == R::Ok) {
        return Ok(R::Ok);
    }
    Ok(results
        .iter()
        .copied()
        .find(|r| !matches!(r, R::Ok | R::LinkedEventFailed))
        .unwrap_or(R::LinkedEventFailed))
}

pub(super) fn refused_by_ledger(result: R, what: &str) -> Result<Option<&'static str>, ApiError> {
    match result {
        R::Ok => Ok(None),
        R::ExceedsCredits | R::IdAlreadyFailed => Ok(Some("insufficient_funds")),
        other => Err(ApiError::Internal(format!(
            "ledger refused {what}: {other}"
        ))),
    }
}

pub(super) fn wallet(w: &Working, p: &PaymentRow) -> Result<u128, ApiError> {
    w.parties
        .get(&p.identity_id)
        .map(|party| party.wallet)
        .ok_or_else(|| missing("payer", &p.id))
}

pub(super) fn record_key(p: &PaymentRow) -> (String, String) {
    (p.identity_id.clone(), p.idempotency_key.clone())
}

pub(super) fn release_biller_record(w: &mut Working, p: &PaymentRow) {
    let id = record_key(p);
    let Some(record) = w.records.get_mut(&id) else {
        return;
    };
    if record.claimed {
        record.claimed = false;
        let claim_key = record.claim_key.clone();
        if w.claims.get(&claim_key) == Some(&id) {
            w.claims.remove(&claim_key);
        }
    }
}

pub(super) fn fail(
    w: &mut Working,
    id: &str,
    code: &str,
    answer_status: StatusCode,
) -> Result<Reply, ApiError> {
    set_status(w, id, PaymentStatus::Failed, Some(code), Some(code))?;
    render::answer(w, id, answer_status)
}

/// Moves a payment request to `to` with `changes`, its webhook event queued in the
/// batch; the request as it now is.
pub(super) fn change_request(
    w: &mut Working,
    request_id: &str,
    to: RequestStatus,
    changes: Changes,
) -> Result<RequestRow, ApiError> {
    let (now, public_url) = (w.now, w.settings.public_url.clone());
    let row = w
        .requests
        .get_mut(&request_id.to_string())
        .ok_or_else(|| ApiError::Internal(format!("request {request_id} is not in the batch")))?;
    let event = requests::change_status(row, to, changes, now, &public_url)?;
    let updated = row.clone();
    w.events.extend(event);
    Ok(updated)
}
