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
    #[error("amount must be a whole number of dong from 1 to 10^15")]
    InvalidAmount,
    #[error("not a valid CCCD personal identification number: {0}")]
    InvalidCccd(&'static str),
    #[error("not a valid tax code: 10 digits, a 12-digit personal identification number, or NNNNNNNNNN-NNN")]
    InvalidTaxCode(&'static str),
    #[error("the webhook URL is not acceptable: {0}")]
    InvalidWebhookUrl(&'static str),
    #[error("not a VietQR payload this gateway can pay: {0}")]
    InvalidQr(&'static str),
    #[error("the Idempotency-Key header is required on this request")]
    IdempotencyKeyRequired,
    #[error("the Idempotency-Key header must be 1 to 255 printable ASCII characters")]
    IdempotencyKeyInvalid,
    #[error("missing or invalid credentials")]
    Unauthenticated,
    #[error("the request signature, timestamp or nonce is not valid")]
    InvalidSignature,
    #[error("the VNeID assertion is invalid, expired or already used")]
    InvalidAssertion,
    #[error("these credentials may not do this")]
    Forbidden,
    #[error("moving money needs a level 2 VNeID account")]
    VneidLevelInsufficient,
    #[error("the step-up assertion does not confirm this payment: {0}")]
    StepUpFailed(&'static str),
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("no citizen with that CCCD number or phone")]
    PayeeNotFound,
    #[error("several citizens share this phone number: pay by CCCD number instead")]
    PayeePhoneAmbiguous,
    #[error("the bank has no such account")]
    BankAccountNotFound,
    #[error("no route for this path")]
    RouteNotFound,
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyKeyInProgress,
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: &'static str,
    },
    #[error("the wallet's available balance is too low")]
    InsufficientFunds { payment_id: Option<String> },
    #[error("this movement would take the month's wallet outflows above the cap")]
    MonthlyLimitExceeded {
        cap: crate::rules::CapClass,
        limit: i64,
        used: i64,
    },
    #[error("the bank account is not held by this citizen")]
    BankAccountHolderMismatch,
    #[error("{message}")]
    BusinessRule {
        code: &'static str,
        message: &'static str,
    },
    #[error("{message}")]
    InvalidInput {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("the biller has no bill for this customer code")]
    BillNotFound,
    #[error("this bill has already been paid")]
    BillAlreadyPaid { payment_id: Option<String> },
    #[error("this path does not accept this method")]
    MethodNotAllowed,
    #[error("too many requests: retry after {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("{0} is unavailable, try again later")]
    Unavailable(&'static str),
    /// A flow this gateway cannot serve while citizens live on home shards: it is not
    /// routed yet (`ROUTE_CITIZENS`).
    #[error("{0} are not routed to citizens' home shards yet")]
    NotRouted(&'static str),
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

    /// Whether an idempotent request's response may be stored: those of requests that
    /// passed authentication and input validation, business-rule failures included;
    /// never input errors, bad credentials or an unavailable dependency, so the key can
    /// be retried.
    pub fn is_stored_for_idempotency(&self) -> bool {
        let status = self.status_and_code().0.as_u16();
        !matches!(status, 400 | 401 | 429 | 500..=599)
    }

    /// The whole mapping from error to status and code, on one screen.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::InvalidId { .. } => (StatusCode::BAD_REQUEST, "invalid_id"),
            Self::InvalidAmount => (StatusCode::BAD_REQUEST, "invalid_amount"),
            Self::InvalidCccd(_) => (StatusCode::BAD_REQUEST, "invalid_cccd"),
            Self::InvalidTaxCode(_) => (StatusCode::BAD_REQUEST, "invalid_tax_code"),
            Self::InvalidWebhookUrl(_) => (StatusCode::BAD_REQUEST, "invalid_webhook_url"),
            Self::InvalidQr(_) => (StatusCode::BAD_REQUEST, "invalid_qr"),
            Self::IdempotencyKeyRequired => (StatusCode::BAD_REQUEST, "idempotency_key_required"),
            Self::IdempotencyKeyInvalid => (StatusCode::BAD_REQUEST, "idempotency_key_invalid"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidSignature => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            Self::InvalidAssertion => (StatusCode::UNAUTHORIZED, "invalid_assertion"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::VneidLevelInsufficient => (StatusCode::FORBIDDEN, "vneid_level_insufficient"),
            Self::StepUpFailed(_) => (StatusCode::FORBIDDEN, "step_up_failed"),
            Self::NotFound(kind) => (StatusCode::NOT_FOUND, not_found_code(kind)),
            Self::PayeeNotFound => (StatusCode::NOT_FOUND, "payee_not_found"),
            Self::PayeePhoneAmbiguous => {
                (StatusCode::UNPROCESSABLE_ENTITY, "payee_phone_ambiguous")
            }
            Self::BankAccountNotFound => (StatusCode::NOT_FOUND, "bank_account_not_found"),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found"),
            Self::IdempotencyKeyInProgress => (StatusCode::CONFLICT, "idempotency_key_in_progress"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            Self::InsufficientFunds { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds")
            }
            Self::MonthlyLimitExceeded { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "monthly_limit_exceeded")
            }
            Self::BankAccountHolderMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "bank_account_holder_mismatch",
            ),
            Self::BusinessRule { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Self::InvalidInput { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::BillNotFound => (StatusCode::NOT_FOUND, "bill_not_found"),
            Self::BillAlreadyPaid { .. } => (StatusCode::CONFLICT, "bill_already_paid"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
            Self::NotRouted(_) => (StatusCode::NOT_IMPLEMENTED, "not_routed"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    /// The status and JSON body of this error, as sent (and as stored for replay).
    pub fn to_status_and_body(&self) -> (StatusCode, Value) {
        let (status, code) = self.status_and_code();
        let message = match self {
            // The cause stays in the logs; the client gets no internals.
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                self.to_string()
            }
            _ => self.to_string(),
        };
        let body = ErrorBody {
            error: ErrorObject {
                code: code.to_string(),
                message,
                details: self.details(),
            },
        };
        (status, serde_json::to_value(body).unwrap_or(Value::Null))
    }

    fn details(&self) -> Value {
        match self {
            Self::InvalidRequest { details, .. } | Self::InvalidInput { details, .. } => {
                details.clone()
            }
            Self::BillAlreadyPaid { payment_id } => json!({ "payment_id": payment_id }),
            Self::InvalidId { kind, .. } => json!({ "kind": kind }),
            Self::Unavailable(dependency) => json!({ "dependency": dependency }),
            Self::NotRouted(flow) => json!({ "flow": flow }),
            Self::RateLimited {
                retry_after_seconds,
            } => json!({ "retry_after_seconds": retry_after_seconds }),
            Self::InvalidCccd(reason)
            | Self::InvalidTaxCode(reason)
            | Self::InvalidWebhookUrl(reason)
            | Self::InvalidQr(reason) => json!({ "reason": reason }),
            Self::StepUpFailed(reason) => json!({ "reason": reason }),
            Self::InsufficientFunds { payment_id } => json!({ "payment_id": payment_id }),
            Self::MonthlyLimitExceeded { cap, limit, used } => {
                json!({ "cap": cap.as_str(), "limit": limit, "used": used })
            }
            Self::NotFound(_)
            | Self::InvalidAmount
            | Self::IdempotencyKeyRequired
            | Self::IdempotencyKeyInvalid
            | Self::Unauthenticated
            | Self::InvalidSignature
            | Self::InvalidAssertion
            | Self::Forbidden
            | Self::VneidLevelInsufficient
            | Self::PayeeNotFound
            | Self::PayeePhoneAmbiguous
            | Self::BillNotFound
            | Self::BankAccountNotFound
            | Self::RouteNotFound
            | Self::IdempotencyKeyReused
            | Self::IdempotencyKeyInProgress
            | Self::Conflict { .. }
            | Self::BankAccountHolderMismatch
            | Self::BusinessRule { .. }
            | Self::MethodNotAllowed
            | Self::Internal(_) => json!({}),
        }
    }
}

fn not_found_code(kind: &str) -> &'static str {
    match kind {
        "account" => "account_not_found",
        "payment" => "payment_not_found",
        "bank link" => "bank_link_not_found",
        "bill" => "bill_not_found",
        "quote" => "quote_not_found",
        "payment request" => "payment_request_not_found",
        "refund" => "refund_not_found",
        "reconciliation run" => "reconciliation_run_not_found",
        "discrepancy" => "discrepancy_not_found",
        "statement" => "statement_not_found",
        "tax code" => "tax_code_not_found",
        "shard map" => "shards_not_configured",
        _ => "not_found",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, body) = self.to_status_and_body();
        let mut response = HttpResponse::build(status);
        if let Self::RateLimited {
            retry_after_seconds,
        } = self
        {
            response.insert_header(("Retry-After", retry_after_seconds.to_string()));
        }
        response.json(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    /// A database that is down, restarting, or gave up on a conflict is a dependency
    /// that is unavailable (503, retry); anything else is ours (500).
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match &e {
            E::DatabaseError(
                K::ClosedConnection | K::UnableToSendCommand | K::SerializationFailure,
                _,
            ) => Self::Unavailable("database"),
            E::DatabaseError(_, info) if is_outage(info.message()) => Self::Unavailable("database"),
            _ => Self::Internal(format!("database: {e}")),
        }
    }
}

/// Messages PostgreSQL gives while it shuts down, starts, or loses a connection, and
/// for conflicts that a retry resolves.
fn is_outage(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "terminating connection",
        "the database system is",
        "server closed the connection",
        "connection to server",
        "could not connect",
        "deadlock detected",
        "could not serialize",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable("database")
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(_: redis::RedisError) -> Self {
        Self::Unavailable("redis")
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(e.to_string())
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
