//! Public disclosure. A transition whose action a workflow declares as publishing a notice
//! (`[[publish]]`) writes it in its own transaction: the notice's content (only the declared
//! fields, documents and decision) goes into the audit entry's payload, so that the case's
//! chain vouches for it, and into a `publications` row for the public pages. Anyone may read
//! notices and verify them, and comment during a notice's period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::clocks::CaseClocks;
use super::plan::Planned;
use super::{App, AppError};
use crate::domain::audit::canonical_json;
use crate::domain::calendar::{local_date, Calendar};
use crate::domain::directory::OrgKind;
use crate::domain::Msg;
use crate::engine::{Definition, NoticeKind, Step, Transition};
use crate::msg;
use crate::store;
use crate::store::publications::PublicationRow;

/// The public's comments on a case, when `transition` publishes a proposed decision (which
/// says how they were handled); `None` otherwise.
pub(crate) async fn comments_if_proposed(
    db: &impl sea_orm::ConnectionTrait,
    def: &Definition,
    case: uuid::Uuid,
    transition: &Transition,
) -> Result<Option<Vec<store::publications::CommentRow>>, AppError> {
    match def.publication_on(&transition.action) {
        Some(spec) if spec.notice == NoticeKind::ProposedDecision => {
            Ok(Some(store::publications::comments_of_case(db, case).await?))
        }
        _ => Ok(None),
    }
}

/// Who a notice names besides the case's own data: the enterprise (name and credit code) and
/// the EIA agency that prepared the file (the organisation of the person who opened the case,
/// when it is an agency). Read by [`parties_of`], for one case or a whole batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parties {
    pub enterprise: Option<store::directory::OrgRow>,
    pub agency: Option<String>,
}

/// The parties of many cases, in one query (the organisations of the cases and of the users who
/// opened them).
pub(crate) async fn parties_of(
    tx: &impl sea_orm::ConnectionTrait,
    cases: &[&store::cases::CaseRow],
) -> Result<std::collections::HashMap<uuid::Uuid, Parties>, AppError> {
    let mut emails: Vec<String> = cases.iter().map(|c| c.created_by.clone()).collect();
    emails.sort();
    emails.dedup();
    let mut codes: Vec<String> = cases.iter().map(|c| c.org.clone()).collect();
    codes.sort();
    codes.dedup();
    let (orgs, users_orgs) = store::directory::orgs_and_users_orgs(tx, &codes, &emails).await?;
    let orgs: std::collections::HashMap<String, store::directory::OrgRow> =
        orgs.into_iter().map(|o| (o.code.clone(), o)).collect();
    let users: std::collections::HashMap<String, store::directory::OrgRow> =
        users_orgs.into_iter().collect();
    Ok(cases
        .iter()
        .map(|c| {
            let agency = users
                .get(&c.created_by)
                .filter(|o| OrgKind::Agency.is(&o.kind))
                .map(|o| o.name.clone());
            let parties = Parties {
                enterprise: orgs.get(&c.org).cloned(),
                agency,
            };
            (c.id, parties)
        })
        .collect())
}

/// What writing a notice needs besides the case: its workflow, its clocks, the calendar and the
/// moment.
pub(crate) struct Making<'a> {
    pub def: &'a Definition,
    pub clocks: &'a CaseClocks,
    pub cal: &'a Calendar,
    pub now: DateTime<Utc>,
}

