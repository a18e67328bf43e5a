//! Cases: create, act, read, list, history.

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::clocks::{self, CaseClocks, ClockView};
use super::directory::{self, Access};
use super::{App, AppError};
use crate::domain::audit::{canonical_json, to_micros, AuditRecord, GENESIS};
use crate::domain::calendar::Calendar;
use crate::domain::FieldErrors;
use crate::engine::{self, Actor, CaseView, Definition, Effect, Step, Transition, TransitionError};
use crate::store;
use crate::store::audit::AuditRow;
use crate::store::cases::CaseRow;

/// A case as its caller sees it. Also what an `Idempotency-Key` replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSnapshot {
    pub id: Uuid,
    pub workflow: String,
    pub workflow_version: u32,
    pub state: String,
    pub terminal: bool,
    pub version: i64,
    pub org: String,
    pub data: Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A reference number issued to the case (a filing receipt), if any.
    pub reference: Option<String>,
    /// When the case first left its initial state.
    pub submitted_at: Option<DateTime<Utc>>,
    /// What this caller may fire now.
    pub allowed_actions: Vec<String>,
    /// Every clock the workflow declares, read now.
    pub clocks: Vec<ClockView>,
    /// The waterfront siting check made when an EIA case was submitted (read one case for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siting: Option<crate::domain::siting::Check>,
}

/// One audit entry as shown in a case's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub seq: i64,
    pub actor: String,
    pub actor_org: String,
    pub roles: Vec<String>,
    pub action: String,
    pub from: String,
    pub to: String,
    pub payload: Value,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

pub use super::idempotency::Idempotency;
use super::idempotency::{finish, replay};

#[derive(Debug, Clone)]
pub struct FireRequest {
    pub expected_version: i64,
    pub comment: Option<String>,
    pub payload: Value,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

pub const MAX_PER_PAGE: u64 = 200;
/// The highest page number a list answers (far beyond any real list; it bounds the offset).
pub const MAX_PAGE: u64 = 1_000_000;
const MAX_COMMENT_CHARS: usize = 4000;
/// The pseudo-action that opens a case's audit chain.
pub const CREATE_ACTION: &str = "create";

fn snapshot(
    def: &Definition,
    row: CaseRow,
    history: &[Step],
    actor: Option<&Actor>,
    clocks: Vec<ClockView>,
) -> CaseSnapshot {
    let view = CaseView {
        state: &row.state,
        data: &row.data,
        history,
    };
    // List items have no caller's view: their allowed actions are left empty.
    let allowed_actions = actor.map_or_else(Vec::new, |actor| {
        engine::allowed_actions(def, view, actor)
            .into_iter()
            .map(str::to_string)
            .collect()
    });
    let terminal = def
        .state_id(&row.state)
        .is_some_and(|s| def.state(s).terminal);
    CaseSnapshot {
        id: row.id,
        workflow: row.workflow_key,
        workflow_version: u32::try_from(row.workflow_version).unwrap_or_default(),
        state: row.state,
        terminal,
        version: row.version,
        org: row.org,
        data: row.data,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        reference: row.reference,
        submitted_at: row.submitted_at,
        allowed_actions,
        clocks,
        siting: None,
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

/// The name search looks in: a project's or a plan's.
pub(crate) fn title_of(data: &Value) -> Option<String> {
    ["project_name", "plan_name"]
        .iter()
        .find_map(|f| data.get(*f).and_then(Value::as_str))
        .map(str::to_string)
}

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
    }
}

pub(crate) fn definition_of(
    app: &App,
    row: &CaseRow,
) -> Result<std::sync::Arc<Definition>, AppError> {
    let version = u32::try_from(row.workflow_version).unwrap_or_default();
    app.workflows
        .get(&row.workflow_key, version)
        .ok_or_else(|| {
            AppError::Unexpected(anyhow::anyhow!(
                "case {} uses workflow {} v{}, which is not deployed",
                row.id,
                row.workflow_key,
                version
            ))
        })
}

/// The steps of a case's history that `def`'s rules look at (see `Definition::looked_at`): one
/// query, or none, however long the history.
pub(crate) async fn history_steps(
    db: &impl sea_orm::ConnectionTrait,
    def: &Definition,
    case_id: Uuid,
) -> Result<Vec<Step>, AppError> {
    Ok(store::audit::steps(db, case_id, &def.looked_at)
        .await?
        .into_iter()
        .map(|(action, actor, at, payload)| Step {
            action,
            actor,
            at,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
        })
        .collect())
}

/// The steps each case's rules look at, for many cases in one query.
pub(crate) async fn history_steps_of(
    db: &impl sea_orm::ConnectionTrait,
    cases: &[(Uuid, &Definition)],
) -> Result<std::collections::HashMap<Uuid, Vec<Step>>, AppError> {
    let mut actions: Vec<String> = cases
        .iter()
        .flat_map(|(_, d)| d.looked_at.iter().cloned())
        .collect();
    actions.sort();
    actions.dedup();
    let ids: Vec<Uuid> = cases
        .iter()
        .filter(|(_, d)| !d.looked_at.is_empty())
        .map(|(id, _)| *id)
        .collect();
    let mut out: std::collections::HashMap<Uuid, Vec<Step>> = Default::default();
    for (case_id, action, actor, at, payload) in
        store::audit::steps_of_cases(db, &ids, &actions).await?
    {
        out.entry(case_id).or_default().push(Step {
            action,
            actor,
            at,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
        });
    }
    Ok(out)
}

fn check_comment(comment: Option<&str>) -> Result<(), AppError> {
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        let mut e = FieldErrors::default();
        e.add("comment", format!("at most {MAX_COMMENT_CHARS} characters"));
        return Err(AppError::Validation(e));
    }
    Ok(())
}

