//! The audit chains: the row an entry becomes, appending to a case's chain or to the
//! installation's own stream, and verifying every chain.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::AppError;
use crate::domain::audit::{canonical_json, AuditRecord, GENESIS};
use crate::domain::Msg;
use crate::engine::Actor;
use crate::msg;
use crate::store;
use crate::store::audit::AuditRow;
use crate::store::cases::CaseRow;

/// The stream of audit entries that belong to no case (calendar and directory changes, timer
/// retries).
pub const INSTALLATION_STREAM: Uuid = Uuid::nil();

/// The row an entry becomes, chained after `prev_hash`.
pub(crate) fn audit_row(record: &AuditRecord, prev_hash: &str, hash: &str) -> AuditRow {
    AuditRow {
        id: Uuid::now_v7(),
        case_id: record.case_id,
        seq: record.seq,
        actor: record.actor.clone(),
        actor_org: record.actor_org.clone(),
        roles: canonical_json(&Value::from(record.roles.clone())),
        action: record.action.clone(),
        from_state: record.from_state.clone(),
        to_state: record.to_state.clone(),
        payload: canonical_json(&record.payload),
        comment: record.comment.clone(),
        at: record.at,
        documents: (!record.documents.is_empty())
            .then(|| canonical_json(&Value::Array(record.documents.clone()))),
        prev_hash: prev_hash.to_string(),
        hash: hash.to_string(),
        client_address: record.address.clone(),
        log_index: None,
    }
}

/// Appends an audit entry for an event on a case that does not change its state (a market take),
/// to a case row whose version was already taken with `store::cases::bump_in_state`.
pub(crate) async fn append_event(
    tx: &impl sea_orm::ConnectionTrait,
    bumped: &CaseRow,
    actor: &Actor,
    action: &str,
    payload: Value,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let record = AuditRecord {
        case_id: bumped.id,
        seq: bumped.version,
        actor: actor.subject.clone(),
        actor_org: actor.org.clone(),
        address: actor.address.clone(),
        roles: actor.roles.names(),
        action: action.to_string(),
        from_state: bumped.state.clone(),
        to_state: bumped.state.clone(),
        payload,
        comment: None,
        at: now,
        documents: Vec::new(),
    };
    let hash = record.chain_hash(&bumped.audit_head);
    store::audit::append(tx, audit_row(&record, &bumped.audit_head, &hash)).await?;
    store::cases::set_head(tx, bumped.id, &hash).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub case_id: Uuid,
    pub seq: i64,
    pub problem: Msg,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "case {} entry {}: {}",
            self.case_id, self.seq, self.problem
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Cases checked (the installation's own stream is checked too, but is not a case).
    pub cases: usize,
    pub entries: u64,
    /// The first broken entry, in (case, sequence) order; `None` when every chain holds.
    pub broken: Option<Broken>,
}

pub(crate) fn recompute(row: &AuditRow) -> Result<String, String> {
    let roles: Vec<String> =
        serde_json::from_str(&row.roles).map_err(|e| format!("roles are not JSON: {e}"))?;
    let payload =
        serde_json::from_str(&row.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let record = AuditRecord {
        case_id: row.case_id,
        seq: row.seq,
        actor: row.actor.clone(),
        actor_org: row.actor_org.clone(),
        address: row.client_address.clone(),
        roles,
        action: row.action.clone(),
        from_state: row.from_state.clone(),
        to_state: row.to_state.clone(),
        payload,
        comment: row.comment.clone(),
        at: row.at,
        documents: match &row.documents {
            Some(d) => {
                serde_json::from_str(d).map_err(|e| format!("documents are not JSON: {e}"))?
            }
            None => Vec::new(),
        },
    };
    Ok(record.chain_hash(&row.prev_hash))
}

/// Recomputes every chain; also checks that each case's version and head match its last entry.
pub async fn verify(db: &DatabaseConnection) -> anyhow::Result<Report> {
    let cases: HashMap<Uuid, (i64, String)> = store::cases::versions(db)
        .await?
        .into_iter()
        .map(|(id, version, head)| (id, (version, head)))
        .collect();
    let mut seen: HashMap<Uuid, (i64, String)> = HashMap::new();
    let mut entries = 0u64;
    let mut after = None;
    let report = |entries, broken| Report {
        cases: cases.len(),
        entries,
        broken,
    };
    loop {
        let batch = store::audit::batch_after(db, after, 1000).await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.case_id, last.seq));
        for row in &batch {
            entries += 1;
            if let Some(problem) = entry_problem(row, seen.get(&row.case_id)) {
                return Ok(report(entries, Some(broken(row.case_id, row.seq, problem))));
            }
            seen.insert(row.case_id, (row.seq, row.hash.clone()));
        }
    }
    Ok(report(entries, heads_problem(&cases, &seen)))
}

