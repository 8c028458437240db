//! ZaloPay v2: `POST {base}/v2/create` and the callback.

use super::callback::{check_order, CallbackError, OrderLookup, VerifiedCallback};
use super::http::{client, post_json, DEFAULT_TIMEOUT};
use super::{validate, wire_amount, FundingError, FundingProvider, Provider, ProviderOrder};
use super::{ProviderSecret, TopupOrder};
use crate::providers::zalopay::{self, ApiResponse, Callback, CallbackReply, CreateOrderRequest};
use async_trait::async_trait;
use std::time::Duration;

/// ZaloPay's sandbox host.
pub const SANDBOX_BASE_URL: &str = "https://sb-openapi.zalopay.vn";
/// The create call, under the ZaloPay (or simulator) base URL.
pub const CREATE_PATH: &str = "/v2/create";
/// Public sandbox app id (domain doc §4).
pub const SANDBOX_APP_ID: u64 = 2553;
/// Public sandbox key1 (signs requests).
pub const SANDBOX_KEY1: &str = "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL";
/// Public sandbox key2 (signs callbacks).
pub const SANDBOX_KEY2: &str = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz";
/// `app_user` of every order. ZaloPay only displays it; the citizen's identity is
/// none of its business, so the gateway names itself.
pub const APP_USER: &str = "gateway";
/// `return_code` of a successful call.
pub const RETURN_SUCCESS: i32 = 1;

/// A ZaloPay merchant app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloPayCredentials {
    /// `app_id`.
    pub app_id: u64,
    /// key1: signs create, query and refund requests.
    pub key1: ProviderSecret,
    /// key2: verifies callbacks.
    pub key2: ProviderSecret,
}

impl ZaloPayCredentials {
    /// Credentials from configuration.
    pub fn new(
        app_id: u64,
        key1: impl Into<ProviderSecret>,
        key2: impl Into<ProviderSecret>,
    ) -> Self {
        Self {
            app_id,
            key1: key1.into(),
            key2: key2.into(),
        }
    }

    /// ZaloPay's public sandbox app 2553.
    pub fn sandbox() -> Self {
        Self::new(SANDBOX_APP_ID, SANDBOX_KEY1, SANDBOX_KEY2)
    }
}

/// Creates ZaloPay orders over HTTP.
#[derive(Debug, Clone)]
pub struct ZaloPayFunding {
    credentials: ZaloPayCredentials,
    create_url: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl ZaloPayFunding {
    /// Orders created at `base_url` (ZaloPay's host, or `{simulators}/zalopay`), each
    /// call given up after `timeout`.
    pub fn new(
        base_url: &str,
        credentials: ZaloPayCredentials,
        timeout: Duration,
    ) -> Result<Self, FundingError> {
        Ok(Self {
            credentials,
            create_url: format!("{}{CREATE_PATH}", base_url.trim_end_matches('/')),
            client: client(Provider::Zalopay, timeout)?,
            timeout,
        })
    }

    /// Same as [`ZaloPayFunding::new`] with [`DEFAULT_TIMEOUT`].
    pub fn with_default_timeout(
        base_url: &str,
        credentials: ZaloPayCredentials,
    ) -> Result<Self, FundingError> {
        Self::new(base_url, credentials, DEFAULT_TIMEOUT)
    }

    /// The signed create request for `order`: `app_trans_id` is `yyMMdd_<reference>`
    /// (GMT+7 date of `order.now`), the return URL goes in `embed_data.redirecturl`.
    pub fn create_request(&self, order: &TopupOrder) -> Result<CreateOrderRequest, FundingError> {
        validate(order)?;
        let app_trans_id = zalopay::app_trans_id(order.now, &order.reference)
            .map_err(|_| FundingError::InvalidReference(order.reference.clone()))?;
        let embed_data = serde_json::json!({ "redirecturl": order.return_url }).to_string();
        let mut request = CreateOrderRequest {
            app_id: self.credentials.app_id,
            app_user: APP_USER.to_owned(),
            app_trans_id,
            app_time: u64::try_from(order.now.timestamp_millis()).unwrap_or(0),
            amount: wire_amount(order)?,
            item: "[]".to_owned(),
            embed_data,
            description: order.description.clone(),
            bank_code: String::new(),
            callback_url: Some(order.callback_url.clone()),
            mac: String::new(),
        };
        request.sign(self.credentials.key1.expose());
        Ok(request)
    }
}

#[async_trait]
impl FundingProvider for ZaloPayFunding {
    fn provider(&self) -> Provider {
        Provider::Zalopay
    }

