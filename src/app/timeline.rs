//! A case's timeline: each entry of its history with its actor, comment and the documents it
//! relied on, and the clocks as they stood at that moment.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::load::definition_of;
use super::{App, AppError};
use crate::domain::calendar::{self, Segment};
use crate::engine::Actor;
use crate::store;

#[derive(Debug, Clone, Serialize)]
pub struct ClockAt {
    pub name: String,
    pub running: bool,
    pub used_days: i64,
    pub remaining_days: i64,
    pub due: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub roles: Vec<String>,
    pub action: String,
    pub from: String,
    pub to: String,
    pub comment: Option<String>,
    pub payload: Value,
    pub documents: Vec<Value>,
    /// The clocks running or paused right after this entry.
    pub clocks: Vec<ClockAt>,
    /// The entry's hash in the case's audit chain.
    pub hash: String,
}

pub async fn timeline(app: &App, actor: &Actor, id: Uuid) -> Result<Vec<TimelineEntry>, AppError> {
    let case = super::load::open(app, actor, id).await?;
    timeline_of(app, &case).await
}

/// The timeline of a case already read for this request.
pub async fn timeline_of(
    app: &App,
    case: &super::load::Visible,
) -> Result<Vec<TimelineEntry>, AppError> {
    let (row, id) = (case.row(), case.id());
    let def = definition_of(app, row)?;
    let entries = store::audit::of_case(&app.db, id).await?;
    let (_, segments) = store::clocks::of_case(&app.db, id).await?;
    let cal = app.calendar.get();
    // clock -> run -> segments
    let mut runs: BTreeMap<String, BTreeMap<i32, Vec<store::clocks::SegmentRow>>> = BTreeMap::new();
    for s in segments {
        runs.entry(s.clock.clone())
            .or_default()
            .entry(s.run)
            .or_default()
            .push(s);
    }
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let t = e.at;
        let mut clocks = Vec::new();
        for spec in &def.clocks {
            let Some(by_run) = runs.get(&spec.name) else {
                continue;
            };
            // The latest run begun by this moment.
            let Some(run) = by_run
                .values()
                .rfind(|segs| segs.first().is_some_and(|s| s.started_at <= t))
            else {
                continue;
            };
            let at_t: Vec<Segment> = run
                .iter()
                .filter(|s| s.started_at <= t)
                .map(|s| Segment {
                    start: s.started_at,
                    end: s.ended_at.filter(|end| *end <= t),
                    running: s.running,
                })
                .collect();
            let open = at_t.last().is_some_and(|s| s.end.is_none());
            if !open {
                continue;
            }
            let r = calendar::read(&cal, spec.limit_days, spec.day_type, &at_t, t);
            clocks.push(ClockAt {
                name: spec.name.clone(),
                running: r.running,
                used_days: r.used_days,
                remaining_days: r.remaining_days,
                due: r.due,
            });
        }
        out.push(TimelineEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            roles: serde_json::from_str(&e.roles).unwrap_or_default(),
            action: e.action,
            from: e.from_state,
            to: e.to_state,
            comment: e.comment,
            payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
            documents: e
                .documents
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default(),
            clocks,
            hash: e.hash,
        });
    }
    Ok(out)
}
