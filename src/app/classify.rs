//! Classification: the editions of the EIA classification catalogue, the look-up of its items,
//! the category a project needs, and what a case records of it (and the refusal of a case filed
//! under another category than the one its classification decided).

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::{App, AppError};
use crate::domain::classification::{
    decide, workflow_for, Catalogues, ClassifyError, Decided, Edition, Problem, Request,
};
use crate::domain::project::Category;
use crate::domain::FieldErrors;
use crate::domain::Msg;
use crate::engine::{DataSchema, Definition};
use crate::msg;

/// Reads every edition in `dir` (`workflows/classification/*.toml`), each checked; every
/// problem of every file is named.
pub fn load_editions(dir: &Path) -> Result<Catalogues, Vec<String>> {
    let paths = super::workflows::toml_files(dir)?;
    let mut editions = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let file = format!(
            "classification/{}",
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        match std::fs::read_to_string(&path) {
            Ok(source) => match Edition::parse(&file, &source) {
                Ok(e) => editions.push(e),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(format!("{file}: {e}")),
        }
    }
    if editions.is_empty() && errors.is_empty() {
        errors.push(format!("{}: no edition of the catalogue", dir.display()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Catalogues::new(editions).map_err(|e| vec![e])
}

/// The edition in force today.
pub fn in_force(app: &App) -> Option<Arc<Edition>> {
    let today = crate::domain::calendar::local_date(app.clock.now());
    app.classification.in_force(today)
}

pub fn edition(app: &App, key: &str) -> Result<Arc<Edition>, AppError> {
    app.classification
        .get(key)
        .ok_or_else(|| AppError::NotFound(format!("edition `{key}` of the catalogue")))
}

/// A request's problems as the API words them.
pub fn field_errors(problems: &[Problem]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for p in problems {
        errors.add(p.field.clone(), Msg::new(p.code.message_id()));
    }
    errors
}

fn app_error(e: ClassifyError) -> AppError {
    match e {
        ClassifyError::UnknownEdition(ed) => {
            AppError::NotFound(format!("edition `{ed}` of the catalogue"))
        }
        ClassifyError::UnknownItem(no) => AppError::NotFound(format!("item {no} of the catalogue")),
        ClassifyError::Invalid(p) => AppError::Validation(field_errors(&p)),
    }
}

/// The answer, with the workflow that follows from the category.
#[derive(Debug, Clone, Serialize)]
pub struct Classified {
    #[serde(flatten)]
    pub decided: Decided,
    /// The workflow a case of this category takes; none when not covered.
    pub workflow: Option<&'static str>,
}

/// Decides a request in the edition it names (the one in force when it names none).
pub fn decide_request(app: &App, request: &Request) -> Result<Decided, ClassifyError> {
    let edition = app
        .classification
        .get(&request.edition)
        .ok_or_else(|| ClassifyError::UnknownEdition(request.edition.clone()))?;
    decide(&edition, request)
}

fn default_edition(app: &App) -> String {
    in_force(app).map(|e| e.edition.clone()).unwrap_or_default()
}

/// `POST /classify`: reads the request, decides, and names the workflow.
pub fn classify(app: &App, body: &Value) -> Result<Classified, AppError> {
    let request = Request::from_json(body, &default_edition(app))
        .map_err(|p| AppError::Validation(field_errors(&p)))?;
    let decided = decide_request(app, &request).map_err(app_error)?;
    Ok(Classified {
        workflow: decided.category.map(workflow_for),
        decided,
    })
}

/// What a case records of its classification: the request, the items' names, each answer
/// with its condition's words, the category and the deciding condition.
pub fn recorded(app: &App, request: &Request, decided: &Decided) -> Value {
    let edition = app.classification.get(&request.edition);
    let items: Vec<Value> = request
        .items
        .iter()
        .map(|i| {
            let name = edition
                .as_ref()
                .and_then(|e| e.item(i.no))
                .map(|it| it.name.clone());
            json!({"no": i.no, "name": name, "answers": i.answers})
        })
        .collect();
    let answered: Vec<Value> = decided
        .items
        .iter()
        .flat_map(|o| o.conditions.iter())
        .filter_map(|c| {
            c.answer
                .map(|a| json!({"id": c.id, "text": c.text, "answer": a}))
        })
        .collect();
    json!({
        "edition": request.edition,
        "action": request.action,
        "items": items,
        "answered": answered,
        "category": decided.category,
        "decided_by": decided.decided_by,
    })
}

/// `keys` of an object (anything else as it is).
fn pick(v: &Value, keys: &[&str]) -> Value {
    match v.as_object() {
        Some(m) => Value::Object(
            keys.iter()
                .filter_map(|k| m.get(*k).map(|x| (k.to_string(), x.clone())))
                .collect(),
        ),
        None => v.clone(),
    }
}

/// The request part of a recorded classification (what a person answered).
fn request_of(app: &App, recorded: &Value) -> Result<Request, Vec<Problem>> {
    let mut asked = pick(recorded, &["edition", "action", "items"]);
    if let Some(items) = asked.get_mut("items").and_then(Value::as_array_mut) {
        for item in items.iter_mut() {
            *item = pick(item, &["no", "answers"]);
        }
    }
    Request::from_json(&asked, &default_edition(app))
}

/// A request's problems as fields of the case data's `classification`.
fn classification_errors(problems: Vec<Problem>) -> AppError {
    let mut e = FieldErrors::default();
    for p in problems {
        e.add(
            format!("classification.{}", p.field),
            Msg::new(p.code.message_id()),
        );
    }
    AppError::Validation(e)
}

fn validation(field: &str, message: Msg) -> AppError {
    let mut e = FieldErrors::default();
    e.add(field, message);
    AppError::Validation(e)
}

/// Decides a case's classification and checks it against the workflow's category: a project
/// the catalogue does not cover opens no EIA case, and one of another category is filed with
/// that category's workflow.
fn decided_for(app: &App, def: &Definition, given: &Value) -> Result<(Request, Decided), AppError> {
    let request = request_of(app, given).map_err(classification_errors)?;
    let decided = decide_request(app, &request).map_err(|e| match e {
        ClassifyError::Invalid(p) => classification_errors(p),
        ClassifyError::UnknownEdition(ed) => validation(
            "classification",
            msg!("err-cls-unknown-edition", edition = ed),
        ),
        ClassifyError::UnknownItem(no) => {
            validation("classification", msg!("err-cls-unknown-item", no = no))
        }
    })?;
    let wanted = def
        .requires
        .get("category")
        .and_then(|c| Category::parse(c));
    match (decided.category, wanted) {
        (None, _) => Err(validation("classification", msg!("err-cls-not-covered"))),
        (Some(c), Some(w)) if c != w => Err(validation(
            "classification",
            msg!(
                "err-cls-other-category",
                category = c.as_str(),
                workflow = workflow_for(c)
            ),
        )),
        _ => Ok((request, decided)),
    }
}

/// A new EIA case's data with its classification decided and recorded.
pub fn record(app: &App, def: &Definition, mut data: Value) -> Result<Value, AppError> {
    if def.data != Some(DataSchema::EiaProject) {
        return Ok(data);
    }
    let Some(given) = data.get("classification").cloned() else {
        return Ok(data);
    };
    let (request, decided) = decided_for(app, def, &given)?;
    if let Some(m) = data.as_object_mut() {
        m.insert("classification".into(), recorded(app, &request, &decided));
    }
    Ok(data)
}

/// Refuses EIA project data whose recorded classification does not decide what it says, or
/// decides another category than its workflow's.
pub fn check_category(app: &App, def: &Definition, data: &Value) -> Result<(), AppError> {
    if def.data != Some(DataSchema::EiaProject) {
        return Ok(());
    }
    let Some(given) = data.get("classification") else {
        return Ok(());
    };
    let (request, decided) = decided_for(app, def, given)?;
    let again = recorded(app, &request, &decided);
    if again.get("decided_by") != given.get("decided_by")
        || again.get("category") != given.get("category")
    {
        return Err(validation(
            "classification",
            msg!("err-cls-recorded-differs"),
        ));
    }
    Ok(())
}
