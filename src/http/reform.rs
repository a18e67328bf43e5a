//! Reform tracking: the pre-licence catalogue, waterfront siting checks and the reform figures.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::{licence, stats, App};
use crate::msg;

#[utoipa::path(post, path = "/api/v1/admin/catalogue/import", tag = "reform", security(("bearer" = [])), request_body(content = String, content_type = "text/csv", description = "CSV with the header `code,name,authority,legal_basis,business_kinds,status,effective_from,merged_into`; one row per status change; `#` starts a comment line"), responses((status = 200, description = "Imported (or nothing changed): counts and the file's SHA-256"), (status = 403, description = "Not an admin", body = ErrorBody), (status = 422, description = "Bad rows, each named by line and column; nothing was imported", body = ErrorBody)))]
pub async fn import(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    body: String,
) -> Result<HttpResponse, ApiError> {
    if body.contains('\0') {
        return Err(crate::app::AppError::invalid("body", msg!("err-nul")).into());
    }
    let idem = super::auth::idempotency_of(&req, &body)?;
    let work = licence::import_csv(&app, &caller.0, &body, idem.as_ref());
    let report = crate::app::idempotency::once(&app, &caller.0, idem.as_ref(), work).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ItemsQuery {
    /// The date (default today, Beijing time).
    #[param(format = Date)]
    pub on: Option<String>,
    /// A kind of business (`chemical`, `catering`...); all items if absent.
    pub business: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/catalogue/items", tag = "reform", security(("bearer" = [])), params(ItemsQuery), responses((status = 200, description = "The pre-licence items in force on the date (for the kind of business), and their count; `Accept: text/csv` for CSV"), (status = 422, description = "Bad date", body = ErrorBody)))]
pub async fn items(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<ItemsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let result = licence::items_on(&app, q.on.as_deref(), q.business).await?;
    if super::csv::wanted(&req) {
        let rows: Vec<Vec<String>> = result
            .items
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.name.clone(),
                    i.authority.clone(),
                    i.legal_basis.clone(),
                    i.business_kinds.join(";"),
                    i.since.to_string(),
                ]
            })
            .collect();
        return super::csv::table(
            &[
                "code",
                "name",
                "authority",
                "legal_basis",
                "business_kinds",
                "since",
            ],
            &rows,
        );
    }
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReductionQuery {
    /// The baseline date.
    #[param(required = true, format = Date)]
    pub baseline: Option<String>,
    /// The date compared with it (default today, Beijing time).
    #[param(format = Date)]
    pub on: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/catalogue/reduction", tag = "reform", security(("bearer" = [])), params(ReductionQuery), responses((status = 200, description = "Per authority, then in total (`*`): pre-licence items at the baseline and on the date, how many were moved after the licence, abolished or merged; `Accept: text/csv` for CSV"), (status = 422, description = "Missing or bad dates", body = ErrorBody)))]
pub async fn reduction(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<ReductionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let report = licence::reduction(&app, q.baseline.as_deref(), q.on.as_deref()).await?;
    if super::csv::wanted(&req) {
        return super::csv::response(&report.rows);
    }
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(post, path = "/api/v1/siting/check", tag = "reform", security(("bearer" = [])), request_body(content = Object, description = "`{\"geometry\": GeoJSON Point or Polygon (WGS84), \"industry_code\": \"C2614\", \"industrial_park\": false}`"), responses((status = 200, description = "The nearest trunk or major-tributary line with its geodesic distance in metres, the restricted industry if any, and the rules broken (`flags`: rule, river, distance, limit)"), (status = 422, description = "Bad geometry or industry code", body = ErrorBody)))]
pub async fn siting_check(
    app: web::Data<App>,
    _caller: Caller,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::app::siting::check_request(&app, &body.into_inner())?))
}

/// The periods figures are given for, in Beijing time.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Period {
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatsQuery {
    /// `month` (default), `quarter` or `year`, in Beijing time.
    #[param(value_type = Option<Period>)]
    pub period: Option<String>,
    /// From this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
}

