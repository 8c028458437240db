//! A citizen paying a payment request, by its id or by scanning its VietQR. The
//! payment itself goes through the citizens' payment rules (`payments::create`); its
//! step here claims the request under its row lock (a request is paid once, even by two
//! racing citizens), moves the money (at once, or as a hold for manual capture), then
//! records the outcome on the request, the payment and the outbox in one transaction.

use actix_web::http::StatusCode;
use adapters::qr::{self, QrError};
use chrono::Utc;
use diesel::prelude::*;
use ledger::{CreateTransferResult as R, Transfer, TransferFlags};
use serde_json::Value;

use super::requests::{self, Changes, RequestRow, RequestStatus};
use super::store as merchants;
use crate::chart::{Purpose, VND};
use crate::citizens::identity;
use crate::config::Config;
use crate::db;
use crate::error::ApiError;
use crate::payments::create::{create_and_run, NewMovement};
use crate::payments::flows::ledger_transfer_id;
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::payments::store;
use crate::schema::merchant_payment_links as links;
use crate::state::AppState;

/// The request a scanned VietQR names, and the amount it carries: its CRC must hold
/// and it must pay the gateway's own collection account.
pub fn parse_qr(config: &Config, payload: &str) -> Result<(String, Option<u64>), ApiError> {
    let code = qr::decode(payload.trim()).map_err(|e| match e {
        QrError::CrcMismatch { .. } | QrError::MissingCrc => ApiError::InvalidQr("crc_mismatch"),
        _ => ApiError::InvalidQr("malformed"),
    })?;
    if code.beneficiary.acquirer_bin != config.qr_bank_bin
        || code.beneficiary.account != config.qr_account
    {
        return Err(ApiError::InvalidQr("not_this_gateway"));
    }
    let id = code
        .additional
        .reference_label
        .clone()
        .filter(|r| r.starts_with("req_"))
        .ok_or(ApiError::InvalidQr("no_payment_request_reference"))?;
    Ok((id, code.amount))
}

fn conflict_for(code: &str) -> Option<ApiError> {
    match code {
        "payment_request_expired" => Some(ApiError::Conflict {
            code: "payment_request_expired",
            message: "this payment request has expired",
        }),
        "payment_request_not_open" => Some(ApiError::Conflict {
            code: "payment_request_not_open",
            message: "this payment request is already paid or closed",
        }),
        _ => None,
    }
}

/// Why a request cannot be paid now, if it cannot.
fn refusal(request: &RequestRow, payment_id: Option<&str>) -> Option<&'static str> {
    let taken = request
        .claimed_payment_id
        .as_deref()
        .is_some_and(|c| Some(c) != payment_id);
    if request.status != RequestStatus::Open.as_str() || taken {
        Some("payment_request_not_open")
    } else if request.expires_at <= Utc::now() {
        Some("payment_request_expired")
    } else {
        None
    }
}

