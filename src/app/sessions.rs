//! Web sign-in sessions and the views people save.
//!
//! A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
//! person's e-mail, the token forms must carry (CSRF) and the expiry. Each request reads the person
//! afresh, so a change of roles takes effect at once and a new password ends every session.
//! Sessions live in real time, as API tokens do, even when cases run on a manual clock.
//!
//! Decision: sessions and saved views are a person's own, not the installation's state; like the
//! issuing of API tokens they are not written to the audit log.

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::directory::{self, SignInMethod, User};
use super::{App, AppError};
use crate::domain::{FieldErrors, RoleSet};
use crate::engine::Actor;
use crate::msg;
use crate::store;

/// How long a session lasts.
pub const LIFETIME_HOURS: i64 = 8;
/// At most this many saved views per person.
pub const MAX_VIEWS: usize = 30;

/// A session just opened: the token goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct Opened {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in person, as a request sees them.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    /// How the session was opened (signing out of a provider's session goes to the provider).
    pub method: SignInMethod,
    /// The roles the provider's roles claim named at sign-in, when that claim decides; the
    /// person acts with those of them the directory still grants.
    claimed_roles: Option<Vec<String>>,
    /// The provider's ID token of a session opened through it (for signing out there).
    pub id_token: Option<String>,
    token_hash: String,
}

impl Session {
    /// The person as the use cases know them.
    pub fn actor(&self) -> Actor {
        let names = match &self.claimed_roles {
            Some(claimed) => granted(&self.user, claimed),
            None => self.user.roles.clone(),
        };
        let roles = RoleSet::parse(&names).unwrap_or_default();
        Actor::person(&self.user.email, &self.user.organisation, roles)
    }

    /// The stored hash of the session's token.
    pub fn token_hash(&self) -> &str {
        &self.token_hash
    }

    /// True if `token` is this session's form token (compared in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        secrets_match(&self.csrf, token)
    }
}

/// Compares two secrets in constant time (for their length).
pub fn secrets_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A random token, hex-encoded.
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The roles of `claimed` that the directory grants `user` (a provider can narrow a person's
/// roles, never widen them).
fn granted(user: &User, claimed: &[String]) -> Vec<String> {
    user.roles
        .iter()
        .filter(|r| claimed.contains(r))
        .cloned()
        .collect()
}

/// Checks the e-mail and password (the same check and slow-down as the API's sign-in) and opens
/// a session.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Opened, AppError> {
    let who = directory::login(app, email, password).await?;
    let opening = Opening {
        method: SignInMethod::Password,
        claimed_roles: None,
        id_token: None,
    };
    open(app, &who.email, opening, now).await
}

/// Who the identity provider vouched for, once its ID token is checked.
#[derive(Debug, Clone)]
pub struct Vouched {
    /// The directory's e-mail for the person.
    pub email: String,
    /// The roles claim's values, when the roles claim decides; `None`: the directory's roles.
    pub roles: Option<Vec<String>>,
    /// The provider's ID token, kept with the session for signing out there.
    pub id_token: Option<String>,
}

/// Opens a session for the person the identity provider vouched for, if the directory knows
/// them, has not deactivated them, and (when the provider's roles claim decides) grants them
/// at least one of the roles it names. Refusals are 403 `sign_in_refused` with a message.
pub async fn sign_in_vouched(
    app: &App,
    vouched: &Vouched,
    now: DateTime<Utc>,
) -> Result<Opened, AppError> {
    let refused = |m: crate::domain::Msg| {
        AppError::Refused(
            super::Refusal::SignInRefused,
            m.arg("email", &vouched.email),
        )
    };
    let user = directory::user(app, &vouched.email)
        .await?
        .ok_or_else(|| refused(msg!("sso-refused-unknown")))?;
    if !user.active {
        return Err(refused(msg!("sso-refused-deactivated")));
    }
    if let Some(claimed) = &vouched.roles {
        if granted(&user, claimed).is_empty() {
            return Err(refused(msg!("sso-refused-no-role")));
        }
    }
    let opening = Opening {
        method: SignInMethod::Provider,
        claimed_roles: vouched.roles.clone(),
        id_token: vouched.id_token.clone(),
    };
    open(app, &user.email, opening, now).await
}

