//! Use cases: one async function each. This layer loads, asks the pure engine, and writes the
//! new state together with its audit entry **in one transaction**. It is the only layer that
//! opens transactions.

pub mod audit;
pub mod bench;
pub mod cases;
pub mod workflows;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::FieldErrors;
use crate::engine::TransitionError;
pub use workflows::Registry;

/// Where the current time comes from. Tests and the manual clock substitute their own.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Everything a use case needs. Cheap to clone; stateless apart from the database.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub workflows: Arc<Registry>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("unknown workflow `{0}`")]
    UnknownWorkflow(String),
    #[error("the case is at version {actual}, not {expected}")]
    Conflict { expected: i64, actual: i64 },
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Unexpected(e.into())
    }
}
