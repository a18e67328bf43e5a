//! Case endpoints: thin handlers that parse, call one use case, and encode.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ErrorBody;
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::Caller;
use super::error::{ApiError, ErrorCode};
use crate::app::cases::{self, CaseSnapshot, FireRequest, Idempotency, ListQuery};
use crate::app::idempotency::once;
use crate::app::App;
use crate::msg;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// A workflow key, e.g. `eia_report_form`.
    workflow: String,
    /// The case data, validated against the workflow's schema.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Value,
    /// For an agency: the enterprise it files for.
    #[serde(default)]
    organisation: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The case version the caller saw (409 if it moved on).
    expected_version: i64,
    #[serde(default)]
    comment: Option<String>,
    /// The action's payload.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    workflow: Option<String>,
    state: Option<String>,
    org: Option<String>,
    q: Option<String>,
    submitted_from: Option<chrono::DateTime<chrono::Utc>>,
    submitted_to: Option<chrono::DateTime<chrono::Utc>>,
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u64>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<u64>,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidBody,
            format!("the request body is not valid: {e}"),
        )
    })
}

/// The request's `Idempotency-Key` with a fingerprint of its method, path and body.
fn idem_of(req: &HttpRequest, body: &[u8]) -> Result<Option<Idempotency>, ApiError> {
    Ok(super::auth::Idem::extract_now(req)?.0.map(|mut i| {
        i.fingerprint = super::auth::fingerprint(req.method().as_str(), req.path(), body);
        i
    }))
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("case {raw} not found"),
        )
    })
}

/// One clock of a case.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaseClock)]
pub struct ClockBody {
    name: String,
    limit_days: u32,
    /// `working` or `calendar`.
    day_type: String,
    used_days: i64,
    remaining_days: i64,
    /// The last day (Asia/Shanghai).
    due: Option<chrono::NaiveDate>,
    /// 24:00 Shanghai on `due`, in UTC.
    due_at: Option<chrono::DateTime<chrono::Utc>>,
    running: bool,
    paused: bool,
    provisional: bool,
    overdue: bool,
    calendar_version: Option<String>,
}

/// A case as its caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBody {
    id: Uuid,
    workflow: String,
    workflow_version: u32,
    state: String,
    terminal: bool,
    version: i64,
    organisation: String,
    #[schema(value_type = Object)]
    data: Value,
    created_by: String,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A reference number (a filing receipt), if issued.
    reference: Option<String>,
    /// What this caller may fire now (left out of list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_actions: Option<Vec<String>>,
    /// Every clock of the workflow (left out of list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    clocks: Option<Vec<ClockBody>>,
    /// The waterfront siting check made when an EIA case was submitted: the nearest river line
    /// with its distance in metres, and the rules the site breaks (`flags`). One case only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    siting: Option<crate::domain::siting::Check>,
}

/// A page of cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    items: Vec<CaseBody>,
    page: u64,
    per_page: u64,
    total: u64,
}

