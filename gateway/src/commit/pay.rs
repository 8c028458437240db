//! A citizen starting a payment, and confirming one with a step-up: the checks in the
//! order the API fixes (permission, existence, state, business rules), the rules
//! against the running totals, the payment recorded with its id derived from the
//! idempotency key, then moved as far as it goes (`progress`).

use actix_web::http::StatusCode;
use adapters::vneid::AuthMethod;
use ledger::TransferBatch;

use super::command::{Caller, KeyClaim, NewPayment, PayeeRef, Reply, StepUp};
use super::keys::{self, Claimed};
use super::progress;
use super::render;
use super::status;
use super::working::Working;
use crate::bills::receipts::quote_already_paid;
use crate::bills::records::{bill_claim_key, quote_claim_key, RecordRow};
use crate::config::Fees;
use crate::error::ApiError;
use crate::ids;
use crate::merchants::pay::conflict;
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::payments::provider_orders::ProviderOrderRow;
use crate::rules::{decide, decide_confirmed, CapClass, Decision};

/// The fee the payer pays on top of the amount.
pub fn fee(fees: &Fees, payment: &NewPayment) -> i64 {
    match payment {
        NewPayment::BankTopup { .. } => fees.topup,
        NewPayment::Withdrawal { .. } => fees.withdrawal,
        NewPayment::ToCitizen { .. } | NewPayment::ToBankAccount { .. } => fees.transfer,
        NewPayment::ProviderTopup { .. }
        | NewPayment::Bill { .. }
        | NewPayment::Insurance { .. }
        | NewPayment::Merchant { .. } => 0,
    }
}

fn refusal(decision: Decision) -> Option<ApiError> {
    match decision {
        Decision::CapExceeded { cap, limit, used } => {
            Some(ApiError::MonthlyLimitExceeded { cap, limit, used })
        }
        Decision::Proceed | Decision::RequireStepUp => None,
    }
}

/// What the payment is, resolved against the batch: its row as it will be made, and
/// what else is made with it.
struct Resolved {
    row: PaymentRow,
    record: Option<RecordRow>,
    order: Option<ProviderOrderRow>,
}

