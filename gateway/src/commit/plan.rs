//! Which ledger transfers a batch's commands may submit, known before any of them runs
//! so the ledger can load and lock their accounts, ids and holds in one go. Only ids
//! and accounts matter here; amounts are whatever the step will use.

use ledger::shards::clearing;
use ledger::Transfer;

use super::command::{Command, NewPayment, PayeeRef};
use super::working::Working;
use crate::chart::Purpose;
use crate::ids;
use crate::payments::model::{PaymentKind, PaymentRow};
use crate::payments::steps::{self, Resolution};
use crate::reconciliation::adjust;
use crate::system_accounts::{
    biller_collection, provider_settlement, system_account_id, NAPAS_SETTLEMENT,
};

/// A payment as far as its transfer ids and amounts go.
fn sketch(id: String, identity_id: &str, amount: i64, fee: i64) -> PaymentRow {
    PaymentRow::blank(
        id,
        identity_id,
        amount,
        fee,
        chrono::DateTime::<chrono::Utc>::MIN_UTC,
    )
}

pub fn wallet_of(w: &Working, identity_id: &str) -> Option<u128> {
    w.parties.get(identity_id).map(|p| p.wallet)
}

/// The account of the outside system a payment moves money through: NAPAS for the
/// bank legs, the provider's settlement, the biller's collection.
pub fn outside_account(w: &Working, p: &PaymentRow) -> Option<u128> {
    let name = match p.kind()? {
        PaymentKind::Topup if p.bank_link_id.is_some() => NAPAS_SETTLEMENT.to_string(),
        PaymentKind::Topup => provider_settlement(&w.orders.get(&p.id)?.provider),
        PaymentKind::Withdrawal => NAPAS_SETTLEMENT.to_string(),
        PaymentKind::Transfer if p.payee_identity_id.is_none() => NAPAS_SETTLEMENT.to_string(),
        PaymentKind::Transfer => {
            let (a, b) = w.crossing(p)?;
            return Some(clearing::outbound(a, b));
        }
        PaymentKind::Bill | PaymentKind::Insurance => {
            let record = w
                .records
                .get(&(p.identity_id.clone(), p.idempotency_key.clone()))?;
            biller_collection(&record.biller_code)
        }
        PaymentKind::Merchant => return None,
    };
    Some(system_account_id(&name))
}

/// Every transfer any step of `p` may submit.
pub fn of_payment(w: &Working, p: &PaymentRow) -> Vec<Transfer> {
    let Some(wallet) = wallet_of(w, &p.identity_id) else {
        return Vec::new();
    };
    let napas = system_account_id(NAPAS_SETTLEMENT);
    let mut out = Vec::new();
    let both_resolutions = |out: &mut Vec<Transfer>| {
        out.extend(steps::resolve_holds(p, Resolution::Post));
        out.extend(steps::resolve_holds(p, Resolution::Void));
    };
    match p.kind() {
        Some(PaymentKind::Transfer) => match (&p.payee_identity_id, w.crossing(p)) {
            (Some(_), Some((a, b))) => {
                let toward = clearing::outbound(a, b);
                out.extend(steps::holds(p, wallet, toward, Purpose::Transfer));
                both_resolutions(&mut out);
            }
            (Some(payee), None) => {
                if let Some(payee_wallet) = wallet_of(w, payee) {
                    out.extend(steps::to_citizen(p, wallet, payee_wallet));
                }
            }
            (None, _) => {
                out.extend(steps::holds(p, wallet, napas, Purpose::Transfer));
                both_resolutions(&mut out);
            }
        },
        Some(PaymentKind::Withdrawal) => {
            out.extend(steps::holds(p, wallet, napas, Purpose::Withdrawal));
            both_resolutions(&mut out);
        }
        Some(PaymentKind::Topup) => match &p.bank_link_id {
            Some(_) => out.extend(steps::credit(p, napas, wallet)),
            None => {
                if let Some(order) = w.orders.get(&p.id) {
                    let from = system_account_id(&provider_settlement(&order.provider));
                    out.extend(steps::credit(p, from, wallet));
                }
            }
        },
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            let record = w
                .records
                .get(&(p.identity_id.clone(), p.idempotency_key.clone()));
            if let Some(record) = record {
                let collection = system_account_id(&biller_collection(&record.biller_code));
                out.extend(steps::holds(p, wallet, collection, Purpose::Bill));
            }
            both_resolutions(&mut out);
        }
        Some(PaymentKind::Merchant) => {
            let merchant = p
                .payment_request_id
                .as_ref()
                .and_then(|r| w.requests.get(r).or_else(|| w.remote_requests.get(r)))
                .and_then(|r| w.merchants.get(&r.merchant_id))
                .and_then(|m| m.ledger_id().ok());
            if let Some(merchant) = merchant {
                out.push(steps::to_merchant(p, wallet, merchant, None));
            }
            out.push(steps::capture(&p.id, p.amount));
            out.push(steps::release(&p.id));
        }
        None => {}
    }
    out
}

