//! Persistence with sea-orm. The only module that touches `entity::*`.
//!
//! Functions take any [`ConnectionTrait`], so the app layer decides whether they run inside
//! its transaction. Nothing here begins or commits a transaction.

pub mod admin;
pub mod audit;
pub mod cases;
pub mod idempotency;
pub mod plain;
pub mod workflows;

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, SqlxSqliteConnector,
};

pub use sea_orm::DatabaseConnection as Db;

/// Opens the database named by `url` (sqlite: or postgres:) and applies pending migrations.
///
/// SQLite runs in WAL mode with `synchronous = FULL` (a commit survives a power cut) and a
/// busy timeout, so that concurrent writers queue instead of failing.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
    } else {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(16)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(options).await?
    };
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Answers when the database does.
pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    db.ping().await
}

pub fn backend(db: &impl ConnectionTrait) -> DbBackend {
    db.get_database_backend()
}

/// True when the error is a unique-constraint violation (someone else wrote the same key first).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
