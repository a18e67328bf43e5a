//! What every request passes through before a handler, and every response after it:
//!
//! - methods no route takes (`TRACE`, `CONNECT`) answer 405; `OPTIONS` answers 204 with the
//!   methods, and the CORS preflight headers for a configured origin (`GREENLANE_CORS_ORIGINS`);
//! - a query string or an API body with a NUL character (which PostgreSQL cannot store) is
//!   refused with 422 `validation_failed` naming the field, on every database alike;
//! - an API body that is not JSON where JSON is expected gets 415 `unsupported_media_type`, one
//!   over the limit 413 `too_large`, both in the error shape;
//! - every response gets the security headers: a Content-Security-Policy (tight for the pages,
//!   a little looser for the API's docs page), `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy`, `X-Frame-Options`, and `Cache-Control: no-store` on the API's answers,
//!   which carry tokens and personal data.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::error::{ApiError, ErrorCode};

/// The largest JSON body the API reads.
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// Which other sites may call the API from a browser (`GREENLANE_CORS_ORIGINS`, comma-separated
/// origins). Empty: none.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub origins: Vec<String>,
}

impl Cors {
    fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

const PAGE_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' Content-Security-Policy. Forms post to this site only, except that signing out
/// of a session opened through the identity provider goes on to the provider's end-session
/// endpoint, which browsers hold to `form-action` as well: its origin is then allowed too.
#[derive(Debug, Clone)]
pub struct PagePolicy(HeaderValue);

impl PagePolicy {
    pub fn new(provider_origin: Option<&str>) -> anyhow::Result<PagePolicy> {
        let csp = match provider_origin {
            None => PAGE_CSP.to_string(),
            Some(o) => PAGE_CSP.replace("form-action 'self'", &format!("form-action 'self' {o}")),
        };
        Ok(PagePolicy(HeaderValue::from_str(&csp)?))
    }
}
/// The API's docs page (Swagger UI) styles its elements inline.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

fn is_api(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/api/v1"
}

/// Where an API request may send something other than JSON.
fn takes_other_bodies(path: &str) -> bool {
    path.ends_with("/documents") || path.ends_with("/catalogue/import")
}

fn error(status: StatusCode, code: ErrorCode, message: &str, details: Value) -> HttpResponse {
    actix_web::ResponseError::error_response(
        &ApiError::new(status, code, message).with_details(details),
    )
}

/// The first JSON path holding a string with a NUL character, like `data.project_name`.
pub fn nul_path(v: &Value, path: &str) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "body".to_string()
        } else {
            path.to_string()
        }),
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_path(v, &join(k))
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn nul_refusal(field: &str) -> HttpResponse {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
        &format!("invalid input: {field}: must not contain a NUL character"),
        json!({"fields": {field: ["must not contain a NUL character"]}}),
    )
}

/// A NUL refused: the error shape for the API, a page in the person's language elsewhere.
fn refusal(req: &ServiceRequest, field: &str) -> HttpResponse {
    if is_api(req.path()) {
        return nul_refusal(field);
    }
    let ctx = crate::web::session::Ctx {
        lang: crate::web::session::lang_of(req.request()),
        session: None,
        here: req.path().to_string(),
        address: String::new(),
    };
    crate::web::error::page(&ctx, StatusCode::BAD_REQUEST, None)
}

