//! An operator's resolution of a reconciliation difference, inside a batch: the
//! payment's state checked again (it may have moved on since the run), the money moved
//! through the ledger, the payment's status and the citizen's totals kept in step, and
//! the audit record written, all in one transaction and once per key and difference.

use actix_web::http::StatusCode;
use ledger::{CreateTransferResult as R, Transfer, TransferBatch};

use super::command::{Confirmation, KeyClaim, OutsideResult, Reply};
use super::keys::{json_answer, once};
use super::plan::{outside_account, wallet_of};
use super::settle;
use super::status::{self, apply_chain};
use super::working::Working;
use crate::error::ApiError;
use crate::ids::{self, TRANSFER};
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::reconciliation::adjust;
use crate::reconciliation::matching::{Action, DiscrepancyKind};
use crate::reconciliation::resolve::{gap, ResolveRequest};
use crate::reconciliation::store::ResolutionRow;
use crate::reconciliation::views::DiscrepancyView;

/// Why the payment's failure is recorded when a hold is released on reconciliation.
const NOT_SETTLED: &str = "not_settled_by_outside_system";
/// The failure code of a payment booked back because the outside system never made it.
const REVERSED: &str = "reversed_by_reconciliation";

fn moved_on(status: &str) -> ApiError {
    tracing::info!(%status, "a reconciliation difference's payment moved on");
    ApiError::Conflict {
        code: "payment_state_changed",
        message: "the payment is no longer where the run found it; run reconciliation again",
    }
}

fn refused(result: R, payment_id: &str) -> Result<(), ApiError> {
    match result {
        R::Ok => Ok(()),
        R::ExceedsCredits | R::IdAlreadyFailed => Err(ApiError::InsufficientFunds {
            payment_id: Some(payment_id.to_string()),
        }),
        R::ExistsWithDifferentAmount => Err(ApiError::Conflict {
            code: "payment_already_adjusted",
            message: "this payment's amount was adjusted by another resolution already",
        }),
        other => Err(ApiError::Internal(format!(
            "ledger refused a reconciliation transfer: {other}"
        ))),
    }
}

/// What a resolution did: the main transfer, its amount, the payment's status.
struct Done {
    transfer: Option<u128>,
    amount: Option<i64>,
}

fn chain_done(chain: &[Transfer]) -> Done {
    Done {
        transfer: chain.first().map(|t| t.id),
        amount: chain
            .first()
            .map(|t| i64::try_from(t.amount).unwrap_or(i64::MAX)),
    }
}

fn status_of(w: &Working, id: &str) -> Option<PaymentStatus> {
    w.payments.get(&id.to_string()).and_then(PaymentRow::status)
}

/// Moves the money `action` asks for and the payment's status with it.
fn act(
    w: &mut Working,
    ledger: &mut TransferBatch,
    d: &DiscrepancyView,
    action: Action,
    detail: &str,
) -> Result<Done, ApiError> {
    let none = Done {
        transfer: None,
        amount: None,
    };
    if action == Action::Dismiss {
        return Ok(none);
    }
    let id = d
        .payment_id
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("difference {} names no payment", d.id)))?;
    let p = w
        .payments
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::Internal(format!("payment {id} is not in the batch")))?;
    let status = p.status().ok_or_else(|| moved_on(&p.status))?;
    let accounts = wallet_of(w, &p.identity_id).zip(outside_account(w, &p));
    let (wallet, outside) = accounts
        .ok_or_else(|| ApiError::Internal(format!("payment {id}'s accounts are unknown")))?;
    let answer = StatusCode::OK;
    match (action, d.kind, status) {
        // Still waiting: settle it as the outside system did (a provider's top-up by
        // its verdict, as its callback would have).
        (Action::Credit, DiscrepancyKind::StatusMismatch, PaymentStatus::Pending)
            if p.kind() == Some(PaymentKind::Topup) && p.bank_link_id.is_none() =>
        {
            settle::provider_verdict(w, ledger, &id, Ok(()), detail)?;
            Ok(none)
        }
        (Action::PostHold, _, PaymentStatus::Pending)
        | (Action::Credit, DiscrepancyKind::StatusMismatch, PaymentStatus::Pending) => {
            settle::settle(
                w,
                ledger,
                &id,
                &OutsideResult::Done(Confirmation::Plain),
                answer,
            )?;
            Ok(none)
        }
        (Action::VoidHold, _, PaymentStatus::Pending) => {
            settle::settle(w, ledger, &id, &OutsideResult::Refused(NOT_SETTLED), answer)?;
            Ok(none)
        }
        // They settled what we failed: book it as it should have gone.
        (Action::Credit, DiscrepancyKind::StatusMismatch, PaymentStatus::Failed) => {
            let chain = adjust::complete(&p, wallet, outside);
            refused(apply_chain(ledger, &chain)?, &id)?;
            status::set_status(w, &id, PaymentStatus::Succeeded, None, Some(detail))?;
            Ok(chain_done(&chain))
        }
        // We settled what they did not make: book it back.
        (
            Action::Reverse,
            DiscrepancyKind::StatusMismatch | DiscrepancyKind::MissingAtThem,
            PaymentStatus::Succeeded,
        ) => {
            let chain = adjust::undo(&p, wallet, outside);
            refused(apply_chain(ledger, &chain)?, &id)?;
            status::set_status(w, &id, PaymentStatus::Failed, Some(REVERSED), Some(detail))?;
            Ok(chain_done(&chain))
        }
        (
            Action::Credit | Action::Reverse,
            DiscrepancyKind::AmountMismatch,
            PaymentStatus::Succeeded,
        ) => {
            let amount = gap(d).ok_or_else(|| moved_on(&p.status))?;
            let transfer =
                adjust::difference(&p, action, wallet, outside, amount).ok_or_else(|| {
                    ApiError::Internal(format!("payment {id} has no difference transfer"))
                })?;
            refused(apply_chain(ledger, std::slice::from_ref(&transfer))?, &id)?;
            let (now, code) = (w.now, p.failure_code.clone());
            status::update(w, &id, |row| {
                row.set_status(status, code.as_deref(), Some(detail), now)
            })?;
            Ok(Done {
                transfer: Some(transfer.id),
                amount: Some(amount),
            })
        }
        _ => Err(moved_on(&p.status)),
    }
}

/// `POST /v1/admin/reconciliation/discrepancies/{id}/resolve`.
pub fn resolve(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    request: &ResolveRequest,
) -> Result<Reply, ApiError> {
    let d = &request.discrepancy;
    once(w, key, &d.id, |w| {
        if w.resolved.contains(&d.id) {
            return Err(ApiError::Conflict {
                code: "discrepancy_already_resolved",
                message: "this difference was resolved already",
            });
        }
        let detail = format!(
            "reconciliation {} ({}): {}",
            request.action.as_str(),
            d.id,
            request.reason
        );
        let done = act(w, ledger, d, request.action, &detail)?;
        let payment_status = d
            .payment_id
            .as_deref()
            .and_then(|id| status_of(w, id))
            .map(|s| s.as_str().to_string());
        let row = ResolutionRow {
            discrepancy_id: d.id.clone(),
            action: request.action.as_str().to_string(),
            reason: request.reason.clone(),
            operator: request.operator.clone(),
            transfer_id: done.transfer.map(|t| ids::encode(TRANSFER, t)),
            amount: done.amount,
            payment_status,
            created_at: w.now,
        };
        let view = DiscrepancyView {
            resolution: Some(row.view()?),
            ..d.clone()
        };
        w.resolved.insert(d.id.clone());
        w.resolutions.push(row);
        json_answer(StatusCode::OK, &view)
    })
}
