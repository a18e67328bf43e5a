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

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<HttpResponse, ApiError> {
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::from(AppError::Unexpected(anyhow::anyhow!(e.to_string()))))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(bytes))
}

fn failed(e: csv::Error) -> ApiError {
    ApiError::from(AppError::Unexpected(anyhow::anyhow!(e)))
}

/// Flat records (structs of scalars): the header from the field names, in declaration order.
pub fn response<T: Serialize>(rows: &[T]) -> Result<HttpResponse, ApiError> {
    let mut w = writer();
    for r in rows {
        w.serialize(r).map_err(failed)?;
    }
    finish(w)
}

/// A table with named columns.
pub fn table(columns: &[&str], rows: &[Vec<String>]) -> Result<HttpResponse, ApiError> {
    let mut w = writer();
    w.write_record(columns).map_err(failed)?;
    for r in rows {
        w.write_record(r).map_err(failed)?;
    }
    finish(w)
}
