//! The control API every simulated provider shares, under `/{provider}/orders`:
//! read an order, pay or cancel it (the provider then calls the merchant back), and
//! send a forged or replayed callback once, answering with the merchant's reply.

use super::delivery::{send_once, spawn_delivery, Callback, DeliveryLog};
use super::store::{OrderStatus, Outcome, Wallet, WalletState};
use crate::funding::MAX_AMOUNT;
use crate::simulator::reply;
use crate::simulator::statements;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Mounts the control routes on a provider's scope.
pub(crate) fn routes<W: Wallet>(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders/{reference}", web::get().to(get_order::<W>))
        .route("/orders/{reference}/pay", web::post().to(pay::<W>))
        .route("/orders/{reference}/cancel", web::post().to(cancel::<W>))
        .route("/orders/{reference}/forge", web::post().to(forge::<W>))
        .route("/orders/{reference}/replay", web::post().to(replay::<W>));
    statements::routes::<WalletState<W>>(cfg);
}

/// Body of `POST .../pay`; optional, like its field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRequest {
    /// The order's payment URL, for an order whose page nobody opened (VNPay learns of
    /// an order only there): the simulator opens it first.
    #[serde(default)]
    redirect_url: Option<String>,
}

/// Body of `POST .../cancel`; optional, like its fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    /// The provider's failure code to decline with (MoMo `"4002"`); default the
    /// generic user-declined code.
    #[serde(default)]
    result_code: Option<String>,
    /// As for `pay`.
    #[serde(default)]
    redirect_url: Option<String>,
}

/// Body of `POST .../forge`; both fields optional, the body too.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgeRequest {
    /// The amount to report, in dong (default: the order's).
    #[serde(default)]
    amount: Option<i64>,
    /// Sign with a key that is not the merchant's.
    #[serde(default)]
    bad_signature: bool,
}

/// The merchant's answer to a forged or replayed callback.
#[derive(Debug, Serialize)]
struct MerchantAnswer {
    status: u16,
    /// The reply as JSON when it is JSON, else as text.
    body: Value,
    acknowledged: bool,
}

fn not_found() -> HttpResponse {
    reply::error(
        StatusCode::NOT_FOUND,
        "order_not_found",
        "no order with that reference",
    )
}

async fn get_order<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: web::Path<String>,
) -> HttpResponse {
    match state.view(&reference) {
        Some(view) => HttpResponse::Ok().json(view),
        None => not_found(),
    }
}

async fn pay<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let request: PayRequest = match optional_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_body(&reason),
    };
    let reference = reference.into_inner();
    if let Err(refused) = learn(&state, &reference, request.redirect_url.as_deref()) {
        return refused.reply();
    }
    finish(state, reference, true, None)
}

/// Why the simulator could not learn an order from its payment URL.
struct Unlearnt {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Unlearnt {
    fn reply(self) -> HttpResponse {
        reply::error(self.status, self.code, self.message)
    }
}

/// An order the simulator has not seen, learnt from its payment URL as if the payer
/// had opened it, so the control API completes any order the gateway created.
fn learn<W: Wallet>(
    state: &WalletState<W>,
    reference: &str,
    redirect_url: Option<&str>,
) -> Result<(), Unlearnt> {
    let Some(url) = redirect_url else {
        return Ok(());
    };
    if state.view(reference).is_some() {
        return Ok(());
    }
    let bad = |code: &'static str, message: &str| Unlearnt {
        status: StatusCode::BAD_REQUEST,
        code,
        message: message.to_owned(),
    };
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| bad("invalid_redirect_url", "redirect_url is not a URL"))?;
    let query: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let (found, order) = state
        .wallet
        .order_from_page(&query)
        .map_err(|refusal| bad(refusal.code, &refusal.message))?;
    if found != reference {
        return Err(bad(
            "reference_mismatch",
            "the redirect_url describes another order",
        ));
    }
    state.create(reference, order).map_err(|_| Unlearnt {
        status: StatusCode::CONFLICT,
        code: "duplicate_reference",
        message: "another order already uses this reference".to_owned(),
    })
}

