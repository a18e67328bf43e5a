//! The transparency log's rows: the leaf index of each audit entry, the tree's complete
//! subtrees, and the signed checkpoints.

use std::collections::HashMap;

use entity::audit_entry::{self, Entity as AuditEntry};
use entity::log_checkpoint::{self, Entity as LogCheckpoint};
use entity::log_leaf::{self, Entity as LogLeaf};
use entity::log_node::{self, Entity as LogNode};
use sea_orm::sea_query::{CaseStatement, Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::domain::tlog::{Hash, Node};

pub use entity::log_checkpoint::Model as CheckpointRow;

/// An audit entry as the log sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: Uuid,
    pub case_id: Uuid,
    pub seq: i64,
    pub hash: String,
    pub log_index: Option<i64>,
}

/// Serialises integrators across instances until the transaction ends (PostgreSQL: an advisory
/// lock; SQLite has one writer at a time anyway). The unique leaf index and the nodes' primary
/// key refuse a second writer's rows should two ever overlap.
pub async fn lock(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(6962)",
        ))
        .await?;
    }
    Ok(())
}

/// How many leaves the log holds.
pub async fn size(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    // The condition lets both databases answer from the partial index of leaf indexes.
    let last: Option<Option<i64>> = AuditEntry::find()
        .filter(audit_entry::Column::LogIndex.is_not_null())
        .select_only()
        .column_as(audit_entry::Column::LogIndex.max(), "m")
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().map_or(0, |m| m as u64 + 1))
}

