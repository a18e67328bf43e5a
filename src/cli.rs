//! The command line: `serve`, `workflows check|graph`, `audit verify`, `token`, `bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::sync::Arc;

use crate::app::{audit, bench, calendars, directory, licence, workflows, App, SystemClock};
use crate::domain::Role;
use crate::engine::graph;
use crate::engine::Actor;
use crate::settings::{SecretSource, Settings};
use crate::startup::Application;
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
    Serve {
        /// Seed demo organisations, users and cases first (once).
        #[arg(long)]
        demo: bool,
    },
    /// Seed demo organisations, users (password `greenlane-demo`) and cases, once.
    Demo,
    /// Validate or draw workflow definitions.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
    /// Organisations.
    Orgs {
        #[command(subcommand)]
        command: OrgsCommand,
    },
    /// Users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Official working-day calendars.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The pre-licence approval catalogue.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The public transparency log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
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
        /// Print one JSON object with every figure instead of lines.
        #[arg(long)]
        json: bool,
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
    /// Print the newest version of a workflow as BPMN 2.0 XML (with diagram coordinates).
    Bpmn {
        key: String,
        #[arg(long)]
        dir: Option<PathBuf>,
        /// `en` (default) or `zh`: the language of the names.
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// Add an organisation.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// enterprise, bureau or agency.
        #[arg(long, default_value = "enterprise")]
        kind: String,
        /// The enterprise's unified social credit code.
        #[arg(long)]
        credit_code: Option<String>,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        org: String,
        /// A role; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// Lets the user sign in with POST /api/v1/auth/login.
        #[arg(long)]
        password: Option<String>,
    },
    /// List users.
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// List the years in force.
    List,
    /// Add or correct one year from a JSON file (this project's format or holiday-cn's);
    /// open deadlines are recomputed.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Import items and status changes from a CSV file (all rows or none); re-importing the
    /// same file changes nothing.
    Import { file: PathBuf },
    /// The pre-licence items in force on a date (default today), for a kind of business.
    Items {
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        business: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain and the transparency log; exit 1 naming the first broken
    /// entry, or each case whose entry is missing from, changed in, or left out of the log.
    Verify,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Print the key that verifies the log's checkpoints (`name+hexid+base64`), creating the
    /// signing key if there is none yet.
    Key,
    /// Recompute the log's tree from its leaves and compare it with the audit entries and the
    /// latest checkpoint (on the server's database); exit 1 naming each case with a problem.
    Audit,
    /// Check a Greenlane log from outside: fetch its checkpoint, verify the signature, prove it
    /// consistent with the one kept from last time, keep the new one. Exit 1, printing both
    /// signed checkpoints as evidence, if the tree shrank or forked.
    Monitor {
        /// The server's public URL, e.g. https://greenlane.example
        #[arg(long)]
        url: String,
        /// The log's verifier key, as `greenlane log key` prints it.
        #[arg(long)]
        key: String,
        /// Where the last checkpoint seen is kept between runs.
        #[arg(long)]
        state: std::path::PathBuf,
    },
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
        Command::Demo => {
            let app = cli_app().await?;
            print_demo(&app, &Settings::load()?.workflows_dir).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo } => serve(demo).await,
        Command::Workflows {
            command: WorkflowsCommand::Check { dir },
        } => Ok(exit(check_workflows(dir))),
        Command::Workflows {
            command: WorkflowsCommand::Graph { key, dir },
        } => {
            let newest = newest_in(dir, &key)?;
            print!("{}", graph::mermaid(&newest));
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflows {
            command: WorkflowsCommand::Bpmn { key, dir, lang },
        } => {
            let lang = match lang.as_str() {
                "en" => crate::web::i18n::Lang::En,
                "zh" => crate::web::i18n::Lang::Zh,
                other => anyhow::bail!("--lang `{other}`: en or zh"),
            };
            let newest = newest_in(dir, &key)?;
            print!("{}", crate::web::pages::workflows::bpmn(&newest, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Orgs { command } => orgs(command).await.map(|()| ExitCode::SUCCESS),
        Command::Users { command } => users(command).await.map(|()| ExitCode::SUCCESS),
        Command::Calendar { command } => calendar(command).await.map(|()| ExitCode::SUCCESS),
        Command::Catalogue { command } => catalogue(command).await.map(|()| ExitCode::SUCCESS),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify().await.map(exit),
        Command::Log {
            command: LogCommand::Key,
        } => {
            let settings = Settings::load()?;
            let log = crate::app::tlog::Log::open(&settings.log_origin, &settings.log_key_file)?;
            println!("{}", log.verifier_key().unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Command::Log {
            command: LogCommand::Audit,
        } => {
            let settings = Settings::load()?;
            let db = store::connect(&settings.database_url).await?;
            Ok(exit(log_audit(&db).await?))
        }
        Command::Log {
            command: LogCommand::Monitor { url, key, state },
        } => crate::monitor::run(&url, &key, &state).await,
        Command::Token {
            sub,
            roles,
            org,
            ttl,
        } => issue_token(&sub, &roles, &org, &ttl)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Bench {
            engine_walks,
            cases,
            no_postgres,
            json,
        } => {
            let settings = Settings::load()?;
            bench::run(
                bench::Options {
                    workflows_dir: settings.workflows_dir,
                    engine_walks,
                    persisted_cases: cases,
                    postgres_admin_url: (!no_postgres).then(store::admin::postgres_admin_url),
                    http: Some(crate::bench_http::over_http),
                },
                json,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `greenlane serve`: the server, until it is stopped.
async fn serve(demo: bool) -> anyhow::Result<ExitCode> {
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
    if demo {
        print_demo(&application.app, &settings.workflows_dir).await?;
    }
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

/// `greenlane workflows check`: every workflow file of the folder, and the editions of the
/// classification catalogue where the folder ships them. True when all are valid.
fn check_workflows(dir: Option<PathBuf>) -> bool {
    let dir = dir.unwrap_or_else(default_workflows_dir);
    let mut ok = true;
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
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            ok = false;
        }
    }
    let editions = dir.join("classification");
    if !editions.is_dir() {
        return ok;
    }
    match crate::app::classify::load_editions(&editions) {
        Ok(all) => {
            for e in all.all() {
                let (conditions, thresholds, kept) = e.counts();
                println!(
                    "ok  classification: edition {} in force from {} ({} sections, {} items, {conditions} conditions: {thresholds} thresholds, {} with printed quantities kept as yes/no questions)",
                    e.edition,
                    e.in_force_from,
                    e.sections().len(),
                    e.items.len(),
                    kept.len()
                );
            }
            ok
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            false
        }
    }
}

/// `greenlane orgs ...`
async fn orgs(command: OrgsCommand) -> anyhow::Result<()> {
    let app = cli_app().await?;
    match command {
        OrgsCommand::Add {
            code,
            name,
            kind,
            credit_code,
        } => {
            let new = directory::NewOrg {
                code,
                name,
                kind,
                credit_code,
            };
            let org = directory::add_org(&app, &cli_admin(), new, None)
                .await
                .map_err(explain)?;
            println!("added {} ({}, {})", org.code, org.name, org.kind);
        }
        OrgsCommand::List => {
            for o in directory::orgs(&app).await.map_err(explain)? {
                println!(
                    "{:<16} {:<10} {}  {}",
                    o.code,
                    o.kind,
                    o.credit_code.unwrap_or_default(),
                    o.name
                );
            }
        }
    }
    Ok(())
}

/// `greenlane users ...`
async fn users(command: UsersCommand) -> anyhow::Result<()> {
    let app = cli_app().await?;
    match command {
        UsersCommand::Add {
            email,
            name,
            org,
            roles,
            lang,
            password,
        } => {
            let new = directory::NewUser {
                email,
                name,
                org,
                roles,
                lang: Some(lang),
                password,
            };
            let user = directory::add_user(&app, &cli_admin(), new, None)
                .await
                .map_err(explain)?;
            println!(
                "added {} ({}) to {} as {}",
                user.email,
                user.name,
                user.organisation,
                user.roles.join(", ")
            );
        }
        UsersCommand::List { org } => {
            for u in directory::users(&app, org.as_deref())
                .await
                .map_err(explain)?
            {
                println!(
                    "{:<32} {:<12} {:<4} {}  {}",
                    u.email,
                    u.organisation,
                    u.lang.as_str(),
                    u.roles.join(","),
                    u.name
                );
            }
        }
    }
    Ok(())
}

/// `greenlane calendar ...`
async fn calendar(command: CalendarCommand) -> anyhow::Result<()> {
    let app = cli_app().await?;
    match command {
        CalendarCommand::List => {
            let summary = calendars::summary(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("calendar version {}", summary.version);
            for y in summary.years {
                println!(
                    "{}  {} days off, {} make-up working days  ({} by {})",
                    y.year, y.days_off, y.make_up_working_days, y.source, y.updated_by
                );
            }
            println!("({})", summary.note);
        }
        CalendarCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let change = calendars::put_year(&app, &cli_admin(), value, None)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!(
                "{} imported; calendar version {}; {} open deadlines recomputed, {} moved",
                change.year, change.calendar_version, change.recomputed, change.moved
            );
        }
    }
    Ok(())
}

/// `greenlane catalogue ...`
async fn catalogue(command: CatalogueCommand) -> anyhow::Result<()> {
    let app = cli_app().await?;
    match command {
        CatalogueCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)?;
            let report = licence::import_csv(&app, &cli_admin(), &text, None)
                .await
                .map_err(|e| match e {
                    crate::app::AppError::Validation(fields) => anyhow::anyhow!(
                        "{}: nothing imported:\n{}",
                        file.display(),
                        fields
                            .lines()
                            .iter()
                            .map(|l| format!("  {l}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    other => anyhow::anyhow!("{}: {other}", file.display()),
                })?;
            println!(
                "{}: {} rows; {} items added, {} updated; {} changes added, {} updated; {} unchanged (sha256 {})",
                file.display(),
                report.rows,
                report.items_added,
                report.items_updated,
                report.changes_added,
                report.changes_updated,
                report.unchanged,
                report.sha256
            );
        }
        CatalogueCommand::Items { on, business } => {
            let list = licence::items_on(&app, on.as_deref(), business)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for i in &list.items {
                println!("{:<10} {:<30} {}", i.code, i.authority, i.name);
            }
            println!("{} pre-licence items on {}", list.count, list.on);
        }
    }
    Ok(())
}

/// `greenlane audit verify`: every case's chain, then the transparency log. True when intact.
async fn audit_verify() -> anyhow::Result<bool> {
    let settings = Settings::load()?;
    let db = store::connect(&settings.database_url).await?;
    let report = audit::verify(&db).await?;
    let chains = match report.broken {
        None => {
            println!(
                "ok: {} cases, {} audit entries, every chain intact",
                report.cases, report.entries
            );
            true
        }
        Some(b) => {
            eprintln!("BROKEN: {b}");
            false
        }
    };
    let log = log_audit(&db).await?;
    Ok(chains && log)
}

/// `greenlane token`: a token signed with the server's secret.
async fn issue_token(sub: &str, roles: &[String], org: &str, ttl: &str) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let (jwt, _) = settings.jwt()?;
    let ttl = token::parse_ttl(ttl)?;
    let needs_org = roles.iter().any(|r| r == "applicant" || r == "agency");
    if needs_org && org.is_empty() {
        anyhow::bail!("an applicant or agency acts for an organisation: give --org CODE");
    }
    // A person of the directory gets a token at their current version (one issued at an older
    // version would be refused at once).
    let version = token_version_of(&settings.database_url, sub).await;
    println!(
        "{}",
        token::issue_at_version(&jwt, sub, org, roles, version, ttl, chrono::Utc::now())?
    );
    Ok(())
}

/// The newest version of `key` in the workflows folder.
fn newest_in(dir: Option<PathBuf>, key: &str) -> anyhow::Result<crate::engine::Definition> {
    let dir = dir.unwrap_or_else(default_workflows_dir);
    let loaded = workflows::load_dir(&dir).map_err(|e| anyhow::anyhow!(e.join("\n")))?;
    loaded
        .into_iter()
        .filter(|l| l.definition.key == key)
        .max_by_key(|l| l.definition.version)
        .map(|l| l.definition)
        .ok_or_else(|| anyhow::anyhow!("no workflow `{key}` in {}", dir.display()))
}

async fn print_demo(app: &App, workflows_dir: &std::path::Path) -> anyhow::Result<()> {
    let users = crate::app::demo::seed(app, &cli_admin())
        .await
        .map_err(explain)?;
    if users.is_empty() {
        println!("demo data already present");
        return Ok(());
    }
    let catalogue = workflows_dir
        .join("catalogue")
        .join("pre_licence_illustrative.csv");
    if let Ok(text) = std::fs::read_to_string(&catalogue) {
        let report = licence::import_csv(app, &cli_admin(), &text, None)
            .await
            .map_err(explain)?;
        println!(
            "illustrative pre-licence catalogue imported ({} items; placeholders, not the official list)",
            report.items_added
        );
    }
    println!(
        "demo data added; every user's password is `{}`:",
        crate::app::demo::PASSWORD
    );
    for (email, roles) in users {
        println!("  {email:<24} {roles}");
    }
    println!("sign in: POST /api/v1/auth/login {{\"email\": ..., \"password\": ...}}");
    Ok(())
}

/// The app, for commands that change data directly (they run as an admin at the console).
async fn cli_app() -> anyhow::Result<App> {
    let settings = Settings::load()?;
    let db = store::connect(&settings.database_url).await?;
    App::start(db, &settings.workflows_dir, Arc::new(SystemClock)).await
}

/// The console user, acting as an admin; recorded as `cli:$USER` in the audit log.
fn cli_admin() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor::person(
        format!("cli:{user}"),
        "",
        [Role::Admin].into_iter().collect(),
    )
}

/// Turns an app error into a message, with each invalid field on its own line.
fn explain(e: crate::app::AppError) -> anyhow::Error {
    match e {
        crate::app::AppError::Validation(fields) => {
            let lines: Vec<String> = fields.lines().iter().map(|l| format!("  {l}")).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

fn default_workflows_dir() -> PathBuf {
    std::env::var("GREENLANE_WORKFLOWS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("workflows"))
}

/// The directory's token version of `subject`, or 0 when the directory does not know them or
/// there is no database to ask (a token can be made before the server's first start; an SQLite
/// file is not created just to be asked).
async fn token_version_of(url: &str, subject: &str) -> i64 {
    if crate::settings::sqlite_path(url).is_some_and(|p| !p.exists()) {
        return 0;
    }
    let Ok(db) = store::connect(url).await else {
        return 0;
    };
    store::directory::find_user(&db, &subject.to_lowercase())
        .await
        .ok()
        .flatten()
        .map_or(0, |u| u.token_version)
}

/// Runs `greenlane log audit` on `db`, printing what it found; true if the log is whole.
async fn log_audit(db: &sea_orm::DatabaseConnection) -> anyhow::Result<bool> {
    let report = crate::app::tlog::audit(db).await?;
    if report.problems.is_empty() {
        println!(
            "ok: the transparency log's {} leaves match the audit entries{}",
            report.leaves,
            report
                .checkpoint
                .map(|s| format!(" and its checkpoint of {s} leaves"))
                .unwrap_or_default()
        );
        return Ok(true);
    }
    for p in &report.problems {
        eprintln!("LOG: {p}");
    }
    Ok(false)
}
