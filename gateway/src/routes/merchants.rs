//! Merchant onboarding (`POST /v1/admin/merchants`, operator) and what every merchant
//! endpoint needs: the caller's record, its request signature checked, its nonce spent.

use std::net::IpAddr;

use actix_web::{post, web, HttpRequest, HttpResponse};
use adapters::identity::TaxCode;
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::auth::{self, Principal};
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::merchants::signature::{self, SignedRequest, WINDOW_SECONDS};
use crate::merchants::store::{self, MerchantCategory, MerchantRow, MerchantView, NewMerchant};
use crate::routes::input;
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MerchantRequest {
    pub name: String,
    /// 10 digits (enterprise), `NNNNNNNNNN-NNN` (dependent unit), or the owner's
    /// 12-digit CCCD number (household business).
    #[schema(example = "0312345678")]
    pub tax_code: String,
    /// `{"bank_bin", "account_number"}`: where the merchant is settled.
    #[schema(value_type = Object)]
    pub settlement: Value,
    /// Where webhooks go (http or https; not a private or loopback address unless
    /// `WEBHOOK_ALLOW_PRIVATE=true`).
    pub webhook_url: Option<String>,
    /// `general` (default), or an essential kind whose payments count toward the
    /// essential payments' cap: `public_service`, `utility`, `telecom`,
    /// `vehicle_fees`, `education`, `healthcare`, `insurance`, `loan_repayment`.
    pub category: Option<String>,
}

/// A new merchant with its credentials, each shown this once.
#[derive(Serialize, ToSchema)]
pub struct MerchantCreated {
    #[serde(flatten)]
    pub merchant: MerchantView,
    /// `Authorization: Bearer <api_key>` on every merchant request.
    #[schema(example = "mk_...")]
    pub api_key: String,
    /// Keys the HMAC-SHA256 `X-Signature` of every merchant POST.
    #[schema(example = "sig_...")]
    pub signing_secret: String,
    /// Keys the HMAC-SHA512 `X-Webhook-Signature` of every webhook.
    #[schema(example = "whsec_...")]
    pub webhook_secret: String,
}

/// Why a webhook URL is refused, if it is.
pub fn check_webhook_url(raw: &str, allow_private: bool) -> Result<(), &'static str> {
    let url = reqwest::Url::parse(raw).map_err(|_| "not_a_url")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("scheme_not_http");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials_in_url");
    }
    let host = url.host_str().ok_or("no_host")?;
    if allow_private {
        return Ok(());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let private = match bare.parse::<IpAddr>() {
        Ok(ip) => crate::merchants::webhook_target::is_private(ip),
        Err(_) => {
            let name = bare.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
    };
    if private {
        Err("private_address")
    } else {
        Ok(())
    }
}

pub fn parse_new_merchant(body: &[u8], allow_private: bool) -> Result<NewMerchant, ApiError> {
    let (_, map) = input::object(body)?;
    let name = input::string(&map, "name", 200)?;
    let raw_tax = map
        .get("tax_code")
        .and_then(Value::as_str)
        .ok_or(ApiError::InvalidTaxCode("malformed"))?;
    let tax_code = TaxCode::parse(raw_tax).map_err(|e| ApiError::InvalidTaxCode(e.reason()))?;
    let settlement = input::nested(&map, "settlement")?;
    let bank_bin = input::string(settlement, "bank_bin", 6)?;
    if adapters::bank::bank_name(&bank_bin).is_none() {
        return Err(ApiError::invalid(
            "settlement.bank_bin is not a known NAPAS bank",
            json!({ "param": "settlement.bank_bin" }),
        ));
    }
    let account_number = input::string(settlement, "account_number", 19)?;
    if account_number.len() < 6 || !account_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "settlement.account_number must be 6 to 19 digits",
            json!({ "param": "settlement.account_number" }),
        ));
    }
    let webhook_url = input::optional_string(&map, "webhook_url", 2048)?;
    if let Some(url) = &webhook_url {
        check_webhook_url(url, allow_private).map_err(ApiError::InvalidWebhookUrl)?;
    }
    let category = match input::optional_string(&map, "category", 32)? {
        None => MerchantCategory::General,
        Some(c) => MerchantCategory::parse(&c).ok_or_else(|| {
            ApiError::invalid(
                "category must be general, public_service, utility, telecom, vehicle_fees, \
                 education, healthcare, insurance or loan_repayment",
                json!({ "param": "category" }),
            )
        })?,
    };
    Ok(NewMerchant {
        name,
        tax_code,
        bank_bin,
        account_number,
        webhook_url,
        category,
    })
}

