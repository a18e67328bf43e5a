//! Administration: the manual clock, calendars, and metrics.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::openapi::ErrorBody;
use serde_json::{json, Value};

use super::auth::{Caller, Idem};
use super::error::{ApiError, ErrorCode};
use crate::app::idempotency::once;
use crate::app::{calendars, deadlines, App};
use crate::metrics;

/// Moves the manual clock: give exactly one of the two (read into one struct, so that a body
/// with both or neither gets a message that says so; [`ClockMove`] documents the two shapes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    set: Option<chrono::DateTime<chrono::Utc>>,
    advance_seconds: Option<i64>,
}

/// How the manual clock moves: to a moment, or forward by a number of seconds.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
#[allow(dead_code)]
pub enum ClockMove {
    /// Set the clock to this moment (RFC 3339); never backwards.
    Set { set: chrono::DateTime<chrono::Utc> },
    /// Move the clock forward by this many seconds (0 leaves it where it is).
    Advance {
        #[schema(minimum = 0)]
        advance_seconds: i64,
    },
}

#[utoipa::path(get, path = "/api/v1/admin/clock", tag = "admin", security(("bearer" = [])), responses((status = 200, description = "The server's time and whether the clock is manual"), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn get_clock(app: web::Data<App>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let now = deadlines::read_clock(&app, &caller.0)?;
    Ok(HttpResponse::Ok().json(json!({"now": now, "manual": app.clock.manual().is_some()})))
}

#[utoipa::path(post, path = "/api/v1/admin/clock", tag = "admin", security(("bearer" = [])), request_body = ClockMove, responses((status = 200, description = "Moved; what fell due has fired"), (status = 400, description = "Both shapes or neither", body = ErrorBody), (status = 409, description = "The server runs on the system clock", body = ErrorBody), (status = 422, description = "Backwards", body = ErrorBody)))]
pub async fn move_clock(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<ClockBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let step = match (b.set, b.advance_seconds) {
        (Some(t), None) => deadlines::ClockMove::Set(t),
        (None, Some(s)) => deadlines::ClockMove::Advance(s),
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                "give exactly one of `set` (RFC 3339) or `advance_seconds`",
            ))
        }
    };
    let work = deadlines::move_clock(&app, &caller.0, step, idem.get());
    let moved = once(&app, &caller.0, idem.get(), work).await?;
    Ok(HttpResponse::Ok().json(json!({"now": moved.now, "manual": true, "fired": moved.fired.fired, "skipped": moved.fired.skipped, "failed": moved.fired.failed})))
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "admin", security(("bearer" = [])), responses((status = 200, description = "Calendar years in force and the calendar version")))]
pub async fn list_calendars(
    app: web::Data<App>,
    _caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(calendars::summary(&app).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/calendars/{year}", tag = "admin", security(("bearer" = [])), params(("year" = i32, Path, description = "The year")), request_body(content = Object, description = "`{\"papers\": [...], \"days\": [{\"date\", \"name\", \"off\"}]}`"), responses((status = 200, description = "Stored; open deadlines recomputed"), (status = 422, description = "Invalid year", body = ErrorBody)))]
pub async fn put_calendar(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<i32>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let year = path.into_inner();
    let mut value = body.into_inner();
    match value.get("year").and_then(Value::as_i64) {
        Some(y) if y != i64::from(year) => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("the body is for {y}, the path for {year}"),
            ))
        }
        Some(_) => {}
        None => {
            if let Some(map) = value.as_object_mut() {
                map.insert("year".into(), json!(year));
            }
        }
    }
    let work = calendars::put_year(&app, &caller.0, value, idem.get());
    let change = once(&app, &caller.0, idem.get(), work).await?;
    Ok(HttpResponse::Ok().json(change))
}

