//! The classification catalogue on the web: finding items (by code, by words, by section),
//! asking their conditions in the official words, and the answer with its reason. Used by the
//! guided start (`/cases/new`) and by the public look-up (`/public/classification`), which
//! need no sign-in.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::{classify, App};
use crate::domain::classification::{
    workflow_for, Answer, ClassifyError, ConditionKind, Decided, Edition, Item, Met, ProjectAction,
    Request, RequestItem, Tier,
};
use crate::web::forms::{self, Errors};
use crate::web::i18n::{self, Lang};
use crate::web::layout::Chrome;
use crate::web::session::Ctx;
use crate::web::{render, WebError};

/// The query of a page, as pairs (`item` and `a-…` repeat).
pub fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The form field of a condition's answer (`37.report.1` -> `a-37-report-1`).
pub fn field_of(id: &str) -> String {
    format!("a-{}", id.replace('.', "-"))
}

fn id_of(field: &str) -> Option<String> {
    let rest = field.strip_prefix("a-")?;
    let (no, rest) = rest.split_once('-')?;
    let (tier, k) = rest.rsplit_once('-')?;
    Some(format!("{no}.{tier}.{k}"))
}

pub fn tier_label(lang: Lang, tier: Tier) -> String {
    i18n::t(
        lang,
        &format!("cls-tier-{}", tier.as_str().replace('_', "-")),
    )
}

/// A condition id in words: `37.report_form.2` is "report form, condition 2" (报告表第2项条件).
pub fn condition_label(lang: Lang, id: &str) -> String {
    let mut parts = id.split('.');
    let (_, tier, k) = (parts.next(), parts.next(), parts.next());
    match (
        tier.and_then(Tier::parse),
        k.and_then(|k| k.parse::<i64>().ok()),
    ) {
        (Some(t), Some(k)) => i18n::t_args(
            lang,
            "cls-condition-label",
            &[("tier", tier_label(lang, t).into()), ("k", k.into())],
        ),
        _ => id.to_string(),
    }
}

pub fn action_label(lang: Lang, action: ProjectAction) -> String {
    i18n::t(lang, &format!("cls-action-{}", action.as_str()))
}

/// What the page was asked: the edition, the action, the items and the answers as typed.
#[derive(Debug, Clone)]
pub struct Asked {
    pub edition: Arc<Edition>,
    pub action: ProjectAction,
    pub items: Vec<u32>,
    /// Field -> value as typed.
    pub typed: BTreeMap<String, String>,
    /// Whether the person asked for the answer.
    pub classify: bool,
    pub q: String,
    pub code: String,
}

