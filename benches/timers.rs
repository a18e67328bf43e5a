//! 100,000 timers due at one moment, fired while a reader keeps reading a case.
//!
//! `cargo bench --bench timers` (set `GREENLANE_BENCH_TIMERS` for another count). Seeds N
//! report-form cases in `submitted` with their acceptance-check expiry due at the same instant,
//! starts two server instances on one database (PostgreSQL when it answers, else SQLite with one
//! instance), moves their manual clocks past the due moment, and measures the time until every
//! timer has fired, while one client reads `GET /api/v1/cases/{id}` in a loop. Prints figures
//! (with `--json`, one JSON object instead); asserts nothing. The resident memory is the peak of
//! the whole bench process (both instances and the reader) sampled while the timers drain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use greenlane::http::Application;
use greenlane::settings::JwtSettings;
use greenlane::store;

mod support;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn settings(url: &str, start: DateTime<Utc>) -> greenlane::settings::Settings {
    let workflows = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows");
    greenlane::app::bench::server_settings(url, workflows, start)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The process's resident memory now, in MiB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// What one run measured.
#[derive(serde::Serialize)]
struct Figures {
    database: &'static str,
    timers: usize,
    instances: usize,
    seed_s: f64,
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
    // Start the instances first (they deploy workflows and calendars), then seed.
    let mut apps = Vec::new();
    for _ in 0..instances {
        let application = Application::build(&settings(url, submitted)).await?;
        apps.push((application.port(), application.app.clone()));
        tokio::spawn(application.run_until_stopped());
    }
    let started = Instant::now();
    let ids = greenlane::app::bench::seed_due(&apps[0].1, n, submitted, due).await?;
    let seed_s = started.elapsed().as_secs_f64();
    if !quiet {
        println!("{label:<9} seeded {n} cases with timers due at {due} in {seed_s:.1} s");
    }

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
    let url_case = format!("http://127.0.0.1:{}/api/v1/cases/{}", apps[0].0, ids[n / 2]);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
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

    // Every instance's clock passes the due moment; their workers fire on their next tick.
    let fire_start = Instant::now();
    for (_, app) in &apps {
        if let Some(m) = app.clock.manual() {
            m.set(due + chrono::Duration::seconds(1))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    let db = &apps[0].1.db;
    let mut rss_peak = rss_mb();
    loop {
        rss_peak = rss_peak.max(rss_mb());
        // One indexed row read per look, so that watching does not slow the drain.
        if !store::clocks::any_waiting(db, due + chrono::Duration::seconds(1)).await? {
            break;
        }
        if fire_start.elapsed() > Duration::from_secs(3600) {
            anyhow::bail!("not drained after an hour");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drain = fire_start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let latencies = reader.await?;
    let failures = latencies.iter().filter(|(_, ok)| !ok).count();
    let mut ms: Vec<f64> = latencies.iter().map(|(l, _)| *l).collect();
    ms.sort_by(|a, b| a.total_cmp(b));

    // Exactly once: every case deemed accepted once, none twice.
    let (entries, cases) = deemed(db).await?;
    let report = greenlane::app::audit::verify(db).await?;
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
        rss_mb_peak: rss_peak,
    };
    if !quiet {
        let f = &figures;
        println!(
            "{label:<9} {instances} instance(s): {n} timers drained in {:.1} s = {:.0} timers/s (target < 30 s); deemed accepted once: {}, twice or more: {}, never: {}; audit chains intact: {}",
            f.drain_s, f.timers_per_s, f.fired_once, f.duplicates, f.missing, f.audit_intact
        );
        println!(
            "{label:<9} concurrent GET /api/v1/cases/{{id}}: {} reads ({} failed), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 100 ms)",
            f.reads, f.read_failures, f.get_p50_ms, f.get_p99_ms, f.get_max_ms
        );
        println!(
            "{label:<9} peak resident memory of the process while draining: {:.0} MiB (target < 100 MB)",
            f.rss_mb_peak
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
