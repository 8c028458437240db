//! VNPay payment gateway, API version 2.1.0: the signed redirect URL, verification of
//! the return URL and the IPN, and the IPN's reply codes.
//!
//! The signature is HMAC-SHA512 over the `vnp_*` parameters sorted by key and
//! form-encoded the way VNPay's PHP sample does (`urlencode`). Other encodings (for
//! example RFC 3986, which keeps `~` and writes space as `%20`) give a different
//! string, hence a signature VNPay rejects, as soon as a value holds such a character.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::mac::{hmac_sha512_hex, verify_hmac_sha512_hex};
use super::vietnam_time::{to_vietnam, VIETNAM};

/// The API version this module speaks (`vnp_Version`).
pub const VERSION: &str = "2.1.0";
/// The sandbox payment page, the base of [`signed_payment_url`] in tests and demos.
pub const SANDBOX_PAYMENT_URL: &str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html";
/// Prefix of every parameter VNPay signs.
pub const PARAM_PREFIX: &str = "vnp_";
/// The signature parameter.
pub const SECURE_HASH: &str = "vnp_SecureHash";
/// The optional signature-type parameter; never signed.
pub const SECURE_HASH_TYPE: &str = "vnp_SecureHashType";
/// `vnp_CreateDate`, `vnp_ExpireDate` and `vnp_PayDate` format, in Vietnam time.
pub const DATE_FORMAT: &str = "%Y%m%d%H%M%S";

/// VNPay values that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VnpayError {
    /// An amount in dong too large to multiply by 100.
    #[error("amount of {0} dong is too large for vnp_Amount")]
    AmountTooLarge(u64),
    /// A `vnp_Amount` that is not a non-negative whole multiple of 100.
    #[error("vnp_Amount {0:?} is not a whole number of dong times 100")]
    InvalidAmount(String),
}

