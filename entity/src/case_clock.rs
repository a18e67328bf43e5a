//! The current run of each clock of a case, with its computed due date.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_clocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub clock: String,
    pub run: i32,
    /// `running`, `paused` or `stopped`.
    pub status: String,
    /// ISO date (Asia/Shanghai) of the last day.
    pub due_date: Option<String>,
    pub due_at: Option<DateTimeUtc>,
    pub provisional: bool,
    pub calendar_version: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
