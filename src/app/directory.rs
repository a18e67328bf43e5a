//! Organisations, users, sign-in, and the grants by which an enterprise lets an EIA agency act
//! for it. Every change is audited in the installation's stream.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

use super::audit::append_installation;
use super::idempotency::{finish, Idempotency};
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::directory::{login_delay_seconds, Email, Lang, OrgCode, OrgKind};
use crate::domain::{CreditCode, FieldErrors, Role, RoleSet};
use crate::engine::Actor;
use crate::msg;
use crate::store;
use crate::store::directory::{GrantRow, OrgRow, UserRow};

pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Organisation {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<OrgRow> for Organisation {
    fn from(r: OrgRow) -> Self {
        Organisation {
            code: r.code,
            name: r.name,
            kind: r.kind,
            credit_code: r.credit_code,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
}

pub async fn add_org(
    app: &App,
    actor: &Actor,
    input: NewOrg,
    idem: Option<&Idempotency>,
) -> Result<Organisation, AppError> {
    super::require(actor, Role::Admin)?;
    let mut errors = FieldErrors::default();
    let code = OrgCode::parse(&input.code)
        .map_err(|e| errors.add("code", e))
        .ok();
    let kind = OrgKind::parse(&input.kind)
        .map_err(|e| errors.add("kind", e))
        .ok();
    if input.name.trim().is_empty() || input.name.chars().count() > 200 {
        errors.add("name", msg!("err-length", min = 1, max = 200));
    }
    let credit_code = match &input.credit_code {
        Some(c) => CreditCode::parse(c)
            .map(|c| Some(c.to_string()))
            .map_err(|e| errors.add("credit_code", e.into()))
            .ok()
            .flatten(),
        None => None,
    };
    if kind == Some(OrgKind::Enterprise) && input.credit_code.is_none() {
        errors.add("credit_code", msg!("err-enterprise-needs-credit-code"));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let (Some(code), Some(kind)) = (code, kind) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let now = to_micros(app.clock.now());
    let row = OrgRow {
        code: code.to_string(),
        name: input.name.trim().to_string(),
        kind: kind.as_str().to_string(),
        credit_code,
        created_at: now,
    };
    let tx = app.db.begin().await?;
    if let Err(e) = store::directory::insert_org(&tx, row.clone()).await {
        return Err(if store::is_unique_violation(&e) {
            AppError::AlreadyExists(msg!("err-org-exists", code = &row.code))
        } else {
            e.into()
        });
    }
    append_installation(&tx, actor, "org.add", json!({"code": row.code, "name": row.name, "kind": row.kind, "credit_code": row.credit_code}), now).await?;
    finish(app, tx, actor, idem, Organisation::from(row), now).await
}

pub async fn orgs(app: &App) -> Result<Vec<Organisation>, AppError> {
    Ok(store::directory::orgs(&app.db)
        .await?
        .into_iter()
        .map(Organisation::from)
        .collect())
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub email: String,
    pub name: String,
    pub organisation: String,
    pub roles: Vec<String>,
    pub lang: Lang,
    pub can_sign_in: bool,
    /// False: deactivated; the person can neither sign in nor act with a token or session.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When and how the person last signed in on the web desk; `None`: never. Shown to
    /// administrators only, so not in the directory's JSON, which colleagues read.
    #[serde(skip)]
    pub last_sign_in: Option<(DateTime<Utc>, SignInMethod)>,
}

/// How a person signed in on the web desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// With a password kept here.
    Password,
    /// Through the bureau's identity provider (OpenID Connect).
    Provider,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<SignInMethod> {
        match s {
            "password" => Some(SignInMethod::Password),
            "provider" => Some(SignInMethod::Provider),
            _ => None,
        }
    }

    /// The message that names it.
    pub fn message_id(self) -> &'static str {
        match self {
            SignInMethod::Password => "sign-in-method-password",
            SignInMethod::Provider => "sign-in-method-provider",
        }
    }
}

pub(crate) fn user_of(r: UserRow) -> User {
    User {
        roles: serde_json::from_str(&r.roles).unwrap_or_default(),
        lang: Lang::parse(&r.lang).unwrap_or(Lang::Zh),
        can_sign_in: r.password_hash.is_some(),
        active: r.active,
        last_sign_in: r.last_sign_in_at.zip(
            r.last_sign_in_method
                .as_deref()
                .and_then(SignInMethod::parse),
        ),
        email: r.email,
        name: r.name,
        organisation: r.org_code,
        created_at: r.created_at,
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub org: String,
    pub roles: Vec<String>,
    pub lang: Option<String>,
    pub password: Option<String>,
}

fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("hashing a password: {e}")))
}

