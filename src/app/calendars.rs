//! The official calendars: seeded from files, corrected by admins without a restart, cached in
//! memory and reloaded from the database, and every open deadline recomputed when they change.

use chrono::Datelike;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::idempotency::{finish, Idempotency};
use super::{clocks, App, AppError};
use crate::domain::audit::{canonical_json, to_micros};
use crate::domain::calendar::{Calendar, Segment, Year};
use crate::domain::Role;
use crate::engine::Actor;
use crate::store;

/// The calendar in force, shared by the use cases of this process.
pub struct CalendarCache {
    inner: RwLock<Arc<Calendar>>,
}

impl CalendarCache {
    pub fn new(cal: Calendar) -> CalendarCache {
        CalendarCache {
            inner: RwLock::new(Arc::new(cal)),
        }
    }

    pub fn get(&self) -> Arc<Calendar> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, cal: Calendar) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cal);
    }
}

fn hash_of(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Imports each `YEAR.json` in `dir` that the database lacks, or that came from a file whose
/// content has changed. A year an admin corrected is left alone.
pub async fn seed(db: &DatabaseConnection, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let year = Year::parse(&value).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let content = canonical_json(&serde_json::to_value(&year)?);
        let hash = hash_of(&content);
        let existing = store::calendars::find(db, year.year).await?;
        let replace = match &existing {
            None => true,
            Some(row) => row.source == "file" && row.hash != hash,
        };
        if replace {
            store::calendars::upsert(
                db,
                store::calendars::YearRow {
                    year: year.year,
                    content,
                    hash,
                    source: "file".into(),
                    updated_at: now,
                    updated_by: format!(
                        "file {}",
                        path.file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ),
                },
            )
            .await?;
            tracing::info!(year = year.year, "calendar year loaded from file");
        }
    }
    Ok(())
}

/// The calendar stored in the database.
pub async fn load(db: &DatabaseConnection) -> anyhow::Result<Calendar> {
    let mut years = Vec::new();
    for row in store::calendars::all(db).await? {
        let value: Value = serde_json::from_str(&row.content)?;
        let year = Year::parse(&value)
            .map_err(|e| anyhow::anyhow!("stored calendar {}: {e}", row.year))?;
        years.push(year);
    }
    Ok(Calendar::new(&years))
}

