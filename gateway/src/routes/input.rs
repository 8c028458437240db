//! Reading JSON request bodies field by field, so each bad field gets its own
//! documented error (an amount that is a string is `invalid_amount`, not a generic
//! parse error).

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::rules::parse_amount;

/// The body as a JSON object; anything else is a 400.
pub fn object(body: &[u8]) -> Result<(Value, Map<String, Value>), ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(
            format!("the request body is not valid JSON: {e}"),
            json!({ "part": "body" }),
        )
    })?;
    match &value {
        Value::Object(map) => {
            let map = map.clone();
            Ok((value, map))
        }
        _ => Err(ApiError::invalid(
            "the request body must be a JSON object",
            json!({ "part": "body" }),
        )),
    }
}

fn wrong(field: &str, expected: &str) -> ApiError {
    ApiError::invalid(
        format!("{field} must be {expected}"),
        json!({ "param": field }),
    )
}

/// A required string field, non-empty, at most `max` characters.
pub fn string(map: &Map<String, Value>, field: &str, max: usize) -> Result<String, ApiError> {
    optional_string(map, field, max)?.ok_or_else(|| wrong(field, "a non-empty string"))
}

/// An optional string field; present but empty, too long or not a string is a 400.
pub fn optional_string(
    map: &Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(wrong(
            field,
            &format!("a non-empty string of at most {max} characters"),
        )),
    }
}

/// A required object field.
pub fn nested<'a>(
    map: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    map.get(field)
        .and_then(Value::as_object)
        .ok_or_else(|| wrong(field, "an object"))
}

/// The `amount` field: whole dong, 1 to 10^15.
pub fn amount(map: &Map<String, Value>) -> Result<i64, ApiError> {
    map.get("amount")
        .and_then(parse_amount)
        .ok_or(ApiError::InvalidAmount)
}
