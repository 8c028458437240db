//! `POST /v1/sessions`: a VNeID assertion in, an access token out.

use actix_web::{delete, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::citizens::identity::IdentityView;
use crate::citizens::{sessions, sign_in};
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
    let signed_in = sign_in::sign_in(&state, &assertion, Utc::now()).await?;
    Ok(HttpResponse::Created().json(SessionView {
        access_token: signed_in.access_token,
        expires_at: signed_in.expires_at,
        identity: signed_in.identity.view(),
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
