//! Signing in and out, and choosing the language.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::app::sessions;
use crate::app::{App, AppError};
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
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

fn page(
    ctx: &Ctx,
    token: &str,
    next: &str,
    email: &str,
    errors: Errors,
    expired: bool,
) -> LoginPage {
    LoginPage {
        c: Chrome::new(ctx, "sign-in"),
        token: token.to_string(),
        next: next.to_string(),
        email: email.to_string(),
        errors,
        expired,
    }
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
    let mut r = render_as(status, &page(&ctx, token, &next, &email, errors, false))?;
    if let Some(s) = retry_after {
        r.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(s),
        );
    }
    Ok(r)
}

/// `POST /logout`: ends the session.
pub async fn logout(
    req: HttpRequest,
    app: web::Data<App>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    sessions::sign_out(&app, &posted.who.session).await?;
    let mut r = see_other("/login");
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
