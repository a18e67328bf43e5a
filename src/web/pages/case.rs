//! `/cases/{id}`: everything about one case, and the forms of the actions open to the person.

use std::collections::BTreeSet;

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::home::{case_title, values_of};
use crate::app::cases::{self, CaseSnapshot, FireRequest};
use crate::app::documents::{self, DocumentView, Upload};
use crate::app::timeline::TimelineEntry;
use crate::app::{App, AppError};
use crate::domain::calendar::DayType;
use crate::engine::{Definition, TransitionError};
use crate::web::forms::{self, Errors, FieldView};
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, yuan, Chrome};
use crate::web::session::{self, FormData, Posted, Signed};
use crate::web::{graph, render, render_as, see_other, WebError};

pub struct Header {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub workflow: String,
    pub workflow_version: u32,
    pub state: String,
    pub state_name: String,
    pub terminal: bool,
    pub org: String,
    pub reference: String,
    pub created_by: String,
    pub created_at: String,
    pub submitted_at: String,
}

/// A clock as a bar: used and remaining days, due date, marks.
pub struct ClockBar {
    pub title: String,
    pub basis: String,
    pub limit: u32,
    pub used: i64,
    pub remaining: i64,
    pub calendar_days: bool,
    pub due: String,
    pub running: bool,
    pub paused: bool,
    pub provisional: bool,
    pub overdue: bool,
    /// Width of the used part, 0 to 100.
    pub pct: u32,
}

pub struct DataRow {
    pub name: String,
    pub label: String,
    pub values: Vec<String>,
}

pub struct ActionForm {
    pub name: String,
    /// A way out (withdrawal), shown after the others and never opened by itself.
    pub exit: bool,
    pub title: String,
    pub fields: Vec<FieldView>,
    pub edits_data: bool,
    pub comment: String,
    pub errors: Errors,
    /// Opened when the page is shown again for this form.
    pub open: bool,
}

pub struct TimelineItem {
    pub seq: i64,
    pub when: String,
    pub actor: String,
    pub roles: Vec<String>,
    pub what: String,
    pub from: String,
    pub to: String,
    pub moved: bool,
    pub details: Vec<(String, Vec<String>)>,
    pub comment: Option<String>,
    /// For an entry a deadline caused: which clock ran out, and when it was due.
    pub deadline: Option<String>,
    pub documents: Vec<String>,
    pub clocks: Vec<String>,
    pub hash: String,
}

pub struct DocRow {
    pub id: String,
    pub name: String,
    pub version: i32,
    pub size: String,
    pub content_type: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub sha: String,
    pub latest: bool,
}

pub struct StateItem {
    pub title: String,
    pub mark: &'static str,
    pub terminal: bool,
}

/// A siting check as pages show it: the nearest river and its distance, each rule broken (its
/// title in the reader's language, and its legal basis), and the restricted industry.
pub struct SitingView {
    pub river: String,
    pub distance: String,
    pub flags: Vec<String>,
    pub bases: Vec<String>,
    pub restricted: Option<String>,
}

/// A flagged rule's title in the reader's language (the rules file's own title otherwise).
fn rule_title(lang: Lang, f: &crate::domain::siting::Flag) -> String {
    rule_title_of(lang, &f.rule).unwrap_or_else(|| f.title.clone())
}

/// A siting rule's title in the locale files, by its code.
fn rule_title_of(lang: Lang, rule: &str) -> Option<String> {
    i18n::lookup(
        lang,
        &format!("siting-rule-{}", rule.replace('_', "-")),
        None,
    )
}

/// The `siting_rule` a refusal may cite, as a choice among the rules this case's site breaks
/// (with "none"); left out of the form when the site breaks none.
fn siting_rule_choice(
    lang: Lang,
    fields: &mut Vec<forms::FieldView>,
    check: Option<&crate::domain::siting::Check>,
) {
    let flags = check.map(|c| c.flags.as_slice()).unwrap_or_default();
    if flags.is_empty() {
        fields.retain(|f| f.name != "siting_rule");
        return;
    }
    for v in fields.iter_mut().filter(|f| f.name == "siting_rule") {
        let chosen = v.value.clone();
        v.control = "radios";
        v.hint = i18n::t(lang, "siting-rule-choose-hint");
        v.options = std::iter::once((
            String::new(),
            i18n::t(lang, "siting-rule-none"),
            chosen.is_empty(),
        ))
        .chain(flags.iter().map(|f| {
            let label = format!("{} ({})", rule_title(lang, f), f.basis);
            (f.rule.clone(), label, chosen == f.rule)
        }))
        .collect();
    }
}

