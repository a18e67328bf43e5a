//! People who sign in. A token's `sub` is the user's e-mail address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub email: String,
    pub name: String,
    pub org_code: String,
    /// JSON array of role names.
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    /// `zh` or `en`.
    pub lang: String,
    /// Argon2id PHC string; `None`: the user cannot sign in with a password.
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub failed_logins: i32,
    /// After repeated failures, no attempt is checked before this moment.
    pub next_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// A token of Greenlane's own carries the version it was issued at; an older one is ended.
    pub token_version: i64,
    /// False: the person can no longer sign in or act, whatever token or session they hold.
    pub active: bool,
    /// When the person last signed in on the web desk, and how (`password` or `provider`).
    pub last_sign_in_at: Option<DateTimeUtc>,
    pub last_sign_in_method: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
