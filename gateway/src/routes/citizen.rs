//! What every citizen endpoint needs: the caller's identity and the level check.

use actix_web::HttpRequest;

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
