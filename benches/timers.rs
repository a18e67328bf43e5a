//! 100,000 timers due at one moment, fired by server processes while a reader keeps reading a
//! case.
//!
//! `cargo bench --bench timers` (set `GREENLANE_BENCH_TIMERS` for another count). Seeds N
//! report-form cases in `submitted` with their acceptance-check expiry due at the same instant,
//! then starts two `greenlane serve` processes on one database (PostgreSQL when it answers, else
//! SQLite with one process) whose manual clocks stand past the due moment, and measures the time
//! from their start until every timer has fired, while one client reads `GET /api/v1/cases/{id}`
//! from the first server, a read every 10 ms at most. Each server's resident memory is its own peak (`VmHWM`),
//! read when the drain is over. Prints figures (with `--json`, one JSON object instead); asserts
//! nothing.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use greenlane::settings::JwtSettings;
use greenlane::startup::Application;
use greenlane::store;

mod support;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn workflows_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

/// How often the concurrent client reads a case.
const READ_EVERY: Duration = Duration::from_millis(10);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A `greenlane serve` process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts a server on `url` whose manual clock starts at `clock`, with its log in `log`.
    fn start(
        url: &str,
        clock: DateTime<Utc>,
        scratch: &std::path::Path,
        i: usize,
    ) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(scratch.join(format!("server-{i}.log")))?;
        let child = Command::new(env!("CARGO_BIN_EXE_greenlane"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("GREENLANE_BIND", format!("127.0.0.1:{port}"))
            .env("GREENLANE_JWT_SECRET", greenlane::app::bench::BENCH_SECRET)
            .env("GREENLANE_WORKFLOWS", workflows_dir())
            .env("GREENLANE_CLOCK", "manual")
            .env("GREENLANE_CLOCK_START", clock.to_rfc3339())
            .env("GREENLANE_MAIL_DIR", scratch.join("mail"))
            .env("GREENLANE_LOG_KEY_FILE", scratch.join("log.key"))
            .env("GREENLANE_DOCUMENTS_DIR", scratch.join("documents"))
            .env("GREENLANE_TIMER_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        Ok(Server { child, port })
    }

    /// The process's peak resident memory so far, in MiB (Linux; 0 elsewhere).
    fn peak_rss_mb(&self) -> f64 {
        greenlane::app::bench::peak_rss_mb_of(&self.child.id().to_string())
    }

    /// Whether the process has ended (it should not, before it is stopped).
    fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run measured.
#[derive(serde::Serialize)]
struct Figures {
    database: &'static str,
    timers: usize,
    instances: usize,
    seed_s: f64,
    /// From the servers' start until no timer is due.
    drain_s: f64,
    timers_per_s: f64,
    /// Cases deemed accepted (with `duplicates` 0: each exactly once).
    fired_once: u64,
    /// Deemed acceptances beyond the first on a case.
    duplicates: u64,
    /// Cases never deemed accepted.
    missing: u64,
    audit_intact: bool,
    reads: usize,
    read_failures: usize,
    get_p50_ms: f64,
    get_p99_ms: f64,
    get_max_ms: f64,
    /// Each server process's peak resident memory, in MiB.
    server_rss_mb_peak: Vec<f64>,
    /// The largest of them.
    rss_mb_peak: f64,
}

/// (entries, cases) of the deemed acceptances.
async fn deemed(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(u64, u64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT COUNT(*) AS entries, COUNT(DISTINCT case_id) AS cases \
               FROM audit_entries WHERE action = 'deem_accepted'";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    let entries: i64 = row.try_get("", "entries")?;
    let cases: i64 = row.try_get("", "cases")?;
    Ok((entries as u64, cases as u64))
}

async fn run(
    url: &str,
    database: &'static str,
    n: usize,
    instances: usize,
    quiet: bool,
) -> anyhow::Result<Figures> {
    let label = database;
    // Monday 2 March 2026, 09:00 Shanghai; the check expires at 24:00 on Monday 9 March.
    let submitted = at("2026-03-02T01:00:00Z");
    let due = at("2026-03-09T16:00:00Z");
    // The seeding happens in this process, without a worker: it migrates the database, deploys
    // the workflows and calendars, and writes the cases.
    let mut seeding = greenlane::app::bench::server_settings(url, workflows_dir(), submitted);
    seeding.worker = false;
    let seeder = Application::build(&seeding).await?;
    let db = seeder.app.db.clone();
    let started = Instant::now();
    let ids = greenlane::app::bench::seed_due(&seeder.app, n, submitted, due).await?;
    let seed_s = started.elapsed().as_secs_f64();
    if !quiet {
        println!("{label:<9} seeded {n} cases with timers due at {due} in {seed_s:.1} s");
    }

    let scratch = tempfile::tempdir()?;
    let fire_start = Instant::now();
    let mut servers = (0..instances)
        .map(|i| Server::start(url, due + chrono::Duration::seconds(1), scratch.path(), i))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let jwt = JwtSettings {
        secret: greenlane::app::bench::BENCH_SECRET.into(),
        issuer: "greenlane".into(),
        audience: "greenlane-api".into(),
    };
    let token = greenlane::token::issue(
        &jwt,
        "rui@bureau.example",
        "CQEEB",
        &["reviewer".into()],
        chrono::Duration::hours(2),
        Utc::now(),
    )?;
    let url_case = format!(
        "http://127.0.0.1:{}/api/v1/cases/{}",
        servers[0].port,
        ids[n / 2]
    );
    let health = format!("http://127.0.0.1:{}/health", servers[0].port);
    let client = reqwest::Client::new();
    while !client
        .get(&health)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if servers.iter_mut().any(Server::exited) {
            anyhow::bail!(
                "a server stopped: see its log in {}",
                scratch.path().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answering_s = fire_start.elapsed().as_secs_f64();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            // A steady 100 reads a second (people at their desks), whatever the drain does:
            // a reader in a tight loop would load the machine more the faster reads get.
            let mut pace = tokio::time::interval(READ_EVERY);
            pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !done.load(Ordering::Relaxed) {
                pace.tick().await;
                let t = Instant::now();
                let ok = client
                    .get(&url_case)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false);
                latencies.push((t.elapsed().as_secs_f64() * 1000.0, ok));
            }
            latencies
        })
    };

    loop {
        // One indexed row read per look, so that watching does not slow the drain.
        if !store::clocks::any_waiting(&db, due + chrono::Duration::seconds(1)).await? {
            break;
        }
        if servers.iter_mut().any(Server::exited) {
            anyhow::bail!(
                "a server stopped: see its log in {}",
                scratch.path().display()
            );
        }
        if fire_start.elapsed() > Duration::from_secs(3600) {
            anyhow::bail!("not drained after an hour");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drain = fire_start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let latencies = reader.await?;
    let server_rss: Vec<f64> = servers.iter().map(Server::peak_rss_mb).collect();
    drop(servers);
    let failures = latencies.iter().filter(|(_, ok)| !ok).count();
    let mut ms: Vec<f64> = latencies.iter().map(|(l, _)| *l).collect();
    ms.sort_by(|a, b| a.total_cmp(b));

    // Exactly once: every case deemed accepted once, none twice.
    let (entries, cases) = deemed(&db).await?;
    let report = greenlane::app::audit::verify(&db).await?;
    let figures = Figures {
        database,
        timers: n,
        instances,
        seed_s,
        drain_s: drain,
        timers_per_s: n as f64 / drain,
        fired_once: cases,
        duplicates: entries - cases,
        missing: (n as u64).saturating_sub(cases),
        audit_intact: report.broken.is_none(),
        reads: ms.len(),
        read_failures: failures,
        get_p50_ms: percentile(&ms, 50.0),
        get_p99_ms: percentile(&ms, 99.0),
        get_max_ms: ms.last().copied().unwrap_or(f64::NAN),
        rss_mb_peak: server_rss.iter().copied().fold(0.0, f64::max),
        server_rss_mb_peak: server_rss,
    };
    db.close().await?;
    if !quiet {
        let f = &figures;
        println!(
            "{label:<9} {instances} server process(es), answering after {answering_s:.2} s: {n} timers drained in {:.1} s = {:.0} timers/s (target < 15 s); deemed accepted once: {}, twice or more: {}, never: {}; audit chains intact: {}",
            f.drain_s, f.timers_per_s, f.fired_once, f.duplicates, f.missing, f.audit_intact
        );
        println!(
            "{label:<9} concurrent GET /api/v1/cases/{{id}}: {} reads ({} failed), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 100 ms)",
            f.reads, f.read_failures, f.get_p50_ms, f.get_p99_ms, f.get_max_ms
        );
        println!(
            "{label:<9} peak resident memory of each server: {} MiB (target < 100 MB)",
            f.server_rss_mb_peak
                .iter()
                .map(|m| format!("{m:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(figures)
}

fn main() -> anyhow::Result<()> {
    let json = std::env::args().any(|a| a == "--json");
    let n: usize = std::env::var("GREENLANE_BENCH_TIMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(support::on_fresh_database(|url, database| async move {
        // Two instances share PostgreSQL; SQLite is one file for one instance.
        let instances = if database == "postgres" { 2 } else { 1 };
        if instances == 1 && !json {
            println!("PostgreSQL does not answer: SQLite, one instance");
        }
        run(&url, database, n, instances, json).await
    }))?;
    if json {
        println!("{}", serde_json::to_string(&figures)?);
    }
    Ok(())
}
