//! Creating a payment: the rules checked under the citizen's row lock (so two racing
//! requests cannot both pass a limit only one fits), the record written, then driven.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde_json::Value;

use super::flows;
use super::model::{PaymentKind, PaymentRow, PaymentStatus};
use super::store;
use crate::citizens::identity;
use crate::db;
use crate::error::ApiError;
use crate::rules::{decide, decide_confirmed, Decision};
use crate::state::AppState;

/// What a citizen asked to move.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub kind: PaymentKind,
    pub amount: i64,
    pub bank_link_id: Option<String>,
    pub payee_identity_id: Option<String>,
    pub payee_bank_bin: Option<String>,
    pub payee_account: Option<String>,
    pub note: Option<String>,
}

fn new_row(
    fee: i64,
    identity_id: &str,
    key: &str,
    m: &NewMovement,
    status: PaymentStatus,
    now: DateTime<Utc>,
) -> PaymentRow {
    PaymentRow {
        id: db::new_id("pay_"),
        identity_id: identity_id.to_string(),
        idempotency_key: key.to_string(),
        kind: m.kind.as_str().to_string(),
        amount: m.amount,
        fee,
        status: status.as_str().to_string(),
        failure_code: None,
        capped: m.kind.is_capped(),
        bank_link_id: m.bank_link_id.clone(),
        payee_identity_id: m.payee_identity_id.clone(),
        payee_bank_bin: m.payee_bank_bin.clone(),
        payee_account: m.payee_account.clone(),
        note: m.note.clone(),
        created_at: now,
        updated_at: now,
        settled_amount: None,
    }
}

/// Records the movement (or finds the one this idempotency key already made), drives
/// it, and answers the API's response for it.
pub async fn create_and_run(
    state: &AppState,
    identity_id: &str,
    idempotency_key: &str,
    movement: NewMovement,
) -> Result<(StatusCode, Value), ApiError> {
    let row = record(state, identity_id, idempotency_key, movement).await?;
    let row = flows::advance(state, row).await?;
    respond(state, row, StatusCode::CREATED).await
}

/// Records the movement after the rules (or finds the one this idempotency key already
/// made), without driving it.
pub async fn record(
    state: &AppState,
    identity_id: &str,
    idempotency_key: &str,
    movement: NewMovement,
) -> Result<PaymentRow, ApiError> {
    record_with(state, identity_id, idempotency_key, movement, |_, _| Ok(())).await
}

/// [`record`], with `also` writing what belongs to the new payment in the same
/// transaction (so a crash can never leave one without the other).
pub async fn record_with<F>(
    state: &AppState,
    identity_id: &str,
    idempotency_key: &str,
    movement: NewMovement,
    also: F,
) -> Result<PaymentRow, ApiError>
where
    F: FnOnce(&mut diesel::pg::PgConnection, &PaymentRow) -> Result<(), ApiError> + Send + 'static,
{
    let fees = state.config.fees;
    let fee = match movement.kind {
        PaymentKind::Topup if movement.bank_link_id.is_some() => fees.topup,
        PaymentKind::Withdrawal => fees.withdrawal,
        PaymentKind::Transfer => fees.transfer,
        PaymentKind::Topup | PaymentKind::Bill | PaymentKind::Insurance | PaymentKind::Merchant => {
            0
        }
    };
    let rules = state.config.rules;
    let (identity_id, key) = (identity_id.to_string(), idempotency_key.to_string());
    db::run(state, move |conn| {
        conn.transaction(|conn| {
            identity::lock(conn, &identity_id)?;
            // A retry after a crash finds what the first attempt recorded and resumes it.
            if let Some(existing) = store::find_by_key(conn, &identity_id, &key)? {
                return Ok(existing);
            }
            let now = Utc::now();
            let usage = store::usage(conn, &identity_id, now)?;
            let status = match decide(&rules, usage, movement.amount, movement.kind.is_capped()) {
                Decision::MonthlyLimitExceeded => {
                    return Err(ApiError::MonthlyLimitExceeded {
                        cap: rules.monthly_cap,
                        used: usage.month_capped,
                    })
                }
                Decision::RequireStepUp => PaymentStatus::RequiresStepUp,
                Decision::Proceed => PaymentStatus::Pending,
            };
            let row = new_row(fee, &identity_id, &key, &movement, status, now);
            store::insert(conn, &row, None)?;
            also(conn, &row)?;
            Ok(row)
        })
    })
    .await
}

/// Moves a payment the citizen confirmed with a step-up from `requires_step_up` to
/// `pending` (the monthly cap re-checked under the row lock), then drives it.
pub async fn confirm_and_run(
    state: &AppState,
    payment: PaymentRow,
) -> Result<(StatusCode, Value), ApiError> {
    let rules = state.config.rules;
    let row = db::run(state, move |conn| {
        conn.transaction(|conn| {
            identity::lock(conn, &payment.identity_id)?;
            let current = store::find(conn, &payment.id)?.ok_or(ApiError::NotFound("payment"))?;
            if current.status() != Some(PaymentStatus::RequiresStepUp) {
                return Err(ApiError::Conflict {
                    code: "payment_not_awaiting_step_up",
                    message: "this payment does not await a step-up",
                });
            }
            let usage = store::usage(conn, &current.identity_id, Utc::now())?;
            if decide_confirmed(&rules, usage, current.amount, current.capped)
                == Decision::MonthlyLimitExceeded
            {
                return Err(ApiError::MonthlyLimitExceeded {
                    cap: rules.monthly_cap,
                    used: usage.month_capped,
                });
            }
            store::transition(
                conn,
                &current.id,
                PaymentStatus::RequiresStepUp,
                PaymentStatus::Pending,
                None,
                Some("step_up_confirmed"),
            )?;
            store::find(conn, &current.id)?.ok_or(ApiError::NotFound("payment"))
        })
    })
    .await?;
    let row = flows::advance(state, row).await?;
    respond(state, row, StatusCode::OK).await
}

/// The response for a payment as it stands: the payment itself, or the documented 422
/// when the wallet could not cover it (the failed payment's id in the details).
pub async fn respond(
    state: &AppState,
    row: PaymentRow,
    status: StatusCode,
) -> Result<(StatusCode, Value), ApiError> {
    if row.status() == Some(PaymentStatus::Failed)
        && row.failure_code.as_deref() == Some("insufficient_funds")
    {
        return Err(ApiError::InsufficientFunds {
            payment_id: Some(row.id),
        });
    }
    let view = db::run(state, move |conn| store::view(conn, &row)).await?;
    Ok((
        status,
        serde_json::to_value(view).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}
