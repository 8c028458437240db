//! The ZaloPay simulator, under `/zalopay`: `POST /v2/create` (JSON with `mac` under
//! key1, answered with `order_url`), the payer's page `GET /pay/{app_trans_id}`, and
//! the callback: a JSON POST `{"data", "mac" (key2), "type": 1}` to the order's
//! `callback_url` (or the gateway's default one), acknowledged by `return_code` 1 or 2.
//!
//! ZaloPay only calls back for paid orders: a cancelled order sends nothing (the
//! merchant learns of it by querying, or by the order expiring).

use super::control;
use super::delivery::Callback;
use super::page::{order_page, path_segment};
use super::store::{CreateError, Outcome, Wallet, WalletState};
use super::ProviderSimConfig;
use crate::funding::zalopay::{CREATE_PATH, RETURN_SUCCESS};
use crate::funding::ZaloPayCredentials;
use crate::providers::vietnam_time::to_vietnam;
use crate::providers::zalopay::Callback as ZaloPayCallback;
use crate::providers::zalopay::{ApiResponse, CallbackData, CreateOrderRequest};
use crate::statement::StatementSource;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// Where the gateway receives callbacks (api.md), for orders that name none.
pub const CALLBACK_PATH: &str = "/v1/callbacks/zalopay";
/// The key forged MACs are made with.
const FORGER_KEY2: &str = "not-the-merchant-key2";
/// ZaloPay refuses an `app_time` further than this from its clock.
const APP_TIME_WINDOW_MS: i64 = 15 * 60 * 1000;

/// `return_code` 2 (failure) with these `sub_return_code`s (domain doc §4).
mod sub {
    pub const ORDER_EXISTS: i32 = -68;
    pub const INVALID_ARGUMENT: i32 = -401;
    pub const UNAUTHENTICATED: i32 = -402;
}

/// The simulated merchant app.
pub(crate) struct ZaloPayWallet {
    credentials: ZaloPayCredentials,
    default_callback_url: String,
}

pub(crate) type ZaloPayState = WalletState<ZaloPayWallet>;

impl ZaloPayState {
    pub(crate) fn from_config(config: &ProviderSimConfig) -> Self {
        let base = config.gateway_base_url.trim_end_matches('/');
        let wallet = ZaloPayWallet {
            credentials: config.zalopay.clone(),
            default_callback_url: format!("{base}{CALLBACK_PATH}"),
        };
        WalletState::new(wallet, config)
    }
}

impl Wallet for ZaloPayWallet {
    type Order = CreateOrderRequest;
    // The first call and at most 3 retries (domain doc §4).
    const ATTEMPTS: u32 = 4;

    fn amount(order: &CreateOrderRequest) -> i64 {
        i64::try_from(order.amount).unwrap_or(i64::MAX)
    }

    fn callback_url(&self, order: &CreateOrderRequest) -> String {
        order
            .callback_url
            .clone()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| self.default_callback_url.clone())
    }

    fn transaction_id(sequence: u64, at: DateTime<Utc>) -> u64 {
        // `yyMMdd` then nine digits, like ZaloPay's `zp_trans_id`.
        let date: u64 = to_vietnam(at)
            .format("%y%m%d")
            .to_string()
            .parse()
            .unwrap_or(0);
        date * 1_000_000_000 + sequence % 1_000_000_000
    }

    fn callback(&self, order: &CreateOrderRequest, outcome: &Outcome) -> Option<Callback> {
        if !outcome.paid {
            return None;
        }
        let data = CallbackData {
            app_id: order.app_id,
            app_trans_id: order.app_trans_id.clone(),
            app_time: order.app_time,
            app_user: order.app_user.clone(),
            amount: u64::try_from(outcome.amount).unwrap_or(0),
            embed_data: order.embed_data.clone(),
            item: order.item.clone(),
            zp_trans_id: outcome.transaction_id,
            server_time: u64::try_from(outcome.at.timestamp_millis()).unwrap_or(0),
            channel: 38,
            merchant_user_id: String::new(),
            user_fee_amount: 0,
            discount_amount: 0,
        };
        let data = serde_json::to_string(&data).ok()?;
        let key2 = if outcome.bad_signature {
            FORGER_KEY2
        } else {
            self.credentials.key2.expose()
        };
        let body = serde_json::to_string(&ZaloPayCallback::signed(data, key2)).ok()?;
        Some(Callback::PostJson {
            url: self.callback_url(order),
            body,
        })
    }

    fn acknowledged(status: u16, body: &str) -> bool {
        (200..300).contains(&status)
            && serde_json::from_str::<serde_json::Value>(body)
                .is_ok_and(|reply| matches!(reply["return_code"].as_i64(), Some(1 | 2)))
    }

    const SOURCE: StatementSource = StatementSource::Zalopay;

    fn statement_account(&self) -> String {
        self.credentials.app_id.to_string()
    }

    /// A negative `sub_return_code`, ZaloPay's failure codes.
    fn decline_code(code: &str) -> Option<i32> {
        code.trim().parse::<i32>().ok().filter(|&code| code < 0)
    }
}

