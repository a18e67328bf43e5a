//! The one place where errors become status codes and JSON bodies:
//! `{"error": "snake_case_code", "message": "...", "details": {...}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::app::AppError;
use crate::engine::TransitionError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
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
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
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

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let message = e.to_string();
        match e {
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            AppError::UnknownWorkflow(key) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_workflow",
                message,
            )
            .with_details(json!({"workflow": key})),
            AppError::Conflict { expected, actual } => {
                ApiError::new(StatusCode::CONFLICT, "version_conflict", message)
                    .with_details(json!({"expected_version": expected, "actual_version": actual}))
            }
            AppError::Validation(fields) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
            .with_details(json!({"fields": fields})),
            AppError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            AppError::UnsupportedType(t) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                message,
            )
            .with_details(
                json!({"content_type": t, "allowed": crate::app::documents::ALLOWED_TYPES}),
            ),
            AppError::TooLarge(max) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
                    .with_details(json!({"max_bytes": max}))
            }
            AppError::Insufficient(_) => {
                ApiError::new(StatusCode::CONFLICT, "insufficient_holdings", message)
            }
            AppError::NotFailed(_) => ApiError::new(StatusCode::CONFLICT, "not_failed", message),
            AppError::Refused(code, _) => ApiError::new(StatusCode::FORBIDDEN, code, message),
            AppError::AlreadySettled(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_settled", message)
            }
            AppError::AlreadyExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_exists", message)
            }
            AppError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            AppError::TooManyAttempts {
                retry_after_seconds,
            } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
                .with_details(json!({"retry_after_seconds": retry_after_seconds})),
            AppError::PeriodClosed(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "period_closed", message)
            }
            AppError::TooManyComments {
                retry_after_seconds,
            } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_comments", message)
                .with_details(json!({"retry_after_seconds": retry_after_seconds})),
            AppError::Busy(seconds) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "busy", message)
                    .with_details(json!({"retry_after_seconds": seconds}))
            }
            AppError::ClockNotManual(_) => {
                ApiError::new(StatusCode::CONFLICT, "clock_not_manual", message)
            }
            AppError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                message,
            ),
            AppError::Transition(t) => match t {
                TransitionError::NotAllowed { state, action } => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "action_not_allowed",
                    message,
                )
                .with_details(json!({"state": state, "action": action})),
                TransitionError::Forbidden { action, allowed } => {
                    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
                        .with_details(json!({"action": action, "allowed_roles": allowed}))
                }
                TransitionError::SameActor {
                    action,
                    earlier_action,
                } => ApiError::new(StatusCode::FORBIDDEN, "same_actor", message)
                    .with_details(json!({"action": action, "earlier_action": earlier_action})),
                TransitionError::InvalidPayload(fields) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    message,
                )
                .with_details(json!({"fields": fields})),
                TransitionError::NotYet { action, reason } => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_yet", message)
                        .with_details(json!({"action": action, "reason": reason}))
                }
                TransitionError::UnknownState { .. } => internal(anyhow::anyhow!(message)),
            },
            AppError::Unexpected(cause) => internal(cause),
        }
    }
}

/// A 5xx says nothing internal; the cause chain goes to the log.
fn internal(cause: anyhow::Error) -> ApiError {
    tracing::error!(error = ?cause, "request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "something went wrong on our side; the request may be retried",
    )
}
