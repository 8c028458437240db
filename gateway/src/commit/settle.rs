//! What an outside system did for a payment, recorded inside a batch: the hold posted
//! or voided, a top-up credited, the final status and the answer; a provider's verdict
//! on a top-up order, from its callback or from asking it.

use actix_web::http::StatusCode;
use ledger::{CreateTransferResult as R, TransferBatch};

use super::command::{Confirmation, OutsideResult, Reply};
use super::render;
use super::status::{
    apply_chain, fail, missing, payment, record_key, release_biller_record, set_status, update,
    wallet,
};
use super::working::Working;
use crate::error::ApiError;
use crate::payments::model::{PaymentKind, PaymentStatus};
use crate::payments::provider_orders::ORDER_EXPIRED;
use crate::payments::steps::{self, Resolution};
use crate::system_accounts::{provider_settlement, system_account_id, NAPAS_SETTLEMENT};

/// Records what an outside system did for a payment this instance drove.
pub fn settle(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    result: &OutsideResult,
    answer_status: StatusCode,
) -> Result<Reply, ApiError> {
    let p = payment(w, id)?.clone();
    if p.status() != Some(PaymentStatus::Pending) {
        // Another driver finished it (this one was taken for dead): its outcome stands.
        return render::answer(w, id, answer_status);
    }
    let kind = p.kind().ok_or_else(|| missing("kind", id))?;
    if kind == PaymentKind::Merchant && super::remote_request::claim_call(w, &p).is_some() {
        return super::remote_request::settle_claim(w, ledger, id, result, answer_status);
    }
    let has_holds = matches!(
        kind,
        PaymentKind::Withdrawal | PaymentKind::Bill | PaymentKind::Insurance
    ) || (kind == PaymentKind::Transfer
        && (p.payee_identity_id.is_none() || w.crossing(&p).is_some()));
    match result {
        OutsideResult::Order(answer) => provider_answer(w, ledger, id, answer, answer_status),
        OutsideResult::Unknown if kind == PaymentKind::Topup && p.bank_link_id.is_none() => {
            // The payer never got the provider's page: nothing can be paid.
            fail(w, id, "provider_unavailable", answer_status)
        }
        OutsideResult::Unknown => {
            let now = w.now;
            update(w, id, |p| {
                p.driver = None;
                p.updated_at = now;
            })?;
            render::answer(w, id, answer_status)
        }
        OutsideResult::Refused(code) => {
            if has_holds {
                let outcome = apply_chain(ledger, &steps::resolve_holds(&p, Resolution::Void))?;
                if !matches!(outcome, R::Ok | R::PendingTransferAlreadyVoided) {
                    return Err(ApiError::Internal(format!(
                        "voiding payment {id}'s hold failed: {outcome}"
                    )));
                }
                release_biller_record(w, &p);
            }
            fail(w, id, code, answer_status)
        }
        OutsideResult::Done(Confirmation::ProviderOrder {
            reference,
            redirect_url,
        }) => {
            let now = w.now;
            // The instant the drive began, which the order was created with (VNPay's
            // query must name it to the second).
            let created = p.updated_at;
            if let Some(order) = w.orders.get_mut(&p.id) {
                order.provider_reference = Some(reference.clone());
                order.redirect_url = Some(redirect_url.clone());
                order.created_at = created;
            }
            update(w, id, |p| {
                p.driver = None;
                p.updated_at = now;
            })?;
            render::answer(w, id, answer_status)
        }
        OutsideResult::Done(confirmation) => {
            match confirmation {
                Confirmation::Biller {
                    transaction_id,
                    confirmed_at,
                } => {
                    if let Some(record) = w.records.get_mut(&record_key(&p)) {
                        record.biller_transaction_id = Some(transaction_id.clone());
                        record.confirmed_at = Some(*confirmed_at);
                    }
                }
                Confirmation::PayeeLeg { payee } => {
                    w.remote_payees.insert(p.id.clone(), payee.clone());
                }
                Confirmation::Plain
                | Confirmation::ProviderOrder { .. }
                | Confirmation::RequestClaimed { .. } => {}
            }
            let chain = if has_holds {
                steps::resolve_holds(&p, Resolution::Post)
            } else {
                let wallet = wallet(w, &p)?;
                steps::credit(&p, system_account_id(NAPAS_SETTLEMENT), wallet)
            };
            let outcome = apply_chain(ledger, &chain)?;
            if !matches!(outcome, R::Ok | R::PendingTransferAlreadyPosted) {
                return Err(ApiError::Internal(format!(
                    "completing payment {id} in the ledger failed: {outcome}"
                )));
            }
            set_status(w, id, PaymentStatus::Succeeded, None, None)?;
            render::answer(w, id, answer_status)
        }
    }
}

