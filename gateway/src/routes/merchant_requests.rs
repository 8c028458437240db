//! The merchant API: payment requests, their capture or void, and refunds. Every POST
//! is signed (see `routes::merchants::require_merchant`) and idempotent per merchant.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::commit::{Command, KeyClaim, NewRequest};
use crate::error::{ApiError, ErrorBody};
use crate::idempotency;
use crate::merchants::claims;
use crate::merchants::refunds::RefundView;
use crate::merchants::requests::RequestView;
use crate::payments::drive;
use crate::routes::input;
use crate::routes::merchants::require_merchant;
use crate::state::AppState;

const MAX_EXPIRY_SECONDS: u64 = 86_400;
const DEFAULT_EXPIRY_SECONDS: u64 = 900;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PaymentRequestBody {
    pub amount: i64,
    /// The merchant's own order reference.
    pub order_ref: String,
    /// Shown to the payer; carried (shortened if need be) in the QR's purpose field.
    pub description: Option<String>,
    /// `automatic` (money moves when the citizen pays) or `manual` (a hold to capture).
    #[schema(example = "automatic")]
    pub capture: String,
    /// 60 to 86,400 (default 900).
    pub expires_in_seconds: Option<u64>,
    /// Where the hosted checkout page sends the payer once the request is final, with
    /// `payment_request_id` and `status` in the query: https (any http in demo mode).
    pub return_url: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CaptureBody {
    /// At most the authorized amount (default: all of it); the rest is released.
    pub amount: Option<i64>,
}

/// No fields: an empty body or `{}`.
#[derive(ToSchema)]
pub struct VoidBody {}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RefundBody {
    pub amount: i64,
}

/// An empty body counts as `{}` for actions that need no fields.
fn object_or_empty(body: &[u8]) -> Result<(Value, Map<String, Value>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((json!({}), Map::new()));
    }
    input::object(body)
}

fn expiry(map: &Map<String, Value>, min: u64) -> Result<u64, ApiError> {
    match map.get("expires_in_seconds") {
        None | Some(Value::Null) => Ok(DEFAULT_EXPIRY_SECONDS.max(min)),
        Some(v) => v
            .as_u64()
            .filter(|s| (min..=MAX_EXPIRY_SECONDS).contains(s))
            .ok_or_else(|| {
                ApiError::invalid(
                    format!("expires_in_seconds must be a whole number from {min} to 86400"),
                    json!({ "param": "expires_in_seconds" }),
                )
            }),
    }
}

/// Where a checkout page may send the payer: an https address (any http one in demo
/// mode, where shops run on the developer's machine).
fn check_return_url(raw: &str, demo: bool) -> Result<(), ApiError> {
    let ok = reqwest::Url::parse(raw).is_ok_and(|url| {
        url.host_str().is_some()
            && (url.scheme() == "https" || (demo && url.scheme() == "http"))
            && url.username().is_empty()
            && url.password().is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "return_url must be an https URL (any http URL in demo mode)",
            json!({ "param": "return_url" }),
        ))
    }
}

fn check_request_id(id: &str) -> Result<(), ApiError> {
    let ok = id.len() > 4
        && id.len() <= 24
        && id.starts_with("req_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidId {
            kind: "payment request",
            id: id.chars().take(40).collect(),
        })
    }
}

/// Creates a payment request with its dynamic VietQR.
#[utoipa::path(post, path = "/v1/merchant/payment-requests", tag = "merchants",
    request_body = PaymentRequestBody,
    params(("Idempotency-Key" = String, Header), ("X-Timestamp" = String, Header), ("X-Nonce" = String, Header), ("X-Signature" = String, Header)),
    responses(
        (status = 201, body = RequestView),
        (status = 400, description = "`invalid_request`, `invalid_amount`, `idempotency_key_*`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`, `invalid_signature`", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_progress`", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`", body = ErrorBody)),
    security(("merchant" = [])))]
#[post("/v1/merchant/payment-requests")]
pub async fn create_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (value, map) = input::object(&body)?;
    let amount = input::amount(&map)?;
    let order_ref = input::string(&map, "order_ref", 64)?;
    let description = input::optional_string(&map, "description", 140)?;
    let capture =
        input::optional_string(&map, "capture", 16)?.unwrap_or_else(|| "automatic".into());
    if !matches!(capture.as_str(), "automatic" | "manual") {
        return Err(ApiError::invalid(
            "capture must be automatic or manual",
            json!({ "param": "capture" }),
        ));
    }
    let expires_in = expiry(
        &map,
        state.config.merchant_request_min_expiry_seconds.max(1),
    )?;
    let return_url = input::optional_string(&map, "return_url", 2048)?;
    if let Some(url) = &return_url {
        check_return_url(url, state.config.demo)?;
    }
    idempotency::key_from(&req)?;
    let merchant = require_merchant(&req, &state, Some(&body)).await?;
    let key = merchant_key(&req, &merchant.id, &value)?;
    // Made on the merchant's home shard, which its id names.
    let home = state.at_home(state.shard_of_merchant(&merchant.id));
    let reply = home
        .committer
        .submit(Command::CreateRequest {
            key,
            merchant_id: merchant.id,
            request: NewRequest {
                amount,
                order_ref,
                description,
                manual_capture: capture == "manual",
                expires_in_seconds: i64::try_from(expires_in).unwrap_or(900),
                return_url,
            },
        })
        .await?;
    drive::respond(&state, reply).await
}