/// Hashes a new password on the password thread (argon2 is deliberately slow).
async fn hash_new_password(password: Option<String>) -> Result<Option<String>, AppError> {
    let Some(p) = password else { return Ok(None) };
    on_password_thread(move || hash_password(&p))
        .await?
        .map(Some)
}

/// Password work (argon2id: deliberately slow, and 19 MiB of memory each time) runs on one
/// thread of its own, one job after another. A burst of sign-ins waits its turn instead of
/// stalling the workers that answer other requests, and every job reuses the memory the last
/// one freed on that thread: the server's size grows by one hash, not by one per check.
async fn on_password_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("passwords".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .map_err(|e| tracing::error!(error = %e, "the password thread did not start"))
            .ok();
        tx
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    queue
        .send(Box::new(move || {
            let _ = tx.send(job());
        }))
        .map_err(|_| AppError::Unexpected(anyhow::anyhow!("the password thread has stopped")))?;
    rx.await
        .map_err(|_| AppError::Unexpected(anyhow::anyhow!("the password thread has stopped")))
}

pub async fn add_user(
    app: &App,
    actor: &Actor,
    input: NewUser,
    idem: Option<&Idempotency>,
) -> Result<User, AppError> {
    super::require(actor, Role::Admin)?;
    let mut errors = FieldErrors::default();
    let email = Email::parse(&input.email)
        .map_err(|e| errors.add("email", e))
        .ok();
    if input.name.trim().is_empty() || input.name.chars().count() > 200 {
        errors.add("name", msg!("err-length", min = 1, max = 200));
    }
    let roles = RoleSet::parse(&input.roles)
        .map_err(|e| errors.add("roles", msg!("err-role", role = e.0)))
        .ok();
    if input.roles.is_empty() {
        errors.add("roles", msg!("err-at-least-one-role"));
    }
    let lang = Lang::parse(input.lang.as_deref().unwrap_or("zh"))
        .map_err(|e| errors.add("lang", e))
        .ok();
    if let Some(p) = &input.password {
        if p.chars().count() < MIN_PASSWORD_CHARS {
            errors.add("password", msg!("err-at-least", min = MIN_PASSWORD_CHARS));
        }
    }
    if store::directory::find_org(&app.db, &input.org)
        .await?
        .is_none()
    {
        errors.add("org", msg!("err-no-organisation", code = &input.org));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let (Some(email), Some(roles), Some(lang)) = (email, roles, lang) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let password_hash = hash_new_password(input.password.clone()).await?;
    let now = to_micros(app.clock.now());
    let row = UserRow {
        email: email.as_str().to_string(),
        name: input.name.trim().to_string(),
        org_code: input.org.clone(),
        roles: serde_json::to_string(&roles.names()).map_err(|e| AppError::Unexpected(e.into()))?,
        lang: lang.as_str().to_string(),
        password_hash,
        failed_logins: 0,
        next_login_at: None,
        created_at: now,
        token_version: 0,
        active: true,
        last_sign_in_at: None,
        last_sign_in_method: None,
    };
    let tx = app.db.begin().await?;
    if let Err(e) = store::directory::insert_user(&tx, row.clone()).await {
        return Err(if store::is_unique_violation(&e) {
            AppError::AlreadyExists(msg!("err-user-exists", email = &row.email))
        } else {
            e.into()
        });
    }
    append_installation(
        &tx,
        actor,
        "user.add",
        json!({"email": row.email, "name": row.name, "org": row.org_code, "roles": roles.names(), "lang": row.lang}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, user_of(row), now).await
}

/// What an admin changes about a user: name, roles, language (of e-mail), or a new password.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub roles: Option<Vec<String>>,
    pub lang: Option<String>,
    pub password: Option<String>,
    /// `false` deactivates the person, `true` lets them back in.
    pub active: Option<bool>,
}

/// Checks a user's change (every field, all problems at once): answers the roles and language
/// it sets, parsed.
fn check_update(
    actor: &Actor,
    email: &str,
    input: &UserUpdate,
) -> Result<(Option<RoleSet>, Option<Lang>), AppError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = &input.name {
        if name.trim().is_empty() || name.chars().count() > 200 {
            errors.add("name", msg!("err-length", min = 1, max = 200));
        }
    }
    let roles = match &input.roles {
        Some(r) if r.is_empty() => {
            errors.add("roles", msg!("err-at-least-one-role"));
            None
        }
        Some(r) => RoleSet::parse(r)
            .map_err(|e| errors.add("roles", msg!("err-role", role = e.0)))
            .ok(),
        None => None,
    };
    let lang = match &input.lang {
        Some(l) => Lang::parse(l).map_err(|e| errors.add("lang", e)).ok(),
        None => None,
    };
    if let Some(p) = &input.password {
        if p.chars().count() < MIN_PASSWORD_CHARS {
            errors.add("password", msg!("err-at-least", min = MIN_PASSWORD_CHARS));
        }
    }
    if input.active == Some(false) && email.eq_ignore_ascii_case(&actor.subject) {
        errors.add("active", msg!("err-not-yourself"));
    }
    errors.into_result().map_err(AppError::Validation)?;
    Ok((roles, lang))
}

