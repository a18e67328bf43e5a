//! `/`: what waits for the person, by role.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::Value;

use super::inbox::{queue_rows, QueueRow};
use crate::app::cases::{self, ListQuery};
use crate::app::inbox::{self, InboxFilter};
use crate::app::App;
use crate::domain::Role;
use crate::web::i18n::Lang;
use crate::web::layout::Chrome;
use crate::web::session::{Ctx, Posted, Signed};
use crate::web::{render, see_other, WebError};

/// A case that waits for an applicant, with what the bureau asked for.
pub struct Waiting {
    pub row: QueueRow,
    /// Who asked, when, and what: (field title, values).
    pub asked_by: String,
    pub asked_at: String,
    pub asked: Vec<(String, Vec<String>)>,
    pub comment: Option<String>,
}

/// A case in a list of one's own.
pub struct MineRow {
    pub id: String,
    pub title: String,
    pub workflow: String,
    pub state: String,
    pub terminal: bool,
    pub updated: String,
}

/// An agency grant as an enterprise's home lists it.
pub struct GrantRow {
    pub id: String,
    pub agency: String,
    pub granted: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub c: Chrome,
    /// For an enterprise's applicant: the agencies acting for it, and those it may add.
    pub grants: Vec<GrantRow>,
    pub agencies: Vec<(String, String)>,
    pub waiting: Vec<Waiting>,
    pub mine: Vec<MineRow>,
    pub applicant: bool,
    pub queue: Vec<QueueRow>,
    pub queue_shown: bool,
    pub auditor: bool,
    pub admin: bool,
}

/// A case's title as lists show it: the project, plan or business name, else its short id.
pub fn case_title(data: &Value, id: &uuid::Uuid) -> String {
    ["project_name", "plan_name", "business_name"]
        .iter()
        .find_map(|f| data.get(*f).and_then(Value::as_str))
        .map_or_else(|| id.to_string().chars().take(8).collect(), str::to_string)
}

/// Values of a payload field as lines.
pub fn values_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect(),
        Value::String(s) => vec![s.clone()],
        Value::Null => Vec::new(),
        Value::Bool(b) => vec![b.to_string()],
        other => vec![other.to_string()],
    }
}

/// What the latest entry by someone else asked of the applicant.
async fn waiting_for(
    app: &App,
    who: &Signed,
    row: QueueRow,
    lang: Lang,
) -> Result<Waiting, WebError> {
    let id: uuid::Uuid = row.id.parse().map_err(|_| WebError::NotFound)?;
    let history = cases::history(app, &who.actor, id).await?;
    let def = app.workflows.get(&row.workflow_key, row.workflow_version);
    let last = history
        .iter()
        .rev()
        .find(|e| e.actor != who.actor.subject && e.action != cases::CREATE_ACTION);
    let (asked_by, asked_at, asked, comment) = match (last, def) {
        (Some(e), Some(def)) => {
            let asked = e
                .payload
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, v)| !v.is_object())
                        .map(|(k, v)| {
                            (
                                def.field_title(k, lang)
                                    .unwrap_or_else(|| k.replace('_', " ")),
                                values_of(v),
                            )
                        })
                        .filter(|(_, v)| !v.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            (
                def.transition_title(&e.action, &e.from, lang),
                crate::web::layout::local_time(e.at),
                asked,
                e.comment.clone(),
            )
        }
        _ => (String::new(), String::new(), Vec::new(), None),
    };
    Ok(Waiting {
        row,
        asked_by,
        asked_at,
        asked,
        comment,
    })
}

/// `POST /grants`: an enterprise's applicant lets an EIA agency act for it.
pub async fn grant(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let agency = posted.form.get("agency").unwrap_or_default().to_string();
    crate::app::directory::grant(&app, &posted.who.actor, &agency, None, None).await?;
    Ok(see_other("/?done=grant-added#grants"))
}

/// `POST /grants/{id}/revoke`: the enterprise withdraws an agency's access.
pub async fn revoke(
    posted: Posted,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: uuid::Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    crate::app::directory::revoke(&app, &posted.who.actor, id, None).await?;
    Ok(see_other("/?done=grant-revoked#grants"))
}

/// `GET /`: the signed-in person's home; the sign-in page for anyone else.
pub async fn home(ctx: Ctx, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Some(session) = ctx.session.clone() else {
        return Ok(see_other("/login"));
    };
    let who = Signed {
        actor: session.actor(),
        session,
        ctx: ctx.clone(),
    };
    let lang = ctx.lang;
    let roles = &who.actor.roles;
    let applicant = roles.contains(Role::Applicant) || roles.contains(Role::Agency);
    let works_queue = [Role::Reviewer, Role::Approver, Role::MarketOperator]
        .iter()
        .any(|r| roles.contains(*r));
    let mut waiting = Vec::new();
    let mut mine = Vec::new();
    let mut queue = Vec::new();
    if applicant || works_queue {
        let items =
            inbox::inbox_filtered(&app, &who.actor, Some(50), &InboxFilter::default()).await?;
        let rows = queue_rows(&app, lang, items);
        if applicant {
            // What waits for an applicant is a next step, not only the right to withdraw.
            let rows = rows.into_iter().filter(|r| r.actions.iter().any(|a| !a.2));
            for row in rows.take(10) {
                waiting.push(waiting_for(&app, &who, row, lang).await?);
            }
        } else {
            queue = rows.into_iter().take(12).collect();
        }
    }
    if applicant {
        let page = cases::list_cases(
            &app,
            &who.actor,
            ListQuery {
                per_page: Some(cases::MAX_PER_PAGE),
                ..ListQuery::default()
            },
        )
        .await?;
        let mut items = page.items;
        items.sort_by_key(|c| std::cmp::Reverse(c.updated_at));
        for c in items.into_iter().take(15) {
            let def = app.workflows.get(&c.workflow, c.workflow_version);
            mine.push(MineRow {
                id: c.id.to_string(),
                title: case_title(&c.data, &c.id),
                workflow: def
                    .as_ref()
                    .map_or_else(|| c.workflow.clone(), |d| d.title.get(lang).to_string()),
                state: def
                    .as_ref()
                    .map_or_else(|| c.state.clone(), |d| d.state_title(&c.state, lang)),
                terminal: c.terminal,
                updated: crate::web::layout::local_time(c.updated_at),
            });
        }
    }
    let (mut grants, mut agencies) = (Vec::new(), Vec::new());
    if roles.contains(Role::Applicant) {
        let orgs = crate::app::directory::orgs(&app).await?;
        let name_of = |code: &str| {
            orgs.iter()
                .find(|o| o.code == code)
                .map_or_else(|| code.to_string(), |o| format!("{} ({code})", o.name))
        };
        for g in crate::app::directory::grants(&app, &who.actor).await? {
            if g.active && g.enterprise == who.actor.org {
                grants.push(GrantRow {
                    id: g.id.to_string(),
                    agency: name_of(&g.agency),
                    granted: crate::web::layout::local_time(g.granted_at),
                });
            }
        }
        agencies = orgs
            .iter()
            .filter(|o| o.kind == "agency")
            .map(|o| (o.code.clone(), o.name.clone()))
            .collect();
    }
    let page = HomePage {
        c: Chrome::new(&ctx, "home-title"),
        grants,
        agencies,
        waiting,
        mine,
        applicant,
        queue,
        queue_shown: works_queue && !applicant,
        auditor: roles.contains(Role::Auditor),
        admin: roles.contains(Role::Admin),
    };
    render(&page)
}
