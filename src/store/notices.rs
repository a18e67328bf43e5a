//! Notices waiting to be turned into e-mails.

use entity::notice::{self, Entity as Notice};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use entity::notice::Model as NoticeRow;

/// Writes notices, all in one statement.
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<NoticeRow>) -> Result<(), DbErr> {
    super::batch::run(db, insert_statement(db.get_database_backend(), rows)).await
}

/// The INSERT of [`insert_many`] (none if there are no rows).
pub fn insert_statement(
    backend: sea_orm::DbBackend,
    rows: Vec<NoticeRow>,
) -> Option<sea_orm::Statement> {
    use sea_orm::QueryTrait;
    if rows.is_empty() {
        return None;
    }
    let insert = Notice::insert_many(rows.into_iter().map(|r| notice::ActiveModel {
        id: Set(r.id),
        case_id: Set(r.case_id),
        org: Set(r.org),
        kind: Set(r.kind),
        roles: Set(r.roles),
        orgs: Set(r.orgs),
        vars: Set(r.vars),
        status: Set(r.status),
        created_at: Set(r.created_at),
    }));
    Some(insert.build(backend))
}

/// Claims up to `limit` pending notices, oldest first, for this transaction (`SKIP LOCKED` on
/// PostgreSQL, so that several senders take disjoint ones). A rollback returns them.
pub async fn claim(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<NoticeRow>, DbErr> {
    let mut select = Query::select();
    select
        .column(notice::Column::Id)
        .from(Notice)
        .and_where(Expr::col(notice::Column::Status).eq("pending"))
        .order_by(notice::Column::CreatedAt, sea_orm::Order::Asc)
        .limit(limit);
    let update = Query::update()
        .table(Notice)
        .value(notice::Column::Status, "claimed")
        .to_owned();
    super::claim_rows(db, update, notice::Column::Id, select).await?;
    Notice::find()
        .filter(notice::Column::Status.eq("claimed"))
        .order_by_asc(notice::Column::CreatedAt)
        .order_by_asc(notice::Column::Id)
        .all(db)
        .await
}

/// Removes notices that have become messages.
pub async fn delete(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    Notice::delete_many()
        .filter(notice::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Notices not yet turned into messages.
pub async fn pending(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Notice::find()
        .filter(notice::Column::Status.eq("pending"))
        .count(db)
        .await
}
