//! The merchant's side inside a batch: payment requests made once per key, capture and
//! void of an authorized hold, refunds that never exceed what was captured, and
//! requests closed once past their expiry. Each is one transaction with the ledger
//! step, the request's new status, its webhook and the payment's status, so nothing is
//! ever left half-recorded for a task to find later.

use actix_web::http::StatusCode;
use ledger::{CreateTransferResult as R, TransferBatch};

use super::command::{KeyClaim, NewRequest, Reply};
use super::keys::{json_answer, once};
use super::status::{self, apply_chain};
use super::working::Working;
use crate::error::ApiError;
use crate::ids;
use crate::merchants::refunds::RefundRow;
use crate::merchants::requests::{self, Changes, RequestRow, RequestStatus};
use crate::merchants::webhooks::{self, EventType};
use crate::payments::model::PaymentStatus;
use crate::payments::steps;

/// `POST /v1/merchant/payment-requests`: the request's id derives from the key, so a
/// retry finds the request the first attempt made.
pub fn create_request(
    w: &mut Working,
    key: &KeyClaim,
    merchant_id: &str,
    new: &NewRequest,
) -> Result<Reply, ApiError> {
    let id = crate::homes::request_id(&key.scope, &key.key, merchant_id);
    once(w, key, &id.clone(), |w| {
        let purpose = new
            .description
            .clone()
            .unwrap_or_else(|| new.order_ref.clone());
        let qr = requests::build_qr(
            &w.settings.qr_bank_bin,
            &w.settings.qr_account,
            &id,
            new.amount,
            &purpose,
        )?;
        let row = RequestRow {
            id: id.clone(),
            merchant_id: merchant_id.to_string(),
            amount: new.amount,
            order_ref: new.order_ref.clone(),
            description: new.description.clone(),
            capture: if new.manual_capture {
                "manual"
            } else {
                "automatic"
            }
            .to_string(),
            status: RequestStatus::Open.as_str().to_string(),
            qr,
            expires_at: w.now + chrono::Duration::seconds(new.expires_in_seconds),
            payment_id: None,
            captured_amount: 0,
            refunded_amount: 0,
            created_at: w.now,
            updated_at: w.now,
            return_url: new.return_url.clone(),
            claimed_shard: None,
            claimed_at: None,
        };
        let view = row.view_at(w.now, &w.settings.public_url)?;
        w.requests.insert(id.clone(), row);
        json_answer(StatusCode::CREATED, &view)
    })
}

fn own_request(w: &Working, merchant_id: &str, request_id: &str) -> Result<RequestRow, ApiError> {
    w.requests
        .get(&request_id.to_string())
        .filter(|r| r.merchant_id == merchant_id)
        .cloned()
        .ok_or(ApiError::NotFound("payment request"))
}

fn not_authorized() -> ApiError {
    ApiError::Conflict {
        code: "payment_request_not_authorized",
        message: "this payment request holds no authorized funds",
    }
}

fn expired() -> ApiError {
    ApiError::Conflict {
        code: "payment_request_expired",
        message: "this payment request has expired",
    }
}

/// How an authorized request's hold ended.
#[derive(Debug, Clone, Copy)]
enum Resolution {
    Captured(i64),
    Voided,
    Lapsed,
}

/// Records a resolution of an authorized request: its status, webhook, and the
/// payment's status (what finally moved, for the limits).
fn resolve(
    w: &mut Working,
    request: &RequestRow,
    resolution: Resolution,
) -> Result<RequestRow, ApiError> {
    let payment_id = request
        .payment_id
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("request {} has no payment", request.id)))?;
    let (to, paid, captured, detail) = match resolution {
        Resolution::Captured(amount) if amount >= request.amount => (
            RequestStatus::Captured,
            PaymentStatus::Succeeded,
            amount,
            "captured",
        ),
        Resolution::Captured(amount) => (
            RequestStatus::PartiallyCaptured,
            PaymentStatus::Succeeded,
            amount,
            "partially_captured",
        ),
        Resolution::Voided => (RequestStatus::Voided, PaymentStatus::Voided, 0, "voided"),
        Resolution::Lapsed => (
            RequestStatus::Expired,
            PaymentStatus::Voided,
            0,
            "hold_expired",
        ),
    };
    let now = w.now;
    let updated = status::change_request(
        w,
        &request.id,
        to,
        Changes {
            captured_amount: Some(captured),
            ..Changes::default()
        },
    )?;
    w.revenue.receipt(&request.merchant_id, w.today, captured);
    let moves = w
        .payments
        .get(&payment_id)
        .is_some_and(|p| p.status() == Some(PaymentStatus::Authorized));
    if moves {
        status::update(w, &payment_id, |p| {
            p.set_status(paid, None, Some(detail), now);
            if captured < p.amount {
                p.settled_amount = Some(captured);
            }
        })?;
    }
    Ok(updated)
}