/// Checks case data for a new case of `workflow` without opening it (a form that could not
/// even be read reports the rest of its problems with this).
pub fn check_new_case(app: &App, workflow: &str, data: &Value) -> Result<(), AppError> {
    let def = app
        .workflows
        .newest(workflow)
        .ok_or_else(|| AppError::UnknownWorkflow(workflow.to_string()))?;
    engine::validate_new_case(&def, data).map_err(AppError::Validation)
}

/// Opens a case on the newest version of `workflow`, owned by the actor's organisation, or by
/// `on_behalf_of` for an agency that enterprise has granted access.
pub async fn create_case(
    app: &App,
    actor: &Actor,
    workflow: &str,
    data: Value,
    on_behalf_of: Option<&str>,
    idem: Option<&Idempotency>,
) -> Result<CaseSnapshot, AppError> {
    if let Some(done) = replay(app, actor, idem).await? {
        return Ok(done);
    }
    let def = app
        .workflows
        .newest(workflow)
        .ok_or_else(|| AppError::UnknownWorkflow(workflow.to_string()))?;
    if actor.system || !actor.roles.intersects(def.create_roles) {
        return Err(TransitionError::Forbidden {
            action: CREATE_ACTION.into(),
            allowed: def.create_roles.names(),
        }
        .into());
    }
    let org = match on_behalf_of {
        None => actor.org.clone(),
        Some(o) if o == actor.org => actor.org.clone(),
        Some(o) => {
            let granted = actor.roles.contains(crate::domain::Role::Agency)
                && directory::access(&app.db, actor).await?.covers(o);
            if !granted {
                return Err(AppError::Forbidden(format!(
                    "an agency that `{o}` has granted access"
                )));
            }
            o.to_string()
        }
    };
    engine::validate_new_case(&def, &data).map_err(AppError::Validation)?;
    if def.data == Some(crate::engine::DataSchema::BusinessLicence) {
        super::licence::refuse_checklist_input(&data)?;
    }
    super::links::check(&app.db, &org, &data).await?;
    if def.data == Some(crate::engine::DataSchema::Lot) {
        super::registry::check_lot(&app.db, &org, &data).await?;
    }

    let now = to_micros(app.clock.now());
    let id = Uuid::now_v7();
    let initial = def.states[def.initial].name.clone();
    let data_for_title = data.clone();
    let record = AuditRecord {
        case_id: id,
        seq: 1,
        actor: actor.subject.clone(),
        actor_org: actor.org.clone(),
        roles: actor.roles.names(),
        action: CREATE_ACTION.into(),
        from_state: String::new(),
        to_state: initial.clone(),
        payload: data.clone(),
        comment: None,
        at: now,
        documents: Vec::new(),
    };
    let hash = record.chain_hash(GENESIS);
    let row = CaseRow {
        id,
        workflow_key: def.key.clone(),
        workflow_version: def.version as i32,
        state: initial,
        version: 1,
        org,
        data,
        audit_head: hash.clone(),
        created_by: actor.subject.clone(),
        created_at: now,
        updated_at: now,
        reference: None,
        title: title_of(&data_for_title),
        submitted_at: None,
    };
    let history = [Step {
        action: CREATE_ACTION.into(),
        actor: actor.subject.clone(),
        at: now,
        payload: Value::Null,
    }];
    let readings = clocks::readings(&def, &CaseClocks::default(), &app.calendar.get(), now);
    let response = snapshot(&def, row.clone(), &history, Some(actor), readings);

    let tx = app.db.begin().await?;
    store::cases::insert(&tx, row).await?;
    store::audit::append(&tx, audit_row(&record, GENESIS, &hash)).await?;
    finish(app, tx, actor, idem, response, now).await
}

