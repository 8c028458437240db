//! Answers shared by every simulator: the `{"error": {"code", "message"}}` body and a
//! JSON extractor configuration that answers malformed bodies in that shape.

use crate::bank::wire::ErrorBody;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// Largest request body a simulator accepts; control and wire bodies are tiny.
const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// An error answer with a stable snake_case `code`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody::new(code, message))
}

/// JSON extraction that answers 400 `invalid_request` (not actix's plain-text default)
/// so clients can always parse the error.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT_BYTES)
        .error_handler(|err, _req| {
            let response = error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("the body is not the expected JSON: {err}"),
            );
            InternalError::from_response(err, response).into()
        })
}