impl Making<'_> {
    /// The notice `transition` publishes, if its workflow declares one: pure. Adds the content
    /// to the planned audit entry (chaining it again, before anything is written) and answers
    /// the row to write with it. `comments` are the case's public comments, which a proposed
    /// decision reports (see [`comments_if_proposed`]).
    pub(crate) fn publish(
        &self,
        planned: &mut Planned,
        transition: &Transition,
        parties: &Parties,
        comments: Option<&[store::publications::CommentRow]>,
    ) -> Option<PublicationRow> {
        let spec = self.def.publication_on(&transition.action)?;
        Some(self.notice(spec, planned, parties, comments))
    }

    /// The notice a transition publishes under `spec`: pure. Adds the content to the planned
    /// audit entry (chaining it again) and answers the row to write with it. `comments` are the
    /// case's public comments, for a proposed decision.
    fn notice(
        &self,
        spec: &crate::engine::publication::Publication,
        planned: &mut Planned,
        parties: &Parties,
        comments: Option<&[store::publications::CommentRow]>,
    ) -> PublicationRow {
        let (def, now) = (self.def, self.now);
        let case = planned.updated.clone();
        let fields: Map<String, Value> = spec
            .fields
            .iter()
            .filter_map(|f| case.data.get(f).map(|v| (f.clone(), v.clone())))
            .collect();
        let org = parties.enterprise.as_ref();
        let enterprise = json!({
            "code": case.org,
            "name": org.map_or(case.org.as_str(), |o| o.name.as_str()),
            "credit_code": org.and_then(|o| o.credit_code.clone())
                .or_else(|| case.data.get("credit_code").and_then(Value::as_str).map(str::to_string)),
        });
        let agency = parties.agency.clone();
        let period = self.period(spec);
        let decision = decision(spec, &planned.history);
        let documents: Vec<Value> = planned
            .record
            .documents
            .iter()
            .filter(|d| {
                d.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| spec.documents.iter().any(|s| s == n))
            })
            .cloned()
            .collect();
        // A proposed decision says how the public's comments were handled.
        let handled = comments.map(|comments| {
            let mut answers: Vec<String> =
                comments.iter().filter_map(|c| c.handling.clone()).collect();
            answers.dedup();
            json!({"received": comments.len(), "answers": answers})
        });
        let content = json!({
            "title": super::plan::title_of(&case.data).unwrap_or_default(),
            "public_comments": handled,
            "kind": spec.notice.as_str(),
            "workflow": def.key,
            "fields": fields,
            "enterprise": enterprise,
            "agency": agency,
            "received": case.submitted_at.map(|t| local_date(t).to_string()),
            "published": local_date(now).to_string(),
            "period": period,
            "comments": spec.comments,
            "decision": decision,
            "reference": case.reference,
            "documents": documents,
        });
        let mut facts = Map::new();
        facts.insert("notice".into(), content.clone());
        let hash = planned.add_facts(facts);
        let shown = Shown::of(&content);
        PublicationRow {
            id: Uuid::now_v7(),
            case_id: case.id,
            kind: spec.notice.as_str().to_string(),
            seq: planned.record.seq,
            hash,
            published_at: now,
            title: shown.title,
            enterprise: shown.enterprise,
            place: shown.place,
            period_clock: spec.period.clone(),
            period_from: period_field(&content, "from"),
            period_to: period_field(&content, "to"),
            content: canonical_json(&content),
        }
    }
}

impl Making<'_> {
    /// The period a notice announces: from the next working day to the last day of the clock
    /// the transition starts.
    fn period(&self, spec: &crate::engine::publication::Publication) -> Option<Value> {
        let name = spec.period.as_deref()?;
        let clock = self.def.clock(name)?;
        let last = self.clocks.row(name)?.due_date.clone()?;
        let (first, _) = self.cal.nth_after(local_date(self.now), 1, clock.day_type);
        Some(json!({
            "clock": name,
            "from": first.to_string(),
            "to": last,
            "days": clock.limit_days,
            "day_type": clock.day_type,
        }))
    }
}

/// The decision a notice reports: the latest step among the spec's decisions, with the payload
/// fields it shows.
fn decision(spec: &crate::engine::publication::Publication, history: &[Step]) -> Option<Value> {
    let s = history
        .iter()
        .rev()
        .find(|s| spec.decision.contains(&s.action))?;
    let shown: Map<String, Value> = spec
        .payload
        .iter()
        .filter_map(|f| s.payload.get(f).map(|v| (f.clone(), v.clone())))
        .collect();
    Some(json!({"action": s.action, "at": s.at, "payload": shown}))
}

fn period_field(content: &Value, key: &str) -> Option<String> {
    content["period"][key].as_str().map(str::to_string)
}

// ------------------------------------------------------------------ reading

/// Where a notice's period stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Period {
    /// No period.
    None,
    /// Not begun yet (the period starts the day after publication).
    Before {
        first: NaiveDate,
        last: NaiveDate,
    },
    /// Running: the working (or calendar) days left, today included.
    Open {
        first: NaiveDate,
        last: NaiveDate,
        days_left: u32,
    },
    Closed {
        first: NaiveDate,
        last: NaiveDate,
    },
}

/// A published notice, as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicNotice {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: NoticeKind,
    pub title: String,
    pub enterprise: String,
    pub place: String,
    pub published_at: DateTime<Utc>,
    /// The position and SHA-256 of the audit entry that published it.
    pub seq: i64,
    pub hash: String,
    pub period: Period,
    pub content: Value,
    /// Comments received so far (the count only).
    pub comments_received: u64,
}

