//! The EIA classification catalogue as JSON: its editions and items (public law, no sign-in),
//! and `POST /classify`, which decides a project's category.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::{classify, App, AppError};
use crate::domain::classification::{Edition, Item, Tier};
use crate::msg;

/// An item as the API shows it: every cell verbatim with its conditions.
pub fn item_json(edition: &Edition, item: &Item) -> Value {
    let mut tiers = serde_json::Map::new();
    for t in Tier::ALL {
        let cell = item.cell(t);
        tiers.insert(
            t.as_str().into(),
            json!({"text": cell.text, "conditions": cell.conditions, "note": cell.note}),
        );
    }
    let sensitive_areas = item.sensitive_areas.as_ref().map(|s| {
        let types: Vec<Value> = s
            .types
            .iter()
            .filter_map(|t| edition.area_type(t))
            .map(|a| json!({"id": a.id, "class": a.class, "name": a.name}))
            .collect();
        json!({"text": s.text, "types": types})
    });
    json!({
        "no": item.no,
        "section": item.section,
        "name": item.name,
        "codes": item.codes,
        "tiers": tiers,
        "sensitive_areas": sensitive_areas,
        "page": item.page,
    })
}

#[utoipa::path(get, path = "/api/v1/classification/editions", tag = "classification", responses((status = 200, description = "`{editions: [{edition, title, in_force_from, sections, items, in_force}]}`, oldest first; `in_force` marks the edition in force today")))]
/// The editions of the catalogue shipped with this installation.
pub async fn editions(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let now = classify::in_force(&app).map(|e| e.edition.clone());
    let editions: Vec<Value> = app
        .classification
        .all()
        .iter()
        .map(|e| {
            json!({
                "edition": e.edition,
                "title": e.title,
                "in_force_from": e.in_force_from.to_string(),
                "sections": e.sections().len(),
                "items": e.items.len(),
                "in_force": now.as_deref() == Some(e.edition.as_str()),
                "source": e.source,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "editions": editions })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemsQuery {
    /// Words of the item's name (all of them).
    pub q: Option<String>,
    /// A GB/T 4754 code with or without its letter (C2221, 2221), matched by prefix either way.
    pub code: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/classification/{edition}/items", tag = "classification", params(("edition" = String, Path, description = "An edition, e.g. 2021"), ItemsQuery), responses((status = 200, description = "`{items: [...]}`: the matching items, each as `/items/{no}` gives it"), (status = 404, description = "No such edition", body = ErrorBody), (status = 422, description = "`code` is not a GB/T 4754 code", body = ErrorBody)))]
/// Items of an edition, found by code or by words of their names.
pub async fn items(
    app: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ItemsQuery>,
) -> Result<HttpResponse, ApiError> {
    let edition = classify::edition(&app, &path.into_inner())?;
    let q = query.into_inner();
    let found = edition
        .search(
            q.q.as_deref().unwrap_or(""),
            q.code.as_deref().unwrap_or(""),
        )
        .ok_or_else(|| AppError::invalid("code", msg!("err-industry-code-prefix")))?;
    let items: Vec<Value> = found.into_iter().map(|i| item_json(&edition, i)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(get, path = "/api/v1/classification/{edition}/items/{no}", tag = "classification", params(("edition" = String, Path, description = "An edition, e.g. 2021"), ("no" = u32, Path, description = "The item's number, 1 to N")), responses((status = 200, description = "`{no, section, name, codes, tiers: {report, report_form, registration: {text, conditions, note}}, sensitive_areas: {text, types}}`"), (status = 404, description = "No such edition or item", body = ErrorBody)))]
/// One item, verbatim, with each cell's conditions.
pub async fn item(
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (edition, no) = path.into_inner();
    let edition = classify::edition(&app, &edition)?;
    let item = no
        .parse::<u32>()
        .ok()
        .and_then(|n| edition.item(n))
        .ok_or_else(|| AppError::NotFound(format!("item {no} of the catalogue")))?;
    Ok(HttpResponse::Ok().json(item_json(&edition, item)))
}

#[utoipa::path(post, path = "/api/v1/classify", tag = "classification", security(("bearer" = [])), request_body(content = Object, description = "`{edition (optional: the one in force), action: new|expansion|rebuild|relocation|decommissioning, items: [{no, answers: {\"37.report.1\": false, \"108.report.1\": 120}}]}`: an answer is true/false, or the project's size for a condition that prints one quantity threshold or range (in its first printed unit)"), responses((status = 200, description = "`{category: report|report_form|registration|null (not covered), decided_by: {no, tier, condition, text}, workflow, items: [{no, name, category, decided_by, conditions: [{id, tier, text, answer, met, why}]}]}`"), (status = 404, description = "No such edition or item", body = ErrorBody), (status = 422, description = "No items, an answer to a condition of another item, a number where no quantity is printed, a negative size", body = ErrorBody)))]
/// The category a project needs under the catalogue, with the condition that decided it.
pub async fn classify(
    app: web::Data<App>,
    _caller: Caller,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let classified = classify::classify(&app, &body.into_inner())?;
    let mut out = serde_json::to_value(&classified).map_err(|e| AppError::Unexpected(e.into()))?;
    // `category` names "not_covered" rather than leaving it empty.
    if out["category"].is_null() {
        out["category"] = json!("not_covered");
    }
    Ok(HttpResponse::Ok().json(out))
}
