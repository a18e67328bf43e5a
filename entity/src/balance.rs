//! The running balance of an account in one asset: the sum of its postings, kept for checks and
//! row locks. Never below zero, except the issuing authority's (the counterpart of issuance).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "balances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub pollutant: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub basin: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_to: String,
    pub amount_kg: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
