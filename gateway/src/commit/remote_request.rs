//! Inside a batch on the payer's home shard: paying a payment request that lives on
//! another. The money is held toward the merchant's account on this shard (every
//! shard keeps one per merchant, as it does a collection account per biller) in the
//! batch that makes the payment; the claim on the request's shard is the outside call
//! (`merchants::claims`); the settling batch then posts the hold (or keeps it, as the
//! authorization of a manual capture) and writes the request's copy here, with its
//! status and webhook, or voids the hold when the claim was refused.

use actix_web::http::StatusCode;
use ledger::{CreateTransferResult as R, TransferBatch};

use super::command::{Confirmation, KeyRef, OutsideCall, OutsideResult, Reply};
use super::progress::{drive, record_merchant_payment};
use super::render;
use super::status::{apply_chain, fail, missing, payment, refused_by_ledger, update, wallet};
use super::working::Working;
use crate::error::ApiError;
use crate::payments::model::PaymentRow;
use crate::payments::steps;

/// The claim a payment of a request on another shard waits for, if its request is
/// on another shard.
pub fn claim_call(w: &Working, p: &PaymentRow) -> Option<OutsideCall> {
    let request_id = p.payment_request_id.as_ref()?;
    let (payer_shard, request_shard) = w.request_crossing(request_id)?;
    Some(OutsideCall::ClaimRequest {
        payer_shard,
        request_shard,
        request_id: request_id.clone(),
        amount: p.amount,
    })
}

/// Holds the payer's money toward the merchant's account here, then hands the
/// payment to this instance to claim the request.
pub fn hold_and_claim(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    answer_status: StatusCode,
    key: Option<KeyRef>,
) -> Result<Reply, ApiError> {
    let p = payment(w, id)?.clone();
    let call = claim_call(w, &p).ok_or_else(|| missing("request on another shard", id))?;
    let request = p
        .payment_request_id
        .as_ref()
        .and_then(|r| w.remote_requests.get(r))
        .cloned();
    let Some(request) = request else {
        // Only a payment's own command carries the request it claims.
        return fail(w, id, "payment_request_not_open", answer_status);
    };
    if let Some(code) = request.refusal_at(w.now) {
        return fail(w, id, code, answer_status);
    }
    let Some(merchant) = w.merchants.get(&request.merchant_id) else {
        tracing::error!(merchant = %request.merchant_id, "a merchant has no account on a payer's shard");
        return fail(w, id, "merchant_unavailable", answer_status);
    };
    // No timeout: the claim decides within one outside call, and an authorization
    // lapses with its request's expiry, which this shard's expiry task applies.
    let transfer = steps::to_merchant(&p, wallet(w, &p)?, merchant.ledger_id()?, Some(0));
    let outcome = apply_chain(ledger, &[transfer])?;
    if let Some(code) = refused_by_ledger(outcome, "a merchant payment's hold")? {
        return fail(w, id, code, answer_status);
    }
    drive(w, id, call, answer_status, key)
}

/// Records what the request's shard did with the claim.
pub fn settle_claim(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    result: &OutsideResult,
    answer_status: StatusCode,
) -> Result<Reply, ApiError> {
    match result {
        OutsideResult::Done(Confirmation::RequestClaimed { request }) => {
            let mut copy = (**request).clone();
            // The copy lives here: it is nobody's claim.
            copy.claimed_shard = None;
            copy.claimed_at = None;
            let manual = copy.is_manual();
            let amount = copy.amount;
            match w.requests.get_mut(&copy.id) {
                Some(row) => *row = copy,
                None => w.requests.insert(copy.id.clone(), copy),
            }
            if !manual {
                let outcome = apply_chain(ledger, &[steps::capture(id, amount)])?;
                if !matches!(outcome, R::Ok | R::PendingTransferAlreadyPosted) {
                    return Err(ApiError::Internal(format!(
                        "posting merchant payment {id}'s hold failed: {outcome}"
                    )));
                }
            }
            record_merchant_payment(w, id, answer_status)
        }
        OutsideResult::Refused(code) => {
            let outcome = apply_chain(ledger, &[steps::release(id)])?;
            if !matches!(outcome, R::Ok | R::PendingTransferAlreadyVoided) {
                return Err(ApiError::Internal(format!(
                    "voiding merchant payment {id}'s hold failed: {outcome}"
                )));
            }
            fail(w, id, code, answer_status)
        }
        OutsideResult::Unknown | OutsideResult::Done(_) | OutsideResult::Order(_) => {
            // Ask again later, with the same claim.
            let now = w.now;
            update(w, id, |p| {
                p.driver = None;
                p.updated_at = now;
            })?;
            render::answer(w, id, answer_status)
        }
    }
}
