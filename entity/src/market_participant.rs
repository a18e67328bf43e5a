//! What the market knows of an enterprise: its discharge permit and its group of related
//! accounts (which bid as one).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "market_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org: String,
    pub permit_no: Option<String>,
    pub permit_basin: Option<String>,
    pub permit_valid_to: Option<String>,
    pub group_code: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
