//! Billers over HTTP: the customer's latest bill at EVN or a water company, paying it
//! (the aggregator's "gạch nợ", domain doc §6.3), and recording an insurance
//! contribution at Vietnam Social Security. Prices come from [`crate::billing`]; this
//! module only talks to the billers.
//!
//! # Wire format (JSON over HTTP, [`wire`])
//!
//! Each outside system has a base URL; the simulators' are
//! `http://{SIMULATOR_ADDR}/evn`, `.../water` and `.../vss`. EVN and the water
//! companies speak the same format (one water system serves HAWACO and SAWACO, told
//! apart by `biller_code`). Customer codes and CCCD numbers travel in bodies, never in
//! URLs, so access logs do not collect them.
//!
//! - `POST /v1/inquiry` `{"biller_code", "customer_code"}` → 200 the latest bill (the
//!   one of the latest period, paid or not): `{"bill_ref", "biller_code",
//!   "customer_code", "customer_name", "period": "YYYY-MM", "amount_due", "status":
//!   "unpaid"|"paid", "details"}` where `details` is a [`BillDetails`].
//! - `POST /v1/payments` `{"biller_code", "bill_ref", "amount", "reference"}` → 200
//!   `{"reference", "biller_code", "bill_ref", "customer_code", "amount",
//!   "biller_transaction_id", "paid_at"}`. The same `reference` for the same bill and
//!   amount answers the same body again (header `Idempotent-Replayed: true`) and pays
//!   nothing more; the same reference for anything else is 409 `reference_conflict`.
//!   Refusals are not recorded, so their reference may be retried.
//! - VSS: `POST /v1/contributions` `{"scheme": "bhxh_voluntary"|"bhyt_household",
//!   "insured_cccd" (full), "amount", "months", "reference"}` → 200 `{"reference",
//!   "scheme", "biller_code", "insured_cccd" (masked), "amount", "months",
//!   "receipt_no", "recorded_at"}`, idempotent per reference in the same way.
//! - Errors: `{"error": {"code", "message"}}` with 400 `invalid_request` /
//!   `invalid_customer_code` / `unknown_biller` / `invalid_amount` /
//!   `invalid_reference` / `invalid_cccd` / `invalid_months`, 404 `customer_not_found`
//!   / `bill_not_found`, 409 `bill_already_paid` / `reference_conflict`, 422
//!   `amount_mismatch`, 503 `unavailable`.
//!
//! A [`BillerError::Timeout`] or [`BillerError::Unavailable`] on a payment or
//! contribution leaves its outcome unknown: retry with the same reference, which is
//! safe.

mod http;
mod urls;
pub mod wire;

use crate::billing::{BillQuote, BillerKind, BillingPeriod, InsuranceScheme};
use crate::identity::Cccd;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use http::HttpBillerAdapter;
pub use urls::BillerUrls;

/// Whether a bill has been paid at the biller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BillStatus {
    /// Still owed.
    Unpaid,
    /// Paid (by us or through another channel).
    Paid,
}

/// What a metered bill counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeterUnit {
    /// Kilowatt-hours of electricity.
    #[serde(rename = "kWh")]
    Kwh,
    /// Cubic metres of water (ASCII on the wire; labels say m³).
    #[serde(rename = "m3")]
    CubicMetre,
}

/// How a bill was priced: the consumption and the biller's priced tariff lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillDetails {
    /// Electricity or water.
    pub kind: BillerKind,
    /// Unit of `consumption`.
    pub unit: MeterUnit,
    /// Metered consumption for the period.
    pub consumption: u32,
    /// People registered on a water connection (scales per-person blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons: Option<u32>,
    /// Tariff version, block lines, VAT, surcharges and total; also the customer's
    /// `household` status when it is not ordinary, and information `notes` (EVN's
    /// support for a poor household) that are not part of the total.
    #[serde(flatten)]
    pub pricing: BillQuote,
}

/// A customer's latest bill, as the biller answers an inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillStatement {
    /// The biller's own id of this bill, to pay it with.
    pub bill_ref: String,
    /// Catalogue code of the biller (`EVNHANOI`, `HAWACO`, ...).
    pub biller_code: String,
    /// The customer code asked about.
    pub customer_code: String,
    /// The customer's name as the biller records it.
    pub customer_name: String,
    /// The month billed.
    pub period: BillingPeriod,
    /// Dong owed for the bill (whether or not it is paid).
    pub amount_due: i64,
    /// Paid or not.
    pub status: BillStatus,
    /// Priced tariff lines.
    pub details: BillDetails,
}

/// The biller's acknowledgement of a payment or contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentConfirmation {
    /// Our idempotency reference.
    pub reference: String,
    /// Catalogue code of the biller paid (`VSS_BHXH` / `VSS_BHYT` for contributions).
    pub biller_code: String,
    /// The bill paid; `None` for an insurance contribution.
    pub bill_ref: Option<String>,
    /// Dong.
    pub amount: i64,
    /// The biller's receipt number, for reconciliation.
    pub biller_transaction_id: String,
    /// When the biller recorded it.
    pub confirmed_at: DateTime<Utc>,
}

