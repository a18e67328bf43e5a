//! A sealed bid on an auction lot.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lot_id: Uuid,
    pub org: String,
    /// The organisation's group of related accounts, or the organisation itself.
    pub bidder: String,
    pub amount_kg: i64,
    pub price_fen: i64,
    pub status: String,
    pub placed_by: String,
    pub placed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
