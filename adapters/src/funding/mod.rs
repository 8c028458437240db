//! Funding a wallet through a payment provider (VNPay, MoMo, ZaloPay): creating the
//! top-up order in the provider's own format, which gives the URL to send the payer
//! to, and checking the provider's signed callback once the payer has paid or given
//! up.
//!
//! Signatures and wire types live in [`crate::providers`]; this module only puts them
//! to work. The gateway owns its orders: the callback helpers take what it knows of an
//! order ([`OrderLookup`]) rather than looking anything up themselves.
//!
//! A callback is checked in two steps, so the provider's order of checks holds and an
//! unsigned request never costs the gateway a database read:
//! 1. `verify_*` checks the signature alone and returns a signed, still unchecked
//!    callback (or [`CallbackError::BadSignature`]);
//! 2. its `check` method, given the gateway's [`OrderLookup`] for the reference it
//!    names, returns the [`VerifiedCallback`] to record, or the reason not to. Each
//!    provider's module maps a [`CallbackError`] to that provider's reply.

mod callback;
mod http;
pub mod momo;
pub mod query;
mod secret;
mod text;
pub mod vnpay;
pub mod zalopay;

pub use callback::{CallbackError, OrderLookup, VerifiedCallback};
pub use http::DEFAULT_TIMEOUT;
pub use momo::{MomoCredentials, MomoFunding};
pub use query::{OrderQueries, OrderState, QueryTargets};
pub use secret::ProviderSecret;
pub use vnpay::{VnpayCredentials, VnpayFunding};
pub use zalopay::{ZaloPayCredentials, ZaloPayFunding};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The largest amount the API accepts, in dong (api.md: above 10^15 is invalid).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// The longest gateway reference accepted; gateway ids are at most 24 characters, and
/// ZaloPay's `app_trans_id` (`yyMMdd_` + reference) must stay within 40.
pub const MAX_REFERENCE_LEN: usize = 33;

/// A payment provider that can fund a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// VNPay payment gateway.
    Vnpay,
    /// MoMo e-wallet.
    Momo,
    /// ZaloPay e-wallet.
    Zalopay,
}

impl Provider {
    /// The name used in the API (`"vnpay"`, `"momo"`, `"zalopay"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vnpay => "vnpay",
            Self::Momo => "momo",
            Self::Zalopay => "zalopay",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A top-up the gateway wants paid through a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopupOrder {
    /// The gateway's own reference (a payment id): ASCII letters, digits, `_` or `-`,
    /// at most [`MAX_REFERENCE_LEN`] characters.
    pub reference: String,
    /// Amount in dong, 1 to [`MAX_AMOUNT`].
    pub amount: i64,
    /// Shown to the payer. VNPay gets it reduced to characters every URL encoding
    /// writes the same way.
    pub description: String,
    /// Where the provider sends its server-to-server callback. VNPay ignores it: its
    /// IPN URL is a merchant-portal setting, not part of the request.
    pub callback_url: String,
    /// Where the payer's browser comes back afterwards.
    pub return_url: String,
    /// The time of the order; VNPay and ZaloPay write it (in GMT+7) into the request.
    pub now: DateTime<Utc>,
}

/// An order created with a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderOrder {
    /// Who holds the order.
    pub provider: Provider,
    /// The order's id in the provider's terms (VNPay `vnp_TxnRef`, MoMo `orderId`,
    /// ZaloPay `app_trans_id`); callbacks name the order by it.
    pub provider_reference: String,
    /// Where to send the payer.
    pub redirect_url: String,
}

/// Why an order could not be created.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FundingError {
    /// Not 1 to [`MAX_AMOUNT`] dong.
    #[error("amount {0} is not 1 to 10^15 dong")]
    InvalidAmount(i64),
    /// Not a reference every provider accepts.
    #[error("reference {0:?} must be 1 to 33 ASCII letters, digits, '_' or '-'")]
    InvalidReference(String),
    /// The provider answered and refused.
    #[error("{provider} refused the order: {code} ({message})")]
    Rejected {
        /// Who refused.
        provider: Provider,
        /// The provider's result code, as it wrote it.
        code: String,
        /// The provider's message.
        message: String,
    },
    /// No answer in time; the order may or may not exist at the provider.
    #[error("{0} did not answer in time")]
    Timeout(Provider),
    /// The provider could not be reached or answered with a server error.
    #[error("{provider} is unavailable: {reason}")]
    Unavailable {
        /// Who is unavailable.
        provider: Provider,
        /// What went wrong, without secrets.
        reason: String,
    },
    /// An answer that is not the provider's format, or not about our order.
    #[error("{provider} answered unexpectedly: {reason}")]
    MalformedResponse {
        /// Who answered.
        provider: Provider,
        /// What was wrong with it.
        reason: String,
    },
}

impl FundingError {
    /// The failure code of a refusal that needs handling of its own (MoMo 4002:
    /// `momo_payer_not_biometric_verified`); `None` when the caller's generic code
    /// for a refused order applies.
    pub fn failure_code(&self) -> Option<&'static str> {
        match self {
            FundingError::Rejected {
                provider: Provider::Momo,
                code,
                ..
            } => momo::failure_code(code),
            _ => None,
        }
    }
}

/// Creates top-up orders with one provider.
#[async_trait]
pub trait FundingProvider: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;

    /// Creates the order and returns where to send the payer. Retrying with the same
    /// reference is safe: each provider treats it as the same order.
    async fn create_order(&self, order: TopupOrder) -> Result<ProviderOrder, FundingError>;
}

/// Checks what every provider needs of an order before anything is signed.
fn validate(order: &TopupOrder) -> Result<(), FundingError> {
    if !(1..=MAX_AMOUNT).contains(&order.amount) {
        return Err(FundingError::InvalidAmount(order.amount));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let reference = &order.reference;
    if reference.is_empty()
        || reference.len() > MAX_REFERENCE_LEN
        || !reference.bytes().all(allowed)
    {
        return Err(FundingError::InvalidReference(reference.clone()));
    }
    Ok(())
}

/// The amount as the providers' wire types carry it; [`validate`] made it positive.
fn wire_amount(order: &TopupOrder) -> Result<u64, FundingError> {
    u64::try_from(order.amount).map_err(|_| FundingError::InvalidAmount(order.amount))
}

#[cfg(test)]
mod tests;