impl PublicNotice {
    pub fn open_for_comments(&self) -> bool {
        self.content["comments"].as_bool() == Some(true)
            && matches!(self.period, Period::Open { .. } | Period::Before { .. })
    }
}

fn period_of(row: &PublicationRow, content: &Value, cal: &Calendar, today: NaiveDate) -> Period {
    let parse = |s: &Option<String>| s.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
    let (Some(first), Some(last)) = (parse(&row.period_from), parse(&row.period_to)) else {
        return Period::None;
    };
    if today < first {
        return Period::Before { first, last };
    }
    if today > last {
        return Period::Closed { first, last };
    }
    let day_type = serde_json::from_value(content["period"]["day_type"].clone())
        .unwrap_or(crate::domain::calendar::DayType::Working);
    let yesterday = today.pred_opt().unwrap_or(today);
    let (days_left, _) = cal.count(yesterday, last, day_type);
    Period::Open {
        first,
        last,
        days_left,
    }
}

fn public_notice(app: &App, row: PublicationRow, comments: u64) -> Result<PublicNotice, AppError> {
    let content: Value =
        serde_json::from_str(&row.content).map_err(|e| AppError::Unexpected(e.into()))?;
    let today = local_date(app.clock.now());
    let period = period_of(&row, &content, &app.calendar.get(), today);
    Ok(PublicNotice {
        id: row.id,
        case_id: row.case_id,
        kind: NoticeKind::parse(&row.kind).unwrap_or(NoticeKind::Acceptance),
        title: row.title,
        enterprise: row.enterprise,
        place: row.place,
        published_at: row.published_at,
        seq: row.seq,
        hash: row.hash,
        period,
        content,
        comments_received: comments,
    })
}

/// One published notice (404 for anything else).
pub async fn notice(app: &App, id: Uuid) -> Result<PublicNotice, AppError> {
    let row = store::publications::find(&app.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("notice {id}")))?;
    let comments = store::publications::comment_count(&app.db, id).await?;
    public_notice(app, row, comments)
}

/// What the bulletin is asked for.
#[derive(Debug, Clone, Default)]
pub struct BulletinQuery {
    pub kind: Option<NoticeKind>,
    pub text: Option<String>,
    pub place: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: u64,
    pub per_page: u64,
}

pub const MAX_PER_PAGE: u64 = 200;

fn filter_of(q: &BulletinQuery) -> store::publications::Filter {
    store::publications::Filter {
        kind: q.kind.map(|k| k.as_str().to_string()),
        text: q.text.clone().filter(|t| !t.trim().is_empty()),
        place: q.place.clone().filter(|t| !t.trim().is_empty()),
        from: q.from.map(crate::domain::calendar::start_of),
        to: q
            .to
            .and_then(|d| d.succ_opt())
            .map(crate::domain::calendar::start_of),
    }
}

/// One page of notices, newest first (feeds and downloads need no total).
pub async fn latest(app: &App, q: &BulletinQuery) -> Result<Vec<PublicNotice>, AppError> {
    let per_page = q.per_page.clamp(1, MAX_PER_PAGE);
    store::publications::list(&app.db, &filter_of(q), q.page.max(1), per_page)
        .await?
        .into_iter()
        .map(|r| public_notice(app, r, 0))
        .collect()
}

/// The totals of the bulletin's unfiltered tabs, each kept for a second: counting every notice
/// on each request of the most visited page would cost more than the page itself. With them, a
/// generation that moves with every publication and every comment this instance records, so
/// that what keeps public pages (the totals here, rendered pages in the web layer) starts again.
#[derive(Default)]
pub struct CountCache {
    counts:
        std::sync::Mutex<std::collections::HashMap<Option<NoticeKind>, (std::time::Instant, u64)>>,
    generation: std::sync::atomic::AtomicU64,
}

impl CountCache {
    /// What the public sees changed (a notice published, a comment received).
    pub(crate) fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut counts) = self.counts.lock() {
            counts.clear();
        }
    }

    /// Moves whenever what the public sees changed on this instance.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const COUNT_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// One page of notices, newest first, and how many match (for a tab without filters, as
