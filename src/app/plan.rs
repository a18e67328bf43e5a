//! A decided transition's writes, as data. [`transition`] is pure: given the case, its clocks,
//! the engine's decision and the moment, it answers every row the transition writes (the case's
//! new state, the audit entry, the clock segments, rows and timers, the siting check) and the
//! case as it will be. The store writes a plan, or a batch of them, in a fixed handful of
//! statements (`store::plan`). [`Plan::describe`] lists the writes; tests snapshot it, so that
//! what each action writes is visible in review.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::audit::audit_row;
use super::clocks::{self, CaseClocks, ClockPlan, FiredWarnings};
use super::{App, AppError};
use crate::domain::audit::AuditRecord;
use crate::domain::calendar::Calendar;
use crate::engine::{Actor, Definition, Effect, Step, Transition};
use crate::store::audit::AuditRow;
use crate::store::cases::CaseRow;

pub use crate::store::cases::CaseWrite;

/// Every row one transition writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub case: CaseWrite,
    pub audit: AuditRow,
    pub clocks: ClockPlan,
    /// The waterfront siting check of an EIA case leaving its draft, kept with the case.
    pub siting: Option<crate::domain::siting::Check>,
}

/// A plan, with what the caller needs after writing it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    /// The case as it is once the plan is written.
    pub updated: CaseRow,
    /// The steps the rules look at, this one added.
    pub history: Vec<Step>,
    /// The audit entry before it was chained: a public notice adds its content to it and chains
    /// it again with [`Planned::add_facts`], before anything is written.
    pub(crate) record: AuditRecord,
    prev_hash: String,
}

/// What [`transition`] plans from.
pub struct Input<'a> {
    pub def: &'a Definition,
    pub row: &'a CaseRow,
    pub history: Vec<Step>,
    pub actor: &'a Actor,
    pub transition: &'a Transition,
    pub audit_payload: Value,
    pub comment: Option<String>,
    pub relied_on: Vec<Value>,
    pub now: DateTime<Utc>,
    pub clocks: &'a mut CaseClocks,
    pub fired: &'a FiredWarnings,
    pub cal: &'a Calendar,
    /// What the transition's registry and auction effects did, planned before it (a seed's
    /// hash, a clearing, a settlement): part of the audit entry, hashed with it.
    pub facts: serde_json::Map<String, Value>,
}

/// Plans a decided transition. Pure, but for `app`'s siting data (read-only).
pub fn transition(app: &App, input: Input<'_>) -> Result<Planned, AppError> {
    let Input {
        def,
        row,
        mut history,
        actor,
        transition,
        audit_payload,
        comment,
        relied_on,
        now,
        clocks: case_clocks,
        fired,
        cal,
        facts,
    } = input;
    let new_data = transition.effects.iter().find_map(|e| match e {
        Effect::ReplaceData(d) => Some(d.clone()),
        _ => None,
    });
    let data = new_data.as_ref().unwrap_or(&row.data);
    let leaves_initial =
        transition.from == def.states[def.initial].name && transition.to != transition.from;
    // An EIA case leaving its draft is checked against the waterfront siting rules; the result
    // is kept with the case and in this entry.
    let siting = (leaves_initial
        && matches!(
            def.data,
            Some(crate::engine::DataSchema::EiaProject | crate::engine::DataSchema::Planning)
        ))
    .then(|| super::siting::check_case(app, data))
    .flatten();
    let payload = with_facts(with_siting(audit_payload, siting.as_ref())?, facts);
    let record = entry(
        row,
        actor,
        transition,
        payload.clone(),
        comment,
        relied_on,
        now,
    );
    let hash = record.chain_hash(&row.audit_head);
    let title = new_data.as_ref().and_then(title_of);
    let submitted_at = (leaves_initial && row.submitted_at.is_none()).then_some(now);
    let clock_plan = clocks::plan(
        def,
        row.id,
        &transition.to,
        case_clocks,
        &transition.effects,
        data,
        cal,
        now,
        fired,
    )?;

    history.push(Step {
        action: transition.action.clone(),
        actor: actor.subject.clone(),
        at: now,
        payload,
    });
    let case = CaseWrite {
        id: row.id,
        expected_version: row.version,
        state: transition.to.clone(),
        data: new_data,
        title,
        submitted_at,
        audit_head: hash.clone(),
        at: now,
    };
    Ok(Planned {
        updated: written(row, &case),
        plan: Plan {
            case,
            audit: audit_row(&record, &row.audit_head, &hash),
            clocks: clock_plan,
            siting,
        },
        history,
        record,
        prev_hash: row.audit_head.clone(),
    })
}

/// The case as it is once `w` is written.
fn written(row: &CaseRow, w: &CaseWrite) -> CaseRow {
    let mut updated = row.clone();
    updated.state = w.state.clone();
    updated.version = w.expected_version + 1;
    updated.audit_head = w.audit_head.clone();
    updated.updated_at = w.at;
    if let Some(d) = &w.data {
        updated.data = d.clone();
    }
    if w.title.is_some() {
        updated.title = w.title.clone();
    }
    if w.submitted_at.is_some() {
        updated.submitted_at = w.submitted_at;
    }
    updated
}

