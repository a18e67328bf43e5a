//! The one place where errors become status codes and JSON bodies:
//! `{"error": "snake_case_code", "message": "...", "details": {...}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::app::{AppError, Refusal};
use crate::engine::TransitionError;

/// Every code a client can find in `{"error": ...}`, stable and snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    ActionNotAllowed,
    AlreadyExists,
    AlreadySettled,
    Busy,
    ClockNotManual,
    DepositMissing,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientHoldings,
    InternalError,
    InvalidBody,
    InvalidCredentials,
    InvalidIdempotencyKey,
    InvalidPath,
    InvalidQuery,
    MethodNotAllowed,
    NotEligible,
    NotFailed,
    NotFound,
    NotReady,
    NotYet,
    PasswordSignInOff,
    PeriodClosed,
    SameActor,
    SelfDealing,
    SignInRefused,
    TooLarge,
    TooManyAttempts,
    TooManyComments,
    Unauthorized,
    UnknownWorkflow,
    UnsupportedMediaType,
    UnsupportedType,
    ValidationFailed,
    VersionConflict,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        // A 429 says when to come back, in the header clients and proxies read.
        if let Some(s) = self.details["retry_after_seconds"].as_i64() {
            r.insert_header((actix_web::http::header::RETRY_AFTER, s.max(1).to_string()));
        }
        r.json(json!({
            "error": self.code,
            "message": self.message,
            "details": self.details,
        }))
    }
}

/// Every refusal of a use case, once: its status and its code. The web pages ask the same
/// table ([`status_of`]), so a refusal has one status whether it is met on a page or in the API.
fn classify(e: &AppError) -> (StatusCode, ErrorCode) {
    use ErrorCode as C;
    use StatusCode as S;
    match e {
        AppError::NotFound(_) => (S::NOT_FOUND, C::NotFound),
        AppError::UnknownWorkflow(_) => (S::UNPROCESSABLE_ENTITY, C::UnknownWorkflow),
        AppError::Conflict { .. } => (S::CONFLICT, C::VersionConflict),
        AppError::Validation(_) => (S::UNPROCESSABLE_ENTITY, C::ValidationFailed),
        AppError::Forbidden(_) => (S::FORBIDDEN, C::Forbidden),
        AppError::UnsupportedType(_) => (S::UNSUPPORTED_MEDIA_TYPE, C::UnsupportedType),
        AppError::TooLarge(_) => (S::PAYLOAD_TOO_LARGE, C::TooLarge),
        AppError::Insufficient(_) => (S::CONFLICT, C::InsufficientHoldings),
        AppError::NotFailed(_) => (S::CONFLICT, C::NotFailed),
        AppError::Refused(refusal, _) => (
            S::FORBIDDEN,
            match refusal {
                Refusal::NotEligible => C::NotEligible,
                Refusal::SelfDealing => C::SelfDealing,
                Refusal::DepositMissing => C::DepositMissing,
                Refusal::SignInRefused => C::SignInRefused,
            },
        ),
        AppError::AlreadySettled(_) => (S::CONFLICT, C::AlreadySettled),
        AppError::AlreadyExists(_) => (S::CONFLICT, C::AlreadyExists),
        AppError::InvalidCredentials => (S::UNAUTHORIZED, C::InvalidCredentials),
        AppError::TooManyAttempts { .. } => (S::TOO_MANY_REQUESTS, C::TooManyAttempts),
        AppError::PeriodClosed(_) => (S::UNPROCESSABLE_ENTITY, C::PeriodClosed),
        AppError::TooManyComments { .. } => (S::TOO_MANY_REQUESTS, C::TooManyComments),
        AppError::Busy(_) => (S::TOO_MANY_REQUESTS, C::Busy),
        AppError::ClockNotManual(_) => (S::CONFLICT, C::ClockNotManual),
        AppError::IdempotencyKeyReused => (S::UNPROCESSABLE_ENTITY, C::IdempotencyKeyReused),
        AppError::Transition(t) => match t {
            TransitionError::NotAllowed { .. } => (S::UNPROCESSABLE_ENTITY, C::ActionNotAllowed),
            TransitionError::Forbidden { .. } => (S::FORBIDDEN, C::Forbidden),
            TransitionError::SameActor { .. } => (S::FORBIDDEN, C::SameActor),
            TransitionError::InvalidPayload(_) => (S::UNPROCESSABLE_ENTITY, C::ValidationFailed),
            TransitionError::NotYet { .. } => (S::UNPROCESSABLE_ENTITY, C::NotYet),
            TransitionError::UnknownState { .. } => (S::INTERNAL_SERVER_ERROR, C::InternalError),
        },
        AppError::Unexpected(_) => (S::INTERNAL_SERVER_ERROR, C::InternalError),
    }
}

/// The status a refusal or failure of a use case is answered with, in the API and on a page.
pub fn status_of(e: &AppError) -> StatusCode {
    classify(e).0
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let (status, code) = classify(&e);
        if status.is_server_error() {
            return internal(match e {
                AppError::Unexpected(cause) => cause,
                other => anyhow::anyhow!(other.to_string()),
            });
        }
        let message = e.to_string();
        let details = match e {
            AppError::UnknownWorkflow(key) => json!({"workflow": key}),
            AppError::Conflict { expected, actual } => {
                json!({"expected_version": expected, "actual_version": actual})
            }
            AppError::Validation(fields) => json!({"fields": fields}),
            AppError::UnsupportedType(t) => {
                json!({"content_type": t, "allowed": crate::app::documents::ALLOWED_TYPES})
            }
            AppError::TooLarge(max) => json!({"max_bytes": max}),
            AppError::TooManyAttempts {
                retry_after_seconds: s,
            }
            | AppError::TooManyComments {
                retry_after_seconds: s,
            }
            | AppError::Busy(s) => json!({"retry_after_seconds": s}),
            AppError::Transition(t) => match t {
                TransitionError::NotAllowed { state, action } => {
                    json!({"state": state, "action": action})
                }
                TransitionError::Forbidden { action, allowed } => {
                    json!({"action": action, "allowed_roles": allowed})
                }
                TransitionError::SameActor {
                    action,
                    earlier_action,
                } => json!({"action": action, "earlier_action": earlier_action}),
                TransitionError::InvalidPayload(fields) => json!({"fields": fields}),
                TransitionError::NotYet { action, reason } => {
                    json!({"action": action, "reason": reason})
                }
                TransitionError::UnknownState { .. } => json!({}),
            },
            _ => json!({}),
        };
        ApiError::new(status, code, message).with_details(details)
    }
}

/// A 5xx says nothing internal; the cause chain goes to the log.
fn internal(cause: anyhow::Error) -> ApiError {
    tracing::error!(error = ?cause, "request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InternalError,
        "something went wrong on our side; the request may be retried",
    )
}
