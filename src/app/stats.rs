//! Reform figures (EIA.md, "Where this comes from"): cases by workflow and outcome, approval
//! durations in working days against the statutory, promised and one-third limits, investment
//! of approved projects, planning against project EIAs, the pre-licence count over time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::market::period_of;
use super::{App, AppError};
use crate::domain::calendar::{self, Segment};
use crate::domain::figures;
use crate::msg;
use crate::store;
use crate::store::cases::CaseRow;

/// Which cases a figure covers: a period size and an optional range of dates (Beijing time).
#[derive(Debug, Clone, Default)]
pub struct Range {
    pub period: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Range {
    /// From a request's `period`, `from` and `to` (ISO dates).
    pub fn parse(
        period: Option<String>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Range, AppError> {
        Ok(Range {
            period,
            from: super::licence::parse_date("from", from)?,
            to: super::licence::parse_date("to", to)?,
        })
    }

    fn period(&self) -> Result<String, AppError> {
        let p = self.period.clone().unwrap_or_else(|| "month".into());
        if ["month", "quarter", "year"].contains(&p.as_str()) {
            Ok(p)
        } else {
            Err(AppError::invalid("period", msg!("err-period")))
        }
    }

    fn covers(&self, at: DateTime<Utc>) -> bool {
        let d = calendar::local_date(at);
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// States that end a case without a decision on its merits.
const NOT_DECIDED: [&str; 2] = ["withdrawn", "returned"];
/// States that mean the project may go ahead.
const APPROVED: [&str; 4] = ["approval_announced", "approved", "deemed_approved", "filed"];
const PROJECT_EIAS: [&str; 3] = ["eia_report", "eia_report_form", "eia_registration"];

fn terminal(app: &App, row: &CaseRow) -> bool {
    let version = u32::try_from(row.workflow_version).unwrap_or_default();
    app.workflows
        .get(&row.workflow_key, version)
        .and_then(|d| d.state_id(&row.state).map(|s| d.state(s).terminal))
        .unwrap_or(false)
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CaseCount {
    pub period: String,
    pub workflow: String,
    /// The final state, or `open` while the case runs.
    pub outcome: String,
    pub cases: i64,
}

/// Submitted cases per period of submission, workflow and outcome.
pub async fn cases(app: &App, range: &Range) -> Result<Vec<CaseCount>, AppError> {
    let period = range.period()?;
    let mut acc: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for row in store::cases::submitted(&app.db).await? {
        let Some(at) = row.submitted_at.filter(|a| range.covers(*a)) else {
            continue;
        };
        let outcome = if terminal(app, &row) {
            row.state.clone()
        } else {
            "open".into()
        };
        *acc.entry((period_of(at, &period), row.workflow_key.clone(), outcome))
            .or_default() += 1;
    }
    Ok(acc
        .into_iter()
        .map(|((period, workflow, outcome), cases)| CaseCount {
            period,
            workflow,
            outcome,
            cases,
        })
        .collect())
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Durations {
    pub period: String,
    pub workflow: String,
    /// Decided cases (approved or refused) in the period of their decision.
    pub cases: usize,
    /// Working days on the statutory clock, stopped-clock time (evaluation, revision, hearing)
    /// excluded.
    pub median_days: f64,
    pub p90_days: f64,
    pub max_days: i64,
    pub statutory_limit_days: u32,
    pub on_time_statutory_pct: f64,
    pub promised_limit_days: Option<u32>,
    pub on_time_promised_pct: Option<f64>,
    /// One third of the statutory limit: the reform's target.
    pub one_third_target_days: f64,
    pub within_one_third_pct: f64,
}

/// Approval durations of decided cases per period of decision and workflow.
pub async fn durations(app: &App, range: &Range) -> Result<Vec<Durations>, AppError> {
    let period = range.period()?;
    let cal = app.calendar.get();
    let runs = last_runs(app).await?;
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for row in store::cases::submitted(&app.db).await? {
        if !terminal(app, &row) || NOT_DECIDED.contains(&row.state.as_str()) {
            continue;
        }
        if !range.covers(row.updated_at) {
            continue;
        }
        let version = u32::try_from(row.workflow_version).unwrap_or_default();
        let Some(def) = app.workflows.get(&row.workflow_key, version) else {
            continue;
        };
        let Some(statutory) = def.clock("statutory") else {
            continue;
        };
        let Some((_, segments)) = runs.get(&(row.id, "statutory".into())) else {
            continue;
        };
        let used = calendar::read(
            &cal,
            statutory.limit_days,
            statutory.day_type,
            segments,
            row.updated_at,
        )
        .used_days;
        let promised = def.clock("promised").map(|c| {
            let used = runs
                .get(&(row.id, "promised".into()))
                .map(|(_, s)| calendar::read(&cal, c.limit_days, c.day_type, s, row.updated_at))
                .map_or(0, |r| r.used_days);
            (c.limit_days, used)
        });
        let g = groups
            .entry((period_of(row.updated_at, &period), row.workflow_key.clone()))
            .or_insert((
                statutory.limit_days,
                promised.map(|p| p.0),
                Vec::new(),
                Vec::new(),
            ));
        g.2.push(used);
        if let Some((_, p)) = promised {
            g.3.push(p);
        }
    }
    Ok(groups.into_iter().map(durations_of).collect())
}

/// Per (period, workflow): the statutory limit, the promised limit, days used on each.
type Group = (u32, Option<u32>, Vec<i64>, Vec<i64>);

/// The last run's segments of each case's statutory and promised clocks.
async fn last_runs(app: &App) -> Result<BTreeMap<(Uuid, String), (i32, Vec<Segment>)>, AppError> {
    let mut runs: BTreeMap<(Uuid, String), (i32, Vec<Segment>)> = BTreeMap::new();
    for s in store::clocks::segments_named(&app.db, &["statutory", "promised"]).await? {
        let e = runs
            .entry((s.case_id, s.clock.clone()))
            .or_insert((s.run, Vec::new()));
        if s.run > e.0 {
            *e = (s.run, Vec::new());
        }
        if s.run == e.0 {
            e.1.push(Segment {
                start: s.started_at,
                end: s.ended_at,
                running: s.running,
            });
        }
    }
    Ok(runs)
}

/// The figures of one (period, workflow) group.
fn durations_of(
    ((period, workflow), (limit, promised, used, promised_used)): ((String, String), Group),
) -> Durations {
    let target = f64::from(limit) / 3.0;
    Durations {
        period,
        workflow,
        cases: used.len(),
        median_days: figures::median(&used),
        p90_days: figures::percentile(&used, 90.0),
        max_days: used.iter().copied().max().unwrap_or(0),
        statutory_limit_days: limit,
        on_time_statutory_pct: figures::share_pct(&used, |d| d <= i64::from(limit)),
        promised_limit_days: promised,
        on_time_promised_pct: promised
            .map(|p| figures::share_pct(&promised_used, |d| d <= i64::from(p))),
        one_third_target_days: (target * 10.0).round() / 10.0,
        within_one_third_pct: figures::share_pct(&used, |d| (d as f64) <= target),
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Investment {
    pub period: String,
    pub workflow: String,
    /// Approved (or filed) project EIAs in the period of their decision.
    pub projects: i64,
    pub investment_fen: i64,
}

/// Total investment of approved projects per period of approval and workflow.
pub async fn investment(app: &App, range: &Range) -> Result<Vec<Investment>, AppError> {
    let period = range.period()?;
    let mut acc: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for row in store::cases::submitted(&app.db).await? {
        if !PROJECT_EIAS.contains(&row.workflow_key.as_str())
            || !APPROVED.contains(&row.state.as_str())
            || !range.covers(row.updated_at)
        {
            continue;
        }
        let fen = row
            .data
            .get("investment_fen")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        let e = acc
            .entry((period_of(row.updated_at, &period), row.workflow_key.clone()))
            .or_default();
        e.0 += 1;
        e.1 = e.1.saturating_add(fen);
    }
    Ok(acc
        .into_iter()
        .map(
            |((period, workflow), (projects, investment_fen))| Investment {
                period,
                workflow,
                projects,
                investment_fen,
            },
        )
        .collect())
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PlanningCount {
    pub period: String,
    pub planning_eias: i64,
    pub project_eias: i64,
}

/// Planning EIAs against project EIAs submitted per period.
pub async fn planning(app: &App, range: &Range) -> Result<Vec<PlanningCount>, AppError> {
    let period = range.period()?;
    let mut acc: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in store::cases::submitted(&app.db).await? {
        let Some(at) = row.submitted_at.filter(|a| range.covers(*a)) else {
            continue;
        };
        let planning = row.workflow_key == "planning_eia";
        let project = PROJECT_EIAS.contains(&row.workflow_key.as_str());
        if !planning && !project {
            continue;
        }
        let e = acc.entry(period_of(at, &period)).or_default();
        if planning {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    Ok(acc
        .into_iter()
        .map(|(period, (planning_eias, project_eias))| PlanningCount {
            period,
            planning_eias,
            project_eias,
        })
        .collect())
}
