//! Turning notification effects into outbox rows, inside the transaction of the change that
//! caused them: recipients by role, each in their own language.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::clocks::ClockView;
use super::directory::{self, User};
use super::{App, AppError};
use crate::domain::directory::Lang;
use crate::domain::{Role, RoleSet};
use crate::engine::Definition;
use crate::store;
use crate::store::cases::CaseRow;
use crate::store::outbox::MailRow;

/// What a message is about.
pub struct About<'a> {
    pub def: &'a Definition,
    pub case: &'a CaseRow,
    pub actor: &'a str,
    pub comment: Option<&'a str>,
    /// The action's payload, listed in the message.
    pub payload: Option<&'a serde_json::Value>,
    pub clocks: &'a [ClockView],
    /// For deadline warnings: the clock's name and its last day.
    pub clock: Option<(&'a str, String)>,
}

/// The people to tell: for the applicant and agency roles, the users of the case's organisation
/// and of the agencies it granted access; for bureau roles, the users with that role who have
/// acted on the case, or every user with the role if none has yet.
pub async fn recipients(
    db: &impl ConnectionTrait,
    case: &CaseRow,
    roles: RoleSet,
) -> Result<Vec<User>, AppError> {
    let mut out: BTreeMap<String, User> = BTreeMap::new();
    if roles.contains(Role::Applicant) {
        for u in directory::users_with_roles(
            db,
            Some(&case.org),
            [Role::Applicant].into_iter().collect(),
        )
        .await?
        {
            out.insert(u.email.clone(), u);
        }
    }
    if roles.contains(Role::Agency) {
        for grant in store::directory::grants(db, Some(&case.org)).await? {
            if grant.revoked_at.is_none() && grant.enterprise_org == case.org {
                for u in directory::users_with_roles(
                    db,
                    Some(&grant.agency_org),
                    [Role::Agency].into_iter().collect(),
                )
                .await?
                {
                    out.insert(u.email.clone(), u);
                }
            }
        }
    }
    let bureau: Vec<Role> = roles
        .iter()
        .filter(|r| !matches!(r, Role::Applicant | Role::Agency))
        .collect();
    let mut holders_by_role = Vec::new();
    for role in bureau {
        let one: RoleSet = [role].into_iter().collect();
        let holders = directory::users_with_roles(db, None, one).await?;
        if !holders.is_empty() {
            holders_by_role.push((role, holders));
        }
    }
    if !holders_by_role.is_empty() {
        // Who acted on the case in which role: only needed when someone holds the role.
        let history = store::audit::of_case(db, case.id).await?;
        for (role, holders) in holders_by_role {
            let acted: Vec<&User> = holders
                .iter()
                .filter(|u| {
                    history.iter().any(|e| {
                        e.actor == u.email
                            && serde_json::from_str::<Vec<String>>(&e.roles)
                                .is_ok_and(|r| r.iter().any(|x| x == role.as_str()))
                    })
                })
                .collect();
            let chosen: Vec<&User> = if acted.is_empty() {
                holders.iter().collect()
            } else {
                acted
            };
            for u in chosen {
                out.insert(u.email.clone(), u.clone());
            }
        }
    }
    Ok(out.into_values().collect())
}

/// Writes one outbox row per recipient of `kind`, rendered in each recipient's language.
pub async fn enqueue(
    app: &App,
    db: &impl ConnectionTrait,
    kind: &str,
    roles: RoleSet,
    about: About<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let people = recipients(db, about.case, roles).await?;
    enqueue_to(app, db, kind, people, about, now).await
}

/// Tells the applicants of other organisations about a case they take part in (the bidders on
/// an auction lot).
pub async fn enqueue_orgs(
    app: &App,
    db: &impl ConnectionTrait,
    kind: &str,
    orgs: &[String],
    about: About<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut people = Vec::new();
    for org in orgs {
        people.extend(
            directory::users_with_roles(db, Some(org), [Role::Applicant].into_iter().collect())
                .await?,
        );
    }
    enqueue_to(app, db, kind, people, about, now).await
}

/// What the templates fill in, in one language: the workflow's, the state's and the clock's titles
/// and the payload's field titles come from the definition in that language.
fn variables<'a>(app: &App, about: &About<'_>, lang: Lang) -> HashMap<&'a str, String> {
    let def = about.def;
    let deadline = about
        .clocks
        .iter()
        .filter(|c| c.running)
        .filter_map(|c| c.due.map(|d| (d, c.name.clone())))
        .min()
        .map(|(d, name)| format!("{d} ({})", def.clock_title(&name, lang)))
        .unwrap_or_else(|| "-".into());
    let project = about
        .case
        .data
        .get("project_name")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let mut vars: HashMap<&str, String> = HashMap::from([
        (
            "project",
            if project.is_empty() {
                about.case.id.to_string()
            } else {
                project
            },
        ),
        ("case_id", about.case.id.to_string()),
        ("workflow", def.title.get(lang).to_string()),
        ("stage", def.state_title(&about.case.state, lang)),
        ("state", about.case.state.clone()),
        ("actor", about.actor.to_string()),
        ("comment", about.comment.unwrap_or("").to_string()),
        (
            "details",
            about
                .payload
                .map(|p| crate::domain::notice::details(p, |field| def.field_title(field, lang)))
                .unwrap_or_default(),
        ),
        ("deadline", deadline),
        (
            "link",
            format!(
                "{}/cases/{}",
                app.mail.public_url.trim_end_matches('/'),
                about.case.id
            ),
        ),
    ]);
    if let Some((clock, due)) = &about.clock {
        vars.insert("clock", def.clock_title(clock, lang));
        vars.insert("due", due.clone());
    }
    vars
}

/// Writes one outbox row per person, rendered in each one's language.
async fn enqueue_to(
    app: &App,
    db: &impl ConnectionTrait,
    kind: &str,
    people: Vec<User>,
    about: About<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    if people.is_empty() {
        return Ok(0);
    }
    let mut rows = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        let vars = variables(app, &about, lang);
        for person in people.iter().filter(|p| p.lang == lang) {
            let Some(r) = app.templates.render(kind, lang, &vars) else {
                return Err(AppError::Unexpected(anyhow::anyhow!(
                    "no notification template `{kind}`"
                )));
            };
            let id = Uuid::now_v7();
            rows.push(MailRow {
                id,
                message_id: format!("<{id}@{}>", app.mail.message_id_domain),
                case_id: Some(about.case.id),
                kind: kind.to_string(),
                recipient: person.email.clone(),
                lang: lang.as_str().to_string(),
                subject: r.subject,
                body_text: r.text,
                body_html: r.html,
                status: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                lease_until: None,
                claim: None,
                last_error: None,
                created_at: now,
                sent_at: None,
            });
        }
    }
    let n = rows.len();
    store::outbox::insert_many(db, rows).await?;
    Ok(n)
}
