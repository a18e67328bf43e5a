//! Use cases: one async function each. This layer loads, asks the pure engine, and writes the
//! new state together with its audit entry **in one transaction**. It is the only layer that
//! opens transactions.

pub mod audit;
pub mod bench;
pub mod bureau;
pub mod calendars;
pub mod case_file;
pub mod cases;
pub mod classify;
pub mod clocks;
pub mod deadlines;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod group;
pub mod idempotency;
pub mod inbox;
pub mod licence;
pub mod links;
pub mod load;
pub mod market;
pub mod notify;
pub mod outbox;
pub mod plan;
pub mod publish;
pub mod registry;
pub mod sessions;
pub mod siting;
pub mod stats;
pub mod timeline;
pub mod tlog;
pub mod workflows;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::classification::Catalogues;
use crate::domain::notice::Templates;
use crate::domain::{FieldErrors, Msg};
use crate::engine::TransitionError;
use crate::msg;
pub use calendars::CalendarCache;
pub use workflows::Registry;

/// Where the current time comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The manual clock, when this is one.
    fn manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (`GREENLANE_CLOCK=manual`; tests and demonstrations).
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `t`; it never goes backwards.
    pub fn set(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if t < *now {
            let mut e = FieldErrors::default();
            e.add("set", msg!("err-clock-backwards", now = *now));
            return Err(AppError::Validation(e));
        }
        *now = t;
        Ok(t)
    }

    pub fn advance(&self, seconds: i64) -> Result<DateTime<Utc>, AppError> {
        if seconds < 0 {
            let mut e = FieldErrors::default();
            e.add("advance_seconds", msg!("err-negative"));
            return Err(AppError::Validation(e));
        }
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        let moved = Duration::try_seconds(seconds)
            .and_then(|d| now.checked_add_signed(d))
            .filter(|t| t.year() <= 9999)
            .ok_or_else(|| AppError::invalid("advance_seconds", msg!("err-clock-too-far")))?;
        *now = moved;
        Ok(moved)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn manual(&self) -> Option<&ManualClock> {
        Some(self)
    }
}

/// Refuses an actor who does not hold `role`.
pub(crate) fn require(
    actor: &crate::engine::Actor,
    role: crate::domain::Role,
) -> Result<(), AppError> {
    if actor.roles.contains(role) {
        return Ok(());
    }
    let name = role.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Err(AppError::Forbidden(format!("{article} {name}")))
}

/// Everything a use case needs. Cheap to clone; stateless apart from the database and caches
/// that are reloaded from it.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub workflows: Arc<Registry>,
    pub clock: Arc<dyn Clock>,
    pub calendar: Arc<CalendarCache>,
    /// Timer workers fire side by side under its read half (row locks keep them, and other
    /// instances, apart); a clock move takes the write half, so that it answers only when
    /// everything it made due has fired.
    pub timer_lock: Arc<tokio::sync::RwLock<()>>,
    /// Set while this instance's timer workers keep finding full batches of due deadlines (a
    /// mass expiry): the mail sender waits meanwhile, for at most a minute at a time, so that
    /// the deadlines the law sets take effect first (`outbox::send_due`, `worker`).
    pub deadline_rush: Arc<std::sync::atomic::AtomicBool>,
    /// Notification templates (`workflows/templates/notifications.toml`).
    pub templates: Arc<Templates>,
    /// The editions of the EIA classification catalogue (`workflows/classification/*.toml`).
    pub classification: Arc<Catalogues>,
    /// River lines and waterfront siting rules (`workflows/geo/`).
    pub siting: Arc<siting::Siting>,
    pub mail: Arc<MailSettings>,
    /// The directory as the mail sender reads it, kept until the directory changes.
    pub directory: Arc<notify::DirectoryCache>,
    /// How many notices each tab of the public bulletin lists, for a second.
    pub bulletin_counts: Arc<publish::CountCache>,
    /// Where document bytes are kept.
    pub files: Arc<documents::FileStore>,
    /// The bureau that publishes, and its contact (`workflows/public/bureau.toml`).
    pub bureau: Arc<bureau::Bureau>,
    /// The public transparency log's origin and signing key (unsigned until the server sets it).
    pub log: Arc<tlog::Log>,
    /// When set, people's actions are written in groups (`group`); otherwise each in its own
    /// transaction.
    pub group: Option<Arc<group::GroupCommit>>,
}

/// What notifications need to know about the installation.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The base of links in messages.
    pub public_url: String,
    /// The domain part of Message-IDs.
    pub message_id_domain: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            public_url: "http://127.0.0.1:8080".into(),
            message_id_domain: "greenlane.invalid".into(),
        }
    }
}

