//! The steps of a bill or insurance payment, each safe to run again:
//!
//! 1. claim the bill (or quote) in our database, so two payments cannot both pay it;
//! 2. hold the amount: a pending transfer from the wallet to the biller's collection
//!    account (`VSS_BHXH` / `VSS_BHYT` for insurance);
//! 3. ask the biller to clear the bill, or VSS to record the contribution, with the
//!    payment id as the reference (the biller answers a repeat from its record);
//! 4. post the hold when the biller confirms; void it and give the claim back when the
//!    biller refuses. A biller that times out or is unavailable leaves the payment
//!    `pending` with its hold, for the resumer to ask again.

use ledger::{CreateTransferResult as R, Transfer, TransferFlags};

use super::flows::{
    failure, ledger_refusal, ledger_transfer_id, movement, submit_one, wallet_of, Outcome,
};
use super::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::bills::records::{self, RecordRow};
use crate::bills::{inquiries, quotes};
use crate::chart::Purpose;
use crate::citizens::identity;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::system_accounts::{biller_collection, system_account_id};

/// What the biller is asked to do for the payment.
enum Order {
    Bill {
        bill_ref: String,
    },
    Contribution {
        scheme: adapters::billing::InsuranceScheme,
        months: u32,
    },
}

async fn record_of(state: &AppState, p: &PaymentRow) -> Result<(RecordRow, Order), ApiError> {
    let (owner, key) = (p.identity_id.clone(), p.idempotency_key.clone());
    db::run(state, move |conn| {
        let missing =
            |what: &str| ApiError::Internal(format!("a biller payment's {what} is missing"));
        let record = records::find(conn, &owner, &key)?.ok_or_else(|| missing("record"))?;
        let order = match (&record.bill_id, &record.quote_id) {
            (Some(bill_id), _) => Order::Bill {
                bill_ref: inquiries::find(conn, bill_id)?
                    .ok_or_else(|| missing("inquiry"))?
                    .bill_ref,
            },
            (None, Some(quote_id)) => {
                let quote = quotes::find(conn, quote_id)?.ok_or_else(|| missing("quote"))?;
                Order::Contribution {
                    scheme: quote.scheme().ok_or_else(|| missing("scheme"))?,
                    months: u32::try_from(quote.months).map_err(|_| missing("months"))?,
                }
            }
            (None, None) => return Err(missing("bill or quote")),
        };
        Ok((record, order))
    })
    .await
}

async fn release(state: &AppState, p: &PaymentRow) -> Result<(), ApiError> {
    let (owner, key) = (p.identity_id.clone(), p.idempotency_key.clone());
    db::run(state, move |conn| records::release(conn, &owner, &key)).await
}

/// Drives a `pending` bill or insurance payment as far as it goes now.
pub(super) async fn to_biller(state: &AppState, p: &PaymentRow) -> Result<Outcome, ApiError> {
    let (record, order) = record_of(state, p).await?;
    let (owner, key, id) = (
        p.identity_id.clone(),
        p.idempotency_key.clone(),
        p.id.clone(),
    );
    let claimed = db::run(state, move |conn| records::claim(conn, &owner, &key, &id)).await?;
    if !claimed {
        return Ok(match order {
            Order::Bill { .. } => failure("bill_already_paid"),
            Order::Contribution { .. } => failure("quote_already_paid"),
        });
    }

    let wallet = wallet_of(state, &p.identity_id).await?;
    let collection = system_account_id(&biller_collection(&record.biller_code));
    let purpose = match p.kind() {
        Some(PaymentKind::Insurance) => Purpose::Insurance,
        _ => Purpose::Bill,
    };
    let hold = Transfer {
        flags: TransferFlags::PENDING,
        ..movement(p, "hold", wallet, collection, purpose)
    };
    match submit_one(state, hold).await? {
        R::Ok | R::Exists => {}
        other => {
            let refused = ledger_refusal(other)?;
            release(state, p).await?;
            return Ok(refused);
        }
    }

    let answer = match order {
        Order::Bill { bill_ref } => {
            state
                .billers
                .confirm_payment(&record.biller_code, &bill_ref, p.amount, &p.id)
                .await
        }
        Order::Contribution { scheme, months } => {
            let owner = p.identity_id.clone();
            let insured = db::run(state, move |conn| identity::find(conn, &owner))
                .await?
                .and_then(|row| row.cccd())
                .ok_or_else(|| {
                    ApiError::Internal("the insured person's number is missing".into())
                })?;
            state
                .billers
                .submit_contribution(scheme, &insured, p.amount, months, &p.id)
                .await
        }
    };
    let resolve = |step: &str, flags: TransferFlags| Transfer {
        id: ledger_transfer_id(&p.id, step),
        pending_id: hold.id,
        flags,
        ..Transfer::default()
    };
    match answer {
        Ok(confirmation) => {
            let (owner, key) = (p.identity_id.clone(), p.idempotency_key.clone());
            db::run(state, move |conn| {
                records::confirm(
                    conn,
                    &owner,
                    &key,
                    &confirmation.biller_transaction_id,
                    confirmation.confirmed_at,
                )
            })
            .await?;
            match submit_one(state, resolve("post", TransferFlags::POST_PENDING_TRANSFER)).await? {
                R::Ok | R::Exists | R::PendingTransferAlreadyPosted => {
                    Ok(Outcome::Finished(PaymentStatus::Succeeded, None))
                }
                other => Err(ApiError::Internal(format!(
                    "posting a bill payment's hold failed: {other}"
                ))),
            }
        }
        Err(e) if e.is_retryable() => {
            tracing::warn!(payment = %p.id, error = %e, "biller did not confirm; will retry");
            Ok(Outcome::StillPending)
        }
        Err(e) => {
            match submit_one(state, resolve("void", TransferFlags::VOID_PENDING_TRANSFER)).await? {
                R::Ok | R::Exists | R::PendingTransferAlreadyVoided => {}
                other => {
                    return Err(ApiError::Internal(format!(
                        "voiding a bill payment's hold failed: {other}"
                    )))
                }
            }
            release(state, p).await?;
            tracing::info!(payment = %p.id, error = %e, "biller refused the payment");
            Ok(failure(e.code()))
        }
    }
}
