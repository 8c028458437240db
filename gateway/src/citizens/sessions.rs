//! VNeID assertions in, access tokens out. A session carries what a payment needs to
//! know about its citizen (identity, VNeID level, wallet), so the hot path reads no
//! citizen row. Sessions live in Redis for speed and in PostgreSQL for durability: a
//! Redis restart signs nobody out. Only a token's SHA-256 is stored.
//!
//! A token names its citizen (`cit_<identity id>.<secret>`), so one Redis script reads
//! the session and counts the request against the citizen's rate limit in a single
//! round trip; both keys share the citizen's hash tag, so the script runs on one node
//! of a Redis Cluster too. The counter only moves once the session has been found, so
//! a forged token cannot spend another citizen's allowance.

use adapters::vneid::{verify_assertion, AssertionError, VerifiedAssertion};
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db;
use crate::error::ApiError;
use crate::schema::citizen_sessions;
use crate::state::AppState;

/// What a session carries about its citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    #[serde(rename = "i")]
    pub identity_id: String,
    #[serde(rename = "l")]
    pub vneid_level: i16,
    /// The wallet's ledger account id, in decimal.
    #[serde(rename = "w")]
    pub wallet: String,
    /// The device the citizen signed in on, when VNeID reported it.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl SessionClaims {
    pub fn wallet_id(&self) -> Result<u128, ApiError> {
        self.wallet
            .parse()
            .map_err(|_| ApiError::Internal("a session's wallet id is malformed".into()))
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The citizen a token names, if it is shaped like one of ours.
fn identity_of(token: &str) -> Option<&str> {
    let (identity, secret) = token.strip_prefix("cit_")?.split_once('.')?;
    let plausible = identity.starts_with("idn_")
        && identity.len() <= 24
        && identity
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && secret.len() == 64
        && secret.bytes().all(|b| b.is_ascii_hexdigit());
    plausible.then_some(identity)
}

fn session_key(identity: &str, token: &str) -> String {
    format!("session:{{{identity}}}:{}", token_hash(token))
}

fn rate_key(identity: &str, window: i64) -> String {
    format!("rate:{{{identity}}}:{window}")
}

/// Reads the session (KEYS[1]) and, only if it exists, counts a request in the
/// current window (KEYS[2], expiring after ARGV[1] ms). Answers {session, count}.
const RESOLVE: &str = r"
local session = redis.call('GET', KEYS[1])
if not session then return false end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {session, n}
";

fn verify(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedAssertion, ApiError> {
    let key = state.config.vneid_jwt_key.expose().as_bytes();
    verify_assertion(token, key, now.timestamp()).map_err(|e| match e {
        AssertionError::InvalidCccd(cause) => ApiError::InvalidCccd(cause.reason()),
        _ => ApiError::InvalidAssertion,
    })
}

/// Verifies a VNeID assertion and spends its `jti` for as long as it could be
/// accepted, so no assertion is accepted twice, for any purpose, even across a Redis
/// restart.
pub async fn accept_assertion(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedAssertion, ApiError> {
    let verified = verify(state, token, now)?;
    let ttl = i64::try_from(verified.replay_ttl_seconds(now.timestamp()).max(1)).unwrap_or(86_400);
    let (marker, until) = (
        format!("vneid-jti:{}", verified.jti()),
        now + chrono::Duration::seconds(ttl),
    );
    let fresh = db::run(state, move |conn| {
        crate::markers::spend(conn, &marker, until)
    })
    .await?;
    if !fresh {
        return Err(ApiError::InvalidAssertion);
    }
    Ok(verified)
}

/// Issues an access token carrying `claims`; returns it with its expiry.
pub async fn issue(
    state: &AppState,
    claims: SessionClaims,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let token = format!(
        "cit_{}.{}",
        claims.identity_id,
        hex::encode(rand::random::<[u8; 32]>())
    );
    let ttl = state.config.session_ttl_seconds.max(1);
    let expires = now + chrono::Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 2));
    let value = serde_json::to_string(&claims).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (hash, stored, identity) = (
        token_hash(&token),
        value.clone(),
        claims.identity_id.clone(),
    );
    db::run(&state.home_of(&claims.identity_id), move |conn| {
        diesel::insert_into(citizen_sessions::table)
            .values((
                citizen_sessions::token_hash.eq(hash),
                citizen_sessions::identity_id.eq(identity),
                citizen_sessions::claims.eq(stored),
                citizen_sessions::expires_at.eq(expires),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    let mut redis = state.redis.clone();
    let _: () = redis::cmd("SET")
        .arg(session_key(&claims.identity_id, &token))
        .arg(value)
        .arg("EX")
        .arg(ttl)
        .query_async(&mut redis)
        .await?;
    Ok((token, expires))
}

/// A session Redis no longer has (it restarted, or lost a node), from PostgreSQL, put
/// back into Redis for its remaining life.
async fn recover(
    state: &AppState,
    identity: &str,
    token: &str,
) -> Result<Option<String>, ApiError> {
    let hash = token_hash(token);
    let found = db::run(&state.home_of(identity), move |conn| {
        Ok(citizen_sessions::table
            .find(&hash)
            .filter(citizen_sessions::expires_at.gt(Utc::now()))
            .select((citizen_sessions::claims, citizen_sessions::expires_at))
            .first::<(String, DateTime<Utc>)>(conn)
            .optional()?)
    })
    .await?;
    let Some((claims, expires_at)) = found else {
        return Ok(None);
    };
    let left = (expires_at - Utc::now()).num_seconds().max(1);
    let mut redis = state.redis.clone();
    let _: () = redis::cmd("SET")
        .arg(session_key(identity, token))
        .arg(&claims)
        .arg("EX")
        .arg(left)
        .query_async(&mut redis)
        .await?;
    Ok(Some(claims))
}

/// The session behind an access token, if it is live, counting the request against
/// the citizen's rate limit (429 with the seconds to wait when over it).
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<SessionClaims>, ApiError> {
    let Some(identity) = identity_of(token) else {
        return Ok(None);
    };
    let now = Utc::now();
    let window = now.timestamp();
    let mut redis = state.redis.clone();
    let found: Option<(String, i64)> = redis::Script::new(RESOLVE)
        .key(session_key(identity, token))
        .key(rate_key(identity, window))
        .arg(2_000)
        .invoke_async(&mut redis)
        .await?;
    let (value, count) = match found {
        Some(found) => found,
        None => match recover(state, identity, token).await? {
            Some(value) => {
                let count: i64 = redis::cmd("INCR")
                    .arg(rate_key(identity, window))
                    .query_async(&mut redis)
                    .await?;
                (value, count)
            }
            None => return Ok(None),
        },
    };
    if count > i64::try_from(state.config.rate_limit_citizen).unwrap_or(i64::MAX) {
        return Err(ApiError::RateLimited {
            retry_after_seconds: 1,
        });
    }
    let claims: SessionClaims =
        serde_json::from_str(&value).map_err(|_| ApiError::Unauthenticated)?;
    Ok((claims.identity_id == identity).then_some(claims))
}

/// Ends a session: the token stops working at once.
pub async fn revoke(state: &AppState, token: &str) -> Result<(), ApiError> {
    let hash = token_hash(token);
    let home = state.home_of(identity_of(token).unwrap_or_default());
    db::run(&home, move |conn| {
        diesel::delete(citizen_sessions::table.find(&hash)).execute(conn)?;
        Ok(())
    })
    .await?;
    if let Some(identity) = identity_of(token) {
        let mut redis = state.redis.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(session_key(identity, token))
            .query_async(&mut redis)
            .await?;
    }
    Ok(())
}

/// Forgets sessions that have expired.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(citizen_sessions::table.filter(citizen_sessions::expires_at.le(now)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_citizen_and_nothing_else_passes() {
        let token = format!("cit_idn_0123456789abcdef.{}", "ab".repeat(32));
        assert_eq!(identity_of(&token), Some("idn_0123456789abcdef"));
        for bad in [
            "cit_",
            "adm_x",
            "cit_idn_x",
            "cit_idn_x.short",
            "cit_other_x.abababababababababababababababababababababababababababababababab",
        ] {
            assert_eq!(identity_of(bad), None, "{bad}");
        }
        // The session and its counter share a hash tag: one Redis Cluster slot.
        assert!(session_key("idn_1", &token).contains("{idn_1}"));
        assert!(rate_key("idn_1", 5).contains("{idn_1}"));
    }
}
