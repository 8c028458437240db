//! The VNeID simulator: issues signed assertions on request (api.md, "Simulators").
//!
//! `POST /vneid/assertions` `{"cccd", "name", "birth_date", "phone", "level", "auth",
//! "nonce"?}` → 201 `{"assertion", "jti", "exp"}`, signed with the configured key,
//! `iat` now, `exp` now + 300 s, a random `jti`. Nothing in the body is validated beyond
//! its JSON shape, so tests can obtain assertions for malformed numbers or levels. For
//! negative tests the body may also override `iss`, `aud`, `iat`, `exp` and `jti`.

use super::reply;
use crate::vneid::{
    issue_assertion, AssertionClaims, AuthMethod, IssueError, GATEWAY_AUDIENCE, VNEID_ISSUER,
};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Lifetime of an issued assertion unless the request overrides `exp`.
pub const ASSERTION_TTL_SECONDS: i64 = 300;

/// Body of `POST /vneid/assertions`.
#[derive(Clone, Deserialize)]
pub struct AssertionRequest {
    /// Becomes `sub`; not validated.
    pub cccd: String,
    /// Full name.
    pub name: String,
    /// `YYYY-MM-DD`; not validated.
    pub birth_date: String,
    /// Phone number.
    pub phone: String,
    /// 1 or 2 (anything else is signed as given).
    pub level: u8,
    /// How the citizen authenticated.
    pub auth: AuthMethod,
    /// Optional relying-party nonce.
    #[serde(default)]
    pub nonce: Option<String>,
    /// Optional id of the device the citizen signs in on.
    #[serde(default)]
    pub device_id: Option<String>,
    /// Override of `iss` (default `"vneid"`).
    #[serde(default)]
    pub iss: Option<String>,
    /// Override of `aud` (default `"gateway"`).
    #[serde(default)]
    pub aud: Option<String>,
    /// Override of `iat` (default now).
    #[serde(default)]
    pub iat: Option<i64>,
    /// Override of `exp` (default `iat` + 300).
    #[serde(default)]
    pub exp: Option<i64>,
    /// Override of `jti` (default a random UUID).
    #[serde(default)]
    pub jti: Option<String>,
}

impl fmt::Debug for AssertionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionRequest")
            .field("cccd", &crate::identity::mask_cccd(&self.cccd))
            .field("level", &self.level)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// An issued assertion and the claims needed to track it.
#[derive(Clone, Serialize)]
pub struct IssuedAssertion {
    /// The signed JWT.
    pub assertion: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`, Unix seconds.
    pub exp: i64,
}

impl AssertionRequest {
    /// The claims VNeID would sign for this request at Unix time `now`.
    pub fn into_claims(self, now: i64) -> AssertionClaims {
        let iat = self.iat.unwrap_or(now);
        AssertionClaims {
            iss: self.iss.unwrap_or_else(|| VNEID_ISSUER.to_owned()),
            aud: self.aud.unwrap_or_else(|| GATEWAY_AUDIENCE.to_owned()),
            sub: self.cccd,
            name: self.name,
            birth_date: self.birth_date,
            phone: self.phone,
            level: self.level,
            auth: self.auth,
            iat,
            exp: self
                .exp
                .unwrap_or_else(|| iat.saturating_add(ASSERTION_TTL_SECONDS)),
            jti: self
                .jti
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
            nonce: self.nonce,
            device_id: self.device_id,
        }
    }
}

/// Issues an assertion for `request` at Unix time `now`, signed with `key`.
pub fn issue(
    request: AssertionRequest,
    key: &[u8],
    now: i64,
) -> Result<IssuedAssertion, IssueError> {
    let claims = request.into_claims(now);
    let assertion = issue_assertion(&claims, key)?;
    Ok(IssuedAssertion {
        assertion,
        jti: claims.jti,
        exp: claims.exp,
    })
}

/// The simulator's state: the signing key, never printed.
#[derive(Clone)]
pub(crate) struct VneidState {
    key: Vec<u8>,
}

impl VneidState {
    pub(crate) fn new(key: Vec<u8>) -> Self {
        VneidState { key }
    }
}

impl fmt::Debug for VneidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VneidState { key: <redacted> }")
    }
}

/// Mounts the VNeID routes; the caller puts them under `/vneid`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<VneidState>) {
    cfg.app_data(state)
        .app_data(reply::json_config())
        .route("/assertions", web::post().to(create_assertion));
}

async fn create_assertion(
    state: web::Data<VneidState>,
    body: web::Json<AssertionRequest>,
) -> HttpResponse {
    match issue(body.into_inner(), &state.key, Utc::now().timestamp()) {
        Ok(issued) => HttpResponse::Created().json(issued),
        Err(_) => reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "signing_failed",
            "the assertion could not be signed",
        ),
    }
}
