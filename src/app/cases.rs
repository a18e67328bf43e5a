//! Cases: create, act, read, list, history.

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::audit::audit_row;
use super::clocks::{self, CaseClocks, ClockView};
use super::directory::{self, Access};
use super::load::{definition_of, load_visible};
use super::plan::title_of;
use super::{App, AppError};
use crate::domain::audit::{to_micros, AuditRecord, GENESIS};
use crate::domain::calendar::Calendar;
use crate::domain::{FieldErrors, Role};
use crate::engine::{self, Actor, CaseView, Definition, Effect, Step, Transition, TransitionError};
use crate::msg;
use crate::store;
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
    /// The address the request came from: for auditors and administrators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
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

fn check_comment(comment: Option<&str>) -> Result<(), AppError> {
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        let mut e = FieldErrors::default();
        e.add("comment", msg!("err-at-most", max = MAX_COMMENT_CHARS));
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

/// The organisation a new case belongs to: the actor's, or the enterprise that granted this
/// agency access.
async fn owner(app: &App, actor: &Actor, on_behalf_of: Option<&str>) -> Result<String, AppError> {
    match on_behalf_of {
        None => Ok(actor.org.clone()),
        Some(o) if o == actor.org => Ok(actor.org.clone()),
        Some(o) => {
            let granted = actor.roles.contains(crate::domain::Role::Agency)
                && directory::access(&app.db, actor).await?.covers(o);
            if !granted {
                return Err(AppError::Forbidden(format!(
                    "an agency that `{o}` has granted access"
                )));
            }
            Ok(o.to_string())
        }
    }
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
    let org = owner(app, actor, on_behalf_of).await?;
    engine::validate_new_case(&def, &data).map_err(AppError::Validation)?;
    let data = super::classify::record(app, &def, data)?;
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
        address: actor.address.clone(),
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
    let decided = decide_action(app, actor, case_id, action, &request).await?;
    // Read before the transaction: on SQLite a transaction must write first.
    let (def, transition) = (&decided.def, &decided.transition);
    let continued = clocks::continued_with_warnings(def, &transition.effects);
    let fired = clocks::fired_warnings(&app.db, case_id, &decided.case_clocks, &continued).await?;
    let parties =
        super::publish::parties_if_published(&app.db, def, &decided.row, transition).await?;
    let writing = Writing {
        app: app.clone(),
        actor: actor.clone(),
        decided,
        comment: request.comment,
        fired,
        parties,
        idem: idem.cloned(),
        expected_version: request.expected_version,
    };
    match &app.group {
        // Written with whatever other actions arrive meanwhile, in one transaction.
        Some(group) => group.write(move |tx| Box::pin(writing.write(tx))).await,
        None => {
            let tx = app.db.begin().await?;
            match writing.write(&tx).await {
                Ok(snapshot) => {
                    tx.commit().await?;
                    Ok(snapshot)
                }
                Err(e) => {
                    tx.rollback().await?;
                    Err(e)
                }
            }
        }
    }
}

/// A decided action with everything its writes need, owned, so that it can be written in a
/// transaction of its own or in a group's.
struct Writing {
    app: App,
    actor: Actor,
    decided: Decided,
    comment: Option<String>,
    fired: clocks::FiredWarnings,
    parties: Option<super::publish::Parties>,
    idem: Option<Idempotency>,
    expected_version: i64,
}

impl Writing {
    /// Writes the action in `tx` (which the caller commits) and its idempotent response; a
    /// case that moved on since it was read, or a twin request that recorded the same key
    /// first, is a conflict (409; `once` answers a twin's response instead).
    async fn write(self, tx: &sea_orm::DatabaseTransaction) -> Result<CaseSnapshot, AppError> {
        let Writing {
            app,
            actor,
            decided: mut d,
            comment,
            fired,
            parties,
            idem,
            expected_version,
        } = self;
        let committed = commit_transition(
            &app,
            tx,
            Pending {
                relied_on: d.relied_on,
                def: &d.def,
                row: &d.row,
                history: d.history,
                actor: &actor,
                transition: &d.transition,
                audit_payload: d.payload,
                comment,
                now: d.now,
                clocks: &mut d.case_clocks,
                fired: Some(fired),
                parties,
                cal: &d.cal,
            },
        )
        .await?;
        let Some((updated, history)) = committed else {
            let actual = store::cases::find(tx, d.row.id)
                .await?
                .map_or(d.row.version, |r| r.version);
            return Err(AppError::Conflict {
                expected: expected_version,
                actual,
            });
        };
        let readings = clocks::readings(&d.def, &d.case_clocks, &d.cal, d.now);
        let version = updated.version;
        let response = snapshot(&d.def, updated, &history, Some(&actor), readings);
        if !super::idempotency::record(tx, &actor, idem.as_ref(), &response, d.now).await? {
            return Err(AppError::Conflict {
                expected: expected_version,
                actual: version,
            });
        }
        Ok(response)
    }
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
    // The rest (the steps the rules look at, the clocks, the documents) is read after the
    // case in one query: anything that changes them moves the case's version, which the
    // update checks.
    let super::load::Context {
        history,
        clocks: case_clocks,
        relied_on,
    } = super::load::context(&app.db, &def, case_id).await?;
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
    /// The warnings already fired in the runs the transition continues, read before the
    /// transaction (see `clocks::continued_with_warnings`); `None` reads them in it, for a
    /// transaction that has already written.
    pub fired: Option<clocks::FiredWarnings>,
    /// Whom the transition's public notice names, read before the transaction; `None` reads
    /// them in it.
    pub parties: Option<super::publish::Parties>,
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
    mut p: Pending<'_>,
) -> Result<Option<(CaseRow, Vec<Step>)>, AppError> {
    let (def, row, transition, actor, now, cal) =
        (p.def, p.row, p.transition, p.actor, p.now, p.cal);
    let notice_comment = p.comment.clone();
    let notice_payload = p.audit_payload.clone();
    let mut planned = plan_pending(app, tx, &mut p).await?;
    // A notice whose transition does nothing else inside the transaction is built before the
    // update, which then writes its chained head; otherwise after the transaction's effects.
    let making = super::publish::Making {
        def,
        clocks: p.clocks,
        cal,
        now,
    };
    let mut publication = match &p.parties {
        Some(parties) if !super::plan::needs_its_own_transaction(transition) => {
            making.before_update(&mut planned, transition, parties)
        }
        _ => None,
    };
    let early = publication.is_some();
    if !store::cases::advance(tx, &planned.plan.case).await? {
        return Ok(None);
    }
    let after = effects_in_transaction(tx, &mut planned, &p, &notice_payload).await?;
    if !early {
        publication = making
            .in_transaction(tx, &mut planned, transition, p.parties.as_ref())
            .await?;
        if publication.is_some() {
            store::cases::set_head(tx, row.id, &planned.updated.audit_head).await?;
        }
    }
    if publication.is_some() {
        app.bulletin_counts.changed();
    }
    let super::plan::Planned {
        plan,
        updated,
        history,
        ..
    } = planned;
    let mut rows = plan.rows()?;
    rows.publications.extend(publication);
    rows.notices = notices(
        app,
        def,
        &updated,
        actor,
        transition,
        notice_comment.as_deref(),
        &notice_payload,
        &after,
        p.clocks,
        cal,
        now,
    )?;
    store::plan::write(tx, rows).await?;
    match after.follow_up {
        Some(next) => {
            let done = Done {
                def,
                updated: &updated,
                history: &history,
                transition,
                clocks: p.clocks,
                cal,
                now,
            };
            Box::pin(follow_up(app, tx, done, next)).await
        }
        None => Ok(Some((updated, history))),
    }
}

/// Plans a pending transition (pure, but for the warnings its clocks' runs already fired, read in
/// the transaction when they were not read before it). Takes the history, payload, comment and
/// documents out of `p`.
async fn plan_pending(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    p: &mut Pending<'_>,
) -> Result<super::plan::Planned, AppError> {
    let fired = match p.fired.take() {
        Some(f) => f,
        None => {
            let continued = clocks::continued_with_warnings(p.def, &p.transition.effects);
            clocks::fired_warnings(tx, p.row.id, p.clocks, &continued).await?
        }
    };
    let input = super::plan::Input {
        def: p.def,
        row: p.row,
        history: std::mem::take(&mut p.history),
        actor: p.actor,
        transition: p.transition,
        audit_payload: std::mem::take(&mut p.audit_payload),
        comment: p.comment.take(),
        relied_on: std::mem::take(&mut p.relied_on),
        now: p.now,
        clocks: &mut *p.clocks,
        fired: &fired,
        cal: p.cal,
    };
    super::plan::transition(app, input)
}

/// The effects on other rows that only the transaction can carry out, after the case's update:
/// registry movements, then reference numbers. They run before the audit entry is written, so
/// that what they did (a seed's hash, a clearing result, a settlement's entry) is part of the
/// hashed entry.
async fn effects_in_transaction(
    tx: &impl sea_orm::ConnectionTrait,
    planned: &mut super::plan::Planned,
    p: &Pending<'_>,
    payload: &Value,
) -> Result<super::market::LedgerOutcome, AppError> {
    let after = ledger_effects(tx, planned, p.row, p.transition, payload, p.actor, p.now).await?;
    issue_references(tx, planned, p.transition, p.now).await?;
    Ok(after)
}

/// Gives the case the reference numbers the transition issues (the next of each year's series).
async fn issue_references(
    tx: &impl sea_orm::ConnectionTrait,
    planned: &mut super::plan::Planned,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for effect in &transition.effects {
        if let Effect::IssueReference { prefix } = effect {
            let year = crate::domain::calendar::local_date(now)
                .format("%Y")
                .to_string();
            let n = store::counters::next(tx, &format!("{prefix}-{year}")).await?;
            let r = format!("{prefix}-{year}-{n:06}");
            store::cases::set_reference(tx, planned.updated.id, &r).await?;
            planned.updated.reference = Some(r);
        }
    }
    Ok(())
}

/// A written transition, as a follow-up starts from it.
struct Done<'a, 'c> {
    def: &'a Definition,
    updated: &'a CaseRow,
    history: &'a [Step],
    transition: &'a Transition,
    clocks: &'c mut CaseClocks,
    cal: &'a Calendar,
    now: DateTime<Utc>,
}

/// An automatic action the registry called for after a transition, in the same transaction.
async fn follow_up(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    done: Done<'_, '_>,
    next: &'static str,
) -> Result<Option<(CaseRow, Vec<Step>)>, AppError> {
    let system = Actor::system();
    let view = CaseView {
        state: &done.updated.state,
        data: &done.updated.data,
        history: done.history,
    };
    let follow = engine::decide(
        done.def,
        view,
        &system,
        next,
        &serde_json::json!({}),
        done.now,
    )?;
    commit_transition(
        app,
        tx,
        Pending {
            relied_on: Vec::new(),
            def: done.def,
            row: done.updated,
            history: done.history.to_vec(),
            actor: &system,
            transition: &follow,
            audit_payload: serde_json::json!({"after": done.transition.action}),
            comment: None,
            now: done.now,
            clocks: done.clocks,
            fired: None,
            parties: None,
            cal: done.cal,
        },
    )
    .await
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
pub(crate) fn notices(
    app: &App,
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
) -> Result<Vec<store::notices::NoticeRow>, AppError> {
    use super::notify::{notice, About, Audience};
    let wanted = transition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Notify { .. }))
        || !after.notices.is_empty();
    if !wanted {
        return Ok(Vec::new());
    }
    let readings = clocks::readings(def, case_clocks, cal, now);
    let mut out = Vec::new();
    for effect in &transition.effects {
        if let Effect::Notify { kind, roles } = effect {
            let about = About {
                def,
                case: updated,
                actor: &actor.subject,
                comment,
                payload: Some(payload),
                clocks: &readings,
                clock: None,
            };
            out.push(notice(app, kind, Audience::Roles(*roles), about, now)?);
        }
    }
    for n in &after.notices {
        let about = About {
            def,
            case: updated,
            actor: &actor.subject,
            comment: None,
            payload: Some(&n.details),
            clocks: &readings,
            clock: None,
        };
        let audience = Audience::Orgs(vec![n.org.clone()]);
        out.push(notice(app, n.kind, audience, about, now)?);
    }
    Ok(out)
}