/// How a session is being opened.
struct Opening {
    method: SignInMethod,
    claimed_roles: Option<Vec<String>>,
    id_token: Option<String>,
}

/// Opens a session and remembers how and when the person signed in.
async fn open(
    app: &App,
    email: &str,
    opening: Opening,
    now: DateTime<Utc>,
) -> Result<Opened, AppError> {
    let Opening {
        method,
        claimed_roles,
        id_token,
    } = opening;
    let token = random_token()?;
    let expires_at = now + Duration::hours(LIFETIME_HOURS);
    let roles = claimed_roles
        .map(|r| serde_json::to_string(&r))
        .transpose()
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let row = store::web::SessionRow {
        token_hash: hash_token(&token),
        email: email.to_string(),
        csrf: random_token()?,
        created_at: now,
        expires_at,
        method: method.as_str().to_string(),
        roles,
        id_token,
    };
    let tx = app.db.begin().await?;
    store::web::insert_session(&tx, row).await?;
    store::web::delete_expired(&tx, now).await?;
    store::directory::record_sign_in(&tx, email, now, method.as_str()).await?;
    tx.commit().await?;
    Ok(Opened { token, expires_at })
}

/// The live session a cookie's token belongs to, with the person as they are now.
pub async fn resolve(
    app: &App,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, AppError> {
    let hash = hash_token(token);
    let Some(row) = store::web::live_session(&app.db, &hash, now).await? else {
        return Ok(None);
    };
    let Some(user) = directory::user(app, &row.email).await?.filter(|u| u.active) else {
        return Ok(None);
    };
    Ok(Some(Session {
        user,
        csrf: row.csrf,
        expires_at: row.expires_at,
        method: SignInMethod::parse(&row.method).unwrap_or(SignInMethod::Password),
        claimed_roles: row
            .roles
            .as_deref()
            .map(|r| serde_json::from_str(r).unwrap_or_default()),
        id_token: row.id_token,
        token_hash: hash,
    }))
}

pub async fn sign_out(app: &App, session: &Session) -> Result<(), AppError> {
    let tx = app.db.begin().await?;
    store::web::delete_session(&tx, &session.token_hash).await?;
    tx.commit().await?;
    Ok(())
}

/// A view a person saved: a name and the query string of a page's filters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SavedView {
    pub id: Uuid,
    pub name: String,
    pub query: String,
}

pub async fn views(app: &App, actor: &Actor) -> Result<Vec<SavedView>, AppError> {
    Ok(store::web::views_of(&app.db, &actor.subject)
        .await?
        .into_iter()
        .map(|v| SavedView {
            id: v.id,
            name: v.name,
            query: v.query,
        })
        .collect())
}

/// Saves the filters of the inbox under a name (replacing a view of that name).
pub async fn save_view(
    app: &App,
    actor: &Actor,
    name: &str,
    query: &str,
) -> Result<SavedView, AppError> {
    let name = name.trim();
    let mut errors = FieldErrors::default();
    if name.is_empty() || name.chars().count() > 60 {
        errors.add("name", msg!("err-length", min = 1, max = 60));
    }
    if query.len() > 2000 {
        errors.add("query", msg!("err-at-most", max = 2000));
    }
    let existing = views(app, actor).await?;
    if existing.len() >= MAX_VIEWS && !existing.iter().any(|v| v.name == name) {
        errors.add("name", msg!("err-at-most-views", max = MAX_VIEWS));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let row = store::web::ViewRow {
        id: Uuid::now_v7(),
        email: actor.subject.clone(),
        name: name.to_string(),
        query: query.to_string(),
        created_at: app.clock.now(),
    };
    let view = SavedView {
        id: row.id,
        name: row.name.clone(),
        query: row.query.clone(),
    };
    let tx = app.db.begin().await?;
    store::web::upsert_view(&tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete_view(app: &App, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let tx = app.db.begin().await?;
    if !store::web::delete_view(&tx, &actor.subject, id).await? {
        return Err(AppError::NotFound(format!("saved view {id}")));
    }
    tx.commit().await?;
    Ok(())
}
