//! Notifications in two steps. In the transaction of the change: one notice per event, worded in
//! every language from what is true at that moment ([`notice`]). In the sender, outside that
//! transaction: the recipients, resolved from a cached directory, each get an outbox message in
//! their language ([`expand`]).

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
use crate::store::notices::NoticeRow;
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

/// Whom a notice is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// People in these roles on the case (see [`recipients`]).
    Roles(RoleSet),
    /// The applicants of these organisations (the bidders on an auction lot).
    Orgs(Vec<String>),
}

/// The directory as the sender needs it: every user and every grant in force, read once per
/// change of the directory (its version is the installation's audit stream counter, which every
/// directory change moves).
#[derive(Debug, Default)]
pub struct Directory {
    users: Vec<User>,
    grants: Vec<crate::store::directory::GrantRow>,
}

/// The cached [`Directory`] and the version it was read at.
#[derive(Default)]
pub struct DirectoryCache(std::sync::Mutex<Option<(i64, std::sync::Arc<Directory>)>>);

impl DirectoryCache {
    async fn get(&self, db: &impl ConnectionTrait) -> Result<std::sync::Arc<Directory>, AppError> {
        let version = store::counters::current(db, super::audit::INSTALLATION_COUNTER).await?;
        if let Some((v, d)) = self.0.lock().map_err(poisoned)?.as_ref() {
            if *v == version {
                return Ok(d.clone());
            }
        }
        let users = store::directory::users(db, None)
            .await?
            .into_iter()
            .map(directory::user_of)
            .collect();
        let grants = store::directory::grants(db, None)
            .await?
            .into_iter()
            .filter(|g| g.revoked_at.is_none())
            .collect();
        let fresh = std::sync::Arc::new(Directory { users, grants });
        *self.0.lock().map_err(poisoned)? = Some((version, fresh.clone()));
        Ok(fresh)
    }
}

fn poisoned<T>(_: T) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("the directory cache was poisoned"))
}

impl Directory {
    fn with_roles<'a>(
        &'a self,
        org: Option<&'a str>,
        roles: RoleSet,
    ) -> impl Iterator<Item = &'a User> {
        self.users.iter().filter(move |u| {
            org.is_none_or(|o| u.organisation == o)
                && RoleSet::parse(&u.roles).is_ok_and(|r| r.intersects(roles))
        })
    }
}

/// The people to tell: for the applicant and agency roles, the users of the case's organisation
/// and of the agencies it granted access; for bureau roles, the users with that role who have
/// acted on the case, or every user with the role if none has yet. `acted` is the case's
/// (actor, roles) pairs, read only when a bureau role is asked for.
fn recipients(dir: &Directory, org: &str, roles: RoleSet, acted: &[(String, String)]) -> Vec<User> {
    let mut out: BTreeMap<String, User> = BTreeMap::new();
    if roles.contains(Role::Applicant) {
        for u in dir.with_roles(Some(org), [Role::Applicant].into_iter().collect()) {
            out.insert(u.email.clone(), u.clone());
        }
    }
    if roles.contains(Role::Agency) {
        for grant in dir.grants.iter().filter(|g| g.enterprise_org == org) {
            for u in dir.with_roles(
                Some(&grant.agency_org),
                [Role::Agency].into_iter().collect(),
            ) {
                out.insert(u.email.clone(), u.clone());
            }
        }
    }
    for role in roles
        .iter()
        .filter(|r| !matches!(r, Role::Applicant | Role::Agency))
    {
        let holders: Vec<&User> = dir.with_roles(None, [role].into_iter().collect()).collect();
        let in_role: Vec<&User> = holders
            .iter()
            .copied()
            .filter(|u| {
                acted.iter().any(|(actor, r)| {
                    actor == &u.email
                        && serde_json::from_str::<Vec<String>>(r)
                            .is_ok_and(|r| r.iter().any(|x| x == role.as_str()))
                })
            })
            .collect();
        let chosen = if in_role.is_empty() { holders } else { in_role };
        for u in chosen {
            out.insert(u.email.clone(), u.clone());
        }
    }
    out.into_values().collect()
}

/// A notice of `kind` for `audience`, worded now in every language (what was true at this
/// moment), for the transaction of the change that causes it to record.
pub fn notice(
    app: &App,
    kind: &str,
    audience: Audience,
    about: About<'_>,
    now: DateTime<Utc>,
) -> Result<NoticeRow, AppError> {
    let mut vars = serde_json::Map::new();
    for lang in [Lang::Zh, Lang::En] {
        let v = variables(app, &about, lang);
        if app.templates.render(kind, lang, &v).is_none() {
            return Err(AppError::Unexpected(anyhow::anyhow!(
                "no notification template `{kind}`"
            )));
        }
        vars.insert(
            lang.as_str().to_string(),
            serde_json::to_value(v).map_err(|e| AppError::Unexpected(e.into()))?,
        );
    }
    let (roles, orgs) = match audience {
        Audience::Roles(r) => (r.names(), Vec::new()),
        Audience::Orgs(o) => (Vec::new(), o),
    };
    Ok(NoticeRow {
        id: Uuid::now_v7(),
        case_id: about.case.id,
        org: about.case.org.clone(),
        kind: kind.to_string(),
        roles: serde_json::Value::from(roles).to_string(),
        orgs: serde_json::Value::from(orgs).to_string(),
        vars: serde_json::Value::Object(vars).to_string(),
        status: "pending".into(),
        created_at: now,
    })
}

