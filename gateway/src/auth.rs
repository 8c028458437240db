//! Who is calling: the operator (a configured bearer token, compared in constant time).
//! Checked inside handlers after input validation, in the order the API fixes:
//! input, credentials, permission, existence.

use actix_web::HttpRequest;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Operator,
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Identifies the caller from its bearer token; no or an unknown token is a 401.
pub fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Principal, ApiError> {
    let token = bearer(req).ok_or(ApiError::Unauthenticated)?;
    if state.config.admin_token.matches(token) {
        return Ok(Principal::Operator);
    }
    Err(ApiError::Unauthenticated)
}

/// Operator-only endpoints: any other authenticated caller is a 403.
pub fn require_operator(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    match authenticate(req, state)? {
        Principal::Operator => Ok(()),
    }
}
