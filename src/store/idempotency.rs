//! Stored first responses for `Idempotency-Key`.

use chrono::{DateTime, Utc};
use entity::idempotency_key::{self, Entity as IdempotencyKey};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

pub use entity::idempotency_key::Model as IdempotencyRow;

pub async fn find(
    db: &impl ConnectionTrait,
    subject: &str,
    key: &str,
) -> Result<Option<IdempotencyRow>, DbErr> {
    IdempotencyKey::find_by_id((subject.to_string(), key.to_string()))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    subject: &str,
    key: &str,
    fingerprint: &str,
    response: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    IdempotencyKey::insert(idempotency_key::ActiveModel {
        subject: Set(subject.to_string()),
        key: Set(key.to_string()),
        fingerprint: Set(fingerprint.to_string()),
        response: Set(response.to_string()),
        created_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
