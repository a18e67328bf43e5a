//! A bidder's deposit for one auction lot, as recorded by the market operator.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub lot_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org: String,
    pub amount_fen: i64,
    pub reference: String,
    pub status: String,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
