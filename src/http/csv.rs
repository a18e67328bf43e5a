//! `Accept: text/csv`: figures as CSV (RFC 4180), one row per record.

use actix_web::{http::header, HttpRequest, HttpResponse};
use serde::Serialize;

use super::error::ApiError;
use crate::app::AppError;

/// True when the client asks for CSV.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"))
}

fn send(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(bytes)
}

fn failed(e: csv::Error) -> ApiError {
    ApiError::from(AppError::Unexpected(anyhow::anyhow!(e)))
}

/// Flat records (structs of scalars): the header from the field names, in declaration order,
/// also when there are no rows (`crate::sheet`: BOM, CRLF, no formulas).
pub fn response<T: Serialize + Default>(rows: &[T]) -> Result<HttpResponse, ApiError> {
    Ok(send(crate::sheet::of(rows).map_err(failed)?))
}

/// A table with named columns.
pub fn table(columns: &[&str], rows: &[Vec<String>]) -> Result<HttpResponse, ApiError> {
    let mut sheet = crate::sheet::Sheet::new(columns).map_err(failed)?;
    for r in rows {
        sheet.row(r).map_err(failed)?;
    }
    Ok(send(sheet.bytes().map_err(failed)?))
}
