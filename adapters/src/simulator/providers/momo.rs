//! The MoMo simulator, under `/momo`: `POST /v2/gateway/api/create` (signed JSON,
//! answered with `payUrl`), the payer's page `GET /pay/{orderId}`, and the IPN: a JSON
//! POST to the order's `ipnUrl`, acknowledged by HTTP 204.

use super::control;
use super::delivery::Callback;
use super::page::{order_page, path_segment};
use super::store::{CreateError, Outcome, Wallet, WalletState};
use super::ProviderSimConfig;
use crate::funding::momo::{CREATE_PATH, RESULT_SUCCESS, RESULT_USER_DENIED};
use crate::funding::MomoCredentials;
use crate::providers::momo::RESULT_NOT_VERIFIED_BY_C06;
use crate::providers::momo::{CreatePaymentRequest, CreatePaymentResponse, MomoIpn};
use crate::statement::StatementSource;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// The key forged signatures are made with.
const FORGER_SECRET: &str = "not-the-merchant-secret-key";
/// MoMo's per-payment bounds for `captureWallet`, in dong.
const MIN_AMOUNT: u64 = 1_000;
const MAX_AMOUNT: u64 = 50_000_000;

/// `resultCode`s of refused creates (domain doc §3).
mod result {
    pub const AUTHENTICATION_FAILED: i32 = 13;
    pub const BAD_FORMAT: i32 = 20;
    pub const AMOUNT_OUT_OF_RANGE: i32 = 22;
    pub const DUPLICATE_ORDER_ID: i32 = 41;
    pub const UNKNOWN: i32 = 99;
}

/// The simulated partner account.
pub(crate) struct MomoWallet {
    credentials: MomoCredentials,
}

pub(crate) type MomoState = WalletState<MomoWallet>;

impl MomoState {
    pub(crate) fn from_config(config: &ProviderSimConfig) -> Self {
        let wallet = MomoWallet {
            credentials: config.momo.clone(),
        };
        WalletState::new(wallet, config)
    }
}

impl Wallet for MomoWallet {
    type Order = CreatePaymentRequest;
    // MoMo does not publish its retry policy; five bounded tries, like the others.
    const ATTEMPTS: u32 = 5;

    fn amount(order: &CreatePaymentRequest) -> i64 {
        i64::try_from(order.amount).unwrap_or(i64::MAX)
    }

    fn callback_url(&self, order: &CreatePaymentRequest) -> String {
        order.ipn_url.clone()
    }

    fn transaction_id(sequence: u64, _at: DateTime<Utc>) -> u64 {
        // Ten digits, like MoMo's `transId`.
        4_000_000_000 + sequence
    }

    fn callback(&self, order: &CreatePaymentRequest, outcome: &Outcome) -> Option<Callback> {
        let (result_code, message) = match (outcome.paid, outcome.decline) {
            (true, _) => (RESULT_SUCCESS, "Successful."),
            (false, Some(code)) => (code, decline_message(code)),
            (false, None) => (RESULT_USER_DENIED, "Transaction denied by user."),
        };
        let mut ipn = MomoIpn {
            partner_code: order.partner_code.clone(),
            order_id: order.order_id.clone(),
            request_id: order.request_id.clone(),
            amount: u64::try_from(outcome.amount).unwrap_or(0),
            order_info: order.order_info.clone(),
            order_type: "momo_wallet".to_owned(),
            trans_id: outcome.transaction_id,
            result_code,
            message: message.to_owned(),
            pay_type: "qr".to_owned(),
            response_time: u64::try_from(outcome.at.timestamp_millis()).unwrap_or(0),
            extra_data: order.extra_data.clone(),
            signature: String::new(),
        };
        let secret = if outcome.bad_signature {
            FORGER_SECRET
        } else {
            self.credentials.secret_key.expose()
        };
        ipn.sign(self.credentials.access_key.expose(), secret);
        let body = serde_json::to_string(&ipn).ok()?;
        Some(Callback::PostJson {
            url: order.ipn_url.clone(),
            body,
        })
    }

    fn acknowledged(status: u16, _body: &str) -> bool {
        status == 204
    }

    const SOURCE: StatementSource = StatementSource::Momo;

    fn statement_account(&self) -> String {
        self.credentials.partner_code.clone()
    }