/// Reads a look-up's query; items unknown to the edition are left out.
pub fn asked(app: &App, pairs: &[(String, String)]) -> Result<Asked, WebError> {
    let edition = match first(pairs, "edition") {
        Some(e) => app.classification.get(e).ok_or(WebError::NotFound)?,
        None => classify::in_force(app).ok_or(WebError::NotFound)?,
    };
    let mut items = Vec::new();
    for (k, v) in pairs {
        if k == "item" {
            if let Ok(n) = v.trim().parse::<u32>() {
                if edition.item(n).is_some() && !items.contains(&n) {
                    items.push(n);
                }
            }
        }
    }
    let typed = pairs
        .iter()
        .filter(|(k, v)| k.starts_with("a-") && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    Ok(Asked {
        edition,
        action: first(pairs, "action")
            .and_then(ProjectAction::parse)
            .unwrap_or(ProjectAction::New),
        items,
        typed,
        classify: first(pairs, "classify").is_some(),
        q: first(pairs, "q").unwrap_or_default().to_string(),
        code: first(pairs, "code").unwrap_or_default().to_string(),
    })
}

/// A size as typed: digits with a decimal point, Chinese or Western; commas between thousands.
fn size(typed: &str) -> Option<f64> {
    let t: String = typed
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .map(|c| if c == '。' { '.' } else { c })
        .collect();
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The request the typed answers make, or the errors of the fields that cannot be read.
pub fn request(lang: Lang, asked: &Asked, errors: &mut Errors) -> Option<Request> {
    if asked.items.is_empty() {
        errors.add("item", lang, "cls-err-no-items");
        return None;
    }
    let mut items: Vec<RequestItem> = asked
        .items
        .iter()
        .map(|no| RequestItem {
            no: *no,
            answers: BTreeMap::new(),
        })
        .collect();
    for (field, value) in &asked.typed {
        let Some(id) = id_of(field) else { continue };
        let no: Option<u32> = id.split('.').next().and_then(|n| n.parse().ok());
        let Some(target) = items.iter_mut().find(|i| Some(i.no) == no) else {
            continue;
        };
        let Some(c) = asked.edition.item(target.no).and_then(|i| i.condition(&id)) else {
            errors.add(field, lang, "cls-err-not-this-items-condition");
            continue;
        };
        let answer = match (&c.kind, value.as_str()) {
            (ConditionKind::Threshold { .. }, v) => match size(v) {
                Some(n) if n >= 0.0 => Answer::Size(n),
                Some(_) => {
                    errors.add(field, lang, "cls-err-negative-quantity");
                    continue;
                }
                None => {
                    errors.add(field, lang, "cls-err-not-a-number");
                    continue;
                }
            },
            (_, "yes") => Answer::Yes(true),
            (_, "no") => Answer::Yes(false),
            _ => continue,
        };
        target.answers.insert(id, answer);
    }
    errors.is_empty().then(|| Request {
        edition: asked.edition.edition.clone(),
        action: asked.action,
        items,
    })
}

/// One condition as a question on the page.
pub struct QuestionView {
    pub id: String,
    /// "报告表第1项条件": the condition named in words.
    pub label: String,
    pub field: String,
    pub anchor: String,
    pub text: String,
    /// `size`, `yes`, `exception` or `action`.
    pub control: &'static str,
    pub unit: String,
    pub bound: String,
    pub value: String,
    pub checked: bool,
    pub sensitive_area: bool,
    pub actions: String,
    /// After deciding: met or not, and why in words.
    pub outcome: Option<(bool, String)>,
    pub deciding: bool,
    pub error: Option<String>,
}

pub struct CellView {
    pub tier: String,
    pub tier_key: &'static str,
    pub text: String,
    pub note: String,
    pub questions: Vec<QuestionView>,
}

pub struct ItemView {
    pub no: u32,
    pub section: String,
    pub name: String,
    pub codes: Vec<String>,
    pub industrial_building: bool,
    pub cells: Vec<CellView>,
    pub sensitive_text: String,
    pub sensitive_types: Vec<String>,
    /// After deciding: the item's category in words, or "not covered by this item".
    pub result: Option<String>,
}

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn bound_words(lang: Lang, c: &ConditionKind) -> String {
    let ConditionKind::Threshold { threshold } = c else {
        return String::new();
    };
    let unit = &threshold.unit;
    let part = |b: crate::domain::classification::Bound, low: bool| {
        let id = match (low, b.inclusive) {
            (true, true) => "cls-bound-at-least",
            (true, false) => "cls-bound-more-than",
            (false, true) => "cls-bound-at-most",
            (false, false) => "cls-bound-less-than",
        };
        i18n::t_args(
            lang,
            id,
            &[
                ("value", fmt_number(b.value).into()),
                ("unit", unit.clone().into()),
            ],
        )
    };
    let mut parts = Vec::new();
    if let Some(b) = threshold.at_least {
        parts.push(part(b, true));
    }
    if let Some(b) = threshold.below {
        parts.push(part(b, false));
    }
    parts.join(i18n::t(lang, "cls-bound-and").as_str())
}

fn why_words(lang: Lang, why: Met) -> String {
    i18n::t(lang, &format!("cls-why-{}", why.as_str().replace('_', "-")))
}

/// An item with its questions, the typed answers, and (once decided) each condition's outcome.
pub fn item_view(
    lang: Lang,
    edition: &Edition,
    item: &Item,
    typed: &BTreeMap<String, String>,
    decided: Option<&Decided>,
    errors: &Errors,
) -> ItemView {
    let outcome = decided.and_then(|d| d.items.iter().find(|o| o.no == item.no));
    let cells = Tier::ALL
        .into_iter()
        .map(|tier| {
            let cell = item.cell(tier);
            let questions = cell
                .conditions
                .iter()
                .map(|c| {
                    let field = field_of(&c.id);
                    let value = typed.get(&field).cloned().unwrap_or_default();
                    let control = match c.kind {
                        ConditionKind::Threshold { .. } => "size",
                        ConditionKind::CatchAll { .. } => "exception",
                        ConditionKind::Action => "action",
                        _ => "yes",
                    };
                    let checked = match control {
                        "exception" => value == "no",
                        "yes" => value == "yes",
                        _ => false,
                    };
                    let o = outcome.and_then(|o| o.conditions.iter().find(|x| x.id == c.id));
                    QuestionView {
                        label: condition_label(lang, &c.id),
                        id: c.id.clone(),
                        anchor: forms::anchor(&field),
                        error: errors.get(&field).map(str::to_string),
                        field,
                        text: c.text.clone(),
                        control,
                        unit: match &c.kind {
                            ConditionKind::Threshold { threshold } => threshold.unit.clone(),
                            _ => String::new(),
                        },
                        bound: bound_words(lang, &c.kind),
                        value,
                        checked,
                        sensitive_area: c.sensitive_area,
                        actions: c
                            .actions
                            .iter()
                            .map(|a| action_label(lang, *a))
                            .collect::<Vec<_>>()
                            .join(i18n::t(lang, "list-sep").as_str()),
                        outcome: o.map(|o| (o.met, why_words(lang, o.why))),
                        deciding: outcome
                            .and_then(|o| o.decided_by.as_ref())
                            .is_some_and(|d| d.condition == c.id),
                    }
                })
                .collect();
            CellView {
                tier: tier_label(lang, tier),
                tier_key: tier.as_str(),
                text: cell.text.lines().next().unwrap_or_default().to_string(),
                note: cell.note.clone().unwrap_or_default(),
                questions,
            }
        })
        .collect();
    let sensitive_types = item
        .sensitive_areas
        .as_ref()
        .map(|s| {
            s.types
                .iter()
                .filter_map(|t| edition.area_type(t))
                .map(|a| match lang {
                    Lang::Zh => a.name.clone(),
                    Lang::En => {
                        i18n::lookup(lang, &format!("area-{}", a.id.replace('_', "-")), None)
                            .unwrap_or_else(|| a.name.clone())
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ItemView {
        no: item.no,
        section: item.section.clone(),
        name: item.name.clone(),
        codes: item
            .codes
            .iter()
            .map(|c| {
                if c.industrial_building {
                    format!("{}*", c.code)
                } else {
                    c.code.clone()
                }
            })
            .collect(),
        industrial_building: item.codes.iter().any(|c| c.industrial_building),
        cells,
        sensitive_text: item
            .sensitive_areas
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default(),
        sensitive_types,
        result: outcome.map(|o| match o.category {
            Some(c) => forms::option_label(lang, "category", c.as_str()),
            None => i18n::t(lang, "cls-item-not-covered"),
        }),
    }
}

/// The answer in the reader's language.
pub struct ResultView {
    pub covered: bool,
    pub category: String,
    pub workflow: String,
    pub workflow_title: String,
    pub item: String,
    /// The deciding condition named in words.
    pub condition_label: String,
    pub text: String,
    pub edition_title: String,
    pub source: String,
    /// Article 5, verbatim, for a project the catalogue does not cover.
    pub article5: String,
    pub expansion: bool,
    /// The request as JSON, carried into the application form.
    pub request_json: String,
}

pub fn result_view(
    app: &App,
    lang: Lang,
    edition: &Edition,
    request: &Request,
    decided: &Decided,
) -> ResultView {
    let by = decided.decided_by.as_ref();
    let workflow = decided.category.map(workflow_for).unwrap_or_default();
    ResultView {
        covered: decided.category.is_some(),
        category: decided
            .category
            .map(|c| forms::option_label(lang, "category", c.as_str()))
            .unwrap_or_default(),
        workflow: workflow.to_string(),
        workflow_title: app
            .workflows
            .newest(workflow)
            .map(|d| d.title.get(lang).to_string())
            .unwrap_or_default(),
        item: by
            .and_then(|b| edition.item(b.no))
            .map(|i| {
                i18n::t_args(
                    lang,
                    "cls-item-heading",
                    &[
                        ("no", (i.no as i64).into()),
                        ("name", i.name.clone().into()),
                    ],
                )
            })
            .unwrap_or_default(),
        condition_label: by
            .map(|b| condition_label(lang, &b.condition))
            .unwrap_or_default(),
        text: by.map(|b| b.text.clone()).unwrap_or_default(),
        edition_title: edition.title.clone(),
        source: edition.source.clone(),
        article5: edition.article_text(5).join("\n"),
        expansion: request.action == ProjectAction::Expansion,
        request_json: serde_json::to_string(request).unwrap_or_default(),
    }
}

/// A section of the catalogue with its items, for browsing.
pub struct SectionView {
    pub title: String,
    pub items: Vec<(u32, String)>,
}

pub fn sections(edition: &Edition) -> Vec<SectionView> {
    edition
        .sections()
        .into_iter()
        .map(|(title, nos)| SectionView {
            title: title.to_string(),
            items: nos
                .into_iter()
                .filter_map(|n| edition.item(n))
                .map(|i| (i.no, i.name.clone()))
                .collect(),
        })
        .collect()
}

/// What a search found: `None` when nothing was asked.
pub fn found(
    lang: Lang,
    edition: &Edition,
    q: &str,
    code: &str,
    errors: &mut Errors,
) -> Option<Vec<(u32, String, String)>> {
    if q.is_empty() && code.is_empty() {
        return None;
    }
    match edition.search(q, code) {
        Some(items) => Some(
            items
                .into_iter()
                .map(|i| (i.no, i.name.clone(), i.section.clone()))
                .collect(),
        ),
        None => {
            errors.add("code", lang, "cls-err-code");
            Some(Vec::new())
        }
    }
}

/// Decides what the page was asked, naming unreadable answers at their fields.
pub fn decide_asked(
    app: &App,
    lang: Lang,
    asked: &Asked,
    errors: &mut Errors,
) -> Option<(Request, Decided)> {
    let request = request(lang, asked, errors)?;
    match classify::decide_request(app, &request) {
        Ok(d) => Some((request, d)),
        Err(ClassifyError::Invalid(problems)) => {
            for p in problems {
                let field = p
                    .field
                    .rsplit_once(".answers.")
                    .map(|(_, id)| field_of(id))
                    .unwrap_or_else(|| "item".into());
                errors.add(&field, lang, p.code.message_id());
            }
            None
        }
        Err(_) => {
            errors.add("item", lang, "cls-err-no-items");
            None
        }
    }
}

#[derive(Template)]
#[template(path = "classification.html")]
pub struct LookupPage {
    pub c: Chrome,
    pub edition: String,
    pub edition_title: String,
    pub in_force_from: String,
    pub source: String,
    pub q: String,
    pub code: String,
    pub found: Option<Vec<(u32, String, String)>>,
    pub sections: Vec<SectionView>,
    pub errors: Errors,
    pub items: usize,
}

/// `GET /public/classification`: search and sections, without sign-in.
pub async fn public_index(
    ctx: Ctx,
    app: web::Data<App>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let pairs = pairs(&req);
    let asked = asked(&app, &pairs)?;
    let mut errors = Errors::default();
    let lang = ctx.lang;
    let e = &asked.edition;
    let page = LookupPage {
        c: Chrome::new(&ctx, "cls-public-title"),
        edition: e.edition.clone(),
        edition_title: e.title.clone(),
        in_force_from: e.in_force_from.to_string(),
        source: e.source.clone(),
        found: found(lang, e, &asked.q, &asked.code, &mut errors),
        q: asked.q,
        code: asked.code,
        sections: sections(e),
        items: e.items.len(),
        errors,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "classification_item.html")]
pub struct ItemPage {
    pub c: Chrome,
    pub edition: String,
    pub edition_title: String,
    pub source: String,
    pub item: ItemView,
    pub action: String,
    pub actions: Vec<(&'static str, String)>,
    pub result: Option<ResultView>,
    pub errors: Errors,
    pub article3: Vec<String>,
}

/// `GET /public/classification/{edition}/{no}`: the item verbatim, its questions and the answer.
pub async fn public_item(
    ctx: Ctx,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (edition_key, no) = path.into_inner();
    let edition = app
        .classification
        .get(&edition_key)
        .ok_or(WebError::NotFound)?;
    let item = no
        .parse::<u32>()
        .ok()
        .and_then(|n| edition.item(n))
        .ok_or(WebError::NotFound)?;
    let lang = ctx.lang;
    let mut pairs = pairs(&req);
    pairs.retain(|(k, _)| k != "item" && k != "edition");
    pairs.push(("item".into(), item.no.to_string()));
    pairs.push(("edition".into(), edition.edition.clone()));
    let asked = asked(&app, &pairs)?;
    let mut errors = Errors::default();
    let decided = if asked.classify {
        decide_asked(&app, lang, &asked, &mut errors)
    } else {
        None
    };
    let result = decided
        .as_ref()
        .map(|(r, d)| result_view(&app, lang, &edition, r, d));
    let view = item_view(
        lang,
        &edition,
        item,
        &asked.typed,
        decided.as_ref().map(|(_, d)| d),
        &errors,
    );
    let page = ItemPage {
        c: Chrome::new(&ctx, "cls-public-title"),
        edition: edition.edition.clone(),
        edition_title: edition.title.clone(),
        source: edition.source.clone(),
        item: view,
        action: asked.action.as_str().to_string(),
        actions: action_choices(lang),
        result,
        errors,
        article3: edition
            .article_text(3)
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    render(&page)
}

/// A case's recorded classification in the reader's words: the edition and action, the items,
/// the category with its deciding condition (verbatim), and every answer given.
pub fn recorded_lines(lang: Lang, v: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut lines = Vec::new();
    let edition = v["edition"].as_str().unwrap_or_default();
    let action = v["action"]
        .as_str()
        .and_then(ProjectAction::parse)
        .map(|a| action_label(lang, a))
        .unwrap_or_default();
    lines.push(i18n::t_args(
        lang,
        "cls-recorded-edition",
        &[
            ("edition", edition.to_string().into()),
            ("action", action.into()),
        ],
    ));
    for item in v["items"].as_array().into_iter().flatten() {
        lines.push(i18n::t_args(
            lang,
            "cls-item-heading",
            &[
                ("no", item["no"].as_i64().unwrap_or_default().into()),
                (
                    "name",
                    item["name"].as_str().unwrap_or_default().to_string().into(),
                ),
            ],
        ));
    }
    match v["category"].as_str() {
        Some(c) => {
            let by = &v["decided_by"];
            lines.push(i18n::t_args(
                lang,
                "cls-recorded-category",
                &[
                    ("category", forms::option_label(lang, "category", c).into()),
                    (
                        "condition",
                        condition_label(lang, by["condition"].as_str().unwrap_or_default()).into(),
                    ),
                    (
                        "text",
                        by["text"].as_str().unwrap_or_default().to_string().into(),
                    ),
                ],
            ));
        }
        None => lines.push(i18n::t(lang, "cls-not-covered")),
    }
    for a in v["answered"].as_array().into_iter().flatten() {
        let answer = match &a["answer"] {
            Value::Bool(true) => i18n::t(lang, "cls-answer-yes"),
            Value::Bool(false) => i18n::t(lang, "cls-answer-no"),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        lines.push(i18n::t_args(
            lang,
            "cls-recorded-answer",
            &[
                (
                    "condition",
                    condition_label(lang, a["id"].as_str().unwrap_or_default()).into(),
                ),
                (
                    "text",
                    a["text"].as_str().unwrap_or_default().to_string().into(),
                ),
                ("answer", answer.into()),
            ],
        ));
    }
    lines
}

pub fn action_choices(lang: Lang) -> Vec<(&'static str, String)> {
    ProjectAction::ALL
        .into_iter()
        .map(|a| (a.as_str(), action_label(lang, a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_ids_survive_the_form_field() {
        for id in ["37.report.1", "108.report_form.12", "1.registration.1"] {
            assert_eq!(id_of(&field_of(id)).as_deref(), Some(id));
        }
        assert_eq!(id_of("item"), None);
    }

    #[test]
    fn sizes_are_read_as_people_type_them() {
        assert_eq!(size("50,000"), Some(50000.0));
        assert_eq!(size(" 12.5 "), Some(12.5));
        assert_eq!(size("１２"), None);
        assert_eq!(size("lots"), None);
    }
}
