//! What the three providers' callbacks have in common once their signature is checked.

use super::Provider;
use thiserror::Error;

/// What the gateway's records say of the order a callback names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderLookup {
    /// No order with that provider reference.
    NotFound,
    /// The order exists.
    Found {
        /// The amount it was created for, in dong.
        amount: i64,
        /// Whether a result (success or failure) was already recorded for it.
        already_recorded: bool,
    },
}

/// A callback whose signature, order and amount have been checked: the result to
/// record now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCallback {
    /// The provider that sent it.
    pub provider: Provider,
    /// The order, in the provider's terms (VNPay `vnp_TxnRef`, MoMo `orderId`, ZaloPay
    /// `app_trans_id`).
    pub provider_reference: String,
    /// The amount paid, in dong; equal to the order's.
    pub amount: i64,
    /// Whether the payer paid. `false` is a final failure, to be recorded as well.
    pub success: bool,
    /// The provider's own transaction id, when it assigned one (never for a cancelled
    /// VNPay payment, which carries `vnp_TransactionNo=0`).
    pub provider_transaction_id: Option<String>,
    /// The provider's result code as sent (VNPay `vnp_ResponseCode`, MoMo `resultCode`,
    /// ZaloPay `1`), for a payment's failure code.
    pub result_code: String,
}

impl VerifiedCallback {
    /// The failure code of a failed payment whose provider result needs handling of
    /// its own (MoMo 4002: `momo_payer_not_biometric_verified`); `None` for a success
    /// or a generic decline, which the caller records under its own generic code.
    pub fn failure_code(&self) -> Option<&'static str> {
        if self.success {
            return None;
        }
        match self.provider {
            Provider::Momo => super::momo::failure_code(&self.result_code),
            Provider::Vnpay | Provider::Zalopay => None,
        }
    }
}

/// Why a callback must not be recorded. Each provider's module maps these to its own
/// reply: VNPay's `RspCode`, MoMo's HTTP status, ZaloPay's `return_code`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallbackError {
    /// The signature does not verify; nothing in the callback can be trusted.
    #[error("the callback's signature does not verify")]
    BadSignature,
    /// Correctly signed but not in the provider's format.
    #[error("the callback is malformed: {0}")]
    Malformed(String),
    /// No such order (or one of another merchant account).
    #[error("no order {0:?}")]
    UnknownOrder(String),
    /// The amount differs from the order's.
    #[error("amount {received} does not match the order's {expected} dong")]
    WrongAmount {
        /// The order's amount, in dong.
        expected: i64,
        /// What the callback says, as written (VNPay's is × 100).
        received: String,
    },
    /// A result was already recorded; the provider should stop retrying.
    #[error("a result was already recorded for this order")]
    AlreadyRecorded,
}

/// The amount check and idempotency check MoMo and ZaloPay share; VNPay has its own
/// order of checks ([`crate::providers::vnpay::ipn_reply`]).
pub(super) fn check_order(
    reference: &str,
    received: u64,
    order: OrderLookup,
) -> Result<i64, CallbackError> {
    let OrderLookup::Found {
        amount,
        already_recorded,
    } = order
    else {
        return Err(CallbackError::UnknownOrder(reference.to_owned()));
    };
    if u64::try_from(amount).ok() != Some(received) {
        return Err(CallbackError::WrongAmount {
            expected: amount,
            received: received.to_string(),
        });
    }
    if already_recorded {
        return Err(CallbackError::AlreadyRecorded);
    }
    Ok(amount)
}
