//! Deciding one action: who may fire what, from where, with which payload, and what follows.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::definition::{
    Action, ClockStatus, DataSchema, Definition, FieldKind, Guard, PanelRule, StateId,
};
use crate::domain::project::{ConsultationData, PlanData, ProjectData, RereviewData};
use crate::domain::{FieldErrors, Msg, RoleSet};
use crate::msg;

/// Who is acting: a person with roles in an organisation, or the system firing a deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub org: String,
    pub roles: RoleSet,
    pub system: bool,
    /// The address the person's request came from, recorded beside their audit entries.
    pub address: Option<String>,
}

impl Actor {
    pub fn person(subject: impl Into<String>, org: impl Into<String>, roles: RoleSet) -> Actor {
        Actor {
            subject: subject.into(),
            org: org.into(),
            roles,
            system: false,
            address: None,
        }
    }

    /// The same person, acting from `address`.
    pub fn from_address(self, address: impl Into<String>) -> Actor {
        Actor {
            address: Some(address.into()),
            ..self
        }
    }

    /// The system actor that fires deadlines.
    pub fn system() -> Actor {
        Actor {
            subject: "system".into(),
            org: String::new(),
            roles: RoleSet::default(),
            system: true,
            address: None,
        }
    }
}

/// One earlier action on the case: enough for the four-eyes rule and for backdating clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The payload the action carried (panel votes and appointments are read from it).
    pub payload: Value,
}

/// The case as the engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct CaseView<'a> {
    pub state: &'a str,
    pub data: &'a Value,
    pub history: &'a [Step],
}

/// What an accepted action does, as data for the app layer to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A clock changes status, as of `at`: from stopped to running starts a new run; from paused
    /// to running resumes; running to paused stops the clock but keeps the days used.
    Clock {
        clock: String,
        from: ClockStatus,
        to: ClockStatus,
        at: DateTime<Utc>,
    },
    /// The case data is replaced by this (already validated) value.
    ReplaceData(Value),
    /// Tell the people holding these roles on the case, with this template.
    Notify { kind: String, roles: RoleSet },
    /// Issue the case a reference number with this prefix (a filing receipt).
    IssueReference { prefix: String },
    /// Move the lot's rights on the registry.
    Ledger(super::definition::LedgerOp),
    /// Build or update a business licence's checklist (the app layer fills it in).
    Checklist(super::definition::ChecklistOp),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub action: String,
    pub from: String,
    pub to: String,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    #[error("the case is in state `{state}`, which workflow {workflow} does not define")]
    UnknownState { workflow: String, state: String },
    #[error("action `{action}` is not available in state `{state}`")]
    NotAllowed { state: String, action: String },
    #[error("action `{action}` needs one of the roles: {}", .allowed.join(", "))]
    Forbidden {
        action: String,
        allowed: Vec<String>,
    },
    #[error(
        "the actor of `{action}` must differ from whoever did `{earlier_action}` on this case"
    )]
    SameActor {
        action: String,
        earlier_action: String,
    },
    #[error("invalid payload: {0}")]
    InvalidPayload(FieldErrors),
    #[error("action `{action}` cannot be taken yet: {reason}")]
    NotYet { action: String, reason: Msg },
}

fn current_state(def: &Definition, state: &str) -> Result<StateId, TransitionError> {
    def.state_id(state)
        .ok_or_else(|| TransitionError::UnknownState {
            workflow: format!("{} v{}", def.key, def.version),
            state: state.to_string(),
        })
}