/// Why a biller call failed. Carries no CCCD numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillerError {
    /// The biller has no such customer (inquiry) or bill (payment).
    #[error("the biller has no such customer or bill")]
    CustomerNotFound,
    /// The customer code does not have the biller's format.
    #[error("the customer code is not one of this biller's")]
    InvalidCustomerCode,
    /// The bill was already paid under another reference.
    #[error("the bill is already paid")]
    AlreadyPaid,
    /// The amount is not the bill's amount due.
    #[error("the amount is not the bill's amount due")]
    AmountMismatch,
    /// No answer within the adapter's timeout; a payment may have been recorded.
    #[error("the biller did not answer in time")]
    Timeout,
    /// The biller could not be reached or answered with an error of its own.
    #[error("the biller is unavailable: {0}")]
    Unavailable(String),
    /// The biller refused the request for another reason (its error code).
    #[error("the biller rejected the request: {0}")]
    Rejected(String),
}

impl BillerError {
    /// A stable snake_case code for logs, metrics and API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            BillerError::CustomerNotFound => "bill_not_found",
            BillerError::InvalidCustomerCode => "invalid_customer_code",
            BillerError::AlreadyPaid => "bill_already_paid",
            BillerError::AmountMismatch => "bill_amount_mismatch",
            BillerError::Timeout => "biller_timeout",
            BillerError::Unavailable(_) => "biller_unavailable",
            BillerError::Rejected(_) => "biller_rejected",
        }
    }

    /// Whether the outcome is unknown and the same request (same reference) should be
    /// retried rather than treated as refused.
    pub const fn is_retryable(&self) -> bool {
        matches!(self, BillerError::Timeout | BillerError::Unavailable(_))
    }
}

/// The catalogue code of the Vietnam Social Security biller collecting `scheme`.
pub const fn vss_biller_code(scheme: InsuranceScheme) -> &'static str {
    match scheme {
        InsuranceScheme::BhxhVoluntary => "VSS_BHXH",
        InsuranceScheme::BhytHousehold => "VSS_BHYT",
    }
}

/// EVN, the water companies and Vietnam Social Security.
///
/// `confirm_payment` and `submit_contribution` are idempotent per `reference`: the
/// biller records a reference at most once and answers a repeat with the original
/// confirmation, so retrying after a timeout is safe. Amounts are dong, positive.
#[async_trait]
pub trait BillerAdapter: Send + Sync {
    /// The latest bill of `customer_code` at the biller `biller_code`.
    async fn inquire(
        &self,
        biller_code: &str,
        customer_code: &str,
    ) -> Result<BillStatement, BillerError>;

    /// Pays the bill `bill_ref` in full. A different reference for a bill already paid
    /// is [`BillerError::AlreadyPaid`]; an amount other than the amount due is
    /// [`BillerError::AmountMismatch`].
    async fn confirm_payment(
        &self,
        biller_code: &str,
        bill_ref: &str,
        amount: i64,
        reference: &str,
    ) -> Result<PaymentConfirmation, BillerError>;

    /// Records a contribution of `amount` for `months` months of `scheme` for the
    /// insured person. The amount is the gateway's own quote; VSS only records it.
    async fn submit_contribution(
        &self,
        scheme: InsuranceScheme,
        insured_cccd: &Cccd,
        amount: i64,
        months: u32,
        reference: &str,
    ) -> Result<PaymentConfirmation, BillerError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_stable_and_distinct() {
        let errors = [
            BillerError::CustomerNotFound,
            BillerError::InvalidCustomerCode,
            BillerError::AlreadyPaid,
            BillerError::AmountMismatch,
            BillerError::Timeout,
            BillerError::Unavailable("x".into()),
            BillerError::Rejected("y".into()),
        ];
        let codes: HashSet<&str> = errors.iter().map(BillerError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert_eq!(BillerError::CustomerNotFound.code(), "bill_not_found");
        assert_eq!(BillerError::AlreadyPaid.code(), "bill_already_paid");
        assert!(BillerError::Timeout.is_retryable());
        assert!(!BillerError::AlreadyPaid.is_retryable());
    }

    #[test]
    fn the_trait_is_object_safe() {
        fn accepts(_: Option<&dyn BillerAdapter>) {}
        accepts(None);
    }

    #[test]
    fn vss_biller_codes_are_in_the_catalogue() {
        for scheme in [
            InsuranceScheme::BhxhVoluntary,
            InsuranceScheme::BhytHousehold,
        ] {
            assert!(crate::billing::find_biller(vss_biller_code(scheme)).is_some());
        }
    }
}