fn range(q: StatsQuery) -> Result<stats::Range, ApiError> {
    Ok(stats::Range::parse(
        q.period,
        q.from.as_deref(),
        q.to.as_deref(),
    )?)
}

/// JSON `{"rows": [...]}`, or CSV rows with `Accept: text/csv`.
fn rows<T: serde::Serialize + Default>(
    req: &HttpRequest,
    rows: Vec<T>,
) -> Result<HttpResponse, ApiError> {
    if super::csv::wanted(req) {
        return super::csv::response(&rows);
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "rows": rows })))
}

#[utoipa::path(get, path = "/api/v1/stats/cases", tag = "reform", security(("bearer" = [])), params(StatsQuery), responses((status = 200, description = "Submitted cases per period of submission, workflow and outcome (the final state, or `open`); CSV with `Accept: text/csv`"), (status = 422, description = "Bad period or date", body = ErrorBody)))]
pub async fn stats_cases(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    rows(&req, stats::cases(&app, &range(query.into_inner())?).await?)
}

#[utoipa::path(get, path = "/api/v1/stats/durations", tag = "reform", security(("bearer" = [])), params(StatsQuery), responses((status = 200, description = "Decided cases per period of decision and workflow: working days on the statutory clock with stopped-clock time excluded (median, p90, max), the share on time against the statutory and promised limits and against one third of the statutory limit; CSV with `Accept: text/csv`"), (status = 422, description = "Bad period or date", body = ErrorBody)))]
pub async fn stats_durations(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    rows(
        &req,
        stats::durations(&app, &range(query.into_inner())?).await?,
    )
}

#[utoipa::path(get, path = "/api/v1/stats/investment", tag = "reform", security(("bearer" = [])), params(StatsQuery), responses((status = 200, description = "Approved (or filed) project EIAs and their total investment in fen, per period of approval and workflow; CSV with `Accept: text/csv`"), (status = 422, description = "Bad period or date", body = ErrorBody)))]
pub async fn stats_investment(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    rows(
        &req,
        stats::investment(&app, &range(query.into_inner())?).await?,
    )
}

#[utoipa::path(get, path = "/api/v1/stats/planning", tag = "reform", security(("bearer" = [])), params(StatsQuery), responses((status = 200, description = "Planning EIAs against project EIAs submitted, per period; CSV with `Accept: text/csv`"), (status = 422, description = "Bad period or date", body = ErrorBody)))]
pub async fn stats_planning(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    rows(
        &req,
        stats::planning(&app, &range(query.into_inner())?).await?,
    )
}

/// A range of dates.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DatesQuery {
    /// From this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// A kind of period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// `month` (default), `quarter` or `year`, in Beijing time.
    #[param(value_type = Option<Period>)]
    pub period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/stats/pre_licence", tag = "reform", security(("bearer" = [])), params(DatesQuery), responses((status = 200, description = "The number of pre-licence items on the first day of each month from `from` (default 2014-01-01) to `to` (default today); CSV with `Accept: text/csv`"), (status = 422, description = "Bad dates", body = ErrorBody)))]
pub async fn stats_pre_licence(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<DatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    rows(
        &req,
        licence::counts(&app, q.from.as_deref(), q.to.as_deref()).await?,
    )
}

#[utoipa::path(get, path = "/api/v1/stats/trading", tag = "reform", security(("bearer" = [])), params(PeriodQuery), responses((status = 200, description = "Trading volume (kg) and value (fen) per period, pollutant and market, with the enterprises taking part (as `/api/v1/market/stats`); CSV with `Accept: text/csv`"), (status = 422, description = "Bad period", body = ErrorBody)))]
pub async fn stats_trading(
    app: web::Data<App>,
    _caller: Caller,
    req: HttpRequest,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    rows(&req, crate::app::market::stats(&app, q.period).await?.rows)
}
