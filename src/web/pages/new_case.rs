//! `/cases/new`: a guided start. First the classification: find the catalogue's item by
//! industry code, by words of its name or by section, answer its conditions in the official
//! words, and see the category with the condition that decided it (a project the catalogue does
//! not cover opens no case: article 5). Then the case-data form of the workflow that category
//! takes, carrying the classification, with the waterfront siting result shown before anything
//! is submitted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::classification::{self as cls, ItemView, ResultView, SectionView};
use crate::app::directory::{self, Access};
use crate::app::{App, AppError};
use crate::domain::Role;
use crate::engine::{DataSchema, Definition};
use crate::web::forms::{self, Errors, FieldView};
use crate::web::i18n::{self, Lang};
use crate::web::layout::Chrome;
use crate::web::session::{FormData, Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

/// A workflow one may start from here.
pub struct Startable {
    pub key: String,
    pub title: String,
    pub hint: String,
}

#[derive(Template)]
#[template(path = "new_case.html")]
pub struct StartPage {
    pub c: Chrome,
    pub edition: String,
    pub edition_title: String,
    pub q: String,
    pub code: String,
    /// What the search found, each marked when it is chosen already.
    pub found: Option<Vec<(u32, String, String, bool)>>,
    /// Whether something found may still be chosen.
    pub choosable: bool,
    pub sections: Vec<SectionView>,
    /// The items chosen, with their questions.
    pub chosen: Vec<ItemView>,
    pub action: String,
    pub actions: Vec<(&'static str, String)>,
    pub result: Option<ResultView>,
    /// The query that carries the classification into the data form.
    pub next: String,
    pub errors: Errors,
    pub others: Vec<Startable>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    industry_code: Option<String>,
    #[serde(default)]
    classification: Option<String>,
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(str::trim).unwrap_or_default().to_string()
}

fn may_start(who: &Signed) -> Result<(), WebError> {
    if who.actor.roles.contains(Role::Applicant) || who.actor.roles.contains(Role::Agency) {
        Ok(())
    } else {
        Err(AppError::Forbidden("an applicant or an agency".into()).into())
    }
}

/// The workflows this person may open, by data schema.
fn startable(app: &App, who: &Signed, lang: Lang, schemas: &[DataSchema]) -> Vec<Startable> {
    app.workflows
        .summaries()
        .into_iter()
        .filter_map(|s| app.workflows.newest(&s.key))
        .filter(|d| d.data.is_some_and(|x| schemas.contains(&x)))
        .filter(|d| who.actor.roles.intersects(d.create_roles))
        .map(|d| Startable {
            key: d.key.clone(),
            title: d.title.get(lang).to_string(),
            hint: i18n::lookup(
                lang,
                &format!("start-hint-{}", d.key.replace('_', "-")),
                None,
            )
            .unwrap_or_default(),
        })
        .collect()
}

/// `GET /cases/new[?q=&code=&item=N...&action=&a-…=&classify=1]`.
pub async fn start(
    who: Signed,
    app: web::Data<App>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    may_start(&who)?;
    let lang = who.ctx.lang;
    let pairs = cls::pairs(&req);
    let asked = cls::asked(&app, &pairs)?;
    let mut errors = Errors::default();
    let edition = asked.edition.clone();
    let decided = if asked.classify {
        cls::decide_asked(&app, lang, &asked, &mut errors)
    } else {
        None
    };
    let found = cls::found(lang, &edition, &asked.q, &asked.code, &mut errors).map(|list| {
        list.into_iter()
            .map(|(no, name, section)| (no, name, section, asked.items.contains(&no)))
            .collect()
    });
    let chosen = asked
        .items
        .iter()
        .filter_map(|no| edition.item(*no))
        .map(|item| {
            cls::item_view(
                lang,
                &edition,
                item,
                &asked.typed,
                decided.as_ref().map(|(_, d)| d),
                &errors,
            )
        })
        .collect();
    let result = decided
        .as_ref()
        .map(|(r, d)| cls::result_view(&app, lang, &edition, r, d));
    let next = result
        .as_ref()
        .filter(|r| r.covered)
        .map(|r| {
            let mut carried = vec![("classification", r.request_json.clone())];
            let code = asked.code.trim().to_uppercase();
            if crate::domain::project::IndustryCode::parse(&code).is_some() {
                carried.push(("industry_code", code));
            }
            serde_urlencoded::to_string(carried).unwrap_or_default()
        })
        .unwrap_or_default();
    let choosable = found
        .as_ref()
        .is_some_and(|l: &Vec<(u32, String, String, bool)>| l.iter().any(|x| !x.3));
    let mut sections = cls::sections(&edition);
    for s in &mut sections {
        s.items.retain(|(no, _)| !asked.items.contains(no));
    }
    let page = StartPage {
        c: Chrome::new(&who.ctx, "new-title"),
        edition: edition.edition.clone(),
        edition_title: edition.title.clone(),
        q: asked.q.clone(),
        code: asked.code.clone(),
        found,
        choosable,
        sections,
        chosen,
        action: asked.action.as_str().to_string(),
        actions: cls::action_choices(lang),
        result,
        next,
        others: startable(
            &app,
            &who,
            lang,
            &[
                DataSchema::Planning,
                DataSchema::Consultation,
                DataSchema::Rereview,
                DataSchema::BusinessLicence,
            ],
        ),
        errors: errors.clone(),
    };
    if errors.is_empty() {
        render(&page)
    } else {
        render_as(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// The siting result shown on the data form.
pub type SitingPreview = super::case::SitingView;

#[derive(Template)]
#[template(path = "new_case_form.html")]
pub struct FormPage {
    pub c: Chrome,
    pub workflow: String,
    pub workflow_title: String,
    pub fields: Vec<FieldView>,
    pub errors: Errors,
    /// For an agency: the enterprises it may file for (code, name), and the one chosen.
    pub on_behalf: Vec<(String, String)>,
    pub organisation: String,
    pub siting: Option<SitingPreview>,
    pub can_check_siting: bool,
    /// The classification carried from the first step: the request as JSON and its answer.
    pub classification: String,
    pub classified: Option<ResultView>,
}

fn definition(app: &App, key: &str) -> Result<std::sync::Arc<Definition>, WebError> {
    app.workflows
        .newest(key)
        .filter(|d| d.data.is_some_and(|s| !forms::data_fields(s).is_empty()))
        .ok_or(WebError::NotFound)
}

/// The values a workflow fixes (`requires`, like the category of an EIA workflow).
fn fixed_values(def: &Definition) -> Map<String, Value> {
    def.requires
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect()
}

async fn agencies_choice(app: &App, who: &Signed) -> Result<Vec<(String, String)>, WebError> {
    if !who.actor.roles.contains(Role::Agency) {
        return Ok(Vec::new());
    }
    let covered = match directory::access(&app.db, &who.actor).await? {
        Access::All => return Ok(Vec::new()),
        Access::Orgs(o) => o,
    };
    Ok(directory::orgs(app)
        .await?
        .into_iter()
        .filter(|o| o.kind == "enterprise" && covered.contains(&o.code))
        .map(|o| (o.code, o.name))
        .collect())
}

/// What the data form is shown with.
struct Shown<'a> {
    data: &'a Value,
    entered: Option<&'a FormData>,
    errors: Errors,
    siting: Option<SitingPreview>,
    classification: String,
}

async fn form_page(
    app: &App,
    who: &Signed,
    def: &Definition,
    shown: Shown<'_>,
) -> Result<FormPage, WebError> {
    let Shown {
        data,
        entered,
        mut errors,
        siting,
        classification,
    } = shown;
    let lang = who.ctx.lang;
    let fields = &forms::fields_of(def)[..];
    errors.label_with(|f| {
        if f == "organisation" {
            return Some(i18n::t(lang, "new-on-behalf"));
        }
        fields
            .iter()
            .any(|d| d.name == f)
            .then(|| forms::data_label(lang, f))
    });
    let on_behalf = agencies_choice(app, who).await?;
    Ok(FormPage {
        c: Chrome::new(&who.ctx, "new-form-title"),
        workflow: def.key.clone(),
        workflow_title: def.title.get(lang).to_string(),
        fields: forms::data_views(lang, fields, data, entered, &errors),
        errors,
        organisation: entered
            .and_then(|f| f.get("organisation"))
            .unwrap_or_default()
            .to_string(),
        on_behalf,
        siting,
        can_check_siting: fields.iter().any(|f| f.kind == forms::Kind::Location),
        classified: classified_view(app, lang, &classification),
        classification,
    })
}

/// `GET /cases/new/{workflow}`: the data form, with what the classification step found.
pub async fn form(
    who: Signed,
    app: web::Data<App>,
    key: web::Path<String>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, WebError> {
    may_start(&who)?;
    let def = definition(&app, &key)?;
    if !who.actor.roles.intersects(def.create_roles) {
        return Err(AppError::Forbidden("an applicant or an agency".into()).into());
    }
    let mut data = fixed_values(&def);
    if let Some(v) = q
        .industry_code
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        data.insert("industry_code".into(), json!(v));
    }
    let data = Value::Object(data);
    let shown = Shown {
        data: &data,
        entered: None,
        errors: Errors::default(),
        siting: None,
        classification: opt(&q.classification),
    };
    let page = form_page(&app, &who, &def, shown).await?;
    render(&page)
}

/// `POST /cases/new/{workflow}`: checks the siting (`intent=siting`) or opens the case.
pub async fn submit(
    posted: Posted,
    app: web::Data<App>,
    key: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    may_start(&who)?;
    let lang = who.ctx.lang;
    let def = definition(&app, &key)?;
    let fields = &forms::fields_of(&def)[..];
    let mut errors = Errors::default();
    let data = forms::read_data(fields, &form, &fixed_values(&def), lang, &mut errors);
    // Blank optional fields are left out of a new case.
    let mut data: Map<String, Value> = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
    // The classification from the first step rides along as JSON; the use case decides it again.
    let classification = form
        .get("classification")
        .unwrap_or_default()
        .trim()
        .to_string();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&classification) {
        data.insert("classification".into(), v);
    }
    let data = Value::Object(data);
    let on_behalf = form.get("organisation").map(str::to_string);

    let siting = if data.get("location").is_some() {
        let input = json!({
            "geometry": data["location"],
            "industry_code": data.get("industry_code").and_then(Value::as_str)
                .filter(|c| crate::domain::project::IndustryCode::parse(c).is_some()),
        });
        match crate::app::siting::check_request(&app, &input) {
            Ok(check) => Some(super::case::siting_view(lang, &check)),
            Err(_) => None,
        }
    } else {
        None
    };

    if form.get("intent") == Some("siting") {
        if siting.is_none() && errors.get("location").is_none() {
            errors.add("location", lang, "new-siting-needs-site");
        }
        let shown = Shown {
            data: &data,
            entered: Some(&form),
            errors,
            siting,
            classification,
        };
        let page = form_page(&app, &who, &def, shown).await?;
        return render(&page);
    }
    if errors.is_empty() {
        match crate::app::cases::create_case(
            &app,
            &who.actor,
            &def.key,
            data.clone(),
            on_behalf.as_deref(),
            None,
        )
        .await
        {
            Ok(case) => return Ok(see_other(&format!("/cases/{}?done=created", case.id))),
            Err(AppError::Validation(fields)) => errors.extend_from(lang, &fields),
            Err(AppError::Forbidden(_)) if on_behalf.is_some() => {
                errors.add("organisation", lang, "new-on-behalf-refused")
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        // Report everything at once: what could not be read, and what the use case refuses.
        if let Err(AppError::Validation(fields)) =
            crate::app::cases::check_new_case(&app, &def.key, &data)
        {
            errors.extend_from(lang, &fields);
        }
    }
    let shown = Shown {
        data: &data,
        entered: Some(&form),
        errors,
        siting,
        classification,
    };
    let page = form_page(&app, &who, &def, shown).await?;
    render_as(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The classification carried into the data form, decided again for its summary.
fn classified_view(app: &App, lang: Lang, json: &str) -> Option<ResultView> {
    let value: Value = serde_json::from_str(json).ok()?;
    let default = crate::app::classify::in_force(app)?.edition.clone();
    let request = crate::domain::classification::Request::from_json(&value, &default).ok()?;
    let decided = crate::app::classify::decide_request(app, &request).ok()?;
    let edition = app.classification.get(&request.edition)?;
    Some(cls::result_view(app, lang, &edition, &request, &decided))
}