/// Onboards a merchant: its ledger account and its API key, signing secret and webhook
/// secret, shown in this response only (stored hashed or sealed).
#[utoipa::path(post, path = "/v1/admin/merchants", tag = "merchants",
    request_body = MerchantRequest,
    responses(
        (status = 201, body = MerchantCreated),
        (status = 400, description = "`invalid_request`, `invalid_tax_code`, `invalid_webhook_url`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody)),
    security(("operator" = [])))]
#[post("/v1/admin/merchants")]
pub async fn create_merchant(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let new = parse_new_merchant(&body, state.config.webhook_allow_private)?;
    auth::require_operator(&req, &state).await?;
    let (row, credentials) = store::create(&state, new).await?;
    tracing::info!(merchant = %row.id, "merchant onboarded");
    Ok(HttpResponse::Created().json(MerchantCreated {
        merchant: row.view(),
        api_key: credentials.api_key.reveal_once(),
        signing_secret: credentials.signing_secret.reveal_once(),
        webhook_secret: credentials.webhook_secret.reveal_once(),
    }))
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Result<&'a str, ApiError> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::InvalidSignature)
}

/// The calling merchant. `signed_body` is the raw body of a POST, whose signature is
/// checked and whose nonce is then spent; GETs pass `None`.
pub async fn require_merchant(
    req: &HttpRequest,
    state: &AppState,
    signed_body: Option<&[u8]>,
) -> Result<MerchantRow, ApiError> {
    let merchant_id = match auth::authenticate(req, state).await? {
        Principal::Merchant { merchant_id } => merchant_id,
        Principal::Operator | Principal::Citizen { .. } => return Err(ApiError::Forbidden),
    };
    throttle(state, &merchant_id).await?;
    let merchant = db::run_on(state.registry(), move |conn| {
        store::find(conn, &merchant_id)
    })
    .await?
    .ok_or(ApiError::Unauthenticated)?;
    let Some(body) = signed_body else {
        return Ok(merchant);
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_string(), |pq| pq.as_str().to_string());
    let signed = SignedRequest {
        method: req.method().as_str(),
        path_with_query: &path,
        timestamp: header(req, "x-timestamp")?,
        nonce: header(req, "x-nonce")?,
        body,
        signature: header(req, "x-signature")?,
    };
    let secret = store::open_secret(state, &merchant.signing_secret())?;
    if let Err(reason) = signature::verify(secret.key_bytes(), &signed, Utc::now().timestamp()) {
        tracing::info!(merchant = %merchant.id, %reason, "merchant request signature refused");
        return Err(ApiError::InvalidSignature);
    }
    // Spent for the whole window either side of now, so a replay inside it is caught,
    // and in PostgreSQL, so a Redis restart does not forget it.
    let marker = format!("merchant-nonce:{}:{}", merchant.id, signed.nonce);
    let until = Utc::now() + chrono::Duration::seconds(2 * WINDOW_SECONDS + 1);
    let fresh = db::run(state, move |conn| {
        crate::markers::spend(conn, &marker, until)
    })
    .await?;
    if !fresh {
        return Err(ApiError::InvalidSignature);
    }
    Ok(merchant)
}

/// Counts a request against the merchant's rate limit: 429 beyond it.
async fn throttle(state: &AppState, merchant_id: &str) -> Result<(), ApiError> {
    let key = format!("rate:{{{merchant_id}}}:{}", Utc::now().timestamp());
    let mut redis = state.redis.clone();
    let (count,): (i64,) = redis::pipe()
        .incr(&key, 1)
        .pexpire(&key, 2_000)
        .ignore()
        .query_async(&mut redis)
        .await?;
    if count > i64::try_from(state.config.rate_limit_merchant).unwrap_or(i64::MAX) {
        return Err(ApiError::RateLimited {
            retry_after_seconds: 1,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_on_private_addresses_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/hook",
            "https://192.168.1.1/x",
            "http://[::1]/x",
            "http://localhost:8080/x",
            "http://169.254.169.254/latest",
            "http://0.0.0.0/",
        ] {
            assert_eq!(
                check_webhook_url(bad, false),
                Err("private_address"),
                "{bad}"
            );
            assert_eq!(check_webhook_url(bad, true), Ok(()), "{bad}");
        }
        assert_eq!(
            check_webhook_url("https://shop.example.vn/hooks", false),
            Ok(())
        );
        assert_eq!(
            check_webhook_url("ftp://shop.example.vn/", false),
            Err("scheme_not_http")
        );
        assert_eq!(check_webhook_url("not a url", true), Err("not_a_url"));
    }
}