fn broken(case_id: Uuid, seq: i64, problem: Msg) -> Broken {
    Broken {
        case_id,
        seq,
        problem,
    }
}

/// What is wrong with an entry, given the last entry seen of its chain (sequence and hash).
fn entry_problem(row: &AuditRow, last: Option<&(i64, String)>) -> Option<Msg> {
    let (expected_seq, expected_prev) = match last {
        Some((seq, hash)) => (seq + 1, hash.clone()),
        None => (1, GENESIS.to_string()),
    };
    if row.seq != expected_seq {
        return Some(msg!(
            "audit-broken-seq",
            seq = row.seq,
            expected = expected_seq
        ));
    }
    if row.prev_hash != expected_prev {
        return Some(msg!(
            "audit-broken-prev",
            hash = &row.prev_hash,
            entry = expected_seq - 1
        ));
    }
    match recompute(row) {
        Err(e) => Some(msg!("audit-broken-unreadable", detail = e)),
        Ok(h) if h != row.hash => Some(msg!("audit-broken-hash", hash = &row.hash, recomputed = h)),
        Ok(_) => None,
    }
}

/// Every case has entries, its version and head are its last entry's, and every chain but the
/// installation's belongs to a case.
fn heads_problem(
    cases: &HashMap<Uuid, (i64, String)>,
    seen: &HashMap<Uuid, (i64, String)>,
) -> Option<Broken> {
    let mut ids: Vec<&Uuid> = cases.keys().collect();
    ids.sort();
    for id in ids {
        let (version, head) = &cases[id];
        match seen.get(id) {
            None => return Some(broken(*id, 1, msg!("audit-broken-empty"))),
            Some((seq, hash)) if seq != version || hash != head => {
                let problem = msg!("audit-broken-version", version = version, seq = seq);
                return Some(broken(*id, *seq, problem));
            }
            Some(_) => {}
        }
    }
    seen.keys()
        .find(|id| !cases.contains_key(*id) && **id != INSTALLATION_STREAM)
        .map(|id| broken(*id, 1, msg!("audit-broken-orphan")))
}

/// The counter every entry of the installation's stream moves: also the directory's version
/// (every change to organisations, users and grants is such an entry).
pub(crate) const INSTALLATION_COUNTER: &str = "installation-stream";

/// Appends an entry to the installation's own audit stream (changes that belong to no case),
/// inside the caller's transaction.
pub(crate) async fn append_installation(
    tx: &impl sea_orm::ConnectionTrait,
    actor: &crate::engine::Actor,
    action: &str,
    payload: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), super::AppError> {
    // Serialise appends to this one stream across instances: the counter row stays locked until
    // the transaction ends, so the next writer reads this entry as the last.
    store::counters::next(tx, INSTALLATION_COUNTER).await?;
    let last = store::audit::last_of(tx, INSTALLATION_STREAM).await?;
    let (seq, prev) = last.map_or((1, GENESIS.to_string()), |l| (l.seq + 1, l.hash));
    let record = AuditRecord {
        case_id: INSTALLATION_STREAM,
        seq,
        actor: actor.subject.clone(),
        actor_org: actor.org.clone(),
        address: actor.address.clone(),
        roles: actor.roles.names(),
        action: action.to_string(),
        from_state: String::new(),
        to_state: String::new(),
        payload,
        comment: None,
        at: now,
        documents: Vec::new(),
    };
    let hash = record.chain_hash(&prev);
    store::audit::append(tx, audit_row(&record, &prev, &hash)).await?;
    Ok(())
}

/// The chain verification, for an auditor or an admin.
pub async fn verify_for(
    app: &super::App,
    actor: &crate::engine::Actor,
) -> Result<Report, super::AppError> {
    if !actor
        .roles
        .iter()
        .any(|r| matches!(r, crate::domain::Role::Auditor | crate::domain::Role::Admin))
    {
        return Err(super::AppError::Forbidden("an auditor or an admin".into()));
    }
    Ok(verify(&app.db).await?)
}