/// counted at most a second ago).
pub async fn bulletin(app: &App, q: &BulletinQuery) -> Result<(Vec<PublicNotice>, u64), AppError> {
    let filter = filter_of(q);
    let plain = filter.text.is_none()
        && filter.place.is_none()
        && filter.from.is_none()
        && filter.to.is_none();
    let cached = plain
        .then(|| {
            let counts = app.bulletin_counts.counts.lock().ok()?;
            counts
                .get(&q.kind)
                .filter(|(at, _)| at.elapsed() < COUNT_FOR)
                .map(|(_, n)| *n)
        })
        .flatten();
    let total = match cached {
        Some(n) => n,
        None => {
            let n = store::publications::count(&app.db, &filter).await?;
            if plain {
                if let Ok(mut counts) = app.bulletin_counts.counts.lock() {
                    counts.insert(q.kind, (std::time::Instant::now(), n));
                }
            }
            n
        }
    };
    Ok((latest(app, q).await?, total))
}

/// The result of checking a notice against its case's chain.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub holds: bool,
    /// Entries recomputed (1 to the publishing entry).
    pub entries: i64,
    /// Where it breaks, if it does: the entry's position and what is wrong.
    pub broken_at: Option<i64>,
    pub problem: Option<Msg>,
    /// The publishing entry in the public transparency log, checked against the latest signed
    /// checkpoint; `None` until the log holds it (within about a second of publication).
    pub log: Option<super::tlog::InLog>,
}

/// What a notice's heading, the bulletin, the feeds and the CSV show of it, read from its chained
/// content: one function for writing the columns and for verifying them.
#[derive(Debug, PartialEq, Eq)]
struct Shown {
    title: String,
    enterprise: String,
    place: String,
}

impl Shown {
    fn of(content: &Value) -> Shown {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let fields = &content["fields"];
        let title = content
            .get("title")
            .or_else(|| fields.get("project_name"))
            .or_else(|| fields.get("plan_name"))
            .map(text)
            .unwrap_or_default();
        Shown {
            title,
            enterprise: text(&content["enterprise"]["name"]),
            place: text(&fields["place"]),
        }
    }
}

/// Recomputes the case's chain from its first entry up to the one that published the notice,
/// and checks that this entry carries the notice as published, and that what the notice's
/// heading, the bulletin, the feeds and the CSV show (title, enterprise, place) is what it
/// carries.
pub async fn verify(app: &App, id: Uuid) -> Result<Verification, AppError> {
    let row = store::publications::find(&app.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("notice {id}")))?;
    let entries = store::audit::of_case_until(&app.db, row.case_id, row.seq).await?;
    let broken = |seq: i64, problem: Msg| Verification {
        holds: false,
        entries: row.seq,
        broken_at: Some(seq),
        problem: Some(problem),
        log: None,
    };
    let mut prev = crate::domain::audit::GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq != expected {
            return Ok(broken(expected, msg!("verify-problem-missing")));
        }
        if e.prev_hash != prev {
            return Ok(broken(e.seq, msg!("verify-problem-order")));
        }
        match super::audit::recompute(e) {
            Ok(h) if h == e.hash => {}
            Ok(_) => return Ok(broken(e.seq, msg!("verify-problem-hash"))),
            Err(why) => return Ok(broken(e.seq, msg!("audit-broken-unreadable", detail = why))),
        }
        prev = e.hash.clone();
    }
    let Some(last) = entries.last().filter(|e| e.seq == row.seq) else {
        return Ok(broken(row.seq, msg!("verify-problem-no-entry")));
    };
    if last.hash != row.hash {
        return Ok(broken(row.seq, msg!("verify-problem-other-hash")));
    }
    let payload: Value = serde_json::from_str(&last.payload).unwrap_or(Value::Null);
    let published: Value = serde_json::from_str(&row.content).unwrap_or(Value::Null);
    if payload.get("notice") != Some(&published) {
        return Ok(broken(row.seq, msg!("verify-problem-content")));
    }
    let columns = Shown {
        title: row.title.clone(),
        enterprise: row.enterprise.clone(),
        place: row.place.clone(),
    };
    if columns != Shown::of(&published) {
        return Ok(broken(row.seq, msg!("verify-problem-shown")));
    }
    let log = super::tlog::entry_in_log(app, row.case_id, row.seq, &last.hash).await?;
    if log.as_ref().is_some_and(|l| !l.included) {
        return Ok(Verification {
            log,
            ..broken(row.seq, msg!("verify-problem-log"))
        });
    }
    Ok(Verification {
        holds: true,
        entries: row.seq,
        broken_at: None,
        problem: None,
        log,
    })
}

// ------------------------------------------------------------------ comments

/// A comment from the public, as entered.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub name: String,
    pub contact: String,
    pub text: String,
    /// A field people do not see; only software fills it in.
    pub website: String,
}

