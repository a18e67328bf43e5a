//! What the benchmarks share: a fresh database to measure on.

use std::future::Future;

use greenlane::store::admin;
use uuid::Uuid;

/// Runs `work` on a fresh PostgreSQL database, dropped afterwards, when PostgreSQL answers; else
/// on a SQLite file in a temporary folder. `work` gets the database's URL and its kind
/// (`postgres` or `sqlite`).
pub async fn on_fresh_database<T, F, Fut>(work: F) -> anyhow::Result<T>
where
    F: FnOnce(String, &'static str) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let admin_url = admin::postgres_admin_url();
    if admin::postgres_reachable(&admin_url).await {
        let name = format!("greenlane_bench_{}", Uuid::now_v7().simple());
        let url = admin::create_database(&admin_url, &name).await?;
        let result = work(url, "postgres").await;
        admin::drop_database(&admin_url, &name).await?;
        result
    } else {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        work(url, "sqlite").await
    }
}
