//! A case: one application or lot moving through a workflow.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workflow_key: String,
    pub workflow_version: i32,
    pub state: String,
    /// Optimistic-concurrency counter; equals the sequence number of the last audit entry.
    pub version: i64,
    pub org: String,
    pub data: Json,
    /// Hash of the last audit entry of this case.
    pub audit_head: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// A reference number issued to the case (a filing receipt).
    pub reference: Option<String>,
    /// The project or plan name, for search.
    pub title: Option<String>,
    /// When the case first left its initial state.
    pub submitted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
