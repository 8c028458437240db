//! What every citizen endpoint needs: the caller from their session, and the frame of
//! a request that moves money (key, credentials, then one command of the group
//! commit).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::auth::require_citizen;
use crate::citizens::identity::{self, IdentityRow};
use crate::citizens::sessions::SessionClaims;
use crate::commit::{Caller, Command, KeyClaim, NewPayment};
use crate::db;
use crate::error::ApiError;
use crate::idempotency;
use crate::payments::drive;
use crate::state::AppState;

/// The caller as a payment needs them, from the session alone.
pub fn caller_of(session: &SessionClaims) -> Result<Caller, ApiError> {
    Ok(Caller {
        identity_id: session.identity_id.clone(),
        vneid_level: session.vneid_level,
        wallet: session.wallet_id()?,
        device_id: session.device_id.clone(),
    })
}

/// The calling citizen's identity row (a token for a vanished identity is a 401).
pub async fn caller(req: &HttpRequest, state: &AppState) -> Result<IdentityRow, ApiError> {
    let session = require_citizen(req, state).await?;
    db::run(state, move |conn| {
        identity::find(conn, &session.identity_id)
    })
    .await?
    .ok_or(ApiError::Unauthenticated)
}

/// The `Idempotency-Key` (an input error when missing or malformed), then the
/// caller's credentials: the key claim and the caller for a citizen's command.
pub async fn citizen_key(
    req: &HttpRequest,
    state: &AppState,
    body: &Value,
) -> Result<(KeyClaim, Caller), ApiError> {
    idempotency::key_from(req)?;
    let session = require_citizen(req, state).await?;
    let key = idempotency::claim(req, format!("citizen:{}", session.identity_id), body)?;
    Ok((key, caller_of(&session)?))
}

/// A citizen's new payment: once per key, answered when it is final or waits on
/// someone else.
pub async fn start_payment(
    req: &HttpRequest,
    state: &AppState,
    body: &Value,
    payment: NewPayment,
) -> Result<HttpResponse, ApiError> {
    let (key, caller) = citizen_key(req, state, body).await?;
    let reply = state
        .committer
        .submit(Command::Pay {
            key,
            caller,
            payment,
        })
        .await?;
    drive::respond(state, reply).await
}
