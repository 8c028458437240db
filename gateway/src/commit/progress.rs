//! Moving a payment on inside a batch: its money steps in the ledger and the outside
//! call it waits for.
//!
//! Every step that involves an outside system has two points that make things
//! durable: before the call (the payment, its hold) and after it (post or void, the
//! final status, the answer; see [`super::settle`]). Both are batches of their own;
//! the call happens in between, with no transaction open. A payment found `pending`
//! with nobody driving it is taken over by reading the ledger first: a step the ledger
//! already holds is never asked of an outside system again.

use actix_web::http::StatusCode;
use adapters::identity::Cccd;
use ledger::shards::clearing;
use ledger::TransferBatch;

use super::command::{Drive, KeyRef, OutsideCall, Reply};
use super::render;
use super::status::{
    apply_chain, change_request, fail, missing, payment, record_key, refused_by_ledger,
    release_biller_record, set_status, update, wallet,
};
use super::working::Working;
use crate::chart::Purpose;
use crate::error::ApiError;
use crate::merchants::requests::{Changes, RequestStatus};
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::payments::provider_orders::ORDER_EXPIRED;
use crate::payments::steps::{self};
use crate::system_accounts::{biller_collection, system_account_id, NAPAS_SETTLEMENT};

/// The outside call a pending payment waits for.
fn call_of(w: &Working, p: &PaymentRow) -> Result<Option<OutsideCall>, ApiError> {
    let link = || {
        p.bank_link_id
            .as_ref()
            .and_then(|id| w.links.get(id))
            .ok_or_else(|| missing("bank link", &p.id))
    };
    Ok(Some(match p.kind() {
        Some(PaymentKind::Withdrawal) => {
            let link = link()?;
            OutsideCall::BankCredit {
                bank_bin: link.bank_bin.clone(),
                account_number: link.account_number.clone(),
                amount: p.amount,
            }
        }
        Some(PaymentKind::Transfer) => match (&p.payee_bank_bin, &p.payee_account) {
            (Some(bin), Some(account)) => OutsideCall::BankCredit {
                bank_bin: bin.clone(),
                account_number: account.clone(),
                amount: p.amount,
            },
            _ => match (w.crossing(p), &p.payee_identity_id) {
                (Some((payer_shard, payee_shard)), Some(payee)) => OutsideCall::PayeeLeg {
                    payer_shard,
                    payee_shard,
                    payee_identity_id: payee.clone(),
                    hold: steps::ledger_transfer_id(&p.id, "hold"),
                    amount: p.amount,
                },
                _ => return Ok(None),
            },
        },
        Some(PaymentKind::Topup) if p.bank_link_id.is_some() => {
            let link = link()?;
            OutsideCall::BankDebit {
                bank_bin: link.bank_bin.clone(),
                account_number: link.account_number.clone(),
                amount: p.amount.saturating_add(p.fee),
            }
        }
        Some(PaymentKind::Topup) => {
            let order = w.orders.get(&p.id).ok_or_else(|| missing("order", &p.id))?;
            let provider = crate::funding::parse_provider(&order.provider)
                .ok_or_else(|| missing("provider", &p.id))?;
            match &order.provider_reference {
                // Created already: the provider's callback settles it; when that is
                // late, the provider is asked (less and less often).
                Some(reference) if order.query_due(w.now) => OutsideCall::ProviderQuery {
                    provider,
                    reference: reference.clone(),
                    created_at: order.created_at,
                },
                Some(_) => return Ok(None),
                None => OutsideCall::ProviderOrder {
                    provider,
                    amount: p.amount,
                },
            }
        }
        Some(PaymentKind::Bill) => {
            let record = w
                .records
                .get(&record_key(p))
                .ok_or_else(|| missing("bill record", &p.id))?;
            let bill = record
                .bill_id
                .as_ref()
                .and_then(|id| w.bills.get(id))
                .ok_or_else(|| missing("bill", &p.id))?;
            OutsideCall::BillerConfirm {
                biller_code: record.biller_code.clone(),
                bill_ref: bill.bill_ref.clone(),
                amount: p.amount,
            }
        }
        Some(PaymentKind::Insurance) => {
            let record = w
                .records
                .get(&record_key(p))
                .ok_or_else(|| missing("insurance record", &p.id))?;
            let quote = record
                .quote_id
                .as_ref()
                .and_then(|id| w.quotes.get(id))
                .ok_or_else(|| missing("quote", &p.id))?;
            let insured = w
                .parties
                .get(&p.identity_id)
                .and_then(|party| Cccd::parse(&party.cccd).ok())
                .ok_or_else(|| missing("insured person", &p.id))?;
            OutsideCall::Contribution {
                scheme: quote.scheme().ok_or_else(|| missing("scheme", &p.id))?,
                insured,
                amount: p.amount,
                months: u32::try_from(quote.months).map_err(|_| missing("months", &p.id))?,
            }
        }
        Some(PaymentKind::Merchant) => match super::remote_request::claim_call(w, p) {
            Some(call) => call,
            None => return Ok(None),
        },
        None => return Ok(None),
    }))
}

