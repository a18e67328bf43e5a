//! The baseline the benchmark compares persisted actions with: one plain row update and one
//! row insert, written by hand.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

pub async fn update_and_insert(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    n: i64,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let (update, insert) = match backend {
        DbBackend::Postgres => (
            "UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2",
            "INSERT INTO idempotency_keys (subject, key, fingerprint, response, created_at) VALUES ($1, $2, $3, $4, $5)",
        ),
        _ => (
            "UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?",
            "INSERT INTO idempotency_keys (subject, key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?)",
        ),
    };
    let now = chrono::Utc::now();
    db.execute(Statement::from_sql_and_values(
        backend,
        update,
        [Value::from(now), Value::from(case_id)],
    ))
    .await?;
    db.execute(Statement::from_sql_and_values(
        backend,
        insert,
        [
            Value::from("bench"),
            Value::from(format!("plain-{n}")),
            Value::from("0".repeat(64)),
            Value::from("{}"),
            Value::from(now),
        ],
    ))
    .await?;
    Ok(())
}