impl ZaloPayWallet {
    pub(super) fn credentials(&self) -> &ZaloPayCredentials {
        &self.credentials
    }
}

/// Mounts the ZaloPay routes; the caller puts them under `/zalopay`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<ZaloPayState>) {
    cfg.app_data(state)
        .route(CREATE_PATH, web::post().to(create))
        .route("/pay/{app_trans_id}", web::get().to(page))
        .route(
            crate::providers::queries::ZALOPAY_QUERY_PATH,
            web::post().to(super::queries::zalopay),
        );
    control::routes::<ZaloPayWallet>(cfg);
}

/// ZaloPay answers refusals with HTTP 200 and `return_code` 2.
fn refuse(sub_return_code: i32, message: &str) -> HttpResponse {
    HttpResponse::Ok().json(ApiResponse {
        return_code: 2,
        return_message: "Giao dịch thất bại".to_owned(),
        sub_return_code,
        sub_return_message: message.to_owned(),
        order_url: None,
        zp_trans_token: None,
        zp_trans_id: None,
        amount: None,
        refund_id: None,
    })
}

/// Whether `app_trans_id` starts with the GMT+7 date of `app_time`, as ZaloPay wants.
fn dated_by_app_time(order: &CreateOrderRequest) -> bool {
    let Some(time) = i64::try_from(order.app_time)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
    else {
        return false;
    };
    let prefix = format!("{}_", to_vietnam(time).format("%y%m%d"));
    order.app_trans_id.starts_with(&prefix) && order.app_trans_id.len() <= 40
}

async fn create(
    state: web::Data<ZaloPayState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(order) = serde_json::from_slice::<CreateOrderRequest>(&body) else {
        return refuse(sub::INVALID_ARGUMENT, "the body is not a create request");
    };
    let credentials = &state.wallet.credentials;
    if order.app_id != credentials.app_id || !order.verify(credentials.key1.expose()) {
        return refuse(sub::UNAUTHENTICATED, "mac or app_id is invalid");
    }
    let age = i64::try_from(order.app_time).map_or(i64::MAX, |t| Utc::now().timestamp_millis() - t);
    if age.abs() > APP_TIME_WINDOW_MS {
        return refuse(
            sub::INVALID_ARGUMENT,
            "app_time is more than 15 minutes off",
        );
    }
    if !dated_by_app_time(&order) {
        return refuse(
            sub::INVALID_ARGUMENT,
            "app_trans_id must start with yyMMdd_ (GMT+7)",
        );
    }
    if order.amount == 0 {
        return refuse(sub::INVALID_ARGUMENT, "amount must be positive");
    }
    match state.create(&order.app_trans_id, order.clone()) {
        Ok(()) => {}
        Err(CreateError::Duplicate) => {
            return refuse(sub::ORDER_EXISTS, "app_trans_id already used")
        }
        Err(CreateError::Full) => return refuse(sub::INVALID_ARGUMENT, "too many orders"),
    }
    let info = req.connection_info();
    let order_url = format!(
        "{}://{}/zalopay/pay/{}",
        info.scheme(),
        info.host(),
        path_segment(&order.app_trans_id)
    );
    HttpResponse::Ok().json(ApiResponse {
        return_code: RETURN_SUCCESS,
        return_message: "Giao dịch thành công".to_owned(),
        sub_return_code: 1,
        sub_return_message: String::new(),
        order_url: Some(order_url),
        zp_trans_token: Some(uuid::Uuid::new_v4().simple().to_string()),
        zp_trans_id: None,
        amount: None,
        refund_id: None,
    })
}

async fn page(state: web::Data<ZaloPayState>, app_trans_id: web::Path<String>) -> HttpResponse {
    let order = state
        .orders()
        .get(app_trans_id.as_str())
        .map(|entry| entry.order.clone());
    match order {
        Some(order) => order_page(
            "ZaloPay",
            "/zalopay",
            &order.app_trans_id,
            ZaloPayWallet::amount(&order),
            &order.description,
        ),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn transaction_ids_carry_the_vietnamese_date() {
        let at = Utc.with_ymd_and_hms(2024, 5, 20, 23, 30, 0).unwrap();
        assert_eq!(ZaloPayWallet::transaction_id(7, at), 240_521_000_000_007);
    }

    #[test]
    fn acknowledged_by_return_code_1_or_2() {
        assert!(ZaloPayWallet::acknowledged(
            200,
            r#"{"return_code":1,"return_message":"ok"}"#
        ));
        assert!(ZaloPayWallet::acknowledged(
            200,
            r#"{"return_code":2,"return_message":"x"}"#
        ));
        assert!(!ZaloPayWallet::acknowledged(
            200,
            r#"{"return_code":0,"return_message":"x"}"#
        ));
        assert!(!ZaloPayWallet::acknowledged(
            200,
            r#"{"return_code":-1,"return_message":"x"}"#
        ));
        assert!(!ZaloPayWallet::acknowledged(
            500,
            r#"{"return_code":1,"return_message":"x"}"#
        ));
    }
}
