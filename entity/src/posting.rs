//! One side of a ledger movement. The postings of an entry sum to zero.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "postings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub entry_id: Uuid,
    pub account_id: Uuid,
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    /// Negative: leaves the account; positive: reaches it.
    pub amount_kg: i64,
    /// `issue`, `allocate`, `transfer`, `retire`.
    pub kind: String,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
