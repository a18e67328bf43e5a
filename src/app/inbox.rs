//! The inbox: the cases on which the caller can act now, the most urgent deadline first.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::directory::{self, Access};
use super::load::history_steps_of;
use super::{App, AppError};
use crate::engine::{self, Actor, CaseView};
use crate::store;

pub const MAX_ITEMS: u64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    pub id: Uuid,
    pub workflow: String,
    pub workflow_version: u32,
    pub state: String,
    pub version: i64,
    pub organisation: String,
    pub project_name: Option<String>,
    pub allowed_actions: Vec<String>,
    /// The nearest due moment of the case's running clocks, and which clock.
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_clock: Option<String>,
    /// That clock's last day (Asia/Shanghai), and the days left until it ends (working or
    /// calendar days, as the clock counts; negative once overdue).
    pub next_due: Option<NaiveDate>,
    /// The due date falls in a year without its official calendar (weekends only counted).
    pub provisional: bool,
    pub days_left: Option<i64>,
    /// The clock's last day has passed.
    pub overdue: bool,
    /// The clock has reached its first warning (`warn_at`) and is not yet overdue.
    pub warning: bool,
    pub updated_at: DateTime<Utc>,
}

/// What the inbox shows: every filter narrows it.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub org: Option<String>,
    /// Only cases whose nearest deadline has passed.
    pub overdue: bool,
    /// Only cases whose nearest deadline ends within this many days (overdue ones included).
    pub due_within: Option<i64>,
    /// Text in the project or plan name, or the case id.
    pub text: Option<String>,
}

impl InboxFilter {
    fn keeps(&self, item: &InboxItem, title: &str) -> bool {
        let text_ok = self.text.as_deref().is_none_or(|t| {
            let t = t.to_lowercase();
            title.to_lowercase().contains(&t) || item.id.to_string().starts_with(&t)
        });
        self.workflow.as_deref().is_none_or(|w| w == item.workflow)
            && self.state.as_deref().is_none_or(|s| s == item.state)
            && self.org.as_deref().is_none_or(|o| o == item.organisation)
            && (!self.overdue || item.overdue)
            && self
                .due_within
                .is_none_or(|n| item.overdue || item.days_left.is_some_and(|d| d <= n))
            && text_ok
    }
}

