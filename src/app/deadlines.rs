//! Firing timers: warnings and expiries, each exactly once, as the system actor.

use serde_json::json;

use super::cases::{commit_transition, Change};
use super::clocks::{self, CaseClocks};
use super::load::history_steps;
use super::notify;
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::calendar::Calendar;
use crate::domain::Role;
use crate::engine::ClockStatus;
use crate::engine::{self, Actor, CaseView};
use crate::metrics;
use crate::msg;
use crate::store;
use crate::store::clocks::TimerRow;
use sea_orm::TransactionTrait;

mod batch;

/// Timers claimed and fired per transaction.
const BATCH: u64 = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fired {
    pub fired: u64,
    pub skipped: u64,
    /// Timers whose firing failed: kept as `failed`, listed for admins, never retried on their
    /// own (`GET /api/v1/admin/timers?state=failed`).
    #[serde(default)]
    pub failed: u64,
}

impl std::ops::AddAssign for Fired {
    fn add_assign(&mut self, other: Fired) {
        self.fired += other.fired;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// Fires every timer due at the clock's current time, in batches, until none is left. Several
/// workers may do this at once, in this process and in others.
///
/// Exactly once: a timer is claimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has a single
/// writer) and marked fired in the same transaction as the case update and audit entry it causes.
/// A crash before commit leaves it pending, to fire after restart. Each case's timers fire under
/// their own savepoint: a case whose firing fails is rolled back alone, its timers are marked
/// `failed`, and every other deadline of the batch still fires.
pub async fn fire_due(app: &App) -> Result<Fired, AppError> {
    let _shared = app.timer_lock.read().await;
    drain(app).await
}

/// The same, once no other firing is in flight in this process: a clock move answers only
/// when everything it made due has fired.
pub async fn fire_due_exclusively(app: &App) -> Result<Fired, AppError> {
    let _alone = app.timer_lock.write().await;
    drain(app).await
}

async fn drain(app: &App) -> Result<Fired, AppError> {
    let mut total = Fired::default();
    loop {
        let (claimed, batch) = fire_batch(app).await?;
        app.deadline_rush.store(
            claimed as u64 == BATCH,
            std::sync::atomic::Ordering::Relaxed,
        );
        if claimed == 0 {
            return Ok(total);
        }
        total += batch;
    }
}

/// One transaction: claim a batch, fire it case by case, record each timer's outcome.
async fn fire_batch(app: &App) -> Result<(usize, Fired), AppError> {
    let now = to_micros(app.clock.now());
    let cal = app.calendar.get();
    let tx = sea_orm::TransactionTrait::begin(&app.db).await?;
    let claimed = store::clocks::claim_due(&tx, now, BATCH).await?;
    if claimed.is_empty() {
        tx.commit().await?;
        return Ok((0, Fired::default()));
    }
    let mut outcomes: Vec<store::clocks::TimerOutcome> = Vec::with_capacity(claimed.len());
    let (singles, mut slow): (Vec<_>, Vec<_>) =
        by_case(&claimed).into_iter().partition(|g| g.len() == 1);
    let singles: Vec<&TimerRow> = singles.into_iter().flatten().collect();
    if !singles.is_empty() {
        // The cases with one timer each, together, under a savepoint: if anything in it fails,
        // they all go the one-by-one way, which finds the case at fault.
        let savepoint = sea_orm::TransactionTrait::begin(&tx).await?;
        match batch::run(&savepoint, app, &singles, now, &cal).await {
            Ok(done) => {
                savepoint.commit().await?;
                outcomes.extend(done.outcomes);
                slow.extend(
                    singles
                        .iter()
                        .filter(|t| done.slow.contains(&t.id))
                        .map(|t| vec![*t]),
                );
            }
            Err(e) => {
                savepoint.rollback().await?;
                tracing::warn!("a batch of deadlines goes one by one: {e}");
                slow.extend(singles.iter().map(|t| vec![*t]));
            }
        }
    }
    for timers in slow {
        let savepoint = sea_orm::TransactionTrait::begin(&tx).await?;
        match fire_case(&savepoint, app, &timers, now, &cal).await {
            Ok(done) => {
                savepoint.commit().await?;
                outcomes.extend(done);
            }
            Err(e) => {
                savepoint.rollback().await?;
                let why = e.to_string();
                tracing::error!(case = %timers[0].case_id, "a deadline failed to fire: {why}");
                for t in &timers {
                    metrics::timer_failed(&t.kind);
                    outcomes.push(store::clocks::TimerOutcome::failed(t.id, why.clone()));
                }
            }
        }
    }
    store::clocks::finish_timers(&tx, &outcomes, now).await?;
    tx.commit().await?;
    let claimed_by_id: std::collections::HashMap<uuid::Uuid, &TimerRow> =
        claimed.iter().map(|t| (t.id, t)).collect();
    let mut batch = Fired::default();
    for outcome in &outcomes {
        match outcome.status {
            store::clocks::FIRED => {
                batch.fired += 1;
                if let Some(timer) = claimed_by_id.get(&outcome.id) {
                    metrics::timer_fired(
                        &timer.kind,
                        (now - timer.due_at).num_milliseconds() as f64 / 1000.0,
                    );
                }
            }
            store::clocks::FAILED => batch.failed += 1,
            _ => batch.skipped += 1,
        }
    }
    Ok((claimed.len(), batch))
}

/// The claimed timers grouped by case, cases in the order of their first due timer.
fn by_case(claimed: &[TimerRow]) -> Vec<Vec<&TimerRow>> {
    let mut groups: Vec<Vec<&TimerRow>> = Vec::new();
    let mut index: std::collections::HashMap<uuid::Uuid, usize> = Default::default();
    for t in claimed {
        match index.get(&t.case_id) {
            Some(&i) => groups[i].push(t),
            None => {
                index.insert(t.case_id, groups.len());
                groups.push(vec![t]);
            }
        }
    }
    groups
}

/// Fires one case's claimed timers, in due order, inside its savepoint.
async fn fire_case(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    timers: &[&TimerRow],
    now: chrono::DateTime<chrono::Utc>,
    cal: &Calendar,
) -> Result<Vec<store::clocks::TimerOutcome>, AppError> {
    let mut done = Vec::with_capacity(timers.len());
    for timer in timers {
        let (status, note) = fire_one(tx, app, timer, now, cal).await?;
        done.push(store::clocks::TimerOutcome {
            id: timer.id,
            status,
            note,
        });
    }
    Ok(done)
}

/// Fires one claimed timer. Answers the timer's new status and a note when it was skipped.
async fn fire_one(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    timer: &TimerRow,
    now: chrono::DateTime<chrono::Utc>,
    cal: &Calendar,
) -> Result<(&'static str, Option<String>), AppError> {
    // A concurrent change to the case (a take, a bid, an upload) between reading it and writing
    // the transition is not a reason to drop the deadline: read again and decide again.
    for _ in 0..5 {
        let outcome = fire_once(tx, app, timer, now, cal).await?;
        if outcome.0 != MOVED_ON {
            return Ok(outcome);
        }
    }
    Err(AppError::Unexpected(anyhow::anyhow!(
        "case {} kept changing while its deadline fired",
        timer.case_id
    )))
}

const MOVED_ON: &str = "moved_on";

/// What the audit entry of a deadline's action records: the timer, its due moment, and when it
/// fired.
fn deadline_payload(timer: &TimerRow, now: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    json!({
        "deadline": {
            "timer": timer.id,
            "clock": timer.clock,
            "due_at": timer.due_at,
            "fired_at": now,
        }
    })
}

fn deadline_comment(timer: &TimerRow) -> String {
    format!("deadline of clock `{}` passed", timer.clock)
}

/// A warning that is due, on its case.
pub(super) struct Warned<'a> {
    pub def: &'a crate::engine::Definition,
    pub row: &'a store::cases::CaseRow,
    pub clocks: &'a CaseClocks,
    pub timer: &'a TimerRow,
    /// The clock's due date, as people read it.
    pub due: String,
    /// For an auction lot, the winners who have not paid yet: they are told too.
    pub unpaid: Vec<String>,
}

/// The notices a warning gives: to the roles its clock names, and to `unpaid`.
pub(super) fn warning_notices(
    app: &App,
    w: Warned<'_>,
    cal: &Calendar,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<store::notices::NoticeRow>, AppError> {
    let readings = clocks::readings(w.def, w.clocks, cal, now);
    let about = || notify::About {
        def: w.def,
        case: w.row,
        actor: "system",
        comment: None,
        payload: None,
        clocks: &readings,
        clock: Some((&w.timer.clock, w.due.clone())),
    };
    let mut notices = Vec::new();
    if let Some(spec) = w.def.clock(&w.timer.clock).filter(|c| !c.notify.is_empty()) {
        let audience = notify::Audience::Roles(spec.notify);
        notices.push(notify::notice(
            app,
            "deadline_warning",
            audience,
            about(),
            now,
        )?);
    }
    if !w.unpaid.is_empty() {
        let audience = notify::Audience::Orgs(w.unpaid);
        notices.push(notify::notice(app, "payment_due", audience, about(), now)?);
    }
    Ok(notices)
}

/// The engine's decision on an expiry. What a deadline causes takes effect at its due moment,
/// however late it fires (a server that was down does not move the dates the law sets); the
/// audit entry records both times. A refused expiry is a deadline the law sets that did not take
/// effect: it fails, for an admin to see, rather than being skipped in silence.
pub(super) fn decide_expiry(
    def: &crate::engine::Definition,
    row: &store::cases::CaseRow,
    history: &[crate::engine::Step],
    action: &str,
    timer: &TimerRow,
) -> Result<crate::engine::Transition, AppError> {
    let view = CaseView {
        state: &row.state,
        data: &row.data,
        history,
    };
    engine::decide(
        def,
        view,
        &Actor::system(),
        action,
        &json!({}),
        timer.due_at,
    )
    .map_err(|e| {
        AppError::Unexpected(anyhow::anyhow!(
            "the expiry action `{action}` was refused in state `{}`: {e}",
            row.state
        ))
    })
}

/// What a due timer does, judged from its case's clocks: the rule both deadline paths (the batch
/// and the one-by-one) ask.
pub(crate) enum Due<'t> {
    /// Nothing: the clock moved on (another run, stopped, paused, or a recomputed due date).
    Skip(&'static str),
    /// A warning before the deadline, for the run's due date.
    Warn { due: String },
    /// The deadline has passed: fire the clock's expiry action.
    Expire { action: &'t str },
}

/// The kind of a timer that warns before its deadline (the other kind, `expiry`, fires an
/// action).
const WARNING: &str = "warning";

pub(crate) fn judge<'t>(timer: &'t TimerRow, clocks: &CaseClocks) -> Due<'t> {
    let current = clocks
        .row(&timer.clock)
        .filter(|c| c.run == timer.run && ClockStatus::Running.is(&c.status));
    let Some(current) = current else {
        return Due::Skip("the clock is no longer in this run or not running");
    };
    if timer.kind == WARNING {
        return Due::Warn {
            due: current.due_date.clone().unwrap_or_default(),
        };
    }
    if current.due_at != Some(timer.due_at) {
        return Due::Skip("superseded by a recomputed due date");
    }
    match timer.action.as_deref() {
        Some(action) => Due::Expire { action },
        None => Due::Skip("an expiry timer without an action"),
    }
}

async fn fire_once(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    timer: &TimerRow,
    now: chrono::DateTime<chrono::Utc>,
    cal: &Calendar,
) -> Result<(&'static str, Option<String>), AppError> {
    let skipped = |why: String| Ok((store::clocks::SKIPPED, Some(why)));
    let Some(row) = store::cases::find(tx, timer.case_id).await? else {
        return skipped("the case no longer exists".into());
    };
    let version = u32::try_from(row.workflow_version).unwrap_or_default();
    let Some(def) = app.workflows.get(&row.workflow_key, version) else {
        return skipped(format!(
            "workflow {} v{version} is not deployed",
            row.workflow_key
        ));
    };
    let mut case_clocks = CaseClocks::load(tx, row.id).await?;
    let action = match judge(timer, &case_clocks) {
        Due::Skip(why) => return skipped(why.into()),
        Due::Warn { due } => {
            let unpaid = if def.data == Some(crate::engine::DataSchema::AuctionLot) {
                super::market::unpaid_awardees(tx, row.id).await?
            } else {
                Vec::new()
            };
            let warned = Warned {
                def: &def,
                row: &row,
                clocks: &case_clocks,
                timer,
                due,
                unpaid,
            };
            store::notices::insert_many(tx, warning_notices(app, warned, cal, now)?).await?;
            return Ok((store::clocks::FIRED, None));
        }
        Due::Expire { action } => action,
    };
    let history = history_steps(tx, &def, row.id).await?;
    let transition = decide_expiry(&def, &row, &history, action, timer)?;
    let system = Actor::system();
    let committed = commit_transition(
        app,
        tx,
        Change {
            def: &def,
            cal,
            clocks: &mut case_clocks,
            relied_on: super::documents::relied_on(tx, row.id).await?,
            row,
            history,
            actor: system,
            transition,
            audit_payload: deadline_payload(timer, now),
            comment: Some(deadline_comment(timer)),
            now,
            fired: None,
            parties: None,
        },
    )
    .await?;
    match committed {
        Some(_) => Ok((store::clocks::FIRED, None)),
        None => Ok((MOVED_ON, None)),
    }
}

pub fn read_clock(app: &App, actor: &Actor) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    super::require(actor, Role::Admin)?;
    Ok(app.clock.now())
}