impl App {
    /// Deploys the workflows in `workflows_dir`, seeds the calendars in `workflows_dir/calendars`,
    /// and loads what is in force.
    pub async fn start(
        db: DatabaseConnection,
        workflows_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        let files = documents::FileStore::new(std::path::PathBuf::from("data/documents"), 20 << 20);
        Self::start_with(db, workflows_dir, clock, MailSettings::default(), files).await
    }

    pub async fn start_with(
        db: DatabaseConnection,
        workflows_dir: &Path,
        clock: Arc<dyn Clock>,
        mail: MailSettings,
        files: documents::FileStore,
    ) -> anyhow::Result<App> {
        let templates_file = workflows_dir.join("templates").join("notifications.toml");
        let source = std::fs::read_to_string(&templates_file)
            .map_err(|e| anyhow::anyhow!("{}: {e}", templates_file.display()))?;
        let templates = Templates::parse("templates/notifications.toml", &source)
            .map_err(|e| anyhow::anyhow!(e.join("\n")))?;
        let registry = workflows::deploy(&db, workflows_dir, clock.as_ref()).await?;
        let missing: Vec<String> = registry
            .notification_kinds()
            .into_iter()
            .filter(|k| !templates.has(k))
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "templates/notifications.toml has no template for: {}",
                missing.join(", ")
            );
        }
        let classification = classify::load_editions(&workflows_dir.join("classification"))
            .map_err(|e| anyhow::anyhow!(e.join("\n")))?;
        let siting = siting::Siting::load(&workflows_dir.join("geo"))?;
        calendars::seed(&db, &workflows_dir.join("calendars"), clock.now()).await?;
        let calendar = calendars::load(&db).await?;
        let bureau = bureau::Bureau::load(workflows_dir)?;
        Ok(App {
            db,
            workflows: Arc::new(registry),
            clock,
            calendar: Arc::new(CalendarCache::new(calendar)),
            timer_lock: Arc::new(tokio::sync::RwLock::new(())),
            deadline_rush: Default::default(),
            templates: Arc::new(templates),
            classification: Arc::new(classification),
            siting: Arc::new(siting),
            mail: Arc::new(mail),
            directory: Arc::new(notify::DirectoryCache::default()),
            bulletin_counts: Arc::new(publish::CountCache::default()),
            files: Arc::new(files),
            bureau: Arc::new(bureau),
            log: Arc::new(tlog::Log::default()),
            group: None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("unknown workflow `{0}`")]
    UnknownWorkflow(String),
    #[error("the case is at version {actual}, not {expected}")]
    Conflict { expected: i64, actual: i64 },
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("only {0} may do this")]
    Forbidden(String),
    #[error("{0}")]
    ClockNotManual(String),
    #[error("only what failed can be retried; this is {0}")]
    NotFailed(String),
    #[error("files of type `{0}` are not accepted")]
    UnsupportedType(String),
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Insufficient(Msg),
    #[error("{0}")]
    AlreadyExists(Msg),
    /// A rule refuses this party, for a reason the caller can act on.
    #[error("{1}")]
    Refused(Refusal, Msg),
    #[error("{0}")]
    AlreadySettled(Msg),
    #[error("the e-mail address or the password is wrong")]
    InvalidCredentials,
    /// Too much at once (uploads waiting for a slot): try again in this many seconds.
    #[error("busy; try again in {0} s")]
    Busy(i64),
    #[error("too many failed attempts; try again in {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: i64 },
    /// A comment outside a notice's period, or on a notice that takes none.
    #[error("{0}")]
    PeriodClosed(Msg),
    #[error(
        "too many comments from this address on this notice; try again in {retry_after_seconds} s"
    )]
    TooManyComments { retry_after_seconds: i64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a rule refuses a party ([`AppError::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not allowed on this market or lot (no valid permit, another basin, not admitted).
    NotEligible,
    /// A party to both sides (its own lot, a related account).
    SelfDealing,
    /// The deposit the lot asks for is not recorded.
    DepositMissing,
    /// The identity provider vouched for someone the directory does not let sign in.
    SignInRefused,
}

impl AppError {
    /// For a refusal of too much at once: how long to wait before trying again.
    pub fn retry_after_seconds(&self) -> Option<i64> {
        match self {
            AppError::TooManyAttempts {
                retry_after_seconds: s,
            }
            | AppError::TooManyComments {
                retry_after_seconds: s,
            }
            | AppError::Busy(s) => Some((*s).max(1)),
            _ => None,
        }
    }

    /// A validation error on one field.
    pub fn invalid(field: &str, message: Msg) -> AppError {
        let mut e = FieldErrors::default();
        e.add(field, message);
        AppError::Validation(e)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Unexpected(e.into())
    }
}
