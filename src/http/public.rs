//! The public notices and market results as JSON, without sign-in: the same notices as the
//! `/public` pages, their check against the audit chain, and comments during a period.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::publish::{self, BulletinQuery, NewComment};
use crate::app::{market, App, AppError};
use crate::engine::NoticeKind;
use crate::msg;

/// The kinds of public notice (for the document; the query reads text and names a wrong one).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum NoticeKindName {
    Acceptance,
    ProposedDecision,
    Decision,
    Filing,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticesQuery {
    /// `acceptance`, `proposed_decision`, `decision` or `filing`; every kind if absent.
    #[param(value_type = Option<NoticeKindName>)]
    pub kind: Option<String>,
    /// Words of the project's or the enterprise's name.
    pub q: Option<String>,
    /// A district or place name.
    pub place: Option<String>,
    /// Published on or after this date (YYYY-MM-DD, Beijing time).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Published on or before this date.
    #[param(format = Date)]
    pub to: Option<String>,
    /// From 1 (default 1).
    pub page: Option<u64>,
    /// 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

fn date(field: &str, v: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match v {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, msg!("err-date"))),
    }
}

#[utoipa::path(get, path = "/api/v1/public/notices", tag = "public", params(NoticesQuery), responses((status = 200, description = "`{notices, total, page, per_page}`: published notices, newest first, each with its period (`state`: before, open with `days_left`, closed), the audit entry that published it (`seq`, `hash`) and its content as published"), (status = 422, description = "Unknown kind, bad date or page", body = ErrorBody)))]
pub async fn notices(
    app: web::Data<App>,
    query: web::Query<NoticesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            NoticeKind::parse(k)
                .ok_or_else(|| AppError::invalid("kind", msg!("err-notice-kind")))?,
        ),
    };
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page == 0 || page > 100_000 {
        return Err(AppError::invalid("page", msg!("err-range", max = 100000)).into());
    }
    if per_page == 0 || per_page > publish::MAX_PER_PAGE {
        return Err(AppError::invalid("per_page", msg!("err-range", max = 200)).into());
    }
    let bq = BulletinQuery {
        kind,
        text: q.q,
        place: q.place,
        from: date("from", q.from.as_deref())?,
        to: date("to", q.to.as_deref())?,
        page,
        per_page,
    };
    let (notices, total) = publish::bulletin(&app, &bq).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "notices": notices,
        "total": total,
        "page": page,
        "per_page": per_page,
    })))
}

#[utoipa::path(get, path = "/api/v1/public/notices/{id}", tag = "public", params(("id" = Uuid, Path, description = "The notice")), responses((status = 200, description = "One published notice: its content, its period, the number of comments received, and the audit entry that published it"), (status = 404, description = "No such notice (an unpublished case has none)", body = ErrorBody)))]
pub async fn notice(app: web::Data<App>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(publish::notice(&app, id.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/public/notices/{id}/verify", tag = "public", params(("id" = Uuid, Path, description = "The notice")), responses((status = 200, description = "`{holds, entries, broken_at, problem}`: the case's audit chain recomputed up to the entry that published the notice"), (status = 404, description = "No such notice", body = ErrorBody)))]
pub async fn verify(app: web::Data<App>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(publish::verify(&app, id.into_inner()).await?))
}

/// A comment on a notice.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Up to 100 characters.
    pub name: String,
    /// How the bureau may answer (up to 200 characters); never published.
    #[serde(default)]
    pub contact: String,
    /// Up to 2,000 characters.
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/public/notices/{id}/comments", tag = "public", params(("id" = Uuid, Path, description = "The notice")), request_body = CommentBody, responses((status = 201, description = "`{id, notice, at}`: recorded with the case and in its audit log; not published"), (status = 404, description = "No such notice", body = ErrorBody), (status = 422, description = "`period_closed`: the notice takes no comments (its period ended, or it is a decision); or a field is missing, too long or holds control characters", body = ErrorBody), (status = 429, description = "`too_many_comments`: five from this address on this notice in the last hour; `details.retry_after_seconds`", body = ErrorBody)))]
pub async fn comment(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let address = super::client::address(&req);
    let input = NewComment {
        name: b.name,
        contact: b.contact,
        text: b.text,
        website: String::new(),
    };
    let receipt = publish::comment(&app, id.into_inner(), input, &address).await?;
    Ok(HttpResponse::Created().json(receipt))
}

#[utoipa::path(get, path = "/api/v1/public/market/results", tag = "public", responses((status = 200, description = "`{rows}`: closed auctions and listings, newest first: terms, clearing or fixed price, volume offered and sold, the number of bidders and of winners; never who")))]
pub async fn market_results(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let rows = market::public_results(&app, usize::MAX).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "rows": rows })))
}
