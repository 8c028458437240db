//! ZaloPay v2: create, query, refund and query-refund requests with their `mac`
//! (hex HMAC-SHA256 under key1 over `|`-joined fields), and the callback, whose `mac`
//! is HMAC-SHA256 under key2 over the raw `data` string.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::mac::{hmac_sha256_hex, verify_hmac_sha256_hex};
use super::vietnam_time::to_vietnam;

/// Sandbox API base; append `/create`, `/query`, `/refund` or `/query_refund`.
pub const SANDBOX_BASE_URL: &str = "https://sb-openapi.zalopay.vn/v2";
/// Production API base.
pub const PRODUCTION_BASE_URL: &str = "https://openapi.zalopay.vn/v2";
/// Longest `app_trans_id` ZaloPay accepts.
pub const MAX_APP_TRANS_ID_CHARS: usize = 40;

/// Identifiers that cannot be built as ZaloPay requires.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ZaloPayError {
    /// The suffix is empty or has characters other than ASCII letters, digits, `_`, `-`.
    #[error("id suffix {0:?} must be non-empty ASCII letters, digits, '_' or '-'")]
    InvalidSuffix(String),
    /// The whole id would exceed ZaloPay's limit.
    #[error("id {id:?} is longer than {max} characters")]
    TooLong {
        /// The id that would have been built.
        id: String,
        /// The limit.
        max: usize,
    },
}

/// `app_trans_id` for an order created at `now`: `yyMMdd_<suffix>`, the date on the
/// Vietnamese clock, at most 40 characters. ZaloPay refuses ids whose date prefix is
/// not today's in GMT+7, so an order created at 23:30 UTC already carries tomorrow.
pub fn app_trans_id(now: DateTime<Utc>, suffix: &str) -> Result<String, ZaloPayError> {
    check_suffix(suffix)?;
    let id = format!("{}_{suffix}", date_prefix(now));
    check_length(id, MAX_APP_TRANS_ID_CHARS)
}

/// The merchant's own reference inside an `app_trans_id` (`yyMMdd_<reference>`), or
/// `None` when the id does not have that shape.
pub fn reference_of(app_trans_id: &str) -> Option<&str> {
    let (date, rest) = app_trans_id.split_once('_')?;
    (date.len() == 6 && date.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
        .then_some(rest)
}

/// `m_refund_id` for a refund made at `now`: `yyMMdd_<app_id>_<suffix>` in GMT+7.
pub fn m_refund_id(now: DateTime<Utc>, app_id: u64, suffix: &str) -> Result<String, ZaloPayError> {
    check_suffix(suffix)?;
    let id = format!("{}_{app_id}_{suffix}", date_prefix(now));
    // Not documented for refunds; the same limit as app_trans_id is the safe choice.
    check_length(id, MAX_APP_TRANS_ID_CHARS)
}

/// Body of `POST /v2/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderRequest {
    /// The merchant app id (2553 in the public sandbox).
    pub app_id: u64,
    /// The payer as the merchant knows them.
    pub app_user: String,
    /// `yyMMdd_xxx`, see [`app_trans_id`]; the gateway's provider reference.
    pub app_trans_id: String,
    /// Creation time, Unix milliseconds; ZaloPay refuses it 15 minutes later.
    pub app_time: u64,
    /// Amount in dong.
    pub amount: u64,
    /// JSON array of items, as a string (`[]` when none).
    pub item: String,
    /// JSON object, as a string (`{}` when none); may hold `redirecturl`.
    pub embed_data: String,
    /// Shown to the payer.
    pub description: String,
    /// Payment method filter; empty for all.
    #[serde(default)]
    pub bank_code: String,
    /// Per-order callback URL, overriding the one registered with ZaloPay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Hex HMAC-SHA256(key1) of [`Self::mac_input`]; set it with [`Self::sign`].
    pub mac: String,
}

impl CreateOrderRequest {
    /// `app_id|app_trans_id|app_user|amount|app_time|embed_data|item`.
    pub fn mac_input(&self) -> String {
        create_mac_input(
            self.app_id,
            &self.app_trans_id,
            &self.app_user,
            self.amount,
            self.app_time,
            &self.embed_data,
            &self.item,
        )
    }

    /// Fills in [`Self::mac`] with key1.
    pub fn sign(&mut self, key1: &str) {
        self.mac = mac(key1, &self.mac_input());
    }

    /// Whether [`Self::mac`] is valid under key1 (constant time), as ZaloPay checks it.
    pub fn verify(&self, key1: &str) -> bool {
        verify_mac(key1, &self.mac_input(), &self.mac)
    }
}