/// Loads a case the actor may see, or answers NotFound (also for another organisation's case,
/// and for an enterprise that has not granted this agency access).
pub(crate) async fn load_visible(app: &App, actor: &Actor, id: Uuid) -> Result<CaseRow, AppError> {
    let row = store::cases::find(&app.db, id).await?;
    match row {
        Some(row) if directory::access(&app.db, actor).await?.covers(&row.org) => Ok(row),
        _ => Err(AppError::NotFound(format!("case {id}"))),
    }
}

/// Fires `action` on a case: load, decide (pure), then update with a version check, append the
/// audit entry and carry out the clock effects in one transaction.
pub async fn fire(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    action: &str,
    request: FireRequest,
    idem: Option<&Idempotency>,
) -> Result<CaseSnapshot, AppError> {
    if let Some(done) = replay(app, actor, idem).await? {
        return Ok(done);
    }
    let Decided {
        row,
        def,
        history,
        mut case_clocks,
        transition,
        payload,
        relied_on,
        cal,
        now,
    } = decide_action(app, actor, case_id, action, &request).await?;

    let tx = app.db.begin().await?;
    let committed = commit_transition(
        app,
        &tx,
        Pending {
            relied_on,
            def: &def,
            row: &row,
            history,
            actor,
            transition: &transition,
            audit_payload: payload,
            comment: request.comment,
            now,
            clocks: &mut case_clocks,
            cal: &cal,
        },
    )
    .await?;
    let Some((updated, history)) = committed else {
        tx.rollback().await?;
        let actual = store::cases::find(&app.db, case_id)
            .await?
            .map_or(row.version, |r| r.version);
        return Err(AppError::Conflict {
            expected: request.expected_version,
            actual,
        });
    };
    let readings = clocks::readings(&def, &case_clocks, &cal, now);
    let response = snapshot(&def, updated, &history, Some(actor), readings);
    finish(app, tx, actor, idem, response, now).await
}

/// An action decided on a loaded case, with what writing it needs.
struct Decided {
    row: CaseRow,
    def: std::sync::Arc<Definition>,
    history: Vec<Step>,
    case_clocks: CaseClocks,
    transition: Transition,
    payload: Value,
    relied_on: Vec<Value>,
    cal: std::sync::Arc<Calendar>,
    now: DateTime<Utc>,
}

