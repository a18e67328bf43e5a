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
    let opened = super::load::open_with_context(app, actor, case_id).await?;
    fire_opened(app, actor, opened, action, request, idem).await
}

/// Fires `action` on a case already read for this request (a page that needed the case's
/// workflow to read the form reads it once): as [`fire`], for a request without an
/// idempotency key.
pub async fn fire_on(
    app: &App,
    actor: &Actor,
    case: super::load::Opened,
    action: &str,
    request: FireRequest,
) -> Result<CaseSnapshot, AppError> {
    fire_opened(app, actor, case, action, request, None).await
}

/// Fires `action` on an opened case, its request not a replay.
async fn fire_opened(
    app: &App,
    actor: &Actor,
    case: super::load::Opened,
    action: &str,
    request: FireRequest,
    idem: Option<&Idempotency>,
) -> Result<CaseSnapshot, AppError> {
    let case_id = case.row().id;
    let decided = decide_action(app, actor, case, action, &request).await?;
    // Read before the transaction: on SQLite a transaction must write first.
    let (def, transition) = (&decided.def, &decided.transition);
    let continued = clocks::continued_with_warnings(def, &transition.effects);
    let fired = clocks::fired_warnings(&app.db, case_id, &decided.case_clocks, &continued).await?;
    let parties = def
        .publication_on(&transition.action)
        .map(|_| decided.parties.clone());
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
        let (case_id, read_version) = (d.row.id, d.row.version);
        let committed = commit_transition(
            &app,
            tx,
            Change {
                def: &d.def,
                cal: &d.cal,
                clocks: &mut d.case_clocks,
                row: d.row,
                history: d.history,
                actor: actor.clone(),
                transition: d.transition,
                audit_payload: d.payload,
                comment,
                relied_on: d.relied_on,
                now: d.now,
                fired: Some(fired),
                parties,
            },
        )
        .await?;
        let Some((updated, history)) = committed else {
            let actual = store::cases::find(tx, case_id)
                .await?
                .map_or(read_version, |r| r.version);
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
    /// Whom a public notice on the case names (read with the case).
    parties: super::publish::Parties,
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
    opened: super::load::Opened,
    action: &str,
    request: &FireRequest,
) -> Result<Decided, AppError> {
    check_comment(request.comment.as_deref())?;
    // The case and the rest (the steps the rules look at, the clocks, the documents) were
    // read in one query: anything that changes them moves the case's version, which the
    // update checks.
    let super::load::Opened {
        case,
        def,
        context:
            super::load::Context {
                history,
                clocks: case_clocks,
                relied_on,
            },
        parties,
    } = opened;
    let row = case.into_row();
    let case_id = row.id;
    if row.version != request.expected_version {
        return Err(AppError::Conflict {
            expected: request.expected_version,
            actual: row.version,
        });
    }
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
        parties,
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
        ..
    } = decide_action(
        app,
        actor,
        super::load::open_with_context(app, actor, case_id).await?,
        action,
        request,
    )
    .await?;
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
            facts: Default::default(),
        },
    )?;
    let mut lines = planned.plan.describe();
    for e in &transition.effects {
        match e {
            Effect::Notify { kind, roles } => {
                lines.push(format!("notice {kind} to {}", roles.names().join(", ")))
            }
            Effect::Ledger(op) => {
                // The registry's and the auction's writes, planned on today's book (the ids
                // and the seed are drawn for this preview only).
                let book = super::market::effects::load(&app.db, &row, *op).await?;
                let data = data_after(&transition, &row);
                let mut fresh = super::market::effects::Fresh::drawn();
                let p = super::market::effects::plan(
                    &row,
                    data,
                    *op,
                    &request.payload,
                    &book,
                    &mut fresh,
                    now,
                )?;
                lines.extend(p.describe());
            }
            Effect::IssueReference { prefix } => {
                lines.push(format!("reference number {prefix}-YYYY-NNNNNN"))
            }
            _ => {}
        }
    }
    Ok(lines)
}

/// A decided transition, ready to be written: a person's action, a deadline's expiry, or the
/// automatic action that follows either. Every change of a case takes this one road.
pub(crate) struct Change<'a> {
    pub def: &'a Definition,
    pub cal: &'a Calendar,
    pub clocks: &'a mut CaseClocks,
    pub row: CaseRow,
    pub history: Vec<Step>,
    pub actor: Actor,
    pub transition: Transition,
    pub audit_payload: Value,
    pub comment: Option<String>,
    /// The documents the action relies on (read before the transaction: an upload changes the
    /// case's version, so the version check covers them).
    pub relied_on: Vec<Value>,
    pub now: DateTime<Utc>,
    /// The warnings already fired in the runs the transition continues, if read before the
    /// transaction (see `clocks::continued_with_warnings`); `None` reads them in it.
    pub fired: Option<clocks::FiredWarnings>,
    /// Whom the transition's public notice names, if read before the transaction; `None` reads
    /// them in it.
    pub parties: Option<super::publish::Parties>,
}

