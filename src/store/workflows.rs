//! Deployed workflow definition versions.

use chrono::{DateTime, Utc};
use entity::workflow_definition::{self, Entity as WorkflowDefinition};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Deployed {
    pub key: String,
    pub version: u32,
    pub content_hash: String,
    pub file: String,
    pub source: String,
    pub deployed_at: DateTime<Utc>,
}

fn from_model(m: workflow_definition::Model) -> Deployed {
    Deployed {
        key: m.key,
        version: u32::try_from(m.version).unwrap_or_default(),
        content_hash: m.content_hash,
        file: m.file,
        source: m.source,
        deployed_at: m.deployed_at,
    }
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Deployed>, DbErr> {
    Ok(WorkflowDefinition::find()
        .order_by_asc(workflow_definition::Column::Key)
        .order_by_asc(workflow_definition::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect())
}

pub async fn find(
    db: &impl ConnectionTrait,
    key: &str,
    version: u32,
) -> Result<Option<Deployed>, DbErr> {
    Ok(WorkflowDefinition::find()
        .filter(workflow_definition::Column::Key.eq(key))
        .filter(workflow_definition::Column::Version.eq(version as i32))
        .one(db)
        .await?
        .map(from_model))
}

pub async fn insert(db: &impl ConnectionTrait, d: &Deployed) -> Result<(), DbErr> {
    WorkflowDefinition::insert(workflow_definition::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set(d.key.clone()),
        version: Set(d.version as i32),
        content_hash: Set(d.content_hash.clone()),
        file: Set(d.file.clone()),
        source: Set(d.source.clone()),
        deployed_at: Set(d.deployed_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
