//! Schema migrations, shared by SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_deadlines;
mod m20261128_000003_directory;
mod m20261128_000004_outbox;
mod m20261128_000005_eia;
mod m20261128_000006_audit_documents;
mod m20261128_000007_registry;
mod m20261128_000008_market;
mod m20261128_000009_reform;
mod m20261201_000010_web;
mod m20261201_000011_login_throttle;
mod m20261201_000012_notices;
mod m20261201_000013_publications;
mod m20261206_000014_trust;
mod m20261206_000015_transparency_log;
mod m20261206_000016_provider_sign_in;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_deadlines::Migration),
            Box::new(m20261128_000003_directory::Migration),
            Box::new(m20261128_000004_outbox::Migration),
            Box::new(m20261128_000005_eia::Migration),
            Box::new(m20261128_000006_audit_documents::Migration),
            Box::new(m20261128_000007_registry::Migration),
            Box::new(m20261128_000008_market::Migration),
            Box::new(m20261128_000009_reform::Migration),
            Box::new(m20261201_000010_web::Migration),
            Box::new(m20261201_000011_login_throttle::Migration),
            Box::new(m20261201_000012_notices::Migration),
            Box::new(m20261201_000013_publications::Migration),
            Box::new(m20261206_000014_trust::Migration),
            Box::new(m20261206_000015_transparency_log::Migration),
            Box::new(m20261206_000016_provider_sign_in::Migration),
        ]
    }
}
