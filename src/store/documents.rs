//! Document versions attached to cases.

use entity::document::{self, Entity as Document};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use entity::document::Model as DocumentRow;

pub async fn insert(db: &impl ConnectionTrait, row: DocumentRow) -> Result<(), DbErr> {
    Document::insert(document::ActiveModel {
        id: Set(row.id),
        case_id: Set(row.case_id),
        name: Set(row.name),
        version: Set(row.version),
        sha256: Set(row.sha256),
        size: Set(row.size),
        content_type: Set(row.content_type),
        uploaded_by: Set(row.uploaded_by),
        uploaded_at: Set(row.uploaded_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every version of every document of a case, by name then version.
pub async fn of_case(db: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<DocumentRow>, DbErr> {
    Document::find()
        .filter(document::Column::CaseId.eq(case_id))
        .order_by_asc(document::Column::Name)
        .order_by_asc(document::Column::Version)
        .all(db)
        .await
}

/// The documents of many cases, in one query.
pub async fn of_cases(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<Vec<DocumentRow>, DbErr> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    Document::find()
        .filter(document::Column::CaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(document::Column::Name)
        .order_by_asc(document::Column::Version)
        .all(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    id: Uuid,
) -> Result<Option<DocumentRow>, DbErr> {
    Document::find_by_id(id)
        .filter(document::Column::CaseId.eq(case_id))
        .one(db)
        .await
}