pub enum ClockMove {
    Set(chrono::DateTime<chrono::Utc>),
    Advance(i64),
}

/// Moves the manual clock (admin only) and fires whatever fell due.
/// Where a manual clock was moved to, and what fired.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ClockMoved {
    pub now: chrono::DateTime<chrono::Utc>,
    pub fired: Fired,
}

pub async fn move_clock(
    app: &App,
    actor: &Actor,
    step: ClockMove,
    idem: Option<&super::idempotency::Idempotency>,
) -> Result<ClockMoved, AppError> {
    super::require(actor, Role::Admin)?;
    let manual = app.clock.manual().ok_or_else(|| {
        AppError::ClockNotManual(
            "the server runs on the system clock; start it with GREENLANE_CLOCK=manual".into(),
        )
    })?;
    let now = match step {
        ClockMove::Set(t) => manual.set(t)?,
        ClockMove::Advance(s) => manual.advance(s)?,
    };
    let fired = fire_due_exclusively(app).await?;
    // The clock lives in this process, not in the database: the key is recorded right after the
    // move (a retry answers this move instead of moving again).
    let tx = app.db.begin().await?;
    super::idempotency::finish(app, tx, actor, idem, ClockMoved { now, fired }, now).await
}

/// Running clocks per clock name, with how many are past due; and the cases with any clock past
/// due. For the metrics.
pub async fn open_deadlines(app: &App) -> Result<(Vec<(String, i64, i64)>, u64), AppError> {
    let now = app.clock.now();
    let counts = store::clocks::open_counts(&app.db, now).await?;
    let overdue = store::clocks::overdue_cases(&app.db, now).await?;
    Ok((counts, overdue))
}

