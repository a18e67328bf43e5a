//! Who is asking, in which language: the extractors every page handler starts from.
//!
//! - [`Ctx`]: the language and, if signed in, the session (read from the `gl_session` cookie).
//! - [`Signed`]: a page for signed-in people; anyone else is sent to `/login`.
//! - [`Posted`]: a state-changing form: signed in, the session's CSRF token in the form, and an
//!   `Origin` (or `Referer`) of this site when the browser sends one. Anything else is refused
//!   with 403 before the handler runs, so nothing changes.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;

use super::error::WebError;
use super::i18n::{self, Lang, LANG_COOKIE};
use crate::app::sessions::{self, Session};
use crate::app::App;
use crate::engine::Actor;

/// The cookie that holds the session's token.
pub const SESSION_COOKIE: &str = "gl_session";
/// The cookie that holds the sign-in form's token (before there is a session).
pub const LOGIN_COOKIE: &str = "gl_login";
/// The largest form body accepted (documents go through multipart, which has its own limit).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// What a page knows about its request.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub session: Option<Session>,
    /// The path and query of this request (to come back to after signing in or switching language).
    pub here: String,
    /// The client's address (behind trusted proxies, what they say), for the audit.
    pub address: String,
}

impl Ctx {
    pub fn actor(&self) -> Option<Actor> {
        self.session
            .as_ref()
            .map(|s| s.actor().from_address(self.address.clone()))
    }
}

/// The request's language, from the cookie or `Accept-Language`.
pub fn lang_of(req: &HttpRequest) -> Lang {
    let cookie = req.cookie(LANG_COOKIE);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(cookie.as_ref().map(|c| c.value()), accept)
}

fn here_of(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}

async fn context(req: HttpRequest) -> Result<Ctx, WebError> {
    if let Some(ctx) = req.extensions().get::<Ctx>() {
        return Ok(ctx.clone());
    }
    let app = req
        .app_data::<web::Data<App>>()
        .ok_or_else(|| WebError::Unexpected("no application state".into()))?;
    let session = match req.cookie(SESSION_COOKIE) {
        Some(c) => sessions::resolve(app, c.value(), Utc::now()).await?,
        None => None,
    };
    let ctx = Ctx {
        lang: lang_of(&req),
        session,
        here: here_of(&req),
        address: crate::http::client::address(&req),
    };
    // Kept for the error pages, which show the same person in the same language.
    req.extensions_mut().insert(ctx.clone());
    Ok(ctx)
}

impl FromRequest for Ctx {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Ctx, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(context(req.clone()))
    }
}

/// A signed-in person.
#[derive(Clone)]
pub struct Signed {
    pub ctx: Ctx,
    pub session: Session,
    pub actor: Actor,
}

async fn signed(req: HttpRequest) -> Result<Signed, WebError> {
    let ctx = context(req.clone()).await?;
    match ctx.session.clone() {
        Some(session) => Ok(Signed {
            actor: session.actor().from_address(ctx.address.clone()),
            session,
            ctx,
        }),
        None => Err(WebError::SignIn {
            next: here_of(&req),
            expired: req.cookie(SESSION_COOKIE).is_some(),
        }),
    }
}

impl FromRequest for Signed {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Signed, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(signed(req.clone()))
    }
}

/// The fields of a submitted form, in order (a list field repeats its name).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Reads a form body; refuses one that holds a NUL character (no database field can).
    pub fn parse(body: &[u8]) -> Result<FormData, WebError> {
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| WebError::BadRequest)?;
        if pairs
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(WebError::BadRequest);
        }
        Ok(FormData(pairs))
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of a field as typed (not trimmed), or "".
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every non-blank value of a field (checkboxes, repeated inputs).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// Refuses a cross-site request: when the browser names where the request comes from (`Origin`,
/// or `Referer` without it), it must be this site, as the public URL or the Host header give it.
pub fn same_origin(req: &HttpRequest, public_url: &str) -> bool {
    let claimed = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            req.headers()
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(origin_of)
        });
    let Some(claimed) = claimed else {
        // No header to check (some clients send neither): the form token alone decides.
        return true;
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    claimed == origin_of(public_url) || claimed == own
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// A state-changing form from a signed-in person, its CSRF token and origin checked.
pub struct Posted {
    pub who: Signed,
    pub form: FormData,
}

async fn posted(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<Posted, WebError> {
    let who = signed(req.clone()).await?;
    check_origin(&req)?;
    let body = body.map_err(|_| WebError::TooLarge)?;
    let form = FormData::parse(&body)?;
    if !form
        .get("csrf")
        .is_some_and(|t| who.session.csrf_matches(t))
    {
        return Err(WebError::Csrf);
    }
    Ok(Posted { who, form })
}

pub fn check_origin(req: &HttpRequest) -> Result<(), WebError> {
    let public_url = req
        .app_data::<web::Data<App>>()
        .map(|a| a.mail.public_url.clone())
        .unwrap_or_default();
    if same_origin(req, &public_url) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

impl FromRequest for Posted {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Posted, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await;
            posted(req, body).await
        })
    }
}

/// True when cookies must be marked `Secure` (the public URL is https).
pub fn secure(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<App>>()
        .is_some_and(|a| a.mail.public_url.starts_with("https://"))
}

/// The session cookie for a new session.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::hours(sessions::LIFETIME_HOURS))
        .finish()
}

/// A cookie that removes `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    c.make_removal();
    c
}

/// The cookie that remembers the chosen language for a year.
pub fn lang_cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.as_str())
        .path("/")
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::days(365))
        .finish()
}

/// The sign-in form's own token, kept in a short-lived cookie until the session exists.
pub fn login_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(LOGIN_COOKIE, token.to_string())
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::hours(2))
        .finish()
}

/// A local path to go back to: only paths on this site (no `//host`, no scheme).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.contains(['\r', '\n']) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/cases/1?x=2")), "/cases/1?x=2");
        for bad in [
            "//evil.example/",
            "https://evil.example",
            "/\\evil",
            "x",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://g.example:8443/cases?x"),
            "https://g.example:8443"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
