//! Sign-in, organisations, users, and agency grants.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::openapi::ErrorBody;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Caller, Idem};
use super::error::{ApiError, ErrorCode};
use crate::app::directory::{self, NewOrg, NewUser};
use crate::app::idempotency::once;
use crate::app::App;
use crate::settings::JwtSettings;

/// How long a token from `POST /api/v1/auth/login` lives.
pub const SESSION_HOURS: i64 = 8;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "directory", request_body = LoginBody, responses((status = 200, description = "A bearer token for 8 hours"), (status = 401, description = "Wrong e-mail or password", body = ErrorBody), (status = 403, description = "Password sign-in is turned off here (`password_sign_in_off`)", body = ErrorBody), (status = 429, description = "Too many failures; wait", body = ErrorBody)))]
pub async fn login(
    app: web::Data<App>,
    jwt: web::Data<JwtSettings>,
    ways: Option<web::Data<crate::web::pages::login::SignInWays>>,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    if ways.is_some_and(|w| !w.password) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            ErrorCode::PasswordSignInOff,
            "signing in with a password is turned off here; sign in through the identity provider",
        ));
    }
    let b = body.into_inner();
    let who = directory::login(&app, &b.email, &b.password).await?;
    // Tokens live in real time, whatever clock the cases run on.
    let now = chrono::Utc::now();
    let ttl = chrono::Duration::hours(SESSION_HOURS);
    let token = crate::token::issue_at_version(
        &jwt,
        &who.email,
        &who.org,
        &who.roles,
        who.token_version,
        ttl,
        now,
    )
    .map_err(crate::app::AppError::Unexpected)?;
    Ok(HttpResponse::Ok().json(json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": now + ttl,
        "user": {"email": who.email, "organisation": who.org, "roles": who.roles},
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    code: String,
    name: String,
    #[serde(default = "enterprise")]
    kind: String,
    credit_code: Option<String>,
}

fn enterprise() -> String {
    "enterprise".into()
}

#[utoipa::path(post, path = "/api/v1/admin/organisations", tag = "directory", security(("bearer" = [])), request_body = OrgBody, responses((status = 201, description = "Added"), (status = 403, description = "Not an admin", body = ErrorBody), (status = 409, description = "The code exists", body = ErrorBody), (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn add_org(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<OrgBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let input = NewOrg {
        code: b.code,
        name: b.name,
        kind: b.kind,
        credit_code: b.credit_code,
    };
    let org = once(
        &app,
        &caller.0,
        idem.get(),
        directory::add_org(&app, &caller.0, input, idem.get()),
    )
    .await?;
    Ok(HttpResponse::Created().json(org))
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "Organisations")))]
pub async fn orgs(app: web::Data<App>, _caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({"organisations": directory::orgs(&app).await?})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    email: String,
    name: String,
    org: String,
    roles: Vec<String>,
    lang: Option<String>,
    password: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/admin/users", tag = "directory", security(("bearer" = [])), request_body = UserBody, responses((status = 201, description = "Added"), (status = 403, description = "Not an admin", body = ErrorBody), (status = 409, description = "The e-mail exists", body = ErrorBody), (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn add_user(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let input = NewUser {
        email: b.email,
        name: b.name,
        org: b.org,
        roles: b.roles,
        lang: b.lang,
        password: b.password,
    };
    let user = once(
        &app,
        &caller.0,
        idem.get(),
        directory::add_user(&app, &caller.0, input, idem.get()),
    )
    .await?;
    Ok(HttpResponse::Created().json(user))
}

/// What changes about a user; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    name: Option<String>,
    roles: Option<Vec<String>>,
    /// `zh` or `en`: the language of the person's e-mail.
    lang: Option<String>,
    /// A new password (at least 10 characters): ends every token and web session of the person.
    password: Option<String>,
    /// `false` deactivates the person (every token and session ends, no sign-in); `true` lets
    /// them back in.
    active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{email}", tag = "directory", security(("bearer" = [])), params(("email" = String, Path, description = "The user's e-mail address")), request_body = UserChangeBody, responses((status = 200, description = "Changed"), (status = 403, description = "Not an admin", body = ErrorBody), (status = 404, description = "No such user", body = ErrorBody), (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn update_user(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<String>,
    body: web::Json<UserChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let input = directory::UserUpdate {
        name: b.name,
        roles: b.roles,
        lang: b.lang,
        password: b.password,
        active: b.active,
    };
    let work = directory::update_user(&app, &caller.0, &path, input, idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/users/{email}/sign-out", tag = "directory", security(("bearer" = [])), params(("email" = String, Path, description = "The user's e-mail address")), responses((status = 200, description = "Every token issued to the person so far is refused from now on, and their web sessions ended"), (status = 403, description = "Not an admin", body = ErrorBody), (status = 404, description = "No such user", body = ErrorBody)))]
pub async fn sign_out_everywhere(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let work = directory::end_tokens(&app, &caller.0, &path, idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "directory", security(("bearer" = [])), params(UsersQuery), responses((status = 200, description = "Users")))]
pub async fn users(
    app: web::Data<App>,
    caller: Caller,
    q: web::Query<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = &caller.0;
    // People see their own organisation's users; the bureau and admins see any.
    let org = if actor.roles.iter().any(|r| r.sees_all_organisations()) {
        q.org.clone()
    } else {
        Some(actor.org.clone())
    };
    Ok(HttpResponse::Ok().json(json!({"users": directory::users(&app, org.as_deref()).await?})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    agency: String,
    enterprise: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/grants", tag = "directory", security(("bearer" = [])), request_body = GrantBody, responses((status = 201, description = "Granted"), (status = 403, description = "Not the enterprise or an admin", body = ErrorBody), (status = 422, description = "Not an agency", body = ErrorBody)))]
pub async fn grant(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    body: web::Json<GrantBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let work = directory::grant(
        &app,
        &caller.0,
        &b.agency,
        b.enterprise.as_deref(),
        idem.get(),
    );
    let g = once(&app, &caller.0, idem.get(), work).await?;
    Ok(HttpResponse::Created().json(g))
}

#[utoipa::path(get, path = "/api/v1/grants", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "Agency grants touching the caller's organisation")))]
pub async fn grants(app: web::Data<App>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({"grants": directory::grants(&app, &caller.0).await?})))
}

#[utoipa::path(delete, path = "/api/v1/grants/{id}", tag = "directory", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Grant id")), responses((status = 200, description = "Revoked"), (status = 404, description = "No such grant for the caller", body = ErrorBody)))]
pub async fn revoke(
    app: web::Data<App>,
    caller: Caller,
    idem: Idem,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let work = directory::revoke(&app, &caller.0, path.into_inner(), idem.get());
    Ok(HttpResponse::Ok().json(once(&app, &caller.0, idem.get(), work).await?))
}