/// What a refused post or void of the hold means for the request.
fn refused(w: &mut Working, request: &RequestRow, result: R) -> Result<Reply, ApiError> {
    match result {
        R::PendingTransferExpired => {
            resolve(w, request, Resolution::Lapsed)?;
            Err(expired())
        }
        R::PendingTransferAlreadyPosted
        | R::PendingTransferAlreadyVoided
        | R::PendingTransferNotPending
        | R::ExistsWithDifferentAmount
        | R::IdAlreadyFailed => Err(not_authorized()),
        other => Err(ApiError::Internal(format!(
            "ledger refused a capture or void: {other}"
        ))),
    }
}

fn authorized(
    w: &Working,
    merchant_id: &str,
    request_id: &str,
) -> Result<(RequestRow, String), ApiError> {
    let request = own_request(w, merchant_id, request_id)?;
    match (request.status_at(w.now)?, request.payment_id.clone()) {
        (RequestStatus::Authorized, Some(payment_id)) => Ok((request, payment_id)),
        (RequestStatus::Expired, _) => Err(expired()),
        _ => Err(not_authorized()),
    }
}

/// Captures all or part of an authorized request's hold; the rest is released.
pub fn capture(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    merchant_id: &str,
    request_id: &str,
    amount: Option<i64>,
) -> Result<Reply, ApiError> {
    once(w, key, request_id, |w| {
        let (request, payment_id) = authorized(w, merchant_id, request_id)?;
        let amount = amount.unwrap_or(request.amount);
        if amount > request.amount {
            return Err(ApiError::BusinessRule {
                code: "capture_exceeds_authorized",
                message: "a capture cannot exceed the authorized amount",
            });
        }
        match apply_chain(ledger, &[steps::capture(&payment_id, amount)])? {
            R::Ok => {}
            other => return refused(w, &request, other),
        }
        let row = resolve(w, &request, Resolution::Captured(amount))?;
        json_answer(StatusCode::OK, &row.view_at(w.now, &w.settings.public_url)?)
    })
}

/// Releases an authorized request's hold.
pub fn void(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    merchant_id: &str,
    request_id: &str,
) -> Result<Reply, ApiError> {
    once(w, key, request_id, |w| {
        let (request, payment_id) = authorized(w, merchant_id, request_id)?;
        match apply_chain(ledger, &[steps::release(&payment_id)])? {
            R::Ok => {}
            other => return refused(w, &request, other),
        }
        let row = resolve(w, &request, Resolution::Voided)?;
        json_answer(StatusCode::OK, &row.view_at(w.now, &w.settings.public_url)?)
    })
}

