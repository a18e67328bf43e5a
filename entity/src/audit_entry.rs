//! The append-only audit log: one row per accepted action, chained by hash within a stream.
//! A stream is a case (`case_id` is the case's id) or the installation (`case_id` is the nil
//! UUID: calendar changes and other administration).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub seq: i64,
    pub actor: String,
    pub actor_org: String,
    /// JSON array of role names, as hashed.
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    /// Canonical JSON, exactly as hashed.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub at: DateTimeUtc,
    /// The documents the action relied on (canonical JSON array), if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub documents: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// The address the request came from (behind trusted proxies, the client's), if a person's
    /// request made the entry. Not part of the hash: personal data that may be erased.
    pub client_address: Option<String>,
    /// The entry's leaf index in the public transparency log, once the integrator appended it.
    pub log_index: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
