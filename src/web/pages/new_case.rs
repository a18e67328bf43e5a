//! `/cases/new`: a guided start. First the classification (industry, quantities, features,
//! sensitive area) with the category and workflow the catalogue demands and the row and
//! condition that decided; then the case-data form of that workflow, with the waterfront siting
//! result shown before anything is submitted.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::app::classify::{self, Question};
use crate::app::directory::{self, Access};
use crate::app::{App, AppError};
use crate::domain::catalogue::Activity;
use crate::domain::Role;
use crate::engine::{DataSchema, Definition};
use crate::web::forms::{self, Errors, FieldView};
use crate::web::i18n::{self, Lang};
use crate::web::layout::Chrome;
use crate::web::session::{FormData, Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

/// What the classification found, in the person's language.
pub struct Classified {
    pub covered: bool,
    pub category: String,
    pub workflow: String,
    pub workflow_title: String,
    pub row: String,
    pub row_title: String,
    pub condition: String,
    pub raised: Option<String>,
    pub edition: String,
    /// The query that carries the answers into the data form.
    pub next: String,
}

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
    pub industry_code: String,
    pub project_type: String,
    pub quantities: String,
    pub features: String,
    pub sensitive_area: String,
    pub result: Option<Classified>,
    pub errors: Errors,
    pub others: Vec<Startable>,
    pub direct: Vec<Startable>,
    pub project_types: Vec<String>,
    pub feature_names: Vec<String>,
    pub quantity_names: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    industry_code: Option<String>,
    #[serde(default)]
    project_type: Option<String>,
    #[serde(default)]
    quantities: Option<String>,
    #[serde(default)]
    features: Option<String>,
    #[serde(default)]
    sensitive_area: Option<String>,
    #[serde(default)]
    classify: Option<String>,
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

/// Names the catalogue knows, offered as suggestions.
fn catalogue_names(app: &App) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut types = BTreeSet::new();
    let mut features = BTreeSet::new();
    let mut quantities = BTreeSet::new();
    for row in app.catalogue.rows() {
        if let Some(t) = &row.project_type {
            types.insert(t.clone());
        }
        for r in &row.rules {
            if let Some(f) = &r.feature {
                features.insert(f.clone());
            }
            if let Some(q) = &r.quantity {
                quantities.insert(q.clone());
            }
        }
    }
    (
        types.into_iter().collect(),
        features.into_iter().collect(),
        quantities.into_iter().collect(),
    )
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .flat_map(|l| l.split([',', '，']))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `GET /cases/new[?industry_code=...&classify=1]`.
pub async fn start(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, WebError> {
    may_start(&who)?;
    let lang = who.ctx.lang;
    let mut errors = Errors::default();
    let mut result = None;
    let quantities_text = opt(&q.quantities);
    if q.classify.is_some() {
        let mut quantities = std::collections::BTreeMap::new();
        let f = FormData(vec![("quantities".into(), quantities_text.clone())]);
        let parsed = forms::read_data(
            &[forms::DataField {
                name: "quantities",
                kind: forms::Kind::Quantities,
                required: false,
            }],
            &f,
            &Map::new(),
            lang,
            &mut errors,
        );
        if let Some(Value::Object(m)) = parsed.get("quantities") {
            for (k, v) in m {
                if let Some(n) = v.as_f64() {
                    quantities.insert(k.clone(), n);
                }
            }
        }
        let sensitive = opt(&q.sensitive_area);
        let sensitive_area = match sensitive.as_str() {
            "" => None,
            s => match s.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.add("sensitive_area", lang, "form-choose-one");
                    None
                }
            },
        };
        let project_type = Some(opt(&q.project_type)).filter(|t| !t.is_empty());
        let question = Question {
            activity: Activity {
                industry_code: opt(&q.industry_code),
                project_type: project_type.clone(),
                quantities: quantities.clone(),
                features: lines(&opt(&q.features)),
            },
            sensitive_area,
            also: Vec::new(),
        };
        if errors.is_empty() {
            match classify::answer(&app, question) {
                Ok(a) => {
                    let workflow = a.workflow.unwrap_or_default().to_string();
                    let carried: Vec<(&str, String)> = [
                        ("industry_code", opt(&q.industry_code)),
                        ("project_type", project_type.unwrap_or_default()),
                        ("quantities", quantities_text.clone()),
                        ("features", opt(&q.features)),
                        ("sensitive_area", sensitive.clone()),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                    let next = serde_urlencoded::to_string(carried).unwrap_or_default();
                    let d = a.decided_by.as_ref();
                    result = Some(Classified {
                        covered: a.covered,
                        category: a
                            .category
                            .map(|c| forms::option_label(lang, "category", c.as_str()))
                            .unwrap_or_default(),
                        workflow_title: app
                            .workflows
                            .newest(&workflow)
                            .map(|d| d.title.get(lang).to_string())
                            .unwrap_or_default(),
                        workflow,
                        row: d.map(|d| d.row.clone()).unwrap_or_default(),
                        row_title: d.map(|d| d.row_title.clone()).unwrap_or_default(),
                        condition: d
                            .map(|d| i18n::message(lang, &d.condition))
                            .unwrap_or_default(),
                        raised: d
                            .and_then(|d| d.sensitive_override.as_deref())
                            .map(|s| i18n::message(lang, s)),
                        edition: a.catalogue_edition,
                        next,
                    });
                }
                Err(AppError::Validation(fields)) => errors.extend_from(lang, &fields),
                Err(e) => return Err(e.into()),
            }
        }
    }
    errors.label_with(|f| Some(forms::data_label(lang, f)));
    let (project_types, feature_names, quantity_names) = catalogue_names(&app);
    let page = StartPage {
        c: Chrome::new(&who.ctx, "new-title"),
        industry_code: opt(&q.industry_code),
        project_type: opt(&q.project_type),
        quantities: quantities_text,
        features: opt(&q.features),
        sensitive_area: opt(&q.sensitive_area),
        result,
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
        direct: startable(&app, &who, lang, &[DataSchema::EiaProject]),
        project_types,
        feature_names,
        quantity_names,
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
    pub classified: bool,
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
    classified: bool,
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
        classified,
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
        classified,
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
    for (field, value) in [
        ("industry_code", &q.industry_code),
        ("project_type", &q.project_type),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            data.insert(field.into(), json!(v));
        }
    }
    if let Some(v) = q
        .sensitive_area
        .as_deref()
        .and_then(|v| v.trim().parse::<u8>().ok())
    {
        data.insert("sensitive_area".into(), json!(v));
    }
    let feats = lines(&opt(&q.features));
    if !feats.is_empty() {
        data.insert("features".into(), json!(feats));
    }
    let mut quantities = Map::new();
    for line in opt(&q.quantities).lines() {
        if let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) {
            if let Ok(n) = v.trim().parse::<f64>() {
                quantities.insert(k.trim().to_string(), json!(n));
            }
        }
    }
    if !quantities.is_empty() {
        data.insert("quantities".into(), Value::Object(quantities));
    }
    let data = Value::Object(data);
    let shown = Shown {
        data: &data,
        entered: None,
        errors: Errors::default(),
        siting: None,
        classified: q.industry_code.is_some(),
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
    let data: Map<String, Value> = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
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
            classified: false,
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
        classified: false,
    };
    let page = form_page(&app, &who, &def, shown).await?;
    render_as(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
