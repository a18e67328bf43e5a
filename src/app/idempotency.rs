//! `Idempotency-Key`: every use case that changes something acts once per key. The first
//! response is recorded under (caller, key) **in the transaction of the change**, so it exists
//! exactly when the change does. A retry with the key gets that response; a concurrent one loses
//! the race on the record's primary key (or on the change itself: a version, a unique name), rolls
//! back, and gets the winner's response too. The same key with another request is refused.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{App, AppError};
use crate::engine::Actor;
use crate::store;

/// A client's idempotency key and a fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

/// The stored first response for this key, if the same caller already made this request.
pub async fn replay<T: DeserializeOwned>(
    app: &App,
    actor: &Actor,
    idem: Option<&Idempotency>,
) -> Result<Option<T>, AppError> {
    let Some(idem) = idem else { return Ok(None) };
    let Some(row) = store::idempotency::find(&app.db, &actor.subject, &idem.key).await? else {
        return Ok(None);
    };
    if row.fingerprint != idem.fingerprint {
        return Err(AppError::IdempotencyKeyReused);
    }
    let response = serde_json::from_str(&row.response)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored idempotent response: {e}")))?;
    Ok(Some(response))
}

/// Records `response` under the key (if any) and commits; if another request with the same key
/// committed first, rolls back and answers with its response instead.
pub async fn finish<T: Serialize + DeserializeOwned>(
    app: &App,
    tx: sea_orm::DatabaseTransaction,
    actor: &Actor,
    idem: Option<&Idempotency>,
    response: T,
    now: DateTime<Utc>,
) -> Result<T, AppError> {
    if let Some(idem) = idem {
        let body = serde_json::to_string(&response).map_err(|e| AppError::Unexpected(e.into()))?;
        let recorded = store::idempotency::insert(
            &tx,
            &actor.subject,
            &idem.key,
            &idem.fingerprint,
            &body,
            now,
        )
        .await;
        match recorded {
            Ok(()) => {}
            Err(e) if store::is_unique_violation(&e) => {
                tx.rollback().await?;
                return replay(app, actor, Some(idem)).await?.ok_or_else(|| {
                    AppError::Unexpected(anyhow::anyhow!("idempotent response vanished"))
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit().await?;
    Ok(response)
}

/// Records `response` under the caller's key in the transaction of the change. `false`: a
/// concurrent request recorded the same key first (the caller rolls back and answers that one's
/// response).
pub async fn record<T: Serialize>(
    tx: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    idem: Option<&Idempotency>,
    response: &T,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some(idem) = idem else { return Ok(true) };
    let body = serde_json::to_string(response).map_err(|e| AppError::Unexpected(e.into()))?;
    match store::idempotency::insert(tx, &actor.subject, &idem.key, &idem.fingerprint, &body, now)
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if store::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Runs a use case once per key: a recorded response is answered at once; a use case that lost
/// a race to a concurrent request with the same key (a version conflict, a name taken) answers
/// that request's response instead of its own refusal.
pub async fn once<T, F>(
    app: &App,
    actor: &Actor,
    idem: Option<&Idempotency>,
    work: F,
) -> Result<T, AppError>
where
    T: DeserializeOwned,
    F: Future<Output = Result<T, AppError>>,
{
    if let Some(done) = replay(app, actor, idem).await? {
        return Ok(done);
    }
    match work.await {
        Err(e) if idem.is_some() && lost_a_race(&e) => replay(app, actor, idem).await?.ok_or(e),
        other => other,
    }
}

/// Refusals a concurrent twin's change can cause.
fn lost_a_race(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict { .. }
            | AppError::AlreadyExists(_)
            | AppError::AlreadySettled(_)
            | AppError::Insufficient(_)
            | AppError::NotFailed(_)
            | AppError::Transition(_)
    )
}
