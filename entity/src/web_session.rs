//! A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub email: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// How the session was opened: `password` or `provider`.
    pub method: String,
    /// JSON array of role names when the identity provider's roles claim decides them; `None`:
    /// the directory's roles, read afresh on every request.
    #[sea_orm(column_type = "Text", nullable)]
    pub roles: Option<String>,
    /// The provider's ID token of a session opened through it, sent back as `id_token_hint` on
    /// signing out there; it ends with the session.
    #[sea_orm(column_type = "Text", nullable)]
    pub id_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
