//! `/workflows`: every deployed workflow and version, readable without the TOML: its state
//! graph, its clocks with their limits and legal basis, who does what, the separation-of-duties
//! rules, the notices it publishes, and its source; `/workflows/{key}.bpmn` exports BPMN 2.0.

use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::App;
use crate::domain::calendar::DayType;
use crate::engine::definition::ClockStatus;
use crate::engine::Definition;
use crate::web::graph;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, Chrome};
use crate::web::session::Signed;
use crate::web::{render, WebError};

pub struct Summary {
    pub key: String,
    pub title: String,
    pub version: u32,
    pub versions: Vec<u32>,
    pub states: usize,
    pub actions: usize,
    pub clocks: usize,
}

#[derive(Template)]
#[template(path = "workflows.html")]
pub struct ListPage {
    pub c: Chrome,
    pub rows: Vec<Summary>,
}

/// `GET /workflows`.
pub async fn list(who: Signed, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let rows = app
        .workflows
        .summaries()
        .into_iter()
        .filter_map(|s| {
            let def = app.workflows.get(&s.key, s.version)?;
            Some(Summary {
                title: def.title.get(lang).to_string(),
                states: def.states.len(),
                actions: def.actions.len(),
                clocks: def.clocks.len(),
                key: s.key,
                version: s.version,
                versions: s.versions,
            })
        })
        .collect();
    render(&ListPage {
        c: Chrome::new(&who.ctx, "workflows-title"),
        rows,
    })
}

pub struct ClockRow {
    pub title: String,
    pub limit: String,
    pub basis: String,
    pub runs_in: Vec<String>,
    pub paused_in: Vec<String>,
    pub on_expiry: String,
}

pub struct ActionRow {
    pub title: String,
    pub from: Vec<String>,
    pub to: String,
    pub who: Vec<String>,
    /// "Not by the person who …" rules.
    pub distinct_from: Vec<String>,
    pub by_deadline: bool,
}

#[derive(Template)]
#[template(path = "workflow.html")]
pub struct DetailPage {
    pub c: Chrome,
    pub key: String,
    pub version: u32,
    pub versions: Vec<u32>,
    pub newest: bool,
    pub graph: String,
    pub states: Vec<(String, bool)>,
    pub create_roles: Vec<String>,
    pub clocks: Vec<ClockRow>,
    pub actions: Vec<ActionRow>,
    pub notices: Vec<(String, String, String)>,
    pub file: String,
    pub source: String,
    pub deployed_at: String,
    pub hash: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn role_names(lang: Lang, roles: crate::domain::RoleSet) -> Vec<String> {
    roles
        .iter()
        .map(|r| i18n::t(lang, &format!("role-{}", r.as_str().replace('_', "-"))))
        .collect()
}

fn clock_rows(def: &Definition, lang: Lang) -> Vec<ClockRow> {
    def.clocks
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let in_state = |status: ClockStatus| -> Vec<String> {
                def.states
                    .iter()
                    .filter(|s| s.clocks.get(ci) == Some(&status))
                    .map(|s| def.state_title(&s.name, lang))
                    .collect()
            };
            let limit = match &c.hours_from {
                Some(field) => i18n::t_args(
                    lang,
                    "workflow-limit-hours",
                    &[("field", crate::web::forms::data_label(lang, field).into())],
                ),
                None => i18n::t_args(
                    lang,
                    if c.day_type == DayType::Working {
                        "workflow-limit-working"
                    } else {
                        "workflow-limit-calendar"
                    },
                    &[("n", i64::from(c.limit_days).into())],
                ),
            };
            ClockRow {
                title: def.clock_title(&c.name, lang),
                limit,
                basis: c
                    .basis
                    .as_ref()
                    .map(|b| b.get(lang).to_string())
                    .unwrap_or_default(),
                runs_in: in_state(ClockStatus::Running),
                paused_in: in_state(ClockStatus::Paused),
                on_expiry: if c.on_expiry.is_empty() {
                    String::new()
                } else {
                    def.titles_of(&c.on_expiry, lang).join(" / ")
                },
            }
        })
        .collect()
}

