//! The command line: `serve`, `workflows check|graph`, `audit verify`, `token`, `bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::{audit, bench, workflows};
use crate::engine::graph;
use crate::http::Application;
use crate::settings::{SecretSource, Settings};
use crate::{store, token};

#[derive(Parser)]
#[command(
    name = "greenlane",
    version,
    about = "Workflow engine for environmental permitting and pollution-rights trading"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (settings: see README).
    Serve,
    /// Validate or draw workflow definitions.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print a JWT signed with the configured secret.
    Token {
        /// The subject (a user's e-mail address).
        #[arg(long)]
        sub: String,
        /// A role; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The organisation code.
        #[arg(long, default_value = "")]
        org: String,
        /// Lifetime, e.g. 90s, 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Measure the engine and persisted actions; prints figures.
    Bench {
        /// Walks of the report-form workflow for the engine figure (12 transitions each).
        #[arg(long, default_value_t = 200_000)]
        engine_walks: u64,
        /// Cases walked through the app layer per database (12 actions each).
        #[arg(long, default_value_t = 100)]
        cases: u64,
        /// Skip PostgreSQL even if it answers.
        #[arg(long)]
        no_postgres: bool,
    },
}

#[derive(Subcommand)]
enum WorkflowsCommand {
    /// Exit 0 if every definition in DIR is valid; otherwise print every problem and exit 1.
    Check { dir: Option<PathBuf> },
    /// Print a Mermaid stateDiagram-v2 of the newest version of a workflow.
    Graph {
        key: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain; exit 1 naming the first broken entry.
    Verify,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

async fn execute(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            init_tracing();
            let settings = Settings::load()?;
            match settings.jwt()?.1 {
                SecretSource::Generated(path) => tracing::warn!(
                    "no GREENLANE_JWT_SECRET configured: generated one and kept it in {}; `greenlane token` uses it too",
                    path.display()
                ),
                SecretSource::Stored(path) => tracing::info!("using the JWT secret kept in {}", path.display()),
                SecretSource::Configured => {}
            }
            let application = Application::build(&settings).await?;
            tracing::info!(
                "listening on http://{}:{}",
                settings
                    .bind
                    .rsplit_once(':')
                    .map_or("127.0.0.1", |(h, _)| h),
                application.port()
            );
            application.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflows {
            command: WorkflowsCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(default_workflows_dir);
            match workflows::load_dir(&dir) {
                Ok(loaded) => {
                    for l in &loaded {
                        println!(
                            "ok  {}: {} v{} ({} states, {} actions, {} clocks)",
                            l.file,
                            l.definition.key,
                            l.definition.version,
                            l.definition.states.len(),
                            l.definition.actions.len(),
                            l.definition.clocks.len()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for e in errors {
                        eprintln!("{e}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Workflows {
            command: WorkflowsCommand::Graph { key, dir },
        } => {
            let dir = dir.unwrap_or_else(default_workflows_dir);
            let loaded = workflows::load_dir(&dir).map_err(|e| anyhow::anyhow!(e.join("\n")))?;
            let newest = loaded
                .iter()
                .filter(|l| l.definition.key == key)
                .max_by_key(|l| l.definition.version)
                .ok_or_else(|| anyhow::anyhow!("no workflow `{key}` in {}", dir.display()))?;
            print!("{}", graph::mermaid(&newest.definition));
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let settings = Settings::load()?;
            let db = store::connect(&settings.database_url).await?;
            let report = audit::verify(&db).await?;
            match report.broken {
                None => {
                    println!(
                        "ok: {} cases, {} audit entries, every chain intact",
                        report.cases, report.entries
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    eprintln!("BROKEN: {b}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Token {
            sub,
            roles,
            org,
            ttl,
        } => {
            let settings = Settings::load()?;
            let (jwt, _) = settings.jwt()?;
            let ttl = token::parse_ttl(&ttl)?;
            let needs_org = roles.iter().any(|r| r == "applicant" || r == "agency");
            if needs_org && org.is_empty() {
                anyhow::bail!("an applicant or agency acts for an organisation: give --org CODE");
            }
            println!(
                "{}",
                token::issue(&jwt, &sub, &org, &roles, ttl, chrono::Utc::now())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            engine_walks,
            cases,
            no_postgres,
        } => {
            let settings = Settings::load()?;
            bench::run(bench::Options {
                workflows_dir: settings.workflows_dir,
                engine_walks,
                persisted_cases: cases,
                postgres_admin_url: (!no_postgres).then(store::admin::postgres_admin_url),
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn default_workflows_dir() -> PathBuf {
    std::env::var("GREENLANE_WORKFLOWS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("workflows"))
}
