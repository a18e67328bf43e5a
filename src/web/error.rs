//! Errors a person can meet, as pages in their language: what happened and what to do. A 5xx page
//! says nothing internal; the cause goes to the log.
//!
//! Handlers return [`WebError`]; its `error_response` is a bare status, which the
//! [`error_pages`] middleware turns into the page, knowing the request's language and person.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;

use super::i18n::Lang;
use super::layout::Chrome;
use super::session::{self, Ctx};
use crate::app::AppError;
use crate::engine::TransitionError;

#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): go to the sign-in page and come back.
    SignIn {
        next: String,
        expired: bool,
    },
    /// A form without this session's token, or from another site.
    Csrf,
    NotFound,
    BadRequest,
    TooLarge,
    /// A use case refused or failed.
    App(AppError),
    Unexpected(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::App(e)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Unexpected(format!("template: {e}"))
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::App(e) => write!(f, "{e}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The status a refusal or failure of a use case is answered with: the API's own table.
pub use crate::http::error::status_of;

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::App(e) => status_of(e),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignIn { next, expired } = self {
            let mut to = format!(
                "/login?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            );
            if *expired {
                to.push_str("&expired=1");
            }
            let mut r = HttpResponse::SeeOther();
            r.insert_header((header::LOCATION, to));
            if *expired {
                r.cookie(session::removal(session::SESSION_COOKIE, false));
            }
            return r.finish();
        }
        let status = self.status_code();
        if status.is_server_error() {
            match self {
                WebError::App(AppError::Unexpected(cause)) => {
                    tracing::error!(error = ?cause, "page failed")
                }
                other => tracing::error!(error = %other, "page failed"),
            }
        }
        // The middleware renders the page; this body is only seen if it cannot.
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(status.canonical_reason().unwrap_or("error"))
    }
}

/// What the error page says.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    /// Translation ids of the heading and the advice.
    pub heading: &'static str,
    pub advice: &'static str,
    /// A detail a person can act on (a refusal's reason), already in their language.
    pub detail: Option<String>,
}

/// The heading and advice for an error.
fn wording(e: Option<&WebError>, status: StatusCode) -> (&'static str, &'static str) {
    match (e, status.as_u16()) {
        (Some(WebError::Csrf), _) => ("error-csrf", "error-csrf-advice"),
        (Some(WebError::App(AppError::Conflict { .. })), _) => {
            ("error-conflict", "error-conflict-advice")
        }
        (Some(WebError::App(AppError::Transition(TransitionError::SameActor { .. }))), _) => {
            ("error-same-actor", "error-same-actor-advice")
        }
        (_, 403) => ("error-forbidden", "error-forbidden-advice"),
        (_, 404) => ("error-not-found", "error-not-found-advice"),
        (_, 409) => ("error-conflict", "error-conflict-advice"),
        (_, 413) => ("error-too-large", "error-too-large-advice"),
        (_, 415) => ("error-unsupported", "error-unsupported-advice"),
        (_, 422) => ("error-invalid", "error-invalid-advice"),
        (_, 429) => ("error-too-many", "error-too-many-advice"),
        (_, 400) => ("error-bad-request", "error-bad-request-advice"),
        _ => ("error-server", "error-server-advice"),
    }
}

/// A refusal's reason a person can act on, in their language (never for a 5xx).
fn detail(e: Option<&WebError>, lang: Lang) -> Option<String> {
    match e? {
        WebError::App(e) => reason(lang, e),
        _ => None,
    }
}

/// What a use case's refusal says, in the reader's language, when it says more than its status.
pub fn reason(lang: Lang, e: &AppError) -> Option<String> {
    use super::i18n::msg;
    match e {
        AppError::Refused(_, m)
        | AppError::AlreadyExists(m)
        | AppError::Insufficient(m)
        | AppError::AlreadySettled(m)
        | AppError::PeriodClosed(m)
        | AppError::Transition(TransitionError::NotYet { reason: m, .. }) => Some(msg(lang, m)),
        AppError::Validation(fields) => Some(
            fields
                .0
                .values()
                .flatten()
                .map(|m| msg(lang, m))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

/// A refusal in the reader's language: its reason, else what its status means.
pub fn refusal(lang: Lang, e: &AppError) -> String {
    reason(lang, e).unwrap_or_else(|| super::i18n::t(lang, wording(None, status_of(e)).0))
}

/// The page for `status` in the request's language.
pub fn page(ctx: &Ctx, status: StatusCode, e: Option<&WebError>) -> HttpResponse {
    let (heading, advice) = wording(e, status);
    let page = ErrorPage {
        c: Chrome::new(ctx, heading),
        status: status.as_u16(),
        heading,
        advice,
        detail: detail(e, ctx.lang),
    };
    // A 429 says when to come back, in the header browsers and proxies read.
    let retry_after = match e {
        Some(WebError::App(a)) => a.retry_after_seconds(),
        _ => None,
    };
    match page.render() {
        Ok(html) => {
            let mut r = HttpResponse::build(status);
            r.content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"));
            if let Some(s) = retry_after {
                r.insert_header((header::RETRY_AFTER, s.to_string()));
            }
            r.body(html)
        }
        Err(err) => {
            tracing::error!(error = %err, "error page failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(status.canonical_reason().unwrap_or("error"))
        }
    }
}

/// Turns every error response of a page into the error page, in the person's language.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    // Pages that render their own error (a form shown again with its errors) say so.
    if res.headers().contains_key(RENDERED) {
        let (req, mut r) = res.into_parts();
        r.headers_mut().remove(RENDERED);
        return Ok(ServiceResponse::new(req, r));
    }
    let ctx = res.request().extensions().get::<Ctx>().cloned();
    let ctx = ctx.unwrap_or_else(|| Ctx {
        lang: session::lang_of(res.request()),
        session: None,
        here: res.request().path().to_string(),
        address: String::new(),
    });
    let body = {
        let e = res
            .response()
            .error()
            .and_then(|e| e.as_error::<WebError>());
        page(&ctx, status, e)
    };
    Ok(res.into_response(body))
}

/// A header a handler sets on a response that is already the page to show (a form with errors).
pub const RENDERED: &str = "x-greenlane-rendered";

/// The HTML 404 for a path that is no page, with the person's own frame if signed in.
pub async fn not_found_page(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::FromRequest;
    let ctx = match Ctx::extract(&req).await {
        Ok(ctx) => ctx,
        Err(_) => Ctx {
            lang: session::lang_of(&req),
            session: None,
            here: req.path().to_string(),
            address: String::new(),
        },
    };
    page(&ctx, StatusCode::NOT_FOUND, None)
}