/// How many timers failed to fire and wait for an admin. For the metrics.
pub async fn failed_count(app: &App) -> Result<u64, AppError> {
    Ok(store::clocks::count_timers(&app.db, store::clocks::FAILED).await?)
}

/// A timer as an admin sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimerView {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub clock: String,
    pub run: i32,
    pub kind: String,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub action: Option<String>,
    pub status: String,
    pub fired_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it was skipped, or why it failed.
    pub note: Option<String>,
}

fn timer_view(t: TimerRow) -> TimerView {
    TimerView {
        id: t.id,
        case_id: t.case_id,
        clock: t.clock,
        run: t.run,
        kind: t.kind,
        due_at: t.due_at,
        action: t.action,
        status: t.status,
        fired_at: t.fired_at,
        note: t.note,
    }
}

/// Timers for an admin or an auditor: `failed` ones are those that need someone (at most 500,
/// latest due first).
pub async fn list_timers(
    app: &App,
    actor: &Actor,
    state: Option<&str>,
    case_id: Option<uuid::Uuid>,
) -> Result<Vec<TimerView>, AppError> {
    if !actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Auditor))
    {
        return Err(AppError::Forbidden("an admin or an auditor".into()));
    }
    use crate::domain::timer::TimerState;
    if let Some(s) = state.filter(|s| TimerState::parse(s).is_none()) {
        let mut e = crate::domain::FieldErrors::default();
        e.add(
            "state",
            msg!(
                "err-timer-state",
                state = s,
                options = TimerState::ALL.map(TimerState::as_str).join(", ")
            ),
        );
        return Err(AppError::Validation(e));
    }
    Ok(store::clocks::list_timers(&app.db, state, case_id, 500)
        .await?
        .into_iter()
        .map(timer_view)
        .collect())
}

