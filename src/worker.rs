//! The background worker inside the server: reloads the calendar, recomputes deadlines left on
//! an older calendar, fires due timers with several workers, and appends new audit entries to the
//! transparency log. Every instance runs one; row locks (and the log's advisory lock) keep them
//! apart.

use std::time::Duration;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::app::{calendars, deadlines, outbox, App};
use crate::mail::Mailer;

/// How often the worker looks for due timers.
pub const TICK: Duration = Duration::from_secs(1);

/// How often the transparency log's integrator looks for new audit entries: entries are in the
/// log within about this long of their commit (a full batch goes round again at once).
pub const LOG_TICK: Duration = Duration::from_millis(500);

/// The most ticks in a row the mail sender waits for a rush of deadlines.
const MAIL_WAIT_TICKS: u32 = 60;

/// One pass. Errors are logged, and the next pass tries again.
pub async fn tick(app: &App) {
    if let Err(e) = calendars::reload(app).await {
        tracing::warn!(error = %e, "reloading the calendar failed");
    }
    match calendars::recompute_stale(app).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deadlines = n,
            "recomputed deadlines for the current calendar"
        ),
        Err(e) => tracing::warn!(error = %e, "recomputing deadlines failed"),
    }
    fire(app).await;
}

async fn fire(app: &App) {
    match deadlines::fire_due(app).await {
        Ok(f) if f.fired + f.skipped + f.failed > 0 => {
            tracing::info!(
                fired = f.fired,
                skipped = f.skipped,
                failed = f.failed,
                "timers fired"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "firing timers failed"),
    }
}

/// Runs the timer loop, `timer_workers - 1` more timer workers beside it, and the mail sender
/// (so that a slow SMTP server never delays a deadline).
pub fn spawn(app: App, mailer: Arc<Mailer>, timer_workers: usize) -> tokio::task::JoinHandle<()> {
    let helpers: Vec<tokio::task::JoinHandle<()>> = (1..timer_workers.max(1))
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                loop {
                    fire(&app).await;
                    tokio::time::sleep(TICK).await;
                }
            })
        })
        .collect();
    let sender_app = app.clone();
    let sender = tokio::spawn(async move {
        let mut waited = 0;
        loop {
            // While the timer workers find deadlines due in bulk, the sender waits (a minute at
            // most): the deadlines' notices are in the outbox and go out once they have fired.
            if sender_app.deadline_rush.load(Ordering::Relaxed) && waited < MAIL_WAIT_TICKS {
                waited += 1;
                tokio::time::sleep(TICK).await;
                continue;
            }
            waited = 0;
            match outbox::send_due(&sender_app, &mailer).await {
                Ok(s) if s.sent + s.retrying + s.failed > 0 => {
                    tracing::info!(
                        sent = s.sent,
                        retrying = s.retrying,
                        failed = s.failed,
                        "outbox"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sending the outbox failed"),
            }
            tokio::time::sleep(TICK).await;
        }
    });
    let log_app = app.clone();
    let integrator = tokio::spawn(async move {
        loop {
            let full = match crate::app::tlog::integrate(&log_app).await {
                Ok(i) => {
                    if i.appended > 0 {
                        tracing::debug!(appended = i.appended, size = i.size, "log integrated");
                    }
                    i.appended >= crate::app::tlog::BATCH
                }
                Err(e) => {
                    tracing::warn!(error = %e, "integrating the transparency log failed");
                    false
                }
            };
            if !full {
                tokio::time::sleep(LOG_TICK).await;
            }
        }
    });
    tokio::spawn(async move {
        let _stop_sender_with_me = AbortOnDrop(sender);
        let _stop_integrator_with_me = AbortOnDrop(integrator);
        let _stop_helpers_with_me: Vec<AbortOnDrop> =
            helpers.into_iter().map(AbortOnDrop).collect();
        loop {
            tick(&app).await;
            tokio::time::sleep(TICK).await;
        }
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
