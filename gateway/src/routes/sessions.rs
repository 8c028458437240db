//! `POST /v1/sessions`: a VNeID assertion in, an access token out.

use actix_web::{delete, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::chart::VND;
use crate::citizens::identity::{self, IdentityView};
use crate::citizens::sessions;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::routes::input;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub identity: IdentityView,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SessionRequest {
    /// A VNeID assertion: an HS256 JWT from the identity provider.
    pub assertion: String,
}

/// A fresh wallet id: random, with bit 63 set so it never meets a system account's.
fn new_wallet_id() -> u128 {
    u128::from(rand::random::<u64>() | 1 << 63)
}

/// Signs a citizen in with a VNeID assertion; creates the identity and its wallet on
/// first sight.
#[utoipa::path(post, path = "/v1/sessions", tag = "citizens",
    request_body = SessionRequest,
    responses(
        (status = 201, body = SessionView),
        (status = 400, description = "Malformed body, or `sub` not a valid CCCD number (`invalid_cccd`)", body = ErrorBody),
        (status = 401, description = "Bad signature, issuer, audience, expired or replayed (`invalid_assertion`)", body = ErrorBody)))]
#[post("/v1/sessions")]
pub async fn create_session(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, map) = input::object(&body)?;
    let assertion = input::string(&map, "assertion", 8192)?;
    let now = Utc::now();
    let verified = sessions::accept_assertion(&state, &assertion, now).await?;
    let device_id = verified.claims.device_id.clone();

    let wallet = new_wallet_id();
    let wallet_public = crate::ids::encode(crate::ids::ACCOUNT, wallet);
    let row = db::run(&state, move |conn| {
        identity::upsert(conn, &verified, &wallet_public, now)
    })
    .await?;
    // Created on first sight: the wallet may not exceed what it holds. Creating it again
    // for a returning citizen answers `exists`, which is as good as created. No balance
    // history: a wallet's statement is its entries, and a snapshot of both wallets on
    // every transfer would double what a payment writes to the ledger.
    let wallet_id = row.wallet_ledger_id()?;
    let account = ledger::Account::new(
        wallet_id,
        VND,
        crate::chart::AccountKind::CitizenWallet.code(),
        ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    );
    let ledger = state.ledger.clone();
    let result = web::block(move || ledger.create_accounts(&[account])).await??;
    if !matches!(
        result.first(),
        Some(ledger::CreateAccountResult::Ok | ledger::CreateAccountResult::Exists)
    ) {
        return Err(ApiError::Internal(format!(
            "wallet not created: {result:?}"
        )));
    }
    let claims = sessions::SessionClaims {
        identity_id: row.id.clone(),
        vneid_level: row.vneid_level,
        wallet: wallet_id.to_string(),
        device_id: device_id.filter(|d| !d.is_empty() && d.len() <= 128),
    };
    let (access_token, expires_at) = sessions::issue(&state, claims, now).await?;
    Ok(HttpResponse::Created().json(SessionView {
        access_token,
        expires_at,
        identity: row.view(),
    }))
}

/// Signs the citizen out: the access token of this request stops working at once.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "citizens",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing or unknown token", body = ErrorBody),
        (status = 403, description = "Not a citizen's token", body = ErrorBody)),
    security(("citizen" = [])))]
#[delete("/v1/sessions/current")]
pub async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::require_citizen(&req, &state).await?;
    if let Some(token) = crate::auth::bearer(&req) {
        sessions::revoke(&state, token).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