/// What a provider answered when asked about a late top-up order: a verdict recorded
/// like a callback's, or another wait (twice as long) until the order lapses.
fn provider_answer(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    answer: &adapters::funding::OrderState,
    answer_status: StatusCode,
) -> Result<Reply, ApiError> {
    use adapters::funding::OrderState;
    let p = payment(w, id)?.clone();
    let now = w.now;
    let verdict = match answer {
        OrderState::Paid {
            amount,
            transaction_id,
            result_code,
        } if *amount == p.amount => Some((Ok(()), transaction_id.clone(), result_code.clone())),
        OrderState::Declined { result_code } => {
            let provider = w
                .orders
                .get(&p.id)
                .and_then(|o| crate::funding::parse_provider(&o.provider));
            let code = provider.map_or("provider_declined", |pr| {
                crate::funding::decline_code(pr, result_code)
            });
            Some((Err(code), None, result_code.clone()))
        }
        OrderState::Paid { amount, .. } => {
            tracing::warn!(payment = %id, amount, "a provider reports another amount paid; asking again later");
            None
        }
        OrderState::Pending | OrderState::NotFound => None,
    };
    match verdict {
        Some((outcome, transaction_id, code)) => {
            provider_verdict(w, ledger, id, outcome, &format!("provider query: {code}"))?;
            if let Some(order) = w.orders.get_mut(&p.id) {
                order.recorded_at = Some(now);
                order.provider_transaction_id = transaction_id;
                order.result_code = Some(code);
            }
        }
        None => {
            let lapsed = w
                .orders
                .get(&p.id)
                .is_some_and(|o| o.lapsed(now, w.settings.provider_order_ttl_seconds));
            if let Some(order) = w.orders.get_mut(&p.id) {
                order.queries += 1;
            }
            if lapsed {
                return fail(w, id, ORDER_EXPIRED, answer_status);
            }
            update(w, id, |p| {
                p.driver = None;
                p.updated_at = now;
            })?;
        }
    }
    render::answer(w, id, answer_status)
}

/// A provider's verdict on a top-up order: the credit (provider settlement to the
/// wallet) and the payment's status. A success arriving after the order lapsed still
/// credits the payer, once; one contradicting a failure the provider already reported
/// credits nothing.
pub fn provider_verdict(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    outcome: Result<(), &'static str>,
    detail: &str,
) -> Result<(), ApiError> {
    let success = outcome.is_ok();
    let p = payment(w, id)?.clone();
    let order = w.orders.get(&p.id).ok_or_else(|| missing("order", id))?;
    let lapsed = p.status() == Some(PaymentStatus::Failed)
        && p.failure_code.as_deref() == Some(ORDER_EXPIRED);
    if success && (p.status() == Some(PaymentStatus::Pending) || lapsed) {
        let from = system_account_id(&provider_settlement(&order.provider));
        let outcome = apply_chain(ledger, &steps::credit(&p, from, wallet(w, &p)?))?;
        if outcome != R::Ok {
            return Err(ApiError::Internal(format!(
                "provider top-up credit refused: {outcome}"
            )));
        }
        set_status(w, id, PaymentStatus::Succeeded, None, Some(detail))?;
    } else if success {
        tracing::warn!(payment = %id, status = %p.status, "a provider reports success for a top-up already settled otherwise; nothing credited");
    } else if p.status() == Some(PaymentStatus::Pending) {
        set_status(w, id, PaymentStatus::Failed, outcome.err(), Some(detail))?;
    }
    Ok(())
}
