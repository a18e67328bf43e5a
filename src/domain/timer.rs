//! The states of a deadline's timer, named once: the store writes them, the use cases filter
//! by them, the API documents them.

/// Where a timer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerState {
    /// Waiting for its moment.
    Pending,
    /// Taken by a worker that is firing it now (a worker that dies leaves it to be taken again).
    Claimed,
    /// Its warning was sent or its expiry action taken.
    Fired,
    /// Its clock had moved on when it fell due (another run, paused, a recomputed date).
    Skipped,
    /// Its firing failed; it waits for an administrator.
    Failed,
    /// Its clock stopped or restarted before it fell due.
    Cancelled,
}

impl TimerState {
    pub const ALL: [TimerState; 6] = [
        TimerState::Pending,
        TimerState::Claimed,
        TimerState::Fired,
        TimerState::Skipped,
        TimerState::Failed,
        TimerState::Cancelled,
    ];

    /// The name stored and shown in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimerState::Pending => "pending",
            TimerState::Claimed => "claimed",
            TimerState::Fired => "fired",
            TimerState::Skipped => "skipped",
            TimerState::Failed => "failed",
            TimerState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TimerState> {
        TimerState::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for t in TimerState::ALL {
            assert_eq!(TimerState::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).expect("json"),
                serde_json::json!(t.as_str())
            );
        }
        assert_eq!(TimerState::parse("due"), None);
    }
}
