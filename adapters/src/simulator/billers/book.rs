//! A simulated utility's books: customers, their bills per period, and the record of
//! applied payment references. Pure apart from drawing its id tag (the caller passes
//! the time), so it is tested without HTTP.

use crate::biller::wire::{PaymentRequest, PaymentResponse, Statement};
use crate::biller::{BillDetails, BillStatus};
use crate::billing::{BillingPeriod, TariffLine};
use crate::statement::{LineStatus, StatementEntry};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// Why the books refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookError {
    CustomerNotFound,
    BillNotFound,
    BillExists,
    AlreadyPaid,
    AmountMismatch,
    ReferenceConflict,
}

/// A bill to issue, already validated and priced.
#[derive(Debug, Clone)]
pub(crate) struct NewBill {
    pub biller_code: String,
    pub customer_code: String,
    pub customer_name: String,
    pub period: BillingPeriod,
    pub details: BillDetails,
}

/// A bill as the control API shows it: the statement, its lines again at the top
/// level for convenience, and the payment that settled it, if any.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BillView {
    #[serde(flatten)]
    pub statement: Statement,
    pub lines: Vec<TariffLine>,
    pub payment: Option<PaymentResponse>,
}

#[derive(Debug, Clone)]
struct Bill {
    statement: Statement,
    period: BillingPeriod,
    payment: Option<PaymentResponse>,
}

/// An applied payment: what was asked (to detect a reused reference) and the answer.
#[derive(Debug, Clone)]
struct Applied {
    request: PaymentRequest,
    answer: PaymentResponse,
    at: DateTime<Utc>,
}

/// Every bill of one simulated system, keyed by bill ref.
#[derive(Debug)]
pub(crate) struct BillBook {
    /// Starts every id: the system's prefix and a random tag, so ids from a restarted
    /// simulator do not collide with ones a gateway may still hold.
    id_prefix: String,
    bills: HashMap<String, Bill>,
    /// Bill refs per (biller code, customer code), in issue order.
    customers: HashMap<(String, String), Vec<String>>,
    applied: HashMap<String, Applied>,
    next_id: u64,
}

impl BillBook {
    /// Empty books whose ids start with `system_prefix` (`EVN`, `WTR`).
    pub(crate) fn new(system_prefix: &str) -> BillBook {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let tag = tag.get(..6).unwrap_or_default().to_ascii_uppercase();
        BillBook {
            id_prefix: format!("{system_prefix}{tag}"),
            bills: HashMap::new(),
            customers: HashMap::new(),
            applied: HashMap::new(),
            next_id: 0,
        }
    }

    fn next_id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{}{kind}{:06}", self.id_prefix, self.next_id)
    }

    /// Issues a bill; one per customer and period.
    pub(crate) fn issue(&mut self, bill: NewBill) -> Result<BillView, BookError> {
        let key = (bill.biller_code.clone(), bill.customer_code.clone());
        let refs = self.customers.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        if refs
            .iter()
            .filter_map(|r| self.bills.get(r))
            .any(|existing| existing.period == bill.period)
        {
            return Err(BookError::BillExists);
        }
        let bill_ref = self.next_id("HD");
        let statement = Statement {
            bill_ref: bill_ref.clone(),
            biller_code: bill.biller_code,
            customer_code: bill.customer_code,
            customer_name: bill.customer_name,
            period: bill.period.to_string(),
            amount_due: bill.details.pricing.total,
            status: BillStatus::Unpaid,
            details: bill.details,
        };
        self.bills.insert(
            bill_ref.clone(),
            Bill {
                statement,
                period: bill.period,
                payment: None,
            },
        );
        self.customers
            .entry(key)
            .or_default()
            .push(bill_ref.clone());
        self.view(&bill_ref)
    }

    pub(crate) fn view(&self, bill_ref: &str) -> Result<BillView, BookError> {
        let bill = self.bills.get(bill_ref).ok_or(BookError::BillNotFound)?;
        Ok(BillView {
            statement: bill.statement.clone(),
            lines: bill.statement.details.pricing.lines.clone(),
            payment: bill.payment.clone(),
        })
    }

    /// The customer's bill of the latest period, paid or not.
    pub(crate) fn latest(
        &self,
        biller_code: &str,
        customer_code: &str,
    ) -> Result<Statement, BookError> {
        let key = (biller_code.to_owned(), customer_code.to_owned());
        self.customers
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|bill_ref| self.bills.get(bill_ref))
            .max_by_key(|bill| bill.period)
            .map(|bill| bill.statement.clone())
            .ok_or(BookError::CustomerNotFound)
    }

    /// Pays a bill at most once per reference. Returns the answer and whether it is a
    /// replay of an earlier identical request.
    pub(crate) fn pay(
        &mut self,
        request: &PaymentRequest,
        now: DateTime<Utc>,
    ) -> Result<(PaymentResponse, bool), BookError> {
        // The reference first: a payment once recorded is answered the same forever.
        if let Some(applied) = self.applied.get(&request.reference) {
            if applied.request == *request {
                return Ok((applied.answer.clone(), true));
            }
            return Err(BookError::ReferenceConflict);
        }
        let bill = self
            .bills
            .get(&request.bill_ref)
            // Another biller's bill is not this biller's to clear.
            .filter(|bill| bill.statement.biller_code == request.biller_code)
            .ok_or(BookError::BillNotFound)?;
        if bill.payment.is_some() {
            return Err(BookError::AlreadyPaid);
        }
        if bill.statement.amount_due != request.amount {
            return Err(BookError::AmountMismatch);
        }
        let customer_code = bill.statement.customer_code.clone();
        let answer = PaymentResponse {
            reference: request.reference.clone(),
            biller_code: request.biller_code.clone(),
            bill_ref: request.bill_ref.clone(),
            customer_code,
            amount: request.amount,
            biller_transaction_id: self.next_id("TX"),
            paid_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        if let Some(bill) = self.bills.get_mut(&request.bill_ref) {
            bill.statement.status = BillStatus::Paid;
            bill.payment = Some(answer.clone());
        }
        self.applied.insert(
            request.reference.clone(),
            Applied {
                request: request.clone(),
                answer: answer.clone(),
                at: now,
            },
        );
        Ok((answer, false))
    }

    /// Every cleared bill as a statement entry. Refused payments cleared nothing and
    /// are not listed.
    pub(crate) fn statement_entries(&self) -> Vec<StatementEntry> {
        self.applied
            .values()
            .map(|applied| StatementEntry {
                reference: applied.answer.reference.clone(),
                their_id: Some(applied.answer.biller_transaction_id.clone()),
                amount: applied.answer.amount,
                status: LineStatus::Settled,
                at: applied.at,
                party: Some(applied.answer.biller_code.clone()),
                bank_bin: None,
                account: Some(applied.answer.customer_code.clone()),
                bill_ref: Some(applied.answer.bill_ref.clone()),
                result_code: None,
            })
            .collect()
    }
}
