//! Clocks of a case: applying the engine's clock effects (segments, the run's row, timers),
//! and reading clocks for users.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::AppError;
use crate::domain::calendar::{self, Calendar, DayType, Reading, Segment};
use crate::engine::{Clock, ClockStatus, Definition, Effect};
use crate::msg;
use crate::store;
use crate::store::clocks::{ClockRow, SegmentRow, TimerRow};

/// One clock of a case as a user reads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClockView {
    pub name: String,
    pub limit_days: u32,
    pub day_type: DayType,
    pub used_days: i64,
    pub remaining_days: i64,
    pub due: Option<chrono::NaiveDate>,
    pub due_at: Option<DateTime<Utc>>,
    pub running: bool,
    pub paused: bool,
    pub provisional: bool,
    pub overdue: bool,
    /// The calendar version the stored due date was computed from.
    pub calendar_version: Option<String>,
}

/// The clocks of one case: each clock's row and the segments of its current run.
#[derive(Debug, Clone, Default)]
pub struct CaseClocks {
    rows: HashMap<String, ClockRow>,
    segments: HashMap<String, Vec<SegmentRow>>,
}

impl CaseClocks {
    pub async fn load(db: &impl ConnectionTrait, case_id: Uuid) -> Result<CaseClocks, AppError> {
        let (rows, segments) = store::clocks::of_case(db, case_id).await?;
        Ok(CaseClocks::from_rows(rows, segments))
    }

    /// The clocks of many cases, in two queries.
    pub async fn load_many(
        db: &impl ConnectionTrait,
        case_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, CaseClocks>, AppError> {
        let (rows, segments) = store::clocks::of_cases(db, case_ids).await?;
        let mut rows_of: HashMap<Uuid, Vec<ClockRow>> = HashMap::new();
        for r in rows {
            rows_of.entry(r.case_id).or_default().push(r);
        }
        let mut segments_of: HashMap<Uuid, Vec<SegmentRow>> = HashMap::new();
        for s in segments {
            segments_of.entry(s.case_id).or_default().push(s);
        }
        Ok(case_ids
            .iter()
            .map(|id| {
                let rows = rows_of.remove(id).unwrap_or_default();
                let segments = segments_of.remove(id).unwrap_or_default();
                (*id, CaseClocks::from_rows(rows, segments))
            })
            .collect())
    }

    pub(crate) fn from_rows(rows: Vec<ClockRow>, segments: Vec<SegmentRow>) -> CaseClocks {
        let rows: HashMap<String, ClockRow> =
            rows.into_iter().map(|r| (r.clock.clone(), r)).collect();
        let mut by_clock: HashMap<String, Vec<SegmentRow>> = HashMap::new();
        for s in segments {
            if rows.get(&s.clock).is_some_and(|r| r.run == s.run) {
                by_clock.entry(s.clock.clone()).or_default().push(s);
            }
        }
        CaseClocks {
            rows,
            segments: by_clock,
        }
    }

    fn domain_segments(&self, clock: &str) -> Vec<Segment> {
        self.segments
            .get(clock)
            .map(|v| v.iter().map(to_domain).collect())
            .unwrap_or_default()
    }

    pub fn row(&self, clock: &str) -> Option<&ClockRow> {
        self.rows.get(clock)
    }
}

fn to_domain(s: &SegmentRow) -> Segment {
    Segment {
        start: s.started_at,
        end: s.ended_at,
        running: s.running,
    }
}

/// Every clock the definition declares, read at `now`.
pub fn readings(
    def: &Definition,
    clocks: &CaseClocks,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Vec<ClockView> {
    def.clocks
        .iter()
        .map(|c| {
            let row = clocks.rows.get(&c.name);
            if c.hours_from.is_some() {
                return hours_view(c, row, now);
            }
            let segments = clocks.domain_segments(&c.name);
            let r: Reading = calendar::read(cal, c.limit_days, c.day_type, &segments, now);
            ClockView {
                name: c.name.clone(),
                limit_days: c.limit_days,
                day_type: c.day_type,
                used_days: r.used_days,
                remaining_days: r.remaining_days,
                due: r.due,
                due_at: r.due_at,
                running: r.running,
                paused: row.is_some_and(|r| ClockStatus::Paused.is(&r.status)),
                provisional: r.provisional,
                overdue: r.overdue,
                calendar_version: row.map(|r| r.calendar_version.clone()),
            }
        })
        .collect()
}

/// A clock whose limit is hours from its start (a market window): read from its row.
fn hours_view(c: &Clock, row: Option<&ClockRow>, now: DateTime<Utc>) -> ClockView {
    let running = row.is_some_and(|r| ClockStatus::Running.is(&r.status));
    let due_at = row.and_then(|r| r.due_at);
    let remaining_days = due_at.map_or(0, |d| {
        let secs = (d - now).num_seconds();
        if secs > 0 {
            (secs + 86_399) / 86_400
        } else {
            secs / 86_400
        }
    });
    ClockView {
        name: c.name.clone(),
        limit_days: 0,
        day_type: c.day_type,
        used_days: 0,
        remaining_days,
        due: due_at.map(calendar::local_date),
        due_at,
        running,
        paused: false,
        provisional: false,
        overdue: running && due_at.is_some_and(|d| now >= d),
        calendar_version: row.map(|r| r.calendar_version.clone()),
    }
}

/// The writes a transition's clock effects make (see `store::clocks::ClockWrites`).
pub use crate::store::clocks::ClockWrites as ClockPlan;

/// The warning fractions already fired in the current run of each clock that a transition
/// continues (pauses or resumes): a resumed clock must not warn twice.
pub type FiredWarnings = HashMap<String, Vec<f64>>;

/// The clocks whose fired warnings [`plan`] needs: those with warnings that `effects` keep
/// running or resume, rather than start afresh (a new run has fired nothing) or pause or stop
/// (nothing is scheduled then). Usually none, and then nothing is read.
pub fn continued_with_warnings(def: &Definition, effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Clock {
                clock, from, to, ..
            } if *from != ClockStatus::Stopped && *to == ClockStatus::Running => def
                .clock(clock)
                .filter(|c| !c.warn_at.is_empty() && c.hours_from.is_none())
                .map(|c| c.name.clone()),
            _ => None,
        })
        .collect()
}

