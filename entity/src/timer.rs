//! A deadline to fire: a warning or an expiry of one run of one clock of a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "timers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub clock: String,
    pub run: i32,
    /// `warning` or `expiry`.
    pub kind: String,
    pub fraction: Option<f64>,
    pub due_at: DateTimeUtc,
    /// The action an expiry fires.
    pub action: Option<String>,
    /// `pending`, `fired`, `cancelled` or `skipped`.
    pub status: String,
    pub fired_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