/// The days left on a clock from today to its last day (`due_at` is 24:00 Shanghai on it),
/// counted as the clock counts them; negative when the day has passed.
fn days_left(
    cal: &crate::domain::calendar::Calendar,
    day_type: crate::domain::calendar::DayType,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (NaiveDate, i64) {
    use crate::domain::calendar::local_date;
    let due = local_date(due_at - chrono::Duration::seconds(1));
    (
        due,
        crate::domain::calendar::days_left(cal, day_type, due, local_date(now)),
    )
}

/// Cases where the caller may fire an action now, nearest due first (cases without a running
/// clock last, oldest first).
pub async fn inbox(
    app: &App,
    actor: &Actor,
    limit: Option<u64>,
) -> Result<Vec<InboxItem>, AppError> {
    inbox_filtered(app, actor, limit, &InboxFilter::default()).await
}

/// The inbox narrowed by `filter`.
pub async fn inbox_filtered(
    app: &App,
    actor: &Actor,
    limit: Option<u64>,
    filter: &InboxFilter,
) -> Result<Vec<InboxItem>, AppError> {
    let limit = limit.unwrap_or(50).clamp(1, MAX_ITEMS) as usize;
    let cal = app.calendar.get();
    let now = app.clock.now();
    let wanted = wanted_states(app, actor);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let keys: BTreeSet<String> = wanted.iter().map(|w| w.0.clone()).collect();
    let states: BTreeSet<String> = wanted.iter().map(|w| w.2.clone()).collect();
    let orgs = match directory::access(&app.db, actor).await? {
        Access::All => None,
        Access::Orgs(o) => Some(o),
    };
    let rows = store::cases::in_states(&app.db, &keys, &states, orgs.as_deref()).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| {
            filter
                .workflow
                .as_deref()
                .is_none_or(|w| w == r.workflow_key)
                && filter.state.as_deref().is_none_or(|s| s == r.state)
                && filter.org.as_deref().is_none_or(|o| o == r.org)
        })
        .filter(|r| wanted.contains(&(r.workflow_key.clone(), version_of(r), r.state.clone())))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut dues: HashMap<Uuid, (DateTime<Utc>, String)> =
        store::clocks::next_due(&app.db, &ids).await?;
    let defs: HashMap<Uuid, std::sync::Arc<crate::engine::Definition>> = rows
        .iter()
        .filter_map(|row| {
            app.workflows
                .get(&row.workflow_key, version_of(row))
                .map(|d| (row.id, d))
        })
        .collect();
    let pairs: Vec<(Uuid, &crate::engine::Definition)> =
        defs.iter().map(|(id, d)| (*id, d.as_ref())).collect();
    let mut histories = history_steps_of(&app.db, &pairs).await?;
    let mut items = Vec::new();
    for row in rows {
        let Some(def) = defs.get(&row.id) else {
            continue;
        };
        let history = histories.remove(&row.id).unwrap_or_default();
        let view = CaseView {
            state: &row.state,
            data: &row.data,
            history: &history,
        };
        let allowed: Vec<String> = engine::allowed_actions(def, view, actor)
            .into_iter()
            .map(str::to_string)
            .collect();
        if allowed.is_empty() {
            continue;
        }
        let due = dues.remove(&row.id);
        let reading = DueReading::of(def, due.as_ref(), &cal, now);
        let (item, title) = item(row, allowed, due, reading, &cal);
        if filter.keeps(&item, &title) {
            items.push(item);
        }
    }
    items.sort_by(|a, b| match (a.next_due_at, b.next_due_at) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    items.truncate(limit);
    Ok(items)
}

/// A case as the inbox lists it, and the title its text filter searches.
fn item(
    row: store::cases::CaseRow,
    allowed: Vec<String>,
    due: Option<(DateTime<Utc>, String)>,
    reading: DueReading,
    cal: &crate::domain::calendar::Calendar,
) -> (InboxItem, String) {
    let title = super::plan::title_of(&row.data)
        .or_else(|| {
            row.data
                .get("business_name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let item = InboxItem {
        id: row.id,
        workflow_version: version_of(&row),
        workflow: row.workflow_key,
        state: row.state,
        version: row.version,
        organisation: row.org,
        project_name: (!title.is_empty()).then(|| title.clone()),
        allowed_actions: allowed,
        next_due_at: due.as_ref().map(|d| d.0),
        next_clock: due.map(|d| d.1),
        next_due: reading.day,
        provisional: reading
            .day
            .is_some_and(|d| !cal.has_year(chrono::Datelike::year(&d))),
        days_left: reading.left,
        overdue: reading.overdue,
        warning: reading.warning,
        updated_at: row.updated_at,
    };
    (item, title)
}

fn version_of(row: &store::cases::CaseRow) -> u32 {
    u32::try_from(row.workflow_version).unwrap_or_default()
}

/// The (workflow, version, state) triples in which some action is open to one of the caller's
/// roles.
fn wanted_states(app: &App, actor: &Actor) -> BTreeSet<(String, u32, String)> {
    let mut wanted = BTreeSet::new();
    for summary in app.workflows.summaries() {
        for version in summary.versions {
            let Some(def) = app.workflows.get(&summary.key, version) else {
                continue;
            };
            for state in &def.states {
                let open = state
                    .actions
                    .iter()
                    .any(|a| def.actions[*a].roles.intersects(actor.roles));
                if open {
                    wanted.insert((def.key.clone(), version, state.name.clone()));
                }
            }
        }
    }
    wanted
}

/// How a case's next deadline reads today: its last day and the days left on a day clock, and
/// whether it is overdue or in its warning period.
#[derive(Default)]
struct DueReading {
    day: Option<NaiveDate>,
    left: Option<i64>,
    overdue: bool,
    warning: bool,
}

impl DueReading {
    fn of(
        def: &crate::engine::Definition,
        due: Option<&(DateTime<Utc>, String)>,
        cal: &crate::domain::calendar::Calendar,
        now: DateTime<Utc>,
    ) -> DueReading {
        let Some((at, clock)) = due else {
            return DueReading::default();
        };
        let Some(spec) = def.clock(clock).filter(|c| c.hours_from.is_none()) else {
            // An hours clock: overdue once its moment has passed.
            return DueReading {
                overdue: *at <= now,
                ..DueReading::default()
            };
        };
        let (day, left) = days_left(cal, spec.day_type, *at, now);
        let used = i64::from(spec.limit_days) - left;
        // In its warning period from the day the first warning fires (see `warning_at`).
        let warned = spec
            .warn_at
            .iter()
            .copied()
            .reduce(f64::min)
            .is_some_and(|f| used >= (f * f64::from(spec.limit_days)).ceil() as i64);
        DueReading {
            day: Some(day),
            left: Some(left),
            overdue: left < 0,
            warning: warned && left >= 0,
        }
    }
}
