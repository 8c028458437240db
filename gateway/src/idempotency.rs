//! Idempotency keys as the API fixes them: scoped to the principal, bound to the
//! request's fingerprint (method, path and body), and stored with the final response
//! in the same transaction as what the request did (see `commit`). A replay answers
//! the stored status and body with `Idempotent-Replayed: true`; the same key with
//! another request is refused, and so is a key whose first request is still running.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::commit::{Answer, KeyClaim};
use crate::error::ApiError;
use crate::rules::valid_idempotency_key;

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

/// The hash records made before fingerprints covered the method and path compare:
/// the body as a JSON value.
pub fn request_hash(body: &Value) -> Vec<u8> {
    let mut text = String::new();
    canonical(body, &mut text);
    Sha256::digest(text.as_bytes()).to_vec()
}

/// What a key is bound to: the method, the path with its parameters (the same key on
/// another endpoint or another resource is another request), and the body as a JSON
/// value (equal values hash equally whatever their key order).
pub fn fingerprint(method: &str, path: &str, body: &Value) -> Vec<u8> {
    let mut text = String::new();
    canonical(body, &mut text);
    let mut hasher = Sha256::new();
    for part in [method, path, &text] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_vec()
}

/// The request's key, scoped to `scope` (the principal) and bound to the request.
pub fn claim(req: &HttpRequest, scope: String, body: &Value) -> Result<KeyClaim, ApiError> {
    Ok(KeyClaim {
        scope,
        key: key_from(req)?,
        fingerprint: fingerprint(req.method().as_str(), req.path(), body),
        legacy_fingerprint: request_hash(body),
    })
}

/// Whether this exact request was made before under its key (it may be replayed or
/// resumed without spending anything it carries a second time).
pub async fn is_known(state: &crate::state::AppState, claim: &KeyClaim) -> Result<bool, ApiError> {
    use crate::schema::idempotency_keys as keys;
    use diesel::prelude::*;
    let (scope, key) = (claim.scope.clone(), claim.key.clone());
    let stored: Option<Vec<u8>> = crate::db::run(state, move |conn| {
        Ok(keys::table
            .find((scope, key))
            .select(keys::request_hash)
            .first(conn)
            .optional()?)
    })
    .await?;
    Ok(stored.is_some_and(|hash| hash == claim.fingerprint))
}

/// The HTTP response of a final answer: its stored status and body, marked when
/// replayed.
pub fn respond(answer: Answer) -> HttpResponse {
    let mut response = HttpResponse::build(answer.status);
    if answer.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.content_type("application/json").body(answer.body)
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

    #[test]
    fn a_fingerprint_binds_the_key_to_the_method_and_the_resource() {
        let body = json!({});
        let void_a = fingerprint("POST", "/v1/merchant/payment-requests/req_a/void", &body);
        assert_eq!(
            void_a,
            fingerprint(
                "POST",
                "/v1/merchant/payment-requests/req_a/void",
                &json!({})
            )
        );
        assert_ne!(
            void_a,
            fingerprint("POST", "/v1/merchant/payment-requests/req_b/capture", &body)
        );
        assert_ne!(
            void_a,
            fingerprint("POST", "/v1/merchant/payment-requests/req_b/void", &body)
        );
        assert_ne!(
            void_a,
            fingerprint("PUT", "/v1/merchant/payment-requests/req_a/void", &body)
        );
    }
}
