//! Clock runs, their segments, and their timers.

use crate::domain::timer::TimerState;
use chrono::{DateTime, Utc};
use entity::case_clock::{self, Entity as CaseClock};
use entity::clock_segment::{self, Entity as ClockSegment};
use entity::timer::{self, Entity as Timer};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

pub use entity::case_clock::Model as ClockRow;
pub use entity::clock_segment::Model as SegmentRow;
pub use entity::timer::Model as TimerRow;

/// The clock writes of one transition, or of a batch of them: segments ended and opened,
/// pending timers cancelled, clock rows written, timers scheduled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClockWrites {
    /// Segments that end, and when.
    pub close: Vec<(Uuid, DateTime<Utc>)>,
    pub open: Vec<SegmentRow>,
    /// Clocks whose pending timers are cancelled: (case, clock).
    pub cancel: Vec<(Uuid, String)>,
    pub rows: Vec<ClockRow>,
    pub timers: Vec<TimerRow>,
}

impl ClockWrites {
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
            && self.open.is_empty()
            && self.cancel.is_empty()
            && self.rows.is_empty()
            && self.timers.is_empty()
    }

    /// Adds another transition's writes to these (a batch writes them together).
    pub fn extend(&mut self, other: ClockWrites) {
        self.close.extend(other.close);
        self.open.extend(other.open);
        self.cancel.extend(other.cancel);
        self.rows.extend(other.rows);
        self.timers.extend(other.timers);
    }
}

/// Writes `w` in at most five statements, whatever the number of cases: new segments, ended
/// segments, cancelled timers (before the new ones are added), clock rows, new timers.
pub async fn write(db: &impl ConnectionTrait, w: ClockWrites) -> Result<(), DbErr> {
    super::batch::run(db, write_statements(db.get_database_backend(), w)).await
}

/// The statements of [`write`], in order, to send with others (`store::batch`): the segments
/// that end were open before (none is also among the new ones), and the timers cancelled were
/// pending before, so that they touch other rows than the inserts.
pub fn write_statements(backend: DbBackend, w: ClockWrites) -> Vec<Statement> {
    let ClockWrites {
        close,
        open,
        cancel,
        rows,
        timers,
    } = w;
    let mut out = Vec::with_capacity(5);
    out.extend(super::bulk::segments_statement(backend, open));
    if !close.is_empty() {
        // One statement: each segment's end by a CASE on its id.
        let mut ends = sea_orm::sea_query::CaseStatement::new();
        for (id, at) in &close {
            ends = ends.case(
                Expr::col(clock_segment::Column::Id).eq(*id),
                Expr::value(*at),
            );
        }
        out.push(
            ClockSegment::update_many()
                .col_expr(clock_segment::Column::EndedAt, ends.into())
                .filter(clock_segment::Column::Id.is_in(close.iter().map(|(id, _)| *id)))
                .build(backend),
        );
    }
    if !cancel.is_empty() {
        let mut which = sea_orm::Condition::any();
        for (case_id, clock) in &cancel {
            which = which.add(
                sea_orm::Condition::all()
                    .add(timer::Column::CaseId.eq(*case_id))
                    .add(timer::Column::Clock.eq(clock.as_str())),
            );
        }
        // The cases' ids first, so that the index on (case, clock, run) finds the rows rather
        // than a scan of every pending timer.
        let mut cases: Vec<Uuid> = cancel.iter().map(|(id, _)| *id).collect();
        cases.sort();
        cases.dedup();
        out.push(
            Timer::update_many()
                .col_expr(timer::Column::Status, Expr::value(CANCELLED))
                .filter(timer::Column::CaseId.is_in(cases))
                .filter(timer::Column::Status.eq(PENDING))
                .filter(which)
                .build(backend),
        );
    }
    out.extend(upsert_statement(backend, rows));
    out.extend(timers_statement(backend, timers));
    out
}