/// Changes a user, audited in the installation's stream (a new password is recorded as reset,
/// never its value). A new password or a deactivation ends the user's web sessions and every
/// token issued to them so far.
pub async fn update_user(
    app: &App,
    actor: &Actor,
    email: &str,
    input: UserUpdate,
    idem: Option<&Idempotency>,
) -> Result<User, AppError> {
    super::require(actor, Role::Admin)?;
    let (roles, lang) = check_update(actor, email, &input)?;
    let password_hash = hash_new_password(input.password.clone()).await?;
    let roles_json = roles
        .map(|r| serde_json::to_string(&r.names()))
        .transpose()
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let mut audit = serde_json::Map::new();
    audit.insert("email".into(), json!(email));
    if let Some(n) = &input.name {
        audit.insert("name".into(), json!(n.trim()));
    }
    if let Some(r) = roles {
        audit.insert("roles".into(), json!(r.names()));
    }
    if let Some(l) = lang {
        audit.insert("lang".into(), json!(l.as_str()));
    }
    if password_hash.is_some() {
        audit.insert("password_reset".into(), json!(true));
    }
    if let Some(active) = input.active {
        audit.insert("active".into(), json!(active));
    }
    let ends = password_hash.is_some() || input.active == Some(false);
    let change = store::directory::UserChange {
        name: input.name.map(|n| n.trim().to_string()),
        roles: roles_json,
        lang: lang.map(|l| l.as_str().to_string()),
        password_hash: password_hash.clone(),
        active: input.active,
        end_tokens: ends,
    };
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    if !store::directory::update_user(&tx, email, change).await? {
        return Err(AppError::NotFound(format!("user {email}")));
    }
    if ends {
        store::web::delete_sessions_of(&tx, email).await?;
    }
    if password_hash.is_some() {
        store::directory::clear_attempts(&tx, email, now).await?;
    }
    append_installation(
        &tx,
        actor,
        "user.update",
        serde_json::Value::Object(audit),
        now,
    )
    .await?;
    let row = store::directory::find_user(&tx, email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {email}")))?;
    finish(app, tx, actor, idem, user_of(row), now).await
}

/// Signs a person out everywhere: every token issued to them so far is refused from the next
/// request on, and every web session ends. Audited as `user.sign_out_everywhere`.
pub async fn end_tokens(
    app: &App,
    actor: &Actor,
    email: &str,
    idem: Option<&Idempotency>,
) -> Result<User, AppError> {
    super::require(actor, Role::Admin)?;
    let change = store::directory::UserChange {
        end_tokens: true,
        ..Default::default()
    };
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    if !store::directory::update_user(&tx, email, change).await? {
        return Err(AppError::NotFound(format!("user {email}")));
    }
    store::web::delete_sessions_of(&tx, email).await?;
    append_installation(
        &tx,
        actor,
        "user.sign_out_everywhere",
        json!({"email": email}),
        now,
    )
    .await?;
    let row = store::directory::find_user(&tx, email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {email}")))?;
    finish(app, tx, actor, idem, user_of(row), now).await
}

/// One user, for the person themselves or an admin.
pub async fn user(app: &App, email: &str) -> Result<Option<User>, AppError> {
    Ok(store::directory::find_user(&app.db, email)
        .await?
        .map(user_of))
}

pub async fn users(app: &App, org: Option<&str>) -> Result<Vec<User>, AppError> {
    Ok(store::directory::users(&app.db, org)
        .await?
        .into_iter()
        .map(user_of)
        .collect())
}

/// The users of `org` who hold any of `roles`.
pub async fn users_with_roles(
    db: &impl sea_orm::ConnectionTrait,
    org: Option<&str>,
    roles: RoleSet,
) -> Result<Vec<User>, AppError> {
    Ok(store::directory::users(db, org)
        .await?
        .into_iter()
        .map(user_of)
        .filter(|u| RoleSet::parse(&u.roles).is_ok_and(|r| r.intersects(roles)))
        .collect())
}

/// Who signed in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub email: String,
    pub org: String,
    pub roles: Vec<String>,
    /// The version the person's tokens are issued at.
    pub token_version: i64,
}

/// A hash to check unknown addresses against, so that they cost what known ones cost.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no one has this password").unwrap_or_default())
}

