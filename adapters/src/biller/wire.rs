//! The JSON wire format between [`super::HttpBillerAdapter`] and the billers (in
//! practice the local simulators mounted at `/evn`, `/water` and `/vss`). Shared by
//! both sides so they cannot drift apart; see the module documentation of [`super`]
//! for the endpoints. Errors use [`crate::bank::wire::ErrorBody`], the shape every
//! simulator answers with.

use super::{BillDetails, BillStatus};
use crate::billing::InsuranceScheme;
use crate::identity::mask_cccd;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::bank::wire::{is_valid_amount, is_valid_reference, ErrorBody, REPLAYED_HEADER};

/// Latest-bill inquiry at EVN or a water company: `POST {base}/v1/inquiry`.
pub const INQUIRY_PATH: &str = "/v1/inquiry";
/// Paying a bill: `POST {base}/v1/payments`.
pub const PAYMENTS_PATH: &str = "/v1/payments";
/// Recording an insurance contribution at VSS: `POST {base}/v1/contributions`.
pub const CONTRIBUTIONS_PATH: &str = "/v1/contributions";

/// Stable error codes in [`ErrorBody`].
pub mod codes {
    /// 400: the body is not the expected JSON.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// 400: the customer code is not one of this biller's.
    pub const INVALID_CUSTOMER_CODE: &str = "invalid_customer_code";
    /// 400: this system serves no biller with that code.
    pub const UNKNOWN_BILLER: &str = "unknown_biller";
    /// 400: amount not in 1..=10^15.
    pub const INVALID_AMOUNT: &str = "invalid_amount";
    /// 400: reference empty, too long or not printable ASCII.
    pub const INVALID_REFERENCE: &str = "invalid_reference";
    /// 400: the insured person's number is not a valid CCCD number.
    pub const INVALID_CCCD: &str = crate::identity::INVALID_CCCD;
    /// 400: months is not 1, 3, 6 or 12.
    pub const INVALID_MONTHS: &str = "invalid_months";
    /// 404: no such customer at this biller.
    pub const CUSTOMER_NOT_FOUND: &str = "customer_not_found";
    /// 404: no such bill at this biller.
    pub const BILL_NOT_FOUND: &str = "bill_not_found";
    /// 409: the bill was paid under another reference.
    pub const BILL_ALREADY_PAID: &str = "bill_already_paid";
    /// 409: the reference was already used for a different payment or contribution.
    pub const REFERENCE_CONFLICT: &str = "reference_conflict";
    /// 422: the amount is not the bill's amount due.
    pub const AMOUNT_MISMATCH: &str = "amount_mismatch";
    /// 503: the biller is not answering; nothing was recorded.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// Body of an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryRequest {
    /// Catalogue code of the biller.
    pub biller_code: String,
    /// The customer's code at that biller.
    pub customer_code: String,
}

/// A bill as the biller describes it: the answer to an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The biller's id of the bill.
    pub bill_ref: String,
    /// Catalogue code of the biller.
    pub biller_code: String,
    /// The customer's code.
    pub customer_code: String,
    /// The customer's name.
    pub customer_name: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Dong.
    pub amount_due: i64,
    /// Paid or not.
    pub status: BillStatus,
    /// Priced tariff lines.
    pub details: BillDetails,
}

/// Body of a bill payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Catalogue code of the biller.
    pub biller_code: String,
    /// The bill paid.
    pub bill_ref: String,
    /// Dong, the bill's amount due.
    pub amount: i64,
    /// Our idempotency reference: recorded at most once.
    pub reference: String,
}

/// Answer to a successful payment; the same body again for a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentResponse {
    /// Our reference.
    pub reference: String,
    /// Catalogue code of the biller.
    pub biller_code: String,
    /// The bill paid.
    pub bill_ref: String,
    /// The customer whose bill it was.
    pub customer_code: String,
    /// Dong.
    pub amount: i64,
    /// The biller's receipt number.
    pub biller_transaction_id: String,
    /// When the biller recorded it, RFC 3339 UTC.
    pub paid_at: String,
}

/// Body of a contribution. Carries the insured person's full number (VSS keys
/// contributions by it), so `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionRequest {
    /// Which scheme.
    pub scheme: InsuranceScheme,
    /// The insured person's full 12-digit number.
    pub insured_cccd: String,
    /// Dong, the gateway's quote.
    pub amount: i64,
    /// Months paid for: 1, 3, 6 or 12.
    pub months: u32,
    /// Our idempotency reference: recorded at most once.
    pub reference: String,
}

impl fmt::Debug for ContributionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContributionRequest")
            .field("scheme", &self.scheme)
            .field("insured_cccd", &mask_cccd(&self.insured_cccd))
            .field("amount", &self.amount)
            .field("months", &self.months)
            .field("reference", &self.reference)
            .finish()
    }
}

/// Answer to a recorded contribution; the same body again for a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionResponse {
    /// Our reference.
    pub reference: String,
    /// Which scheme.
    pub scheme: InsuranceScheme,
    /// Catalogue code of the VSS biller for the scheme.
    pub biller_code: String,
    /// The insured person's number, masked (`001******345`).
    pub insured_cccd: String,
    /// Dong.
    pub amount: i64,
    /// Months paid for.
    pub months: u32,
    /// VSS's receipt number.
    pub receipt_no: String,
    /// When VSS recorded it, RFC 3339 UTC.
    pub recorded_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contribution_debug_masks_the_number() {
        let request = ContributionRequest {
            scheme: InsuranceScheme::BhytHousehold,
            insured_cccd: "001099012345".into(),
            amount: 105_300,
            months: 1,
            reference: "r".into(),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("001099012345"));
        assert!(shown.contains("001******345"));
    }
}