/// Writes clock rows, replacing each case's row of the same clock.
pub async fn upsert_many(db: &impl ConnectionTrait, rows: Vec<ClockRow>) -> Result<(), DbErr> {
    super::batch::run(db, upsert_statement(db.get_database_backend(), rows)).await
}

/// The UPSERT of [`upsert_many`] (none if there are no rows).
fn upsert_statement(backend: DbBackend, rows: Vec<ClockRow>) -> Option<Statement> {
    if rows.is_empty() {
        return None;
    }
    let upsert = CaseClock::insert_many(rows.into_iter().map(|row| case_clock::ActiveModel {
        case_id: Set(row.case_id),
        clock: Set(row.clock),
        run: Set(row.run),
        status: Set(row.status),
        due_date: Set(row.due_date),
        due_at: Set(row.due_at),
        provisional: Set(row.provisional),
        calendar_version: Set(row.calendar_version),
        updated_at: Set(row.updated_at),
    }))
    .on_conflict(
        OnConflict::columns([case_clock::Column::CaseId, case_clock::Column::Clock])
            .update_columns([
                case_clock::Column::Run,
                case_clock::Column::Status,
                case_clock::Column::DueDate,
                case_clock::Column::DueAt,
                case_clock::Column::Provisional,
                case_clock::Column::CalendarVersion,
                case_clock::Column::UpdatedAt,
            ])
            .to_owned(),
    );
    Some(upsert.build(backend))
}

