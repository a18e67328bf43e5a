//! A published notice: which case and audit entry published it, what it shows (also in that
//! entry's payload, so that the chain vouches for it), and its period.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// `acceptance`, `proposed_decision`, `decision` or `filing`.
    pub kind: String,
    /// The position of the publishing entry in the case's chain.
    pub seq: i64,
    /// The SHA-256 of the publishing entry.
    pub hash: String,
    pub published_at: DateTimeUtc,
    /// The project's or plan's name, for search.
    pub title: String,
    /// The enterprise's name, for search.
    pub enterprise: String,
    /// The place name of the location, for search by district.
    pub place: String,
    pub period_clock: Option<String>,
    /// ISO dates (Asia/Shanghai) of the period's first and last day.
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    /// The notice's content as canonical JSON.
    #[sea_orm(column_type = "Text")]
    pub content: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
