//! Creating and dropping whole PostgreSQL databases: for tests and benchmarks that each want a
//! fresh one, never for the running service.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

/// The server tests and benchmarks use: `TEST_DATABASE_URL`, else the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Whether a PostgreSQL server answers at the admin URL.
pub async fn postgres_reachable(admin_url: &str) -> bool {
    let connect = async {
        let db = Database::connect(admin_url).await.ok()?;
        db.execute(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
            .await
            .ok()?;
        db.close().await.ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(3), connect).await,
        Ok(Some(()))
    )
}

/// Replaces the database name in a postgres URL.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        anyhow::bail!("database name `{name}` must be lower-case letters, digits and underscores");
    }
    Ok(())
}

pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    check_name(name)?;
    let admin = Database::connect(admin_url).await?;
    admin
        .execute(Statement::from_string(
            DbBackend::Postgres,
            format!("CREATE DATABASE \"{name}\""),
        ))
        .await?;
    admin.close().await?;
    Ok(with_database(admin_url, name))
}

pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    check_name(name)?;
    let admin = Database::connect(admin_url).await?;
    admin
        .execute(Statement::from_string(
            DbBackend::Postgres,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ))
        .await?;
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/x?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