/// The clock rows and segments of many cases, in two queries.
pub async fn of_cases(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<(Vec<ClockRow>, Vec<SegmentRow>), DbErr> {
    if case_ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let clocks = CaseClock::find()
        .filter(case_clock::Column::CaseId.is_in(case_ids.iter().copied()))
        .all(db)
        .await?;
    let segments = ClockSegment::find()
        .filter(clock_segment::Column::CaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(clock_segment::Column::StartedAt)
        .order_by_asc(clock_segment::Column::Id)
        .all(db)
        .await?;
    Ok((clocks, segments))
}

pub async fn of_case(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> Result<(Vec<ClockRow>, Vec<SegmentRow>), DbErr> {
    let clocks = CaseClock::find()
        .filter(case_clock::Column::CaseId.eq(case_id))
        .all(db)
        .await?;
    let segments = ClockSegment::find()
        .filter(clock_segment::Column::CaseId.eq(case_id))
        .order_by_asc(clock_segment::Column::StartedAt)
        .order_by_asc(clock_segment::Column::Id)
        .all(db)
        .await?;
    Ok((clocks, segments))
}

pub async fn upsert(db: &impl ConnectionTrait, row: ClockRow) -> Result<(), DbErr> {
    upsert_many(db, vec![row]).await
}

pub async fn insert_segment(db: &impl ConnectionTrait, row: SegmentRow) -> Result<(), DbErr> {
    ClockSegment::insert(clock_segment::ActiveModel {
        id: Set(row.id),
        case_id: Set(row.case_id),
        clock: Set(row.clock),
        run: Set(row.run),
        running: Set(row.running),
        reason: Set(row.reason),
        started_at: Set(row.started_at),
        ended_at: Set(row.ended_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn close_segment(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    ClockSegment::update_many()
        .col_expr(clock_segment::Column::EndedAt, Expr::value(at))
        .filter(clock_segment::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Updates a run's computed due date only if the run is still the same one, in the same status.
pub async fn update_if_unchanged(
    db: &impl ConnectionTrait,
    row: &ClockRow,
    run: i32,
    status: &str,
) -> Result<bool, DbErr> {
    let result = CaseClock::update_many()
        .col_expr(
            case_clock::Column::DueDate,
            Expr::value(row.due_date.clone()),
        )
        .col_expr(case_clock::Column::DueAt, Expr::value(row.due_at))
        .col_expr(
            case_clock::Column::Provisional,
            Expr::value(row.provisional),
        )
        .col_expr(
            case_clock::Column::CalendarVersion,
            Expr::value(row.calendar_version.clone()),
        )
        .col_expr(case_clock::Column::UpdatedAt, Expr::value(row.updated_at))
        .filter(case_clock::Column::CaseId.eq(row.case_id))
        .filter(case_clock::Column::Clock.eq(row.clock.as_str()))
        .filter(case_clock::Column::Run.eq(run))
        .filter(case_clock::Column::Status.eq(status))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Clocks that are running or paused (their deadlines are open), with a calendar version other
/// than `version`.
pub async fn open_with_other_calendar(
    db: &impl ConnectionTrait,
    version: &str,
) -> Result<Vec<ClockRow>, DbErr> {
    CaseClock::find()
        .filter(case_clock::Column::Status.is_in(["running", "paused"]))
        .filter(case_clock::Column::CalendarVersion.ne(version))
        .all(db)
        .await
}

pub async fn segments_of_run(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    clock: &str,
    run: i32,
) -> Result<Vec<SegmentRow>, DbErr> {
    ClockSegment::find()
        .filter(clock_segment::Column::CaseId.eq(case_id))
        .filter(clock_segment::Column::Clock.eq(clock))
        .filter(clock_segment::Column::Run.eq(run))
        .order_by_asc(clock_segment::Column::StartedAt)
        .order_by_asc(clock_segment::Column::Id)
        .all(db)
        .await
}

/// Running clocks per clock name, and how many of them are past due at `now`.
pub async fn open_counts(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64, i64)>, DbErr> {
    let rows: Vec<(String, i64)> = CaseClock::find()
        .select_only()
        .column(case_clock::Column::Clock)
        .column_as(case_clock::Column::CaseId.count(), "n")
        .filter(case_clock::Column::Status.eq("running"))
        .group_by(case_clock::Column::Clock)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (clock, open) in rows {
        let overdue = CaseClock::find()
            .filter(case_clock::Column::Status.eq("running"))
            .filter(case_clock::Column::Clock.eq(clock.as_str()))
            .filter(case_clock::Column::DueAt.lt(now))
            .count(db)
            .await?;
        out.push((clock, open, overdue as i64));
    }
    Ok(out)
}

/// Cases with at least one running clock past due.
pub async fn overdue_cases(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let ids: Vec<Uuid> = CaseClock::find()
        .select_only()
        .column(case_clock::Column::CaseId)
        .distinct()
        .filter(case_clock::Column::Status.eq("running"))
        .filter(case_clock::Column::DueAt.lt(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.len() as u64)
}

// ------------------------------------------------------------------ timers

pub async fn insert_timer(db: &impl ConnectionTrait, row: TimerRow) -> Result<(), DbErr> {
    Timer::insert(timer::ActiveModel {
        id: Set(row.id),
        case_id: Set(row.case_id),
        clock: Set(row.clock),
        run: Set(row.run),
        kind: Set(row.kind),
        fraction: Set(row.fraction),
        due_at: Set(row.due_at),
        action: Set(row.action),
        status: Set(row.status),
        fired_at: Set(row.fired_at),
        note: Set(row.note),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn insert_timers(db: &impl ConnectionTrait, rows: Vec<TimerRow>) -> Result<(), DbErr> {
    super::batch::run(db, timers_statement(db.get_database_backend(), rows)).await
}

/// The INSERT of [`insert_timers`] (none if there are no rows).
fn timers_statement(backend: DbBackend, rows: Vec<TimerRow>) -> Option<Statement> {
    if rows.is_empty() {
        return None;
    }
    let insert = Timer::insert_many(rows.into_iter().map(|row| timer::ActiveModel {
        id: Set(row.id),
        case_id: Set(row.case_id),
        clock: Set(row.clock),
        run: Set(row.run),
        kind: Set(row.kind),
        fraction: Set(row.fraction),
        due_at: Set(row.due_at),
        action: Set(row.action),
        status: Set(row.status),
        fired_at: Set(row.fired_at),
        note: Set(row.note),
        created_at: Set(row.created_at),
    }));
    Some(insert.build(backend))
}

/// Cancels the pending timers of one clock of a case (of one run of it, if given).
pub async fn cancel_timers(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    clock: &str,
    run: Option<i32>,
) -> Result<(), DbErr> {
    let mut update = Timer::update_many()
        .col_expr(timer::Column::Status, Expr::value(CANCELLED))
        .filter(timer::Column::CaseId.eq(case_id))
        .filter(timer::Column::Clock.eq(clock))
        .filter(timer::Column::Status.eq(PENDING));
    if let Some(run) = run {
        update = update.filter(timer::Column::Run.eq(run));
    }
    update.exec(db).await?;
    Ok(())
}

/// Warning fractions already fired for one run of a clock.
pub async fn fired_warnings(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    clock: &str,
    run: i32,
) -> Result<Vec<f64>, DbErr> {
    let rows: Vec<Option<f64>> = Timer::find()
        .select_only()
        .column(timer::Column::Fraction)
        .filter(timer::Column::CaseId.eq(case_id))
        .filter(timer::Column::Clock.eq(clock))
        .filter(timer::Column::Run.eq(run))
        .filter(timer::Column::Kind.eq("warning"))
        .filter(timer::Column::Status.eq("fired"))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Claims up to `limit` due pending timers for this transaction, oldest due first.
///
/// The claim is the transaction's first statement and a write, so SQLite takes its write lock at
/// once; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several instances claim disjoint batches.
/// Claimed rows are never committed as `claimed`: the same transaction marks each fired or
/// skipped, and a rollback returns them to `pending`.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<TimerRow>, DbErr> {
    let mut select = Query::select();
    select
        .column(timer::Column::Id)
        .from(Timer)
        .and_where(Expr::col(timer::Column::Status).eq(PENDING))
        .and_where(Expr::col(timer::Column::DueAt).lte(now))
        .order_by(timer::Column::DueAt, sea_orm::Order::Asc)
        .limit(limit);
    let update = Query::update()
        .table(Timer)
        .value(timer::Column::Status, CLAIMED)
        .to_owned();
    super::claim_rows(db, update, timer::Column::Id, select).await?;
    Timer::find()
        .filter(timer::Column::Status.eq(CLAIMED))
        .order_by_asc(timer::Column::DueAt)
        .all(db)
        .await
}

pub const PENDING: &str = TimerState::Pending.as_str();
pub const CLAIMED: &str = TimerState::Claimed.as_str();
pub const FIRED: &str = TimerState::Fired.as_str();
pub const SKIPPED: &str = TimerState::Skipped.as_str();
pub const FAILED: &str = TimerState::Failed.as_str();
pub const CANCELLED: &str = TimerState::Cancelled.as_str();

/// What became of a claimed timer.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerOutcome {
    pub id: Uuid,
    /// [`FIRED`], [`SKIPPED`] or [`FAILED`].
    pub status: &'static str,
    pub note: Option<String>,
}

impl TimerOutcome {
    pub fn failed(id: Uuid, why: String) -> TimerOutcome {
        TimerOutcome {
            id,
            status: FAILED,
            note: Some(why),
        }
    }
}

/// Records the outcomes of a batch of claimed timers: the fired ones in one statement, the
/// others (with their notes) one by one.
pub async fn finish_timers(
    db: &impl ConnectionTrait,
    outcomes: &[TimerOutcome],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let fired: Vec<Uuid> = outcomes
        .iter()
        .filter(|o| o.status == FIRED && o.note.is_none())
        .map(|o| o.id)
        .collect();
    if !fired.is_empty() {
        Timer::update_many()
            .col_expr(timer::Column::Status, Expr::value(FIRED))
            .col_expr(timer::Column::FiredAt, Expr::value(at))
            .filter(timer::Column::Id.is_in(fired))
            .filter(timer::Column::Status.eq(CLAIMED))
            .exec(db)
            .await?;
    }
    for o in outcomes
        .iter()
        .filter(|o| o.status != FIRED || o.note.is_some())
    {
        Timer::update_many()
            .col_expr(timer::Column::Status, Expr::value(o.status))
            .col_expr(timer::Column::FiredAt, Expr::value(at))
            .col_expr(timer::Column::Note, Expr::value(o.note.clone()))
            .filter(timer::Column::Id.eq(o.id))
            .filter(timer::Column::Status.eq(CLAIMED))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Timers in `status` (any if `None`), of one case if given, latest due first, at most `limit`.
pub async fn list_timers(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    case_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<TimerRow>, DbErr> {
    let mut q = Timer::find();
    if let Some(s) = status {
        q = q.filter(timer::Column::Status.eq(s));
    }
    if let Some(c) = case_id {
        q = q.filter(timer::Column::CaseId.eq(c));
    }
    q.order_by_desc(timer::Column::DueAt)
        .order_by_desc(timer::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn find_timer(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<TimerRow>, DbErr> {
    Timer::find_by_id(id).one(db).await
}

/// Puts a failed timer back to `pending`, so that the next pass fires it. False if it is not
/// failed (any more).
pub async fn requeue_timer(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let r = Timer::update_many()
        .col_expr(timer::Column::Status, Expr::value(PENDING))
        .col_expr(
            timer::Column::FiredAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(timer::Column::Id.eq(id))
        .filter(timer::Column::Status.eq(FAILED))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn timers_of_case(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> Result<Vec<TimerRow>, DbErr> {
    Timer::find()
        .filter(timer::Column::CaseId.eq(case_id))
        .order_by_asc(timer::Column::DueAt)
        .all(db)
        .await
}

pub async fn count_timers(db: &impl ConnectionTrait, status: &str) -> Result<u64, DbErr> {
    Timer::find()
        .filter(timer::Column::Status.eq(status))
        .count(db)
        .await
}

/// How many timers wait to fire in `[from, to)`.
pub async fn waiting_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Timer::find()
        .filter(timer::Column::Status.is_in([PENDING, CLAIMED]))
        .filter(timer::Column::DueAt.gte(from))
        .filter(timer::Column::DueAt.lt(to))
        .count(db)
        .await
}

/// Whether any timer due by `at` is still waiting to fire (one row read through the index on
/// status and due moment).
pub async fn any_waiting(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(Timer::find()
        .filter(timer::Column::Status.is_in([PENDING, CLAIMED]))
        .filter(timer::Column::DueAt.lte(at))
        .one(db)
        .await?
        .is_some())
}

/// For each case, its running clock that falls due first.
pub async fn next_due(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, (DateTime<Utc>, String)>, DbErr> {
    let mut out: std::collections::HashMap<Uuid, (DateTime<Utc>, String)> =
        std::collections::HashMap::new();
    for chunk in case_ids.chunks(500) {
        let rows = CaseClock::find()
            .filter(case_clock::Column::CaseId.is_in(chunk.iter().copied()))
            .filter(case_clock::Column::Status.eq("running"))
            .all(db)
            .await?;
        for r in rows {
            if let Some(due) = r.due_at {
                let better = out.get(&r.case_id).is_none_or(|(d, _)| due < *d);
                if better {
                    out.insert(r.case_id, (due, r.clock));
                }
            }
        }
    }
    Ok(out)
}

/// Every segment of the clocks of these names, across all cases (reform figures).
pub async fn segments_named(
    db: &impl ConnectionTrait,
    clocks: &[&str],
) -> Result<Vec<SegmentRow>, DbErr> {
    ClockSegment::find()
        .filter(clock_segment::Column::Clock.is_in(clocks.iter().copied()))
        .order_by_asc(clock_segment::Column::CaseId)
        .order_by_asc(clock_segment::Column::StartedAt)
        .order_by_asc(clock_segment::Column::Id)
        .all(db)
        .await
}
