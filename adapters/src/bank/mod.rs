//! Banks over NAPAS 247: who holds an account, and moving money to and from a
//! citizen's own bank account (top-ups debit it, withdrawals and transfers out credit
//! it).
//!
//! # Wire format (JSON over HTTP, [`wire`])
//!
//! Paths are relative to the bank switch's base URL (the simulator's is
//! `http://{SIMULATOR_ADDR}/napas`). Account numbers travel in bodies, never in URLs,
//! so access logs do not collect them.
//!
//! - `POST /v1/inquiry` `{"bank_bin", "account_number"}` → 200
//!   `{"bank_bin", "account_number", "holder_cccd", "holder_name"}`.
//! - `POST /v1/debits` and `POST /v1/credits`
//!   `{"bank_bin", "account_number", "amount", "reference"}` → 200
//!   `{"reference", "direction": "debit"|"credit", "bank_bin", "account_number",
//!   "amount", "bank_transaction_id", "completed_at"}`. A request repeating an applied
//!   `reference` with the same parameters gets the same body again (with header
//!   `Idempotent-Replayed: true`) and moves nothing; the same reference with other
//!   parameters is 409 `reference_conflict`. Failed requests are not recorded, so their
//!   reference may be retried.
//! - Errors: `{"error": {"code", "message"}}` with 400 `invalid_request` /
//!   `invalid_amount` / `invalid_reference`, 404 `account_not_found`, 409
//!   `reference_conflict`, 422 `account_closed` / `insufficient_funds` /
//!   `amount_out_of_range`, 503 `unavailable`.
//!
//! A [`BankError::Timeout`] or [`BankError::Unavailable`] on a debit or credit leaves
//! its outcome unknown: retry with the same reference, which is safe.

mod directory;
mod http;
pub mod wire;

use crate::identity::Cccd;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use directory::{bank_name, is_bin_shaped, mask_account_number, BANKS};
pub use http::HttpBankAdapter;

/// Who holds a bank account, as the bank answers an inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountHolder {
    /// The bank's 6-digit BIN.
    pub bank_bin: String,
    /// The account number.
    pub account_number: String,
    /// The holder's personal identification number (masked in `Debug`).
    pub holder_cccd: Cccd,
    /// The holder's name as the bank records it.
    pub holder_name: String,
}

/// Which way money moved on the citizen's bank account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferDirection {
    /// Out of the citizen's account, toward the gateway (a top-up).
    Debit,
    /// Into the citizen's account, from the gateway (a withdrawal or transfer out).
    Credit,
}

/// The bank's confirmation that a debit or credit was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankReceipt {
    /// The gateway's idempotency reference.
    pub reference: String,
    /// Which way the money went.
    pub direction: TransferDirection,
    /// The bank's BIN.
    pub bank_bin: String,
    /// The account number.
    pub account_number: String,
    /// Dong.
    pub amount: i64,
    /// The bank's own id for the transfer, for reconciliation.
    pub bank_transaction_id: String,
    /// When the bank applied it.
    pub completed_at: DateTime<Utc>,
}

/// Why a bank call failed. Carries no account or CCCD numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    /// The bank has no such account.
    #[error("the bank has no such account")]
    AccountNotFound,
    /// The account's balance does not cover the debit.
    #[error("the bank account has insufficient funds")]
    InsufficientFunds,
    /// The account is closed.
    #[error("the bank account is closed")]
    AccountClosed,
    /// No answer within the adapter's timeout; a debit or credit may have been applied.
    #[error("the bank did not answer in time")]
    Timeout,
    /// The bank could not be reached or answered with an error of its own.
    #[error("the bank is unavailable: {0}")]
    Unavailable(String),
    /// The bank refused the request for another reason (its error code).
    #[error("the bank rejected the request: {0}")]
    Rejected(String),
}

impl BankError {
    /// A stable snake_case code for logs, metrics and API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            BankError::AccountNotFound => "bank_account_not_found",
            BankError::InsufficientFunds => "bank_insufficient_funds",
            BankError::AccountClosed => "bank_account_closed",
            BankError::Timeout => "bank_timeout",
            BankError::Unavailable(_) => "bank_unavailable",
            BankError::Rejected(_) => "bank_rejected",
        }
    }

    /// Whether the outcome is unknown and the same request (same reference) should be
    /// retried rather than treated as refused.
    pub const fn is_retryable(&self) -> bool {
        matches!(self, BankError::Timeout | BankError::Unavailable(_))
    }
}

/// A bank reachable over NAPAS 247.
///
/// `debit` and `credit` are idempotent per `reference`: the bank applies a reference at
/// most once and answers a repeat with the original receipt, so retrying after a
/// timeout is safe. Amounts are dong, positive.
#[async_trait]
pub trait BankAdapter: Send + Sync {
    /// Who holds `account_number` at the bank with `bank_bin`.
    async fn inquire_account(
        &self,
        bank_bin: &str,
        account_number: &str,
    ) -> Result<AccountHolder, BankError>;

    /// Moves `amount` out of the citizen's account toward the gateway (a top-up).
    async fn debit(
        &self,
        bank_bin: &str,
        account_number: &str,
        amount: i64,
        reference: &str,
    ) -> Result<BankReceipt, BankError>;

    /// Moves `amount` from the gateway into the citizen's account (a withdrawal or a
    /// transfer out).
    async fn credit(
        &self,
        bank_bin: &str,
        account_number: &str,
        amount: i64,
        reference: &str,
    ) -> Result<BankReceipt, BankError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_stable_and_distinct() {
        let errors = [
            BankError::AccountNotFound,
            BankError::InsufficientFunds,
            BankError::AccountClosed,
            BankError::Timeout,
            BankError::Unavailable("x".into()),
            BankError::Rejected("y".into()),
        ];
        let codes: HashSet<&str> = errors.iter().map(BankError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert_eq!(BankError::AccountNotFound.code(), "bank_account_not_found");
        assert!(BankError::Timeout.is_retryable());
        assert!(!BankError::InsufficientFunds.is_retryable());
    }

    #[test]
    fn the_trait_is_object_safe() {
        fn accepts(_: Option<&dyn BankAdapter>) {}
        accepts(None);
    }
}
