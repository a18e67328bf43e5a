//! Persistence with sea-orm. The only module that touches `entity::*`.
//!
//! Functions take any [`ConnectionTrait`], so the app layer decides whether they run inside
//! its transaction. Nothing here begins or commits a transaction.

pub mod admin;
pub mod audit;
pub mod batch;
pub mod bulk;
pub mod calendars;
pub mod cases;
pub mod clocks;
pub mod context;
pub mod counters;
pub mod directory;
pub mod documents;
pub mod idempotency;
pub mod market;
pub mod notices;
pub mod outbox;
pub mod plain;
pub mod plan;
pub mod publications;
pub mod reform;
pub mod registry;
pub mod tlog;
pub mod web;
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
        if let Some(dir) = crate::settings::sqlite_path(url)
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(&dir)?;
            }
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // 1 MiB of page cache per connection (SQLite's default is 2 MiB): eight connections
            // would otherwise hold 16 MiB of a server meant to stay under 100 MB.
            .pragma("cache_size", "-1024");
        // No ping before each checkout: a broken connection shows itself on first use, and the
        // ping doubled the round trips of every short query.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
    } else {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(16)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
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

/// Refreshes the planner's statistics of every table (`ANALYZE`), as the database's own
/// maintenance does after a table has grown: after a bulk load the planner otherwise takes a
/// lookup of a few hundred cases by id for most of the table, and scans it.
pub async fn analyze(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
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

/// Makes a transaction take SQLite's write lock at once (a no-op on PostgreSQL), so that a
/// transaction that reads before it writes queues behind other writers instead of failing when
/// its snapshot turns stale.
pub async fn lock_for_write(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE calendar_years SET year = year WHERE year IS NULL",
        ))
        .await?;
    }
    Ok(())
}

/// Runs `UPDATE ... WHERE id IN (select)`, where `select` picks the rows to claim. On PostgreSQL
/// the select takes `FOR UPDATE SKIP LOCKED`, so that several instances claim disjoint rows;
/// SQLite has a single writer and needs no lock clause.
pub async fn claim_rows(
    db: &impl ConnectionTrait,
    mut update: sea_orm::sea_query::UpdateStatement,
    id: impl sea_orm::sea_query::IntoColumnRef,
    mut select: sea_orm::sea_query::SelectStatement,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::sea_query::{
        Expr, LockBehavior, LockType, PostgresQueryBuilder, SqliteQueryBuilder,
    };
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    update.and_where(Expr::col(id).in_subquery(select));
    let (sql, values) = match backend {
        DbBackend::Postgres => update.build(PostgresQueryBuilder),
        _ => update.build(SqliteQueryBuilder),
    };
    db.execute(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await?;
    Ok(())
}

/// The database's own clock: shared by every instance, whatever their clocks say (leases are
/// taken and judged on it).
pub async fn db_now(
    db: &impl ConnectionTrait,
) -> Result<chrono::DateTime<chrono::Utc>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS t"
        }
        _ => "SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER) AS t",
    };
    let row = db
        .query_one(sea_orm::Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("the database did not tell its time".into()))?;
    let micros: i64 = row.try_get("", "t")?;
    chrono::DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        sea_orm::DbErr::Custom(format!("the database's time {micros} is out of range"))
    })
}

/// The `i`-th (from 1) parameter of a hand-written statement: `$i` on PostgreSQL, `?i` on
/// SQLite (either may name a parameter more than once).
pub fn placeholder(backend: sea_orm::DbBackend, i: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    }
}