/// Reads the fired warnings of the current runs of `clocks` (see [`continued_with_warnings`]).
pub async fn fired_warnings(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    case_clocks: &CaseClocks,
    clocks: &[String],
) -> Result<FiredWarnings, AppError> {
    let mut out = FiredWarnings::new();
    for clock in clocks {
        let run = case_clocks.rows.get(clock).map_or(0, |r| r.run);
        out.insert(
            clock.clone(),
            store::clocks::fired_warnings(db, case_id, clock, run).await?,
        );
    }
    Ok(out)
}

/// Plans a transition's clock effects: segments opened and closed, the run's row updated, old
/// timers cancelled, new ones scheduled. Pure: `clocks` is updated to what the plan writes.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    def: &Definition,
    case_id: Uuid,
    state_after: &str,
    clocks: &mut CaseClocks,
    effects: &[Effect],
    data: &serde_json::Value,
    cal: &Calendar,
    now: DateTime<Utc>,
    fired: &FiredWarnings,
) -> Result<ClockPlan, AppError> {
    let mut out = ClockPlan::default();
    for effect in effects {
        let Effect::Clock {
            clock,
            from,
            to,
            at,
        } = effect
        else {
            continue;
        };
        let Some(spec) = def.clock(clock) else {
            continue;
        };
        let mut run = clocks.rows.get(clock).map_or(0, |r| r.run);
        if *from == ClockStatus::Stopped {
            run += 1;
            clocks.segments.insert(clock.clone(), Vec::new());
        }
        let segments = clocks.segments.entry(clock.clone()).or_default();
        if let Some(open) = segments.iter_mut().find(|s| s.ended_at.is_none()) {
            open.ended_at = Some(*at);
            out.close.push((open.id, *at));
        }
        if *to != ClockStatus::Stopped {
            let segment = SegmentRow {
                id: Uuid::now_v7(),
                case_id,
                clock: clock.clone(),
                run,
                running: *to == ClockStatus::Running,
                reason: state_after.to_string(),
                started_at: *at,
                ended_at: None,
            };
            out.open.push(segment.clone());
            segments.push(segment);
        }
        if *from != ClockStatus::Stopped {
            // A new run has no timers yet; a continuing one drops its old ones.
            out.cancel.push((case_id, clock.clone()));
        }
        let status = ClockStatus::as_str(*to);
        let (row, timers) = match &spec.hours_from {
            Some(field) => schedule_hours(spec, field, data, case_id, run, status, *at, cal, now)?,
            None => {
                let already: &[f64] = if *from == ClockStatus::Stopped {
                    &[] // a run that has just started has fired nothing
                } else {
                    fired.get(clock).map_or(&[], Vec::as_slice)
                };
                schedule(
                    spec,
                    case_id,
                    run,
                    status,
                    &clocks.domain_segments(clock),
                    cal,
                    now,
                    already,
                )
            }
        };
        clocks.rows.insert(clock.clone(), row.clone());
        // A later effect on the same clock in this transition replaces this row.
        out.rows.retain(|r| r.clock != row.clock);
        out.rows.push(row);
        out.timers.extend(timers);
    }
    Ok(out)
}

