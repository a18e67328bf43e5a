//! `/audit`: the chain verification for auditors, and a case's history as JSON or CSV.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::app::audit::{self, Report};
use crate::app::cases;
use crate::app::{App, AppError};
use crate::domain::Role;
use crate::web::layout::Chrome;
use crate::web::session::{Posted, Signed};
use crate::web::{render, WebError};

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub report: Option<Report>,
}

fn require_auditor(who: &Signed) -> Result<(), WebError> {
    if who.actor.roles.contains(Role::Auditor) || who.actor.roles.contains(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden("an auditor or an admin".into()).into())
    }
}

/// `GET /audit`.
pub async fn page(who: Signed) -> Result<HttpResponse, WebError> {
    require_auditor(&who)?;
    render(&AuditPage {
        c: Chrome::new(&who.ctx, "audit-title"),
        report: None,
    })
}

/// `POST /audit/verify`: recomputes every chain now and shows the first broken entry, if any.
pub async fn verify(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let who = posted.who;
    require_auditor(&who)?;
    let report = audit::verify_for(&app, &who.actor).await?;
    render(&AuditPage {
        c: Chrome::new(&who.ctx, "audit-title"),
        report: Some(report),
    })
}

/// `GET /cases/{id}/history.json` and `.csv`: every audit entry of a case, with its hashes.
pub async fn export(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, format) = path.into_inner();
    let id: uuid::Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    let entries = cases::history(&app, &who.actor, id).await?;
    let disposition = |ext: &str| format!("attachment; filename=\"case-{id}-history.{ext}\"");
    match format.as_str() {
        "json" => {
            let body =
                serde_json::to_vec_pretty(&serde_json::json!({"case_id": id, "entries": entries}))
                    .map_err(|e| WebError::Unexpected(e.to_string()))?;
            Ok(HttpResponse::Ok()
                .content_type("application/json")
                .insert_header((header::CONTENT_DISPOSITION, disposition("json")))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body))
        }
        "csv" => {
            let row_err = |e: csv::Error| WebError::Unexpected(e.to_string());
            let mut w = crate::sheet::Sheet::new([
                "seq",
                "at",
                "actor",
                "actor_org",
                "roles",
                "action",
                "from",
                "to",
                "payload",
                "comment",
                "prev_hash",
                "hash",
                "client_address",
            ])
            .map_err(row_err)?;
            for e in &entries {
                w.row([
                    e.seq.to_string(),
                    e.at.to_rfc3339(),
                    e.actor.clone(),
                    e.actor_org.clone(),
                    e.roles.join(" "),
                    e.action.clone(),
                    e.from.clone(),
                    e.to.clone(),
                    e.payload.to_string(),
                    e.comment.clone().unwrap_or_default(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                    e.client_address.clone().unwrap_or_default(),
                ])
                .map_err(row_err)?;
            }
            let body = w.bytes().map_err(row_err)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((header::CONTENT_DISPOSITION, disposition("csv")))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body))
        }
        _ => Err(WebError::NotFound),
    }
}
