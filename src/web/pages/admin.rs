//! `/admin`: organisations, users, agency grants, calendars, deadlines that failed to fire, the
//! outbox and the clock. Every
//! change goes through the same use cases as the API, audited in the installation's stream.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::calendars::{self, CalendarSummary};
use crate::app::deadlines::{self, ClockMove};
use crate::app::directory::{self, Grant, NewOrg, NewUser, Organisation, User, UserUpdate};
use crate::app::outbox::{self, MailView};
use crate::app::{App, AppError};
use crate::domain::Role;
use crate::web::forms::Errors;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, Chrome};
use crate::web::session::{self, FormData, Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

pub const ROLES: [&str; 7] = [
    "applicant",
    "agency",
    "reviewer",
    "approver",
    "market_operator",
    "auditor",
    "admin",
];

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub orgs: Vec<Organisation>,
    pub users: Vec<User>,
    pub grants: Vec<Grant>,
    pub calendar: CalendarSummary,
    pub mail: Vec<MailView>,
    pub mail_state: String,
    /// Deadlines that failed to fire and wait for an admin.
    pub failed_timers: Vec<deadlines::TimerView>,
    pub now: String,
    pub manual: bool,
    pub roles: Vec<&'static str>,
    /// Which form the errors and entered values belong to.
    pub form_name: String,
    pub form: FormData,
    pub errors: Errors,
    pub calendar_result: Option<String>,
}

impl AdminPage {
    /// A value the person entered in the form shown again (empty for other forms).
    pub fn entered(&self, form: &str, field: &str) -> String {
        if self.form_name == form {
            self.form.raw(field).to_string()
        } else {
            String::new()
        }
    }

    pub fn errors_for(&self, form: &str) -> Errors {
        if self.form_name == form {
            self.errors.clone()
        } else {
            Errors::default()
        }
    }

    pub fn role_checked(&self, role: &str) -> bool {
        self.form_name == "user" && self.form.all("roles").iter().any(|r| r == role)
    }

    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
}

fn require_admin(who: &Signed) -> Result<(), WebError> {
    if who.actor.roles.contains(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden("an admin".into()).into())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    #[serde(default)]
    outbox: Option<String>,
}

async fn admin_page(
    app: &App,
    who: &Signed,
    mail_state: Option<&str>,
    form_name: &str,
    form: FormData,
    errors: Errors,
    calendar_result: Option<String>,
) -> Result<AdminPage, WebError> {
    require_admin(who)?;
    let state = mail_state.filter(|s| ["pending", "sending", "sent", "failed"].contains(s));
    let mut mail = outbox::list(app, &who.actor, state.or(Some("failed")), None).await?;
    mail.truncate(100);
    Ok(AdminPage {
        c: Chrome::new(&who.ctx, "admin-title"),
        orgs: directory::orgs(app).await?,
        users: directory::users(app, None).await?,
        grants: directory::grants(app, &who.actor).await?,
        calendar: calendars::summary(app).await?,
        mail,
        mail_state: state.unwrap_or("failed").to_string(),
        failed_timers: deadlines::list_timers(app, &who.actor, Some("failed"), None).await?,
        now: local_time(deadlines::read_clock(app, &who.actor)?),
        manual: app.clock.manual().is_some(),
        roles: ROLES.to_vec(),
        form_name: form_name.to_string(),
        form,
        errors,
        calendar_result,
    })
}

/// `GET /admin`.
pub async fn overview(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<AdminQuery>,
) -> Result<HttpResponse, WebError> {
    let p = admin_page(
        &app,
        &who,
        q.outbox.as_deref(),
        "",
        FormData::default(),
        Errors::default(),
        None,
    )
    .await?;
    render(&p)
}