/// Checks a password against a stored hash (or the decoy) on the password thread.
async fn password_matches(stored: Option<String>, password: String) -> bool {
    let checked = on_password_thread(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| decoy_hash().to_string());
        let ok = PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && known
    })
    .await;
    checked.unwrap_or(false)
}

/// Checks an e-mail address and password. Every attempt is counted before its password is
/// checked, by a compare-and-swap on the address's row (known or not), so concurrent guesses are
/// counted one by one: after 3 failures in a row, attempts are refused without a check for a delay
/// that doubles each time, up to 5 minutes. Unknown addresses are slowed down the same way and
/// cost a check against a decoy hash, so that neither timing nor answers tell who exists.
pub async fn login(app: &App, email: &str, password: &str) -> Result<SignedIn, AppError> {
    let now = app.clock.now();
    let key = Email::parse(email)
        .map(|e| e.as_str().to_string())
        .unwrap_or_else(|_| email.trim().to_lowercase().chars().take(254).collect());
    let mut counted = false;
    for _ in 0..20 {
        let t = store::directory::throttle(&app.db, &key, now).await?;
        if let Some(next) = t.next_at.filter(|n| now < *n) {
            return Err(AppError::TooManyAttempts {
                retry_after_seconds: (next - now).num_seconds().max(1),
            });
        }
        let delay = login_delay_seconds(t.failures + 1);
        let next = (delay > 0).then(|| now + Duration::seconds(delay));
        if store::directory::count_attempt(&app.db, &key, t.failures, next, now).await? {
            counted = true;
            break;
        }
    }
    if !counted {
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: 1,
        });
    }
    // A deactivated person is checked against the decoy, like an unknown one.
    let user = store::directory::find_user(&app.db, &key)
        .await?
        .filter(|u| u.password_hash.is_some() && u.active);
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    if !password_matches(stored, password.to_string()).await {
        tracing::warn!(email = %key, "failed sign-in");
        return Err(AppError::InvalidCredentials);
    }
    store::directory::clear_attempts(&app.db, &key, now).await?;
    let Some(user) = user else {
        return Err(AppError::InvalidCredentials);
    };
    Ok(SignedIn {
        email: user.email,
        org: user.org_code,
        roles: serde_json::from_str(&user.roles).unwrap_or_default(),
        token_version: user.token_version,
    })
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub id: Uuid,
    pub agency: String,
    pub enterprise: String,
    pub granted_by: String,
    pub granted_at: DateTime<Utc>,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub active: bool,
}

fn grant_of(g: GrantRow) -> Grant {
    Grant {
        active: g.revoked_at.is_none(),
        id: g.id,
        agency: g.agency_org,
        enterprise: g.enterprise_org,
        granted_by: g.granted_by,
        granted_at: g.granted_at,
        revoked_by: g.revoked_by,
        revoked_at: g.revoked_at,
    }
}

