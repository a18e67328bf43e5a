//! Case endpoints: thin handlers that parse, call one use case, and encode.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::auth::Caller;
use super::error::ApiError;
use crate::app::cases::{self, CaseSnapshot, FireRequest, Idempotency, ListQuery};
use crate::app::App;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    workflow: String,
    #[serde(default)]
    data: Value,
    /// For an agency: the enterprise it files for.
    #[serde(default)]
    organisation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    expected_version: i64,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    data: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    workflow: Option<String>,
    state: Option<String>,
    org: Option<String>,
    q: Option<String>,
    submitted_from: Option<chrono::DateTime<chrono::Utc>>,
    submitted_to: Option<chrono::DateTime<chrono::Utc>>,
    page: Option<u64>,
    per_page: Option<u64>,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "invalid_body",
            format!("the request body is not valid: {e}"),
        )
    })
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("case {raw} not found"),
        )
    })
}

/// The `Idempotency-Key` header, with a fingerprint of this exact request.
fn idempotency(req: &HttpRequest, body: &[u8]) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 200 visible characters",
            )
        })?;
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(body);
    Ok(Some(Idempotency {
        key: key.to_string(),
        fingerprint: hex::encode(hasher.finalize()),
    }))
}

pub fn case_json(c: &CaseSnapshot) -> Value {
    json!({
        "id": c.id,
        "workflow": c.workflow,
        "workflow_version": c.workflow_version,
        "state": c.state,
        "terminal": c.terminal,
        "version": c.version,
        "organisation": c.org,
        "data": c.data,
        "created_by": c.created_by,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "submitted_at": c.submitted_at,
        "reference": c.reference,
        "allowed_actions": c.allowed_actions,
        "clocks": c.clocks,
    })
}

pub async fn create(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency(&req, &body)?;
    let input: CreateBody = parse_body(&body)?;
    let case = cases::create_case(
        &app,
        &caller.0,
        &input.workflow,
        input.data,
        input.organisation.as_deref(),
        idem.as_ref(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cases/{}", case.id)))
        .json(case_json(&case)))
}

pub async fn fire(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let idem = idempotency(&req, &body)?;
    let input: ActionBody = parse_body(&body)?;
    let request = FireRequest {
        expected_version: input.expected_version,
        comment: input.comment,
        payload: input.data,
    };
    let case = cases::fire(&app, &caller.0, id, &action, request, idem.as_ref()).await?;
    Ok(HttpResponse::Ok().json(case_json(&case)))
}

pub async fn get(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path.into_inner())?;
    let case = cases::get_case(&app, &caller.0, id).await?;
    Ok(HttpResponse::Ok().json(case_json(&case)))
}

pub async fn list(
    app: web::Data<App>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let page = cases::list_cases(
        &app,
        &caller.0,
        ListQuery {
            workflow: p.workflow,
            state: p.state,
            org: p.org,
            q: p.q,
            submitted_from: p.submitted_from,
            submitted_to: p.submitted_to,
            page: p.page,
            per_page: p.per_page,
        },
    )
    .await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|c| {
            let mut v = case_json(c);
            if let Some(map) = v.as_object_mut() {
                map.remove("allowed_actions");
                map.remove("clocks");
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    })))
}

pub async fn history(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path.into_inner())?;
    let entries = cases::history(&app, &caller.0, id).await?;
    Ok(HttpResponse::Ok().json(json!({ "case_id": id, "entries": entries })))
}

pub async fn workflows(app: web::Data<App>, _caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "workflows": app.workflows.summaries() }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    limit: Option<u64>,
}

/// The cases on which the caller can act now, the nearest deadline first.
pub async fn inbox(
    app: web::Data<App>,
    caller: Caller,
    params: web::Query<InboxParams>,
) -> Result<HttpResponse, ApiError> {
    let items = crate::app::inbox::inbox(&app, &caller.0, params.limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    industry_code: String,
    #[serde(default)]
    project_type: Option<String>,
    #[serde(default)]
    quantities: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    sensitive_area: Option<u8>,
    /// Further activities of a project that spans industries.
    #[serde(default)]
    also: Vec<crate::domain::catalogue::Activity>,
}

/// Which category and workflow a project needs, and the row and condition that decided it.
pub async fn classify(
    app: web::Data<App>,
    _caller: Caller,
    body: web::Json<ClassifyBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errors = crate::domain::FieldErrors::default();
    if crate::domain::project::IndustryCode::parse(&b.industry_code).is_none() {
        errors.add(
            "industry_code",
            "must be a GB/T 4754 code: a letter A-T and 2 to 4 digits, e.g. C1713",
        );
    }
    if b.sensitive_area.is_some_and(|c| !(1..=3).contains(&c)) {
        errors.add("sensitive_area", "1, 2 or 3");
    }
    errors
        .into_result()
        .map_err(crate::app::AppError::Validation)?;
    let mut activities = vec![crate::domain::catalogue::Activity {
        industry_code: b.industry_code,
        project_type: b.project_type,
        quantities: b.quantities,
        features: b.features,
    }];
    activities.extend(b.also);
    Ok(HttpResponse::Ok().json(crate::app::classify::classify(
        &app,
        &activities,
        b.sensitive_area,
    )))
}

/// The case's history with actors, comments, documents, and the clocks at each step.
pub async fn timeline(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path.into_inner())?;
    let entries = crate::app::timeline::timeline(&app, &caller.0, id).await?;
    Ok(HttpResponse::Ok().json(json!({ "case_id": id, "entries": entries })))
}
