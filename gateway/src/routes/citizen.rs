//! What every citizen endpoint needs: the caller's identity and the level check.

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::auth::Principal;
use crate::idempotency;

use crate::auth::require_citizen;
use crate::citizens::identity::{self, IdentityRow};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// The calling citizen's identity (a token for a vanished identity is a 401).
pub async fn caller(req: &HttpRequest, state: &AppState) -> Result<IdentityRow, ApiError> {
    let identity_id = require_citizen(req, state).await?;
    db::run(state, move |conn| identity::find(conn, &identity_id))
        .await?
        .ok_or(ApiError::Unauthenticated)
}

/// Moving money needs a level 2 VNeID account; level 1 may read and inquire.
pub fn require_level_2(me: &IdentityRow) -> Result<(), ApiError> {
    if me.vneid_level >= 2 {
        Ok(())
    } else {
        Err(ApiError::VneidLevelInsufficient)
    }
}

/// The frame of every citizen request that moves money: the `Idempotency-Key` (an
/// input error when missing or malformed), then the caller's credentials, then `work`
/// at most once per key, given the state, the caller and the key.
pub async fn citizen_once<F, Fut>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Value,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(web::Data<AppState>, IdentityRow, String) -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let key = idempotency::key_from(req)?;
    let me = caller(req, state).await?;
    let scope = Principal::Citizen {
        identity_id: me.id.clone(),
    }
    .scope();
    let (st, work_key) = (state.clone(), key.clone());
    idempotency::run_once(state, &scope, &key, body, move || work(st, me, work_key)).await
}
