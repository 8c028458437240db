//! Console sessions: the admin token, given once on the sign-in form, opens a session
//! named by a random cookie (HttpOnly, SameSite=Strict, Secure when the gateway is
//! served over TLS). Only the cookie's SHA-256 is stored, in PostgreSQL, with the
//! session's CSRF token, which every console form must carry back.

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db;
use crate::error::ApiError;
use crate::schema::console_sessions as sessions;
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "gw_console";
/// Before there is a session, the sign-in form's CSRF token rides in this cookie too
/// (double submit), so a form posted from elsewhere is refused.
pub const SIGN_IN_COOKIE: &str = "gw_console_signin";
/// How long a sign-in form stays usable.
const SIGN_IN_FORM_SECONDS: i64 = 600;

/// A live console session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub token_hash: String,
    pub csrf: String,
}

impl ConsoleSession {
    /// A short, non-secret name of the session for the audit trail.
    pub fn audit_name(&self) -> String {
        self.token_hash.chars().take(12).collect()
    }

    /// Whether `candidate` is this session's CSRF token (in constant time).
    pub fn csrf_matches(&self, candidate: Option<&str>) -> bool {
        candidate.is_some_and(|c| tokens_match(&self.csrf, c))
    }
}

/// A fresh random token: 32 bytes, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two tokens, so timing says nothing about either.
pub fn tokens_match(expected: &str, candidate: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (expected.as_bytes(), candidate.as_bytes());
    !a.is_empty() && a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Opens a session; answers the cookie's value and the session. Sessions that have
/// expired are forgotten on the way.
pub async fn open(state: &AppState) -> Result<(String, ConsoleSession), ApiError> {
    let token = random_token();
    let session = ConsoleSession {
        token_hash: hash(&token),
        csrf: random_token(),
    };
    let now = Utc::now();
    let ttl = i64::try_from(state.config.console_session_ttl_seconds).unwrap_or(3_600);
    let expires = now + chrono::Duration::seconds(ttl);
    let row = session.clone();
    db::run(state, move |conn| {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::token_hash.eq(&row.token_hash),
                sessions::csrf_token.eq(&row.csrf),
                sessions::created_at.eq(now),
                sessions::expires_at.eq(expires),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok((token, session))
}

/// The live session a cookie names, if any.
pub async fn find(state: &AppState, token: &str) -> Result<Option<ConsoleSession>, ApiError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let token_hash = hash(token);
    let found: Option<(String, String, DateTime<Utc>)> = db::run(state, move |conn| {
        Ok(sessions::table
            .find(&token_hash)
            .select((
                sessions::token_hash,
                sessions::csrf_token,
                sessions::expires_at,
            ))
            .first(conn)
            .optional()?)
    })
    .await?;
    Ok(found
        .filter(|(_, _, expires)| *expires > Utc::now())
        .map(|(token_hash, csrf, _)| ConsoleSession { token_hash, csrf }))
}

/// Ends a session at once.
pub async fn close(state: &AppState, session: &ConsoleSession) -> Result<(), ApiError> {
    let token_hash = session.token_hash.clone();
    db::run(state, move |conn| {
        diesel::delete(sessions::table.find(&token_hash)).execute(conn)?;
        Ok(())
    })
    .await
}

/// A console cookie: only for the console's paths, never readable by scripts, never
/// sent along from another site, and only over TLS when the gateway is served so.
pub fn cookie(config: &Config, name: &'static str, value: String, seconds: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.served_over_tls())
        .max_age(CookieAge::seconds(seconds))
        .finish()
}

/// The session cookie for a new session.
pub fn session_cookie(config: &Config, token: String) -> Cookie<'static> {
    let ttl = i64::try_from(config.console_session_ttl_seconds).unwrap_or(3_600);
    cookie(config, COOKIE, token, ttl)
}

/// The sign-in form's cookie.
pub fn sign_in_cookie(config: &Config, token: String) -> Cookie<'static> {
    cookie(config, SIGN_IN_COOKIE, token, SIGN_IN_FORM_SECONDS)
}

/// A cookie that makes the browser forget `name`.
pub fn removal(config: &Config, name: &'static str) -> Cookie<'static> {
    cookie(config, name, String::new(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert!(tokens_match(&t, &t.clone()));
        assert!(!tokens_match(&t, &t[..63]));
        assert!(!tokens_match(&t, &random_token()));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_tls() {
        use std::collections::HashMap;
        let mut env = HashMap::new();
        let plain = Config::from_env(&env, true).unwrap();
        let c = session_cookie(&plain, "x".into());
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_ne!(c.secure(), Some(true));
        env.insert(
            "GATEWAY_PUBLIC_URL".to_string(),
            "https://pay.example.vn".to_string(),
        );
        let tls = Config::from_env(&env, true).unwrap();
        assert_eq!(session_cookie(&tls, "x".into()).secure(), Some(true));
    }
}