#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
/// Prometheus text format: request counts and latencies, timer firings and lag, and, read from
/// the database now, open deadlines per clock and overdue cases.
pub async fn metrics_text(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    use prometheus::Encoder;
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(m) = metrics::get() {
        let mut buf = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&m.registry.gather(), &mut buf)
            .map_err(|e| crate::app::AppError::Unexpected(e.into()))?;
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    let (counts, overdue) = deadlines::open_deadlines(&app).await?;
    let failed = deadlines::failed_count(&app).await?;
    let _ = writeln!(
        out,
        "# HELP greenlane_failed_timers Timers whose firing failed and that wait for an admin."
    );
    let _ = writeln!(out, "# TYPE greenlane_failed_timers gauge");
    let _ = writeln!(out, "greenlane_failed_timers {failed}");
    let _ = writeln!(
        out,
        "# HELP greenlane_open_deadlines Running clocks, by clock."
    );
    let _ = writeln!(out, "# TYPE greenlane_open_deadlines gauge");
    for (clock, open, _) in &counts {
        let _ = writeln!(out, "greenlane_open_deadlines{{clock=\"{clock}\"}} {open}");
    }
    let _ = writeln!(
        out,
        "# HELP greenlane_overdue_deadlines Running clocks past their due moment, by clock."
    );
    let _ = writeln!(out, "# TYPE greenlane_overdue_deadlines gauge");
    for (clock, _, late) in &counts {
        let _ = writeln!(
            out,
            "greenlane_overdue_deadlines{{clock=\"{clock}\"}} {late}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP greenlane_overdue_cases Cases with at least one running clock past due."
    );
    let _ = writeln!(out, "# TYPE greenlane_overdue_cases gauge");
    let _ = writeln!(out, "greenlane_overdue_cases {overdue}");
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out))
}

/// Where a message stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum MailState {
    Pending,
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    #[param(value_type = Option<MailState>)]
    state: Option<String>,
    case_id: Option<uuid::Uuid>,
}

#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", security(("bearer" = [])), params(OutboxQuery), responses((status = 200, description = "Outgoing e-mail"), (status = 403, description = "Not an admin", body = ErrorBody)))]
/// The outbox, for admins: `?state=failed` shows what could not be delivered.
pub async fn outbox(
    app: web::Data<App>,
    caller: Caller,
    q: web::Query<OutboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let messages = crate::app::outbox::list(&app, &caller.0, q.state.as_deref(), q.case_id).await?;
    Ok(HttpResponse::Ok().json(json!({"messages": messages})))
}

/// Where a timer stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TimerState {
    Pending,
    Claimed,
    Fired,
    Skipped,
    Failed,
    Cancelled,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimersQuery {
    #[param(value_type = Option<TimerState>)]
    state: Option<String>,
    case_id: Option<uuid::Uuid>,
}

#[utoipa::path(get, path = "/api/v1/admin/timers", tag = "admin", security(("bearer" = [])), params(TimersQuery), responses((status = 200, description = "Deadline timers, latest due first (at most 500)"), (status = 403, description = "Not an admin or an auditor", body = ErrorBody)))]
/// Deadline timers, for admins and auditors: `?state=failed` shows the deadlines whose firing
/// failed (with why, in `note`) and wait for someone.
pub async fn timers(
    app: web::Data<App>,
    caller: Caller,
    q: web::Query<TimersQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let timers = deadlines::list_timers(&app, &caller.0, q.state.as_deref(), q.case_id).await?;
    Ok(HttpResponse::Ok().json(json!({"timers": timers})))
}

#[utoipa::path(post, path = "/api/v1/admin/timers/{id}/retry", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Timer id")), responses((status = 200, description = "Pending again: the next pass fires it"), (status = 409, description = "Not a failed timer (`not_failed`)", body = ErrorBody)))]
pub async fn retry_timer(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let work = deadlines::retry_timer(&app, &caller.0, path.into_inner(), idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Message id")), responses((status = 200, description = "Queued again"), (status = 409, description = "Not a failed message", body = ErrorBody)))]
pub async fn retry_mail(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let work = crate::app::outbox::retry(&app, &caller.0, path.into_inner(), idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}
