//! Manual capture: the merchant captures all or part of an authorized hold (the ledger
//! releases the rest) or voids it; a hold nobody resolved lapses in the ledger by
//! itself, and a background task then marks its request `expired`. The ledger decides
//! which of capture, void and lapse came first (a hold resolves once); the request's
//! row lock makes the recorded outcome follow it exactly once.

use chrono::Utc;
use ledger::{CreateTransferResult as R, Transfer, TransferFlags};

use super::requests::{self, Changes, RequestRow, RequestStatus, RequestView};
use crate::db;
use crate::error::ApiError;
use crate::payments::flows::ledger_transfer_id;
use crate::payments::model::PaymentStatus;
use crate::payments::store;
use crate::state::AppState;

/// How long after a request's expiry the expiry task waits, so a capture the ledger
/// accepted just in time is recorded as captured, not expired.
const EXPIRY_GRACE_SECONDS: i64 = 2;

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

/// What resolved a hold, as the ledger recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Captured(i64),
    Voided,
    Expired,
}

async fn submit(state: &AppState, transfer: Transfer) -> Result<R, ApiError> {
    state
        .writer
        .submit(vec![transfer])
        .await?
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal("the ledger answered no result".into()))
}

fn hold_id(payment_id: &str) -> u128 {
    ledger_transfer_id(payment_id, "merchant")
}

/// Records a resolution on a request still `authorized`; anything else is left alone
/// (another resolution was recorded first). Answers the request as it stands.
async fn record(
    state: &AppState,
    request_id: &str,
    resolution: Resolution,
) -> Result<RequestRow, ApiError> {
    let id = request_id.to_string();
    db::run(state, move |conn| {
        diesel::Connection::transaction(conn, |conn| {
            let request = requests::lock(conn, &id)?;
            if request.status()? != RequestStatus::Authorized {
                return Ok(request);
            }
            let payment_id = request.payment_id.clone().unwrap_or_default();
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
                Resolution::Expired => (
                    RequestStatus::Expired,
                    PaymentStatus::Voided,
                    0,
                    "hold_expired",
                ),
            };
            let updated = requests::change_status(
                conn,
                &request,
                to,
                Changes {
                    captured_amount: Some(captured),
                    ..Changes::default()
                },
            )?;
            let moved = store::transition(
                conn,
                &payment_id,
                PaymentStatus::Authorized,
                paid,
                None,
                Some(detail),
            )?;
            if moved && captured < request.amount {
                store::set_settled_amount(conn, &payment_id, captured)?;
            }
            Ok(updated)
        })
    })
    .await
}

async fn authorized(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
) -> Result<(RequestRow, String), ApiError> {
    let (m, id) = (merchant_id.to_string(), request_id.to_string());
    let request = db::run(state, move |conn| requests::find_own(conn, &m, &id)).await?;
    match (request.status()?, request.payment_id.clone()) {
        (RequestStatus::Authorized, Some(payment_id)) => Ok((request, payment_id)),
        (RequestStatus::Expired, _) => Err(expired()),
        _ => Err(not_authorized()),
    }
}

/// What the ledger's answer to a post or void means for the request.
async fn after_refusal(state: &AppState, request: &RequestRow, result: R) -> ApiError {
    match result {
        R::PendingTransferExpired => match record(state, &request.id, Resolution::Expired).await {
            Ok(_) => expired(),
            Err(e) => e,
        },
        R::PendingTransferAlreadyPosted
        | R::PendingTransferAlreadyVoided
        | R::PendingTransferNotPending
        | R::ExistsWithDifferentAmount
        | R::IdAlreadyFailed => not_authorized(),
        other => ApiError::Internal(format!("ledger refused a capture or void: {other}")),
    }
}

