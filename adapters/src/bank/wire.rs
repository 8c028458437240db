//! The JSON wire format between [`super::HttpBankAdapter`] and a NAPAS 247 style bank
//! switch (in practice the local simulator mounted at `/napas`). Shared by both sides
//! so they cannot drift apart; see the module documentation of [`super`] for the
//! endpoints.

use super::TransferDirection;
use serde::{Deserialize, Serialize};

/// Account inquiry: `POST {base}/v1/inquiry`.
pub const INQUIRY_PATH: &str = "/v1/inquiry";
/// Debit a citizen's account toward the gateway: `POST {base}/v1/debits`.
pub const DEBITS_PATH: &str = "/v1/debits";
/// Credit a citizen's account from the gateway: `POST {base}/v1/credits`.
pub const CREDITS_PATH: &str = "/v1/credits";
/// Header set to `true` on a debit or credit answered from an earlier identical request.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// The largest amount a transfer may carry, in dong (the API's own bound, 10^15).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;
/// The longest idempotency reference, in bytes.
pub const MAX_REFERENCE_LEN: usize = 64;

/// Stable error codes in [`ErrorBody`].
pub mod codes {
    /// 400: the body is not the expected JSON.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// 400: amount not in 1..=10^15.
    pub const INVALID_AMOUNT: &str = "invalid_amount";
    /// 400: reference empty, too long or not printable ASCII.
    pub const INVALID_REFERENCE: &str = "invalid_reference";
    /// 404: no such account at that bank.
    pub const ACCOUNT_NOT_FOUND: &str = "account_not_found";
    /// 409: the reference was already used for a different transfer.
    pub const REFERENCE_CONFLICT: &str = "reference_conflict";
    /// 422: the account is closed.
    pub const ACCOUNT_CLOSED: &str = "account_closed";
    /// 422: the balance does not cover a debit.
    pub const INSUFFICIENT_FUNDS: &str = "insufficient_funds";
    /// 422: a credit would overflow the balance.
    pub const AMOUNT_OUT_OF_RANGE: &str = "amount_out_of_range";
    /// 503: the bank is not answering; nothing was applied.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// Body of an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryRequest {
    /// The bank's 6-digit BIN.
    pub bank_bin: String,
    /// The account number at that bank.
    pub account_number: String,
}

/// Answer to an inquiry. Carries the holder's full CCCD number (the gateway must compare
/// it with the citizen's), so it deliberately has no `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryResponse {
    /// The bank's BIN.
    pub bank_bin: String,
    /// The account number.
    pub account_number: String,
    /// The holder's full 12-digit number.
    pub holder_cccd: String,
    /// The holder's name as the bank records it.
    pub holder_name: String,
}

/// Body of a debit or credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequest {
    /// The bank's BIN.
    pub bank_bin: String,
    /// The citizen's account number.
    pub account_number: String,
    /// Dong, 1..=10^15.
    pub amount: i64,
    /// The gateway's idempotency reference: applied at most once.
    pub reference: String,
}

/// Answer to a successful debit or credit; the same body again for a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferResponse {
    /// The gateway's reference.
    pub reference: String,
    /// Which way the money went.
    pub direction: TransferDirection,
    /// The bank's BIN.
    pub bank_bin: String,
    /// The account number.
    pub account_number: String,
    /// Dong.
    pub amount: i64,
    /// The bank's own id for the transfer.
    pub bank_transaction_id: String,
    /// When the bank applied it, RFC 3339 UTC.
    pub completed_at: String,
}

/// Every non-2xx answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// One of [`codes`].
    pub code: String,
    /// For a person.
    pub message: String,
}

impl ErrorBody {
    /// An error body with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }
}

/// Whether `reference` is acceptable: 1 to 64 printable ASCII characters, no spaces.
pub fn is_valid_reference(reference: &str) -> bool {
    !reference.is_empty()
        && reference.len() <= MAX_REFERENCE_LEN
        && reference.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `amount` is a payable amount: 1..=10^15 dong.
pub const fn is_valid_amount(amount: i64) -> bool {
    amount > 0 && amount <= MAX_AMOUNT
}
