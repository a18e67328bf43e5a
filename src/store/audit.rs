//! The audit log. Rows are only ever inserted.

use entity::audit_entry::{self, Entity as AuditEntry};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub use entity::audit_entry::Model as AuditRow;

pub async fn append(db: &impl ConnectionTrait, row: AuditRow) -> Result<(), DbErr> {
    AuditEntry::insert(audit_entry::ActiveModel {
        id: Set(row.id),
        case_id: Set(row.case_id),
        seq: Set(row.seq),
        actor: Set(row.actor),
        actor_org: Set(row.actor_org),
        roles: Set(row.roles),
        action: Set(row.action),
        from_state: Set(row.from_state),
        to_state: Set(row.to_state),
        payload: Set(row.payload),
        comment: Set(row.comment),
        at: Set(row.at),
        documents: Set(row.documents),
        prev_hash: Set(row.prev_hash),
        hash: Set(row.hash),
        client_address: Set(row.client_address),
        log_index: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The (action, actor, time) of each entry of a case, oldest first: what the four-eyes rule and
/// backdated clocks need.
/// The steps of one case among `actions`, oldest first (none asked, none read).
pub async fn steps(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    actions: &[String],
) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>, String)>, DbErr> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    AuditEntry::find()
        .filter(audit_entry::Column::Action.is_in(actions.iter().cloned()))
        .select_only()
        .column(audit_entry::Column::Action)
        .column(audit_entry::Column::Actor)
        .column(audit_entry::Column::At)
        .column(audit_entry::Column::Payload)
        .filter(audit_entry::Column::CaseId.eq(case_id))
        .order_by_asc(audit_entry::Column::Seq)
        .into_tuple()
        .all(db)
        .await
}

/// The steps among `actions` of each of `case_ids`, oldest first: one query for many cases.
pub async fn steps_of_cases(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
    actions: &[String],
) -> Result<Vec<(Uuid, String, String, chrono::DateTime<chrono::Utc>, String)>, DbErr> {
    if actions.is_empty() || case_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    // Bounded IN lists: PostgreSQL takes at most 65,535 parameters per statement.
    for chunk in case_ids.chunks(5000) {
        out.extend(
            AuditEntry::find()
                .select_only()
                .column(audit_entry::Column::CaseId)
                .column(audit_entry::Column::Action)
                .column(audit_entry::Column::Actor)
                .column(audit_entry::Column::At)
                .column(audit_entry::Column::Payload)
                .filter(audit_entry::Column::CaseId.is_in(chunk.iter().copied()))
                .filter(audit_entry::Column::Action.is_in(actions.iter().cloned()))
                .order_by_asc(audit_entry::Column::CaseId)
                .order_by_asc(audit_entry::Column::Seq)
                .into_tuple::<(Uuid, String, String, chrono::DateTime<chrono::Utc>, String)>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Who acted on each of `case_ids`, and in which roles (JSON arrays as hashed): one query.
pub async fn actors_of_cases(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<Vec<(Uuid, String, String)>, DbErr> {
    let mut out = Vec::new();
    for chunk in case_ids.chunks(5000) {
        out.extend(
            AuditEntry::find()
                .select_only()
                .column(audit_entry::Column::CaseId)
                .column(audit_entry::Column::Actor)
                .column(audit_entry::Column::Roles)
                .filter(audit_entry::Column::CaseId.is_in(chunk.iter().copied()))
                .distinct()
                .into_tuple::<(Uuid, String, String)>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The entries of one case from its first up to `seq`, oldest first.
pub async fn of_case_until(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    seq: i64,
) -> Result<Vec<AuditRow>, DbErr> {
    AuditEntry::find()
        .filter(audit_entry::Column::CaseId.eq(case_id))
        .filter(audit_entry::Column::Seq.lte(seq))
        .order_by_asc(audit_entry::Column::Seq)
        .all(db)
        .await
}

/// The entries of one case, oldest first.
pub async fn of_case(db: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<AuditRow>, DbErr> {
    AuditEntry::find()
        .filter(audit_entry::Column::CaseId.eq(case_id))
        .order_by_asc(audit_entry::Column::Seq)
        .all(db)
        .await
}

/// A batch of entries in (case, seq) order after the given position, for verifying all chains
/// without loading the whole log at once.
pub async fn batch_after(
    db: &impl ConnectionTrait,
    after: Option<(Uuid, i64)>,
    limit: u64,
) -> Result<Vec<AuditRow>, DbErr> {
    let mut query = AuditEntry::find();
    if let Some((case_id, seq)) = after {
        query = query.filter(
            sea_orm::Condition::any()
                .add(audit_entry::Column::CaseId.gt(case_id))
                .add(
                    sea_orm::Condition::all()
                        .add(audit_entry::Column::CaseId.eq(case_id))
                        .add(audit_entry::Column::Seq.gt(seq)),
                ),
        );
    }
    query
        .order_by_asc(audit_entry::Column::CaseId)
        .order_by_asc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// The last entry of a stream (a case, or the installation stream), if any.
pub async fn last_of(db: &impl ConnectionTrait, stream: Uuid) -> Result<Option<AuditRow>, DbErr> {
    AuditEntry::find()
        .filter(audit_entry::Column::CaseId.eq(stream))
        .order_by_desc(audit_entry::Column::Seq)
        .one(db)
        .await
}