fn resolve(
    w: &Working,
    key: &KeyClaim,
    caller: &Caller,
    payment: &NewPayment,
    id: &str,
) -> Result<Resolved, ApiError> {
    let now = w.now;
    let mut row = PaymentRow::blank(
        id.to_string(),
        &caller.identity_id,
        0,
        fee(&w.settings.fees, payment),
        now,
    );
    row.idempotency_key = key.key.clone();
    let (mut record, mut order) = (None, None);
    let own_link = |link_id: &str| {
        w.links
            .get(link_id)
            .filter(|l| l.identity_id == caller.identity_id)
            .ok_or(ApiError::NotFound("bank link"))
    };
    let (kind, amount, essential_merchant) = match payment {
        NewPayment::ToCitizen {
            payee,
            amount,
            note,
        } => {
            let payee_id = match payee {
                PayeeRef::Cccd(cccd) => w.by_cccd.get(cccd).cloned(),
                PayeeRef::Phone(phone) => match w.by_phone.get(phone).map(Vec::as_slice) {
                    Some([only]) => Some(only.clone()),
                    Some([_, _, ..]) => return Err(ApiError::PayeePhoneAmbiguous),
                    _ => None,
                },
                PayeeRef::Remote { identity_id } => {
                    w.shards_toward(identity_id).map(|_| identity_id.clone())
                }
            }
            .ok_or(ApiError::PayeeNotFound)?;
            if payee_id == caller.identity_id {
                return Err(ApiError::BusinessRule {
                    code: "payee_is_payer",
                    message: "a citizen cannot transfer to their own wallet",
                });
            }
            row.payee_identity_id = Some(payee_id);
            row.note = note.clone();
            (PaymentKind::Transfer, *amount, false)
        }
        NewPayment::ToBankAccount {
            bank_bin,
            account_number,
            amount,
            note,
        } => {
            row.payee_bank_bin = Some(bank_bin.clone());
            row.payee_account = Some(account_number.clone());
            row.note = note.clone();
            (PaymentKind::Transfer, *amount, false)
        }
        NewPayment::Withdrawal {
            bank_link_id,
            amount,
        } => {
            row.bank_link_id = Some(own_link(bank_link_id)?.id.clone());
            (PaymentKind::Withdrawal, *amount, false)
        }
        NewPayment::BankTopup {
            bank_link_id,
            amount,
        } => {
            row.bank_link_id = Some(own_link(bank_link_id)?.id.clone());
            (PaymentKind::Topup, *amount, false)
        }
        NewPayment::ProviderTopup { provider, amount } => {
            order = Some(ProviderOrderRow {
                payment_id: id.to_string(),
                provider: provider.as_str().to_string(),
                provider_reference: None,
                redirect_url: None,
                amount: *amount,
                created_at: now,
                recorded_at: None,
                provider_transaction_id: None,
                result_code: None,
                queries: 0,
            });
            (PaymentKind::Topup, *amount, false)
        }
        NewPayment::Bill { bill_id } => {
            let bill = w
                .bills
                .get(bill_id)
                .filter(|b| b.identity_id == caller.identity_id)
                .ok_or(ApiError::NotFound("bill"))?;
            if bill.was_paid() {
                return Err(ApiError::BillAlreadyPaid { payment_id: None });
            }
            if let Some(holder) = w
                .claims
                .get(&bill_claim_key(&bill.biller_code, &bill.bill_ref))
                .and_then(|h| w.records.get(h))
            {
                // Another citizen's payment id is none of this one's business.
                let mine = holder.identity_id == caller.identity_id;
                return Err(ApiError::BillAlreadyPaid {
                    payment_id: holder.payment_id.clone().filter(|_| mine),
                });
            }
            record = Some(RecordRow::for_bill(
                &caller.identity_id,
                &key.key,
                &bill.id,
                &bill.biller_code,
                &bill.bill_ref,
            ));
            (PaymentKind::Bill, bill.amount_due, false)
        }
        NewPayment::Insurance { quote_id } => {
            let quote = w
                .quotes
                .get(quote_id)
                .filter(|q| q.identity_id == caller.identity_id)
                .ok_or(ApiError::NotFound("quote"))?;
            if w.claims.contains_key(&quote_claim_key(&quote.id)) {
                return Err(quote_already_paid());
            }
            if quote.is_expired(now) {
                return Err(ApiError::Conflict {
                    code: "quote_expired",
                    message: "this quote has expired; ask for a new one",
                });
            }
            record = Some(RecordRow::for_quote(
                &caller.identity_id,
                &key.key,
                &quote.id,
                &quote.biller_code,
            ));
            (PaymentKind::Insurance, quote.amount, false)
        }
        NewPayment::Merchant {
            request_id,
            qr_amount,
            ..
        } => {
            // A request on another home shard is checked as read there; a copy here
            // means a payment here claimed it already.
            let request = w
                .requests
                .get(request_id)
                .or_else(|| w.remote_requests.get(request_id))
                .ok_or(ApiError::NotFound("payment request"))?;
            // A scanned code must ask for exactly what the request does.
            if qr_amount.is_some_and(|a| a != Some(request.amount.unsigned_abs())) {
                return Err(ApiError::InvalidQr("amount_mismatch"));
            }
            if let Some(code) = request.refusal_at(w.now) {
                return Err(conflict(code));
            }
            let essential = w
                .merchants
                .get(&request.merchant_id)
                .is_some_and(|m| m.is_essential());
            row.payment_request_id = Some(request.id.clone());
            row.note = Some(request.id.clone());
            (PaymentKind::Merchant, request.amount, essential)
        }
    };
    row.kind = kind.as_str().to_string();
    row.amount = amount;
    row.cap = kind.cap(essential_merchant).as_str().to_string();
    if let Some(record) = &mut record {
        record.payment_id = Some(id.to_string());
        record.created_at = now;
    }
    Ok(Resolved { row, record, order })
}

fn start(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    caller: &Caller,
    payment: &NewPayment,
    id: &str,
) -> Result<Reply, ApiError> {
    if caller.vneid_level < 2 {
        return Err(ApiError::VneidLevelInsufficient);
    }
    let Resolved {
        mut row,
        record,
        order,
    } = resolve(w, key, caller, payment, id)?;
    let usage = w
        .usage
        .get(&caller.identity_id)
        .map(|u| u.usage_on(w.today))
        .unwrap_or_default();
    let caps = w.settings.rules.caps_on(w.today);
    let new_device = caller.device_id.as_ref().is_some_and(|device| {
        !w.devices
            .contains(&(caller.identity_id.clone(), device.clone()))
    });
    let decision = decide(
        &w.settings.rules,
        caps,
        usage,
        row.amount,
        row.cap_class(),
        new_device,
    );
    if let Some(refused) = refusal(decision) {
        return Err(refused);
    }
    let status = match decision {
        Decision::RequireStepUp => PaymentStatus::RequiresStepUp,
        _ => PaymentStatus::Pending,
    };
    row.set_status(status, None, None, w.now);
    status::create(w, row)?;
    if let Some(record) = record {
        w.records.insert(
            (record.identity_id.clone(), record.idempotency_key.clone()),
            record,
        );
    }
    if let Some(order) = order {
        w.orders.insert(order.payment_id.clone(), order);
    }
    if status == PaymentStatus::RequiresStepUp {
        return render::answer(w, id, StatusCode::CREATED);
    }
    progress::proceed(w, ledger, id, StatusCode::CREATED, Some(key.key_ref()))
}