    fn decline_code(code: &str) -> Option<i32> {
        code.trim()
            .parse::<i32>()
            .ok()
            .filter(|&code| code != RESULT_SUCCESS)
    }
}

/// MoMo's `message` for a failure `resultCode`.
pub(super) fn decline_message(result_code: i32) -> &'static str {
    match result_code {
        RESULT_NOT_VERIFIED_BY_C06 => {
            "Transaction rejected because the user account has not been verified by C06."
        }
        RESULT_USER_DENIED => "Transaction denied by user.",
        _ => "Transaction failed.",
    }
}

impl MomoWallet {
    pub(super) fn credentials(&self) -> &MomoCredentials {
        &self.credentials
    }
}

/// Mounts the MoMo routes; the caller puts them under `/momo`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<MomoState>) {
    cfg.app_data(state)
        .route(CREATE_PATH, web::post().to(create))
        .route("/pay/{order_id}", web::get().to(page))
        .route(
            crate::providers::queries::MOMO_QUERY_PATH,
            web::post().to(super::queries::momo),
        );
    control::routes::<MomoWallet>(cfg);
}

/// A refusal in MoMo's answer format.
fn refuse(request: Option<&CreatePaymentRequest>, result_code: i32, message: &str) -> HttpResponse {
    let answer = CreatePaymentResponse {
        partner_code: request.map(|r| r.partner_code.clone()).unwrap_or_default(),
        request_id: request.map(|r| r.request_id.clone()).unwrap_or_default(),
        order_id: request.map(|r| r.order_id.clone()).unwrap_or_default(),
        amount: request.map_or(0, |r| r.amount),
        response_time: now_millis(),
        message: message.to_owned(),
        result_code,
        pay_url: None,
        deeplink: None,
        qr_code_url: None,
    };
    HttpResponse::BadRequest().json(answer)
}

fn now_millis() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

async fn create(state: web::Data<MomoState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let Ok(request) = serde_json::from_slice::<CreatePaymentRequest>(&body) else {
        return refuse(None, result::BAD_FORMAT, "Bad format request.");
    };
    let credentials = &state.wallet.credentials;
    let signed = request.verify(
        credentials.access_key.expose(),
        credentials.secret_key.expose(),
    );
    if request.partner_code != credentials.partner_code || !signed {
        return refuse(
            Some(&request),
            result::AUTHENTICATION_FAILED,
            "Merchant authentication failed.",
        );
    }
    if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&request.amount) {
        return refuse(
            Some(&request),
            result::AMOUNT_OUT_OF_RANGE,
            "Amount out of range.",
        );
    }
    if request.order_id.is_empty() || request.ipn_url.is_empty() || request.redirect_url.is_empty()
    {
        return refuse(
            Some(&request),
            result::BAD_FORMAT,
            "orderId, ipnUrl and redirectUrl are required.",
        );
    }
    match state.create(&request.order_id, request.clone()) {
        Ok(()) => {}
        Err(CreateError::Duplicate) => {
            return refuse(
                Some(&request),
                result::DUPLICATE_ORDER_ID,
                "Duplicated orderId.",
            )
        }
        Err(CreateError::Full) => {
            return refuse(Some(&request), result::UNKNOWN, "Too many orders.")
        }
    }
    let info = req.connection_info();
    let pay_url = format!(
        "{}://{}/momo/pay/{}",
        info.scheme(),
        info.host(),
        path_segment(&request.order_id)
    );
    HttpResponse::Ok().json(CreatePaymentResponse {
        partner_code: request.partner_code,
        request_id: request.request_id,
        order_id: request.order_id,
        amount: request.amount,
        response_time: now_millis(),
        message: "Successful.".to_owned(),
        result_code: RESULT_SUCCESS,
        pay_url: Some(pay_url),
        deeplink: None,
        qr_code_url: None,
    })
}

async fn page(state: web::Data<MomoState>, order_id: web::Path<String>) -> HttpResponse {
    let order = state
        .orders()
        .get(order_id.as_str())
        .map(|entry| entry.order.clone());
    match order {
        Some(order) => order_page(
            "MoMo",
            "/momo",
            &order.order_id,
            MomoWallet::amount(&order),
            &order.order_info,
        ),
        None => HttpResponse::NotFound().finish(),
    }
}
