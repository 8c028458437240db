//! A payment as stored and as the API shows it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::rules::CapClass;
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

    /// Which monthly cap the kind counts toward: top-ups are inflows, bills and
    /// insurance are essential payments, and a merchant's payments are essential when
    /// the merchant is (`essential_merchant`).
    pub const fn cap(self, essential_merchant: bool) -> CapClass {
        match self {
            Self::Topup => CapClass::Uncapped,
            Self::Bill | Self::Insurance => CapClass::Essential,
            Self::Merchant if essential_merchant => CapClass::Essential,
            Self::Withdrawal | Self::Transfer | Self::Merchant => CapClass::General,
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

    /// Whether a payment in this status counts toward the day's total and the monthly
    /// caps: its money moved or is on its way.
    pub const fn is_counted(self) -> bool {
        match self {
            Self::Pending
            | Self::Authorized
            | Self::Succeeded
            | Self::Refunded
            | Self::PartiallyRefunded => true,
            Self::RequiresStepUp | Self::Failed | Self::Voided => false,
        }
    }

    /// Whether nothing more will happen to the payment's money on its own.
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::RequiresStepUp)
    }
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
    pub bank_link_id: Option<String>,
    pub payee_identity_id: Option<String>,
    pub payee_bank_bin: Option<String>,
    pub payee_account: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What finally moved, when less than `amount` (a partial capture).
    pub settled_amount: Option<i64>,
    /// Every status the payment went through, oldest first (`StatusChange`s).
    pub history: serde_json::Value,
    /// The gateway instance driving the payment through an outside system now.
    pub driver: Option<uuid::Uuid>,
    /// The merchant's request a merchant payment pays.
    pub payment_request_id: Option<String>,
    /// The monthly cap the payment counts toward (`CapClass`).
    pub cap: String,
}

impl PaymentRow {
    /// A payment with its ids, amounts and time and nothing else yet: kind, status,
    /// key and the rest are set by whoever builds it.
    pub fn blank(id: String, identity_id: &str, amount: i64, fee: i64, at: DateTime<Utc>) -> Self {
        Self {
            id,
            identity_id: identity_id.to_string(),
            idempotency_key: String::new(),
            kind: String::new(),
            amount,
            fee,
            status: String::new(),
            failure_code: None,
            bank_link_id: None,
            payee_identity_id: None,
            payee_bank_bin: None,
            payee_account: None,
            note: None,
            created_at: at,
            updated_at: at,
            settled_amount: None,
            history: serde_json::Value::Array(Vec::new()),
            driver: None,
            payment_request_id: None,
            cap: String::new(),
        }
    }

    pub fn kind(&self) -> Option<PaymentKind> {
        PaymentKind::parse(&self.kind)
    }

    pub fn status(&self) -> Option<PaymentStatus> {
        PaymentStatus::parse(&self.status)
    }

    pub fn cap_class(&self) -> CapClass {
        CapClass::parse(&self.cap).unwrap_or(CapClass::Uncapped)
    }

    /// What the payment counts toward the limits while counted: what finally moved.
    pub fn counted_amount(&self) -> i64 {
        self.settled_amount.unwrap_or(self.amount)
    }

    /// Moves the payment to `to` at `at`, recording the change in its history.
    pub fn set_status(
        &mut self,
        to: PaymentStatus,
        failure_code: Option<&str>,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) {
        self.status = to.as_str().to_string();
        self.failure_code = failure_code.map(str::to_string);
        self.updated_at = at;
        let change = serde_json::json!({ "status": to.as_str(), "at": at, "detail": detail });
        match &mut self.history {
            serde_json::Value::Array(items) => items.push(change),
            other => *other = serde_json::Value::Array(vec![change]),
        }
    }

    /// The history as the API shows it.
    pub fn status_history(&self) -> Vec<StatusChange> {
        serde_json::from_value(self.history.clone()).unwrap_or_default()
    }
}

/// One step of a payment's history.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
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

impl PaymentView {
    /// The view of `row`, given what it names: its payee, its provider order, and the
    /// receipt of a bill or insurance payment.
    pub fn build(
        row: &PaymentRow,
        payee: Option<PayeeView>,
        order: Option<&crate::payments::provider_orders::ProviderOrderRow>,
        receipt: Option<crate::bills::receipts::Receipt>,
    ) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            amount: row.amount,
            settled_amount: row.settled_amount,
            fee: row.fee,
            status: row.status.clone(),
            failure_code: row.failure_code.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            bank_link_id: row.bank_link_id.clone(),
            payee,
            note: row.note.clone(),
            step_up_nonce: (row.status == PaymentStatus::RequiresStepUp.as_str())
                .then(|| row.id.clone()),
            provider: order.map(|o| o.provider.clone()),
            provider_reference: order.and_then(|o| o.provider_reference.clone()),
            redirect_url: order.and_then(|o| o.redirect_url.clone()),
            receipt,
            status_history: row.status_history(),
        }
    }
}

impl PayeeView {
    /// A citizen payee: their number masked.
    pub fn citizen(cccd: &str, name: &str) -> Self {
        Self {
            kind: "citizen",
            cccd: Some(adapters::identity::mask_cccd(cccd)),
            name: Some(name.to_string()),
            bank_bin: None,
            account_number_masked: None,
        }
    }

    /// A bank account payee: the number masked.
    pub fn bank_account(bin: &str, account: &str) -> Self {
        Self {
            kind: "bank_account",
            cccd: None,
            name: None,
            bank_bin: Some(bin.to_string()),
            account_number_masked: Some(adapters::bank::mask_account_number(account)),
        }
    }
}