/// `POST /v1/payments` with type `merchant`, once the request is identified (and,
/// when scanned, with the amount its QR carried).
pub async fn pay(
    state: &AppState,
    identity_id: &str,
    key: &str,
    request_id: String,
    qr_amount: Option<Option<u64>>,
) -> Result<(StatusCode, Value), ApiError> {
    let (who, k, id) = (identity_id.to_string(), key.to_string(), request_id.clone());
    let request = db::run(state, move |conn| {
        let request = requests::find(conn, &id)?.ok_or(ApiError::NotFound("payment request"))?;
        // A scanned code must ask for exactly what the request does.
        if qr_amount.is_some_and(|amount| amount != Some(request.amount.unsigned_abs())) {
            return Err(ApiError::InvalidQr("amount_mismatch"));
        }
        let existing = store::find_by_key(conn, &who, &k)?;
        // A retry of a payment already made answers that payment, whatever the request
        // has become since.
        if existing.is_none() {
            if let Some(code) = refusal(&request, None) {
                return Err(conflict_for(code).unwrap_or(ApiError::Internal(code.into())));
            }
        }
        diesel::insert_into(links::table)
            .values((
                links::identity_id.eq(&who),
                links::idempotency_key.eq(&k),
                links::payment_request_id.eq(&id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(request)
    })
    .await?;
    let movement = NewMovement {
        kind: PaymentKind::Merchant,
        amount: request.amount,
        bank_link_id: None,
        payee_identity_id: None,
        payee_bank_bin: None,
        payee_account: None,
        note: Some(request.id.clone()),
    };
    let (status, body) = create_and_run(state, identity_id, key, movement).await?;
    // Another citizen won the race, or the request lapsed meanwhile: the failed payment
    // stays on record, and the answer is the documented conflict.
    if body["status"] == PaymentStatus::Failed.as_str() {
        if let Some(conflict) = body["failure_code"].as_str().and_then(conflict_for) {
            return Err(conflict);
        }
    }
    Ok((status, body))
}

type Step = Option<(PaymentStatus, Option<&'static str>)>;

/// The merchant step of `flows::advance` for a `pending` merchant payment.
pub async fn advance(state: &AppState, payment: &PaymentRow) -> Result<Step, ApiError> {
    let p = payment.clone();
    let claimed = db::run(state, move |conn| {
        conn.transaction(|conn| {
            let request_id: Option<String> = links::table
                .find((&p.identity_id, &p.idempotency_key))
                .select(links::payment_request_id)
                .first(conn)
                .optional()?;
            let Some(request_id) = request_id else {
                return Ok(Err(Some((
                    PaymentStatus::Failed,
                    Some("payment_request_not_found"),
                ))));
            };
            let request = requests::lock(conn, &request_id)?;
            if request.payment_id.as_deref() == Some(p.id.as_str()) {
                // Finished earlier; only the payment's own record was left behind.
                let status = if request.is_manual() {
                    PaymentStatus::Authorized
                } else {
                    PaymentStatus::Succeeded
                };
                return Ok(Err(Some((status, None))));
            }
            if let Some(code) = refusal(&request, Some(&p.id)) {
                return Ok(Err(Some((PaymentStatus::Failed, Some(code)))));
            }
            requests::set_claim(conn, &request.id, Some(&p.id))?;
            Ok(Ok(request))
        })
    })
    .await?;
    let request = match claimed {
        Ok(request) => request,
        Err(step) => return Ok(step),
    };
    move_money(state, payment, &request).await
}

async fn move_money(
    state: &AppState,
    p: &PaymentRow,
    request: &RequestRow,
) -> Result<Step, ApiError> {
    let (payer_id, merchant_id) = (p.identity_id.clone(), request.merchant_id.clone());
    let (payer, merchant) = db::run(state, move |conn| {
        let payer = identity::find(conn, &payer_id)?
            .ok_or_else(|| ApiError::Internal("payment's identity is missing".into()))?;
        let merchant = merchants::find(conn, &merchant_id)?
            .ok_or_else(|| ApiError::Internal("request's merchant is missing".into()))?;
        Ok((payer.wallet_ledger_id()?, merchant.ledger_id()?))
    })
    .await?;
    let mut transfer = Transfer {
        id: ledger_transfer_id(&p.id, "merchant"),
        debit_account_id: payer,
        credit_account_id: merchant,
        amount: request.amount.unsigned_abs(),
        ledger: VND,
        code: Purpose::Merchant.code(),
        ..Transfer::default()
    };
    if request.is_manual() {
        let left = (request.expires_at - Utc::now()).num_seconds();
        if left < 1 {
            return release(state, request, p, "payment_request_expired").await;
        }
        transfer.flags = TransferFlags::PENDING;
        transfer.timeout = u32::try_from(left).unwrap_or(u32::MAX);
    }
    let result = state
        .writer
        .submit(vec![transfer])
        .await?
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal("the ledger answered no result".into()))?;
    match result {
        // A retry's hold has another timeout than the first attempt's: same hold.
        R::Ok | R::Exists | R::ExistsWithDifferentTimeout => finish(state, request, p).await,
        R::ExceedsCredits | R::IdAlreadyFailed => {
            release(state, request, p, "insufficient_funds").await
        }
        other => Err(ApiError::Internal(format!(
            "ledger refused a merchant payment: {other}"
        ))),
    }
}

async fn finish(state: &AppState, request: &RequestRow, p: &PaymentRow) -> Result<Step, ApiError> {
    let (request_id, payment_id) = (request.id.clone(), p.id.clone());
    db::run(state, move |conn| {
        conn.transaction(|conn| {
            let request = requests::lock(conn, &request_id)?;
            let (to, paid, captured) = if request.is_manual() {
                (RequestStatus::Authorized, PaymentStatus::Authorized, 0)
            } else {
                (
                    RequestStatus::Paid,
                    PaymentStatus::Succeeded,
                    request.amount,
                )
            };
            if request.claimed_payment_id.as_deref() == Some(payment_id.as_str()) {
                requests::change_status(
                    conn,
                    &request,
                    to,
                    Changes {
                        payment_id: Some(payment_id.clone()),
                        captured_amount: Some(captured),
                        refunded_amount: None,
                    },
                )?;
                store::transition(
                    conn,
                    &payment_id,
                    PaymentStatus::Pending,
                    paid,
                    None,
                    Some(&request.id),
                )?;
            }
            Ok(Some((paid, None)))
        })
    })
    .await
}

async fn release(
    state: &AppState,
    request: &RequestRow,
    p: &PaymentRow,
    code: &'static str,
) -> Result<Step, ApiError> {
    let (request_id, payment_id) = (request.id.clone(), p.id.clone());
    db::run(state, move |conn| {
        conn.transaction(|conn| {
            let request = requests::lock(conn, &request_id)?;
            if request.claimed_payment_id.as_deref() == Some(payment_id.as_str()) {
                requests::set_claim(conn, &request.id, None)?;
            }
            Ok(Some((PaymentStatus::Failed, Some(code))))
        })
    })
    .await
}