/// Refunds part or all of what was captured: the request's own running total of
/// refunds decides, so racing refunds can never exceed the captured amount.
pub fn refund(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    merchant_id: &str,
    request_id: &str,
    amount: i64,
) -> Result<Reply, ApiError> {
    let refund_id = ids::derive("ref_", &[&key.scope, &key.key]);
    once(w, key, &refund_id.clone(), |w| {
        let request = own_request(w, merchant_id, request_id)?;
        if !request.status()?.is_refundable() {
            return Err(ApiError::Conflict {
                code: "payment_request_not_captured",
                message: "only a paid or captured payment request can be refunded",
            });
        }
        if request.refunded_amount.saturating_add(amount) > request.captured_amount {
            return Err(ApiError::BusinessRule {
                code: "refund_exceeds_captured",
                message: "refunds may not exceed what was captured",
            });
        }
        let payment_id = request
            .payment_id
            .clone()
            .ok_or_else(|| ApiError::Internal(format!("request {request_id} has no payment")))?;
        let payer = w
            .payments
            .get(&payment_id)
            .and_then(|p| w.parties.get(&p.identity_id))
            .map(|p| p.wallet)
            .ok_or_else(|| {
                ApiError::Internal(format!("payment {payment_id}'s payer is missing"))
            })?;
        let merchant = w
            .merchants
            .get(&request.merchant_id)
            .ok_or_else(|| ApiError::Internal("the request's merchant is missing".into()))?
            .ledger_id()?;
        match apply_chain(
            ledger,
            &[steps::refund(&refund_id, merchant, payer, amount)],
        )? {
            R::Ok => {}
            // The merchant's account no longer holds the money (settled out meanwhile).
            R::ExceedsCredits | R::IdAlreadyFailed => {
                return Err(ApiError::BusinessRule {
                    code: "merchant_balance_insufficient",
                    message: "the merchant's account does not hold enough to refund this",
                })
            }
            other => {
                return Err(ApiError::Internal(format!(
                    "ledger refused a refund: {other}"
                )))
            }
        }
        let now = w.now;
        let refunded = request.refunded_amount.saturating_add(amount);
        let (to, paid) = if refunded >= request.captured_amount {
            (RequestStatus::Refunded, PaymentStatus::Refunded)
        } else {
            (
                RequestStatus::PartiallyRefunded,
                PaymentStatus::PartiallyRefunded,
            )
        };
        let after = status::change_request(
            w,
            &request.id,
            to,
            Changes {
                refunded_amount: Some(refunded),
                ..Changes::default()
            },
        )?;
        w.revenue.refund(&request.merchant_id, w.today, amount);
        let needs_move = w
            .payments
            .get(&payment_id)
            .and_then(|p| p.status())
            .is_some_and(|s| s != paid);
        if needs_move {
            status::update(w, &payment_id, |p| {
                p.set_status(paid, None, Some(&refund_id), now)
            })?;
        }
        let row = RefundRow {
            id: refund_id.clone(),
            payment_request_id: request.id.clone(),
            merchant_id: request.merchant_id.clone(),
            amount,
            status: "succeeded".into(),
            created_at: now,
            updated_at: now,
        };
        let view = row.view(Some(after.status()?));
        let data = serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.to_string()))?;
        w.events.push(webhooks::event(
            &row.merchant_id,
            EventType::RefundSucceeded,
            data,
            now,
        ));
        w.refunds.push(row);
        json_answer(StatusCode::CREATED, &view)
    })
}

/// Closes the requests loaded as due: an open one expires; an authorized one takes
/// the outcome the ledger gave its hold (a capture or void is always recorded with the
/// request, so a hold still pending here has lapsed, or is about to).
pub fn expire_due(w: &mut Working, ledger: &mut TransferBatch) -> Result<Reply, ApiError> {
    let due: Vec<RequestRow> = w
        .requests
        .values()
        .filter(|r| r.expires_at <= w.now)
        .filter(|r| {
            matches!(
                r.status(),
                Ok(RequestStatus::Open | RequestStatus::Authorized)
            )
        })
        .cloned()
        .collect();
    let mut closed = 0;
    for request in due {
        match request.status()? {
            RequestStatus::Open => {
                let now = w.now;
                let event = match w.requests.get_mut(&request.id) {
                    Some(row) => requests::change_status(
                        row,
                        RequestStatus::Expired,
                        Changes::default(),
                        now,
                        &w.settings.public_url,
                    )?,
                    None => None,
                };
                w.events.extend(event);
                closed += 1;
            }
            RequestStatus::Authorized => {
                let Some(payment_id) = request.payment_id.clone() else {
                    continue;
                };
                let hold = ledger
                    .hold(steps::merchant_transfer_id(&payment_id))
                    .copied();
                let lapsed = hold.is_some_and(|h| h.status == ledger::PendingStatus::Expired);
                if lapsed {
                    resolve(w, &request, Resolution::Lapsed)?;
                    closed += 1;
                }
            }
            _ => {}
        }
    }
    Ok(Reply::Count(closed))
}
