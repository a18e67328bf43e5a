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

/// Writes `rows` in one round trip (`store::batch`): the audit entries in one statement, each
/// siting check, the clock writes in at most five, the notices in one, the publications in one.
/// Each statement touches other rows than the others (new rows, or rows that existed before).
pub async fn write(db: &impl ConnectionTrait, rows: Rows) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // A segment opened and closed by the same rows would need the insert to come first: such
    // rows go one statement after another.
    let opened: std::collections::HashSet<Uuid> = rows.clocks.open.iter().map(|o| o.id).collect();
    let apart = rows.clocks.close.iter().any(|(id, _)| opened.contains(id));
    let mut statements = Vec::new();
    statements.extend(super::bulk::audit_statement(backend, rows.audits));
    for (case_id, result, at) in &rows.sitings {
        statements.push(super::reform::siting_statement(
            backend, *case_id, result, *at,
        ));
    }
    statements.extend(super::clocks::write_statements(backend, rows.clocks));
    statements.extend(super::notices::insert_statement(backend, rows.notices));
    statements.extend(super::publications::insert_statement(
        backend,
        rows.publications,
    ));
    if apart {
        for s in statements {
            db.execute(s).await?;
        }
        return Ok(());
    }
    super::batch::run(db, statements).await
}