fn of_new_payment(w: &Working, command: &Command) -> Vec<Transfer> {
    let Command::Pay {
        key,
        caller,
        payment,
    } = command
    else {
        return Vec::new();
    };
    let id = ids::derive("pay_", &[&key.scope, &key.key]);
    if let Some(existing) = w.payments.get(&id) {
        return of_payment(w, existing);
    }
    let sketch = |amount: i64| sketch(id.clone(), &caller.identity_id, amount, 1);
    let wallet = caller.wallet;
    let napas = system_account_id(NAPAS_SETTLEMENT);
    match payment {
        NewPayment::ToCitizen { payee, amount, .. } => {
            let payee_id = match payee {
                PayeeRef::Cccd(c) => w.by_cccd.get(c),
                PayeeRef::Phone(p) => w.by_phone.get(p).and_then(|ids| ids.first()),
                PayeeRef::Remote { identity_id } => {
                    let mut transfer = sketch(*amount);
                    transfer.kind = PaymentKind::Transfer.as_str().to_string();
                    transfer.payee_identity_id = Some(identity_id.clone());
                    return of_payment(w, &transfer);
                }
            };
            payee_id
                .and_then(|id| wallet_of(w, id))
                .map(|payee_wallet| steps::to_citizen(&sketch(*amount), wallet, payee_wallet))
                .unwrap_or_default()
        }
        NewPayment::ToBankAccount { amount, .. } | NewPayment::Withdrawal { amount, .. } => {
            steps::holds(&sketch(*amount), wallet, napas, Purpose::Withdrawal)
        }
        NewPayment::Bill { bill_id } => w
            .bills
            .get(bill_id)
            .map(|b| {
                let to = system_account_id(&biller_collection(&b.biller_code));
                steps::holds(&sketch(b.amount_due), wallet, to, Purpose::Bill)
            })
            .unwrap_or_default(),
        NewPayment::Insurance { quote_id } => w
            .quotes
            .get(quote_id)
            .map(|q| {
                let to = system_account_id(&biller_collection(&q.biller_code));
                steps::holds(&sketch(q.amount), wallet, to, Purpose::Insurance)
            })
            .unwrap_or_default(),
        NewPayment::Merchant { request_id, .. } => w
            .requests
            .get(request_id)
            .or_else(|| w.remote_requests.get(request_id))
            .and_then(|r| w.merchants.get(&r.merchant_id).map(|m| (r, m)))
            .and_then(|(r, m)| m.ledger_id().ok().map(|account| (r, account)))
            .map(|(r, account)| vec![steps::to_merchant(&sketch(r.amount), wallet, account, None)])
            .unwrap_or_default(),
        NewPayment::BankTopup { .. } | NewPayment::ProviderTopup { .. } => Vec::new(),
    }
}

/// Every transfer the commands may submit.
pub fn candidates(w: &Working, commands: &[Command]) -> Vec<Transfer> {
    let mut out = Vec::new();
    for command in commands {
        match command {
            Command::Pay { .. } => out.extend(of_new_payment(w, command)),
            Command::CreateRequest { .. } => {}
            Command::Refund {
                key,
                request_id,
                amount,
                ..
            } => {
                let refund_id = ids::derive("ref_", &[&key.scope, &key.key]);
                let accounts = w.requests.get(request_id).and_then(|r| {
                    let merchant = w.merchants.get(&r.merchant_id)?.ledger_id().ok()?;
                    let payment = w.payments.get(r.payment_id.as_ref()?)?;
                    Some((merchant, wallet_of(w, &payment.identity_id)?))
                });
                if let Some((merchant, wallet)) = accounts {
                    out.push(steps::refund(&refund_id, merchant, wallet, *amount));
                }
            }
            Command::Resolve { request, .. } => {
                let payment = request
                    .discrepancy
                    .payment_id
                    .as_ref()
                    .and_then(|id| w.payments.get(id));
                if let Some(p) = payment {
                    if let (Some(wallet), Some(outside)) =
                        (wallet_of(w, &p.identity_id), outside_account(w, p))
                    {
                        out.extend(adjust::candidates(p, wallet, outside));
                    }
                }
            }
            Command::Confirm { .. }
            | Command::Settle { .. }
            | Command::Resume { .. }
            | Command::ProviderCallback(_)
            | Command::Capture { .. }
            | Command::Void { .. }
            | Command::ExpireRequests { .. } => {}
        }
    }
    // Every payment loaded may be confirmed, settled, resumed, captured, voided,
    // credited or expired by some command of the batch.
    for p in w.payments.values() {
        out.extend(of_payment(w, p));
    }
    out.sort_by_key(|t| t.id);
    out.dedup_by_key(|t| t.id);
    out
}
