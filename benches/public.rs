//! The public pages under load: 10,000 published notices, the bulletin and notice pages driven
//! together by `wrk` (a real HTTP load tool), then the Atom feed alone.
//!
//! `cargo bench --bench public` (`GREENLANE_BENCH_NOTICES` for another count; `--json` for one
//! JSON object). The notices are published the way the law's deadlines publish them: N report
//! forms are seeded as submitted with their acceptance checks due at one instant, the manual
//! clock passes it, and each case is deemed accepted, which publishes its acceptance notice.
//! PostgreSQL when it answers, else SQLite. Needs `wrk` on the PATH; prints figures, asserts
//! nothing.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use greenlane::app::publish::{self, BulletinQuery};
use greenlane::startup::Application;
use uuid::Uuid;

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

/// What `wrk --latency` reported.
#[derive(Debug, Default, serde::Serialize)]
struct Load {
    requests_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    errors: u64,
}

fn ms(text: &str) -> f64 {
    let t = text.trim();
    let (n, unit) = t
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((t, "ms"), |i| t.split_at(i));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

fn parse_wrk(out: &str) -> Load {
    let mut load = Load::default();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => load.requests_per_s = n.parse().unwrap_or_default(),
            ["50%", t] => load.p50_ms = ms(t),
            ["99%", t] => load.p99_ms = ms(t),
            ["Non-2xx", "or", "3xx", "responses:", n] => load.non_2xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                load.errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    load
}

fn wrk(url: &str, script: Option<&std::path::Path>, seconds: u32) -> anyhow::Result<Load> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c32", &format!("-d{seconds}s"), "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output()?;
    anyhow::ensure!(
        out.status.success(),
        "wrk: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(parse_wrk(&String::from_utf8_lossy(&out.stdout)))
}

#[derive(serde::Serialize)]
struct Figures {
    database: &'static str,
    notices: u64,
    publish_s: f64,
    /// The bulletin and notice pages together (half each), 200 notices at random.
    pages: Load,
    /// The same with every notice at random (pages rarely kept: near the uncached figure).
    pages_every: Load,
    feed: Load,
}

async fn run(url: &str, database: &'static str, n: usize, quiet: bool) -> anyhow::Result<Figures> {
    let submitted = at("2026-03-02T01:00:00Z");
    let due = at("2026-03-09T16:00:00Z");
    let application = Application::build(&settings(url, submitted)).await?;
    let port = application.port();
    let app = application.app.clone();
    tokio::spawn(application.run_until_stopped());
    greenlane::app::bench::seed_due(&app, n, submitted, due).await?;
    let started = Instant::now();
    if let Some(m) = app.clock.manual() {
        m.set(due + chrono::Duration::seconds(1))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let count = |app: greenlane::app::App| async move {
        let q = BulletinQuery {
            page: 1,
            per_page: 1,
            ..Default::default()
        };
        publish::bulletin(&app, &q).await.map(|(_, total)| total)
    };
    let mut published = 0;
    while published < n as u64 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "only {published} notices after 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        published = count(app.clone()).await?;
    }
    let publish_s = started.elapsed().as_secs_f64();
    if !quiet {
        println!("{database:<9} {published} acceptance notices published by their deadlines in {publish_s:.1} s");
    }
    // The e-mails those acceptances cause are sent before the pages are measured.
    let mut waiting = u64::MAX;
    while waiting > 0 {
        use sea_orm::{ConnectionTrait, Statement};
        tokio::time::sleep(Duration::from_millis(500)).await;
        let sql = "SELECT (SELECT COUNT(*) FROM notices) + (SELECT COUNT(*) FROM outbox \
                   WHERE status IN ('pending', 'sending')) AS waiting";
        let row = app
            .db
            .query_one(Statement::from_string(app.db.get_database_backend(), sql))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count"))?;
        waiting = row.try_get::<i64>("", "waiting")? as u64;
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(3600),
            "{waiting} messages still waiting after an hour"
        );
    }
    if !quiet {
        println!(
            "{database:<9} their e-mails sent after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    // Two mixes: 200 notices spread over the list (what a day's readers mostly open), and every
    // notice at random (each page is then rarely kept: close to the uncached figure).
    let mut spread: Vec<Uuid> = Vec::new();
    for page in [1, 10, 25, 40] {
        let q = BulletinQuery {
            page,
            per_page: 50,
            ..Default::default()
        };
        spread.extend(publish::bulletin(&app, &q).await?.0.iter().map(|n| n.id));
    }
    let mut every: Vec<Uuid> = Vec::new();
    for page in 1.. {
        let q = BulletinQuery {
            page,
            per_page: publish::MAX_PER_PAGE,
            ..Default::default()
        };
        let got = publish::latest(&app, &q).await?;
        if got.is_empty() {
            break;
        }
        every.extend(got.iter().map(|n| n.id));
    }
    let dir = tempfile::tempdir()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut mixes = Vec::new();
    for (name, ids) in [("spread", &spread), ("every", &every)] {
        let script = dir.path().join(format!("{name}.lua"));
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("\"/public/notices/{id}\""))
            .collect();
        std::fs::write(
            &script,
            format!(
                "local notices = {{{}}}\n\
                 local n = 0\n\
                 request = function()\n  n = n + 1\n  if n % 2 == 0 then\n    return wrk.format(\"GET\", \"/public\")\n  end\n  return wrk.format(\"GET\", notices[math.random(#notices)])\nend\n",
                paths.join(", ")
            ),
        )?;
        // Warm up, then measure.
        let _ = tokio::task::spawn_blocking({
            let (base, script) = (base.clone(), script.clone());
            move || wrk(&base, Some(&script), 3)
        })
        .await??;
        let figures = tokio::task::spawn_blocking({
            let (base, script) = (base.clone(), script.clone());
            move || wrk(&base, Some(&script), 20)
        })
        .await??;
        mixes.push((name, ids.len(), figures));
    }
    let feed = tokio::task::spawn_blocking({
        let url = format!("{base}/public/feed.atom");
        move || wrk(&url, None, 10)
    })
    .await??;
    if !quiet {
        for (_, count, f) in &mixes {
            println!(
                "{database:<9} /public and /public/notices/{{id}} together ({count} notices at random), 32 connections: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms ({} not 2xx, {} socket errors) (target >= 2,000/s, p99 < 50 ms)",
                f.requests_per_s, f.p50_ms, f.p99_ms, f.non_2xx, f.errors
            );
        }
        println!(
            "{database:<9} /public/feed.atom, 32 connections: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms (target < 100 ms)",
            feed.requests_per_s, feed.p50_ms, feed.p99_ms
        );
    }
    let mut mixes = mixes.into_iter();
    let pages = mixes
        .next()
        .map(|m| m.2)
        .ok_or_else(|| anyhow::anyhow!("no mix"))?;
    let pages_every = mixes
        .next()
        .map(|m| m.2)
        .ok_or_else(|| anyhow::anyhow!("no mix"))?;
    Ok(Figures {
        database,
        notices: published,
        publish_s,
        pages,
        pages_every,
        feed,
    })
}

fn main() -> anyhow::Result<()> {
    let json = std::env::args().any(|a| a == "--json");
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk is not installed (Debian: apt-get install wrk): nothing measured");
        return Ok(());
    }
    let n: usize = std::env::var("GREENLANE_BENCH_NOTICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(support::on_fresh_database(|url, database| async move {
        run(&url, database, n, json).await
    }))?;
    if json {
        println!("{}", serde_json::to_string(&figures)?);
    }
    Ok(())
}
