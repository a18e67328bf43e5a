//! Building the application: the store connection (migrated), the app with its workflows,
//! calendars and log key, the worker, and the HTTP server, from the settings. It is the only
//! module that puts the layers together, so that neither `app` nor `http` reaches across.

use std::net::TcpListener;
use std::sync::Arc;

use crate::app::documents::FileStore;
use crate::app::{App, Clock, MailSettings, ManualClock, SystemClock};
use crate::http::{client, edge, serve};
use crate::mail::Mailer;
use crate::settings::{ClockMode, Settings};
use crate::token::Verifier;
use crate::web::pages::login::SignInWays;
use crate::{store, worker};

/// A built server: bound to its port, not yet running; its worker already started.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    worker: tokio::task::JoinHandle<()>,
    pub app: App,
    pub mailer: Arc<Mailer>,
}

impl Application {
    /// Connects to the database (migrating it), deploys the workflows and calendars, starts the
    /// worker (whose first pass fires the timers that fell due while no server ran, so that the
    /// server answers at once however many there are), and binds `settings.bind` (use port 0 for
    /// any free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let clock: Arc<dyn Clock> = match settings.clock {
            ClockMode::System => Arc::new(SystemClock),
            ClockMode::Manual { start } => {
                Arc::new(ManualClock::new(start.unwrap_or_else(chrono::Utc::now)))
            }
        };
        let db = store::connect(&settings.database_url).await?;
        let mail = MailSettings {
            public_url: settings.mail.public_url.clone(),
            message_id_domain: settings
                .mail
                .from
                .rsplit_once('@')
                .map(|(_, d)| d.trim_end_matches('>').to_string())
                .unwrap_or_else(|| "greenlane.invalid".into()),
        };
        let files = FileStore::new(settings.documents_dir.clone(), settings.max_upload_bytes);
        let mut app = App::start_with(db, &settings.workflows_dir, clock, mail, files).await?;
        if settings.group_commit {
            app.group = Some(Arc::new(crate::app::group::GroupCommit::for_database(
                &app.db,
            )));
        }
        app.log = Arc::new(crate::app::tlog::Log::open(
            &settings.log_origin,
            &settings.log_key_file,
        )?);
        let mailer = Arc::new(Mailer::new(
            settings.mail.smtp_url.as_deref(),
            settings.mail.dir.clone(),
            &settings.mail.from,
        )?);
        tracing::info!("outgoing mail: {}", mailer.describe());
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let (jwt, _) = settings.jwt()?;
        let cors = edge::Cors {
            origins: settings.cors_origins.clone(),
        };
        let verifier = Verifier::with_issuers(&jwt, &settings.oidc)?;
        for issuer in &settings.oidc {
            tracing::info!("accepting tokens from {}", crate::oidc::describe(issuer));
        }
        let client = client::ClientAddress::new(settings.trusted_proxies.clone());
        let desk = match settings.oidc.iter().find(|o| o.sign_in.is_some()) {
            Some(issuer) => {
                tracing::info!("the web desk signs people in through {}", issuer.issuer);
                Some(Arc::new(crate::oidc::desk::Desk::new(
                    issuer,
                    &settings.mail.public_url,
                    &jwt,
                )?))
            }
            None => None,
        };
        let ways = SignInWays {
            password: settings.password_sign_in,
            desk,
        };
        let server = serve(listener, app.clone(), jwt, verifier, cors, client, ways)?;
        let worker = if settings.worker {
            worker::spawn(app.clone(), mailer.clone(), settings.timer_workers)
        } else {
            tracing::info!("the worker is off in this process (GREENLANE_WORKER=off)");
            tokio::spawn(async {})
        };
        Ok(Application {
            port,
            server,
            worker,
            mailer,
            app,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.worker.abort();
        result
    }
}