/// `POST /v1/payments` (and top-ups, withdrawals) as one command of a batch.
pub fn pay(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    caller: &Caller,
    payment: &NewPayment,
) -> Result<Reply, ApiError> {
    let id = ids::derive("pay_", &[&key.scope, &key.key]);
    let result = match keys::claim(w, key)? {
        Claimed::Replay(answer) => return Ok(Reply::Answer(answer)),
        Claimed::TakeOver(existing) => progress::take_over(
            w,
            ledger,
            &existing,
            StatusCode::CREATED,
            Some(key.key_ref()),
        ),
        Claimed::Fresh => start(w, ledger, key, caller, payment, &id),
    };
    keys::settle_key(w, key, Some(&id), result)
}

fn check_step_up(step_up: &StepUp, cccd: &str, p: &PaymentRow) -> Result<(), ApiError> {
    if step_up.auth != AuthMethod::Biometric {
        return Err(ApiError::StepUpFailed("auth_not_biometric"));
    }
    if step_up.cccd != cccd {
        return Err(ApiError::StepUpFailed("another_citizen"));
    }
    if step_up.nonce.as_deref() != Some(p.id.as_str()) {
        return Err(ApiError::StepUpFailed("nonce_mismatch"));
    }
    if step_up.issued_at < p.created_at.timestamp() {
        return Err(ApiError::StepUpFailed("issued_before_payment"));
    }
    Ok(())
}

fn confirm_fresh(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    caller: &Caller,
    payment_id: &str,
    step_up: Option<&StepUp>,
) -> Result<Reply, ApiError> {
    // A retry whose first attempt's record has since been pruned: its assertion is
    // spent, so it cannot confirm anything now.
    let step_up = step_up.ok_or(ApiError::InvalidAssertion)?;
    let p = w
        .payments
        .get(&payment_id.to_string())
        .filter(|p| p.identity_id == caller.identity_id)
        .cloned()
        .ok_or(ApiError::NotFound("payment"))?;
    let me = w
        .parties
        .get(&caller.identity_id)
        .ok_or(ApiError::Unauthenticated)?;
    check_step_up(step_up, &me.cccd, &p)?;
    // The level may have dropped since the payment was made.
    if me.vneid_level < 2 {
        return Err(ApiError::VneidLevelInsufficient);
    }
    if p.status() != Some(PaymentStatus::RequiresStepUp) {
        return Err(ApiError::Conflict {
            code: "payment_not_awaiting_step_up",
            message: "this payment does not await a step-up",
        });
    }
    // Only a cap can still refuse it: the month may have filled up meanwhile.
    let usage = w
        .usage
        .get(&caller.identity_id)
        .map(|u| u.usage_on(w.today))
        .unwrap_or_default();
    let class: CapClass = p.cap_class();
    if let Some(refused) = refusal(decide_confirmed(
        w.settings.rules.caps_on(w.today),
        usage,
        p.amount,
        class,
    )) {
        return Err(refused);
    }
    status::set_status(
        w,
        payment_id,
        PaymentStatus::Pending,
        None,
        Some("step_up_confirmed"),
    )?;
    // A biometric check passed on this device: it is the citizen's from now on.
    if let Some(device) = &caller.device_id {
        let known = (caller.identity_id.clone(), device.clone());
        if w.devices.insert(known.clone()) {
            w.new_devices.push(known);
        }
    }
    progress::proceed(w, ledger, payment_id, StatusCode::OK, Some(key.key_ref()))
}

/// `POST /v1/payments/{id}/confirm` as one command of a batch.
pub fn confirm(
    w: &mut Working,
    ledger: &mut TransferBatch,
    key: &KeyClaim,
    caller: &Caller,
    payment_id: &str,
    step_up: Option<&StepUp>,
) -> Result<Reply, ApiError> {
    let result = match keys::claim(w, key)? {
        Claimed::Replay(answer) => return Ok(Reply::Answer(answer)),
        Claimed::TakeOver(existing) => {
            progress::take_over(w, ledger, &existing, StatusCode::OK, Some(key.key_ref()))
        }
        Claimed::Fresh => confirm_fresh(w, ledger, key, caller, payment_id, step_up),
    };
    keys::settle_key(w, key, Some(payment_id), result)
}