/// Writes a decided transition inside the caller's transaction, and the automatic actions that
/// follow it (an auction that fails or completes). Each goes load, plan, apply: [`Inside`]
/// reads what was not read before the transaction, the plan decides every row as data (the
/// registry's postings and the auction's rows with their guards, the audit entry with their
/// facts and its public notice, hashed before anything is written), then the version-checked
/// update writes the case with its final chain head, and the plan's rows follow. Answers
/// `None` if the case moved on since it was read.
pub(crate) async fn commit_transition(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    mut change: Change<'_>,
) -> Result<Option<(CaseRow, Vec<Step>)>, AppError> {
    loop {
        let Some(written) = write_change(app, tx, &mut change).await? else {
            return Ok(None);
        };
        let Some(next) = written.follow_up else {
            return Ok(Some((written.updated, written.history)));
        };
        let system = Actor::system();
        let view = CaseView {
            state: &written.updated.state,
            data: &written.updated.data,
            history: &written.history,
        };
        let follow = engine::decide(
            change.def,
            view,
            &system,
            next,
            &serde_json::json!({}),
            change.now,
        )?;
        let after = change.transition.action.clone();
        change = Change {
            def: change.def,
            cal: change.cal,
            clocks: change.clocks,
            row: written.updated,
            history: written.history,
            actor: system,
            transition: follow,
            audit_payload: serde_json::json!({ "after": after }),
            comment: None,
            relied_on: Vec::new(),
            now: change.now,
            fired: None,
            parties: None,
        };
    }
}

/// The case's data once `t` is written: what it replaces the data with, or the data as it was.
fn data_after<'a>(t: &'a Transition, row: &'a CaseRow) -> &'a Value {
    t.effects
        .iter()
        .find_map(|e| match e {
            Effect::ReplaceData(d) => Some(d),
            _ => None,
        })
        .unwrap_or(&row.data)
}

/// A transition once written: the case as it is now, its steps, and the automatic action the
/// registry called for, if any.
struct Written {
    updated: CaseRow,
    history: Vec<Step>,
    follow_up: Option<&'static str>,
}

/// What a transition reads inside its transaction, before it is planned: only what could not be
/// read before it. The reads come after SQLite's write lock is taken, so that they see what the
/// writes will be checked against.
struct Inside {
    fired: clocks::FiredWarnings,
    parties: Option<super::publish::Parties>,
    comments: Option<Vec<store::publications::CommentRow>>,
    /// Each registry or auction effect with the lot's book it looks at.
    books: Vec<(crate::engine::LedgerOp, super::market::effects::LotBook)>,
    /// The reference numbers the transition takes, the next of each year's series.
    references: Vec<String>,
}

impl Inside {
    async fn read(
        tx: &impl sea_orm::ConnectionTrait,
        c: &mut Change<'_>,
    ) -> Result<Inside, AppError> {
        let (def, t) = (c.def, &c.transition);
        let publishes = def.publication_on(&t.action).is_some();
        let ledger: Vec<crate::engine::LedgerOp> = t
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Ledger(op) => Some(*op),
                _ => None,
            })
            .collect();
        let prefixes: Vec<&str> = t
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::IssueReference { prefix } => Some(prefix.as_str()),
                _ => None,
            })
            .collect();
        let proposes = def
            .publication_on(&t.action)
            .is_some_and(|p| p.notice == crate::engine::NoticeKind::ProposedDecision);
        let reads = c.fired.is_none()
            || (publishes && c.parties.is_none())
            || proposes
            || !ledger.is_empty()
            || !prefixes.is_empty();
        if reads {
            store::lock_for_write(tx).await?;
        }
        let fired = match c.fired.take() {
            Some(f) => f,
            None => {
                let continued = clocks::continued_with_warnings(def, &t.effects);
                clocks::fired_warnings(tx, c.row.id, c.clocks, &continued).await?
            }
        };
        let parties = match (publishes, c.parties.take()) {
            (false, _) => None,
            (true, Some(p)) => Some(p),
            (true, None) => super::publish::parties_of(tx, &[&c.row])
                .await?
                .remove(&c.row.id),
        };
        let comments = super::publish::comments_if_proposed(tx, def, c.row.id, t).await?;
        let mut books = Vec::new();
        for op in ledger {
            books.push((op, super::market::effects::load(tx, &c.row, op).await?));
        }
        let mut references = Vec::new();
        for prefix in prefixes {
            let year = crate::domain::calendar::local_date(c.now).format("%Y");
            let n = store::counters::next(tx, &format!("{prefix}-{year}")).await?;
            references.push(format!("{prefix}-{year}-{n:06}"));
        }
        Ok(Inside {
            fired,
            parties,
            comments,
            books,
            references,
        })
    }
}