/// Hands the payment to this instance to make `call`.
pub(super) fn drive(
    w: &mut Working,
    id: &str,
    call: OutsideCall,
    answer_status: StatusCode,
    key: Option<KeyRef>,
) -> Result<Reply, ApiError> {
    let (me, now) = (w.instance.id, w.now);
    let guard = w.instance.start_driving(id);
    update(w, id, |p| {
        p.driver = Some(me);
        p.updated_at = now;
    })?;
    let payment = payment(w, id)?.clone();
    Ok(Reply::Drive(Box::new(Drive {
        payment,
        key,
        answer_status,
        call,
        guard,
    })))
}

/// The bill or quote a biller payment pays, claimed for it; false when another
/// payment holds it.
fn claim_biller_record(w: &mut Working, p: &PaymentRow) -> Result<bool, ApiError> {
    let id = record_key(p);
    let record = w
        .records
        .get(&id)
        .ok_or_else(|| missing("biller record", &p.id))?;
    if let Some(holder) = w.claims.get(&record.claim_key) {
        return Ok(*holder == id);
    }
    let claim_key = record.claim_key.clone();
    if let Some(record) = w.records.get_mut(&id) {
        record.claimed = true;
        record.payment_id = Some(p.id.clone());
    }
    w.claims.insert(claim_key, id);
    Ok(true)
}

/// Moves a `pending` payment whose money has not moved yet as far as it goes in this
/// batch: to its final status, or to the outside call it waits for.
pub fn proceed(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    answer_status: StatusCode,
    key: Option<KeyRef>,
) -> Result<Reply, ApiError> {
    let p = payment(w, id)?.clone();
    let from = wallet(w, &p)?;
    let napas = system_account_id(NAPAS_SETTLEMENT);
    let holds_toward = |to: u128, purpose: Purpose| steps::holds(&p, from, to, purpose);
    let chain = match p.kind() {
        Some(PaymentKind::Transfer) => match (&p.payee_identity_id, w.crossing(&p)) {
            // The payee is on another shard: hold toward the clearing account, then
            // place their leg there (the outside call), then post or void.
            (Some(_), Some((a, b))) => holds_toward(clearing::outbound(a, b), Purpose::Transfer),
            (Some(payee), None) => {
                let payee = w
                    .parties
                    .get(payee)
                    .ok_or_else(|| missing("payee", id))?
                    .wallet;
                let outcome = apply_chain(ledger, &steps::to_citizen(&p, from, payee))?;
                return match refused_by_ledger(outcome, "a transfer")? {
                    None => {
                        set_status(w, id, PaymentStatus::Succeeded, None, None)?;
                        render::answer(w, id, answer_status)
                    }
                    Some(code) => fail(w, id, code, answer_status),
                };
            }
            (None, _) => holds_toward(napas, Purpose::Transfer),
        },
        Some(PaymentKind::Withdrawal) => holds_toward(napas, Purpose::Withdrawal),
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            if !claim_biller_record(w, &p)? {
                let code = if p.kind() == Some(PaymentKind::Bill) {
                    "bill_already_paid"
                } else {
                    "quote_already_paid"
                };
                return fail(w, id, code, answer_status);
            }
            let biller = w
                .records
                .get(&record_key(&p))
                .map(|r| r.biller_code.clone())
                .ok_or_else(|| missing("biller record", id))?;
            let purpose = if p.kind() == Some(PaymentKind::Bill) {
                Purpose::Bill
            } else {
                Purpose::Insurance
            };
            holds_toward(system_account_id(&biller_collection(&biller)), purpose)
        }
        Some(PaymentKind::Merchant) => return pay_merchant(w, ledger, id, answer_status, key),
        Some(PaymentKind::Topup) | None => Vec::new(),
    };
    if !chain.is_empty() {
        let outcome = apply_chain(ledger, &chain)?;
        if let Some(code) = refused_by_ledger(outcome, "a hold")? {
            release_biller_record(w, &p);
            return fail(w, id, code, answer_status);
        }
    }
    match call_of(w, &p)? {
        Some(call) => drive(w, id, call, answer_status, key),
        None => render::answer(w, id, answer_status),
    }
}

/// Why a request cannot be paid now, if it cannot.
pub fn request_refusal(w: &Working, request_id: &str) -> Option<&'static str> {
    w.requests.get(&request_id.to_string())?.refusal_at(w.now)
}

/// A merchant payment: the request checked open, the money moved (or held for a
/// manual capture), the request paid and its webhook written, all at once.
fn pay_merchant(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    answer_status: StatusCode,
    key: Option<KeyRef>,
) -> Result<Reply, ApiError> {
    let p = payment(w, id)?.clone();
    let request_id = p
        .payment_request_id
        .clone()
        .ok_or_else(|| missing("payment request", id))?;
    if w.request_crossing(&request_id).is_some() {
        return super::remote_request::hold_and_claim(w, ledger, id, answer_status, key);
    }
    if let Some(code) = request_refusal(w, &request_id) {
        return fail(w, id, code, answer_status);
    }
    let request = w
        .requests
        .get(&request_id)
        .cloned()
        .ok_or_else(|| missing("payment request", id))?;
    let merchant = w
        .merchants
        .get(&request.merchant_id)
        .ok_or_else(|| missing("merchant", id))?
        .ledger_id()?;
    let hold = request.is_manual().then(|| {
        let left = (request.expires_at - w.now).num_seconds().max(1);
        u32::try_from(left).unwrap_or(u32::MAX)
    });
    let transfer = steps::to_merchant(&p, wallet(w, &p)?, merchant, hold);
    let outcome = apply_chain(ledger, &[transfer])?;
    if let Some(code) = refused_by_ledger(outcome, "a merchant payment")? {
        return fail(w, id, code, answer_status);
    }
    record_merchant_payment(w, id, answer_status)
}