/// Puts a failed timer back in line (admin), recorded in the installation's audit stream; the
/// next pass fires it, at once if it is due.
pub async fn retry_timer(
    app: &App,
    actor: &Actor,
    id: uuid::Uuid,
    idem: Option<&super::idempotency::Idempotency>,
) -> Result<TimerView, AppError> {
    super::require(actor, Role::Admin)?;
    if let Some(done) = super::idempotency::replay(app, actor, idem).await? {
        return Ok(done);
    }
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    if !store::clocks::requeue_timer(&tx, id).await? {
        let status = store::clocks::find_timer(&tx, id).await?.map(|t| t.status);
        tx.rollback().await?;
        return match status {
            None => Err(AppError::NotFound(format!("timer {id}"))),
            Some(s) => Err(AppError::NotFailed(s)),
        };
    }
    let timer = store::clocks::find_timer(&tx, id)
        .await?
        .map(timer_view)
        .ok_or_else(|| AppError::NotFound(format!("timer {id}")))?;
    super::audit::append_installation(
        &tx,
        actor,
        "timer.retry",
        json!({"timer": id, "case": timer.case_id, "clock": timer.clock, "kind": timer.kind}),
        now,
    )
    .await?;
    super::idempotency::finish(app, tx, actor, idem, timer, now).await
}

/// Whether the database answers.
pub async fn ready(app: &App) -> Result<(), AppError> {
    store::ping(&app.db).await.map_err(AppError::from)
}
