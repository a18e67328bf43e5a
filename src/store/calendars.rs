//! Official calendar years.

use entity::calendar_year::{self, Entity as CalendarYear};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder};

pub use entity::calendar_year::Model as YearRow;

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<YearRow>, DbErr> {
    CalendarYear::find()
        .order_by_asc(calendar_year::Column::Year)
        .all(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, year: i32) -> Result<Option<YearRow>, DbErr> {
    CalendarYear::find_by_id(year).one(db).await
}

pub async fn upsert(db: &impl ConnectionTrait, row: YearRow) -> Result<(), DbErr> {
    CalendarYear::insert(calendar_year::ActiveModel {
        year: Set(row.year),
        content: Set(row.content),
        hash: Set(row.hash),
        source: Set(row.source),
        updated_at: Set(row.updated_at),
        updated_by: Set(row.updated_by),
    })
    .on_conflict(
        OnConflict::column(calendar_year::Column::Year)
            .update_columns([
                calendar_year::Column::Content,
                calendar_year::Column::Hash,
                calendar_year::Column::Source,
                calendar_year::Column::UpdatedAt,
                calendar_year::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