/// Loads what an action needs (the case, the steps the rules look at, its clocks, the
/// documents it relies on), checks the version, and asks the engine. Reads only.
async fn decide_action(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    action: &str,
    request: &FireRequest,
) -> Result<Decided, AppError> {
    check_comment(request.comment.as_deref())?;
    let row = load_visible(app, actor, case_id).await?;
    if row.version != request.expected_version {
        return Err(AppError::Conflict {
            expected: request.expected_version,
            actual: row.version,
        });
    }
    let def = definition_of(app, &row)?;
    let history = history_steps(&app.db, &def, case_id).await?;
    let case_clocks = CaseClocks::load(&app.db, case_id).await?;
    let now = to_micros(app.clock.now());
    let payload = match &request.payload {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    let view = CaseView {
        state: &row.state,
        data: &row.data,
        history: &history,
    };
    let mut transition = engine::decide(&def, view, actor, action, &payload, now)?;
    if def.data == Some(crate::engine::DataSchema::BusinessLicence) && spec_edits(&def, action) {
        super::licence::refuse_checklist_input(&payload)?;
    }
    super::licence::prepare(&app.db, &row, &mut transition, &payload, actor, now).await?;
    super::siting::check_refusal(&app.db, case_id, &payload).await?;
    for effect in &transition.effects {
        if let Effect::ReplaceData(data) = effect {
            super::links::check(&app.db, &row.org, data).await?;
            super::classify::check_category(app, &def, data)?;
            if def.data == Some(crate::engine::DataSchema::Lot) {
                super::registry::check_lot(&app.db, &row.org, data).await?;
            }
        }
    }
    let cal = app.calendar.get();
    let relied_on = super::documents::relied_on(&app.db, case_id).await?;
    Ok(Decided {
        row,
        def,
        history,
        case_clocks,
        transition,
        payload,
        relied_on,
        cal,
        now,
    })
}

/// What firing `action` would write, one line per write, without writing anything: for review
/// (the plans of the shipped workflows are snapshot-tested) and for support.
pub async fn plan_of(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    action: &str,
    request: &FireRequest,
) -> Result<Vec<String>, AppError> {
    let Decided {
        row,
        def,
        history,
        mut case_clocks,
        transition,
        payload,
        relied_on,
        cal,
        now,
    } = decide_action(app, actor, case_id, action, request).await?;
    let continued = clocks::continued_with_warnings(&def, &transition.effects);
    let fired = clocks::fired_warnings(&app.db, row.id, &case_clocks, &continued).await?;
    let planned = super::plan::transition(
        app,
        super::plan::Input {
            def: &def,
            row: &row,
            history,
            actor,
            transition: &transition,
            audit_payload: payload,
            comment: request.comment.clone(),
            relied_on,
            now,
            clocks: &mut case_clocks,
            fired: &fired,
            cal: &cal,
        },
    )?;
    let mut lines = planned.plan.describe();
    for e in &transition.effects {
        match e {
            Effect::Notify { kind, roles } => {
                lines.push(format!("notice {kind} to {}", roles.names().join(", ")))
            }
            Effect::Ledger(op) => lines.push(format!("registry movement {op:?}")),
            Effect::IssueReference { prefix } => {
                lines.push(format!("reference number {prefix}-YYYY-NNNNNN"))
            }
            _ => {}
        }
    }
    Ok(lines)
}

/// A decided transition, ready to be written.
pub(crate) struct Pending<'a> {
    /// The documents the action relies on (read before the transaction: an upload changes the
    /// case's version, so the version check covers them).
    pub relied_on: Vec<Value>,
    pub def: &'a Definition,
    pub row: &'a CaseRow,
    pub history: Vec<Step>,
    pub actor: &'a Actor,
    pub transition: &'a Transition,
    pub audit_payload: Value,
    pub comment: Option<String>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub clocks: &'a mut CaseClocks,
    pub cal: &'a Calendar,
}