/// An enterprise (its applicant, or an admin naming it) lets an agency act on its cases.
pub async fn grant(
    app: &App,
    actor: &Actor,
    agency: &str,
    enterprise: Option<&str>,
    idem: Option<&Idempotency>,
) -> Result<Grant, AppError> {
    let enterprise = match enterprise {
        Some(e) if actor.roles.contains(Role::Admin) => e.to_string(),
        Some(e) if e != actor.org => {
            return Err(AppError::Forbidden(
                "the enterprise itself or an admin".into(),
            ))
        }
        _ if actor.roles.contains(Role::Applicant) => actor.org.clone(),
        _ => {
            return Err(AppError::Forbidden(
                "an applicant of the enterprise, or an admin".into(),
            ))
        }
    };
    let mut errors = FieldErrors::default();
    match store::directory::find_org(&app.db, agency).await? {
        Some(o) if OrgKind::Agency.is(&o.kind) => {}
        Some(_) => errors.add("agency", msg!("err-not-an-agency", code = agency)),
        None => errors.add("agency", msg!("err-no-organisation", code = agency)),
    }
    errors.into_result().map_err(AppError::Validation)?;
    let now = to_micros(app.clock.now());
    let row = GrantRow {
        id: Uuid::now_v7(),
        agency_org: agency.to_string(),
        enterprise_org: enterprise,
        granted_by: actor.subject.clone(),
        granted_at: now,
        revoked_by: None,
        revoked_at: None,
    };
    let tx = app.db.begin().await?;
    store::directory::insert_grant(&tx, row.clone()).await?;
    append_installation(
        &tx,
        actor,
        "grant.add",
        json!({"grant": row.id, "agency": row.agency_org, "enterprise": row.enterprise_org}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, grant_of(row), now).await
}

pub async fn revoke(
    app: &App,
    actor: &Actor,
    id: Uuid,
    idem: Option<&Idempotency>,
) -> Result<Grant, AppError> {
    let row = store::directory::find_grant(&app.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("grant {id}")))?;
    let allowed = actor.roles.contains(Role::Admin)
        || (actor.roles.contains(Role::Applicant) && actor.org == row.enterprise_org);
    if !allowed {
        return Err(AppError::NotFound(format!("grant {id}")));
    }
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    if !store::directory::revoke_grant(&tx, id, &actor.subject, now).await? {
        return Err(AppError::Conflict {
            expected: 0,
            actual: 1,
        });
    }
    append_installation(&tx, actor, "grant.revoke", json!({"grant": id}), now).await?;
    let row = store::directory::find_grant(&tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("grant {id}")))?;
    finish(app, tx, actor, idem, grant_of(row), now).await
}

pub async fn grants(app: &App, actor: &Actor) -> Result<Vec<Grant>, AppError> {
    let org =
        (!actor.roles.iter().any(|r| r.sees_all_organisations())).then_some(actor.org.as_str());
    Ok(store::directory::grants(&app.db, org)
        .await?
        .into_iter()
        .map(grant_of)
        .collect())
}

/// The organisations whose cases `actor` may see and act for: every one, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    All,
    Orgs(Vec<String>),
}

impl Access {
    pub fn covers(&self, org: &str) -> bool {
        match self {
            Access::All => true,
            Access::Orgs(orgs) => orgs.iter().any(|o| o == org),
        }
    }
}

pub async fn access(db: &impl sea_orm::ConnectionTrait, actor: &Actor) -> Result<Access, AppError> {
    if actor.system || actor.roles.iter().any(|r| r.sees_all_organisations()) {
        return Ok(Access::All);
    }
    let mut orgs = vec![actor.org.clone()];
    if actor.roles.contains(Role::Agency) {
        orgs.extend(store::directory::granting_enterprises(db, &actor.org).await?);
    }
    Ok(Access::Orgs(orgs))
}

/// What the directory says of a token's holder now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// They act, with these roles.
    Acts(Actor),
    /// The token was issued before the person's tokens were ended (or their password changed).
    Ended,
    /// The person has been deactivated.
    Deactivated,
}

/// An API caller as the directory says now. A person the directory knows acts with the roles
/// both the token names and the directory still grants, and only in the directory's
/// organisation: a role removed, or a move to another organisation, takes effect at the next
/// request, not when the token expires. A deactivated person does not act at all, and one of
/// Greenlane's own tokens (`version` is its `ver`) issued before the person's tokens were ended
/// is refused. A subject the directory does not know (a service's token, a person of an external
/// identity provider) acts as its token says.
pub async fn as_directory_says(
    app: &App,
    actor: Actor,
    version: Option<i64>,
) -> Result<Standing, AppError> {
    let Some(user) = store::directory::find_user(&app.db, &actor.subject.to_lowercase()).await?
    else {
        return Ok(Standing::Acts(actor));
    };
    if !user.active {
        return Ok(Standing::Deactivated);
    }
    if version.is_some_and(|v| v < user.token_version) {
        return Ok(Standing::Ended);
    }
    let names: Vec<String> = serde_json::from_str(&user.roles).unwrap_or_default();
    let granted = RoleSet::parse(&names).unwrap_or_default();
    let roles = if user.org_code == actor.org {
        actor
            .roles
            .iter()
            .filter(|r| granted.contains(*r))
            .collect()
    } else {
        RoleSet::default()
    };
    Ok(Standing::Acts(Actor { roles, ..actor }))
}
