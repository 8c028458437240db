//! MoMo All-in-One v2: `POST {base}/v2/gateway/api/create` and the IPN.

use super::callback::{check_order, CallbackError, OrderLookup, VerifiedCallback};
use super::http::{client, post_json, DEFAULT_TIMEOUT};
use super::{validate, wire_amount, FundingError, FundingProvider, Provider, ProviderOrder};
use super::{ProviderSecret, TopupOrder};
use crate::providers::momo::RequestType;
use crate::providers::momo::{self, CreatePaymentRequest, CreatePaymentResponse, MomoIpn};
use async_trait::async_trait;
use std::time::Duration;

/// MoMo's sandbox host.
pub const SANDBOX_BASE_URL: &str = "https://test-payment.momo.vn";
/// The create call, under the MoMo (or simulator) base URL.
pub const CREATE_PATH: &str = "/v2/gateway/api/create";
/// Public sandbox partner code from MoMo's samples (domain doc §3).
pub const SANDBOX_PARTNER_CODE: &str = "MOMO";
/// Public sandbox access key.
pub const SANDBOX_ACCESS_KEY: &str = "F8BBA842ECF85";
/// Public sandbox secret key.
pub const SANDBOX_SECRET_KEY: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";
/// `resultCode` of a successful payment.
pub const RESULT_SUCCESS: i32 = 0;
/// `resultCode` when the payer refuses or cancels.
pub const RESULT_USER_DENIED: i32 = 1006;
/// `resultCode` when the payer's account is not biometrically verified by C06; see
/// [`momo::RESULT_NOT_VERIFIED_BY_C06`].
pub const RESULT_NOT_BIOMETRIC_VERIFIED: i32 = momo::RESULT_NOT_VERIFIED_BY_C06;

/// The stable failure code of a MoMo `resultCode` as the funding types carry it (a
/// decimal string in [`FundingError::Rejected`] and [`VerifiedCallback`]), when it has
/// one of its own: `momo_payer_not_biometric_verified` for 4002. `None` for success,
/// for codes the generic decline covers, and for anything that is not a number.
pub fn failure_code(result_code: &str) -> Option<&'static str> {
    result_code.trim().parse().ok().and_then(momo::failure_code)
}

/// A MoMo partner account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomoCredentials {
    /// `partnerCode`.
    pub partner_code: String,
    /// `accessKey`; signed, never sent.
    pub access_key: ProviderSecret,
    /// `secretKey`, the HMAC-SHA256 key.
    pub secret_key: ProviderSecret,
}

impl MomoCredentials {
    /// Credentials from configuration.
    pub fn new(
        partner_code: impl Into<String>,
        access_key: impl Into<ProviderSecret>,
        secret_key: impl Into<ProviderSecret>,
    ) -> Self {
        Self {
            partner_code: partner_code.into(),
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        }
    }

    /// MoMo's public sandbox account.
    pub fn sandbox() -> Self {
        Self::new(SANDBOX_PARTNER_CODE, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
    }
}

/// Creates MoMo orders over HTTP.
#[derive(Debug, Clone)]
pub struct MomoFunding {
    credentials: MomoCredentials,
    create_url: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl MomoFunding {
    /// Orders created at `base_url` (MoMo's host, or `{simulators}/momo`), each call
    /// given up after `timeout`.
    pub fn new(
        base_url: &str,
        credentials: MomoCredentials,
        timeout: Duration,
    ) -> Result<Self, FundingError> {
        Ok(Self {
            credentials,
            create_url: format!("{}{CREATE_PATH}", base_url.trim_end_matches('/')),
            client: client(Provider::Momo, timeout)?,
            timeout,
        })
    }

    /// Same as [`MomoFunding::new`] with [`DEFAULT_TIMEOUT`].
    pub fn with_default_timeout(
        base_url: &str,
        credentials: MomoCredentials,
    ) -> Result<Self, FundingError> {
        Self::new(base_url, credentials, DEFAULT_TIMEOUT)
    }

    /// The signed create request for `order`: `orderId` and `requestId` are both the
    /// gateway's reference, so a retried create is the same request to MoMo.
    pub fn create_request(&self, order: &TopupOrder) -> Result<CreatePaymentRequest, FundingError> {
        validate(order)?;
        let mut request = CreatePaymentRequest {
            partner_code: self.credentials.partner_code.clone(),
            request_id: order.reference.clone(),
            amount: wire_amount(order)?,
            order_id: order.reference.clone(),
            order_info: order.description.clone(),
            redirect_url: order.return_url.clone(),
            ipn_url: order.callback_url.clone(),
            request_type: RequestType::CaptureWallet,
            extra_data: String::new(),
            lang: Some("vi".to_owned()),
            signature: String::new(),
        };
        request.sign(
            self.credentials.access_key.expose(),
            self.credentials.secret_key.expose(),
        );
        Ok(request)
    }
}

#[async_trait]
impl FundingProvider for MomoFunding {
    fn provider(&self) -> Provider {
        Provider::Momo
    }