/// The request paid (or authorized) by the payment whose money has moved, with its
/// webhook, and the payment's status.
pub(super) fn record_merchant_payment(
    w: &mut Working,
    id: &str,
    answer_status: StatusCode,
) -> Result<Reply, ApiError> {
    let request_id = payment(w, id)?
        .payment_request_id
        .clone()
        .ok_or_else(|| missing("payment request", id))?;
    let request = w
        .requests
        .get(&request_id)
        .cloned()
        .ok_or_else(|| missing("payment request", id))?;
    let (to, paid, captured) = if request.is_manual() {
        (RequestStatus::Authorized, PaymentStatus::Authorized, 0)
    } else {
        (
            RequestStatus::Paid,
            PaymentStatus::Succeeded,
            request.amount,
        )
    };
    change_request(
        w,
        &request_id,
        to,
        Changes {
            payment_id: Some(id.to_string()),
            captured_amount: Some(captured),
            refunded_amount: None,
        },
    )?;
    w.revenue.receipt(&request.merchant_id, w.today, captured);
    set_status(w, id, paid, None, Some(&request_id))?;
    render::answer(w, id, answer_status)
}

/// Takes over a `pending` payment nobody drives. The ledger is read first: a post,
/// void or credit it holds decides the payment without asking anyone again; a hold it
/// lacks is made; only then is the outside system asked (again, with the same
/// reference, which it answers from its record if it acted before).
pub fn take_over(
    w: &mut Working,
    ledger: &mut TransferBatch,
    id: &str,
    answer_status: StatusCode,
    key: Option<KeyRef>,
) -> Result<Reply, ApiError> {
    let p = payment(w, id)?.clone();
    if p.status() != Some(PaymentStatus::Pending) {
        return render::answer(w, id, answer_status);
    }
    let done = |step: &str| {
        ledger
            .transfer(steps::ledger_transfer_id(&p.id, step))
            .is_some()
    };
    let held = done("hold");
    let merchant_held = ledger
        .transfer(steps::merchant_transfer_id(&p.id))
        .is_some();
    let remote_request = p
        .payment_request_id
        .as_ref()
        .is_some_and(|r| w.request_crossing(r).is_some());
    let (posted, voided, credited) = (done("post"), done("void"), done("credit"));
    match p.kind() {
        Some(PaymentKind::Topup) if credited => {
            set_status(
                w,
                id,
                PaymentStatus::Succeeded,
                None,
                Some("resumed_from_ledger"),
            )?;
            return render::answer(w, id, answer_status);
        }
        Some(PaymentKind::Topup) => {
            // Ask the provider first: the payer may have paid just before the end.
            let lapsed = w.orders.get(&p.id).is_some_and(|o| {
                !o.query_due(w.now) && o.lapsed(w.now, w.settings.provider_order_ttl_seconds)
            });
            if lapsed {
                return fail(w, id, ORDER_EXPIRED, answer_status);
            }
        }
        _ if posted => {
            set_status(
                w,
                id,
                PaymentStatus::Succeeded,
                None,
                Some("resumed_from_ledger"),
            )?;
            return render::answer(w, id, answer_status);
        }
        _ if voided => {
            release_biller_record(w, &p);
            return fail(w, id, "outside_refused", answer_status);
        }
        Some(PaymentKind::Withdrawal | PaymentKind::Bill | PaymentKind::Insurance) if !held => {
            return proceed(w, ledger, id, answer_status, key)
        }
        Some(PaymentKind::Transfer) if !held => return proceed(w, ledger, id, answer_status, key),
        // Toward a request on another shard: a pending one is held here (its hold was
        // made with it pending), so claim the request (again).
        Some(PaymentKind::Merchant) if remote_request => {}
        Some(PaymentKind::Merchant) if merchant_held => {
            // The money moved but the request was never told: finish it from the
            // ledger, whatever the clock says of the request now.
            return record_merchant_payment(w, id, answer_status);
        }
        Some(PaymentKind::Merchant) | None => return proceed(w, ledger, id, answer_status, key),
        _ => {}
    }
    match call_of(w, &p)? {
        Some(call) => drive(w, id, call, answer_status, key),
        None => {
            // Waiting on a provider's callback: look again later.
            let now = w.now;
            update(w, id, |p| {
                p.updated_at = now;
                p.driver = None;
            })?;
            render::answer(w, id, answer_status)
        }
    }
}