/// Reloads the cache from the database (other instances may have changed it).
pub async fn reload(app: &App) -> anyhow::Result<()> {
    let cal = load(&app.db).await?;
    if cal.version() != app.calendar.get().version() {
        tracing::info!(version = cal.version(), "calendar changed");
        app.calendar.set(cal);
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct YearSummary {
    pub year: i32,
    pub source: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub days_off: usize,
    pub make_up_working_days: usize,
    pub papers: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CalendarSummary {
    pub version: String,
    pub years: Vec<YearSummary>,
    pub note: &'static str,
    /// This year and the next two, where no official calendar is loaded: the deadlines that
    /// fall in each count weekends only and are provisional until it is.
    pub missing: Vec<MissingYear>,
}

/// A year without its official calendar, and the deadlines waiting in it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MissingYear {
    pub year: i32,
    pub deadlines: u64,
}

pub async fn summary(app: &App) -> Result<CalendarSummary, AppError> {
    let mut years = Vec::new();
    for row in store::calendars::all(&app.db).await? {
        let value: Value =
            serde_json::from_str(&row.content).map_err(|e| AppError::Unexpected(e.into()))?;
        let year = Year::parse(&value).map_err(AppError::Validation)?;
        years.push(YearSummary {
            year: row.year,
            source: row.source,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
            days_off: year.days.iter().filter(|d| d.off).count(),
            make_up_working_days: year.days.iter().filter(|d| !d.off).count(),
            papers: year.papers,
        });
    }
    let cal = app.calendar.get();
    let this_year = crate::domain::calendar::local_date(app.clock.now()).year();
    let mut missing = Vec::new();
    for year in this_year..=this_year + 2 {
        if cal.has_year(year) {
            continue;
        }
        let first = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1).map(crate::domain::calendar::start_of)
        };
        let deadlines = match (first(year), first(year + 1)) {
            (Some(from), Some(to)) => store::clocks::waiting_between(&app.db, from, to).await?,
            _ => 0,
        };
        // Next year is missed before it begins (it is usually published in November); a later
        // one only once a deadline falls in it.
        if year <= this_year + 1 || deadlines > 0 {
            missing.push(MissingYear { year, deadlines });
        }
    }
    Ok(CalendarSummary {
        missing,
        version: cal.version().to_string(),
        years,
        note: "a year not listed falls back to weekends only, and deadlines computed from it are provisional",
    })
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct YearChange {
    pub year: i32,
    pub calendar_version: String,
    /// Open deadlines recomputed, and how many of them moved.
    pub recomputed: usize,
    pub moved: usize,
}

/// Adds or corrects one year (admin only), recording it in the installation's audit stream and
/// recomputing every open deadline, all in one transaction.
pub async fn put_year(
    app: &App,
    actor: &Actor,
    value: Value,
    idem: Option<&Idempotency>,
) -> Result<YearChange, AppError> {
    super::require(actor, Role::Admin)?;
    let year = Year::parse(&value).map_err(AppError::Validation)?;
    let content =
        canonical_json(&serde_json::to_value(&year).map_err(|e| AppError::Unexpected(e.into()))?);
    let now = to_micros(app.clock.now());

    let mut years: Vec<Year> = Vec::new();
    for row in store::calendars::all(&app.db).await? {
        if row.year != year.year {
            let v: Value =
                serde_json::from_str(&row.content).map_err(|e| AppError::Unexpected(e.into()))?;
            years.push(Year::parse(&v).map_err(AppError::Validation)?);
        }
    }
    years.push(year.clone());
    let cal = Calendar::new(&years);

    let tx = app.db.begin().await?;
    store::calendars::upsert(
        &tx,
        store::calendars::YearRow {
            year: year.year,
            content: content.clone(),
            hash: hash_of(&content),
            source: "admin".into(),
            updated_at: now,
            updated_by: actor.subject.clone(),
        },
    )
    .await?;
    let payload = serde_json::from_str(&content).map_err(|e| AppError::Unexpected(e.into()))?;
    super::audit::append_installation(&tx, actor, "calendar.put_year", payload, now).await?;
    let (recomputed, moved) = recompute_open(app, &tx, &cal, now).await?;
    let change = YearChange {
        year: year.year,
        calendar_version: cal.version().to_string(),
        recomputed,
        moved,
    };
    let change = finish(app, tx, actor, idem, change, now).await?;
    app.calendar.set(cal);
    Ok(change)
}

/// Recomputes the due dates and timers of every open clock computed from another calendar.
async fn recompute_open(
    app: &App,
    db: &impl sea_orm::ConnectionTrait,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<(usize, usize), AppError> {
    let rows = store::clocks::open_with_other_calendar(db, cal.version()).await?;
    let mut moved = 0;
    for row in &rows {
        let Some(case) = store::cases::find(db, row.case_id).await? else {
            continue;
        };
        let version = u32::try_from(case.workflow_version).unwrap_or_default();
        let Some(def) = app.workflows.get(&case.workflow_key, version) else {
            continue;
        };
        let Some(spec) = def.clock(&row.clock) else {
            continue;
        };
        if spec.hours_from.is_some() {
            // Hours clocks do not depend on the calendar: only record the version seen.
            let same = store::clocks::ClockRow {
                calendar_version: cal.version().to_string(),
                ..row.clone()
            };
            store::clocks::update_if_unchanged(db, &same, row.run, &row.status).await?;
            continue;
        }
        let segments: Vec<Segment> =
            store::clocks::segments_of_run(db, row.case_id, &row.clock, row.run)
                .await?
                .iter()
                .map(|s| Segment {
                    start: s.started_at,
                    end: s.ended_at,
                    running: s.running,
                })
                .collect();
        if let Some(new) = clocks::reschedule(db, spec, row, &segments, cal, now).await? {
            if new.due_date != row.due_date {
                moved += 1;
            }
        }
    }
    Ok((rows.len(), moved))
}

/// Recomputes open deadlines left on an older calendar (for instance by another instance that
/// had not yet seen a change). Run by the worker.
pub async fn recompute_stale(app: &App) -> Result<usize, AppError> {
    let cal = app.calendar.get();
    if store::clocks::open_with_other_calendar(&app.db, cal.version())
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    store::lock_for_write(&tx).await?;
    let (n, _) = recompute_open(app, &tx, &cal, now).await?;
    tx.commit().await?;
    Ok(n)
}