pub const MAX_COMMENT_CHARS: usize = 2000;
/// Comments one address may leave on one notice in an hour.
pub const COMMENTS_PER_HOUR: usize = 5;

/// What a person is told after commenting.
#[derive(Debug, Clone, Serialize)]
pub struct CommentReceipt {
    pub id: Uuid,
    pub notice: Uuid,
    pub at: DateTime<Utc>,
}

fn check_text(
    errors: &mut crate::domain::FieldErrors,
    field: &str,
    text: &str,
    max: usize,
    required: bool,
) {
    let n = text.chars().count();
    if required && text.trim().is_empty() {
        errors.add(field, msg!("err-required"));
    } else if n > max {
        errors.add(field, msg!("err-at-most", max = max));
    } else if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.add(field, msg!("err-control-characters"));
    }
}

fn check_comment(c: &NewComment) -> Result<(), AppError> {
    let mut errors = crate::domain::FieldErrors::default();
    check_text(&mut errors, "name", &c.name, 100, true);
    check_text(&mut errors, "contact", &c.contact, 200, false);
    check_text(&mut errors, "text", &c.text, MAX_COMMENT_CHARS, true);
    if !c.website.is_empty() {
        errors.add("website", msg!("err-leave-empty"));
    }
    errors.into_result().map_err(AppError::Validation)
}

/// Records a comment on a notice during its period: with the case (in its audit chain) and
/// for the reviewers; never shown to the public. At most [`COMMENTS_PER_HOUR`] per address and
/// notice in any hour.
pub async fn comment(
    app: &App,
    id: Uuid,
    input: NewComment,
    address: &str,
) -> Result<CommentReceipt, AppError> {
    use sea_orm::TransactionTrait;
    let notice = notice(app, id).await?;
    if notice.content["comments"].as_bool() != Some(true) {
        return Err(AppError::PeriodClosed(msg!("err-no-comments-taken")));
    }
    if !notice.open_for_comments() {
        return Err(AppError::PeriodClosed(msg!("err-comment-period-ended")));
    }
    check_comment(&input)?;
    let now = crate::domain::audit::to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    // The case's row is locked first: comments on one case queue, and the count below sees
    // every earlier one.
    let Some(locked) = store::cases::bump(&tx, notice.case_id, now).await? else {
        return Err(AppError::NotFound(format!("notice {id}")));
    };
    let hour_ago = now - chrono::Duration::hours(1);
    let recent = store::publications::recent_from(&tx, id, address, hour_ago).await?;
    if recent.len() >= COMMENTS_PER_HOUR {
        let oldest = recent.first().copied().unwrap_or(now);
        let wait = (oldest + chrono::Duration::hours(1) - now)
            .num_seconds()
            .max(1);
        return Err(AppError::TooManyComments {
            retry_after_seconds: wait,
        });
    }
    let comment_id = Uuid::now_v7();
    let contact = Some(input.contact.trim().to_string()).filter(|c| !c.is_empty());
    let public = crate::engine::Actor::person("public", "", Default::default());
    // The name and contact stay with the bureau (in the comments table): the case's history is
    // read by the enterprise too.
    let payload = json!({
        "notice": id,
        "comment": comment_id,
        "text": input.text,
    });
    super::audit::append_event(&tx, &locked, &public, "public_comment", payload, now).await?;
    store::publications::insert_comment(
        &tx,
        store::publications::CommentRow {
            id: comment_id,
            publication_id: id,
            case_id: notice.case_id,
            name: input.name.trim().to_string(),
            contact,
            text: input.text,
            address: address.to_string(),
            at: now,
            handling: None,
            handled_by: None,
            handled_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    app.bulletin_counts.changed();
    Ok(CommentReceipt {
        id: comment_id,
        notice: id,
        at: now,
    })
}

/// The notices a case has published, oldest first, for those who may see the case.
pub async fn of_case(
    app: &App,
    actor: &crate::engine::Actor,
    case_id: Uuid,
) -> Result<Vec<(Uuid, NoticeKind, DateTime<Utc>)>, AppError> {
    let case = super::load::open(app, actor, case_id).await?;
    notices_of(app, &case).await
}

/// The notices published on a case already read for this request: id, kind, moment.
pub async fn notices_of(
    app: &App,
    case: &super::load::Visible,
) -> Result<Vec<(Uuid, NoticeKind, DateTime<Utc>)>, AppError> {
    Ok(store::publications::of_case(&app.db, case.id())
        .await?
        .into_iter()
        .filter_map(|p| Some((p.id, NoticeKind::parse(&p.kind)?, p.published_at)))
        .collect())
}

/// A comment as the case's people see it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComment {
    pub id: Uuid,
    pub notice: Uuid,
    pub kind: NoticeKind,
    /// The commenter's name and words: for the bureau's people only (reviewers, deciding
    /// officials, auditors, administrators); the enterprise sees that a comment came and the
    /// bureau's answer.
    pub name: Option<String>,
    pub contact: Option<String>,
    pub text: Option<String>,
    pub at: DateTime<Utc>,
    pub handling: Option<String>,
    pub handled_by: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
}

/// The comments on a case's notices, for those who may see the case (contacts only for the
/// bureau's people).
pub async fn comments_of_case(
    app: &App,
    actor: &crate::engine::Actor,
    case_id: Uuid,
) -> Result<Vec<CaseComment>, AppError> {
    let case = super::load::open(app, actor, case_id).await?;
    comments_of(app, actor, &case).await
}

/// The public's comments on a case already read for this request, as `actor` may see them.
pub async fn comments_of(
    app: &App,
    actor: &crate::engine::Actor,
    case: &super::load::Visible,
) -> Result<Vec<CaseComment>, AppError> {
    let case_id = case.id();
    use crate::domain::Role;
    let bureau = actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Reviewer | Role::Approver));
    let oversight = bureau
        || actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::Auditor | Role::Admin));
    let kinds: std::collections::HashMap<Uuid, NoticeKind> =
        store::publications::of_case(&app.db, case_id)
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    NoticeKind::parse(&p.kind).unwrap_or(NoticeKind::Acceptance),
                )
            })
            .collect();
    Ok(store::publications::comments_of_case(&app.db, case_id)
        .await?
        .into_iter()
        .map(|c| CaseComment {
            id: c.id,
            notice: c.publication_id,
            kind: kinds
                .get(&c.publication_id)
                .copied()
                .unwrap_or(NoticeKind::Acceptance),
            name: Some(c.name).filter(|_| oversight),
            contact: c.contact.filter(|_| bureau),
            text: Some(c.text).filter(|_| oversight),
            at: c.at,
            handling: c.handling,
            handled_by: c.handled_by,
            handled_at: c.handled_at,
        })
        .collect())
}

