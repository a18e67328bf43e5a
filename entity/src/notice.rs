//! A notice waiting to be turned into e-mails: its kind, whom it is for (roles on the case, or
//! the applicants of named organisations), and the wording's variables in each language.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// The case's organisation when the notice was written.
    pub org: String,
    pub kind: String,
    /// JSON array of role names (empty when `orgs` names the recipients).
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    /// JSON array of organisation codes whose applicants are told.
    #[sea_orm(column_type = "Text")]
    pub orgs: String,
    /// JSON object: language -> variable -> text.
    #[sea_orm(column_type = "Text")]
    pub vars: String,
    /// `pending`, or `claimed` inside the sender's transaction.
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