/// Captures `amount` (all when `None`) of an authorized request; the rest is released.
pub async fn capture(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
    amount: Option<i64>,
) -> Result<RequestView, ApiError> {
    let (request, payment_id) = authorized(state, merchant_id, request_id).await?;
    let amount = amount.unwrap_or(request.amount);
    if amount > request.amount {
        return Err(ApiError::BusinessRule {
            code: "capture_exceeds_authorized",
            message: "a capture cannot exceed the authorized amount",
        });
    }
    let post = Transfer {
        id: ledger_transfer_id(&payment_id, "capture"),
        pending_id: hold_id(&payment_id),
        amount: amount.unsigned_abs(),
        flags: TransferFlags::POST_PENDING_TRANSFER,
        ..Transfer::default()
    };
    match submit(state, post).await? {
        R::Ok | R::Exists => {}
        other => return Err(after_refusal(state, &request, other).await),
    }
    let row = record(state, &request.id, Resolution::Captured(amount)).await?;
    row.view()
}

/// Releases an authorized request's hold.
pub async fn void(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
) -> Result<RequestView, ApiError> {
    let (request, payment_id) = authorized(state, merchant_id, request_id).await?;
    let release = Transfer {
        id: ledger_transfer_id(&payment_id, "void"),
        pending_id: hold_id(&payment_id),
        flags: TransferFlags::VOID_PENDING_TRANSFER,
        ..Transfer::default()
    };
    match submit(state, release).await? {
        R::Ok | R::Exists => {}
        other => return Err(after_refusal(state, &request, other).await),
    }
    let row = record(state, &request.id, Resolution::Voided).await?;
    row.view()
}

/// How an authorized request's hold ended, asked of the ledger: a capture or void it
/// recorded wins (its outcome may not have been written back yet), else it lapsed.
async fn resolution_of(state: &AppState, payment_id: &str) -> Result<Resolution, ApiError> {
    let (capture_id, void_id) = (
        ledger_transfer_id(payment_id, "capture"),
        ledger_transfer_id(payment_id, "void"),
    );
    let ledger = state.ledger.clone();
    let found =
        actix_web::web::block(move || ledger.lookup_transfers(&[capture_id, void_id])).await??;
    if let Some(post) = found.iter().find(|t| t.id == capture_id) {
        return Ok(Resolution::Captured(
            i64::try_from(post.amount).unwrap_or(i64::MAX),
        ));
    }
    if found.iter().any(|t| t.id == void_id) {
        return Ok(Resolution::Voided);
    }
    Ok(Resolution::Expired)
}

/// Closes requests past their expiry: open ones become `expired`; authorized ones take
/// the outcome the ledger gave their hold. Run periodically.
pub async fn expire_due(state: &AppState) -> Result<usize, ApiError> {
    let before = Utc::now() - chrono::Duration::seconds(EXPIRY_GRACE_SECONDS);
    let due = db::run(state, move |conn| {
        requests::due_for_expiry(conn, before, 100)
    })
    .await?;
    let count = due.len();
    for request in due {
        let outcome = match (request.status()?, request.payment_id.as_deref()) {
            (RequestStatus::Authorized, Some(payment_id)) => {
                let resolution = resolution_of(state, payment_id).await?;
                record(state, &request.id, resolution).await.map(|_| ())
            }
            (RequestStatus::Open, _) => expire_open(state, &request.id).await,
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            tracing::warn!(request = %request.id, error = %e, "closing an expired request failed");
        }
    }
    Ok(count)
}

async fn expire_open(state: &AppState, request_id: &str) -> Result<(), ApiError> {
    let id = request_id.to_string();
    db::run(state, move |conn| {
        diesel::Connection::transaction(conn, |conn| {
            let request = requests::lock(conn, &id)?;
            // A payer may have claimed it since it was listed: that payment decides.
            if request.status()? == RequestStatus::Open && request.claimed_payment_id.is_none() {
                requests::change_status(
                    conn,
                    &request,
                    RequestStatus::Expired,
                    Changes::default(),
                )?;
            }
            Ok(())
        })
    })
    .await
}