fn case_body(c: &CaseSnapshot, full: bool) -> CaseBody {
    CaseBody {
        id: c.id,
        workflow: c.workflow.clone(),
        workflow_version: c.workflow_version,
        state: c.state.clone(),
        terminal: c.terminal,
        version: c.version,
        organisation: c.org.clone(),
        data: c.data.clone(),
        created_by: c.created_by.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        submitted_at: c.submitted_at,
        reference: c.reference.clone(),
        allowed_actions: full.then(|| c.allowed_actions.clone()),
        clocks: full.then(|| {
            c.clocks
                .iter()
                .map(|k| ClockBody {
                    name: k.name.clone(),
                    limit_days: k.limit_days,
                    day_type: match k.day_type {
                        crate::domain::calendar::DayType::Working => "working".into(),
                        crate::domain::calendar::DayType::Calendar => "calendar".into(),
                    },
                    used_days: k.used_days,
                    remaining_days: k.remaining_days,
                    due: k.due,
                    due_at: k.due_at,
                    running: k.running,
                    paused: k.paused,
                    provisional: k.provisional,
                    overdue: k.overdue,
                    calendar_version: k.calendar_version.clone(),
                })
                .collect()
        }),
        siting: c.siting.clone(),
    }
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), request_body = CreateBody, params(("Idempotency-Key" = Option<String>, Header, description = "Acts once per key")), responses((status = 201, description = "Created", body = CaseBody), (status = 403, description = "Role not allowed", body = ErrorBody), (status = 422, description = "Invalid data, with per-field details", body = ErrorBody)))]
pub async fn create(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let idem = idem_of(&req, &body)?;
    let input: CreateBody = parse_body(&body)?;
    let work = cases::create_case(
        &app,
        &caller.0,
        &input.workflow,
        input.data,
        input.organisation.as_deref(),
        idem.as_ref(),
    );
    let case = once(&app, &caller.0, idem.as_ref(), work).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cases/{}", case.id)))
        .json(case_body(&case, true)))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/actions/{action}", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id"), ("action" = String, Path, description = "Action name"), ("Idempotency-Key" = Option<String>, Header, description = "Acts once per key")), request_body = ActionBody, responses((status = 200, description = "The case after the action", body = CaseBody), (status = 403, description = "`forbidden` (role) or `same_actor` (four eyes)", body = ErrorBody), (status = 404, description = "No such case for the caller", body = ErrorBody), (status = 409, description = "`version_conflict`", body = ErrorBody), (status = 422, description = "`action_not_allowed`, `validation_failed`, `not_yet`", body = ErrorBody)))]
pub async fn fire(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let idem = idem_of(&req, &body)?;
    let input: ActionBody = parse_body(&body)?;
    let request = FireRequest {
        expected_version: input.expected_version,
        comment: input.comment,
        payload: input.data,
    };
    let work = cases::fire(&app, &caller.0, id, &action, request, idem.as_ref());
    let case = once(&app, &caller.0, idem.as_ref(), work).await?;
    Ok(HttpResponse::Ok().json(case_body(&case, true)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id")), responses((status = 200, description = "The case", body = CaseBody), (status = 404, description = "No such case for the caller", body = ErrorBody)))]
pub async fn get(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path.into_inner())?;
    let case = cases::get_case(&app, &caller.0, id).await?;
    Ok(HttpResponse::Ok().json(case_body(&case, true)))
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(ListParams), responses((status = 200, description = "A page of cases", body = CasePage), (status = 422, description = "Bad paging", body = ErrorBody)))]
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
    Ok(HttpResponse::Ok().json(CasePage {
        items: page.items.iter().map(|c| case_body(c, false)).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id")), responses((status = 200, description = "Audit entries with their hash chain"), (status = 404, description = "No such case for the caller", body = ErrorBody)))]
pub async fn history(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path.into_inner())?;
    let entries = cases::history(&app, &caller.0, id).await?;
    Ok(HttpResponse::Ok().json(json!({ "case_id": id, "entries": entries })))
}

#[utoipa::path(get, path = "/api/v1/workflows", tag = "cases", security(("bearer" = [])), responses((status = 200, description = "Deployed workflows: key, newest version, title, every version")))]
pub async fn workflows(app: web::Data<App>, _caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "workflows": app.workflows.summaries() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases", security(("bearer" = [])), params(InboxParams), responses((status = 200, description = "Cases the caller can act on now, nearest deadline first")))]
/// The cases on which the caller can act now, the nearest deadline first.
pub async fn inbox(
    app: web::Data<App>,
    caller: Caller,
    params: web::Query<InboxParams>,
) -> Result<HttpResponse, ApiError> {
    if params
        .limit
        .is_some_and(|l| !(1..=crate::app::inbox::MAX_ITEMS).contains(&l))
    {
        return Err(crate::app::AppError::invalid(
            "limit",
            msg!("err-range", max = crate::app::inbox::MAX_ITEMS),
        )
        .into());
    }
    let items = crate::app::inbox::inbox(&app, &caller.0, params.limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id")), responses((status = 200, description = "History with documents and clocks at each step"), (status = 404, description = "No such case for the caller", body = ErrorBody)))]
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
