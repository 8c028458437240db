//! A payment as stored and as the API shows it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::payments;

/// What kind of movement a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Topup,
    Withdrawal,
    Transfer,
    Bill,
    Insurance,
    Merchant,
}

impl PaymentKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Topup => "topup",
            Self::Withdrawal => "withdrawal",
            Self::Transfer => "transfer",
            Self::Bill => "bill",
            Self::Insurance => "insurance",
            Self::Merchant => "merchant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Topup,
            Self::Withdrawal,
            Self::Transfer,
            Self::Bill,
            Self::Insurance,
            Self::Merchant,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Wallet outflows count toward the monthly cap; top-ups are inflows, and bills
    /// and insurance contributions are exempt.
    pub const fn is_capped(self) -> bool {
        match self {
            Self::Withdrawal | Self::Transfer | Self::Merchant => true,
            Self::Topup | Self::Bill | Self::Insurance => false,
        }
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for an outside party.
    Pending,
    /// Nothing moves until the citizen confirms with a biometric VNeID assertion.
    RequiresStepUp,
    /// Funds held for a merchant.
    Authorized,
    Succeeded,
    Failed,
    Voided,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::RequiresStepUp => "requires_step_up",
            Self::Authorized => "authorized",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Voided => "voided",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::RequiresStepUp,
            Self::Authorized,
            Self::Succeeded,
            Self::Failed,
            Self::Voided,
            Self::Refunded,
            Self::PartiallyRefunded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Statuses whose amount counts toward the day's total and the monthly cap: the
    /// money moved or is on its way.
    pub const COUNTED: [&'static str; 5] = [
        "pending",
        "authorized",
        "succeeded",
        "refunded",
        "partially_refunded",
    ];
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub identity_id: String,
    pub idempotency_key: String,
    pub kind: String,
    pub amount: i64,
    pub fee: i64,
    pub status: String,
    pub failure_code: Option<String>,
    pub capped: bool,
    pub bank_link_id: Option<String>,
    pub payee_identity_id: Option<String>,
    pub payee_bank_bin: Option<String>,
    pub payee_account: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What finally moved, when less than `amount` (a partial capture).
    pub settled_amount: Option<i64>,
}

impl PaymentRow {
    pub fn kind(&self) -> Option<PaymentKind> {
        PaymentKind::parse(&self.kind)
    }

    pub fn status(&self) -> Option<PaymentStatus> {
        PaymentStatus::parse(&self.status)
    }
}

/// One step of a payment's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusChange {
    pub status: String,
    pub at: DateTime<Utc>,
    pub detail: Option<String>,
}

/// Whom a transfer went to, masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayeeView {
    /// `citizen` or `bank_account`.
    pub kind: &'static str,
    /// The payee citizen's CCCD number, masked.
    pub cccd: Option<String>,
    pub name: Option<String>,
    pub bank_bin: Option<String>,
    pub account_number_masked: Option<String>,
}

/// A movement of money as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    #[schema(example = "pay_...")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "transfer")]
    pub kind: String,
    pub amount: i64,
    /// What finally moved when less than `amount`: a merchant captured part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_amount: Option<i64>,
    /// What the payer pays on top of `amount`.
    pub fee: i64,
    #[schema(example = "succeeded")]
    pub status: String,
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub bank_link_id: Option<String>,
    pub payee: Option<PayeeView>,
    pub note: Option<String>,
    /// For `requires_step_up`: the `nonce` the confirming VNeID assertion must carry.
    pub step_up_nonce: Option<String>,
    /// For a top-up through a wallet provider: `vnpay`, `momo` or `zalopay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The order's id at the provider (VNPay `vnp_TxnRef`, MoMo `orderId`, ZaloPay
    /// `app_trans_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_reference: Option<String>,
    /// Where to send the payer to pay the provider's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// For bill and insurance payments: what was paid to whom, line by line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<crate::bills::receipts::Receipt>,
    pub status_history: Vec<StatusChange>,
}
