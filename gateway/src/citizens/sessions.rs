//! VNeID assertions in, access tokens out. Tokens are random and live in Redis (only
//! their SHA-256 is stored), so they can be revoked and expire by themselves.

use adapters::vneid::{verify_assertion, AssertionError, VerifiedAssertion};
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

fn session_key(token: &str) -> String {
    format!("session:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// Verifies a VNeID assertion and marks its `jti` used for as long as it could be
/// accepted, so no assertion is accepted twice, for any purpose.
pub async fn accept_assertion(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedAssertion, ApiError> {
    let key = state.config.vneid_jwt_key.expose().as_bytes();
    let verified = verify_assertion(token, key, now.timestamp()).map_err(|e| match e {
        AssertionError::InvalidCccd(cause) => ApiError::InvalidCccd(cause.reason()),
        _ => ApiError::InvalidAssertion,
    })?;
    let mut redis = state.redis.clone();
    let ttl = verified.replay_ttl_seconds(now.timestamp()).max(1);
    let fresh: bool = redis::cmd("SET")
        .arg(verified.replay_key())
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(ttl)
        .query_async::<Option<String>>(&mut redis)
        .await?
        .is_some();
    if !fresh {
        return Err(ApiError::InvalidAssertion);
    }
    Ok(verified)
}

/// Issues an access token for the identity; returns it with its expiry.
pub async fn issue(
    state: &AppState,
    identity_id: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let token = format!("cit_{}", hex::encode(rand::random::<[u8; 32]>()));
    let ttl = state.config.session_ttl_seconds.max(1);
    let mut redis = state.redis.clone();
    let _: () = redis.set_ex(session_key(&token), identity_id, ttl).await?;
    let expires = now + chrono::Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 2));
    Ok((token, expires))
}

/// The identity id behind an access token, if it is live.
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<String>, ApiError> {
    if !token.starts_with("cit_") {
        return Ok(None);
    }
    let mut redis = state.redis.clone();
    Ok(redis.get(session_key(token)).await?)
}

/// Ends a session: the token stops working at once.
pub async fn revoke(state: &AppState, token: &str) -> Result<(), ApiError> {
    let mut redis = state.redis.clone();
    let _: i64 = redis.del(session_key(token)).await?;
    Ok(())
}