/// Writes a decided transition inside the caller's transaction: plans it (pure), then the
/// version-checked update first (so that SQLite takes its write lock at once), the effects on
/// other rows that only the transaction can do (registry movements, reference numbers), the
/// plan's rows, the notices, and any automatic follow-up. Answers `None` if the case moved on
/// since it was read.
pub(crate) async fn commit_transition(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    p: Pending<'_>,
) -> Result<Option<(CaseRow, Vec<Step>)>, AppError> {
    let Pending {
        relied_on,
        def,
        row,
        history,
        actor,
        transition,
        audit_payload,
        comment,
        now,
        clocks: case_clocks,
        cal,
    } = p;
    let notice_comment = comment.clone();
    let notice_payload = audit_payload.clone();
    let continued = clocks::continued_with_warnings(def, &transition.effects);
    let fired = if continued.is_empty() {
        clocks::FiredWarnings::new()
    } else {
        clocks::fired_warnings(tx, row.id, case_clocks, &continued).await?
    };
    let mut planned = super::plan::transition(
        app,
        super::plan::Input {
            def,
            row,
            history,
            actor,
            transition,
            audit_payload,
            comment,
            relied_on,
            now,
            clocks: case_clocks,
            fired: &fired,
            cal,
        },
    )?;
    if !store::cases::advance(tx, &planned.plan.case).await? {
        return Ok(None);
    }
    // Registry effects run before the audit entry is written, so that what they did (a seed's
    // hash, a clearing result, a settlement's entry) is part of the hashed entry.
    let after = ledger_effects(
        tx,
        &mut planned,
        row,
        transition,
        &notice_payload,
        actor,
        now,
    )
    .await?;
    for effect in &transition.effects {
        if let Effect::IssueReference { prefix } = effect {
            let year = crate::domain::calendar::local_date(now)
                .format("%Y")
                .to_string();
            let n = store::counters::next(tx, &format!("{prefix}-{year}")).await?;
            let r = format!("{prefix}-{year}-{n:06}");
            store::cases::set_reference(tx, row.id, &r).await?;
            planned.updated.reference = Some(r);
        }
    }
    let super::plan::Planned {
        plan,
        updated,
        history,
        ..
    } = planned;
    store::plan::write(tx, plan.rows()?).await?;
    notices(
        app,
        tx,
        def,
        &updated,
        actor,
        transition,
        notice_comment.as_deref(),
        &notice_payload,
        &after,
        case_clocks,
        cal,
        now,
    )
    .await?;
    if let Some(next) = after.follow_up {
        // An automatic action the registry called for, in the same transaction.
        let system = Actor::system();
        let view = CaseView {
            state: &updated.state,
            data: &updated.data,
            history: &history,
        };
        let follow = engine::decide(def, view, &system, next, &serde_json::json!({}), now)?;
        return Box::pin(commit_transition(
            app,
            tx,
            Pending {
                relied_on: Vec::new(),
                def,
                row: &updated,
                history: history.clone(),
                actor: &system,
                transition: &follow,
                audit_payload: serde_json::json!({"after": transition.action}),
                comment: None,
                now,
                clocks: case_clocks,
                cal,
            },
        ))
        .await;
    }
    Ok(Some((updated, history)))
}

/// Runs the transition's registry movements and adds what they did to the planned entry.
async fn ledger_effects(
    tx: &impl sea_orm::ConnectionTrait,
    planned: &mut super::plan::Planned,
    row: &CaseRow,
    transition: &Transition,
    payload: &Value,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<super::market::LedgerOutcome, AppError> {
    let mut after = super::market::LedgerOutcome::default();
    let mut facts = serde_json::Map::new();
    for effect in &transition.effects {
        if let Effect::Ledger(op) = effect {
            let data = planned
                .plan
                .case
                .data
                .clone()
                .unwrap_or_else(|| row.data.clone());
            let outcome =
                super::market::ledger_effect(tx, row, &data, *op, payload, actor, now).await?;
            if let Some(f) = outcome.facts {
                facts.insert("registry".into(), f);
            }
            after.notices.extend(outcome.notices);
            after.follow_up = after.follow_up.or(outcome.follow_up);
        }
    }
    if !facts.is_empty() {
        let hash = planned.add_facts(facts);
        store::cases::set_head(tx, row.id, &hash).await?;
    }
    Ok(after)
}

/// The notices a transition gives: its own, and those the registry asked for.
#[allow(clippy::too_many_arguments)]
async fn notices(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    def: &Definition,
    updated: &CaseRow,
    actor: &Actor,
    transition: &Transition,
    comment: Option<&str>,
    payload: &Value,
    after: &super::market::LedgerOutcome,
    case_clocks: &CaseClocks,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let wanted = transition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Notify { .. }))
        || !after.notices.is_empty();
    if !wanted {
        return Ok(());
    }
    let readings = clocks::readings(def, case_clocks, cal, now);
    for effect in &transition.effects {
        if let Effect::Notify { kind, roles } = effect {
            let about = super::notify::About {
                def,
                case: updated,
                actor: &actor.subject,
                comment,
                payload: Some(payload),
                clocks: &readings,
                clock: None,
            };
            super::notify::enqueue(app, tx, kind, *roles, about, now).await?;
        }
    }
    for n in &after.notices {
        let about = super::notify::About {
            def,
            case: updated,
            actor: &actor.subject,
            comment: None,
            payload: Some(&n.details),
            clocks: &readings,
            clock: None,
        };
        super::notify::enqueue_orgs(app, tx, n.kind, std::slice::from_ref(&n.org), about, now)
            .await?;
    }
    Ok(())
}

