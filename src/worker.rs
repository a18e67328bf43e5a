//! The background worker inside the server: reloads the calendar, recomputes deadlines left on
//! an older calendar, and fires due timers. Every instance runs one; row locks keep them apart.

use std::time::Duration;

use crate::app::{calendars, deadlines, App};

/// How often the worker looks for due timers.
pub const TICK: Duration = Duration::from_secs(1);

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
    match deadlines::fire_due(app).await {
        Ok(f) if f.fired + f.skipped > 0 => {
            tracing::info!(fired = f.fired, skipped = f.skipped, "timers fired")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "firing timers failed"),
    }
}

pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            tick(&app).await;
        }
    })
}
