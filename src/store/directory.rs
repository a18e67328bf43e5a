//! Organisations, users, and agency grants.

use chrono::{DateTime, Utc};
use entity::agency_grant::{self, Entity as AgencyGrant};
use entity::organisation::{self, Entity as Organisation};
use entity::user::{self, Entity as User};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use entity::agency_grant::Model as GrantRow;
pub use entity::organisation::Model as OrgRow;
pub use entity::user::Model as UserRow;

pub async fn insert_org(db: &impl ConnectionTrait, row: OrgRow) -> Result<(), DbErr> {
    Organisation::insert(organisation::ActiveModel {
        code: Set(row.code),
        name: Set(row.name),
        kind: Set(row.kind),
        credit_code: Set(row.credit_code),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_org(db: &impl ConnectionTrait, code: &str) -> Result<Option<OrgRow>, DbErr> {
    Organisation::find_by_id(code.to_string()).one(db).await
}

/// In one query: the organisations among `codes`, and the organisation of each user among
/// `emails` as (email, organisation).
pub async fn orgs_and_users_orgs(
    db: &impl ConnectionTrait,
    codes: &[String],
    emails: &[String],
) -> Result<(Vec<OrgRow>, Vec<(String, OrgRow)>), DbErr> {
    use sea_orm::{FromQueryResult, Statement, Value};
    let backend = db.get_database_backend();
    let p = |i: usize| super::placeholder(backend, i);
    let list = |from: usize, n: usize| (from..from + n).map(p).collect::<Vec<_>>().join(", ");
    let mut branches = Vec::new();
    if !codes.is_empty() {
        branches.push(format!(
            "SELECT code, name, kind, credit_code, created_at, CAST(NULL AS TEXT) AS member \
             FROM organisations WHERE code IN ({})",
            list(1, codes.len())
        ));
    }
    if !emails.is_empty() {
        branches.push(format!(
            "SELECT o.code, o.name, o.kind, o.credit_code, o.created_at, u.email \
             FROM users u JOIN organisations o ON o.code = u.org_code WHERE u.email IN ({})",
            list(codes.len() + 1, emails.len())
        ));
    }
    if branches.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let values: Vec<Value> = codes
        .iter()
        .chain(emails)
        .map(|v| v.clone().into())
        .collect();
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            branches.join(" UNION ALL "),
            values,
        ))
        .await?;
    let (mut orgs, mut members) = (Vec::new(), Vec::new());
    for r in &rows {
        let org = OrgRow::from_query_result(r, "")?;
        match r.try_get::<Option<String>>("", "member")? {
            Some(email) => members.push((email, org)),
            None => orgs.push(org),
        }
    }
    Ok((orgs, members))
}

pub async fn orgs(db: &impl ConnectionTrait) -> Result<Vec<OrgRow>, DbErr> {
    Organisation::find()
        .order_by_asc(organisation::Column::Code)
        .all(db)
        .await
}

pub async fn insert_user(db: &impl ConnectionTrait, row: UserRow) -> Result<(), DbErr> {
    User::insert(user::ActiveModel {
        email: Set(row.email),
        name: Set(row.name),
        org_code: Set(row.org_code),
        roles: Set(row.roles),
        lang: Set(row.lang),
        password_hash: Set(row.password_hash),
        failed_logins: Set(row.failed_logins),
        next_login_at: Set(row.next_login_at),
        created_at: Set(row.created_at),
        token_version: Set(row.token_version),
        active: Set(row.active),
        last_sign_in_at: Set(row.last_sign_in_at),
        last_sign_in_method: Set(row.last_sign_in_method),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_user(db: &impl ConnectionTrait, email: &str) -> Result<Option<UserRow>, DbErr> {
    User::find_by_id(email.to_string()).one(db).await
}

pub async fn users(db: &impl ConnectionTrait, org: Option<&str>) -> Result<Vec<UserRow>, DbErr> {
    let mut q = User::find();
    if let Some(org) = org {
        q = q.filter(user::Column::OrgCode.eq(org));
    }
    q.order_by_asc(user::Column::Email).all(db).await
}

/// Records the outcome of a sign-in attempt.
pub async fn set_login_state(
    db: &impl ConnectionTrait,
    email: &str,
    failed_logins: i32,
    next_login_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(user::Column::FailedLogins, Expr::value(failed_logins))
        .col_expr(user::Column::NextLoginAt, Expr::value(next_login_at))
        .filter(user::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_grant(db: &impl ConnectionTrait, row: GrantRow) -> Result<(), DbErr> {
    AgencyGrant::insert(agency_grant::ActiveModel {
        id: Set(row.id),
        agency_org: Set(row.agency_org),
        enterprise_org: Set(row.enterprise_org),
        granted_by: Set(row.granted_by),
        granted_at: Set(row.granted_at),
        revoked_by: Set(row.revoked_by),
        revoked_at: Set(row.revoked_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_grant(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<GrantRow>, DbErr> {
    AgencyGrant::find_by_id(id).one(db).await
}

/// Revokes a grant that is still active; false if it was not.
pub async fn revoke_grant(
    db: &impl ConnectionTrait,
    id: Uuid,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = AgencyGrant::update_many()
        .col_expr(agency_grant::Column::RevokedBy, Expr::value(by))
        .col_expr(agency_grant::Column::RevokedAt, Expr::value(at))
        .filter(agency_grant::Column::Id.eq(id))
        .filter(agency_grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Grants touching an organisation (as agency or enterprise), or all with `None`.
pub async fn grants(db: &impl ConnectionTrait, org: Option<&str>) -> Result<Vec<GrantRow>, DbErr> {
    let mut q = AgencyGrant::find();
    if let Some(org) = org {
        q = q.filter(
            sea_orm::Condition::any()
                .add(agency_grant::Column::AgencyOrg.eq(org))
                .add(agency_grant::Column::EnterpriseOrg.eq(org)),
        );
    }
    q.order_by_asc(agency_grant::Column::GrantedAt)
        .all(db)
        .await
}

/// The enterprises that currently grant `agency` access.
pub async fn granting_enterprises(
    db: &impl ConnectionTrait,
    agency: &str,
) -> Result<Vec<String>, DbErr> {
    Ok(AgencyGrant::find()
        .filter(agency_grant::Column::AgencyOrg.eq(agency))
        .filter(agency_grant::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.enterprise_org)
        .collect())
}

/// What an admin changes about a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub roles: Option<String>,
    pub lang: Option<String>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
    /// Ends every token issued so far: the token version moves on.
    pub end_tokens: bool,
}

/// Changes a user; false if there is none. A new password also clears failed sign-ins.
pub async fn update_user(
    db: &impl ConnectionTrait,
    email: &str,
    change: UserChange,
) -> Result<bool, DbErr> {
    let mut q = User::update_many().filter(user::Column::Email.eq(email));
    if let Some(name) = change.name {
        q = q.col_expr(user::Column::Name, Expr::value(name));
    }
    if let Some(roles) = change.roles {
        q = q.col_expr(user::Column::Roles, Expr::value(roles));
    }
    if let Some(lang) = change.lang {
        q = q.col_expr(user::Column::Lang, Expr::value(lang));
    }
    if let Some(hash) = change.password_hash {
        q = q
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .col_expr(user::Column::FailedLogins, Expr::value(0))
            .col_expr(
                user::Column::NextLoginAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
    }
    if let Some(active) = change.active {
        q = q.col_expr(user::Column::Active, Expr::value(active));
    }
    if change.end_tokens {
        q = q.col_expr(
            user::Column::TokenVersion,
            Expr::col(user::Column::TokenVersion).add(1),
        );
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

pub use entity::login_throttle::Model as ThrottleRow;

/// The sign-in attempts of an e-mail address (created at zero on first use).
pub async fn throttle(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<ThrottleRow, DbErr> {
    use entity::login_throttle::{self, Entity as Throttle};
    if let Some(row) = Throttle::find_by_id(email.to_string()).one(db).await? {
        return Ok(row);
    }
    let row = ThrottleRow {
        email: email.to_string(),
        failures: 0,
        next_at: None,
        updated_at: now,
    };
    let inserted = Throttle::insert(login_throttle::ActiveModel {
        email: Set(row.email.clone()),
        failures: Set(0),
        next_at: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(login_throttle::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) | Err(DbErr::RecordNotInserted) => {}
        Err(e) => return Err(e),
    }
    Ok(Throttle::find_by_id(email.to_string())
        .one(db)
        .await?
        .unwrap_or(row))
}

/// Counts one more attempt, if nobody counted one since `seen` failures: a compare-and-swap, so
/// that concurrent attempts are counted one by one. False when another attempt got there first.
pub async fn count_attempt(
    db: &impl ConnectionTrait,
    email: &str,
    seen: i32,
    next_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use entity::login_throttle::{self, Entity as Throttle};
    let r = Throttle::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::value(seen + 1))
        .col_expr(login_throttle::Column::NextAt, Expr::value(next_at))
        .col_expr(login_throttle::Column::UpdatedAt, Expr::value(now))
        .filter(login_throttle::Column::Email.eq(email))
        .filter(login_throttle::Column::Failures.eq(seen))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A successful sign-in (or a new password) clears the count.
/// Remembers when and how a person last signed in on the web desk.
pub async fn record_sign_in(
    db: &impl ConnectionTrait,
    email: &str,
    at: DateTime<Utc>,
    method: &str,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(at))
        .col_expr(user::Column::LastSignInMethod, Expr::value(method))
        .filter(user::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn clear_attempts(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use entity::login_throttle::{self, Entity as Throttle};
    Throttle::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::value(0))
        .col_expr(
            login_throttle::Column::NextAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(login_throttle::Column::UpdatedAt, Expr::value(now))
        .filter(login_throttle::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}