/// One transition: load what is left to read, plan (pure), apply.
async fn write_change(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    c: &mut Change<'_>,
) -> Result<Option<Written>, AppError> {
    let inside = Inside::read(tx, c).await?;
    let planned = plan_change(app, c, inside)?;
    apply_change(app, tx, c, planned).await
}

/// Every write of one transition, decided.
struct PlannedChange {
    planned: super::plan::Planned,
    /// The registry's and the auction's writes.
    ledger: Vec<super::market::effects::LedgerPlan>,
    publication: Option<store::publications::PublicationRow>,
    references: Vec<String>,
    /// What the notices to people quote: the comment and the payload as given.
    comment: Option<String>,
    payload: Value,
}

/// Plans a transition (pure): the lot's effects on the data the transition leaves, then the
/// case's writes with their facts in the audit entry, the reference number, the public notice.
fn plan_change(app: &App, c: &mut Change<'_>, inside: Inside) -> Result<PlannedChange, AppError> {
    let (def, now) = (c.def, c.now);
    let data = data_after(&c.transition, &c.row);
    let mut fresh = super::market::effects::Fresh::drawn();
    let mut ledger = Vec::new();
    let mut facts = serde_json::Map::new();
    for (op, book) in &inside.books {
        let p = super::market::effects::plan(
            &c.row,
            data,
            *op,
            &c.audit_payload,
            book,
            &mut fresh,
            now,
        )?;
        if let Some(f) = &p.facts {
            facts.insert("registry".into(), f.clone());
        }
        ledger.push(p);
    }
    let comment = c.comment.clone();
    let payload = c.audit_payload.clone();
    let mut planned = super::plan::transition(
        app,
        super::plan::Input {
            def,
            row: &c.row,
            history: std::mem::take(&mut c.history),
            actor: &c.actor,
            transition: &c.transition,
            audit_payload: std::mem::take(&mut c.audit_payload),
            comment: c.comment.take(),
            relied_on: std::mem::take(&mut c.relied_on),
            now,
            clocks: &mut *c.clocks,
            fired: &inside.fired,
            cal: c.cal,
            facts,
        },
    )?;
    if let Some(r) = inside.references.last() {
        planned.updated.reference = Some(r.clone());
    }
    let publication = inside.parties.as_ref().and_then(|parties| {
        let making = super::publish::Making {
            def,
            clocks: c.clocks,
            cal: c.cal,
            now,
        };
        making.publish(
            &mut planned,
            &c.transition,
            parties,
            inside.comments.as_deref(),
        )
    });
    Ok(PlannedChange {
        planned,
        ledger,
        publication,
        references: inside.references,
        comment,
        payload,
    })
}

/// Writes a planned transition: the guarded update first (on SQLite it takes the write lock,
/// if nothing has yet), carrying the chain head the entry ends with; then every other row.
/// `None` if the case moved on.
async fn apply_change(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    c: &Change<'_>,
    p: PlannedChange,
) -> Result<Option<Written>, AppError> {
    if !store::cases::advance(tx, &p.planned.plan.case).await? {
        return Ok(None);
    }
    let mut told = Vec::new();
    let mut follow_up = None;
    for lot in p.ledger {
        told.extend(lot.notices.iter().cloned());
        follow_up = follow_up.or(lot.follow_up);
        super::market::effects::apply(tx, c.row.id, lot, &c.actor, c.now).await?;
    }
    for r in &p.references {
        store::cases::set_reference(tx, c.row.id, r).await?;
    }
    if p.publication.is_some() {
        app.bulletin_counts.changed();
    }
    let super::plan::Planned {
        plan,
        updated,
        history,
        ..
    } = p.planned;
    let mut rows = plan.rows()?;
    rows.publications.extend(p.publication);
    rows.notices = notices(
        app,
        c.def,
        &updated,
        &c.actor,
        &c.transition,
        p.comment.as_deref(),
        &p.payload,
        &told,
        c.clocks,
        c.cal,
        c.now,
    )?;
    store::plan::write(tx, rows).await?;
    Ok(Some(Written {
        updated,
        history,
        follow_up,
    }))
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
    told: &[super::market::Notice],
    case_clocks: &CaseClocks,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<Vec<store::notices::NoticeRow>, AppError> {
    use super::notify::{notice, About, Audience};
    let wanted = transition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Notify { .. }))
        || !told.is_empty();
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
    for n in told {
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
    let opened = super::load::open_with_context(app, actor, id).await?;
    snapshot_of(app, actor, opened).await
}

/// The snapshot of a case already read for this request.
pub async fn snapshot_of(
    app: &App,
    actor: &Actor,
    opened: super::load::Opened,
) -> Result<CaseSnapshot, AppError> {
    let super::load::Opened {
        case,
        def,
        context:
            super::load::Context {
                history,
                clocks: case_clocks,
                ..
            },
        ..
    } = opened;
    let row = case.into_row();
    let id = row.id;
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