/// The audit payload with the siting check's facts in it.
fn with_siting(
    mut payload: Value,
    siting: Option<&crate::domain::siting::Check>,
) -> Result<Value, AppError> {
    if let Some(check) = siting {
        let facts = serde_json::to_value(check).map_err(|e| AppError::Unexpected(e.into()))?;
        match &mut payload {
            Value::Object(p) => {
                p.insert("siting".into(), facts);
            }
            other => *other = serde_json::json!({ "siting": facts }),
        }
    }
    Ok(payload)
}

/// The audit payload with an effect's facts in it.
fn with_facts(mut payload: Value, facts: serde_json::Map<String, Value>) -> Value {
    if facts.is_empty() {
        return payload;
    }
    match &mut payload {
        Value::Object(p) => p.extend(facts),
        other => *other = Value::Object(facts),
    }
    payload
}

/// The audit entry a transition of `row` writes.
fn entry(
    row: &CaseRow,
    actor: &Actor,
    transition: &Transition,
    payload: Value,
    comment: Option<String>,
    documents: Vec<Value>,
    now: DateTime<Utc>,
) -> AuditRecord {
    AuditRecord {
        case_id: row.id,
        seq: row.version + 1,
        actor: actor.subject.clone(),
        actor_org: actor.org.clone(),
        address: actor.address.clone(),
        roles: if actor.system {
            vec!["system".into()]
        } else {
            actor.roles.names()
        },
        action: transition.action.clone(),
        from_state: transition.from.clone(),
        to_state: transition.to.clone(),
        payload,
        comment,
        at: now,
        documents,
    }
}

impl Planned {
    /// Adds facts decided after the plan (a public notice's content) to the audit entry, and
    /// chains it again. Answers the new hash, which the case's update carries.
    pub fn add_facts(&mut self, facts: serde_json::Map<String, Value>) -> String {
        match &mut self.record.payload {
            Value::Object(p) => p.extend(facts),
            other => *other = Value::Object(facts),
        }
        let hash = self.record.chain_hash(&self.prev_hash);
        self.plan.audit = audit_row(&self.record, &self.prev_hash, &hash);
        self.plan.case.audit_head = hash.clone();
        self.updated.audit_head = hash.clone();
        if let Some(step) = self.history.last_mut() {
            step.payload = self.record.payload.clone();
        }
        hash
    }
}

impl Plan {
    /// The rows besides the case update, for `store::plan::write`.
    pub fn rows(self) -> Result<crate::store::plan::Rows, AppError> {
        let mut rows = crate::store::plan::Rows::default();
        self.add_to(&mut rows)?;
        Ok(rows)
    }

    /// Adds this plan's rows (besides the case update) to a batch.
    pub fn add_to(self, rows: &mut crate::store::plan::Rows) -> Result<(), AppError> {
        if let Some(check) = &self.siting {
            let text = serde_json::to_string(check).map_err(|e| AppError::Unexpected(e.into()))?;
            rows.sitings.push((self.case.id, text, self.case.at));
        }
        rows.audits.push(self.audit);
        rows.clocks.extend(self.clocks);
        Ok(())
    }

    /// The writes, one per line, with ids and times left out: what a reviewer reads.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let c = &self.case;
        let mut set = vec![format!("state = {}", c.state), "version + 1".into()];
        if c.data.is_some() {
            set.push("data".into());
        }
        if c.title.is_some() {
            set.push("title".into());
        }
        if c.submitted_at.is_some() {
            set.push("submitted_at".into());
        }
        out.push(format!(
            "update case where version = {}: {}",
            c.expected_version,
            set.join(", ")
        ));
        out.push(format!(
            "insert audit entry {}: {} {} -> {}",
            self.audit.seq, self.audit.action, self.audit.from_state, self.audit.to_state
        ));
        if self.siting.is_some() {
            out.push("insert siting check".into());
        }
        let w = &self.clocks;
        for s in &w.open {
            out.push(format!(
                "open segment of {} run {} ({})",
                s.clock,
                s.run,
                if s.running { "running" } else { "paused" }
            ));
        }
        if !w.close.is_empty() {
            out.push(format!("close {} segment(s)", w.close.len()));
        }
        for (_, clock) in &w.cancel {
            out.push(format!("cancel pending timers of {clock}"));
        }
        for r in &w.rows {
            out.push(format!(
                "write clock {} run {}: {}, due {}",
                r.clock,
                r.run,
                r.status,
                r.due_date.as_deref().unwrap_or("-")
            ));
        }
        for t in &w.timers {
            out.push(format!(
                "add timer {} {} {}{}",
                t.clock,
                t.kind,
                t.due_at.format("%Y-%m-%d %H:%M"),
                t.fraction.map(|f| format!(" at {f}")).unwrap_or_default()
            ));
        }
        out
    }
}

/// The name search looks in: a project's or a plan's.
pub(crate) fn title_of(data: &Value) -> Option<String> {
    ["project_name", "plan_name"]
        .iter()
        .find_map(|f| data.get(*f).and_then(Value::as_str))
        .map(str::to_string)
}
