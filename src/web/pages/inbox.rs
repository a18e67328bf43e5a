//! `/inbox`: the cases the person can act on, most urgent first, with filters in the URL and
//! saved views.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::home::case_title;
use crate::app::inbox::{self, InboxFilter, InboxItem};
use crate::app::sessions::{self, SavedView};
use crate::app::{App, AppError};
use crate::domain::Role;
use crate::web::forms::Errors;
use crate::web::i18n::Lang;
use crate::web::layout::Chrome;
use crate::web::session::{Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

/// One row of a work queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: String,
    pub title: String,
    pub workflow_key: String,
    pub workflow_version: u32,
    pub workflow: String,
    pub state: String,
    pub org: String,
    pub clock: String,
    pub due: String,
    /// Computed in a year without its official calendar.
    pub provisional: bool,
    pub days_left: Option<i64>,
    /// `working` or `calendar`: how the clock counts its days.
    pub day_kind: &'static str,
    /// `overdue`, `warning`, `ok` or `none` (no running clock).
    pub status: &'static str,
    /// The actions open to the person: (name, title, a way out such as a withdrawal).
    pub actions: Vec<(String, String, bool)>,
}

/// Inbox items as rows, with titles in `lang`.
pub fn queue_rows(app: &App, lang: Lang, items: Vec<InboxItem>) -> Vec<QueueRow> {
    items
        .into_iter()
        .map(|i| {
            let def = app.workflows.get(&i.workflow, i.workflow_version);
            let title = |f: &dyn Fn(&crate::engine::Definition) -> String, fallback: &str| {
                def.as_deref().map_or_else(|| fallback.to_string(), f)
            };
            let status = match (i.overdue, i.warning, i.next_due_at.is_some()) {
                (true, _, _) => "overdue",
                (_, true, _) => "warning",
                (_, _, true) => "ok",
                _ => "none",
            };
            QueueRow {
                id: i.id.to_string(),
                title: i
                    .project_name
                    .clone()
                    .unwrap_or_else(|| case_title(&serde_json::Value::Null, &i.id)),
                workflow: title(&|d| d.title.get(lang).to_string(), &i.workflow),
                state: title(&|d| d.state_title(&i.state, lang), &i.state),
                clock: i
                    .next_clock
                    .as_deref()
                    .map_or_else(String::new, |c| title(&|d| d.clock_title(c, lang), c)),
                actions: i
                    .allowed_actions
                    .iter()
                    .map(|a| {
                        let exit = def.as_deref().is_some_and(|d| {
                            d.actions.iter().any(|x| x.name == *a && d.is_exit(x))
                        });
                        (
                            a.clone(),
                            title(&|d| d.transition_title(a, &i.state, lang), a),
                            exit,
                        )
                    })
                    .collect(),
                due: i.next_due.map_or_else(
                    || {
                        i.next_due_at
                            .map_or_else(String::new, crate::web::layout::local_time)
                    },
                    |d| d.format("%Y-%m-%d").to_string(),
                ),
                provisional: i.provisional,
                days_left: i.days_left,
                day_kind: i
                    .next_clock
                    .as_deref()
                    .and_then(|c| def.as_deref().and_then(|d| d.clock(c)))
                    .map_or("working", |c| match c.day_type {
                        crate::domain::calendar::DayType::Working => "working",
                        crate::domain::calendar::DayType::Calendar => "calendar",
                    }),
                status,
                org: i.organisation,
                workflow_key: i.workflow,
                workflow_version: i.workflow_version,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    workflow: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    due_within: Option<String>,
    /// The confirmation shown after a change (read by the page frame).
    #[serde(default)]
    #[allow(dead_code)]
    done: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The filters as the page shows them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub q: String,
    pub workflow: String,
    pub state: String,
    pub org: String,
    pub overdue: bool,
    pub due_within: String,
    /// The filters as a query string (for saving the view and for the CSV link).
    pub query: String,
    pub any: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub c: Chrome,
    pub rows: Vec<QueueRow>,
    pub f: Filters,
    pub workflows: Vec<(String, String)>,
    pub states: Vec<(String, String)>,
    pub orgs: Vec<(String, String)>,
    pub views: Vec<SavedView>,
    pub errors: Errors,
    pub view_name: String,
}

fn filters(q: &InboxQuery) -> (InboxFilter, Filters, bool) {
    let due_within = nonblank(&q.due_within);
    let n = due_within.as_deref().and_then(|d| d.parse::<i64>().ok());
    let filter = InboxFilter {
        workflow: nonblank(&q.workflow),
        state: nonblank(&q.state),
        org: nonblank(&q.org),
        overdue: q.overdue.is_some(),
        due_within: n.filter(|n| (0..=366).contains(n)),
        text: nonblank(&q.q),
    };
    let bad_due = due_within.is_some() && filter.due_within.is_none();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("q", &filter.text),
        ("workflow", &filter.workflow),
        ("state", &filter.state),
        ("org", &filter.org),
    ] {
        if let Some(v) = v {
            pairs.push((k, v.clone()));
        }
    }
    if filter.overdue {
        pairs.push(("overdue", "1".into()));
    }
    if let Some(n) = filter.due_within {
        pairs.push(("due_within", n.to_string()));
    }
    let f = Filters {
        q: filter.text.clone().unwrap_or_default(),
        workflow: filter.workflow.clone().unwrap_or_default(),
        state: filter.state.clone().unwrap_or_default(),
        org: filter.org.clone().unwrap_or_default(),
        overdue: filter.overdue,
        due_within: due_within.unwrap_or_default(),
        query: serde_urlencoded::to_string(&pairs).unwrap_or_default(),
        any: !pairs.is_empty(),
    };
    (filter, f, bad_due)
}

/// A value and its title, for a list to choose from.
pub type Choices = Vec<(String, String)>;

/// The workflows and states to filter by, titled in `lang`.
pub fn choices(app: &App, lang: Lang, workflow: &str) -> (Choices, Choices) {
    let workflows: Vec<(String, String)> = app
        .workflows
        .summaries()
        .into_iter()
        .map(|s| (s.key, s.titles.get(lang).to_string()))
        .collect();
    let mut states: Vec<(String, String)> = Vec::new();
    for s in app.workflows.summaries() {
        if !workflow.is_empty() && s.key != workflow {
            continue;
        }
        if let Some(def) = app.workflows.newest(&s.key) {
            for st in &def.states {
                if !states.iter().any(|(n, _)| *n == st.name) {
                    states.push((st.name.clone(), def.state_title(&st.name, lang)));
                }
            }
        }
    }
    states.sort_by(|a, b| a.1.cmp(&b.1));
    (workflows, states)
}

async fn page(
    app: &App,
    who: &Signed,
    q: &InboxQuery,
    errors: Errors,
    view_name: String,
) -> Result<InboxPage, WebError> {
    let lang = who.ctx.lang;
    let (filter, f, bad_due) = filters(q);
    let items = inbox::inbox_filtered(app, &who.actor, Some(inbox::MAX_ITEMS), &filter).await?;
    let rows = queue_rows(app, lang, items);
    let (workflows, states) = choices(app, lang, &f.workflow);
    let orgs = if who.actor.roles.iter().any(|r| r.sees_all_organisations()) {
        crate::app::directory::orgs(app)
            .await?
            .into_iter()
            .filter(|o| o.kind != "bureau")
            .map(|o| (o.code, o.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut all_errors = errors;
    if bad_due {
        all_errors.add("due_within", lang, "inbox-due-within-invalid");
    }
    Ok(InboxPage {
        c: Chrome::new(&who.ctx, "inbox-title"),
        rows,
        f,
        workflows,
        states,
        orgs,
        views: sessions::views(app, &who.actor).await?,
        errors: all_errors,
        view_name,
    })
}

/// `GET /inbox`.
pub async fn inbox(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, WebError> {
    let p = page(&app, &who, &q, Errors::default(), String::new()).await?;
    render(&p)
}

/// `POST /inbox/views`: saves the current filters under a name.
pub async fn save_view(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    let query = form.get("query").unwrap_or_default().to_string();
    let name = form.get("name").unwrap_or_default().to_string();
    match sessions::save_view(&app, &who.actor, &name, &query).await {
        Ok(_) => {
            let sep = if query.is_empty() { "" } else { "&" };
            Ok(see_other(&format!("/inbox?{query}{sep}done=view-saved")))
        }
        Err(AppError::Validation(fields)) => {
            let mut errors = Errors::default();
            errors.extend_from(who.ctx.lang, &fields);
            let q: InboxQuery = serde_urlencoded::from_str(&query).unwrap_or_default();
            let p = page(&app, &who, &q, errors, name).await?;
            render_as(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /inbox/views/{id}/delete`.
pub async fn delete_view(
    posted: Posted,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    sessions::delete_view(&app, &posted.who.actor, id).await?;
    Ok(see_other("/inbox?done=view-deleted"))
}

/// Whether a role works from an inbox at all (used by the home page).
pub fn has_inbox(roles: &crate::domain::RoleSet) -> bool {
    [
        Role::Applicant,
        Role::Agency,
        Role::Reviewer,
        Role::Approver,
        Role::MarketOperator,
    ]
    .iter()
    .any(|r| roles.contains(*r))
}
