//! The benchmark's HTTP part: a real server, built as `greenlane serve` builds it, driven by
//! 16 clients over loopback while one more reads a case, so that the figures include
//! everything a request goes through. `greenlane bench` hands it to [`crate::app::bench`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use crate::app::bench::{percentile, sample_project, tempfile_dir, HttpFigures};

/// Actions over HTTP on the database at `db_url` (see [`crate::app::bench::HttpBench`]).
pub fn over_http(
    db_url: String,
    dir: PathBuf,
    cases_per_client: u64,
) -> BoxFuture<'static, anyhow::Result<HttpFigures>> {
    Box::pin(async move { measure(&db_url, &dir, cases_per_client).await })
}

async fn measure(db_url: &str, dir: &Path, cases_per_client: u64) -> anyhow::Result<HttpFigures> {
    use crate::settings::{ClockMode, JwtSettings, MailConfig, Settings};
    let work = tempfile_dir()?;
    let secret = "bench-secret-bench-secret-bench-secret-0".to_string();
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: db_url.to_string(),
        jwt_secret: Some(secret.clone()),
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir: dir.to_path_buf(),
        clock: ClockMode::System,
        mail: MailConfig::files(work.join("mail"), "http://127.0.0.1"),
        documents_dir: work.join("documents"),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        worker: false,
        timer_workers: 1,
        oidc: Vec::new(),
        trusted_proxies: Vec::new(),
        log_origin: "greenlane.test/log".into(),
        password_sign_in: true,
        group_commit: true,
        log_key_file: std::env::temp_dir().join(format!(
            "greenlane-log-{}.key",
            uuid::Uuid::now_v7().simple()
        )),
    };
    let application = crate::startup::Application::build(&settings).await?;
    let base = format!("http://127.0.0.1:{}/api/v1", application.port());
    let server = tokio::spawn(application.run_until_stopped());
    let jwt = JwtSettings {
        secret,
        issuer: "greenlane".into(),
        audience: "greenlane-api".into(),
    };
    let token = |sub: &str, org: &str, role: &str| {
        crate::token::issue(
            &jwt,
            sub,
            org,
            &[role.to_string()],
            chrono::Duration::hours(2),
            chrono::Utc::now(),
        )
    };
    let ann = token("ann@acme.example", "ACME", "applicant")?;
    let rui = token("rui@bureau.example", "CQEEB", "reviewer")?;
    let client = reqwest::Client::new();
    let post = |who: &str, path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(who.to_string())
            .json(&body)
            .send()
    };
    let first: Value = post(
        &ann,
        "/cases".into(),
        json!({"workflow": "eia_report_form", "data": sample_project()}),
    )
    .await?
    .json()
    .await?;
    let read_id = first["id"].as_str().unwrap_or_default().to_string();

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (done, client, url, rui) = (
            done.clone(),
            client.clone(),
            format!("{base}/cases/{read_id}"),
            rui.clone(),
        );
        tokio::spawn(async move {
            let mut ms = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let ok = client
                    .get(&url)
                    .bearer_auth(&rui)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            ms
        })
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, base, ann, rui) = (client.clone(), base.clone(), ann.clone(), rui.clone());
        tasks.push(tokio::spawn(async move {
            let mut actions = 0u64;
            for _ in 0..cases_per_client {
                let send = |who: &str, path: String, body: Value| {
                    client
                        .post(format!("{base}{path}"))
                        .bearer_auth(who.to_string())
                        .json(&body)
                        .send()
                };
                let case: Value = send(
                    &ann,
                    "/cases".into(),
                    json!({"workflow": "eia_report_form", "data": sample_project()}),
                )
                .await?
                .json()
                .await?;
                let id = case["id"].as_str().unwrap_or_default().to_string();
                actions += 1;
                let steps: [(&str, &str, Value); 4] = [
                    (&ann, "submit", json!({})),
                    (
                        &rui,
                        "request_supplement",
                        json!({"missing_items": ["noise survey"]}),
                    ),
                    (&ann, "resubmit", json!({})),
                    (&rui, "accept", json!({})),
                ];
                for (version, (who, action, data)) in (1..).zip(steps) {
                    let r = send(
                        who,
                        format!("/cases/{id}/actions/{action}"),
                        json!({"expected_version": version, "data": data}),
                    )
                    .await?;
                    if !r.status().is_success() {
                        anyhow::bail!("{action}: {}", r.text().await.unwrap_or_default());
                    }
                    actions += 1;
                }
            }
            anyhow::Ok(actions)
        }));
    }
    let mut actions = 0;
    for t in tasks {
        actions += t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut ms = reader.await?;
    ms.sort_by(f64::total_cmp);
    server.abort();
    let _ = std::fs::remove_dir_all(&work);
    Ok(HttpFigures {
        actions_per_s_16: actions as f64 / secs,
        get_p50_ms: percentile(&ms, 50.0),
        get_p99_ms: percentile(&ms, 99.0),
    })
}
