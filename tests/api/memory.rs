//! The server's resident memory, read from Linux's `/proc` while a demo server (its own process,
//! as deployed) seeds its data and answers 20 sign-ins at once. It prints the figures; the goal
//! is under 100 MB for a release build (this test runs the build `cargo test` made).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

/// `VmRSS` and `VmHWM` (the peak) of a process, in MiB.
fn resident(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
    };
    Some((kib("VmRSS:")? / 1024.0, kib("VmHWM:")? / 1024.0))
}

#[tokio::test]
async fn memory_through_seeding_and_twenty_simultaneous_sign_ins() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("NOTE: no /proc here: the memory figures are not read");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_greenlane"))
        .args(["serve", "--demo"])
        .env_remove("GREENLANE_CONFIG")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("g.db").display()),
        )
        .env("GREENLANE_JWT_SECRET", SECRET)
        .env("GREENLANE_BIND", format!("127.0.0.1:{port}"))
        .env("GREENLANE_WORKFLOWS", workflows_dir())
        .env("GREENLANE_DOCUMENTS_DIR", dir.path().join("documents"))
        .env("GREENLANE_MAIL_DIR", dir.path().join("mail"))
        .env("GREENLANE_LOG_KEY_FILE", dir.path().join("log.key"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start greenlane serve --demo");
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut up = false;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/health")).send().await {
            if r.status().is_success() {
                up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the demo server did not answer /health within 120 s");
    let (seeded, seeding_peak) = resident(pid).expect("read /proc");

    // Twenty people of the bureau, so that each sign-in is a password check of its own.
    let admin = admin();
    for i in 0..20 {
        let r = client
            .post(format!("{base}/api/v1/admin/users"))
            .bearer_auth(&admin.token)
            .json(&json!({"email": format!("p{i}@bureau.example"), "name": format!("P{i}"), "org": "CQEEB", "roles": ["reviewer"], "lang": "zh", "password": "correct horse battery"}))
            .send()
            .await
            .expect("add a person");
        assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
    }
    let started = Instant::now();
    let mut sign_ins = Vec::new();
    for i in 0..20 {
        let (client, url) = (client.clone(), format!("{base}/api/v1/auth/login"));
        let email = format!("p{i}@bureau.example");
        sign_ins.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"email": email, "password": "correct horse battery"}))
                .send()
                .await
                .expect("sign in");
            r.status().as_u16()
        }));
    }
    for s in sign_ins {
        assert_eq!(s.await.expect("task"), 200, "every sign-in succeeds");
    }
    let answered = started.elapsed();
    let (after, peak) = resident(pid).expect("read /proc");
    let _ = child.kill();
    let _ = child.wait();
    eprintln!(
        "memory of `greenlane serve --demo` ({} build): {seeded:.0} MiB resident after seeding \
         (peak {seeding_peak:.0} MiB), {after:.0} MiB after 20 simultaneous sign-ins, peak \
         {peak:.0} MiB; the 20 sign-ins answered in {:.2} s",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        answered.as_secs_f64()
    );
}