fn action_rows(def: &Definition, lang: Lang) -> Vec<ActionRow> {
    def.actions
        .iter()
        .map(|a| ActionRow {
            title: a
                .title
                .as_ref()
                .map_or_else(|| a.name.clone(), |t| t.get(lang).to_string()),
            from: a
                .from
                .iter()
                .map(|s| def.state_title(&def.state(*s).name, lang))
                .collect(),
            to: a
                .to
                .map(|s| def.state_title(&def.state(s).name, lang))
                .unwrap_or_default(),
            who: if a.by_deadline || a.automatic {
                vec![i18n::t(lang, "role-system")]
            } else {
                role_names(lang, a.roles)
            },
            distinct_from: a
                .distinct_from
                .iter()
                .flat_map(|d| def.titles_of(d, lang))
                .collect(),
            by_deadline: a.by_deadline,
        })
        .collect()
}

/// Finds the version asked for (default the newest); 404 for anything else.
fn definition(
    app: &App,
    key: &str,
    version: Option<&str>,
) -> Result<std::sync::Arc<Definition>, WebError> {
    match version.filter(|v| !v.is_empty()) {
        None => app.workflows.newest(key),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .and_then(|v| app.workflows.get(key, v)),
    }
    .ok_or(WebError::NotFound)
}

/// `GET /workflows/{key}`, `/workflows/{key}.bpmn` and `/workflows/{key}.toml`.
pub async fn show(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let name = path.into_inner();
    if let Some(key) = name.strip_suffix(".bpmn") {
        let def = definition(&app, key, q.version.as_deref())?;
        let lang = match q.lang.as_deref() {
            Some("zh") => Lang::Zh,
            Some("en") => Lang::En,
            _ => lang,
        };
        return Ok(HttpResponse::Ok()
            .content_type("application/xml; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-v{}.bpmn\"", def.key, def.version),
            ))
            .body(bpmn(&def, lang)));
    }
    let (key, toml) = match name.strip_suffix(".toml") {
        Some(k) => (k.to_string(), true),
        None => (name, false),
    };
    let def = definition(&app, &key, q.version.as_deref())?;
    let deployed = crate::app::workflows::deployed(&app, &def.key, def.version)
        .await?
        .ok_or(WebError::NotFound)?;
    if toml {
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(deployed.source));
    }
    let versions = app
        .workflows
        .summaries()
        .into_iter()
        .find(|s| s.key == def.key)
        .map(|s| s.versions)
        .unwrap_or_default();
    let title = def.title.get(lang).to_string();
    let page = DetailPage {
        c: Chrome::new(&who.ctx, "workflows-title").titled(title.clone()),
        key: def.key.clone(),
        version: def.version,
        newest: versions.last() == Some(&def.version),
        versions,
        graph: graph::svg(&def, lang, None, &BTreeSet::new(), &title),
        states: def
            .states_in_flow()
            .into_iter()
            .map(|s| {
                let st = def.state(s);
                (def.state_title(&st.name, lang), st.terminal)
            })
            .collect(),
        create_roles: role_names(lang, def.create_roles),
        clocks: clock_rows(&def, lang),
        actions: action_rows(&def, lang),
        notices: def
            .publish
            .iter()
            .map(|p| {
                (
                    i18n::t(
                        lang,
                        &format!("notice-kind-{}", p.notice.as_str().replace('_', "-")),
                    ),
                    p.on.iter()
                        .flat_map(|a| def.titles_of(a, lang))
                        .collect::<Vec<_>>()
                        .join(" · "),
                    p.period
                        .as_deref()
                        .map(|c| def.clock_title(c, lang))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        file: deployed.file,
        source: deployed.source,
        deployed_at: local_time(deployed.deployed_at),
        hash: deployed.content_hash,
    };
    render(&page)
}

/// A workflow as BPMN 2.0, its names and lanes in `lang`.
pub fn bpmn(def: &Definition, lang: Lang) -> String {
    crate::engine::bpmn::export(def, lang, &|role| {
        let name = role.map_or("system", |r| r.as_str());
        i18n::t(lang, &format!("role-{}", name.replace('_', "-")))
    })
}
