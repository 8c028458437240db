//! Demo mode's "Pay with my VNeID wallet": the first demo citizen signs in through the
//! VNeID simulator and pays the request by its id, with the same command the JSON API's
//! `POST /v1/payments` uses; an amount that needs a step-up is confirmed with a
//! biometric assertion bound to the payment, as `POST /v1/payments/{id}/confirm` is.
//! The browser cannot reach the simulator itself (another origin), so the gateway asks
//! it here. Outside demo mode these routes do not exist (404).

use std::time::Duration;

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::text::Lang;
use crate::citizens::{sessions, sign_in};
use crate::commit::{Caller, Command, KeyClaim, NewPayment, StepUp};
use crate::error::ApiError;
use crate::idempotency;
use crate::payments::drive;
use crate::state::AppState;
use crate::web::page::{see_other, PageError};

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    payment_id: Option<String>,
}

/// An assertion for the first demo citizen from the VNeID simulator.
async fn demo_assertion(
    state: &AppState,
    auth: &str,
    nonce: Option<&str>,
) -> Result<String, ApiError> {
    let (cccd, name, birth_date, phone, ..) = crate::demo::DEMO_CITIZENS[0];
    let unavailable = |_| ApiError::Unavailable("vneid");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(state.config.outside_timeout_ms))
        .build()
        .map_err(unavailable)?;
    let response = client
        .post(format!(
            "http://{}/vneid/assertions",
            state.config.simulator_addr
        ))
        .json(&json!({
            "cccd": cccd, "name": name, "birth_date": birth_date, "phone": phone,
            "level": 2, "auth": auth, "nonce": nonce,
        }))
        .send()
        .await
        .map_err(unavailable)?;
    if response.status().as_u16() != 201 {
        return Err(ApiError::Unavailable("vneid"));
    }
    let body: Value = response.json().await.map_err(unavailable)?;
    body["assertion"]
        .as_str()
        .map(str::to_string)
        .ok_or(ApiError::Unavailable("vneid"))
}

/// The demo citizen, signed in afresh, as a payment's caller.
async fn demo_caller(state: &AppState) -> Result<Caller, ApiError> {
    let assertion = demo_assertion(state, "password", None).await?;
    let signed_in = sign_in::sign_in(state, &assertion, Utc::now()).await?;
    crate::routes::citizen::caller_of(&signed_in.claims)
}

/// A key of the citizen's own scope, fresh for each click: a second click must not
/// replay a refusal (the wallet may have been topped up since), and cannot pay twice
/// (a request is paid once; a payment confirmed once).
fn fresh_key(caller: &Caller, action: &str, path: &str, body: &Value) -> KeyClaim {
    KeyClaim {
        scope: format!("citizen:{}", caller.identity_id),
        key: format!("{action}-{}", hex::encode(rand::random::<[u8; 12]>())),
        fingerprint: idempotency::fingerprint("POST", path, body),
        legacy_fingerprint: idempotency::request_hash(body),
    }
}

/// Why the wallet did not pay: the API's code for it.
#[derive(Debug)]
struct Refused(&'static str);

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Self(e.status_and_code().1)
    }
}

/// Back to the page: with the payment awaiting step-up, or the error code that refused
/// it.
fn back(request_id: &str, lang: Lang, result: Result<Value, Refused>) -> HttpResponse {
    let mut to = format!("/checkout/{request_id}?lang={}", lang.code());
    match result {
        Ok(payment) if payment["status"] == "requires_step_up" => {
            if let Some(id) = payment["id"].as_str() {
                to.push_str(&format!("&step_up={id}"));
            }
        }
        Ok(_) => {}
        Err(Refused(code)) => to.push_str(&format!("&wallet_error={code}")),
    }
    see_other(&to)
}

/// What a payment command finally answered: the payment, or the refusal as an error.
async fn outcome(state: &AppState, command: Command) -> Result<Value, Refused> {
    if state.routes_citizens() {
        return Err(ApiError::NotRouted("merchant payments").into());
    }
    let reply = state.committer.submit(command).await?;
    let answer = drive::finish(state, reply).await?;
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if answer.status.is_success() {
        return Ok(body);
    }
    Err(Refused(known_code(
        body["error"]["code"].as_str().unwrap_or(""),
    )))
}

