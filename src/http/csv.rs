//! `Accept: text/csv`: figures as CSV (RFC 4180), one row per record, the header from the
//! record's field names in declaration order.

use actix_web::{http::header, HttpRequest, HttpResponse};
use serde::Serialize;

use super::error::ApiError;

/// True when the client asks for CSV.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"))
}

/// Renders flat records (structs of scalars) as CSV.
pub fn render<T: Serialize>(rows: &[T]) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn response<T: Serialize>(rows: &[T]) -> Result<HttpResponse, ApiError> {
    let body = render(rows)
        .map_err(|e| ApiError::from(crate::app::AppError::Unexpected(anyhow::anyhow!(e))))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(body))
}