pub fn siting_view(lang: Lang, check: &crate::domain::siting::Check) -> SitingView {
    SitingView {
        river: check
            .nearest
            .as_ref()
            .map(|n| river_name(lang, &n.river))
            .unwrap_or_default(),
        distance: check
            .nearest
            .as_ref()
            .map(|n| format_distance(n.distance_m))
            .unwrap_or_default(),
        flags: check.flags.iter().map(|f| rule_title(lang, f)).collect(),
        bases: check.flags.iter().map(|f| f.basis.clone()).collect(),
        restricted: check.restricted_industry.clone(),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub c: Chrome,
    pub h: Header,
    pub clocks: Vec<ClockBar>,
    pub data: Vec<DataRow>,
    pub siting: Option<SitingView>,
    pub actions: Vec<ActionForm>,
    pub changeable: Option<(String, String)>,
    pub timeline: Vec<TimelineItem>,
    pub documents: Vec<DocRow>,
    pub may_upload: bool,
    pub graph: String,
    pub states: Vec<StateItem>,
    /// Why the page is shown again: `conflict` (someone acted meanwhile) or `refused`.
    pub alert: Option<(&'static str, String)>,
    pub upload_errors: Errors,
    /// The case's public notices: id, kind, when.
    pub notices: Vec<(Uuid, String, String)>,
    pub comments: Vec<CommentView>,
    /// Whether this person records how comments were handled (reviewers).
    pub may_handle: bool,
    /// What the step that brought the case here asks of the person who acts now (the missing
    /// items of a supplement notice, the issues of a revision): who, when, and each field.
    pub asked: Option<Asked>,
    /// The decision taken on the case, once there is one: what, when, and its fields.
    pub decision: Option<Asked>,
}

/// A step's fields, as a block on the case page.
pub struct Asked {
    pub title: String,
    pub by: String,
    pub at: String,
    pub lines: Vec<(String, Vec<String>)>,
}

/// A coded payload value by its name: a ground by its label, a siting rule by its title.
fn named_value(lang: Lang, def: &Definition, field: &str, value: String) -> String {
    if field == "siting_rule" {
        return rule_title_of(lang, &value).unwrap_or(value);
    }
    def.value_label(field, &value, lang).unwrap_or(value)
}

fn asked_of(lang: Lang, def: &Definition, e: &TimelineEntry) -> Asked {
    let lines = e
        .payload
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, v)| !v.is_object() && k.as_str() != "deadline")
                .filter(|(_, v)| v.as_str().is_none_or(|s| Uuid::parse_str(s).is_err()))
                .map(|(k, v)| {
                    (
                        def.field_title(k, lang)
                            .unwrap_or_else(|| forms::data_label(lang, k)),
                        data_values(lang, k, v)
                            .into_iter()
                            .map(|x| named_value(lang, def, k, x))
                            .collect::<Vec<_>>(),
                    )
                })
                .filter(|(_, v)| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Asked {
        title: def.transition_title(&e.action, &e.from, lang),
        by: e.actor.clone(),
        at: local_time(e.at),
        lines,
    }
}

/// A comment from the public, for the case's people.
pub struct CommentView {
    pub id: Uuid,
    pub notice: String,
    pub name: String,
    pub contact: String,
    pub text: String,
    pub at: String,
    pub handling: String,
    pub handled: String,
}

fn parse_id(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

fn pseudo_action(lang: Lang, def: &Definition, action: &str, from: &str) -> String {
    match action {
        cases::CREATE_ACTION => i18n::t(lang, "timeline-created"),
        "upload_document" => i18n::t(lang, "timeline-uploaded"),
        "public_comment" => i18n::t(lang, "timeline-public-comment"),
        "handle_comment" => i18n::t(lang, "timeline-comment-handled"),
        a => def.transition_title(a, from, lang),
    }
}

/// The latest of `earlier` actions' payload as a form, for the fields `payload` declares.
fn proposal_form(
    entries: &[TimelineEntry],
    earlier: &[String],
    payload: &[(String, crate::engine::definition::FieldSpec)],
) -> Option<FormData> {
    let last = entries.iter().rev().find(|e| earlier.contains(&e.action))?;
    let mut pairs = Vec::new();
    for (name, spec) in payload {
        match last.payload.get(name) {
            Some(Value::Array(items)) => {
                let texts: Vec<String> = items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect();
                // Checkboxes (a list of allowed values) read each value; a text area reads lines.
                if spec.allowed.is_empty() {
                    pairs.push((name.clone(), texts.join("\n")));
                } else {
                    pairs.extend(texts.into_iter().map(|t| (name.clone(), t)));
                }
            }
            Some(Value::String(t)) => pairs.push((name.clone(), t.clone())),
            _ => {}
        }
    }
    (!pairs.is_empty()).then_some(FormData(pairs))
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// A case-data value as a person reads it.
pub(crate) fn data_values(lang: Lang, name: &str, v: &Value) -> Vec<String> {
    match (name, v) {
        (_, Value::Null) => Vec::new(),
        // Money is stored in fen and read in yuan, whatever the field.
        (n, Value::Number(x)) if crate::domain::money::is_fen_field(n) => {
            x.as_i64().map(yuan).into_iter().collect()
        }
        ("location" | "area", Value::Object(g)) => {
            let kind = g.get("type").and_then(Value::as_str).unwrap_or_default();
            let coords = g.get("coordinates");
            if kind == "Point" {
                let lon = coords
                    .and_then(|c| c.get(0))
                    .and_then(Value::as_f64)
                    .unwrap_or_default();
                let lat = coords
                    .and_then(|c| c.get(1))
                    .and_then(Value::as_f64)
                    .unwrap_or_default();
                vec![i18n::t_args(
                    lang,
                    "site-point",
                    &[
                        ("lon", format!("{lon:.5}").into()),
                        ("lat", format!("{lat:.5}").into()),
                    ],
                )]
            } else {
                let n = coords
                    .and_then(|c| c.get(0))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                vec![i18n::t_args(
                    lang,
                    "site-polygon",
                    &[("n", (n as i64).into())],
                )]
            }
        }
        ("category" | "plan_type" | "sensitive_area" | "basin" | "clearing", v) => {
            let raw = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            vec![forms::option_label(lang, name, &raw)]
        }
        ("quantities", Value::Object(m)) => m.iter().map(|(k, n)| format!("{k} = {n}")).collect(),
        ("classification", Value::Object(_)) => super::classification::recorded_lines(lang, v),
        ("checklist", Value::Array(items)) => items
            .iter()
            .map(|i| {
                let code = i.get("code").and_then(Value::as_str).unwrap_or_default();
                let title = i.get("title").and_then(Value::as_str).unwrap_or_default();
                let done = i
                    .get("satisfied")
                    .is_some_and(|s| !s.is_null() && s != &Value::Bool(false));
                format!("{} {code} {title}", if done { "✓" } else { "○" })
            })
            .collect(),
        (_, v) => values_of(v),
    }
}

fn clock_bars(app: &App, lang: Lang, def: &Definition, snap: &CaseSnapshot) -> Vec<ClockBar> {
    snap.clocks
        .iter()
        .filter(|k| k.running || k.paused || k.used_days > 0 || k.due.is_some())
        .map(|k| {
            let spec = def.clock(&k.name);
            let limit = k.limit_days.max(1);
            let pct = (k.used_days.max(0) as f64 / f64::from(limit) * 100.0).min(100.0) as u32;
            let _ = app;
            ClockBar {
                title: def.clock_title(&k.name, lang),
                basis: spec
                    .and_then(|c| c.basis.as_ref())
                    .map(|b| b.get(lang).to_string())
                    .unwrap_or_default(),
                limit: k.limit_days,
                used: k.used_days,
                remaining: k.remaining_days,
                calendar_days: k.day_type == DayType::Calendar,
                due: k.due.map(|d| d.to_string()).unwrap_or_default(),
                running: k.running,
                paused: k.paused,
                provisional: k.provisional,
                overdue: k.overdue,
                pct,
            }
        })
        .collect()
}

fn timeline_items(lang: Lang, def: &Definition, entries: &[TimelineEntry]) -> Vec<TimelineItem> {
    entries
        .iter()
        .rev()
        .map(|e| {
            let deadline = e.payload.get("deadline").map(|d| {
                let clock = d.get("clock").and_then(Value::as_str).unwrap_or_default();
                let due = d
                    .get("due_at")
                    .and_then(Value::as_str)
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| local_time(t.with_timezone(&chrono::Utc)))
                    .unwrap_or_default();
                i18n::t_args(
                    lang,
                    "timeline-deadline",
                    &[
                        ("clock", def.clock_title(clock, lang).into()),
                        ("due", due.into()),
                    ],
                )
            });
            // A public comment is shown in the comments, to those who may read it; an id means
            // nothing to a reader; a document is named with its version and size.
            let details = if e.action == cases::CREATE_ACTION
                || e.action == "public_comment"
                || deadline.is_some()
            {
                Vec::new()
            } else if e.action == "upload_document" {
                let p = &e.payload;
                vec![(
                    i18n::t(lang, "timeline-document"),
                    vec![i18n::t_args(
                        lang,
                        "timeline-document-version",
                        &[
                            (
                                "name",
                                p["name"].as_str().unwrap_or_default().to_string().into(),
                            ),
                            ("version", p["version"].as_i64().unwrap_or(1).into()),
                            (
                                "size",
                                human_size(p["size"].as_i64().unwrap_or_default()).into(),
                            ),
                        ],
                    )],
                )]
            } else {
                e.payload
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(_, v)| !v.is_object())
                            .filter(|(_, v)| v.as_str().is_none_or(|s| Uuid::parse_str(s).is_err()))
                            .map(|(k, v)| {
                                (
                                    def.field_title(k, lang)
                                        .or_else(|| {
                                            i18n::lookup(
                                                lang,
                                                &format!("data-{}", k.replace('_', "-")),
                                                None,
                                            )
                                        })
                                        .unwrap_or_else(|| k.replace('_', " ")),
                                    data_values(lang, k, v)
                                        .into_iter()
                                        .map(|x| def.value_label(k, &x, lang).unwrap_or(x))
                                        .collect::<Vec<String>>(),
                                )
                            })
                            .filter(|(_, v)| !v.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            TimelineItem {
                seq: e.seq,
                when: local_time(e.at),
                actor: e.actor.clone(),
                roles: e
                    .roles
                    .iter()
                    .map(|r| i18n::t(lang, &format!("role-{}", r.replace('_', "-"))))
                    .collect(),
                what: pseudo_action(lang, def, &e.action, &e.from),
                from: if e.from.is_empty() {
                    String::new()
                } else {
                    def.state_title(&e.from, lang)
                },
                to: def.state_title(&e.to, lang),
                moved: e.from != e.to,
                details,
                comment: if deadline.is_some() {
                    None
                } else {
                    e.comment.clone()
                },
                deadline,
                documents: e
                    .documents
                    .iter()
                    .map(|d| {
                        format!(
                            "{} v{} ({}…)",
                            d.get("name").and_then(Value::as_str).unwrap_or_default(),
                            d.get("version").and_then(Value::as_i64).unwrap_or_default(),
                            d.get("sha256")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .chars()
                                .take(12)
                                .collect::<String>()
                        )
                    })
                    .collect(),
                clocks: e
                    .clocks
                    .iter()
                    .map(|k| {
                        i18n::t_args(
                            lang,
                            if k.running {
                                "timeline-clock-running"
                            } else {
                                "timeline-clock-paused"
                            },
                            &[
                                ("clock", def.clock_title(&k.name, lang).into()),
                                ("used", k.used_days.into()),
                                ("limit", (k.used_days + k.remaining_days).into()),
                            ],
                        )
                    })
                    .collect(),
                hash: e.hash.clone(),
            }
        })
        .collect()
}

fn doc_rows(docs: Vec<DocumentView>) -> Vec<DocRow> {
    let mut latest: std::collections::HashMap<String, i32> = std::collections::HashMap::new();
    for d in &docs {
        let v = latest.entry(d.name.clone()).or_insert(0);
        *v = (*v).max(d.version);
    }
    let mut rows: Vec<DocRow> = docs
        .into_iter()
        .map(|d| DocRow {
            latest: latest.get(&d.name) == Some(&d.version),
            id: d.id.to_string(),
            name: d.name,
            version: d.version,
            size: human_size(d.size),
            content_type: d.content_type,
            uploaded_by: d.uploaded_by,
            uploaded_at: local_time(d.uploaded_at),
            sha: d.sha256.chars().take(16).collect(),
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(b.version.cmp(&a.version)));
    rows
}

/// What the page is shown again with, after a form.
#[derive(Default)]
pub struct Again {
    pub action: Option<String>,
    pub form: Option<FormData>,
    pub errors: Errors,
    pub alert: Option<(&'static str, String)>,
    pub upload_errors: Errors,
}

async fn case_page(app: &App, who: &Signed, id: Uuid, again: Again) -> Result<CasePage, WebError> {
    let lang = who.ctx.lang;
    // The case is read once; everything the page shows comes with it.
    let crate::app::case_file::CaseFile {
        snapshot: snap,
        timeline: entries,
        documents: docs,
        notices,
        comments,
    } = crate::app::case_file::read(app, &who.actor, id).await?;
    let def = app
        .workflows
        .get(&snap.workflow, snap.workflow_version)
        .ok_or_else(|| WebError::Unexpected("workflow version not deployed".into()))?;

    let visited: BTreeSet<(String, String)> = entries
        .iter()
        .filter(|e| !e.from.is_empty() && e.from != e.to)
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    let seen: BTreeSet<&str> = visited
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let title = case_title(&snap.data, &snap.id);
    let graph = graph::svg(
        &def,
        lang,
        Some(&snap.state),
        &visited,
        &i18n::t(lang, "case-graph-title"),
    );
    let states = def
        .states_in_flow()
        .into_iter()
        .map(|id| &def.states[id])
        .map(|s| StateItem {
            title: def.state_title(&s.name, lang),
            mark: if s.name == snap.state {
                "current"
            } else if seen.contains(s.name.as_str()) {
                "visited"
            } else {
                "other"
            },
            terminal: s.terminal,
        })
        .collect();

    let fields = &forms::fields_of(&def)[..];
    let mut data: Vec<DataRow> = Vec::new();
    let obj = snap.data.as_object().cloned().unwrap_or_default();
    for f in fields {
        let values = obj
            .get(f.name)
            .map(|v| data_values(lang, f.name, v))
            .unwrap_or_default();
        data.push(DataRow {
            name: f.name.to_string(),
            label: forms::data_label(lang, f.name),
            values,
        });
    }
    // Where a person commits money (a transfer, a listing), the total it comes to.
    if let (Some(kg), Some(fen)) = (
        obj.get("amount_kg").and_then(Value::as_i64),
        obj.get("price_fen").and_then(Value::as_i64),
    ) {
        data.push(DataRow {
            name: "total_fen".into(),
            label: i18n::t(lang, "data-total-fen"),
            values: vec![yuan(kg.saturating_mul(fen))],
        });
    }
    for (k, v) in &obj {
        if !fields.iter().any(|f| f.name == k) {
            data.push(DataRow {
                name: k.clone(),
                label: i18n::lookup(lang, &format!("data-{}", k.replace('_', "-")), None)
                    .unwrap_or_else(|| k.replace('_', " ")),
                values: data_values(lang, k, v),
            });
        }
    }

    let mut actions = Vec::new();
    let mut changeable = None;
    for name in &snap.allowed_actions {
        let Some(spec) = def
            .state_id(&snap.state)
            .and_then(|s| def.action_from(s, name))
        else {
            continue;
        };
        let this = again.action.as_deref() == Some(name.as_str());
        // A decision taken by a second official starts from the proposal it follows: its fields
        // filled from the latest proposal's (the conditions, the grounds), to be confirmed or
        // changed, never typed again.
        let proposed = (!this && !spec.distinct_from.is_empty())
            .then(|| proposal_form(&entries, &spec.distinct_from, &spec.payload))
            .flatten();
        let entered = if this {
            again.form.as_ref()
        } else {
            proposed.as_ref()
        };
        let empty = Errors::default();
        let errors = if this { &again.errors } else { &empty };
        if spec.edits_data && !fields.is_empty() && changeable.is_none() {
            changeable = Some((name.clone(), spec.title_in(lang)));
        }
        let mut payload = forms::payload_views(lang, &spec.payload, entered, errors);
        siting_rule_choice(lang, &mut payload, snap.siting.as_ref());
        actions.push(ActionForm {
            exit: def.is_exit(spec),
            name: name.clone(),
            title: spec.title_in(lang),
            fields: payload,
            edits_data: spec.edits_data,
            comment: entered
                .map(|f| f.raw("comment").to_string())
                .unwrap_or_default(),
            errors: errors.clone(),
            open: this,
        });
    }
    actions.sort_by_key(|a| a.exit);
    let siting = snap.siting.as_ref().map(|s| siting_view(lang, s));
    let timeline = timeline_items(lang, &def, &entries);
    let roles = &who.actor.roles;
    let may_upload = !snap.terminal
        && [
            crate::domain::Role::Applicant,
            crate::domain::Role::Agency,
            crate::domain::Role::Reviewer,
            crate::domain::Role::Approver,
            crate::domain::Role::Admin,
        ]
        .iter()
        .any(|r| roles.contains(*r));
    let notices = notices
        .into_iter()
        .map(|(nid, kind, at)| {
            let kind = i18n::t(
                lang,
                &format!("notice-kind-{}", kind.as_str().replace('_', "-")),
            );
            (nid, kind, local_time(at))
        })
        .collect();
    let comments = comments
        .into_iter()
        .map(|c| CommentView {
            id: c.id,
            notice: i18n::t(
                lang,
                &format!("notice-kind-{}", c.kind.as_str().replace('_', "-")),
            ),
            name: c
                .name
                .unwrap_or_else(|| i18n::t(lang, "comment-from-the-public")),
            contact: c.contact.unwrap_or_default(),
            text: c.text.unwrap_or_default(),
            at: local_time(c.at),
            handling: c.handling.unwrap_or_default(),
            handled: match (c.handled_by, c.handled_at) {
                (Some(by), Some(at)) => format!("{by} · {}", local_time(at)),
                _ => String::new(),
            },
        })
        .collect();
    let may_handle = who.actor.roles.contains(crate::domain::Role::Reviewer);
    // The latest step into the present state, when it asks something of those who act now.
    let asked = entries
        .iter()
        .rev()
        .find(|e| e.to == snap.state && e.from != e.to)
        .filter(|e| !actions.is_empty() && e.actor != who.actor.subject)
        .map(|e| asked_of(lang, &def, e))
        .filter(|a| !a.lines.is_empty());
    // The decision a published notice would show (approve, refuse...), once taken.
    let deciding: Vec<&String> = def.publish.iter().flat_map(|p| p.decision.iter()).collect();
    let decision = entries
        .iter()
        .rev()
        .find(|e| deciding.contains(&&e.action))
        .map(|e| {
            let mut d = asked_of(lang, &def, e);
            if let Some(r) = snap.reference.as_deref() {
                d.lines
                    .insert(0, (i18n::t(lang, "case-reference"), vec![r.to_string()]));
            }
            d
        });
    Ok(CasePage {
        asked,
        decision,
        notices,
        comments,
        may_handle,
        c: Chrome::new(&who.ctx, "case-title").titled(title.clone()),
        h: Header {
            id: snap.id.to_string(),
            version: snap.version,
            title,
            workflow: def.title.get(lang).to_string(),
            workflow_version: snap.workflow_version,
            state: def.state_title(&snap.state, lang),
            state_name: snap.state.clone(),
            terminal: snap.terminal,
            org: snap.org.clone(),
            reference: snap.reference.clone().unwrap_or_default(),
            created_by: snap.created_by.clone(),
            created_at: local_time(snap.created_at),
            submitted_at: snap.submitted_at.map(local_time).unwrap_or_default(),
        },
        clocks: clock_bars(app, lang, &def, &snap),
        data,
        siting,
        actions,
        changeable,
        timeline,
        documents: doc_rows(docs),
        may_upload,
        graph,
        states,
        alert: again.alert,
        upload_errors: again.upload_errors,
    })
}

pub fn river_name(lang: Lang, river: &str) -> String {
    let key: String = river
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    i18n::lookup(lang, &format!("river-{key}"), None).unwrap_or_else(|| river.to_string())
}

pub fn format_distance(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.2} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// `GET /cases/{id}`.
pub async fn show(
    who: Signed,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(&id)?;
    let page = case_page(&app, &who, id, Again::default()).await?;
    render(&page)
}

#[derive(Template)]
#[template(path = "case_edit.html")]
pub struct EditPage {
    pub c: Chrome,
    pub id: String,
    pub version: i64,
    pub title: String,
    pub action: String,
    pub action_title: String,
    pub fields: Vec<FieldView>,
    pub errors: Errors,
    pub comment: String,
}

/// `GET /cases/{id}/edit/{action}`: the case data as a form, sent with an action that edits it.
pub async fn edit(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let page = edit_page(&app, &who, id, &action, None, Errors::default()).await?;
    render(&page)
}

async fn edit_page(
    app: &App,
    who: &Signed,
    id: Uuid,
    action: &str,
    entered: Option<&FormData>,
    mut errors: Errors,
) -> Result<EditPage, WebError> {
    let lang = who.ctx.lang;
    let snap = cases::get_case(app, &who.actor, id).await?;
    let def = app
        .workflows
        .get(&snap.workflow, snap.workflow_version)
        .ok_or(WebError::NotFound)?;
    let spec = def
        .state_id(&snap.state)
        .and_then(|s| def.action_from(s, action))
        .filter(|a| a.edits_data && snap.allowed_actions.iter().any(|x| x == action))
        .ok_or(WebError::NotFound)?;
    let fields = &forms::fields_of(&def)[..];
    errors.label_with(|f| {
        fields
            .iter()
            .any(|d| d.name == f)
            .then(|| forms::data_label(lang, f))
    });
    let mut views = forms::data_views(lang, fields, &snap.data, entered, &errors);
    views.extend(forms::payload_views(lang, &spec.payload, entered, &errors));
    Ok(EditPage {
        c: Chrome::new(&who.ctx, "case-edit-title"),
        id: id.to_string(),
        version: snap.version,
        title: case_title(&snap.data, &snap.id),
        action: action.to_string(),
        action_title: def.transition_title(action, &snap.state, lang),
        fields: views,
        errors,
        comment: entered
            .map(|f| f.raw("comment").to_string())
            .unwrap_or_default(),
    })
}

/// `POST /cases/{id}/actions/{action}`: fires the action with the version the person saw.
pub async fn act(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let Posted { who, form } = posted;
    let lang = who.ctx.lang;
    let expected_version = form
        .get("expected_version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or(WebError::BadRequest)?;
    let from_edit = form.get("from_edit").is_some();
    // The action's declared payload, from the definition the case runs on; the case is read
    // once, here, and handed to the action.
    let case = crate::app::load::open_with_context(&app, &who.actor, id).await?;
    let def = case.definition();
    let spec = def
        .actions
        .iter()
        .find(|a| a.name == action)
        .ok_or(WebError::NotFound)?;
    let mut errors = Errors::default();
    let mut payload: Map<String, Value> =
        forms::read_payload(&spec.payload, &form, lang, &mut errors);
    if from_edit && spec.edits_data {
        let fields = &forms::fields_of(def)[..];
        let fixed = case.row().data.as_object().cloned().unwrap_or_default();
        payload.extend(forms::read_data(fields, &form, &fixed, lang, &mut errors));
    }
    let comment = form.get("comment").map(str::to_string);
    let result = if errors.is_empty() {
        cases::fire_on(
            &app,
            &who.actor,
            case,
            &action,
            FireRequest {
                expected_version,
                comment,
                payload: Value::Object(payload),
            },
        )
        .await
    } else {
        Err(AppError::Validation(Default::default()))
    };
    let refusal = match result {
        Ok(_) => return Ok(see_other(&format!("/cases/{id}?done=action"))),
        Err(e) => e,
    };
    let (status, again) = match refusal {
        AppError::Validation(fields)
        | AppError::Transition(TransitionError::InvalidPayload(fields)) => {
            errors.extend_from(lang, &fields);
            if from_edit {
                let page = edit_page(&app, &who, id, &action, Some(&form), errors).await?;
                return render_as(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Again {
                    action: Some(action.clone()),
                    form: Some(form),
                    errors,
                    ..Again::default()
                },
            )
        }
        AppError::Conflict { .. } => (
            StatusCode::CONFLICT,
            Again {
                action: Some(action.clone()),
                form: Some(form),
                alert: Some(("conflict", i18n::t(lang, "case-conflict"))),
                ..Again::default()
            },
        ),
        e @ (AppError::Transition(_) | AppError::Forbidden(_) | AppError::Refused(..)) => {
            let status = WebError::App(e).status_code_of();
            (
                status,
                Again {
                    alert: Some(("refused", refusal_text(lang, status))),
                    ..Again::default()
                },
            )
        }
        other => return Err(other.into()),
    };
    let page = case_page(&app, &who, id, again).await?;
    render_as(status, &page)
}

fn refusal_text(lang: Lang, status: StatusCode) -> String {
    i18n::t(
        lang,
        if status == StatusCode::FORBIDDEN {
            "case-refused-forbidden"
        } else {
            "case-refused-state"
        },
    )
}

impl WebError {
    fn status_code_of(&self) -> StatusCode {
        actix_web::ResponseError::status_code(self)
    }
}

/// `POST /cases/{id}/documents?csrf=...`: multipart with `file` and an optional `name`.
pub async fn upload(
    req: HttpRequest,
    who: Signed,
    app: web::Data<App>,
    id: web::Path<String>,
    mut body: Multipart,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(&id)?;
    session::check_origin(&req)?;
    let token =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("csrf").cloned())
            .unwrap_or_default();
    if !who.session.csrf_matches(&token) {
        return Err(WebError::Csrf);
    }
    let lang = who.ctx.lang;
    // Nothing is received for a case the person may not add to.
    documents::may_upload(&app, &who.actor, id).await?;
    let mut errors = Errors::default();
    let mut name = String::new();
    let mut file: Option<(String, String, documents::Incoming)> = None;
    let mut refused: Option<AppError> = None;
    while let Some(part) = body.next().await {
        let mut part = part.map_err(|_| WebError::BadRequest)?;
        let field = part.name().unwrap_or_default().to_string();
        if field == "file" && file.is_none() && refused.is_none() {
            let filename = part
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_string();
            let content_type = part
                .content_type()
                .map(|m| m.essence_str().to_string())
                .unwrap_or_default();
            let mut incoming = app.files.receive().await?;
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|_| WebError::BadRequest)?;
                if let Err(e) = incoming.write(&chunk).await {
                    refused = Some(e);
                    // What is left of a refused file is read and dropped.
                    while part.next().await.is_some() {}
                    break;
                }
            }
            file = Some((filename, content_type, incoming));
        } else if field == "name" {
            let mut bytes = Vec::new();
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|_| WebError::BadRequest)?;
                if bytes.len() < 1024 {
                    bytes.extend_from_slice(&chunk);
                }
            }
            name = String::from_utf8_lossy(&bytes).trim().to_string();
        } else {
            while part.next().await.is_some() {}
        }
    }
    let outcome = match (refused, file) {
        (Some(e), _) => Err(e),
        (None, Some((filename, content_type, incoming)))
            if !filename.is_empty() || incoming.size() > 0 =>
        {
            let up = Upload {
                name: if name.is_empty() { filename } else { name },
                content_type,
                file: incoming,
            };
            documents::upload(&app, &who.actor, id, up, None)
                .await
                .map(|_| ())
        }
        _ => {
            errors.add("file", lang, "upload-choose-file");
            Err(AppError::Validation(Default::default()))
        }
    };
    let status = match outcome {
        Ok(()) => return Ok(see_other(&format!("/cases/{id}?done=uploaded#documents"))),
        Err(AppError::Validation(fields)) => {
            errors.extend_from(lang, &fields);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::UnsupportedType(_)) => {
            errors.add("file", lang, "upload-unsupported");
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        Err(AppError::TooLarge(max)) => {
            errors.push(
                "file",
                i18n::t_args(
                    lang,
                    "upload-too-large",
                    &[("mb", ((max >> 20) as i64).into())],
                ),
            );
            StatusCode::PAYLOAD_TOO_LARGE
        }
        Err(e) => return Err(e.into()),
    };
    let page = case_page(
        &app,
        &who,
        id,
        Again {
            upload_errors: errors,
            ..Again::default()
        },
    )
    .await?;
    render_as(status, &page)
}

/// `POST /cases/{id}/comments/{comment}`: a reviewer records how a public comment was handled.
pub async fn handle_comment(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, comment) = path.into_inner();
    let (id, comment) = (parse_id(&id)?, parse_id(&comment)?);
    let handling = posted.form.raw("handling").to_string();
    match crate::app::publish::handle_comment(&app, &posted.who.actor, id, comment, &handling).await
    {
        Ok(()) => Ok(see_other(&format!(
            "/cases/{id}?done=comment-handled#comment-{comment}"
        ))),
        Err(AppError::Validation(_)) => {
            let lang = posted.who.ctx.lang;
            let again = Again {
                alert: Some(("refused", i18n::t(lang, "comment-handling-empty"))),
                ..Again::default()
            };
            let page = case_page(&app, &posted.who, id, again).await?;
            render_as(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /cases/{id}/documents/{doc}`: the file, as an attachment, under the case's access rules.
pub async fn download(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, doc) = path.into_inner();
    let (id, doc) = (parse_id(&id)?, parse_id(&doc)?);
    let (view, file) = documents::open(&app, &who.actor, id, doc).await?;
    attachment(&view, &file, "no-store").await
}

/// A stored document as a download: its declared type, never sniffed, never shown inline.
pub(crate) async fn attachment(
    view: &DocumentView,
    file: &std::path::Path,
    cache: &'static str,
) -> Result<HttpResponse, WebError> {
    let bytes = tokio::fs::read(file)
        .await
        .map_err(|e| WebError::Unexpected(format!("reading {}: {e}", file.display())))?;
    let filename: String = view
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(&view.name, percent_encoding::NON_ALPHANUMERIC);
    Ok(HttpResponse::Ok()
        .content_type(view.content_type.clone())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(bytes))
}