    async fn create_order(&self, order: TopupOrder) -> Result<ProviderOrder, FundingError> {
        let request = self.create_request(&order)?;
        let answer: CreatePaymentResponse = post_json(
            Provider::Momo,
            &self.client,
            &self.create_url,
            self.timeout,
            &request,
        )
        .await?;
        if answer.result_code != RESULT_SUCCESS {
            return Err(FundingError::Rejected {
                provider: Provider::Momo,
                code: answer.result_code.to_string(),
                message: answer.message,
            });
        }
        let malformed = |reason: &str| FundingError::MalformedResponse {
            provider: Provider::Momo,
            reason: reason.to_owned(),
        };
        if answer.order_id != request.order_id || answer.amount != request.amount {
            return Err(malformed("the answer is about another order"));
        }
        let redirect_url = answer.pay_url.ok_or_else(|| malformed("no payUrl"))?;
        Ok(ProviderOrder {
            provider: Provider::Momo,
            provider_reference: request.order_id,
            redirect_url,
        })
    }
}

/// An IPN whose signature verified; [`SignedIpn::check`] decides the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIpn(MomoIpn);

/// Step 1 for an IPN: checks the signature (reply 401 when bad).
pub fn verify_ipn(ipn: MomoIpn, credentials: &MomoCredentials) -> Result<SignedIpn, CallbackError> {
    let valid = momo::verify_ipn(
        &ipn,
        credentials.access_key.expose(),
        credentials.secret_key.expose(),
    );
    if !valid {
        return Err(CallbackError::BadSignature);
    }
    // Signed with our secret yet for another partner code: not one of our orders.
    if ipn.partner_code != credentials.partner_code {
        return Err(CallbackError::UnknownOrder(ipn.order_id));
    }
    Ok(SignedIpn(ipn))
}

/// Step 1 from the raw body: a body that is not an IPN can carry no valid signature,
/// so it is refused as one (401).
pub fn verify_ipn_body(
    body: &[u8],
    credentials: &MomoCredentials,
) -> Result<SignedIpn, CallbackError> {
    // Not MoMo's IPN at all: malformed input, told apart from a forged one (401).
    let ipn: MomoIpn = serde_json::from_slice(body)
        .map_err(|e| CallbackError::Malformed(format!("not a MoMo IPN: {e}")))?;
    verify_ipn(ipn, credentials)
}

impl SignedIpn {
    /// `orderId`: the order to look up.
    pub fn reference(&self) -> &str {
        &self.0.order_id
    }

    /// Step 2: unknown order (404), wrong amount (422), already recorded (204, nothing
    /// more to do). `Ok`: record the result, then answer 204.
    pub fn check(self, order: OrderLookup) -> Result<VerifiedCallback, CallbackError> {
        let ipn = self.0;
        let amount = check_order(&ipn.order_id, ipn.amount, order)?;
        Ok(VerifiedCallback {
            provider: Provider::Momo,
            success: ipn.result_code == RESULT_SUCCESS,
            provider_transaction_id: (ipn.trans_id != 0).then(|| ipn.trans_id.to_string()),
            result_code: ipn.result_code.to_string(),
            provider_reference: ipn.order_id,
            amount,
        })
    }
}

/// The HTTP status MoMo expects for a failed check: 401 bad signature, 404 unknown
/// order, 422 wrong amount, 400 malformed, and 204 for a result already recorded
/// (MoMo only needs to know it arrived). A recorded result is answered 204 too.
pub fn ipn_status_for(error: &CallbackError) -> u16 {
    match error {
        CallbackError::BadSignature => 401,
        CallbackError::UnknownOrder(_) => 404,
        CallbackError::WrongAmount { .. } => 422,
        CallbackError::Malformed(_) => 400,
        CallbackError::AlreadyRecorded => 204,
    }
}