pub async fn get_case(app: &App, actor: &Actor, id: Uuid) -> Result<CaseSnapshot, AppError> {
    let row = load_visible(app, actor, id).await?;
    let def = definition_of(app, &row)?;
    let history = history_steps(&app.db, &def, id).await?;
    let case_clocks = CaseClocks::load(&app.db, id).await?;
    let readings = clocks::readings(&def, &case_clocks, &app.calendar.get(), app.clock.now());
    let mut snap = snapshot(&def, row, &history, Some(actor), readings);
    snap.siting = super::siting::of_case(&app.db, id).await?;
    Ok(snap)
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub org: Option<String>,
    /// Text in the project or plan name.
    pub q: Option<String>,
    /// Submitted on or after this moment...
    pub submitted_from: Option<DateTime<Utc>>,
    /// ...and before this one.
    pub submitted_to: Option<DateTime<Utc>>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Cases the actor may see, oldest first. `allowed_actions` and `clocks` are left out of list
/// items (they need each case's history); read one case for them.
pub async fn list_cases(
    app: &App,
    actor: &Actor,
    q: ListQuery,
) -> Result<Page<CaseSnapshot>, AppError> {
    let mut errors = FieldErrors::default();
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page == 0 {
        errors.add("page", "starts at 1");
    }
    if page > MAX_PAGE {
        errors.add("page", format!("at most {MAX_PAGE}"));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        errors.add("per_page", format!("must be 1 to {MAX_PER_PAGE}"));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let filter = store::cases::Filter {
        workflow: q.workflow,
        state: q.state,
        orgs: match directory::access(&app.db, actor).await? {
            Access::All => None,
            Access::Orgs(orgs) => Some(orgs),
        },
        org: q.org,
        text: q
            .q
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string()),
        submitted_from: q.submitted_from,
        submitted_to: q.submitted_to,
    };
    let (rows, total) = store::cases::list(&app.db, &filter, page, per_page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let def = definition_of(app, &row)?;
        items.push(snapshot(&def, row, &[], None, Vec::new()));
    }
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

pub async fn history(app: &App, actor: &Actor, id: Uuid) -> Result<Vec<HistoryEntry>, AppError> {
    load_visible(app, actor, id).await?;
    let rows = store::audit::of_case(&app.db, id).await?;
    rows.into_iter()
        .map(|r| {
            Ok(HistoryEntry {
                seq: r.seq,
                actor: r.actor,
                actor_org: r.actor_org,
                roles: serde_json::from_str(&r.roles)
                    .map_err(|e| AppError::Unexpected(e.into()))?,
                action: r.action,
                from: r.from_state,
                to: r.to_state,
                payload: serde_json::from_str(&r.payload)
                    .map_err(|e| AppError::Unexpected(e.into()))?,
                comment: r.comment,
                at: r.at,
                prev_hash: r.prev_hash,
                hash: r.hash,
            })
        })
        .collect()
}

/// True if `action` edits the case data (its payload's free fields go into the data).
fn spec_edits(def: &Definition, action: &str) -> bool {
    def.actions.iter().any(|a| a.name == action && a.edits_data)
}