/// Notices turned into e-mails per sender pass.
const NOTICE_BATCH: u64 = 100;

/// Turns waiting notices into outbox messages, one per recipient in their language, in one
/// transaction per batch: a crash leaves the notices to the next pass, and nothing is lost.
/// While deadlines fall due in bulk (`App::deadline_rush`), one batch only. Answers the
/// messages written.
pub async fn expand(app: &App) -> Result<usize, AppError> {
    let mut written = 0;
    loop {
        let tx = sea_orm::TransactionTrait::begin(&app.db).await?;
        let notices = store::notices::claim(&tx, NOTICE_BATCH).await?;
        if notices.is_empty() {
            tx.commit().await?;
            return Ok(written);
        }
        let dir = app.directory.get(&tx).await?;
        let bureau_cases: Vec<Uuid> = notices
            .iter()
            .filter(|n| {
                serde_json::from_str::<Vec<String>>(&n.roles).is_ok_and(|r| {
                    r.iter()
                        .any(|x| x != Role::Applicant.as_str() && x != Role::Agency.as_str())
                })
            })
            .map(|n| n.case_id)
            .collect();
        let mut acted: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
        for (case_id, actor, roles) in store::audit::actors_of_cases(&tx, &bureau_cases).await? {
            acted.entry(case_id).or_default().push((actor, roles));
        }
        let mut rows = Vec::new();
        for n in &notices {
            let roles: Vec<String> = serde_json::from_str(&n.roles).unwrap_or_default();
            let orgs: Vec<String> = serde_json::from_str(&n.orgs).unwrap_or_default();
            let people = if orgs.is_empty() {
                let roles = RoleSet::parse(&roles).unwrap_or_default();
                recipients(
                    &dir,
                    &n.org,
                    roles,
                    acted.get(&n.case_id).map_or(&[], Vec::as_slice),
                )
            } else {
                orgs.iter()
                    .flat_map(|o| dir.with_roles(Some(o), [Role::Applicant].into_iter().collect()))
                    .cloned()
                    .collect()
            };
            let vars: HashMap<String, HashMap<String, String>> =
                serde_json::from_str(&n.vars).unwrap_or_default();
            rows.extend(messages(app, n, &vars, people)?);
        }
        written += rows.len();
        store::outbox::insert_many(&tx, rows).await?;
        let ids: Vec<Uuid> = notices.iter().map(|n| n.id).collect();
        store::notices::delete(&tx, &ids).await?;
        tx.commit().await?;
        if app.deadline_rush.load(std::sync::atomic::Ordering::Relaxed) {
            // Deadlines are falling due in bulk: one batch now, the rest on a later pass.
            return Ok(written);
        }
    }
}

/// One outbox row per person, rendered in each one's language from the notice's wording.
fn messages(
    app: &App,
    n: &NoticeRow,
    vars: &HashMap<String, HashMap<String, String>>,
    people: Vec<User>,
) -> Result<Vec<MailRow>, AppError> {
    let mut rows = Vec::new();
    for person in people {
        let lang = person.lang;
        let Some(v) = vars.get(lang.as_str()) else {
            continue;
        };
        let v: HashMap<&str, String> = v.iter().map(|(k, x)| (k.as_str(), x.clone())).collect();
        let Some(r) = app.templates.render(&n.kind, lang, &v) else {
            return Err(AppError::Unexpected(anyhow::anyhow!(
                "no notification template `{}`",
                n.kind
            )));
        };
        let id = Uuid::now_v7();
        rows.push(MailRow {
            id,
            message_id: format!("<{id}@{}>", app.mail.message_id_domain),
            case_id: Some(n.case_id),
            kind: n.kind.clone(),
            recipient: person.email.clone(),
            lang: lang.as_str().to_string(),
            subject: r.subject,
            body_text: r.text,
            body_html: r.html,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: n.created_at,
            lease_until: None,
            claim: None,
            last_error: None,
            created_at: n.created_at,
            sent_at: None,
        });
    }
    Ok(rows)
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
        (
            "comment",
            // A deadline's own words, in the reader's language, rather than the log's.
            match about
                .payload
                .and_then(|p| p.get("deadline"))
                .and_then(|d| d.get("clock"))
                .and_then(|c| c.as_str())
            {
                Some(clock) => app
                    .templates
                    .value_words("deadline_passed", lang)
                    .map(|w| w.replace("{clock}", &def.clock_title(clock, lang)))
                    .unwrap_or_default(),
                None => about.comment.unwrap_or("").to_string(),
            },
        ),
        (
            "details",
            about
                .payload
                .map(|p| {
                    crate::domain::notice::details(
                        p,
                        |field| {
                            def.field_title(field, lang)
                                .or_else(|| app.templates.field_title(field, lang))
                        },
                        |code| app.templates.value_words(code, lang),
                    )
                })
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