/// The refusal's code as a static string (the page shows only codes it knows).
fn known_code(code: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "insufficient_funds",
        "monthly_limit_exceeded",
        "payment_request_expired",
        "payment_request_not_open",
        "payment_request_not_found",
        "vneid_level_insufficient",
        "step_up_failed",
        "payment_not_awaiting_step_up",
        "idempotency_key_in_progress",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == code)
        .unwrap_or("payment_refused")
}

/// Only in demo mode, and only from the checkout page itself: a form posted from
/// another site (its `Origin` is not this host) is refused, so no other page can make
/// the demo citizen pay.
fn demo_only(state: &AppState, req: &HttpRequest) -> Result<(), PageError> {
    if !state.config.demo {
        return Err(ApiError::RouteNotFound.into());
    }
    let Some(origin) = req.headers().get("origin") else {
        return Ok(());
    };
    let host = req.connection_info().host().to_string();
    let same = origin
        .to_str()
        .ok()
        .and_then(|o| reqwest::Url::parse(o).ok())
        .is_some_and(|o| {
            let authority = match o.port() {
                Some(port) => format!("{}:{port}", o.host_str().unwrap_or_default()),
                None => o.host_str().unwrap_or_default().to_string(),
            };
            authority.eq_ignore_ascii_case(&host)
        });
    if same {
        Ok(())
    } else {
        Err(ApiError::Forbidden.into())
    }
}

#[post("/checkout/{id}/wallet")]
pub async fn pay(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, PageError> {
    demo_only(&state, &req)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let checkout = super::load(&state, &path, Utc::now()).await?;
    let request_id = checkout.request.id;
    let result: Result<Value, Refused> = async {
        let caller = demo_caller(&state).await?;
        let body = json!({ "type": "merchant", "payment_request_id": request_id });
        let key = fresh_key(
            &caller,
            "checkout",
            &format!("/checkout/{request_id}/wallet"),
            &body,
        );
        let payment = NewPayment::Merchant {
            request_id: request_id.clone(),
            qr_amount: None,
            remote: None,
        };
        outcome(
            &state,
            Command::Pay {
                key,
                caller,
                payment,
            },
        )
        .await
    }
    .await;
    if let Err(Refused(code)) = &result {
        tracing::info!(request = %request_id, code, "demo wallet did not pay");
    }
    Ok(back(&request_id, lang, result))
}

#[post("/checkout/{id}/wallet/confirm")]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    demo_only(&state, &req)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let checkout = super::load(&state, &path, Utc::now()).await?;
    let request_id = checkout.request.id;
    let payment_id = form
        .payment_id
        .clone()
        .filter(|p| p.starts_with("pay_") && p.len() <= 24)
        .ok_or(ApiError::NotFound("payment"))?;
    let result: Result<Value, Refused> = async {
        let caller = demo_caller(&state).await?;
        // A biometric check bound to this payment, as the citizen's phone would make.
        let assertion = demo_assertion(&state, "biometric", Some(&payment_id)).await?;
        let verified = sessions::accept_assertion(&state, &assertion, Utc::now()).await?;
        let step_up = StepUp {
            cccd: verified.cccd.expose().to_string(),
            auth: verified.auth(),
            nonce: verified.nonce().map(str::to_string),
            issued_at: verified.iat(),
        };
        let body = json!({ "payment_id": payment_id });
        let key = fresh_key(
            &caller,
            "checkout-confirm",
            &format!("/checkout/{request_id}/wallet/confirm"),
            &body,
        );
        outcome(
            &state,
            Command::Confirm {
                key,
                caller,
                payment_id: payment_id.clone(),
                step_up: Some(step_up),
                remote_request: None,
            },
        )
        .await
    }
    .await;
    Ok(back(&request_id, lang, result))
}
