//! The inbox: the cases on which the caller can act now, the most urgent deadline first.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::cases::history_steps;
use super::directory::{self, Access};
use super::{App, AppError};
use crate::engine::{self, Actor, CaseView};
use crate::store;

pub const MAX_ITEMS: u64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    pub id: Uuid,
    pub workflow: String,
    pub workflow_version: u32,
    pub state: String,
    pub version: i64,
    pub organisation: String,
    pub project_name: Option<String>,
    pub allowed_actions: Vec<String>,
    /// The nearest due moment of the case's running clocks, and which clock.
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_clock: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Cases where the caller may fire an action now, nearest due first (cases without a running
/// clock last, oldest first).
pub async fn inbox(
    app: &App,
    actor: &Actor,
    limit: Option<u64>,
) -> Result<Vec<InboxItem>, AppError> {
    let limit = limit.unwrap_or(50).clamp(1, MAX_ITEMS) as usize;
    // The states in which some action is open to one of the caller's roles.
    let mut wanted: BTreeSet<(String, u32, String)> = BTreeSet::new();
    for summary in app.workflows.summaries() {
        for version in summary.versions {
            let Some(def) = app.workflows.get(&summary.key, version) else {
                continue;
            };
            for state in &def.states {
                let open = state
                    .actions
                    .iter()
                    .any(|a| def.actions[*a].roles.intersects(actor.roles));
                if open {
                    wanted.insert((def.key.clone(), version, state.name.clone()));
                }
            }
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let keys: BTreeSet<String> = wanted.iter().map(|w| w.0.clone()).collect();
    let states: BTreeSet<String> = wanted.iter().map(|w| w.2.clone()).collect();
    let orgs = match directory::access(&app.db, actor).await? {
        Access::All => None,
        Access::Orgs(o) => Some(o),
    };
    let rows = store::cases::in_states(&app.db, &keys, &states, orgs.as_deref()).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| {
            wanted.contains(&(
                r.workflow_key.clone(),
                u32::try_from(r.workflow_version).unwrap_or_default(),
                r.state.clone(),
            ))
        })
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let dues: HashMap<Uuid, (DateTime<Utc>, String)> =
        store::clocks::next_due(&app.db, &ids).await?;
    let mut items = Vec::new();
    for row in rows {
        let version = u32::try_from(row.workflow_version).unwrap_or_default();
        let Some(def) = app.workflows.get(&row.workflow_key, version) else {
            continue;
        };
        let history = history_steps(&app.db, row.id).await?;
        let view = CaseView {
            state: &row.state,
            data: &row.data,
            history: &history,
        };
        let allowed: Vec<String> = engine::allowed_actions(&def, view, actor)
            .into_iter()
            .map(str::to_string)
            .collect();
        if allowed.is_empty() {
            continue;
        }
        let due = dues.get(&row.id).cloned();
        items.push(InboxItem {
            id: row.id,
            workflow: row.workflow_key,
            workflow_version: version,
            state: row.state,
            version: row.version,
            organisation: row.org,
            project_name: row
                .data
                .get("project_name")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            allowed_actions: allowed,
            next_due_at: due.as_ref().map(|d| d.0),
            next_clock: due.map(|d| d.1),
            updated_at: row.updated_at,
        });
    }
    items.sort_by(|a, b| match (a.next_due_at, b.next_due_at) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    items.truncate(limit);
    Ok(items)
}
