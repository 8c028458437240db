//! VNPay: the signed payment URL (built locally, VNPay has no create call) and the IPN.

use super::callback::{CallbackError, OrderLookup, VerifiedCallback};
use super::text::safe_order_info;
use super::{validate, wire_amount, FundingError, FundingProvider, Provider, ProviderOrder};
use super::{ProviderSecret, TopupOrder};
use crate::providers::vnpay::{self, IpnReply, PaymentRequest};
use async_trait::async_trait;

/// VNPay's sandbox host; the payment page is [`PAYMENT_PATH`] under it.
pub const SANDBOX_BASE_URL: &str = "https://sandbox.vnpayment.vn";
/// The payment page, under the VNPay (or simulator) base URL.
pub const PAYMENT_PATH: &str = "/paymentv2/vpcpay.html";
/// The demo terminal of api.md's demo mode.
pub const DEMO_TMN_CODE: &str = "DEMO0001";
/// The demo hash secret of api.md's demo mode (public, like the providers' sandboxes).
pub const DEMO_HASH_SECRET: &str = "demo-vnpay-hash-secret";
/// How long the payer has to pay (`vnp_ExpireDate` − `vnp_CreateDate`), as in VNPay's
/// samples.
pub const DEFAULT_EXPIRY_MINUTES: i64 = 15;

/// A VNPay terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnpayCredentials {
    /// `vnp_TmnCode`.
    pub tmn_code: String,
    /// The hash secret (HMAC-SHA512 key).
    pub hash_secret: ProviderSecret,
}

impl VnpayCredentials {
    /// Credentials from configuration.
    pub fn new(tmn_code: impl Into<String>, hash_secret: impl Into<ProviderSecret>) -> Self {
        Self {
            tmn_code: tmn_code.into(),
            hash_secret: hash_secret.into(),
        }
    }

    /// The demo terminal (`DEMO0001` / `demo-vnpay-hash-secret`).
    pub fn demo() -> Self {
        Self::new(DEMO_TMN_CODE, DEMO_HASH_SECRET)
    }
}

/// Creates VNPay orders: signs the payment URL, no HTTP call.
#[derive(Debug, Clone)]
pub struct VnpayFunding {
    credentials: VnpayCredentials,
    payment_url: String,
    ip_addr: String,
    expiry_minutes: i64,
}

impl VnpayFunding {
    /// Orders paid at `base_url` (VNPay's host, or `{simulators}/vnpay`).
    pub fn new(base_url: &str, credentials: VnpayCredentials) -> Self {
        Self {
            credentials,
            payment_url: format!("{}{PAYMENT_PATH}", base_url.trim_end_matches('/')),
            ip_addr: "127.0.0.1".to_owned(),
            expiry_minutes: DEFAULT_EXPIRY_MINUTES,
        }
    }

    /// The `vnp_IpAddr` to send (VNPay wants the payer's address; a top-up order does
    /// not carry it, so the gateway may set its own public address here).
    pub fn with_ip_addr(mut self, ip_addr: impl Into<String>) -> Self {
        self.ip_addr = ip_addr.into();
        self
    }

    /// How many minutes the payer has (at least 1).
    pub fn with_expiry_minutes(mut self, minutes: i64) -> Self {
        self.expiry_minutes = minutes.max(1);
        self
    }

    /// The payment page URLs are built on.
    pub fn payment_url(&self) -> &str {
        &self.payment_url
    }

    /// The signed redirect URL for `order`, with `vnp_TxnRef` = the order's reference.
    pub fn payment_url_for(&self, order: &TopupOrder) -> Result<String, FundingError> {
        validate(order)?;
        let request = PaymentRequest {
            tmn_code: self.credentials.tmn_code.clone(),
            amount: wire_amount(order)?,
            txn_ref: order.reference.clone(),
            order_info: safe_order_info(&order.description, &order.reference),
            order_type: "other".to_owned(),
            locale: "vn".to_owned(),
            return_url: order.return_url.clone(),
            ip_addr: self.ip_addr.clone(),
            create_date: order.now,
            expire_date: order.now + chrono::Duration::minutes(self.expiry_minutes),
            bank_code: None,
        };
        request
            .signed_url(&self.payment_url, self.credentials.hash_secret.expose())
            .map_err(|_| FundingError::InvalidAmount(order.amount))
    }
}

#[async_trait]
impl FundingProvider for VnpayFunding {
    fn provider(&self) -> Provider {
        Provider::Vnpay
    }

