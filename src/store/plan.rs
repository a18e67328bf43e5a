//! Writing the plans of decided transitions: each kind of row in one statement, whatever the
//! number of transitions (the case updates go first, through `cases::advance` or
//! `cases::advance_many`, so that a transaction takes its locks, and checks versions, at once).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::audit::AuditRow;
use super::clocks::ClockWrites;

/// The rows of one or more plans besides the case updates.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub audits: Vec<AuditRow>,
    /// Siting checks: case, the check as JSON, when.
    pub sitings: Vec<(Uuid, String, DateTime<Utc>)>,
    pub clocks: ClockWrites,
    pub notices: Vec<super::notices::NoticeRow>,
    pub publications: Vec<super::publications::PublicationRow>,
}

/// Writes `rows`: the audit entries in one statement, each siting check, the clock writes in at
/// most five, the notices in one, the publications in one.
pub async fn write(db: &impl ConnectionTrait, rows: Rows) -> Result<(), DbErr> {
    super::bulk::audit(db, rows.audits).await?;
    for (case_id, result, at) in &rows.sitings {
        super::reform::save_siting(db, *case_id, result, *at).await?;
    }
    super::clocks::write(db, rows.clocks).await?;
    super::notices::insert_many(db, rows.notices).await?;
    super::publications::insert_many(db, rows.publications).await
}