/// Up to `limit` entries not yet in the log, in the order they are appended: time, then id.
pub async fn unlogged(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Entry>, DbErr> {
    // Only the columns a leaf needs: an entry's payload and documents stay in the database (a
    // batch of 4,096 entries of project data held them all in memory at once).
    use audit_entry::Column;
    let rows = leaf_columns()
        .filter(Column::LogIndex.is_null())
        .order_by_asc(Column::At)
        .order_by_asc(Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(leaf_entry).collect())
}

/// Audit entries with only the columns the log needs of them.
fn leaf_columns() -> sea_orm::Select<AuditEntry> {
    use audit_entry::Column;
    AuditEntry::find().select_only().columns([
        Column::Id,
        Column::CaseId,
        Column::Seq,
        Column::Hash,
        Column::LogIndex,
    ])
}

fn leaf_entry(
    (id, case_id, seq, hash, log_index): (Uuid, Uuid, i64, String, Option<i64>),
) -> Entry {
    Entry {
        id,
        case_id,
        seq,
        hash,
        log_index,
    }
}

/// Gives `entries` (ids) the leaf indexes from `first` on, in order.
pub async fn place(db: &impl ConnectionTrait, first: u64, ids: &[Uuid]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for (chunk_no, chunk) in ids.chunks(500).enumerate() {
        let mut case = CaseStatement::new();
        for (i, id) in chunk.iter().enumerate() {
            let index = (first + (chunk_no * 500 + i) as u64) as i64;
            case = case.case(audit_entry::Column::Id.eq(*id), Expr::value(index));
        }
        let update = Query::update()
            .table(AuditEntry)
            .value(audit_entry::Column::LogIndex, case)
            .and_where(audit_entry::Column::Id.is_in(chunk.iter().copied()))
            .and_where(audit_entry::Column::LogIndex.is_null())
            .to_owned();
        let placed = db.execute(backend.build(&update)).await?.rows_affected();
        if placed != chunk.len() as u64 {
            return Err(DbErr::Custom(format!(
                "{} of {} entries were placed in the log: another integrator got there first",
                placed,
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// Stores new complete subtrees.
pub async fn insert_nodes(db: &impl ConnectionTrait, nodes: &[(Node, Hash)]) -> Result<(), DbErr> {
    for chunk in nodes.chunks(1000) {
        LogNode::insert_many(chunk.iter().map(|(n, h)| log_node::ActiveModel {
            level: Set(i16::from(n.level)),
            idx: Set(n.index as i64),
            hash: Set(hex::encode(h)),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The stored hashes of `wanted` (those that exist).
pub async fn nodes(
    db: &impl ConnectionTrait,
    wanted: impl IntoIterator<Item = Node>,
) -> Result<HashMap<Node, Hash>, DbErr> {
    let wanted: Vec<Node> = wanted.into_iter().collect();
    let mut out = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(200) {
        let mut any = Condition::any();
        for n in chunk {
            any = any.add(
                Condition::all()
                    .add(log_node::Column::Level.eq(i16::from(n.level)))
                    .add(log_node::Column::Idx.eq(n.index as i64)),
            );
        }
        for r in LogNode::find().filter(any).all(db).await? {
            let hash: Hash = hex::decode(&r.hash)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| {
                    DbErr::Custom(format!("log node {} {} is not a hash", r.level, r.idx))
                })?;
            out.insert(
                Node {
                    level: r.level as u8,
                    index: r.idx as u64,
                },
                hash,
            );
        }
    }
    Ok(out)
}

/// The nodes of one level from `from` on, in order, up to `count` of them.
pub async fn level(
    db: &impl ConnectionTrait,
    level: u8,
    from: u64,
    count: u64,
) -> Result<Vec<String>, DbErr> {
    Ok(LogNode::find()
        .filter(log_node::Column::Level.eq(i16::from(level)))
        .filter(log_node::Column::Idx.gte(from as i64))
        .filter(log_node::Column::Idx.lt((from + count) as i64))
        .order_by_asc(log_node::Column::Idx)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.hash)
        .collect())
}

/// Stores leaves' data from leaf `first` on.
pub async fn insert_leaves(
    db: &impl ConnectionTrait,
    first: u64,
    data: &[String],
) -> Result<(), DbErr> {
    for (chunk_no, chunk) in data.chunks(1000).enumerate() {
        LogLeaf::insert_many(
            chunk
                .iter()
                .enumerate()
                .map(|(i, d)| log_leaf::ActiveModel {
                    idx: Set((first + (chunk_no * 1000 + i) as u64) as i64),
                    data: Set(d.clone()),
                }),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The data of leaves `from..from + count`, in order, with their indexes.
pub async fn leaves(
    db: &impl ConnectionTrait,
    from: u64,
    count: u64,
) -> Result<Vec<(i64, String)>, DbErr> {
    Ok(LogLeaf::find()
        .filter(log_leaf::Column::Idx.gte(from as i64))
        .filter(log_leaf::Column::Idx.lt((from + count) as i64))
        .order_by_asc(log_leaf::Column::Idx)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.idx, r.data))
        .collect())
}

/// Every audit entry as the log sees it.
pub async fn all_entries(db: &impl ConnectionTrait) -> Result<Vec<Entry>, DbErr> {
    let rows = leaf_columns().into_tuple().all(db).await?;
    Ok(rows.into_iter().map(leaf_entry).collect())
}

/// Every stored node.
pub async fn all_nodes(db: &impl ConnectionTrait) -> Result<HashMap<Node, String>, DbErr> {
    Ok(LogNode::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                Node {
                    level: r.level as u8,
                    index: r.idx as u64,
                },
                r.hash,
            )
        })
        .collect())
}

/// The entry of a case at `seq`.
pub async fn entry_of(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    seq: i64,
) -> Result<Option<Entry>, DbErr> {
    Ok(leaf_columns()
        .filter(audit_entry::Column::CaseId.eq(case_id))
        .filter(audit_entry::Column::Seq.eq(seq))
        .into_tuple()
        .one(db)
        .await?
        .map(leaf_entry))
}

pub async fn latest_checkpoint(db: &impl ConnectionTrait) -> Result<Option<CheckpointRow>, DbErr> {
    LogCheckpoint::find()
        .order_by_desc(log_checkpoint::Column::Size)
        .one(db)
        .await
}

pub async fn insert_checkpoint(db: &impl ConnectionTrait, row: CheckpointRow) -> Result<(), DbErr> {
    LogCheckpoint::insert(log_checkpoint::ActiveModel {
        size: Set(row.size),
        root: Set(row.root),
        note: Set(row.note),
        signed_at: Set(row.signed_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