    async fn create_order(&self, order: TopupOrder) -> Result<ProviderOrder, FundingError> {
        let redirect_url = self.payment_url_for(&order)?;
        Ok(ProviderOrder {
            provider: Provider::Vnpay,
            provider_reference: order.reference,
            redirect_url,
        })
    }
}

/// An IPN whose signature verified; [`SignedIpn::check`] decides the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIpn {
    txn_ref: String,
    vnp_amount: String,
    response_code: String,
    transaction_status: String,
    transaction_no: String,
}

/// Step 1 for an IPN (or a return URL): the query parameters, URL-decoded, as
/// received. Checks `vnp_SecureHash` only, VNPay's first check (reply `97`).
pub fn verify_ipn(
    params: &[(String, String)],
    credentials: &VnpayCredentials,
) -> Result<SignedIpn, CallbackError> {
    if !vnpay::verify_return(params, credentials.hash_secret.expose()) {
        return Err(CallbackError::BadSignature);
    }
    // verify_return refused repeated keys, so the first value is the only one.
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // An order of another terminal is none of ours, whatever its reference.
    if get("vnp_TmnCode") != credentials.tmn_code {
        return Err(CallbackError::UnknownOrder(get("vnp_TxnRef")));
    }
    Ok(SignedIpn {
        txn_ref: get("vnp_TxnRef"),
        vnp_amount: get("vnp_Amount"),
        response_code: get("vnp_ResponseCode"),
        transaction_status: get("vnp_TransactionStatus"),
        transaction_no: get("vnp_TransactionNo"),
    })
}

impl SignedIpn {
    /// `vnp_TxnRef`: the order to look up.
    pub fn reference(&self) -> &str {
        &self.txn_ref
    }

    /// Step 2: checks in VNPay's order (order `01`, amount `04`, already confirmed
    /// `02`) against what the gateway knows of the order. `Ok` means: record the
    /// result, then answer `00` ([`IpnReply::ConfirmSuccess`]).
    pub fn check(self, order: OrderLookup) -> Result<VerifiedCallback, CallbackError> {
        let lookup = match order {
            OrderLookup::NotFound => vnpay::OrderLookup::NotFound,
            OrderLookup::Found {
                amount,
                already_recorded,
            } => vnpay::OrderLookup::Found {
                // A negative amount matches no vnp_Amount; u64::MAX cannot either.
                amount: u64::try_from(amount).unwrap_or(u64::MAX),
                already_confirmed: already_recorded,
            },
        };
        match vnpay::ipn_reply(true, lookup, &self.vnp_amount) {
            IpnReply::ConfirmSuccess => {}
            IpnReply::OrderNotFound => return Err(CallbackError::UnknownOrder(self.txn_ref)),
            IpnReply::AlreadyConfirmed => return Err(CallbackError::AlreadyRecorded),
            IpnReply::InvalidAmount => {
                let expected = match order {
                    OrderLookup::Found { amount, .. } => amount,
                    OrderLookup::NotFound => 0,
                };
                return Err(CallbackError::WrongAmount {
                    expected,
                    received: self.vnp_amount,
                });
            }
            // Not produced for a verified signature; kept exhaustive on purpose.
            IpnReply::InvalidSignature => return Err(CallbackError::BadSignature),
            IpnReply::UnknownError => {
                return Err(CallbackError::Malformed("unexpected IPN state".to_owned()))
            }
        }
        let OrderLookup::Found { amount, .. } = order else {
            return Err(CallbackError::UnknownOrder(self.txn_ref));
        };
        let transaction_no = self.transaction_no.trim();
        let provider_transaction_id = (!transaction_no.is_empty() && transaction_no != "0")
            .then(|| transaction_no.to_owned());
        Ok(VerifiedCallback {
            provider: Provider::Vnpay,
            provider_reference: self.txn_ref,
            amount,
            success: vnpay::is_payment_success(&self.response_code, &self.transaction_status),
            provider_transaction_id,
            result_code: self.response_code,
        })
    }
}

/// The IPN reply for a failed check (`97`, `01`, `04`, `02`; `99` for a signed but
/// malformed IPN). A successful check is answered with [`IpnReply::ConfirmSuccess`]
/// once recorded.
pub fn ipn_reply_for(error: &CallbackError) -> IpnReply {
    match error {
        CallbackError::BadSignature => IpnReply::InvalidSignature,
        CallbackError::UnknownOrder(_) => IpnReply::OrderNotFound,
        CallbackError::WrongAmount { .. } => IpnReply::InvalidAmount,
        CallbackError::AlreadyRecorded => IpnReply::AlreadyConfirmed,
        CallbackError::Malformed(_) => IpnReply::UnknownError,
    }
}
