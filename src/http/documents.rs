//! Documents: multipart upload, listing, download.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;
use uuid::Uuid;

use super::auth::idempotency_of;
use super::auth::Caller;
use super::error::{ApiError, ErrorCode};
use super::openapi::ErrorBody;
use crate::app::documents::{self, Upload};
use crate::app::idempotency;
use crate::app::{App, AppError};
use crate::msg;

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        ErrorCode::InvalidBody,
        format!("not a multipart form with a `file` part: {e}"),
    )
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id")), request_body(content_type = "multipart/form-data", description = "`file` (required) and `name` (optional)"), responses((status = 201, description = "Stored"), (status = 413, description = "Too large", body = ErrorBody), (status = 415, description = "Type not accepted", body = ErrorBody)))]
/// `multipart/form-data` with a `file` part (its filename and content type are used) and an
/// optional `name` part (a new version when the case already has a document of that name).
pub async fn upload(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<Uuid>,
    req: actix_web::HttpRequest,
    mut form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let case_id = path.into_inner();
    // Nothing is received for a case the caller may not add to.
    documents::may_upload(&app, &caller.0, case_id).await?;
    let mut name: Option<String> = None;
    let mut file: Option<(String, String, documents::Incoming)> = None;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(bad)?;
        let field = part.name().unwrap_or_default().to_string();
        match field.as_str() {
            "file" if file.is_none() => {
                let filename = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or_default()
                    .to_string();
                let content_type = part
                    .content_type()
                    .map(|m| m.essence_str().to_string())
                    .unwrap_or_default();
                let mut incoming = app.files.receive().await?;
                while let Some(chunk) = part.next().await {
                    incoming.write(&chunk.map_err(bad)?).await?;
                }
                file = Some((filename, content_type, incoming));
            }
            "name" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(bad)?;
                    if bytes.len() + chunk.len() > 1024 {
                        return Err(AppError::invalid(
                            "name",
                            msg!("err-length-no-slash", min = 1, max = 200),
                        )
                        .into());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                name = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            _ => while part.next().await.is_some() {},
        }
    }
    let Some((filename, content_type, incoming)) = file else {
        return Err(bad("no `file` part"));
    };
    let name = name.unwrap_or(filename);
    if name.contains('\0') {
        return Err(AppError::invalid("name", msg!("err-nul")).into());
    }
    let idem = idempotency_of(
        &req,
        &format!("{name}\n{content_type}\n{}", incoming.sha256()),
    )?;
    let upload = Upload {
        name,
        content_type,
        file: incoming,
    };
    let doc = idempotency::once(
        &app,
        &caller.0,
        idem.as_ref(),
        documents::upload(&app, &caller.0, case_id, upload, idem.as_ref()),
    )
    .await?;
    Ok(HttpResponse::Created().json(doc))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/documents", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id")), responses((status = 200, description = "Every version of every document")))]
pub async fn list(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let docs = documents::list(&app, &caller.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"documents": docs})))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/documents/{doc}/content", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Case id"), ("doc" = Uuid, Path, description = "Document version id")), responses((status = 200, description = "The bytes, with X-Content-SHA256"), (status = 404, description = "Not found for the caller", body = ErrorBody)))]
pub async fn download(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (case_id, id) = path.into_inner();
    let (doc, file) = documents::open(&app, &caller.0, case_id, id).await?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{}: {e}", file.display())))?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        doc.name.replace(['"', '\r', '\n'], "_")
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, doc.content_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header(("X-Content-SHA256", doc.sha256.clone()))
        .body(bytes))
}