/// The create MAC input: `app_id|app_trans_id|app_user|amount|app_time|embed_data|item`.
pub fn create_mac_input(
    app_id: u64,
    app_trans_id: &str,
    app_user: &str,
    amount: u64,
    app_time: u64,
    embed_data: &str,
    item: &str,
) -> String {
    format!("{app_id}|{app_trans_id}|{app_user}|{amount}|{app_time}|{embed_data}|{item}")
}

/// ZaloPay's answer to create, query, refund and query-refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResponse {
    /// 1 success, 2 failure, 3 processing.
    pub return_code: i32,
    /// Human-readable result.
    #[serde(default)]
    pub return_message: String,
    /// Detail code, e.g. -68 order exists, -401 invalid argument, -402 unauthenticated.
    #[serde(default)]
    pub sub_return_code: i32,
    /// Detail message.
    #[serde(default)]
    pub sub_return_message: String,
    /// Create: ZaloPay's payment page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_url: Option<String>,
    /// Create: token for the app SDK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zp_trans_token: Option<String>,
    /// Query: ZaloPay's transaction id once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zp_trans_id: Option<u64>,
    /// Query: the order amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// Refund: ZaloPay's refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<u64>,
}

/// Body of `POST /v2/query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryOrderRequest {
    /// The merchant app id.
    pub app_id: u64,
    /// The order to look up.
    pub app_trans_id: String,
    /// Hex HMAC-SHA256(key1) of [`Self::mac_input`].
    pub mac: String,
}

impl QueryOrderRequest {
    /// A signed query for `app_trans_id`.
    pub fn signed(app_id: u64, app_trans_id: &str, key1: &str) -> Self {
        let mut request = Self {
            app_id,
            app_trans_id: app_trans_id.to_owned(),
            mac: String::new(),
        };
        request.mac = mac(key1, &request.mac_input(key1));
        request
    }

    /// `app_id|app_trans_id|key1`: ZaloPay puts key1 itself in the MAC input here.
    pub fn mac_input(&self, key1: &str) -> String {
        format!("{}|{}|{key1}", self.app_id, self.app_trans_id)
    }

    /// Whether [`Self::mac`] is valid under key1 (constant time).
    pub fn verify(&self, key1: &str) -> bool {
        verify_mac(key1, &self.mac_input(key1), &self.mac)
    }
}

/// Body of `POST /v2/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// `yymmdd_appid_xxx`, see [`m_refund_id`].
    pub m_refund_id: String,
    /// The merchant app id.
    pub app_id: u64,
    /// ZaloPay's id of the transaction to refund.
    pub zp_trans_id: u64,
    /// Amount to refund, in dong.
    pub amount: u64,
    /// Unix milliseconds.
    pub timestamp: u64,
    /// Reason shown to the payer.
    pub description: String,
    /// Hex HMAC-SHA256(key1) of [`Self::mac_input`].
    pub mac: String,
}

impl RefundRequest {
    /// `app_id|zp_trans_id|amount|description|timestamp`.
    pub fn mac_input(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.app_id, self.zp_trans_id, self.amount, self.description, self.timestamp
        )
    }

    /// Fills in [`Self::mac`] with key1.
    pub fn sign(&mut self, key1: &str) {
        self.mac = mac(key1, &self.mac_input());
    }

    /// Whether [`Self::mac`] is valid under key1 (constant time).
    pub fn verify(&self, key1: &str) -> bool {
        verify_mac(key1, &self.mac_input(), &self.mac)
    }
}

/// Body of `POST /v2/query_refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRefundRequest {
    /// The merchant app id.
    pub app_id: u64,
    /// The refund to look up.
    pub m_refund_id: String,
    /// Unix milliseconds.
    pub timestamp: u64,
    /// Hex HMAC-SHA256(key1) of [`Self::mac_input`].
    pub mac: String,
}

impl QueryRefundRequest {
    /// `app_id|m_refund_id|timestamp`.
    pub fn mac_input(&self) -> String {
        format!("{}|{}|{}", self.app_id, self.m_refund_id, self.timestamp)
    }

    /// Fills in [`Self::mac`] with key1.
    pub fn sign(&mut self, key1: &str) {
        self.mac = mac(key1, &self.mac_input());
    }

    /// Whether [`Self::mac`] is valid under key1 (constant time).
    pub fn verify(&self, key1: &str) -> bool {
        verify_mac(key1, &self.mac_input(), &self.mac)
    }
}

