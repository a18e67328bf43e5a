//! Sending the outbox: claim with a lease, send, mark. A crash between sending and marking makes
//! the lease run out and the message go again with the same Message-ID (at least once; the
//! receiver can drop the duplicate); nothing is lost.

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::idempotency::{finish, Idempotency};
use super::{App, AppError};
use crate::domain::Role;
use crate::engine::Actor;
use crate::mail::Mailer;
use crate::msg;
use crate::store;
use crate::store::outbox::MailRow;

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 6;
/// How long a claim holds a message without a heartbeat, on the database's clock: a sender that
/// dies frees its messages this soon, whatever the instances' own clocks say.
pub const LEASE_SECONDS: i64 = 60;
/// How often a sender renews the lease of the messages it is still sending.
pub const HEARTBEAT_SECONDS: u64 = 15;
const BATCH: u64 = 50;

/// The wait before attempt `n + 1` after `n` failures: 30 s, 1, 2, 4, 8 min ... up to 1 hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(10);
    Duration::seconds((30i64 << exp).min(3600))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sent {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Claims the due messages (committing the claim), then sends them. Which messages are due is
/// read on the service's clock (a manual clock moves it); leases on the database's.
pub async fn claim(app: &App) -> Result<Vec<MailRow>, AppError> {
    let now = app.clock.now();
    let tx = app.db.begin().await?;
    let db_now = store::db_now(&tx).await?;
    let lease = db_now + Duration::seconds(LEASE_SECONDS);
    let rows = store::outbox::claim(&tx, now, db_now, lease, BATCH).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Renews the lease of a claimed batch every [`HEARTBEAT_SECONDS`] until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(app: &App, claim: String) -> Heartbeat {
        let db = app.db.clone();
        Heartbeat(tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(HEARTBEAT_SECONDS));
            tick.tick().await;
            loop {
                tick.tick().await;
                let renewed = match store::db_now(&db).await {
                    Ok(t) => {
                        store::outbox::extend_lease(
                            &db,
                            &claim,
                            t + Duration::seconds(LEASE_SECONDS),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                match renewed {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not renew an outbox lease"),
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends one claimed message and records the outcome.
pub async fn deliver(app: &App, mailer: &Mailer, m: &MailRow) -> Result<Sent, AppError> {
    let claim = m.claim.clone().unwrap_or_default();
    match mailer.send(m).await {
        Ok(()) => {
            store::outbox::mark_sent(&app.db, m.id, &claim, app.clock.now()).await?;
            Ok(Sent {
                sent: 1,
                ..Sent::default()
            })
        }
        Err(e) => {
            let now: DateTime<Utc> = app.clock.now();
            let (status, out) = if m.attempts >= MAX_ATTEMPTS {
                tracing::error!(message = %m.message_id, to = %m.recipient, error = %e, "giving up on a message");
                (
                    "failed",
                    Sent {
                        failed: 1,
                        ..Sent::default()
                    },
                )
            } else {
                tracing::warn!(message = %m.message_id, to = %m.recipient, attempt = m.attempts, error = %e, "sending failed; will retry");
                (
                    "pending",
                    Sent {
                        retrying: 1,
                        ..Sent::default()
                    },
                )
            };
            store::outbox::mark_attempt_failed(
                &app.db,
                m.id,
                &claim,
                status,
                now + backoff(m.attempts),
                &e,
            )
            .await?;
            Ok(out)
        }
    }
}

/// Sends everything due now, batch by batch; while deadlines fall due in bulk
/// (`App::deadline_rush`), one batch only.
pub async fn send_due(app: &App, mailer: &Mailer) -> Result<Sent, AppError> {
    // Notices recorded by actions become messages first.
    super::notify::expand(app).await?;
    let mut total = Sent::default();
    loop {
        let batch = claim(app).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let _heartbeat = batch
            .first()
            .and_then(|m| m.claim.clone())
            .map(|c| Heartbeat::start(app, c));
        for m in &batch {
            let s = deliver(app, mailer, m).await?;
            total.sent += s.sent;
            total.retrying += s.retrying;
            total.failed += s.failed;
        }
        if total.retrying + total.failed > 0 && total.sent == 0 {
            // The transport is down: leave the rest for the next pass.
            return Ok(total);
        }
        if app.deadline_rush.load(std::sync::atomic::Ordering::Relaxed) {
            // Deadlines are falling due in bulk: their firing goes first, the rest waits for
            // a later pass.
            return Ok(total);
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MailView {
    pub id: Uuid,
    pub message_id: String,
    pub case_id: Option<Uuid>,
    pub kind: String,
    pub recipient: String,
    pub lang: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

fn view(m: MailRow) -> MailView {
    MailView {
        id: m.id,
        message_id: m.message_id,
        case_id: m.case_id,
        kind: m.kind,
        recipient: m.recipient,
        lang: m.lang,
        subject: m.subject,
        status: m.status,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    state: Option<&str>,
    case_id: Option<Uuid>,
) -> Result<Vec<MailView>, AppError> {
    super::require(actor, Role::Admin)?;
    if let Some(s) = state {
        if !["pending", "sending", "sent", "failed"].contains(&s) {
            let mut e = crate::domain::FieldErrors::default();
            e.add("state", msg!("err-outbox-status"));
            return Err(AppError::Validation(e));
        }
    }
    Ok(store::outbox::list(&app.db, state, case_id, 500)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Puts a failed message back in the queue (admin).
pub async fn retry(
    app: &App,
    actor: &Actor,
    id: Uuid,
    idem: Option<&Idempotency>,
) -> Result<MailView, AppError> {
    super::require(actor, Role::Admin)?;
    let now = app.clock.now();
    let tx = app.db.begin().await?;
    if !store::outbox::requeue(&tx, id, now).await? {
        let status = store::outbox::find(&tx, id).await?.map(|m| m.status);
        tx.rollback().await?;
        return match status {
            None => Err(AppError::NotFound(format!("message {id}"))),
            Some(s) => Err(AppError::NotFailed(s)),
        };
    }
    let message = store::outbox::find(&tx, id)
        .await?
        .map(view)
        .ok_or_else(|| AppError::NotFound(format!("message {id}")))?;
    finish(app, tx, actor, idem, message, now).await
}
