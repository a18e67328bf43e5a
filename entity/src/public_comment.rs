//! A comment from the public on a notice during its period, and how the bureau handled it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_comments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub publication_id: Uuid,
    pub case_id: Uuid,
    pub name: String,
    pub contact: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// The address it came from (for the rate limit; never shown).
    pub address: String,
    pub at: DateTimeUtc,
    /// How the bureau handled it (set by a reviewer).
    #[sea_orm(column_type = "Text", nullable)]
    pub handling: Option<String>,
    pub handled_by: Option<String>,
    pub handled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
