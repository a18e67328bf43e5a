//! The market: the board of open lots, participants, deposits, sealed bids, auction results and
//! market statistics.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{Caller, Idem};
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::idempotency::once;
use crate::app::{market, App};

/// How a lot is sold.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum LotKind {
    Listing,
    Auction,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LotsQuery {
    /// `listing` or `auction` (default both).
    #[param(value_type = Option<LotKind>)]
    pub workflow: Option<String>,
    /// Default `open`.
    pub state: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/lots", tag = "market", security(("bearer" = [])), params(LotsQuery), responses((status = 200, description = "Lots on the market with their terms and the end of their window"), (status = 422, description = "Unknown workflow", body = ErrorBody)))]
pub async fn lots(
    app: web::Data<App>,
    _caller: Caller,
    query: web::Query<LotsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    Ok(HttpResponse::Ok().json(json!({"lots": market::lots(&app, q.workflow, q.state).await?})))
}

#[utoipa::path(put, path = "/api/v1/market/participants/{org}", tag = "market", security(("bearer" = [])), params(("org" = String, Path, description = "An enterprise's code")), request_body(content = Object, description = "`{\"permit_no\", \"permit_basin\", \"permit_valid_to\": \"YYYY-MM-DD\", \"group\"}`: the discharge permit (all three or none) and the group of related accounts (or null)"), responses((status = 200, description = "Recorded"), (status = 403, description = "Not the market operator", body = ErrorBody), (status = 404, description = "No such organisation", body = ErrorBody), (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn set_participant(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let org = path.into_inner();
    let work = market::set_participant(&app, &caller.0, &org, body.into_inner(), idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(get, path = "/api/v1/market/participants", tag = "market", security(("bearer" = [])), responses((status = 200, description = "Permits and related groups: an enterprise sees its own")))]
pub async fn participants(app: web::Data<App>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(json!({"participants": market::participants(&app, &caller.0).await?})))
}

#[utoipa::path(post, path = "/api/v1/lots/{id}/deposits", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An open auction lot")), request_body(content = Object, description = "`{\"org\", \"reference\"}`: the bidder and the payment's reference; the amount is the lot's `deposit_fen`"), responses((status = 201, description = "Recorded; the bidder may bid"), (status = 403, description = "Not the market operator", body = ErrorBody), (status = 409, description = "Already recorded", body = ErrorBody), (status = 422, description = "Invalid, or the lot is not open", body = ErrorBody)))]
pub async fn deposit(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let work = market::record_deposit(
        &app,
        &caller.0,
        path.into_inner(),
        body.into_inner(),
        idem.get(),
    );
    Ok(HttpResponse::Created().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(post, path = "/api/v1/lots/{id}/bids", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An open auction lot")), request_body(content = Object, description = "`{\"amount_kg\", \"price_fen\"}`: whole kilograms; the reserve price plus whole increments, in fen per kilogram"), responses((status = 201, description = "The sealed bid"), (status = 403, description = "`not_eligible` (no valid discharge permit, another basin), `self_dealing` (the seller or a related account), `deposit_missing`", body = ErrorBody), (status = 404, description = "No such auction lot", body = ErrorBody), (status = 422, description = "Off the grid, more than one bidder's share, or the window is not open", body = ErrorBody)))]
pub async fn place_bid(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let work = market::place_bid(
        &app,
        &caller.0,
        path.into_inner(),
        body.into_inner(),
        idem.get(),
    );
    Ok(HttpResponse::Created().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(get, path = "/api/v1/lots/{id}/bids", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An auction lot")), responses((status = 200, description = "The caller's own bids (sealed); after the window, the market operator, auditors and admins see all"), (status = 404, description = "No such auction lot", body = ErrorBody)))]
pub async fn bids(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(json!({"bids": market::bids(&app, &caller.0, path.into_inner()).await?})))
}

#[utoipa::path(put, path = "/api/v1/lots/{id}/bids/{bid_id}", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An open auction lot"), ("bid_id" = Uuid, Path, description = "One of the caller's open bids")), request_body(content = Object, description = "`{\"amount_kg\", \"price_fen\"}`: the changed bid takes a new place in time"), responses((status = 200, description = "Changed"), (status = 404, description = "No such bid of the caller", body = ErrorBody), (status = 422, description = "Invalid, withdrawn, or the window is not open", body = ErrorBody)))]
pub async fn change_bid(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (lot, bid) = path.into_inner();
    let work = market::change_bid(
        &app,
        &caller.0,
        lot,
        bid,
        Some(body.into_inner()),
        idem.get(),
    );
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(delete, path = "/api/v1/lots/{id}/bids/{bid_id}", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An open auction lot"), ("bid_id" = Uuid, Path, description = "One of the caller's open bids")), responses((status = 200, description = "Withdrawn"), (status = 404, description = "No such bid of the caller", body = ErrorBody), (status = 422, description = "Already withdrawn, or the window is not open", body = ErrorBody)))]
pub async fn withdraw_bid(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (lot, bid) = path.into_inner();
    let work = market::change_bid(&app, &caller.0, lot, bid, None, idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(get, path = "/api/v1/lots/{id}/result", tag = "market", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An auction lot")), responses((status = 200, description = "The outcome, clearing price, volume, bidder and winner counts and the recorded seed to every signed-in user; the awards to whom they belong (a bidder its own), all of them and the deposits to the market operator, auditors and admins"), (status = 404, description = "No such auction lot", body = ErrorBody), (status = 422, description = "Not cleared yet", body = ErrorBody)))]
pub async fn result(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(market::result(&app, &caller.0, path.into_inner()).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatsQuery {
    /// `month` (default), `quarter` or `year`, in Beijing time.
    #[param(value_type = Option<super::reform::Period>)]
    pub period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/market/stats", tag = "market", security(("bearer" = [])), params(StatsQuery), responses((status = 200, description = "Volume and value per pollutant, market and period; enterprises taking part. `Accept: text/csv` gives the rows as CSV"), (status = 422, description = "Unknown period", body = ErrorBody)))]
pub async fn stats(
    app: web::Data<App>,
    _caller: Caller,
    req: actix_web::HttpRequest,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let stats = market::stats(&app, query.into_inner().period).await?;
    if super::csv::wanted(&req) {
        return super::csv::response(&stats.rows);
    }
    Ok(HttpResponse::Ok().json(stats))
}
