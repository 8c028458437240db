//! The gateway's errors and the one place they become HTTP responses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Every way a request can fail, each with one status and one stable code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    InvalidRequest { message: String, details: Value },
    #[error("the id {id:?} is not a valid {kind} id")]
    InvalidId { kind: &'static str, id: String },
    #[error("missing or invalid credentials")]
    Unauthenticated,
    #[error("these credentials may not do this")]
    Forbidden,
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("no route for this path")]
    RouteNotFound,
    #[error("this path does not accept this method")]
    MethodNotAllowed,
    #[error("{0} is unavailable, try again later")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(String),
}

/// The error body of every failed request.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorObject {
    /// Stable, machine-readable snake_case code.
    #[schema(example = "invalid_request")]
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>, details: Value) -> Self {
        Self::InvalidRequest {
            message: message.into(),
            details,
        }
    }

    /// The whole mapping from error to status and code, on one screen.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::InvalidId { .. } => (StatusCode::BAD_REQUEST, "invalid_id"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(kind) => (StatusCode::NOT_FOUND, not_found_code(kind)),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::InvalidRequest { details, .. } => details.clone(),
            Self::InvalidId { kind, .. } => json!({ "kind": kind }),
            Self::Unavailable(dependency) => json!({ "dependency": dependency }),
            Self::NotFound(_)
            | Self::Unauthenticated
            | Self::Forbidden
            | Self::RouteNotFound
            | Self::MethodNotAllowed
            | Self::Internal(_) => json!({}),
        }
    }
}

fn not_found_code(kind: &str) -> &'static str {
    match kind {
        "account" => "account_not_found",
        _ => "not_found",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let message = match self {
            // The cause stays in the logs; the client gets no internals.
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                self.to_string()
            }
            _ => self.to_string(),
        };
        HttpResponse::build(status).json(ErrorBody {
            error: ErrorObject {
                code: code.to_string(),
                message,
                details: self.details(),
            },
        })
    }
}

impl From<ledger::LedgerError> for ApiError {
    fn from(e: ledger::LedgerError) -> Self {
        use ledger::LedgerError as L;
        match e {
            L::Pool(_) | L::Unavailable(_) | L::WriterStopped => Self::Unavailable("database"),
            L::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            )) => Self::Unavailable("database"),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Turns actix's extractor failures (malformed JSON, wrong types, bad query strings)
/// into the documented 400 body instead of actix's plain-text default.
pub fn extractor_error(kind: &'static str, cause: impl std::fmt::Display) -> actix_web::Error {
    ApiError::invalid(
        format!("the request {kind} is not valid: {cause}"),
        json!({ "part": kind }),
    )
    .into()
}
