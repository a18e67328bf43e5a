//! `/cases`: search over what the person may see, with the API's filters, stable paging and a
//! CSV download of every match.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::home::case_title;
use super::inbox::choices;
use crate::app::cases::{self, CaseSnapshot, ListQuery};
use crate::app::App;
use crate::domain::calendar;
use crate::web::forms::Errors;
use crate::web::i18n::Lang;
use crate::web::layout::{local_time, Chrome};
use crate::web::session::Signed;
use crate::web::{render, render_as, WebError};

pub const PER_PAGE: u64 = 25;
/// The most rows a CSV download holds.
pub const CSV_MAX_ROWS: u64 = 20_000;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    workflow: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    org: Option<String>,
    /// Submitted on or after this day (Asia/Shanghai).
    #[serde(default)]
    from: Option<String>,
    /// Submitted on or before this day.
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub workflow: String,
    pub state: String,
    pub terminal: bool,
    pub org: String,
    pub submitted: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub c: Chrome,
    pub rows: Vec<Row>,
    pub q: String,
    pub workflow: String,
    pub state: String,
    pub org: String,
    pub from: String,
    pub to: String,
    pub workflows: Vec<(String, String)>,
    pub states: Vec<(String, String)>,
    pub orgs: Vec<(String, String)>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub first: u64,
    pub last: u64,
    /// The filters as a query string, without the page.
    pub query: String,
    pub errors: Errors,
}

impl CasesPage {
    /// `26–50`: the rows this page shows.
    pub fn range(&self) -> String {
        format!("{}–{}", self.first, self.last)
    }
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn day(s: &Option<String>, field: &str, lang: Lang, errors: &mut Errors) -> Option<NaiveDate> {
    let s = nonblank(s)?;
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, lang, "form-date");
            None
        }
    }
}

/// The use case's query for the page's filters (dates are whole days in Asia/Shanghai).
fn list_query(q: &SearchQuery, lang: Lang, errors: &mut Errors) -> ListQuery {
    let from = day(&q.from, "from", lang, errors);
    let to = day(&q.to, "to", lang, errors);
    let page = match nonblank(&q.page) {
        None => 1,
        Some(p) => match p.parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                errors.add("page", lang, "cases-page-invalid");
                1
            }
        },
    };
    ListQuery {
        workflow: nonblank(&q.workflow),
        state: nonblank(&q.state),
        org: nonblank(&q.org),
        q: nonblank(&q.q),
        submitted_from: from.map(calendar::start_of),
        submitted_to: to.map(calendar::end_of),
        page: Some(page),
        per_page: Some(PER_PAGE),
    }
}

fn query_string(q: &SearchQuery) -> String {
    let pairs: Vec<(&str, String)> = [
        ("q", &q.q),
        ("workflow", &q.workflow),
        ("state", &q.state),
        ("org", &q.org),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| nonblank(v).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn row(app: &App, lang: Lang, c: &CaseSnapshot) -> Row {
    let def = app.workflows.get(&c.workflow, c.workflow_version);
    Row {
        id: c.id.to_string(),
        title: case_title(&c.data, &c.id),
        workflow: def
            .as_ref()
            .map_or_else(|| c.workflow.clone(), |d| d.title.get(lang).to_string()),
        state: def
            .as_ref()
            .map_or_else(|| c.state.clone(), |d| d.state_title(&c.state, lang)),
        terminal: c.terminal,
        org: c.org.clone(),
        submitted: c.submitted_at.map(local_time).unwrap_or_default(),
        reference: c.reference.clone().unwrap_or_default(),
    }
}

/// `GET /cases`.
pub async fn search(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let mut errors = Errors::default();
    let lq = list_query(&q, lang, &mut errors);
    let workflow = lq.workflow.clone().unwrap_or_default();
    let result = cases::list_cases(&app, &who.actor, lq).await;
    let invalid = !errors.is_empty();
    let (page, status) = match result {
        Ok(p) if invalid => (
            Some(p),
            Some(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY),
        ),
        Ok(p) => (Some(p), None),
        Err(crate::app::AppError::Validation(fields)) => {
            errors.extend_from(lang, &fields);
            (
                None,
                Some(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY),
            )
        }
        Err(e) => return Err(e.into()),
    };
    let (workflows, states) = choices(&app, lang, &workflow);
    let orgs = crate::app::directory::access(&app.db, &who.actor).await?;
    let orgs = crate::app::directory::orgs(&app)
        .await?
        .into_iter()
        .filter(|o| o.kind != "bureau" && orgs.covers(&o.code))
        .map(|o| (o.code, o.name))
        .collect();
    let (rows, page_no, total) = match &page {
        Some(p) => (
            p.items.iter().map(|c| row(&app, lang, c)).collect(),
            p.page,
            p.total,
        ),
        None => (Vec::new(), 1, 0),
    };
    let pages = total.div_ceil(PER_PAGE).max(1);
    let first = if total == 0 {
        0
    } else {
        (page_no - 1) * PER_PAGE + 1
    };
    let last = (page_no * PER_PAGE).min(total);
    let view = CasesPage {
        c: Chrome::new(&who.ctx, "cases-title"),
        rows,
        q: q.q.clone().unwrap_or_default(),
        workflow,
        state: q.state.clone().unwrap_or_default(),
        org: q.org.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        workflows,
        states,
        orgs,
        page: page_no,
        pages,
        total,
        first,
        last,
        query: query_string(&q),
        errors,
    };
    match status {
        Some(s) => render_as(s, &view),
        None => render(&view),
    }
}

fn csv_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// `GET /cases.csv`: every case matching the filters (up to [`CSV_MAX_ROWS`]), oldest first.
pub async fn csv(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let mut errors = Errors::default();
    let mut lq = list_query(&q, lang, &mut errors);
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    let header = [
        "id",
        "title",
        "workflow",
        "workflow_version",
        "state",
        "state_title",
        "organisation",
        "reference",
        "created_at",
        "submitted_at",
        "updated_at",
    ];
    let mut out =
        crate::sheet::Sheet::new(header).map_err(|e| WebError::Unexpected(e.to_string()))?;
    let per_page = cases::MAX_PER_PAGE;
    let mut page = 1;
    let mut written = 0;
    loop {
        lq.page = Some(page);
        lq.per_page = Some(per_page);
        let p = cases::list_cases(&app, &who.actor, lq.clone()).await?;
        for c in &p.items {
            let def = app.workflows.get(&c.workflow, c.workflow_version);
            let state_title = def
                .as_ref()
                .map_or_else(|| c.state.clone(), |d| d.state_title(&c.state, lang));
            out.row([
                c.id.to_string(),
                case_title(&c.data, &c.id),
                c.workflow.clone(),
                c.workflow_version.to_string(),
                c.state.clone(),
                state_title,
                c.org.clone(),
                c.reference.clone().unwrap_or_default(),
                c.created_at.to_rfc3339(),
                csv_time(c.submitted_at),
                c.updated_at.to_rfc3339(),
            ])
            .map_err(|e| WebError::Unexpected(e.to_string()))?;
            written += 1;
        }
        if p.items.len() < per_page as usize || written >= CSV_MAX_ROWS {
            break;
        }
        page += 1;
    }
    let bytes = out
        .bytes()
        .map_err(|e| WebError::Unexpected(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"greenlane-cases.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