/// PHP's `urlencode`: ASCII letters, digits and `-_.` are kept, space becomes `+` and
/// every other byte of the UTF-8 encoding becomes `%XX` in uppercase hex.
pub fn urlencode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The string VNPay signs: every `vnp_*` parameter except [`SECURE_HASH`] and
/// [`SECURE_HASH_TYPE`], sorted by key (the map's byte order is VNPay's ASCII order),
/// each key and value [`urlencode`]d, joined as `k=v` with `&`.
///
/// Empty values are kept, as in VNPay's PHP sample and the domain doc ("every `vnp_*`
/// parameter"); the older Java sample skips them, so a merchant should not send any.
pub fn signing_string(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(key, _)| is_signed(key))
        .map(|(key, value)| format!("{}={}", urlencode(key), urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `vnp_SecureHash` for `params`: lowercase hex HMAC-SHA512 of [`signing_string`]
/// under the terminal's hash secret.
pub fn sign_params(params: &BTreeMap<String, String>, hash_secret: &str) -> String {
    hmac_sha512_hex(hash_secret.as_bytes(), signing_string(params).as_bytes())
}

/// The URL to redirect the payer to: `base_url`, the signed parameters as the query
/// string, then `vnp_SecureHash`. Parameters without the `vnp_` prefix are left out,
/// because VNPay would not sign them and so could not vouch for them either.
pub fn signed_payment_url(
    base_url: &str,
    params: &BTreeMap<String, String>,
    hash_secret: &str,
) -> String {
    let query = signing_string(params);
    let hash = hmac_sha512_hex(hash_secret.as_bytes(), query.as_bytes());
    let separator = if base_url.contains('?') { '&' } else { '?' };
    if query.is_empty() {
        format!("{base_url}{separator}{SECURE_HASH}={hash}")
    } else {
        format!("{base_url}{separator}{query}&{SECURE_HASH}={hash}")
    }
}

/// Whether the query parameters of a return URL or an IPN (already URL-decoded, in any
/// order) carry a valid `vnp_SecureHash`. The hash is compared in constant time and in
/// either hex case.
///
/// A repeated `vnp_*` parameter or `vnp_SecureHash` makes the request invalid: which of
/// the copies was signed is ambiguous, and accepting either would let an attacker
/// append a value of their own.
pub fn verify_return(params: &[(String, String)], hash_secret: &str) -> bool {
    let mut signed = BTreeMap::new();
    let mut hash: Option<&str> = None;
    for (key, value) in params {
        if key == SECURE_HASH {
            if hash.replace(value).is_some() {
                return false;
            }
        } else if is_signed(key) && signed.insert(key.clone(), value.clone()).is_some() {
            return false;
        }
    }
    let Some(hash) = hash else {
        return false;
    };
    verify_hmac_sha512_hex(
        hash_secret.as_bytes(),
        signing_string(&signed).as_bytes(),
        hash,
    )
}

/// `vnp_Amount` for an amount in dong: VNPay wants it multiplied by 100.
pub fn to_vnp_amount(dong: u64) -> Result<u64, VnpayError> {
    dong.checked_mul(100)
        .ok_or(VnpayError::AmountTooLarge(dong))
}

/// The amount in dong that a `vnp_Amount` string stands for.
pub fn from_vnp_amount(vnp_amount: &str) -> Result<u64, VnpayError> {
    let invalid = || VnpayError::InvalidAmount(vnp_amount.to_owned());
    if vnp_amount.is_empty() || !vnp_amount.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let hundredths: u64 = vnp_amount.parse().map_err(|_| invalid())?;
    if !hundredths.is_multiple_of(100) {
        return Err(invalid());
    }
    Ok(hundredths / 100)
}

/// `instant` as VNPay writes dates: `yyyyMMddHHmmss` on the Vietnamese (GMT+7) clock.
pub fn format_date(instant: DateTime<Utc>) -> String {
    to_vietnam(instant).format(DATE_FORMAT).to_string()
}

/// Reads a VNPay date (`yyyyMMddHHmmss`, GMT+7), such as `vnp_PayDate`.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    // chrono accepts short numeric fields (`2024052109180`); VNPay always writes 14 digits.
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = NaiveDateTime::parse_from_str(text, DATE_FORMAT).ok()?;
    local
        .and_local_timezone(VIETNAM)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a return or IPN reports a successful payment: VNPay requires both
/// `vnp_ResponseCode` and `vnp_TransactionStatus` to be `00`.
pub fn is_payment_success(response_code: &str, transaction_status: &str) -> bool {
    response_code == "00" && transaction_status == "00"
}

/// The fields of a payment redirect, typed; [`PaymentRequest::to_params`] turns them
/// into the map [`signed_payment_url`] signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// `vnp_TmnCode`, the terminal code.
    pub tmn_code: String,
    /// Amount in dong; sent as `vnp_Amount` × 100.
    pub amount: u64,
    /// `vnp_TxnRef`, the merchant reference, unique per (Vietnamese) day.
    pub txn_ref: String,
    /// `vnp_OrderInfo`, the description shown to the payer.
    pub order_info: String,
    /// `vnp_OrderType`, e.g. `other` or `billpayment`.
    pub order_type: String,
    /// `vnp_Locale`, `vn` or `en`.
    pub locale: String,
    /// `vnp_ReturnUrl`, where the payer's browser comes back.
    pub return_url: String,
    /// `vnp_IpAddr`, the payer's IP address.
    pub ip_addr: String,
    /// `vnp_CreateDate`.
    pub create_date: DateTime<Utc>,
    /// `vnp_ExpireDate`.
    pub expire_date: DateTime<Utc>,
    /// `vnp_BankCode`, optional: `VNPAYQR`, `VNBANK` or `INTCARD`.
    pub bank_code: Option<String>,
}

impl PaymentRequest {
    /// The `vnp_*` parameters of a `pay` command, unsigned.
    pub fn to_params(&self) -> Result<BTreeMap<String, String>, VnpayError> {
        let mut params = BTreeMap::new();
        let mut put = |key: &str, value: String| {
            params.insert(key.to_owned(), value);
        };
        put("vnp_Version", VERSION.to_owned());
        put("vnp_Command", "pay".to_owned());
        put("vnp_TmnCode", self.tmn_code.clone());
        put("vnp_Amount", to_vnp_amount(self.amount)?.to_string());
        put("vnp_CurrCode", "VND".to_owned());
        put("vnp_TxnRef", self.txn_ref.clone());
        put("vnp_OrderInfo", self.order_info.clone());
        put("vnp_OrderType", self.order_type.clone());
        put("vnp_Locale", self.locale.clone());
        put("vnp_ReturnUrl", self.return_url.clone());
        put("vnp_IpAddr", self.ip_addr.clone());
        put("vnp_CreateDate", format_date(self.create_date));
        put("vnp_ExpireDate", format_date(self.expire_date));
        if let Some(bank_code) = &self.bank_code {
            put("vnp_BankCode", bank_code.clone());
        }
        Ok(params)
    }

    /// The signed redirect URL for this payment.
    pub fn signed_url(&self, base_url: &str, hash_secret: &str) -> Result<String, VnpayError> {
        Ok(signed_payment_url(
            base_url,
            &self.to_params()?,
            hash_secret,
        ))
    }
}

/// What the gateway knows of the order an IPN refers to (looked up by `vnp_TxnRef`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderLookup {
    /// No order with that reference.
    NotFound,
    /// The order exists.
    Found {
        /// The amount the order was created for, in dong.
        amount: u64,
        /// Whether a result (success or failure) was already recorded for it.
        already_confirmed: bool,
    },
}

