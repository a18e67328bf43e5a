//! Sign-in sessions and saved views of the web interface.

use chrono::{DateTime, Utc};
use entity::saved_view::{self, Entity as SavedView};
use entity::web_session::{self, Entity as WebSession};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use entity::saved_view::Model as ViewRow;
pub use entity::web_session::Model as SessionRow;

pub async fn insert_session(db: &impl ConnectionTrait, row: SessionRow) -> Result<(), DbErr> {
    WebSession::insert(web_session::ActiveModel {
        token_hash: Set(row.token_hash),
        email: Set(row.email),
        csrf: Set(row.csrf),
        created_at: Set(row.created_at),
        expires_at: Set(row.expires_at),
        method: Set(row.method),
        roles: Set(row.roles),
        id_token: Set(row.id_token),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The session with this token hash, if it has not expired at `now`.
pub async fn live_session(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbErr> {
    WebSession::find_by_id(token_hash.to_string())
        .filter(web_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

pub async fn delete_session(db: &impl ConnectionTrait, token_hash: &str) -> Result<(), DbErr> {
    WebSession::delete_by_id(token_hash.to_string())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of one person (a new password signs them out everywhere).
pub async fn delete_sessions_of(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    WebSession::delete_many()
        .filter(web_session::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(WebSession::delete_many()
        .filter(web_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Moves a session's expiry (tests use it to age a session).
pub async fn set_expiry(
    db: &impl ConnectionTrait,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    WebSession::update_many()
        .col_expr(
            web_session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(web_session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn views_of(db: &impl ConnectionTrait, email: &str) -> Result<Vec<ViewRow>, DbErr> {
    SavedView::find()
        .filter(saved_view::Column::Email.eq(email))
        .order_by_asc(saved_view::Column::Name)
        .all(db)
        .await
}

/// Saves a view, replacing the person's view of the same name.
pub async fn upsert_view(db: &impl ConnectionTrait, row: ViewRow) -> Result<(), DbErr> {
    SavedView::delete_many()
        .filter(saved_view::Column::Email.eq(row.email.clone()))
        .filter(saved_view::Column::Name.eq(row.name.clone()))
        .exec(db)
        .await?;
    SavedView::insert(saved_view::ActiveModel {
        id: Set(row.id),
        email: Set(row.email),
        name: Set(row.name),
        query: Set(row.query),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deletes one of the person's views; false if there was none.
pub async fn delete_view(db: &impl ConnectionTrait, email: &str, id: Uuid) -> Result<bool, DbErr> {
    Ok(SavedView::delete_many()
        .filter(saved_view::Column::Id.eq(id))
        .filter(saved_view::Column::Email.eq(email))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// A person's live and expired sessions (administration and tests).
pub async fn sessions_of(db: &impl ConnectionTrait, email: &str) -> Result<Vec<SessionRow>, DbErr> {
    WebSession::find()
        .filter(web_session::Column::Email.eq(email))
        .all(db)
        .await
}