/// Checks a request before its handler; `Err` is the answer instead.
async fn admit(req: &mut ServiceRequest, cors: &Cors) -> Result<(), HttpResponse> {
    let method = req.method().clone();
    let path = req.path().to_string();
    if method == Method::TRACE || method == Method::CONNECT {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "this method is not served here",
            json!({"allow": METHODS}),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(METHODS));
        return Err(r);
    }
    // A path the API documents, with a method it does not take there.
    let documented = super::openapi::methods_of(&path);
    if method != Method::OPTIONS {
        if let Some(allowed) = &documented {
            if !allowed.contains(&method.as_str()) {
                let allow = format!("{}, OPTIONS", allowed.join(", "));
                let mut r = error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    ErrorCode::MethodNotAllowed,
                    "this method is not served here",
                    json!({"allow": allow}),
                );
                if let Ok(v) = HeaderValue::from_str(&allow) {
                    r.headers_mut().insert(header::ALLOW, v);
                }
                return Err(r);
            }
        }
    }
    if method == Method::OPTIONS {
        let mut r = HttpResponse::NoContent();
        let allow = documented.as_ref().map_or_else(
            || METHODS.to_string(),
            |m| format!("{}, OPTIONS", m.join(", ")),
        );
        r.insert_header((header::ALLOW, allow.clone()));
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .filter(|o| cors.allows(o))
        {
            r.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.to_string()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, allow))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type, idempotency-key",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .insert_header((header::VARY, "Origin"));
        }
        return Err(r.finish());
    }
    // A NUL in the query string (any page or endpoint) or the path.
    let query = req.query_string().to_string();
    if !query.is_empty() {
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(&query).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidQuery,
                "the query string cannot be read",
                json!({}),
            )
        })?;
        if let Some((k, _)) = pairs
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(refusal(req, &k.replace('\0', "")));
        }
    }
    if path.contains('\0') || req.uri().path().contains("%00") {
        return Err(refusal(req, "path"));
    }
    let writes = matches!(method, Method::POST | Method::PUT | Method::PATCH);
    if is_api(&path) && method == Method::DELETE {
        use actix_web::HttpMessage;
        req.extensions_mut()
            .insert(super::auth::Fingerprint(super::auth::fingerprint(
                method.as_str(),
                &path,
                b"",
            )));
    }
    if !(is_api(&path) && writes) || takes_other_bodies(&path) {
        return Ok(());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let body = req.extract::<web::Bytes>().await.map_err(|_| too_large())?;
    if body.len() > MAX_JSON_BYTES {
        return Err(too_large());
    }
    if !body.is_empty() {
        let json_type = content_type
            .as_deref()
            .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
        if !json_type {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON (Content-Type: application/json)",
                json!({"content_type": content_type, "expected": "application/json"}),
            ));
        }
        if body.contains(&0) || body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                if let Some(field) = nul_path(&v, "") {
                    return Err(nul_refusal(&field));
                }
            }
        }
    }
    {
        use actix_web::HttpMessage;
        req.extensions_mut()
            .insert(super::auth::Fingerprint(super::auth::fingerprint(
                method.as_str(),
                &path,
                &body,
            )));
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(())
}

fn too_large() -> HttpResponse {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::TooLarge,
        "the request body is larger than the limit",
        json!({"max_bytes": MAX_JSON_BYTES}),
    )
}

/// The headers every answer carries.
fn secure(path: &str, pages: Option<HeaderValue>, res: &mut HttpResponse) {
    let h = res.headers_mut();
    let csp = if path.starts_with("/api/docs") {
        HeaderValue::from_static(DOCS_CSP)
    } else {
        pages.unwrap_or_else(|| HeaderValue::from_static(PAGE_CSP))
    };
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if (is_api(path) || path == "/metrics") && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The middleware: [`admit`] before, [`secure`] and CORS after.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cors = req
        .app_data::<web::Data<Cors>>()
        .map(|c| c.get_ref().clone())
        .unwrap_or_default();
    let path = req.path().to_string();
    let pages = req.app_data::<web::Data<PagePolicy>>().map(|p| p.0.clone());
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let mut res = match admit(&mut req, &cors).await {
        Err(refusal) => req.into_response(refusal),
        Ok(()) => next.call(req).await?.map_into_boxed_body(),
    };
    secure(&path, pages, res.response_mut());
    if let Some(o) = origin.filter(|o| is_api(&path) && cors.allows(o)) {
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&o) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("location"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_and_its_field_named() {
        let v = json!({"data": {"items": ["ok", "bad\u{0}"]}, "q": "fine"});
        assert_eq!(nul_path(&v, "").as_deref(), Some("data.items[1]"));
        assert_eq!(
            nul_path(&json!({"email": "a\u{0}b"}), "").as_deref(),
            Some("email")
        );
        assert_eq!(nul_path(&json!({"email": "ab"}), ""), None);
    }
}
