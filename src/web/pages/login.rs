//! Signing in and out (with a password, or through the bureau's identity provider), and
//! choosing the language.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use std::sync::Arc;

use crate::app::directory::SignInMethod;
use crate::app::sessions::{self, Vouched};
use crate::app::{App, AppError};
use crate::oidc::desk::{self, Callback, Desk, DeskError, Refusal};
use crate::web::forms::Errors;
use crate::web::i18n::Lang;
use crate::web::layout::Chrome;
use crate::web::session::{self, Ctx, FormData, Posted};
use crate::web::{render_as, see_other, WebError};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub token: String,
    pub next: String,
    pub email: String,
    pub errors: Errors,
    pub expired: bool,
    /// The identity provider's name, when people may sign in through it.
    pub provider: Option<String>,
    /// Whether the password form is offered.
    pub password: bool,
    /// Why the last attempt through the provider was refused, in the reader's language.
    pub refusal: Option<String>,
}

/// The ways to sign in on this installation.
pub struct SignInWays {
    /// The password form (`GREENLANE_PASSWORD_SIGN_IN`).
    pub password: bool,
    /// The identity provider (`GREENLANE_OIDC_CLIENT_ID`).
    pub desk: Option<Arc<Desk>>,
}

fn ways(req: &HttpRequest) -> (bool, Option<Arc<Desk>>) {
    match req.app_data::<web::Data<SignInWays>>() {
        Some(w) => (w.password, w.desk.clone()),
        None => (true, None),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

fn page(
    req: &HttpRequest,
    ctx: &Ctx,
    token: &str,
    next: &str,
    email: &str,
    errors: Errors,
    expired: bool,
) -> LoginPage {
    let (password, desk) = ways(req);
    LoginPage {
        c: Chrome::new(ctx, "sign-in"),
        token: token.to_string(),
        next: next.to_string(),
        email: email.to_string(),
        errors,
        expired,
        provider: desk.map(|d| d.name().to_string()),
        password,
        refusal: None,
    }
}

/// The sign-in page again, with a fresh form token, saying why the last attempt failed.
fn refused_page(
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    next: &str,
    why: String,
) -> Result<HttpResponse, WebError> {
    let token = sessions::random_token()?;
    let mut p = page(req, ctx, &token, next, "", Errors::default(), false);
    p.refusal = Some(why);
    let secure = session::secure(req);
    let mut r = render_as(status, &p)?;
    r.add_cookie(&session::login_cookie(&token, secure))
        .map_err(|e| WebError::Unexpected(e.to_string()))?;
    r.add_cookie(&pending_removal(secure))
        .map_err(|e| WebError::Unexpected(e.to_string()))?;
    Ok(r)
}

/// `GET /login`: the form, with its own token (the session does not exist yet).
pub async fn form(
    req: HttpRequest,
    ctx: Ctx,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let next = session::local_path(q.next.as_deref());
    if ctx.session.is_some() {
        return Ok(see_other(&next));
    }
    let token = sessions::random_token()?;
    let p = page(
        &req,
        &ctx,
        &token,
        &next,
        "",
        Errors::default(),
        q.expired.is_some(),
    );
    let mut r = render_as(StatusCode::OK, &p)?;
    r.add_cookie(&session::login_cookie(&token, session::secure(&req)))
        .map_err(|e| WebError::Unexpected(e.to_string()))?;
    Ok(r)
}

/// `POST /login`: the same check and slow-down as the API's sign-in, then a session cookie.
pub async fn submit(
    req: HttpRequest,
    ctx: Ctx,
    app: web::Data<App>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    session::check_origin(&req)?;
    let form = FormData::parse(&body)?;
    let cookie = req.cookie(session::LOGIN_COOKIE);
    let token = form.get("csrf").unwrap_or_default();
    if cookie
        .as_ref()
        .is_none_or(|c| c.value() != token || token.is_empty())
    {
        return Err(WebError::Csrf);
    }
    let next = session::local_path(form.get("next"));
    if !ways(&req).0 {
        let why = crate::web::i18n::t(ctx.lang, "sign-in-password-off");
        return refused_page(&req, &ctx, StatusCode::FORBIDDEN, &next, why);
    }
    let email = form.get("email").unwrap_or_default().to_string();
    let password = form.raw("password").to_string();
    let mut errors = Errors::default();
    let mut retry_after: Option<i64> = None;
    if email.is_empty() {
        errors.add("email", ctx.lang, "sign-in-email-missing");
    }
    if password.is_empty() {
        errors.add("password", ctx.lang, "sign-in-password-missing");
    }
    if errors.is_empty() {
        match sessions::sign_in(&app, &email, &password, Utc::now()).await {
            Ok(opened) => {
                let secure = session::secure(&req);
                let mut r = see_other(&next);
                r.add_cookie(&session::session_cookie(&opened.token, secure))
                    .map_err(|e| WebError::Unexpected(e.to_string()))?;
                r.add_cookie(&session::removal(session::LOGIN_COOKIE, secure))
                    .map_err(|e| WebError::Unexpected(e.to_string()))?;
                return Ok(r);
            }
            Err(AppError::InvalidCredentials) => {
                errors.add("email", ctx.lang, "sign-in-wrong");
            }
            Err(AppError::TooManyAttempts {
                retry_after_seconds,
            }) => {
                retry_after = Some(retry_after_seconds.max(1));
                errors.push(
                    "email",
                    crate::web::i18n::t_args(
                        ctx.lang,
                        "sign-in-too-many",
                        &[("seconds", retry_after_seconds.into())],
                    ),
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Too many failures: 429 with `Retry-After`, the form saying how long to wait.
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render_as(
        status,
        &page(&req, &ctx, token, &next, &email, errors, false),
    )?;
    if let Some(s) = retry_after {
        r.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(s),
        );
    }
    Ok(r)
}

/// `POST /logout`: ends the session; a person who signed in through the identity provider is
/// then sent to its `end_session_endpoint`, where it has one, to end the provider's session too.
pub async fn logout(
    req: HttpRequest,
    app: web::Data<App>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let session = &posted.who.session;
    sessions::sign_out(&app, session).await?;
    let mut to = "/login".to_string();
    if session.method == SignInMethod::Provider {
        if let Some(desk) = ways(&req).1 {
            if let Some(url) = desk.end_session_url(session.id_token.as_deref()).await {
                to = url;
            }
        }
    }
    let mut r = see_other(&to);
    r.add_cookie(&session::removal(
        session::SESSION_COOKIE,
        session::secure(&req),
    ))
    .map_err(|e| WebError::Unexpected(e.to_string()))?;
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=`: remembers the language in a cookie and goes back.
pub async fn switch_language(
    req: HttpRequest,
    code: web::Path<String>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = Lang::parse(&code).map_err(|_| WebError::NotFound)?;
    let mut r = see_other(&session::local_path(q.next.as_deref()));
    r.add_cookie(&session::lang_cookie(lang, session::secure(&req)))
        .map_err(|e| WebError::Unexpected(e.to_string()))?;
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct ProviderQuery {
    next: Option<String>,
}

/// `GET /login/oidc?next=`: begins a sign-in at the identity provider (303 to its authorization
/// endpoint), keeping the state, nonce and PKCE verifier in a short-lived signed cookie.
pub async fn provider(
    req: HttpRequest,
    ctx: Ctx,
    q: web::Query<ProviderQuery>,
) -> Result<HttpResponse, WebError> {
    let desk = ways(&req).1.ok_or(WebError::NotFound)?;
    let next = session::local_path(q.next.as_deref());
    if ctx.session.is_some() {
        return Ok(see_other(&next));
    }
    let locale = match ctx.lang {
        crate::web::i18n::Lang::Zh => "zh-CN",
        crate::web::i18n::Lang::En => "en",
    };
    match desk.start(&next, locale, Utc::now()).await {
        Ok(started) => {
            let mut r = see_other(&started.url);
            r.add_cookie(&pending_cookie(&started.cookie, session::secure(&req)))
                .map_err(|e| WebError::Unexpected(e.to_string()))?;
            Ok(r)
        }
        Err(e) => unavailable(&req, &ctx, &next, &e),
    }
}

/// `GET /login/oidc/callback`: where the provider sends the person back. Checks the state,
/// exchanges the code, checks the ID token, and opens the same session as a password sign-in
/// for the directory's person; anything else is the sign-in page saying why, and no session.
pub async fn callback(
    req: HttpRequest,
    ctx: Ctx,
    app: web::Data<App>,
    q: web::Query<Callback>,
) -> Result<HttpResponse, WebError> {
    let desk = ways(&req).1.ok_or(WebError::NotFound)?;
    let cookie = req.cookie(desk::PENDING_COOKIE);
    let cookie = cookie.as_ref().map(|c| c.value());
    let fallback_next = desk.next_of(cookie).unwrap_or_else(|| "/".into());
    let (vouched, next) = match desk.finish(cookie, &q).await {
        Ok(done) => done,
        Err(DeskError::Refused(refusal)) => {
            tracing::warn!(
                refusal = refusal.code(),
                detail = refusal.detail(),
                address = %ctx.address,
                "sign-in through the identity provider refused"
            );
            let status = match refusal {
                Refusal::ProviderSaid(_)
                | Refusal::NoPendingSignIn
                | Refusal::WrongState
                | Refusal::NoCode => StatusCode::BAD_REQUEST,
                _ => StatusCode::FORBIDDEN,
            };
            let why = crate::web::i18n::t(ctx.lang, refusal.message_id());
            return refused_page(&req, &ctx, status, &fallback_next, why);
        }
        Err(e) => return unavailable(&req, &ctx, &fallback_next, &e),
    };
    let who = Vouched {
        email: vouched.email.clone(),
        roles: vouched.roles.clone(),
        id_token: Some(vouched.id_token.clone()),
    };
    match sessions::sign_in_vouched(&app, &who, Utc::now()).await {
        Ok(opened) => {
            tracing::info!(email = %who.email, subject = %vouched.subject, "signed in through the identity provider");
            let secure = session::secure(&req);
            let mut r = see_other(&session::local_path(Some(&next)));
            for c in [
                session::session_cookie(&opened.token, secure),
                session::removal(session::LOGIN_COOKIE, secure),
                pending_removal(secure),
            ] {
                r.add_cookie(&c)
                    .map_err(|e| WebError::Unexpected(e.to_string()))?;
            }
            Ok(r)
        }
        Err(AppError::Refused(code, why)) => {
            tracing::warn!(
                refusal = ?code,
                email = %who.email,
                subject = %vouched.subject,
                address = %ctx.address,
                "sign-in through the identity provider refused: {}",
                why.id
            );
            let why = crate::web::i18n::msg(ctx.lang, &why);
            refused_page(&req, &ctx, StatusCode::FORBIDDEN, &next, why)
        }
        Err(e) => Err(e.into()),
    }
}

/// The sign-in page saying the provider cannot be reached (503, try again shortly).
fn unavailable(
    req: &HttpRequest,
    ctx: &Ctx,
    next: &str,
    e: &DeskError,
) -> Result<HttpResponse, WebError> {
    tracing::warn!("sign-in through the identity provider failed: {e}");
    let why = crate::web::i18n::t(ctx.lang, "sso-unavailable");
    let mut r = refused_page(req, ctx, StatusCode::SERVICE_UNAVAILABLE, next, why)?;
    r.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(30),
    );
    Ok(r)
}

/// The cookie that carries a sign-in begun at the provider, for ten minutes.
fn pending_cookie(value: &str, secure: bool) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(desk::PENDING_COOKIE, value.to_string())
        .path("/login/oidc")
        .http_only(true)
        // Lax: the provider sends the person back with a top-level GET from its own site.
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::minutes(
            desk::PENDING_MINUTES,
        ))
        .finish()
}

fn pending_removal(secure: bool) -> actix_web::cookie::Cookie<'static> {
    let mut c = pending_cookie("", secure);
    c.make_removal();
    c
}