fn merchant_key(req: &HttpRequest, merchant_id: &str, body: &Value) -> Result<KeyClaim, ApiError> {
    let scope = Principal::Merchant {
        merchant_id: merchant_id.to_string(),
    }
    .scope();
    idempotency::claim(req, scope, body)
}

/// One of the merchant's payment requests (another merchant's is not found).
#[utoipa::path(get, path = "/v1/merchant/payment-requests/{id}", tag = "merchants",
    params(("id" = String, Path)),
    responses((status = 200, body = RequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "`payment_request_not_found`", body = ErrorBody)),
    security(("merchant" = [])))]
#[get("/v1/merchant/payment-requests/{id}")]
pub async fn get_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_request_id(&id)?;
    let merchant = require_merchant(&req, &state, None).await?;
    let (_, row) = claims::locate(&state, &id).await?;
    if row.merchant_id != merchant.id {
        return Err(ApiError::NotFound("payment request"));
    }
    Ok(HttpResponse::Ok().json(row.view_at(Utc::now(), &state.config.public_url)?))
}

/// Reads an action's amount field from its body.
type AmountParser = fn(&Map<String, Value>) -> Result<Option<i64>, ApiError>;

/// What a merchant asks of a request.
enum Action {
    Capture,
    Void,
    Refund,
}

/// The shared shape of the three actions: input, credentials, then once per key.
async fn action(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    body: web::Bytes,
    parse: AmountParser,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    check_request_id(&id)?;
    let (value, map) = object_or_empty(&body)?;
    let amount = parse(&map)?;
    idempotency::key_from(&req)?;
    let merchant = require_merchant(&req, &state, Some(&body)).await?;
    let key = merchant_key(&req, &merchant.id, &value)?;
    // Run wherever the request lives now: on its own shard, or with its payment on
    // the payer's. One that does not exist is the command's to refuse.
    let home = if state.routes_citizens() {
        match claims::locate(&state, &id).await {
            Ok((home, _)) => home,
            Err(ApiError::NotFound(_)) => state.at_home(state.shard_of_request(&id)),
            Err(e) => return Err(e),
        }
    } else {
        state.get_ref().clone()
    };
    let (merchant_id, request_id) = (merchant.id, id);
    let command = match action {
        Action::Capture => Command::Capture {
            key,
            merchant_id,
            request_id,
            amount,
        },
        Action::Void => Command::Void {
            key,
            merchant_id,
            request_id,
        },
        Action::Refund => Command::Refund {
            key,
            merchant_id,
            request_id,
            amount: amount.ok_or(ApiError::InvalidAmount)?,
        },
    };
    let reply = home.committer.submit(command).await?;
    drive::respond(&home, reply).await
}

fn optional_amount(map: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    match map.get("amount") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => input::amount(map).map(Some),
    }
}

fn no_amount(_: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    Ok(None)
}

fn required_amount(map: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    input::amount(map).map(Some)
}

/// Captures all or part of an authorized request; the rest of the hold is released.
#[utoipa::path(post, path = "/v1/merchant/payment-requests/{id}/capture", tag = "merchants",
    request_body = CaptureBody,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header), ("X-Timestamp" = String, Header), ("X-Nonce" = String, Header), ("X-Signature" = String, Header)),
    responses(
        (status = 200, description = "`captured` or `partially_captured`", body = RequestView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`payment_request_not_found`", body = ErrorBody),
        (status = 409, description = "`payment_request_not_authorized`, `payment_request_expired`", body = ErrorBody),
        (status = 422, description = "`capture_exceeds_authorized`", body = ErrorBody)),
    security(("merchant" = [])))]
#[post("/v1/merchant/payment-requests/{id}/capture")]
pub async fn capture_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    action(
        req,
        state,
        path.into_inner(),
        body,
        optional_amount,
        Action::Capture,
    )
    .await
}

/// Releases an authorized request's hold.
#[utoipa::path(post, path = "/v1/merchant/payment-requests/{id}/void", tag = "merchants",
    request_body = VoidBody,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header), ("X-Timestamp" = String, Header), ("X-Nonce" = String, Header), ("X-Signature" = String, Header)),
    responses(
        (status = 200, description = "`voided`", body = RequestView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`payment_request_not_authorized`, `payment_request_expired`", body = ErrorBody)),
    security(("merchant" = [])))]
#[post("/v1/merchant/payment-requests/{id}/void")]
pub async fn void_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    action(req, state, path.into_inner(), body, no_amount, Action::Void).await
}

/// Refunds part or all of what was captured, back to the citizen's wallet.
#[utoipa::path(post, path = "/v1/merchant/payment-requests/{id}/refunds", tag = "merchants",
    request_body = RefundBody,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header), ("X-Timestamp" = String, Header), ("X-Nonce" = String, Header), ("X-Signature" = String, Header)),
    responses(
        (status = 201, body = RefundView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`payment_request_not_captured`", body = ErrorBody),
        (status = 422, description = "`refund_exceeds_captured`", body = ErrorBody)),
    security(("merchant" = [])))]
#[post("/v1/merchant/payment-requests/{id}/refunds")]
pub async fn create_refund(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    action(
        req,
        state,
        path.into_inner(),
        body,
        required_amount,
        Action::Refund,
    )
    .await
}