/// The merchant's answer to an IPN, in VNPay's `RspCode` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpnReply {
    /// `00`: the result (success or failure) has been recorded now.
    ConfirmSuccess,
    /// `01`: no order with that `vnp_TxnRef`.
    OrderNotFound,
    /// `02`: a result was already recorded; VNPay stops retrying (idempotency signal).
    AlreadyConfirmed,
    /// `04`: `vnp_Amount` differs from the order's amount × 100.
    InvalidAmount,
    /// `97`: the signature does not verify.
    InvalidSignature,
    /// `99`: the merchant failed for another reason (for example a database error).
    UnknownError,
}

impl IpnReply {
    /// The `RspCode` to answer.
    pub fn rsp_code(self) -> &'static str {
        match self {
            Self::ConfirmSuccess => "00",
            Self::OrderNotFound => "01",
            Self::AlreadyConfirmed => "02",
            Self::InvalidAmount => "04",
            Self::InvalidSignature => "97",
            Self::UnknownError => "99",
        }
    }

    /// The `Message` to answer, as in VNPay's sample handlers.
    pub fn message(self) -> &'static str {
        match self {
            Self::ConfirmSuccess => "Confirm Success",
            Self::OrderNotFound => "Order not found",
            Self::AlreadyConfirmed => "Order already confirmed",
            Self::InvalidAmount => "Invalid amount",
            Self::InvalidSignature => "Invalid signature",
            Self::UnknownError => "Unknown error",
        }
    }

    /// The JSON body VNPay expects.
    pub fn body(self) -> IpnResponse {
        IpnResponse {
            rsp_code: self.rsp_code().to_owned(),
            message: self.message().to_owned(),
        }
    }
}

/// The IPN response body: `{"RspCode": "..", "Message": ".."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpnResponse {
    /// Two-digit result code.
    #[serde(rename = "RspCode")]
    pub rsp_code: String,
    /// Human-readable message.
    #[serde(rename = "Message")]
    pub message: String,
}

/// Decides the IPN reply, checking in VNPay's order: signature (97), order exists (01),
/// amount (04), not already confirmed (02). [`IpnReply::ConfirmSuccess`] means the
/// caller must now record the result (a failed payment included) before answering.
///
/// The amount is checked before idempotency so that a replay with a different amount
/// is reported as such rather than acknowledged.
pub fn ipn_reply(signature_valid: bool, order: OrderLookup, vnp_amount: &str) -> IpnReply {
    if !signature_valid {
        return IpnReply::InvalidSignature;
    }
    let OrderLookup::Found {
        amount,
        already_confirmed,
    } = order
    else {
        return IpnReply::OrderNotFound;
    };
    if from_vnp_amount(vnp_amount) != Ok(amount) {
        return IpnReply::InvalidAmount;
    }
    if already_confirmed {
        return IpnReply::AlreadyConfirmed;
    }
    IpnReply::ConfirmSuccess
}

fn is_signed(key: &str) -> bool {
    key.starts_with(PARAM_PREFIX) && key != SECURE_HASH && key != SECURE_HASH_TYPE
}

#[cfg(test)]
#[path = "vnpay_tests.rs"]
mod tests;