/// The callback body ZaloPay POSTs: `{"data": "<json string>", "mac": "...", "type": 1}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The order result as a JSON string; the MAC covers these exact characters.
    pub data: String,
    /// Hex HMAC-SHA256(key2, `data`).
    pub mac: String,
    /// 1 for an order callback, 2 for an agreement (binding) callback.
    #[serde(rename = "type", default)]
    pub kind: i32,
}

impl Callback {
    /// A signed order callback around `data`, as ZaloPay (or its simulator) sends it.
    pub fn signed(data: String, key2: &str) -> Self {
        let mac = mac(key2, &data);
        Self { data, mac, kind: 1 }
    }

    /// Whether [`Self::mac`] is valid under key2; see [`verify_callback`].
    pub fn verify(&self, key2: &str) -> bool {
        verify_callback(&self.data, &self.mac, key2)
    }

    /// Parses `data`. Only trust the result after [`Self::verify`].
    pub fn parse_data(&self) -> Result<CallbackData, serde_json::Error> {
        serde_json::from_str(&self.data)
    }
}

/// Whether `mac` is HMAC-SHA256(key2, `data`), compared in constant time. `data` must be
/// the string exactly as received: re-serialising parsed JSON changes key order or
/// spacing and breaks the MAC.
pub fn verify_callback(data: &str, mac: &str, key2: &str) -> bool {
    verify_mac(key2, data, mac)
}

/// The content of a callback's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackData {
    /// The merchant app id; must be ours.
    pub app_id: u64,
    /// The order's id; the gateway's provider reference.
    pub app_trans_id: String,
    /// The order's creation time, Unix milliseconds.
    pub app_time: u64,
    /// The payer as the merchant named them.
    pub app_user: String,
    /// Amount in dong; must match the order.
    pub amount: u64,
    /// Echoed `embed_data`.
    #[serde(default)]
    pub embed_data: String,
    /// Echoed `item`.
    #[serde(default)]
    pub item: String,
    /// ZaloPay's transaction id (needed to refund).
    pub zp_trans_id: u64,
    /// Payment time, Unix milliseconds.
    pub server_time: u64,
    /// Payment channel code.
    #[serde(default)]
    pub channel: i32,
    /// ZaloPay's id of the payer for this merchant.
    #[serde(default)]
    pub merchant_user_id: String,
    /// Fee the payer paid, in dong.
    #[serde(default)]
    pub user_fee_amount: u64,
    /// Discount applied, in dong.
    #[serde(default)]
    pub discount_amount: u64,
}

/// The merchant's answer to a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackReply {
    /// 1 recorded, 2 already recorded, -1 bad MAC or unknown order, 0 retry later.
    pub return_code: i32,
    /// Human-readable result.
    pub return_message: String,
}

impl CallbackReply {
    /// `1`: the payment is recorded now.
    pub fn success() -> Self {
        Self::new(1, "success")
    }

    /// `2`: this `zp_trans_id` was already recorded; ZaloPay stops retrying.
    pub fn already_recorded() -> Self {
        Self::new(2, "already recorded")
    }

    /// `-1`: the MAC is wrong or the order unknown; nothing was credited.
    pub fn rejected(message: &str) -> Self {
        Self::new(-1, message)
    }

    /// `0`: a temporary failure; ZaloPay calls back again (at most 3 times).
    pub fn retry() -> Self {
        Self::new(0, "retry")
    }

    fn new(return_code: i32, message: &str) -> Self {
        Self {
            return_code,
            return_message: message.to_owned(),
        }
    }
}

fn mac(key: &str, input: &str) -> String {
    hmac_sha256_hex(key.as_bytes(), input.as_bytes())
}

fn verify_mac(key: &str, input: &str, mac: &str) -> bool {
    verify_hmac_sha256_hex(key.as_bytes(), input.as_bytes(), mac)
}

fn date_prefix(now: DateTime<Utc>) -> String {
    to_vietnam(now).format("%y%m%d").to_string()
}

fn check_suffix(suffix: &str) -> Result<(), ZaloPayError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if suffix.is_empty() || !suffix.bytes().all(allowed) {
        return Err(ZaloPayError::InvalidSuffix(suffix.to_owned()));
    }
    Ok(())
}

fn check_length(id: String, max: usize) -> Result<String, ZaloPayError> {
    if id.len() > max {
        return Err(ZaloPayError::TooLong { id, max });
    }
    Ok(id)
}

#[cfg(test)]
#[path = "zalopay_tests.rs"]
mod tests;
