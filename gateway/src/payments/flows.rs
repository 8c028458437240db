//! The steps that move a payment's money, each idempotent so a payment can be driven
//! again after a crash or an outside system's silence: ledger transfer ids derive from
//! the payment id, and outside systems get the payment id as their reference.
//!
//! - transfer to a citizen: one ledger transfer, wallet to wallet;
//! - top-up from a bank link: the bank debit first, then the ledger credit (a bank
//!   failure moves nothing);
//! - withdrawal, or transfer to a bank account: a pending hold on the wallet, the bank
//!   credit, then post the hold, or void it when the bank refuses.
//!
//! A bank that times out or is unavailable leaves the payment `pending` (with its hold
//! in place): whether it acted is unknown until the same reference is retried.

use chrono::Utc;
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use ledger::{CreateTransferResult as R, Transfer, TransferFlags};
use sha2::{Digest, Sha256};

use super::model::{PaymentKind, PaymentRow, PaymentStatus};
use super::store;
use crate::chart::{Purpose, VND};
use crate::citizens::{bank_links, identity};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::system_accounts::{system_account_id, FEE_REVENUE, NAPAS_SETTLEMENT};

/// The ledger transfer id of one step of a payment: the same on every attempt.
pub fn ledger_transfer_id(payment_id: &str, step: &str) -> u128 {
    let digest = Sha256::digest(format!("ledger-transfer:{payment_id}:{step}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes[4..].copy_from_slice(&digest[..12]);
    u128::from_be_bytes(bytes).max(1)
}

pub(super) fn failure(code: &'static str) -> Outcome {
    Outcome::Finished(PaymentStatus::Failed, Some(code))
}

/// Where one drive of a payment got to.
pub(super) enum Outcome {
    Finished(PaymentStatus, Option<&'static str>),
    StillPending,
}

pub(super) async fn submit_one(state: &AppState, transfer: Transfer) -> Result<R, ApiError> {
    let results = state.writer.submit(vec![transfer]).await?;
    results
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal("the ledger answered no result".into()))
}

/// Submits transfers as one linked chain (all or nothing) and answers its outcome: the
/// chain applied (now, or on an earlier attempt: one member existing means all do), or
/// the failing member's own result.
async fn submit_chain(state: &AppState, mut chain: Vec<Transfer>) -> Result<R, ApiError> {
    let last = chain.len().saturating_sub(1);
    for (i, t) in chain.iter_mut().enumerate() {
        if i < last {
            t.flags = t.flags | TransferFlags::LINKED;
        }
    }
    let results = state.writer.submit(chain).await?;
    if results.first() == Some(&R::Exists) || results.iter().all(|r| *r == R::Ok) {
        return Ok(R::Ok);
    }
    Ok(results
        .iter()
        .copied()
        .find(|r| !matches!(r, R::Ok | R::LinkedEventFailed))
        .unwrap_or(R::LinkedEventFailed))
}

/// The payment's fee as a transfer of the same shape as `main`, to fee revenue.
fn with_fee(p: &PaymentRow, step: &str, main: Transfer, fee_payer: u128) -> Vec<Transfer> {
    let mut chain = vec![main];
    if p.fee > 0 {
        chain.push(Transfer {
            id: ledger_transfer_id(&p.id, &format!("{step}-fee")),
            debit_account_id: fee_payer,
            credit_account_id: system_account_id(FEE_REVENUE),
            amount: p.fee.unsigned_abs(),
            code: Purpose::Fee.code(),
            ..main
        });
    }
    chain
}

pub(super) fn movement(
    payment: &PaymentRow,
    step: &str,
    debit: u128,
    credit: u128,
    purpose: Purpose,
) -> Transfer {
    Transfer {
        id: ledger_transfer_id(&payment.id, step),
        debit_account_id: debit,
        credit_account_id: credit,
        amount: payment.amount.unsigned_abs(),
        ledger: VND,
        code: purpose.code(),
        ..Transfer::default()
    }
}

pub(super) async fn wallet_of(state: &AppState, identity_id: &str) -> Result<u128, ApiError> {
    let id = identity_id.to_string();
    let row = db::run(state, move |conn| identity::find(conn, &id))
        .await?
        .ok_or_else(|| ApiError::Internal("payment's identity is missing".into()))?;
    row.wallet_ledger_id()
}

/// The bank account a payment pays from or to.
async fn bank_account_of(
    state: &AppState,
    payment: &PaymentRow,
) -> Result<(String, String), ApiError> {
    if let (Some(bin), Some(account)) = (&payment.payee_bank_bin, &payment.payee_account) {
        return Ok((bin.clone(), account.clone()));
    }
    let (owner, link_id) = (
        payment.identity_id.clone(),
        payment.bank_link_id.clone().unwrap_or_default(),
    );
    let link = db::run(state, move |conn| {
        bank_links::find_own(conn, &owner, &link_id)
    })
    .await?
    .ok_or_else(|| ApiError::Internal("payment's bank link is missing".into()))?;
    Ok((link.bank_bin, link.account_number))
}

pub(super) fn ledger_refusal(result: R) -> Result<Outcome, ApiError> {
    match result {
        R::ExceedsCredits | R::IdAlreadyFailed => Ok(failure("insufficient_funds")),
        other => Err(ApiError::Internal(format!(
            "ledger refused a payment step: {other}"
        ))),
    }
}

async fn to_citizen(state: &AppState, p: &PaymentRow) -> Result<Outcome, ApiError> {
    let payer = wallet_of(state, &p.identity_id).await?;
    let payee_id = p.payee_identity_id.clone().unwrap_or_default();
    let payee = wallet_of(state, &payee_id).await?;
    let main = movement(p, "move", payer, payee, Purpose::Transfer);
    match submit_chain(state, with_fee(p, "move", main, payer)).await? {
        R::Ok | R::Exists => Ok(Outcome::Finished(PaymentStatus::Succeeded, None)),
        other => ledger_refusal(other),
    }
}

async fn topup_from_bank(state: &AppState, p: &PaymentRow) -> Result<Outcome, ApiError> {
    let (bin, account) = bank_account_of(state, p).await?;
    let charged = p.amount.saturating_add(p.fee);
    match state.bank.debit(&bin, &account, charged, &p.id).await {
        Ok(_) => {}
        Err(e) if e.is_retryable() => return Ok(Outcome::StillPending),
        Err(e) => return Ok(failure(e.code())),
    }
    let wallet = wallet_of(state, &p.identity_id).await?;
    let settlement = system_account_id(NAPAS_SETTLEMENT);
    let main = movement(p, "credit", settlement, wallet, Purpose::Topup);
    match submit_chain(state, with_fee(p, "credit", main, settlement)).await? {
        R::Ok | R::Exists => Ok(Outcome::Finished(PaymentStatus::Succeeded, None)),
        other => Err(ApiError::Internal(format!(
            "top-up credit refused by the ledger: {other}"
        ))),
    }
}

async fn out_to_bank(
    state: &AppState,
    p: &PaymentRow,
    purpose: Purpose,
) -> Result<Outcome, ApiError> {
    let wallet = wallet_of(state, &p.identity_id).await?;
    let settlement = system_account_id(NAPAS_SETTLEMENT);
    let hold = Transfer {
        flags: TransferFlags::PENDING,
        ..movement(p, "hold", wallet, settlement, purpose)
    };
    let holds = with_fee(p, "hold", hold, wallet);
    match submit_chain(state, holds.clone()).await? {
        R::Ok | R::Exists => {}
        other => return ledger_refusal(other),
    }
    let (bin, account) = bank_account_of(state, p).await?;
    // Post or void every hold of the chain, as one chain.
    let resolve = |step: &str, flags: TransferFlags| -> Vec<Transfer> {
        holds
            .iter()
            .enumerate()
            .map(|(i, h)| Transfer {
                id: ledger_transfer_id(
                    &p.id,
                    &if i == 0 {
                        step.to_string()
                    } else {
                        format!("{step}-fee")
                    },
                ),
                pending_id: h.id,
                flags,
                ..Transfer::default()
            })
            .collect()
    };
    match state.bank.credit(&bin, &account, p.amount, &p.id).await {
        Ok(_) => {
            match submit_chain(state, resolve("post", TransferFlags::POST_PENDING_TRANSFER)).await?
            {
                R::Ok | R::Exists | R::PendingTransferAlreadyPosted => {
                    Ok(Outcome::Finished(PaymentStatus::Succeeded, None))
                }
                other => Err(ApiError::Internal(format!(
                    "posting a hold failed: {other}"
                ))),
            }
        }
        Err(e) if e.is_retryable() => Ok(Outcome::StillPending),
        Err(e) => {
            match submit_chain(state, resolve("void", TransferFlags::VOID_PENDING_TRANSFER)).await?
            {
                R::Ok | R::Exists | R::PendingTransferAlreadyVoided => Ok(failure(e.code())),
                other => Err(ApiError::Internal(format!(
                    "voiding a hold failed: {other}"
                ))),
            }
        }
    }
}

/// Drives a `pending` payment as far as it can go now and returns it as it stands.
/// Payments in any other status are returned unchanged.
pub async fn advance(state: &AppState, payment: PaymentRow) -> Result<PaymentRow, ApiError> {
    if payment.status() != Some(PaymentStatus::Pending) {
        return Ok(payment);
    }
    let outcome = match payment.kind() {
        Some(PaymentKind::Transfer) if payment.payee_identity_id.is_some() => {
            to_citizen(state, &payment).await?
        }
        Some(PaymentKind::Transfer) => out_to_bank(state, &payment, Purpose::Transfer).await?,
        Some(PaymentKind::Withdrawal) => out_to_bank(state, &payment, Purpose::Withdrawal).await?,
        Some(PaymentKind::Topup) if payment.bank_link_id.is_some() => {
            topup_from_bank(state, &payment).await?
        }
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            super::bills::to_biller(state, &payment).await?
        }
        // A provider top-up: its order is created once, then its callback settles it.
        Some(PaymentKind::Topup) => {
            match super::provider_topups::open_order(state, &payment).await? {
                Some((status, code)) => Outcome::Finished(status, Some(code)),
                None => Outcome::StillPending,
            }
        }
        Some(PaymentKind::Merchant) => {
            match crate::merchants::pay::advance(state, &payment).await? {
                Some((status, code)) => Outcome::Finished(status, code),
                None => Outcome::StillPending,
            }
        }
        None => Outcome::StillPending,
    };
    let id = payment.id.clone();
    db::run(state, move |conn| {
        match outcome {
            Outcome::Finished(status, code) => {
                store::transition(conn, &id, PaymentStatus::Pending, status, code, code)?;
            }
            Outcome::StillPending => {
                // Touch it so the resumer waits before trying again.
                diesel::update(crate::schema::payments::table.find(&id))
                    .set(crate::schema::payments::updated_at.eq(Utc::now()))
                    .execute(conn)?;
            }
        }
        store::find(conn, &id)?.ok_or(ApiError::NotFound("payment"))
    })
    .await
}

/// Drives every payment left pending for a while; run periodically.
pub async fn resume_stale(state: &AppState) -> Result<usize, ApiError> {
    let before = Utc::now() - chrono::Duration::seconds(10);
    let stale = db::run(state, move |conn| store::stale_pending(conn, before, 100)).await?;
    let count = stale.len();
    for payment in stale {
        let id = payment.id.clone();
        if let Err(e) = advance(state, payment).await {
            tracing::warn!(payment = %id, error = %e, "resuming a pending payment failed");
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_are_stable_distinct_and_encodable() {
        let a = ledger_transfer_id("pay_1", "hold");
        assert_eq!(a, ledger_transfer_id("pay_1", "hold"));
        assert_ne!(a, ledger_transfer_id("pay_1", "post"));
        assert_ne!(a, ledger_transfer_id("pay_2", "hold"));
        assert!(a < 1 << 96);
        assert!(crate::ids::encode(crate::ids::TRANSFER, a).len() <= 24);
    }
}
