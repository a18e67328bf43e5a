//! 100,000 timers due at one moment, fired while a reader keeps reading a case.
//!
//! `cargo bench --bench timers` (set `GREENLANE_BENCH_TIMERS` for another count). Seeds N
//! report-form cases in `submitted` with their acceptance-check expiry due at the same instant,
//! starts two server instances on one database (PostgreSQL when it answers, else SQLite with one
//! instance), moves their manual clocks past the due moment, and measures the time until every
//! timer has fired, while one client reads `GET /api/v1/cases/{id}` in a loop. Prints figures;
//! asserts nothing but exactly-once (each case deemed accepted once).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use greenlane::app::bench::sample_project;
use greenlane::domain::audit::{canonical_json, AuditRecord, GENESIS};
use greenlane::domain::calendar;
use greenlane::http::Application;
use greenlane::settings::{ClockMode, JwtSettings, MailConfig, Settings};
use greenlane::store::{
    self, admin,
    audit::AuditRow,
    cases::CaseRow,
    clocks::{ClockRow, SegmentRow, TimerRow},
};
use sea_orm::TransactionTrait;
use uuid::Uuid;

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn audit_row(r: &AuditRecord, prev: &str, hash: &str) -> AuditRow {
    AuditRow {
        id: Uuid::now_v7(),
        case_id: r.case_id,
        seq: r.seq,
        actor: r.actor.clone(),
        actor_org: r.actor_org.clone(),
        roles: canonical_json(&serde_json::json!(r.roles)),
        action: r.action.clone(),
        from_state: r.from_state.clone(),
        to_state: r.to_state.clone(),
        payload: canonical_json(&r.payload),
        comment: r.comment.clone(),
        at: r.at,
        documents: None,
        prev_hash: prev.to_string(),
        hash: hash.to_string(),
    }
}

/// Seeds `n` cases submitted at `submitted`, each with an acceptance-check expiry at `due`.
async fn seed(
    url: &str,
    n: usize,
    submitted: DateTime<Utc>,
    due: DateTime<Utc>,
    cal_version: &str,
) -> anyhow::Result<Vec<Uuid>> {
    let db = store::connect(url).await?;
    let data = sample_project();
    let mut ids = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(500) {
        let (mut cases, mut audits, mut clocks, mut segments, mut timers) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in chunk_start..(chunk_start + 500).min(n) {
            let id = Uuid::now_v7();
            ids.push(id);
            let mut record = AuditRecord {
                case_id: id,
                seq: 1,
                actor: "ann@acme.example".into(),
                actor_org: "ACME".into(),
                roles: vec!["applicant".into()],
                action: "create".into(),
                from_state: String::new(),
                to_state: "draft".into(),
                payload: data.clone(),
                comment: None,
                at: submitted,
                documents: Vec::new(),
            };
            let h1 = record.chain_hash(GENESIS);
            audits.push(audit_row(&record, GENESIS, &h1));
            record.seq = 2;
            record.action = "submit".into();
            record.from_state = "draft".into();
            record.to_state = "submitted".into();
            record.payload = serde_json::json!({});
            let h2 = record.chain_hash(&h1);
            audits.push(audit_row(&record, &h1, &h2));
            cases.push(CaseRow {
                id,
                workflow_key: "eia_report_form".into(),
                workflow_version: 1,
                state: "submitted".into(),
                version: 2,
                org: "ACME".into(),
                data: data.clone(),
                audit_head: h2,
                created_by: "ann@acme.example".into(),
                created_at: submitted,
                updated_at: submitted,
                reference: None,
                title: Some("Changshou chemical park boiler".into()),
                submitted_at: Some(submitted),
            });
            clocks.push(ClockRow {
                case_id: id,
                clock: "acceptance_check".into(),
                run: 1,
                status: "running".into(),
                due_date: Some(
                    calendar::local_date(due - chrono::Duration::seconds(1)).to_string(),
                ),
                due_at: Some(due),
                provisional: false,
                calendar_version: cal_version.to_string(),
                updated_at: submitted,
            });
            segments.push(SegmentRow {
                id: Uuid::now_v7(),
                case_id: id,
                clock: "acceptance_check".into(),
                run: 1,
                running: true,
                reason: "submitted".into(),
                started_at: submitted,
                ended_at: None,
            });
            timers.push(TimerRow {
                id: Uuid::now_v7(),
                case_id: id,
                clock: "acceptance_check".into(),
                run: 1,
                kind: "expiry".into(),
                fraction: None,
                due_at: due,
                action: Some("deem_accepted".into()),
                status: "pending".into(),
                fired_at: None,
                note: None,
                created_at: submitted,
            });
        }
        let tx = db.begin().await?;
        store::bulk::cases(&tx, cases).await?;
        store::bulk::audit(&tx, audits).await?;
        store::bulk::clocks(&tx, clocks).await?;
        store::bulk::segments(&tx, segments).await?;
        store::clocks::insert_timers(&tx, timers).await?;
        tx.commit().await?;
    }
    db.close().await?;
    Ok(ids)
}