/// Checks who may fire `action`: the role, or the system for a deadline, and the four-eyes rule.
fn check_actor(action: &Action, actor: &Actor, history: &[Step]) -> Result<(), TransitionError> {
    let permitted = if actor.system {
        action.by_deadline || action.automatic
    } else {
        action.roles.intersects(actor.roles)
    };
    if !permitted {
        let mut allowed = action.roles.names();
        if action.by_deadline {
            allowed.push("system".into());
        }
        return Err(TransitionError::Forbidden {
            action: action.name.clone(),
            allowed,
        });
    }
    if !actor.system {
        for earlier in &action.distinct_from {
            if history
                .iter()
                .any(|s| &s.action == earlier && s.actor == actor.subject)
            {
                return Err(TransitionError::SameActor {
                    action: action.name.clone(),
                    earlier_action: earlier.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A review panel's state, read from the case's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelState {
    pub members: Vec<String>,
    pub approvals: usize,
    pub rejections: usize,
    pub voted: Vec<String>,
}

/// The members of the latest appointment and their votes since.
pub fn panel_state(def: &Definition, history: &[Step]) -> Option<PanelState> {
    let panel = def.panel.as_ref()?;
    let appointed = history.iter().rposition(|s| s.action == panel.appoint)?;
    let members: Vec<String> = history[appointed]
        .payload
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.as_str().map(|s| s.trim().to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    let mut state = PanelState {
        members,
        ..PanelState::default()
    };
    for step in &history[appointed + 1..] {
        if step.action == panel.vote && !state.voted.contains(&step.actor) {
            match step.payload.get("vote").and_then(Value::as_str) {
                Some("approve") => state.approvals += 1,
                Some("reject") => state.rejections += 1,
                _ => continue,
            }
            state.voted.push(step.actor.clone());
        }
    }
    Some(state)
}

impl PanelState {
    /// `Some(true)` passed, `Some(false)` not passed, `None` not decided yet.
    pub fn outcome(&self, rule: PanelRule) -> Option<bool> {
        let n = self.members.len();
        match rule {
            PanelRule::Majority if self.approvals * 2 > n => Some(true),
            PanelRule::Majority if self.rejections * 2 >= n => Some(false),
            PanelRule::Majority => None,
            PanelRule::Unanimous if self.voted.len() < n => None,
            PanelRule::Unanimous => Some(self.approvals == n),
        }
    }
}

/// Checks what an action needs besides roles: a panel member's single vote, a panel's outcome.
fn check_conditions(
    def: &Definition,
    action: &Action,
    actor: &Actor,
    case: CaseView<'_>,
) -> Result<(), TransitionError> {
    let history = case.history;
    let not_yet = |reason: Msg| TransitionError::NotYet {
        action: action.name.clone(),
        reason,
    };
    if action.guard == Some(Guard::ChecklistComplete) {
        let open: Vec<&str> = case
            .data
            .get("checklist")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter(|i| i.get("satisfied_by").is_none_or(Value::is_null))
                    .filter_map(|i| i.get("code").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        if !open.is_empty() {
            return Err(not_yet(msg!(
                "err-checklist-open",
                count = open.len(),
                items = open.join(", ")
            )));
        }
    }
    if let Some(panel) = &def.panel {
        if action.name == panel.vote {
            let state = panel_state(def, history).ok_or_else(|| not_yet(msg!("err-no-panel")))?;
            if !state.members.contains(&actor.subject.to_lowercase()) {
                return Err(TransitionError::Forbidden {
                    action: action.name.clone(),
                    allowed: vec!["a member of the panel".into()],
                });
            }
            if state.voted.contains(&actor.subject) {
                return Err(not_yet(msg!("err-already-voted")));
            }
        }
        if let Some(guard) = action.guard.filter(|g| *g != Guard::ChecklistComplete) {
            let state = panel_state(def, history).ok_or_else(|| not_yet(msg!("err-no-panel")))?;
            let wanted = guard == Guard::PanelPassed;
            if state.outcome(panel.rule) != Some(wanted) {
                return Err(not_yet(msg!(
                    "err-panel-not-decided",
                    wanted = if wanted { "passed" } else { "rejected" },
                    approvals = state.approvals,
                    members = state.members.len(),
                    rejections = state.rejections
                )));
            }
        }
    }
    Ok(())
}

/// Decides `action` on `case` by `actor` at `now`. Pure: the same inputs give the same answer.
pub fn decide(
    def: &Definition,
    case: CaseView<'_>,
    actor: &Actor,
    action: &str,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<Transition, TransitionError> {
    let from = current_state(def, case.state)?;
    let Some(spec) = def.action_from(from, action) else {
        return Err(TransitionError::NotAllowed {
            state: case.state.to_string(),
            action: action.to_string(),
        });
    };
    check_actor(spec, actor, case.history)?;
    let data_patch = check_payload(spec, payload).map_err(TransitionError::InvalidPayload)?;
    check_conditions(def, spec, actor, case)?;
    check_panel_size(def, spec, payload)?;

    let mut effects = Vec::new();
    if spec.edits_data {
        let mut data = case.data.as_object().cloned().unwrap_or_default();
        if let Some(patch) = data_patch {
            for (k, v) in patch {
                data.insert(k, v);
            }
        }
        let data = Value::Object(data);
        validate_new_case(def, &data).map_err(TransitionError::InvalidPayload)?;
        effects.push(Effect::ReplaceData(data));
    }
    let to = spec.to.unwrap_or(from);
    if to != from {
        clock_changes(def, spec, case.history, from, to, now, &mut effects);
    }
    restarts(def, spec, from, to, now, &mut effects);
    if let Some(op) = spec.ledger {
        effects.push(Effect::Ledger(op));
    }
    if let Some(op) = spec.checklist {
        effects.push(Effect::Checklist(op));
    }
    if let Some(prefix) = &spec.reference {
        effects.push(Effect::IssueReference {
            prefix: prefix.clone(),
        });
    }
    if let Some(n) = &spec.notify {
        effects.push(Effect::Notify {
            kind: n.kind.clone(),
            roles: n.roles,
        });
    }
    Ok(Transition {
        action: spec.name.clone(),
        from: def.states[from].name.clone(),
        to: def.states[to].name.clone(),
        effects,
    })
}

/// The panel's appointment names at least its minimum of members.
fn check_panel_size(
    def: &Definition,
    spec: &Action,
    payload: &Value,
) -> Result<(), TransitionError> {
    let Some(panel) = def.panel.as_ref().filter(|p| spec.name == p.appoint) else {
        return Ok(());
    };
    let n = payload
        .get("members")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if n < panel.min_members {
        let mut e = FieldErrors::default();
        e.add("members", msg!("err-panel-size", min = panel.min_members));
        return Err(TransitionError::InvalidPayload(e));
    }
    Ok(())
}

/// The clocks whose status differs between the two states start, pause, resume or stop. Some
/// clocks started by this action may count from an earlier action (deemed acceptance).
fn clock_changes(
    def: &Definition,
    spec: &Action,
    history: &[Step],
    from: StateId,
    to: StateId,
    now: DateTime<Utc>,
    effects: &mut Vec<Effect>,
) {
    let backdated = spec.backdate.as_ref().and_then(|b| {
        let at = history
            .iter()
            .rev()
            .find(|s| b.to_latest_of.contains(&s.action))?
            .at;
        Some((&b.clocks, at))
    });
    let change =
        |clock: &str, from: ClockStatus, to: ClockStatus, at: DateTime<Utc>| Effect::Clock {
            clock: clock.to_string(),
            from,
            to,
            at,
        };
    let (before, after) = (&def.states[from].clocks, &def.states[to].clocks);
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        if b == a {
            continue;
        }
        let name = &def.clocks[i].name;
        match backdated {
            // A backdated clock counts from the earlier action; one that the new state pauses
            // ran until now (the time before counts), and pauses now.
            Some((clocks, at)) if *b == ClockStatus::Stopped && clocks.contains(name) => {
                if *a == ClockStatus::Paused {
                    effects.push(change(name, ClockStatus::Stopped, ClockStatus::Running, at));
                    effects.push(change(name, ClockStatus::Running, ClockStatus::Paused, now));
                } else {
                    effects.push(change(name, *b, *a, at));
                }
            }
            _ => effects.push(change(name, *b, *a, now)),
        }
    }
}

/// A restarted clock ends its run and starts a new one (it runs before and after).
fn restarts(
    def: &Definition,
    spec: &Action,
    from: StateId,
    to: StateId,
    now: DateTime<Utc>,
    effects: &mut Vec<Effect>,
) {
    for name in &spec.restarts {
        if let Some(i) = def.clocks.iter().position(|c| &c.name == name) {
            let (b, a) = (def.states[from].clocks[i], def.states[to].clocks[i]);
            if b == a && a != ClockStatus::Stopped {
                effects.push(Effect::Clock {
                    clock: name.clone(),
                    from: b,
                    to: ClockStatus::Stopped,
                    at: now,
                });
                effects.push(Effect::Clock {
                    clock: name.clone(),
                    from: ClockStatus::Stopped,
                    to: a,
                    at: now,
                });
            }
        }
    }
}

/// The actions `actor` may fire now (role and four-eyes checked; payload not).
pub fn allowed_actions<'d>(def: &'d Definition, case: CaseView<'_>, actor: &Actor) -> Vec<&'d str> {
    let Ok(state) = current_state(def, case.state) else {
        return Vec::new();
    };
    def.states[state]
        .actions
        .iter()
        .map(|id| &def.actions[*id])
        .filter(|a| check_actor(a, actor, case.history).is_ok())
        .filter(|a| check_conditions(def, a, actor, case).is_ok())
        .map(|a| a.name.as_str())
        .collect()
}

/// Validates case data against the workflow's schema and its `requires` (a report workflow
/// takes only `category = "report"`).
pub fn validate_new_case(def: &Definition, data: &Value) -> Result<(), FieldErrors> {
    match def.data {
        Some(schema) => validate_data(schema, data)?,
        None if data.is_object() => {}
        None => {
            let mut e = FieldErrors::default();
            e.add("data", msg!("err-not-an-object"));
            return Err(e);
        }
    }
    let mut errors = FieldErrors::default();
    for (field, wanted) in &def.requires {
        if data.get(field).and_then(Value::as_str) != Some(wanted.as_str()) {
            errors.add(
                field.clone(),
                msg!("err-workflow-takes-only", category = wanted),
            );
        }
    }
    errors.into_result()
}

fn validate_data(schema: DataSchema, data: &Value) -> Result<(), FieldErrors> {
    match schema {
        DataSchema::EiaProject => ProjectData::parse(data).map(|_| ()),
        DataSchema::Planning => PlanData::parse(data).map(|_| ()),
        DataSchema::Consultation => ConsultationData::parse(data).map(|_| ()),
        DataSchema::Rereview => RereviewData::parse(data).map(|_| ()),
        DataSchema::Lot => crate::domain::ledger::LotData::parse(data).map(|_| ()),
        DataSchema::AuctionLot => crate::domain::ledger::AuctionTerms::parse(data).map(|_| ()),
        DataSchema::BusinessLicence => crate::domain::project::LicenceData::parse(data).map(|_| ()),
    }
}

/// Checks the payload against the action's fields. For an action that edits the case data,
/// the fields it does not declare are returned as the patch to the data.
fn check_payload(
    action: &Action,
    payload: &Value,
) -> Result<Option<Map<String, Value>>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let empty = Map::new();
    let map = match payload {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            errors.add("data", msg!("err-not-an-object"));
            return Err(errors);
        }
    };
    for (name, spec) in &action.payload {
        let Some(value) = map.get(name) else {
            if spec.required {
                errors.add(name.clone(), msg!("err-required"));
            }
            continue;
        };
        match spec.kind {
            FieldKind::Text => match value.as_str() {
                Some(s) if !s.trim().is_empty() => {
                    if !spec.allowed.is_empty() && !spec.allowed.iter().any(|a| a == s) {
                        errors.add(
                            name.clone(),
                            msg!("err-one-of", options = spec.allowed.join(", ")),
                        );
                    }
                }
                _ => errors.add(name.clone(), msg!("err-empty")),
            },
            FieldKind::List => match value.as_array() {
                Some(items) => {
                    if items.len() < spec.min_items {
                        errors.add(
                            name.clone(),
                            msg!("err-at-least-items", min = spec.min_items),
                        );
                    }
                    for item in items {
                        match item.as_str() {
                            Some(s) if !s.trim().is_empty() => {
                                if !spec.allowed.is_empty() && !spec.allowed.iter().any(|a| a == s)
                                {
                                    errors.add(
                                        name.clone(),
                                        msg!("err-one-of", options = spec.allowed.join(", ")),
                                    );
                                }
                            }
                            _ => errors.add(name.clone(), msg!("err-list-of-non-empty")),
                        }
                    }
                }
                None => errors.add(name.clone(), msg!("err-list-of-strings")),
            },
            FieldKind::Integer => {
                if value.as_i64().is_none() {
                    errors.add(name.clone(), msg!("err-whole-number"));
                }
            }
            FieldKind::Boolean => {
                if !value.is_boolean() {
                    errors.add(name.clone(), msg!("err-boolean"));
                }
            }
        }
    }
    let mut patch = Map::new();
    for (key, value) in map {
        if action.payload.iter().any(|(n, _)| n == key) {
            continue;
        }
        if action.edits_data {
            patch.insert(key.clone(), value.clone());
        } else {
            errors.add(key.clone(), msg!("err-unknown-field"));
        }
    }
    errors.into_result()?;
    Ok(action.edits_data.then_some(patch))
}