/// A reviewer records how a comment was handled (in the case's audit chain too).
pub async fn handle_comment(
    app: &App,
    actor: &crate::engine::Actor,
    case_id: Uuid,
    comment_id: Uuid,
    handling: &str,
) -> Result<(), AppError> {
    use sea_orm::TransactionTrait;
    super::require(actor, crate::domain::Role::Reviewer)?;
    super::load::load_visible(app, actor, case_id).await?;
    let mut errors = crate::domain::FieldErrors::default();
    check_text(&mut errors, "handling", handling, MAX_COMMENT_CHARS, true);
    errors.into_result().map_err(AppError::Validation)?;
    let found = store::publications::find_comment(&app.db, comment_id)
        .await?
        .filter(|c| c.case_id == case_id)
        .ok_or_else(|| AppError::NotFound(format!("comment {comment_id}")))?;
    let now = crate::domain::audit::to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    let Some(locked) = store::cases::bump(&tx, case_id, now).await? else {
        return Err(AppError::NotFound(format!("case {case_id}")));
    };
    let payload = json!({"comment": found.id, "handling": handling.trim()});
    super::audit::append_event(&tx, &locked, actor, "handle_comment", payload, now).await?;
    store::publications::set_handling(&tx, found.id, handling.trim(), &actor.subject, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A document a notice published (by name): its metadata and where its bytes are. Only the
/// version the notice recorded, and only if the notice lists it.
pub async fn document(
    app: &App,
    id: Uuid,
    name: &str,
) -> Result<(super::documents::DocumentView, std::path::PathBuf), AppError> {
    let n = notice(app, id).await?;
    let listed = n.content["documents"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["name"].as_str() == Some(name)))
        .ok_or_else(|| AppError::NotFound(format!("document {name}")))?;
    let version = listed["version"].as_i64().unwrap_or_default();
    let sha = listed["sha256"].as_str().unwrap_or_default();
    let doc = store::documents::of_case(&app.db, n.case_id)
        .await?
        .into_iter()
        .find(|d| d.name == name && i64::from(d.version) == version && d.sha256 == sha)
        .ok_or_else(|| AppError::NotFound(format!("document {name}")))?;
    let path = app.files.path_of(&doc.sha256);
    Ok((super::documents::view(doc), path))
}