async fn cancel<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let request: CancelRequest = match optional_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_body(&reason),
    };
    let decline = match request.result_code.as_deref() {
        None => None,
        Some(code) => match W::decline_code(code) {
            Some(decline) => Some(decline),
            None => {
                return reply::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_result_code",
                    "result_code is not one of this provider's failure codes",
                )
            }
        },
    };
    let reference = reference.into_inner();
    if let Err(refused) = learn(&state, &reference, request.redirect_url.as_deref()) {
        return refused.reply();
    }
    finish(state, reference, false, decline)
}

/// An optional JSON body: empty, blank or `null` is the default.
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|err| err.to_string())
}

/// The answer to a body [`optional_json`] refused.
fn invalid_body(reason: &str) -> HttpResponse {
    reply::error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("the body is not the expected JSON: {reason}"),
    )
}

/// Pays or cancels (with `decline`, a provider failure code) a pending order and
/// starts its callback.
fn finish<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: String,
    paid: bool,
    decline: Option<i32>,
) -> HttpResponse {
    let now = Utc::now();
    let callback = {
        let mut orders = state.orders();
        let Some(entry) = orders.get_mut(&reference) else {
            return not_found();
        };
        if entry.status != OrderStatus::Pending {
            return reply::error(
                StatusCode::CONFLICT,
                "order_not_pending",
                format!("the order is already {:?}", entry.status).to_lowercase(),
            );
        }
        let transaction_id = paid.then(|| state.next_transaction_id(now));
        let outcome = Outcome {
            paid,
            transaction_id: transaction_id.unwrap_or(0),
            amount: W::amount(&entry.order),
            bad_signature: false,
            at: now,
            decline,
        };
        let callback = state.wallet.callback(&entry.order, &outcome);
        entry.status = if paid {
            OrderStatus::Paid
        } else {
            OrderStatus::Cancelled
        };
        entry.transaction_id = transaction_id;
        entry.finished_at = Some(now);
        entry.decline = decline;
        entry.delivery = callback.as_ref().map(|_| DeliveryLog::default());
        entry.last_callback.clone_from(&callback);
        callback
    };
    if let Some(callback) = callback {
        spawn_delivery(state.clone(), reference.clone(), callback);
    }
    match state.view(&reference) {
        Some(view) => HttpResponse::Ok().json(view),
        None => not_found(),
    }
}

async fn forge<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let request: ForgeRequest = match optional_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_body(&reason),
    };
    if let Some(amount) = request.amount {
        if !(0..=MAX_AMOUNT).contains(&amount) {
            return reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_amount",
                "amount must be 0 to 10^15 dong",
            );
        }
    }
    let now = Utc::now();
    let callback = {
        let orders = state.orders();
        let Some(entry) = orders.get(reference.as_str()) else {
            return not_found();
        };
        let outcome = Outcome {
            paid: true,
            transaction_id: entry
                .transaction_id
                .unwrap_or_else(|| state.next_transaction_id(now)),
            amount: request.amount.unwrap_or_else(|| W::amount(&entry.order)),
            bad_signature: request.bad_signature,
            at: now,
            decline: None,
        };
        state.wallet.callback(&entry.order, &outcome)
    };
    match callback {
        Some(callback) => send_and_report::<W>(&state, &callback).await,
        None => no_callback(),
    }
}

async fn replay<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: web::Path<String>,
) -> HttpResponse {
    let callback = {
        let orders = state.orders();
        let Some(entry) = orders.get(reference.as_str()) else {
            return not_found();
        };
        entry.last_callback.clone()
    };
    match callback {
        Some(callback) => send_and_report::<W>(&state, &callback).await,
        None => no_callback(),
    }
}

fn no_callback() -> HttpResponse {
    reply::error(
        StatusCode::CONFLICT,
        "no_callback",
        "no callback was sent for this order",
    )
}

/// Sends once, no retry, and answers with what the merchant replied.
async fn send_and_report<W: Wallet>(state: &WalletState<W>, callback: &Callback) -> HttpResponse {
    match send_once(&state.client, callback).await {
        Ok((status, body)) => HttpResponse::Ok().json(MerchantAnswer {
            status,
            acknowledged: W::acknowledged(status, &body),
            body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
        }),
        Err(reason) => reply::error(StatusCode::BAD_GATEWAY, "callback_failed", reason),
    }
}