    async fn create_order(&self, order: TopupOrder) -> Result<ProviderOrder, FundingError> {
        let request = self.create_request(&order)?;
        let answer: ApiResponse = post_json(
            Provider::Zalopay,
            &self.client,
            &self.create_url,
            self.timeout,
            &request,
        )
        .await?;
        if answer.return_code != RETURN_SUCCESS {
            return Err(FundingError::Rejected {
                provider: Provider::Zalopay,
                code: format!("{}/{}", answer.return_code, answer.sub_return_code),
                message: answer.return_message,
            });
        }
        let redirect_url = answer
            .order_url
            .ok_or_else(|| FundingError::MalformedResponse {
                provider: Provider::Zalopay,
                reason: "no order_url".to_owned(),
            })?;
        Ok(ProviderOrder {
            provider: Provider::Zalopay,
            provider_reference: request.app_trans_id,
            redirect_url,
        })
    }
}

/// A callback whose MAC verified; [`SignedCallback::check`] decides the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback(zalopay::CallbackData);

/// Step 1 for a callback: the MAC (key2) over `data` exactly as received, then the
/// data itself. ZaloPay only calls back for paid orders.
pub fn verify_callback(
    callback: &Callback,
    credentials: &ZaloPayCredentials,
) -> Result<SignedCallback, CallbackError> {
    if !callback.verify(credentials.key2.expose()) {
        return Err(CallbackError::BadSignature);
    }
    let data = callback
        .parse_data()
        .map_err(|err| CallbackError::Malformed(format!("data: {err}")))?;
    if data.app_id != credentials.app_id {
        return Err(CallbackError::UnknownOrder(data.app_trans_id));
    }
    Ok(SignedCallback(data))
}

/// Step 1 from the raw body; a body that is not a callback is refused as unsigned.
pub fn verify_callback_body(
    body: &[u8],
    credentials: &ZaloPayCredentials,
) -> Result<SignedCallback, CallbackError> {
    let callback: Callback =
        serde_json::from_slice(body).map_err(|_| CallbackError::BadSignature)?;
    verify_callback(&callback, credentials)
}

impl SignedCallback {
    /// `app_trans_id`: the order to look up.
    pub fn reference(&self) -> &str {
        &self.0.app_trans_id
    }

    /// Step 2: unknown order or wrong amount (`-1`), already recorded (`2`). `Ok`:
    /// record the payment, then answer [`CallbackReply::success`].
    pub fn check(self, order: OrderLookup) -> Result<VerifiedCallback, CallbackError> {
        let data = self.0;
        let amount = check_order(&data.app_trans_id, data.amount, order)?;
        Ok(VerifiedCallback {
            provider: Provider::Zalopay,
            provider_reference: data.app_trans_id,
            amount,
            success: true,
            provider_transaction_id: Some(data.zp_trans_id.to_string()),
            result_code: RETURN_SUCCESS.to_string(),
        })
    }
}

/// The reply for a failed check: `2` already recorded, `-1` for everything else
/// (nothing credited; ZaloPay retries only on `0` or no answer).
pub fn callback_reply_for(error: &CallbackError) -> CallbackReply {
    match error {
        CallbackError::AlreadyRecorded => CallbackReply::already_recorded(),
        CallbackError::BadSignature => CallbackReply::rejected("mac not equal"),
        CallbackError::UnknownOrder(_) => CallbackReply::rejected("order not found"),
        CallbackError::WrongAmount { .. } => CallbackReply::rejected("amount mismatch"),
        CallbackError::Malformed(_) => CallbackReply::rejected("malformed data"),
    }
}