fn settings(url: &str, start: DateTime<Utc>) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: url.to_string(),
        jwt_secret: Some(SECRET.into()),
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows"),
        clock: ClockMode::Manual { start: Some(start) },
        mail: MailConfig::files(
            std::env::temp_dir().join("greenlane-bench-mail"),
            "http://127.0.0.1",
        ),
        worker: true,
        documents_dir: std::env::temp_dir().join("greenlane-bench-documents"),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        oidc: Vec::new(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(url: &str, label: &str, n: usize, instances: usize) -> anyhow::Result<()> {
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
    let cal_version = apps[0].1.calendar.get().version().to_string();
    let started = Instant::now();
    let ids = seed(url, n, submitted, due, &cal_version).await?;
    println!(
        "{label:<9} seeded {n} cases with timers due at {due} in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let jwt = JwtSettings {
        secret: SECRET.into(),
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
    loop {
        let pending = store::clocks::count_timers(db, "pending").await?;
        let claimed = store::clocks::count_timers(db, "claimed").await?;
        let left = store::cases::list(
            db,
            &store::cases::Filter {
                state: Some("submitted".into()),
                ..Default::default()
            },
            1,
            1,
        )
        .await?
        .1;
        if left == 0 && claimed == 0 {
            let _ = pending;
            break;
        }
        if fire_start.elapsed() > Duration::from_secs(3600) {
            anyhow::bail!("not drained after an hour: {left} cases still submitted");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drain = fire_start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let latencies = reader.await?;
    let failures = latencies.iter().filter(|(_, ok)| !ok).count();
    let mut ms: Vec<f64> = latencies.iter().map(|(l, _)| *l).collect();
    ms.sort_by(|a, b| a.total_cmp(b));

    // Exactly once: every case deemed accepted once, every acceptance timer fired once.
    let deemed = store::cases::list(
        db,
        &store::cases::Filter {
            state: Some("publicity".into()),
            ..Default::default()
        },
        1,
        1,
    )
    .await?
    .1;
    let report = greenlane::app::audit::verify(db).await?;
    println!(
        "{label:<9} {instances} instance(s): {n} timers drained in {drain:.1} s = {:.0} timers/s; cases now in publicity: {deemed}; audit chains intact: {}",
        n as f64 / drain,
        report.broken.is_none()
    );
    println!(
        "{label:<9} concurrent GET /api/v1/cases/{{id}}: {} reads ({} failed), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 100 ms)",
        ms.len(),
        failures,
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("GREENLANE_BENCH_TIMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let admin_url = admin::postgres_admin_url();
        if admin::postgres_reachable(&admin_url).await {
            let name = format!("greenlane_bench_{}", Uuid::now_v7().simple());
            let url = admin::create_database(&admin_url, &name).await?;
            let result = run(&url, "postgres", n, 2).await;
            admin::drop_database(&admin_url, &name).await?;
            result?;
        } else {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            println!("PostgreSQL does not answer: SQLite, one instance");
            run(&url, "sqlite", n, 1).await?;
        }
        Ok(())
    })
}
