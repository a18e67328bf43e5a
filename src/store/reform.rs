//! The pre-licence catalogue's items and their changes; siting checks of cases.

use chrono::{DateTime, Utc};
use entity::licence_item::{self, Entity as LicenceItem};
use entity::licence_item_change::{self, Entity as Change};
use entity::siting_check::Entity as SitingCheck;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryOrder};
use uuid::Uuid;

pub use entity::licence_item::Model as ItemRow;
pub use entity::licence_item_change::Model as ChangeRow;
pub use entity::siting_check::Model as SitingRow;

pub async fn items(db: &impl ConnectionTrait) -> Result<Vec<ItemRow>, DbErr> {
    LicenceItem::find()
        .order_by_asc(licence_item::Column::Code)
        .all(db)
        .await
}

pub async fn changes(db: &impl ConnectionTrait) -> Result<Vec<ChangeRow>, DbErr> {
    Change::find()
        .order_by_asc(licence_item_change::Column::Code)
        .order_by_asc(licence_item_change::Column::EffectiveFrom)
        .all(db)
        .await
}

/// Inserts or updates an item's description.
pub async fn upsert_item(db: &impl ConnectionTrait, row: ItemRow) -> Result<(), DbErr> {
    LicenceItem::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(licence_item::Column::Code)
                .update_columns([
                    licence_item::Column::Name,
                    licence_item::Column::Authority,
                    licence_item::Column::LegalBasis,
                    licence_item::Column::BusinessKinds,
                    licence_item::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts changes, replacing a stored change of the same item and date.
pub async fn upsert_changes(db: &impl ConnectionTrait, rows: Vec<ChangeRow>) -> Result<(), DbErr> {
    for chunk in rows.chunks(500) {
        Change::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .on_conflict(
            OnConflict::columns([
                licence_item_change::Column::Code,
                licence_item_change::Column::EffectiveFrom,
            ])
            .update_columns([
                licence_item_change::Column::Status,
                licence_item_change::Column::MergedInto,
                licence_item_change::Column::RecordedBy,
                licence_item_change::Column::RecordedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn save_siting(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    result: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    db.execute(siting_statement(
        db.get_database_backend(),
        case_id,
        result,
        at,
    ))
    .await?;
    Ok(())
}

/// The UPSERT of [`save_siting`].
pub fn siting_statement(
    backend: sea_orm::DbBackend,
    case_id: Uuid,
    result: &str,
    at: DateTime<Utc>,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    SitingCheck::insert(
        SitingRow {
            case_id,
            result: result.to_string(),
            checked_at: at,
        }
        .into_active_model(),
    )
    .on_conflict(
        OnConflict::column(entity::siting_check::Column::CaseId)
            .update_columns([
                entity::siting_check::Column::Result,
                entity::siting_check::Column::CheckedAt,
            ])
            .to_owned(),
    )
    .build(backend)
}

pub async fn siting(db: &impl ConnectionTrait, case_id: Uuid) -> Result<Option<SitingRow>, DbErr> {
    SitingCheck::find_by_id(case_id).one(db).await
}
