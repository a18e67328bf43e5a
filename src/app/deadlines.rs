//! Firing timers: warnings and expiries, each exactly once, as the system actor.

use serde_json::json;

use super::cases::{commit_transition, history_steps, Pending};
use super::clocks::{self, CaseClocks};
use super::notify;
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::calendar::Calendar;
use crate::domain::Role;
use crate::engine::{self, Actor, CaseView};
use crate::metrics;
use crate::store;
use crate::store::clocks::TimerRow;
use sea_orm::TransactionTrait;

/// Timers claimed and fired per transaction.
const BATCH: u64 = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fired {
    pub fired: u64,
    pub skipped: u64,
}

/// Fires every timer due at the clock's current time, in batches, until none is left.
///
/// Exactly once: a timer is claimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has a single
/// writer) and marked fired in the same transaction as the case update and audit entry it causes.
/// A crash before commit leaves it pending, to fire after restart.
pub async fn fire_due(app: &App) -> Result<Fired, AppError> {
    let _one_at_a_time = app.timer_lock.lock().await;
    let mut total = Fired::default();
    loop {
        let now = to_micros(app.clock.now());
        let cal = app.calendar.get();
        let tx = sea_orm::TransactionTrait::begin(&app.db).await?;
        let claimed = store::clocks::claim_due(&tx, now, BATCH).await?;
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(total);
        }
        let mut batch = Fired::default();
        for timer in &claimed {
            let (status, note) = fire_one(&tx, app, timer, now, &cal).await?;
            store::clocks::finish_timer(&tx, timer.id, status, now, note).await?;
            if status == "fired" {
                batch.fired += 1;
            } else {
                batch.skipped += 1;
            }
        }
        tx.commit().await?;
        for timer in &claimed {
            metrics::timer_fired(
                &timer.kind,
                (now - timer.due_at).num_milliseconds() as f64 / 1000.0,
            );
        }
        total.fired += batch.fired;
        total.skipped += batch.skipped;
    }
}

/// Fires one claimed timer inside the batch's transaction. Answers the timer's new status and a
/// note when it was skipped.
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
    // Still contended: roll the batch back; its timers stay pending for the next tick.
    Err(AppError::Unexpected(anyhow::anyhow!(
        "case {} kept changing while its deadline fired; will retry",
        timer.case_id
    )))
}

const MOVED_ON: &str = "moved_on";

async fn fire_once(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    timer: &TimerRow,
    now: chrono::DateTime<chrono::Utc>,
    cal: &Calendar,
) -> Result<(&'static str, Option<String>), AppError> {
    let skipped = |why: String| Ok(("skipped", Some(why)));
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
    let current = case_clocks.row(&timer.clock).cloned();
    let Some(current) = current.filter(|c| c.run == timer.run && c.status == "running") else {
        return skipped("the clock is no longer in this run or not running".into());
    };
    if timer.kind == "warning" {
        let readings = clocks::readings(&def, &case_clocks, cal, now);
        let due = current.due_date.clone().unwrap_or_default();
        let spec = def.clock(&timer.clock);
        let about = || notify::About {
            def: &def,
            case: &row,
            actor: "system",
            comment: None,
            payload: None,
            clocks: &readings,
            clock: Some((&timer.clock, due.clone())),
        };
        if let Some(spec) = spec.filter(|c| !c.notify.is_empty()) {
            notify::enqueue(app, tx, "deadline_warning", spec.notify, about(), now).await?;
        }
        if def.data == Some(crate::engine::DataSchema::AuctionLot) {
            // The winners who have not paid yet are told too.
            let orgs = super::market::unpaid_awardees(tx, row.id).await?;
            if !orgs.is_empty() {
                notify::enqueue_orgs(app, tx, "payment_due", &orgs, about(), now).await?;
            }
        }
        return Ok(("fired", None));
    }
    if current.due_at != Some(timer.due_at) {
        return skipped("superseded by a recomputed due date".into());
    }
    let Some(action) = timer.action.as_deref() else {
        return skipped("an expiry timer without an action".into());
    };
    let history = history_steps(tx, row.id).await?;
    let system = Actor::system();
    let view = CaseView {
        state: &row.state,
        data: &row.data,
        history: &history,
    };
    // What a deadline causes takes effect at its due moment, however late it fires (a server that
    // was down does not move the dates the law sets); the audit entry records both times.
    let transition = match engine::decide(&def, view, &system, action, &json!({}), timer.due_at) {
        Ok(t) => t,
        Err(e) => return skipped(e.to_string()),
    };
    let audit_payload = json!({
        "deadline": {
            "timer": timer.id,
            "clock": timer.clock,
            "due_at": timer.due_at,
            "fired_at": now,
        }
    });
    let committed = commit_transition(
        app,
        tx,
        Pending {
            relied_on: super::documents::relied_on(tx, row.id).await?,
            def: &def,
            row: &row,
            history,
            actor: &system,
            transition: &transition,
            audit_payload,
            comment: Some(format!("deadline of clock `{}` passed", timer.clock)),
            now,
            clocks: &mut case_clocks,
            cal,
        },
    )
    .await?;
    match committed {
        Some(_) => Ok(("fired", None)),
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
    let fired = fire_due(app).await?;
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

/// Whether the database answers.
pub async fn ready(app: &App) -> Result<(), AppError> {
    store::ping(&app.db).await.map_err(AppError::from)
}
