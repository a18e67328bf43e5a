//! Published notices and the public's comments on them.

use chrono::{DateTime, Utc};
use entity::public_comment::{self, Entity as PublicComment};
use entity::publication::{self, Entity as Publication};
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use entity::public_comment::Model as CommentRow;
pub use entity::publication::Model as PublicationRow;

pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: Vec<PublicationRow>,
) -> Result<(), DbErr> {
    super::batch::run(db, insert_statement(db.get_database_backend(), rows)).await
}

/// The INSERT of [`insert_many`] (none if there are no rows).
pub fn insert_statement(
    backend: sea_orm::DbBackend,
    rows: Vec<PublicationRow>,
) -> Option<sea_orm::Statement> {
    use sea_orm::QueryTrait;
    if rows.is_empty() {
        return None;
    }
    let insert = Publication::insert_many(rows.into_iter().map(|r| publication::ActiveModel {
        id: Set(r.id),
        case_id: Set(r.case_id),
        kind: Set(r.kind),
        seq: Set(r.seq),
        hash: Set(r.hash),
        published_at: Set(r.published_at),
        title: Set(r.title),
        enterprise: Set(r.enterprise),
        place: Set(r.place),
        period_clock: Set(r.period_clock),
        period_from: Set(r.period_from),
        period_to: Set(r.period_to),
        content: Set(r.content),
    }));
    Some(insert.build(backend))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<PublicationRow>, DbErr> {
    Publication::find_by_id(id).one(db).await
}

/// The notices of one case, oldest first.
pub async fn of_case(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> Result<Vec<PublicationRow>, DbErr> {
    Publication::find()
        .filter(publication::Column::CaseId.eq(case_id))
        .order_by_asc(publication::Column::PublishedAt)
        .all(db)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    /// Text in the project's or the enterprise's name.
    pub text: Option<String>,
    /// Text in the place name.
    pub place: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn contains(column: publication::Column, text: &str) -> sea_orm::sea_query::SimpleExpr {
    // Case-insensitive for ASCII on both databases; the pattern's wildcards are escaped.
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{}%", escaped.to_lowercase());
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape('\\'))
}

fn condition(filter: &Filter) -> Condition {
    let mut cond = Condition::all();
    if let Some(k) = &filter.kind {
        cond = cond.add(publication::Column::Kind.eq(k.as_str()));
    }
    if let Some(t) = &filter.text {
        cond = cond.add(
            Condition::any()
                .add(contains(publication::Column::Title, t))
                .add(contains(publication::Column::Enterprise, t)),
        );
    }
    if let Some(p) = &filter.place {
        cond = cond.add(contains(publication::Column::Place, p));
    }
    if let Some(from) = filter.from {
        cond = cond.add(publication::Column::PublishedAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(publication::Column::PublishedAt.lt(to));
    }
    cond
}

/// How many notices match.
pub async fn count(db: &impl ConnectionTrait, filter: &Filter) -> Result<u64, DbErr> {
    Publication::find()
        .select_only()
        .column(publication::Column::Id)
        .filter(condition(filter))
        .count(db)
        .await
}

/// One page of notices, newest first (the index on the publication time and id serves it).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<Vec<PublicationRow>, DbErr> {
    Publication::find()
        .filter(condition(filter))
        .order_by_desc(publication::Column::PublishedAt)
        .order_by_desc(publication::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await
}

pub async fn insert_comment(db: &impl ConnectionTrait, r: CommentRow) -> Result<(), DbErr> {
    PublicComment::insert(public_comment::ActiveModel {
        id: Set(r.id),
        publication_id: Set(r.publication_id),
        case_id: Set(r.case_id),
        name: Set(r.name),
        contact: Set(r.contact),
        text: Set(r.text),
        address: Set(r.address),
        at: Set(r.at),
        handling: Set(r.handling),
        handled_by: Set(r.handled_by),
        handled_at: Set(r.handled_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The comments on a notice from one address since `since`, and the oldest of them.
pub async fn recent_from(
    db: &impl ConnectionTrait,
    publication_id: Uuid,
    address: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    PublicComment::find()
        .select_only()
        .column(public_comment::Column::At)
        .filter(public_comment::Column::PublicationId.eq(publication_id))
        .filter(public_comment::Column::Address.eq(address))
        .filter(public_comment::Column::At.gte(since))
        .order_by_asc(public_comment::Column::At)
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await
}

/// The comments on a case's notices, oldest first.
pub async fn comments_of_case(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> Result<Vec<CommentRow>, DbErr> {
    PublicComment::find()
        .filter(public_comment::Column::CaseId.eq(case_id))
        .order_by_asc(public_comment::Column::At)
        .order_by_asc(public_comment::Column::Id)
        .all(db)
        .await
}

pub async fn find_comment(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<CommentRow>, DbErr> {
    PublicComment::find_by_id(id).one(db).await
}

/// Records how a comment was handled.
pub async fn set_handling(
    db: &impl ConnectionTrait,
    id: Uuid,
    handling: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    PublicComment::update_many()
        .col_expr(public_comment::Column::Handling, Expr::value(handling))
        .col_expr(public_comment::Column::HandledBy, Expr::value(by))
        .col_expr(public_comment::Column::HandledAt, Expr::value(at))
        .filter(public_comment::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many comments a notice has received.
pub async fn comment_count(db: &impl ConnectionTrait, publication_id: Uuid) -> Result<u64, DbErr> {
    PublicComment::find()
        .filter(public_comment::Column::PublicationId.eq(publication_id))
        .count(db)
        .await
}
