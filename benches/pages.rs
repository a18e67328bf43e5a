//! The web interface's speed: the case page of a case with 200 timeline entries, the inbox and
//! the home page, rendered by the running server and fetched over loopback by a signed-in
//! browser; and the size of the static files a page loads.
//!
//! `cargo bench --bench pages` (`GREENLANE_BENCH_PAGE_REQUESTS` for another count). The case
//! goes back and forth between the acceptance check and a supplement notice until its history
//! holds 200 entries, each with its clocks. Prints figures (JSON with `--json`); asserts nothing.

use std::time::Instant;

use greenlane::app::cases::{self, FireRequest};
use greenlane::app::directory::{self, NewOrg, NewUser};
use greenlane::domain::Role;
use greenlane::engine::Actor;
use greenlane::settings::{ClockMode, MailConfig, Settings};
use greenlane::startup::Application;
use serde_json::json;

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn timed(client: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<(f64, f64, f64)> {
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client.get(url).send().await?;
        anyhow::ensure!(r.status() == 200, "{url}: {}", r.status());
        let _ = r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms.iter().sum::<f64>() / n as f64,
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let json_out = std::env::args().any(|a| a == "--json");
    let requests: usize = std::env::var("GREENLANE_BENCH_PAGE_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        jwt_secret: Some(SECRET.into()),
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows"),
        clock: ClockMode::Manual {
            start: chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc)),
        },
        mail: MailConfig::files(dir.path().join("mail"), "http://127.0.0.1"),
        documents_dir: dir.path().join("documents"),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        oidc: Vec::new(),
        timer_workers: 2,
        worker: false,
        trusted_proxies: Vec::new(),
        log_origin: "greenlane.bench/log".into(),
        password_sign_in: true,
        group_commit: true,
        log_key_file: std::env::temp_dir()
            .join(format!("greenlane-bench-{}.key", std::process::id())),
    };
    let application = Application::build(&settings).await?;
    let base = format!("http://127.0.0.1:{}", application.port());
    let app = application.app.clone();
    tokio::spawn(application.run_until_stopped());

    let admin = Actor::person(
        "setup@bureau.example",
        "CQEEB",
        [Role::Admin].into_iter().collect(),
    );
    for (code, name, kind, credit) in [
        (
            "ACME",
            "Acme Paper Co.",
            "enterprise",
            Some("91350100M000100Y43"),
        ),
        ("CQEEB", "The bureau", "bureau", None),
    ] {
        directory::add_org(
            &app,
            &admin,
            NewOrg {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                credit_code: credit.map(str::to_string),
            },
            None,
        )
        .await?;
    }
    for (email, org, role) in [
        ("ann@acme.example", "ACME", "applicant"),
        ("rui@bureau.example", "CQEEB", "reviewer"),
    ] {
        directory::add_user(
            &app,
            &admin,
            NewUser {
                email: email.into(),
                name: email.into(),
                org: org.into(),
                roles: vec![role.into()],
                lang: Some("zh".into()),
                password: Some("bench-password-1".into()),
            },
            None,
        )
        .await?;
    }
    let ann = Actor::person(
        "ann@acme.example",
        "ACME",
        [Role::Applicant].into_iter().collect(),
    );
    let rui = Actor::person(
        "rui@bureau.example",
        "CQEEB",
        [Role::Reviewer].into_iter().collect(),
    );
    let case = cases::create_case(
        &app,
        &ann,
        "eia_report_form",
        greenlane::app::bench::sample_project(),
        None,
        None,
    )
    .await?;
    let fire = |who: &Actor, action: &str, version: i64, payload: serde_json::Value| {
        let (app, who, action) = (app.clone(), who.clone(), action.to_string());
        async move {
            cases::fire(
                &app,
                &who,
                case.id,
                &action,
                FireRequest {
                    expected_version: version,
                    comment: Some("bench".into()),
                    payload,
                },
                None,
            )
            .await
        }
    };
    let mut v = fire(&ann, "submit", 1, json!({})).await?.version;
    while v < 200 {
        v = fire(
            &rui,
            "request_supplement",
            v,
            json!({"missing_items": ["site plan", "noise survey"]}),
        )
        .await?
        .version;
        v = fire(&ann, "resubmit", v, json!({})).await?.version;
    }

    // A signed-in browser: the sign-in form, then its cookie.
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let token = login
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string();
    let r = client
        .post(format!("{base}/login"))
        .header("Origin", &base)
        .form(&[
            ("csrf", token.as_str()),
            ("email", "rui@bureau.example"),
            ("password", "bench-password-1"),
        ])
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "sign-in: {}", r.status());

    let case_url = format!("{base}/cases/{}", case.id);
    let _ = timed(&client, &case_url, 20).await?; // warm-up
    let (case_p50, case_p99, case_mean) = timed(&client, &case_url, requests).await?;
    let (inbox_p50, inbox_p99, _) = timed(&client, &format!("{base}/inbox"), requests / 2).await?;
    let (home_p50, home_p99, _) = timed(&client, &format!("{base}/"), requests / 2).await?;
    let page_bytes = client.get(&case_url).send().await?.bytes().await?.len();
    let assets = greenlane::web::assets::total_bytes();
    if json_out {
        println!(
            "{}",
            json!({
                "case_page": {"timeline_entries": v, "requests": requests, "p50_ms": case_p50, "p99_ms": case_p99, "mean_ms": case_mean, "html_bytes": page_bytes},
                "inbox": {"p50_ms": inbox_p50, "p99_ms": inbox_p99},
                "home": {"p50_ms": home_p50, "p99_ms": home_p99},
                "static_bytes": assets,
            })
        );
    } else {
        println!("case page, {v} timeline entries, {requests} requests over loopback (SQLite):");
        println!("  p50 {case_p50:.2} ms, p99 {case_p99:.2} ms, mean {case_mean:.2} ms, {page_bytes} bytes of HTML");
        println!("inbox: p50 {inbox_p50:.2} ms, p99 {inbox_p99:.2} ms");
        println!("home:  p50 {home_p50:.2} ms, p99 {home_p99:.2} ms");
        println!(
            "static files, all together: {assets} bytes ({:.1} KB)",
            assets as f64 / 1024.0
        );
    }
    Ok(())
}
