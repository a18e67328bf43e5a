//! Every signed checkpoint of the transparency log: its size, its root, and the signed note.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub size: i64,
    /// SHA-256, lower-case hex.
    pub root: String,
    /// The C2SP signed note, as served at `/log/checkpoint`.
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub signed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