/// After a change: back to the section, or the page again with the form's errors.
async fn answer<T>(
    app: &App,
    who: &Signed,
    result: Result<T, AppError>,
    form_name: &str,
    form: FormData,
    done: &str,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let mut errors = Errors::default();
    match result {
        Ok(_) => return Ok(see_other(&format!("/admin?done={done}#{form_name}s"))),
        Err(AppError::Validation(fields)) => errors.extend_from(lang, &fields),
        Err(AppError::AlreadyExists(_)) => errors.add("code", lang, "admin-already-exists"),
        Err(e) => return Err(e.into()),
    }
    if form_name == "user" && errors.get("code").is_some() {
        let mut e = Errors::default();
        e.add("email", lang, "admin-already-exists");
        errors = e;
    }
    let p = admin_page(app, who, None, form_name, form, errors, None).await?;
    render_as(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

/// `POST /admin/organisations`.
pub async fn add_org(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let input = NewOrg {
        code: form.get("code").unwrap_or_default().to_string(),
        name: form.get("name").unwrap_or_default().to_string(),
        kind: form.get("kind").unwrap_or_default().to_string(),
        credit_code: form.get("credit_code").map(str::to_string),
    };
    let r = directory::add_org(&app, &who.actor, input, None).await;
    answer(&app, &who, r, "organisation", form, "org-added").await
}

/// `POST /admin/users`.
pub async fn add_user(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let input = NewUser {
        email: form.get("email").unwrap_or_default().to_string(),
        name: form.get("name").unwrap_or_default().to_string(),
        org: form.get("org").unwrap_or_default().to_string(),
        roles: form.all("roles"),
        lang: form.get("lang").map(str::to_string),
        password: form.get("password").map(str::to_string),
    };
    let r = directory::add_user(&app, &who.actor, input, None).await;
    answer(&app, &who, r, "user", form, "user-added").await
}

#[derive(Template)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    pub c: Chrome,
    pub user: User,
    pub roles: Vec<(&'static str, bool)>,
    pub errors: Errors,
    /// The name as entered (or as stored): not `name`, which the input macro's own parameter
    /// of that name would hide.
    pub person_name: String,
    pub lang: String,
}

async fn user_page(
    app: &App,
    who: &Signed,
    email: &str,
    entered: Option<&FormData>,
    errors: Errors,
) -> Result<UserPage, WebError> {
    require_admin(who)?;
    let user = directory::user(app, email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {email}")))?;
    let chosen: Vec<String> = entered.map_or_else(|| user.roles.clone(), |f| f.all("roles"));
    Ok(UserPage {
        c: Chrome::new(&who.ctx, "admin-user-title"),
        roles: ROLES
            .iter()
            .map(|r| (*r, chosen.iter().any(|c| c == r)))
            .collect(),
        person_name: entered.map_or_else(|| user.name.clone(), |f| f.raw("name").to_string()),
        lang: entered
            .and_then(|f| f.get("lang"))
            .map_or_else(|| user.lang.as_str().to_string(), str::to_string),
        user,
        errors,
    })
}

/// `GET /admin/users/{email}`.
pub async fn user(
    who: Signed,
    app: web::Data<App>,
    email: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let p = user_page(&app, &who, &email, None, Errors::default()).await?;
    render(&p)
}

/// `POST /admin/users/{email}`: name, roles, language, and optionally a new password.
pub async fn update_user(
    posted: Posted,
    app: web::Data<App>,
    email: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let input = UserUpdate {
        name: form.get("name").map(str::to_string).or(Some(String::new())),
        roles: Some(form.all("roles")),
        lang: form.get("lang").map(str::to_string),
        password: form.get("password").map(str::to_string),
        active: None,
    };
    save_user(&app, &who, &email, input, Some(&form), "user-updated").await
}

/// Changes a user, then back to the users with `done`; refused fields are shown on the user's
/// page (with what was `entered`, if a form of fields was sent).
async fn save_user(
    app: &App,
    who: &Signed,
    email: &str,
    input: UserUpdate,
    entered: Option<&FormData>,
    done: &str,
) -> Result<HttpResponse, WebError> {
    match directory::update_user(app, &who.actor, email, input, None).await {
        Ok(_) => Ok(see_other(&format!("/admin?done={done}#users"))),
        Err(AppError::Validation(fields)) => {
            let mut errors = Errors::default();
            errors.extend_from(who.ctx.lang, &fields);
            let p = user_page(app, who, email, entered, errors).await?;
            render_as(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{email}/sign-out`: ends every token and session of the person.
pub async fn sign_out_everywhere(
    posted: Posted,
    app: web::Data<App>,
    email: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&posted.who)?;
    directory::end_tokens(&app, &posted.who.actor, &email, None).await?;
    Ok(see_other("/admin?done=user-signed-out#users"))
}

/// `POST /admin/users/{email}/active`: `active=false` deactivates the person, `true` lets them
/// back in.
pub async fn set_active(
    posted: Posted,
    app: web::Data<App>,
    email: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let active = match form.get("active") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(WebError::BadRequest),
    };
    let input = UserUpdate {
        active: Some(active),
        ..Default::default()
    };
    let done = if active {
        "user-reactivated"
    } else {
        "user-deactivated"
    };
    save_user(&app, &who, &email, input, None, done).await
}

/// `POST /admin/grants`: an enterprise lets an agency act for it.
pub async fn grant(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let agency = form.get("agency").unwrap_or_default().to_string();
    let enterprise = form.get("enterprise").map(str::to_string);
    let r = directory::grant(&app, &who.actor, &agency, enterprise.as_deref(), None).await;
    answer(&app, &who, r, "grant", form, "grant-added").await
}

/// `POST /admin/grants/{id}/revoke`.
pub async fn revoke(
    posted: Posted,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&posted.who)?;
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    directory::revoke(&app, &posted.who.actor, id, None).await?;
    Ok(see_other("/admin?done=grant-revoked#grants"))
}

/// `POST /admin/calendars?csrf=...`: a year's official calendar as a JSON file (holiday-cn's
/// format is accepted); every open deadline is recomputed and the page says how many moved.
pub async fn put_calendar(
    req: HttpRequest,
    who: Signed,
    app: web::Data<App>,
    mut body: Multipart,
) -> Result<HttpResponse, WebError> {
    require_admin(&who)?;
    session::check_origin(&req)?;
    let token =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("csrf").cloned())
            .unwrap_or_default();
    if !who.session.csrf_matches(&token) {
        return Err(WebError::Csrf);
    }
    let lang = who.ctx.lang;
    let mut bytes = Vec::new();
    while let Some(part) = body.next().await {
        let mut part = part.map_err(|_| WebError::BadRequest)?;
        let is_file = part.name() == Some("file");
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| WebError::BadRequest)?;
            if bytes.len() + chunk.len() > 1 << 20 {
                return Err(WebError::TooLarge);
            }
            if is_file {
                bytes.extend_from_slice(&chunk);
            }
        }
    }
    let mut errors = Errors::default();
    let result = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(_) => {
            errors.add("file", lang, "admin-calendar-not-json");
            None
        }
        Ok(value) => match calendars::put_year(&app, &who.actor, value, None).await {
            Ok(change) => Some(i18n::t_args(
                lang,
                "admin-calendar-done",
                &[
                    ("year", i64::from(change.year).into()),
                    ("recomputed", (change.recomputed as i64).into()),
                    ("moved", (change.moved as i64).into()),
                ],
            )),
            Err(AppError::Validation(fields)) => {
                errors.extend_from(lang, &fields);
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let status = if result.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = admin_page(
        &app,
        &who,
        None,
        "calendar",
        FormData::default(),
        errors,
        result,
    )
    .await?;
    render_as(status, &p)
}

/// `POST /admin/outbox/{id}/retry`.
pub async fn retry_mail(
    posted: Posted,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&posted.who)?;
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    outbox::retry(&app, &posted.who.actor, id, None).await?;
    Ok(see_other("/admin?done=mail-requeued#outbox"))
}

/// `POST /admin/timers/{id}/retry`: a deadline that failed to fire goes back in line.
pub async fn retry_timer(
    posted: Posted,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&posted.who)?;
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    deadlines::retry_timer(&app, &posted.who.actor, id, None).await?;
    Ok(see_other("/admin?done=timer-requeued#timers"))
}

/// `POST /admin/clock`: set (a moment in Asia/Shanghai) or advance (hours) the manual clock.
pub async fn move_clock(posted: Posted, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let Posted { who, form } = posted;
    require_admin(&who)?;
    let lang: Lang = who.ctx.lang;
    let mut errors = Errors::default();
    let step = if let Some(at) = form.get("set") {
        match chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| {
                t.and_local_timezone(crate::domain::calendar::shanghai())
                    .single()
            }) {
            Some(t) => Some(ClockMove::Set(t.with_timezone(&chrono::Utc))),
            None => {
                errors.add("set", lang, "form-datetime");
                None
            }
        }
    } else if let Some(h) = form.get("advance_hours") {
        match h.parse::<i64>() {
            Ok(h) if (1..=24 * 366).contains(&h) => Some(ClockMove::Advance(h * 3600)),
            _ => {
                errors.add("advance_hours", lang, "admin-clock-hours");
                None
            }
        }
    } else {
        errors.add("set", lang, "form-datetime");
        None
    };
    let result = match step {
        Some(step) => deadlines::move_clock(&app, &who.actor, step, None)
            .await
            .map(|_| ()),
        None => Err(AppError::Validation(Default::default())),
    };
    match result {
        Ok(()) => Ok(see_other("/admin?done=clock-moved#clock")),
        Err(AppError::Validation(fields)) => {
            errors.extend_from(lang, &fields);
            let p = admin_page(&app, &who, None, "clock", form, errors, None).await?;
            render_as(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}
