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

/// The calling citizen's identity row, and the service on their home shard (a token
/// for a vanished identity is a 401).
pub async fn caller(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(IdentityRow, AppState), ApiError> {
    let session = require_citizen(req, state).await?;
    let home = state.home_of(&session.identity_id);
    let row = db::run(&home, move |conn| {
        identity::find(conn, &session.identity_id)
    })
    .await?
    .ok_or(ApiError::Unauthenticated)?;
    Ok((row, home))
}

/// The calling citizen's session, and the service on their home shard.
pub async fn session_at_home(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(SessionClaims, AppState), ApiError> {
    let session = require_citizen(req, state).await?;
    let home = state.home_of(&session.identity_id);
    Ok((session, home))
}

/// The `Idempotency-Key` (an input error when missing or malformed), then the
/// caller's credentials: the key claim and the caller for a citizen's command, and
/// the service on the caller's home shard, where the command runs.
pub async fn citizen_key(
    req: &HttpRequest,
    state: &AppState,
    body: &Value,
) -> Result<(KeyClaim, Caller, AppState), ApiError> {
    idempotency::key_from(req)?;
    let (session, home) = session_at_home(req, state).await?;
    let key = idempotency::claim(req, format!("citizen:{}", session.identity_id), body)?;
    Ok((key, caller_of(&session)?, home))
}

/// A citizen's new payment: once per key, answered when it is final or waits on
/// someone else.
pub async fn start_payment(
    req: &HttpRequest,
    state: &AppState,
    body: &Value,
    payment: NewPayment,
) -> Result<HttpResponse, ApiError> {
    let (key, caller, home) = citizen_key(req, state, body).await?;
    submit_payment(&home, key, caller, payment).await
}

/// Queues a citizen's payment on their home shard and answers with what came of it.
pub async fn submit_payment(
    home: &AppState,
    key: KeyClaim,
    caller: Caller,
    payment: NewPayment,
) -> Result<HttpResponse, ApiError> {
    let reply = home
        .committer
        .submit(Command::Pay {
            key,
            caller,
            payment,
        })
        .await?;
    drive::respond(home, reply).await
}
