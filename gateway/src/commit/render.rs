//! A payment as the API answers it, built from the batch's working set, and the
//! documented errors some outcomes are answered with instead.

use actix_web::http::StatusCode;

use super::command::{Answer, Reply};
use super::working::Working;
use crate::bills::receipts;
use crate::error::ApiError;
use crate::payments::model::{PayeeView, PaymentKind, PaymentRow, PaymentStatus, PaymentView};

/// The view of a payment as the batch now has it.
pub fn view(w: &Working, p: &PaymentRow) -> PaymentView {
    let payee = match (&p.payee_identity_id, &p.payee_bank_bin, &p.payee_account) {
        (Some(id), _, _) => w
            .parties
            .get(id)
            .map(|party| PayeeView::citizen(&party.cccd, &party.full_name))
            .or_else(|| w.remote_payees.get(&p.id).cloned()),
        (None, Some(bin), Some(account)) => Some(PayeeView::bank_account(bin, account)),
        _ => None,
    };
    let receipt = w
        .records
        .get(&(p.identity_id.clone(), p.idempotency_key.clone()))
        .filter(|_| matches!(p.kind(), Some(PaymentKind::Bill | PaymentKind::Insurance)))
        .and_then(|record| {
            let bill = record.bill_id.as_ref().and_then(|id| w.bills.get(id));
            let quote = record.quote_id.as_ref().and_then(|id| w.quotes.get(id));
            let insured = w
                .parties
                .get(&p.identity_id)
                .map(|i| (i.cccd.as_str(), i.full_name.as_str()));
            receipts::build(p, record, bill, quote, insured)
        });
    PaymentView::build(p, payee, w.orders.get(&p.id), receipt)
}

/// The answer to a request that made or moved the payment: the payment itself, or the
/// documented error its failure is answered with (with the failed payment's id).
pub fn answer(w: &Working, payment_id: &str, status: StatusCode) -> Result<Reply, ApiError> {
    let p = w
        .payments
        .get(&payment_id.to_string())
        .ok_or_else(|| ApiError::Internal(format!("payment {payment_id} left the batch")))?;
    if p.status() == Some(PaymentStatus::Failed) {
        let failed_id = Some(p.id.clone());
        match p.failure_code.as_deref() {
            Some("insufficient_funds") => {
                return Err(ApiError::InsufficientFunds {
                    payment_id: failed_id,
                })
            }
            Some("bill_already_paid") => {
                return Err(ApiError::BillAlreadyPaid {
                    payment_id: failed_id,
                })
            }
            Some("quote_already_paid") => return Err(receipts::quote_already_paid()),
            Some(code @ ("payment_request_expired" | "payment_request_not_open")) => {
                return Err(crate::merchants::pay::conflict(code))
            }
            _ => {}
        }
    }
    let body = serde_json::to_string(&view(w, p)).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Reply::Answer(Answer {
        status,
        body,
        replayed: false,
    }))
}