/// An hours clock: due `data[field]` hours after it starts; no calendar, no pause, no warnings.
#[allow(clippy::too_many_arguments)]
fn schedule_hours(
    spec: &Clock,
    field: &str,
    data: &serde_json::Value,
    case_id: Uuid,
    run: i32,
    status: &str,
    start: DateTime<Utc>,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<(ClockRow, Vec<TimerRow>), AppError> {
    let hours = data
        .get(field)
        .and_then(serde_json::Value::as_i64)
        .filter(|h| *h > 0)
        .ok_or_else(|| {
            let mut e = crate::domain::FieldErrors::default();
            e.add(field, msg!("err-positive-hours"));
            AppError::Validation(e)
        })?;
    let due_at = ClockStatus::Running
        .is(status)
        .then(|| start + chrono::Duration::hours(hours));
    let row = ClockRow {
        case_id,
        clock: spec.name.clone(),
        run,
        status: status.to_string(),
        due_date: due_at.map(|d| calendar::local_date(d).to_string()),
        due_at,
        provisional: false,
        calendar_version: cal.version().to_string(),
        updated_at: now,
    };
    let timers = due_at
        .map(|due_at| TimerRow {
            id: Uuid::now_v7(),
            case_id,
            clock: spec.name.clone(),
            run,
            kind: "expiry".into(),
            fraction: None,
            due_at,
            action: Some(spec.on_expiry.clone()),
            status: store::clocks::PENDING.into(),
            fired_at: None,
            note: None,
            created_at: now,
        })
        .into_iter()
        .collect();
    Ok((row, timers))
}

/// A run's due date, and (for a running clock) the timers to schedule: its expiry and the
/// warnings still ahead that have not fired (`fired`).
#[allow(clippy::too_many_arguments)]
fn schedule(
    spec: &Clock,
    case_id: Uuid,
    run: i32,
    status: &str,
    segments: &[Segment],
    cal: &Calendar,
    now: DateTime<Utc>,
    fired: &[f64],
) -> (ClockRow, Vec<TimerRow>) {
    let reading = calendar::read(cal, spec.limit_days, spec.day_type, segments, now);
    let row = ClockRow {
        case_id,
        clock: spec.name.clone(),
        run,
        status: status.to_string(),
        due_date: reading.due.map(|d| d.to_string()),
        due_at: reading.due_at,
        provisional: reading.provisional,
        calendar_version: cal.version().to_string(),
        updated_at: now,
    };
    let timers = if ClockStatus::Running.is(status) {
        timers_for(spec, &row, &reading, segments, cal, now, fired)
    } else {
        Vec::new()
    };
    (row, timers)
}

/// Recomputes an open run with another calendar: its due date and its pending timers. Does
/// nothing (and answers `None`) if the run moved on meanwhile.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    spec: &Clock,
    row: &ClockRow,
    segments: &[Segment],
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<Option<ClockRow>, AppError> {
    let reading = calendar::read(cal, spec.limit_days, spec.day_type, segments, now);
    let new = ClockRow {
        due_date: reading.due.map(|d| d.to_string()),
        due_at: reading.due_at,
        provisional: reading.provisional,
        calendar_version: cal.version().to_string(),
        updated_at: now,
        ..row.clone()
    };
    if !store::clocks::update_if_unchanged(db, &new, row.run, &row.status).await? {
        return Ok(None);
    }
    store::clocks::cancel_timers(db, row.case_id, &row.clock, Some(row.run)).await?;
    if ClockStatus::Running.is(&new.status) {
        let fired = if spec.warn_at.is_empty() {
            Vec::new()
        } else {
            store::clocks::fired_warnings(db, row.case_id, &spec.name, row.run).await?
        };
        let timers = timers_for(spec, &new, &reading, segments, cal, now, &fired);
        store::clocks::insert_timers(db, timers).await?;
    }
    Ok(Some(new))
}

#[allow(clippy::too_many_arguments)]
fn timers_for(
    spec: &Clock,
    row: &ClockRow,
    reading: &Reading,
    segments: &[Segment],
    cal: &Calendar,
    now: DateTime<Utc>,
    fired: &[f64],
) -> Vec<TimerRow> {
    let timer = |kind: &str, fraction: Option<f64>, due_at, action: Option<String>| TimerRow {
        id: Uuid::now_v7(),
        case_id: row.case_id,
        clock: spec.name.clone(),
        run: row.run,
        kind: kind.into(),
        fraction,
        due_at,
        action,
        status: store::clocks::PENDING.into(),
        fired_at: None,
        note: None,
        created_at: now,
    };
    let mut timers = Vec::new();
    if let Some(due_at) = reading.due_at {
        timers.push(timer("expiry", None, due_at, Some(spec.on_expiry.clone())));
    }
    for fraction in &spec.warn_at {
        if fired.iter().any(|f| (f - fraction).abs() < 1e-9) {
            continue;
        }
        if let Some(at) = calendar::warning_at(
            cal,
            spec.limit_days,
            spec.day_type,
            *fraction,
            segments,
            now,
        ) {
            timers.push(timer("warning", Some(*fraction), at, None));
        }
    }
    timers
}
