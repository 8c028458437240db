//! Idempotency keys as the API fixes them: scoped to the principal, the request's
//! canonical JSON hash and the final response stored durably in PostgreSQL, and a Redis
//! lock while the first request runs. A replay answers the stored status and body with
//! `Idempotent-Replayed: true`; the same key with another body is refused, and so is a
//! key whose first request is still running.

use std::future::Future;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::rules::valid_idempotency_key;
use crate::schema::idempotency_keys;
use crate::state::AppState;

/// How long the in-flight lock lives if its holder dies without releasing it.
const LOCK_TTL: Duration = Duration::from_secs(60);

/// The `Idempotency-Key` header, validated: missing or malformed is a 400.
pub fn key_from(req: &HttpRequest) -> Result<String, ApiError> {
    let raw = req
        .headers()
        .get("idempotency-key")
        .ok_or(ApiError::IdempotencyKeyRequired)?;
    let key = raw.to_str().map_err(|_| ApiError::IdempotencyKeyInvalid)?;
    if !valid_idempotency_key(key) {
        return Err(ApiError::IdempotencyKeyInvalid);
    }
    Ok(key.to_string())
}

/// JSON with object keys sorted at every level, so equal values hash equally.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash a request is compared by: its body as a JSON value.
pub fn request_hash(body: &Value) -> Vec<u8> {
    let mut text = String::new();
    canonical(body, &mut text);
    Sha256::digest(text.as_bytes()).to_vec()
}

struct Stored {
    hash: Vec<u8>,
    response: Option<(i32, String)>,
}

fn load(
    state: &AppState,
    scope: &str,
    key: &str,
) -> impl Future<Output = Result<Option<Stored>, ApiError>> {
    let (scope, key, state) = (scope.to_string(), key.to_string(), state.clone());
    async move {
        crate::db::run(&state, move |conn| {
            let row: Option<(Vec<u8>, Option<i32>, Option<String>)> = idempotency_keys::table
                .find((&scope, &key))
                .select((
                    idempotency_keys::request_hash,
                    idempotency_keys::response_status,
                    idempotency_keys::response_body,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(hash, status, body)| Stored {
                hash,
                response: status.zip(body),
            }))
        })
        .await
    }
}

fn replay(status: i32, body: String) -> HttpResponse {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .insert_header(("Idempotent-Replayed", "true"))
        .content_type("application/json")
        .body(body)
}

/// What became of a stored key: replay its response, or refuse a different body.
fn settle(stored: Stored, hash: &[u8]) -> Option<Result<HttpResponse, ApiError>> {
    if stored.hash != hash {
        return Some(Err(ApiError::IdempotencyKeyReused));
    }
    stored
        .response
        .map(|(status, body)| Ok(replay(status, body)))
}

const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

async fn release(state: &AppState, lock_key: &str, token: &str) {
    let mut redis = state.redis.clone();
    let result: Result<i64, _> = redis::Script::new(RELEASE)
        .key(lock_key)
        .arg(token)
        .invoke_async(&mut redis)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "idempotency lock not released; it expires by itself");
    }
}

/// Runs `work` at most once per (principal, key): the first request runs it and its
/// response is stored; later ones get that response again.
pub async fn run_once<F, Fut>(
    state: &AppState,
    scope: &str,
    key: &str,
    body: &Value,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let hash = request_hash(body);
    if let Some(stored) = load(state, scope, key).await? {
        if let Some(outcome) = settle(stored, &hash) {
            return outcome;
        }
    }

    let lock_key = format!("idem-lock:{scope}:{key}");
    let token = hex::encode(rand::random::<[u8; 16]>());
    let mut redis = state.redis.clone();
    let locked: Option<String> = redis::cmd("SET")
        .arg(&lock_key)
        .arg(&token)
        .arg("NX")
        .arg("PX")
        .arg(u64::try_from(LOCK_TTL.as_millis()).unwrap_or(60_000))
        .query_async(&mut redis)
        .await?;
    if locked.is_none() {
        return Err(ApiError::IdempotencyKeyInProgress);
    }

    let outcome = run_locked(state, scope, key, &hash, work).await;
    release(state, &lock_key, &token).await;
    outcome
}

async fn run_locked<F, Fut>(
    state: &AppState,
    scope: &str,
    key: &str,
    hash: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    // The first request may have finished between our look and our lock.
    if let Some(stored) = load(state, scope, key).await? {
        if let Some(outcome) = settle(stored, hash) {
            return outcome;
        }
    } else {
        let (scope, key, hash) = (scope.to_string(), key.to_string(), hash.to_vec());
        crate::db::run(state, move |conn| {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::principal.eq(scope),
                    idempotency_keys::key.eq(key),
                    idempotency_keys::request_hash.eq(hash),
                    idempotency_keys::created_at.eq(Utc::now()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
        .await?;
    }

    let (status, body) = match work().await {
        Ok(response) => response,
        Err(e) if e.is_stored_for_idempotency() => e.to_status_and_body(),
        // Not stored: the key may be retried (input errors, credentials, outages).
        Err(e) => return Err(e),
    };
    let text = body.to_string();
    let (scope, key, stored_text) = (scope.to_string(), key.to_string(), text.clone());
    let code = i32::from(status.as_u16());
    crate::db::run(state, move |conn| {
        diesel::update(idempotency_keys::table.find((&scope, &key)))
            .set((
                idempotency_keys::response_status.eq(code),
                idempotency_keys::response_body.eq(stored_text),
                idempotency_keys::completed_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_json_values_hash_equally_whatever_the_key_order() {
        let a: Value = serde_json::from_str(
            r#"{"amount": 5, "payee": {"cccd": "1", "x": [1, {"b":1,"a":2}]}}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(
            r#"{"payee": {"x": [1, {"a":2,"b":1}], "cccd": "1"}, "amount": 5}"#,
        )
        .unwrap();
        assert_eq!(request_hash(&a), request_hash(&b));
        assert_ne!(request_hash(&a), request_hash(&json!({"amount": 6})));
        assert_ne!(
            request_hash(&json!({"a": "1"})),
            request_hash(&json!({"a": 1}))
        );
    }
}
