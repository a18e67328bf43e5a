//! The pollution-rights registry: accounts, ledgers, issuance into the reserve, allocation.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{Caller, Idem};
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::idempotency::once;
use crate::app::{registry, App};

#[utoipa::path(get, path = "/api/v1/accounts", tag = "registry", security(("bearer" = [])), responses((status = 200, description = "Accounts and holdings: an enterprise sees its own; the market operator, auditors and admins see all")))]
pub async fn accounts(app: web::Data<App>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({"accounts": registry::accounts(&app, &caller.0).await?})))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/ledger", tag = "registry", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Account id")), responses((status = 200, description = "Every posting of the account"), (status = 404, description = "No such account for the caller", body = ErrorBody)))]
pub async fn ledger(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok()
        .json(json!({"account_id": id, "postings": registry::ledger(&app, &caller.0, id).await?})))
}

#[utoipa::path(post, path = "/api/v1/reserve/issuance", tag = "registry", security(("bearer" = [])), request_body(content = Object, description = "`{\"pollutant\": \"COD\"|\"NH3-N\"|\"SO2\"|\"NOx\", \"basin\", \"valid_to\": \"YYYY-MM-DD\", \"amount_kg\"}` (whole kilograms)"), responses((status = 201, description = "Issued into the government reserve"), (status = 403, description = "Not the market operator", body = ErrorBody), (status = 422, description = "Invalid or off the grid", body = ErrorBody)))]
pub async fn issue(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let work = registry::issue(&app, &caller.0, body.into_inner(), idem.get());
    Ok(HttpResponse::Created().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(post, path = "/api/v1/allocations", tag = "registry", security(("bearer" = [])), request_body(content = Object, description = "`{\"org\", \"pollutant\", \"basin\", \"valid_to\", \"amount_kg\", \"price_fen\"}`: whole kilograms and fen per kilogram"), responses((status = 201, description = "Allocated from the reserve; the fee is recorded"), (status = 403, description = "Not the market operator", body = ErrorBody), (status = 409, description = "The reserve holds less", body = ErrorBody), (status = 422, description = "Invalid or off the grid", body = ErrorBody)))]
pub async fn allocate(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let work = registry::allocate(&app, &caller.0, body.into_inner(), idem.get());
    Ok(HttpResponse::Created().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(get, path = "/api/v1/registry/totals", tag = "registry", security(("bearer" = [])), responses((status = 200, description = "Per asset: issued against held (always equal)"), (status = 403, description = "Not the market operator, an auditor or an admin", body = ErrorBody)))]
pub async fn totals(app: web::Data<App>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({"totals": registry::totals(&app, &caller.0).await?})))
}

#[utoipa::path(post, path = "/api/v1/lots/{id}/takes", tag = "registry", security(("bearer" = [])), params(("id" = Uuid, Path, description = "An open listing")), request_body(content = Object, description = "`{\"amount_kg\": N}`: whole kilograms at the listed price"), responses((status = 201, description = "Taken: the rights moved and the payment is recorded"), (status = 403, description = "The seller, not an enterprise, or not eligible (`not_eligible`: no valid discharge permit in the lot's basin; `self_dealing`: related to the seller), the rules a bidder meets", body = ErrorBody), (status = 409, description = "Less is left than asked", body = ErrorBody), (status = 422, description = "The listing is not open, or the amount is off the grid", body = ErrorBody)))]
pub async fn take(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let work = crate::app::market::take(
        &app,
        &caller.0,
        path.into_inner(),
        body.into_inner(),
        idem.get(),
    );
    Ok(HttpResponse::Created().json(once(&app, &caller.0, idem.get(), work).await?))
}