pub async fn get_case(app: &App, actor: &Actor, id: Uuid) -> Result<CaseSnapshot, AppError> {
    let row = load_visible(app, actor, id).await?;
    let def = definition_of(app, &row)?;
    let super::load::Context {
        history,
        clocks: case_clocks,
        ..
    } = super::load::context(&app.db, &def, id).await?;
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
    /// Text in the project or plan name or the reference number, or in the name or credit
    /// code of the case's organisation.
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
        errors.add("page", msg!("err-starts-at-one"));
    }
    if page > MAX_PAGE {
        errors.add("page", msg!("err-at-most-number", max = MAX_PAGE));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        errors.add("per_page", msg!("err-range", max = MAX_PER_PAGE));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let text =
        q.q.filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string());
    let filter = store::cases::Filter {
        workflow: q.workflow,
        state: q.state,
        orgs: match directory::access(&app.db, actor).await? {
            Access::All => None,
            Access::Orgs(orgs) => Some(orgs),
        },
        org: q.org,
        text,
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
    let sees_addresses = actor.roles.contains(Role::Auditor) || actor.roles.contains(Role::Admin);
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
                client_address: r.client_address.filter(|_| sees_addresses),
            })
        })
        .collect()
}

/// True if `action` edits the case data (its payload's free fields go into the data).
fn spec_edits(def: &Definition, action: &str) -> bool {
    def.actions.iter().any(|a| a.name == action && a.edits_data)
}
