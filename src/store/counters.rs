//! Named counters: the next number in a sequence, taken inside the caller's transaction.

use entity::counter::{self, Entity as Counter};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Increments `name` (starting at 1) and answers the new value. The row stays locked until the
/// transaction ends, so concurrent callers get distinct numbers.
pub async fn next(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    Counter::insert(counter::ActiveModel {
        name: Set(name.to_string()),
        value: Set(0),
    })
    .on_conflict(
        OnConflict::column(counter::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Counter::update_many()
        .col_expr(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(1),
        )
        .filter(counter::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(Counter::find_by_id(name.to_string())
        .one(db)
        .await?
        .map_or(0, |c| c.value))
}

/// A counter's value now, without moving it (0 if it was never moved).
pub async fn current(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    Ok(Counter::find_by_id(name.to_string())
        .one(db)
        .await?
        .map_or(0, |c| c.value))
}
