//! Inserting many rows at once: for seeding benchmarks and imports. Each function writes one
//! multi-row INSERT per call; callers batch.

use entity::{audit_entry, case, case_clock, clock_segment};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, Statement,
};

use super::audit::AuditRow;
use super::cases::CaseRow;
use super::clocks::{ClockRow, SegmentRow};

pub async fn cases(db: &impl ConnectionTrait, rows: Vec<CaseRow>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    case::Entity::insert_many(rows.into_iter().map(|r| case::ActiveModel {
        id: Set(r.id),
        workflow_key: Set(r.workflow_key),
        workflow_version: Set(r.workflow_version),
        state: Set(r.state),
        version: Set(r.version),
        org: Set(r.org),
        data: Set(r.data),
        audit_head: Set(r.audit_head),
        created_by: Set(r.created_by),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
        reference: Set(r.reference),
        title: Set(r.title),
        submitted_at: Set(r.submitted_at),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn audit(db: &impl ConnectionTrait, rows: Vec<AuditRow>) -> Result<(), DbErr> {
    super::batch::run(db, audit_statement(db.get_database_backend(), rows)).await
}

/// The INSERT of `rows` (none if there are none).
pub fn audit_statement(backend: DbBackend, rows: Vec<AuditRow>) -> Option<Statement> {
    if rows.is_empty() {
        return None;
    }
    let insert =
        audit_entry::Entity::insert_many(rows.into_iter().map(|r| audit_entry::ActiveModel {
            id: Set(r.id),
            case_id: Set(r.case_id),
            seq: Set(r.seq),
            actor: Set(r.actor),
            actor_org: Set(r.actor_org),
            roles: Set(r.roles),
            action: Set(r.action),
            from_state: Set(r.from_state),
            to_state: Set(r.to_state),
            payload: Set(r.payload),
            comment: Set(r.comment),
            at: Set(r.at),
            documents: Set(r.documents),
            prev_hash: Set(r.prev_hash),
            hash: Set(r.hash),
            client_address: Set(r.client_address),
            log_index: Set(None),
        }));
    Some(insert.build(backend))
}

pub async fn clocks(db: &impl ConnectionTrait, rows: Vec<ClockRow>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    case_clock::Entity::insert_many(rows.into_iter().map(|r| case_clock::ActiveModel {
        case_id: Set(r.case_id),
        clock: Set(r.clock),
        run: Set(r.run),
        status: Set(r.status),
        due_date: Set(r.due_date),
        due_at: Set(r.due_at),
        provisional: Set(r.provisional),
        calendar_version: Set(r.calendar_version),
        updated_at: Set(r.updated_at),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn segments(db: &impl ConnectionTrait, rows: Vec<SegmentRow>) -> Result<(), DbErr> {
    super::batch::run(db, segments_statement(db.get_database_backend(), rows)).await
}

/// The INSERT of `rows` (none if there are none).
pub fn segments_statement(backend: DbBackend, rows: Vec<SegmentRow>) -> Option<Statement> {
    if rows.is_empty() {
        return None;
    }
    let insert =
        clock_segment::Entity::insert_many(rows.into_iter().map(|r| clock_segment::ActiveModel {
            id: Set(r.id),
            case_id: Set(r.case_id),
            clock: Set(r.clock),
            run: Set(r.run),
            running: Set(r.running),
            reason: Set(r.reason),
            started_at: Set(r.started_at),
            ended_at: Set(r.ended_at),
        }));
    Some(insert.build(backend))
}
