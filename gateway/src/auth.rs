//! Who is calling: the operator (a configured bearer token, compared in constant time),
//! a citizen (an access token from `POST /v1/sessions`) or a merchant (an API key, looked
//! up by its SHA-256). Checked inside handlers
//! after input validation, in the order the API fixes: input, credentials,
//! permission, existence.

use actix_web::HttpRequest;

use crate::citizens::sessions::{self, SessionClaims};
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Operator,
    Citizen(SessionClaims),
    /// A merchant's API key; its POSTs are also signed (see `merchants::signature`).
    Merchant {
        merchant_id: String,
    },
}

impl Principal {
    /// The scope of idempotency keys.
    pub fn scope(&self) -> String {
        match self {
            Self::Operator => "operator".to_string(),
            Self::Citizen(session) => format!("citizen:{}", session.identity_id),
            Self::Merchant { merchant_id } => format!("merchant:{merchant_id}"),
        }
    }
}

pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Identifies the caller from its bearer token; no or an unknown token is a 401.
pub async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Principal, ApiError> {
    let token = bearer(req).ok_or(ApiError::Unauthenticated)?;
    if state.config.admin_token.matches(token) {
        return Ok(Principal::Operator);
    }
    if let Some(key) = crate::merchants::secrets::PlaintextApiKey::recognise(token) {
        return match crate::merchants::store::find_by_api_key(state, key).await? {
            Some(merchant_id) => Ok(Principal::Merchant { merchant_id }),
            None => Err(ApiError::Unauthenticated),
        };
    }
    match sessions::resolve(state, token).await? {
        Some(session) => Ok(Principal::Citizen(session)),
        None => Err(ApiError::Unauthenticated),
    }
}

/// Operator-only endpoints: a citizen or a merchant is a 403.
pub async fn require_operator(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    match authenticate(req, state).await? {
        Principal::Operator => Ok(()),
        Principal::Citizen(_) | Principal::Merchant { .. } => Err(ApiError::Forbidden),
    }
}

/// Citizen-only endpoints: the operator or a merchant is a 403 (neither has a wallet).
pub async fn require_citizen(
    req: &HttpRequest,
    state: &AppState,
) -> Result<SessionClaims, ApiError> {
    match authenticate(req, state).await? {
        Principal::Citizen(session) => Ok(session),
        Principal::Operator | Principal::Merchant { .. } => Err(ApiError::Forbidden),
    }
}
