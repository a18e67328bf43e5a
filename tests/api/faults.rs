//! Faults: the server process is killed (SIGKILL) in the middle of concurrent writes on
//! PostgreSQL and started again. Every acknowledged write must be there exactly once, every audit
//! chain must verify, and every request retried with its Idempotency-Key must act once.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::*;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start(db: &TestDb, files: &std::path::Path) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_greenlane"))
        .arg("serve")
        .env_remove("GREENLANE_CONFIG")
        .env("DATABASE_URL", db.url())
        .env("GREENLANE_JWT_SECRET", SECRET)
        .env("GREENLANE_BIND", format!("127.0.0.1:{port}"))
        .env("GREENLANE_WORKFLOWS", workflows_dir())
        .env("GREENLANE_DOCUMENTS_DIR", files.join("documents"))
        .env("GREENLANE_MAIL_DIR", files.join("mail"))
        .env("GREENLANE_LOG_KEY_FILE", files.join("log.key"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start greenlane serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{}/health", server.base)).send().await {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer /health within 30 s");
}

/// One write with its key: what was sent, and what (if anything) the client was told.
#[derive(Clone)]
struct Write {
    key: String,
    path: String,
    body: Value,
    answer: Option<(u16, Value)>,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    w: &Write,
) -> Option<(u16, Value)> {
    let resp = client
        .post(format!("{base}{}", w.path))
        .bearer_auth(token)
        .header("idempotency-key", &w.key)
        .json(&w.body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.ok()?;
    Some((status, body))
}

#[tokio::test]
async fn a_killed_server_loses_nothing_it_acknowledged_and_retries_act_once() {
    let Some(db) = postgres_only().await else {
        eprintln!("NOTE: PostgreSQL does not answer: the kill -9 test is skipped");
        return;
    };
    let files = tempfile::tempdir().expect("dir");
    let token = applicant().token;
    let started = Instant::now();
    let log: Arc<Mutex<Vec<Write>>> = Arc::default();
    let mut committed_unacknowledged = 0;
    let mut back_in = Vec::new();
    for round in 0..3 {
        let begun = Instant::now();
        let mut server = start(&db, files.path()).await;
        if round > 0 {
            back_in.push(begun.elapsed());
        }
        let before = log.lock().expect("lock").len();
        // Eight clients, each filing cases and submitting each one it was told about, every
        // request with its own key, until the server dies under them.
        let mut clients = Vec::new();
        for c in 0..8 {
            let (log, base, token) = (log.clone(), server.base.clone(), token.clone());
            clients.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                for i in 0.. {
                    let mut create = Write {
                        key: format!("create-{round}-{c}-{i}"),
                        path: "/api/v1/cases".into(),
                        body: json!({"workflow": "eia_report_form", "data": project()}),
                        answer: None,
                    };
                    create.answer = send(&client, &base, &token, &create).await;
                    log.lock().expect("lock").push(create.clone());
                    let Some((201, case)) = create.answer else {
                        break;
                    };
                    let id = case["id"].as_str().expect("id").to_string();
                    let mut submit = Write {
                        key: format!("submit-{round}-{c}-{i}"),
                        path: format!("/api/v1/cases/{id}/actions/submit"),
                        body: json!({"expected_version": 1, "data": {}}),
                        answer: None,
                    };
                    submit.answer = send(&client, &base, &token, &submit).await;
                    log.lock().expect("lock").push(submit.clone());
                    if submit.answer.is_none() {
                        break;
                    }
                }
            }));
        }
        // Let the load build up, then kill the process without warning.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        for c in clients {
            c.await.expect("client task");
        }
        // What the dead server committed without telling anyone.
        let round_writes: Vec<Write> = log.lock().expect("lock")[before..].to_vec();
        // The kill must have cut writes in flight, or this round proved nothing about them.
        let cut_now = round_writes.iter().filter(|w| w.answer.is_none()).count();
        assert!(
            cut_now > 0,
            "round {round}: the kill cut no write ({} sent, all answered)",
            round_writes.len()
        );
        let acknowledged_creations = round_writes
            .iter()
            .filter(|w| w.key.starts_with("create") && w.answer.is_some())
            .count();
        let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
        let row = conn
            .query_one(Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) FROM cases".to_string(),
            ))
            .await
            .expect("query")
            .expect("row");
        let earlier_creations = log.lock().expect("lock")[..before]
            .iter()
            .filter(|w| w.key.starts_with("create"))
            .count();
        let stored = row.try_get_by_index::<i64>(0).expect("count") as usize;
        // Cut creations of earlier rounds are not retried until the end, so they count as
        // stored only if their commit landed; a lower bound is what this round shows.
        committed_unacknowledged +=
            stored.saturating_sub(earlier_creations + acknowledged_creations);
        drop(conn);
    }
    let writes = log.lock().expect("lock").clone();
    let acknowledged = writes.iter().filter(|w| w.answer.is_some()).count();
    let cut = writes.len() - acknowledged;
    for w in &writes {
        if let Some((status, body)) = &w.answer {
            assert!(
                *status == 201 || *status == 200,
                "{} answered {status} {body}",
                w.key
            );
        }
    }

    // Started again on the same database, every request is sent again with its key.
    let begun = Instant::now();
    let again = start(&db, files.path()).await;
    back_in.push(begun.elapsed());
    let client = reqwest::Client::new();
    let mut retried_fresh = 0;
    let mut by_key: HashMap<String, Value> = HashMap::new();
    for w in &writes {
        let (status, body) = send(&client, &again.base, &token, w)
            .await
            .expect("the restarted server answers");
        assert!(
            status == 201 || status == 200,
            "{} retried: {status} {body}",
            w.key
        );
        match &w.answer {
            // Told once, told the same again.
            Some((_, first)) => assert_eq!(&body, first, "{} answered differently", w.key),
            None => retried_fresh += 1,
        }
        by_key.insert(w.key.clone(), body);
    }
    // A cut submit whose case the client never heard of cannot be retried by that client; the
    // cases whose creation was cut are submitted now, with new keys, to check they are usable.
    for w in writes
        .iter()
        .filter(|w| w.answer.is_none() && w.key.starts_with("create"))
    {
        let id = by_key[&w.key]["id"].as_str().expect("id").to_string();
        let submit = Write {
            key: format!("late-{}", w.key),
            path: format!("/api/v1/cases/{id}/actions/submit"),
            body: json!({"expected_version": 1, "data": {}}),
            answer: None,
        };
        let (status, body) = send(&client, &again.base, &token, &submit)
            .await
            .expect("answer");
        assert_eq!(status, 200, "{body}");
    }

    // Exactly one case per creation key, and one submission per case.
    let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
    let backend = conn.get_database_backend();
    let count = |sql: &'static str| {
        let conn = &conn;
        async move {
            let row = conn
                .query_one(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("a count")
        }
    };
    let creations = writes
        .iter()
        .filter(|w| w.key.starts_with("create"))
        .count() as i64;
    assert_eq!(count("SELECT COUNT(*) FROM cases").await, creations);
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM (SELECT case_id FROM audit_entries WHERE action = 'submit' \
             GROUP BY case_id HAVING COUNT(*) > 1) twice"
        )
        .await,
        0,
        "a submission was applied twice"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM cases WHERE state = 'draft'").await,
        0,
        "every case was submitted once"
    );
    for w in writes.iter().filter(|w| w.key.starts_with("create")) {
        let id = by_key[&w.key]["id"].as_str().expect("id").to_string();
        let sql = format!("SELECT COUNT(*) FROM cases WHERE id = '{id}'");
        let row = conn
            .query_one(Statement::from_string(backend, sql))
            .await
            .expect("query")
            .expect("row");
        assert_eq!(row.try_get_by_index::<i64>(0).expect("count"), 1);
    }
    let report = greenlane::app::audit::verify(&conn).await.expect("verify");
    assert!(report.broken.is_none(), "{:?}", report.broken);
    eprintln!(
        "kill -9 under load, 3 times: {} writes sent, {acknowledged} acknowledged and all found \
         once, {cut} cut by a kill ({committed_unacknowledged} of them committed before it), each \
         retried with its key and applied once ({retried_fresh} retries); {creations} cases; \
         serving again {:?} after a kill; {:.1} s in all",
        writes.len(),
        back_in
            .iter()
            .map(|d| format!("{:.2} s", d.as_secs_f64()))
            .collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );
    drop(again);
    drop(conn);
    db.drop_it().await;
}

/// Three server processes on one PostgreSQL database, each with its own integrator, under load;
/// one is killed (SIGKILL) while the log takes in entries and started again. One log comes out:
/// every audit entry a leaf exactly once, the indexes without a gap, and a tree that matches.
#[tokio::test]
async fn three_instances_write_one_log_through_a_kill() {
    let Some(db) = postgres_only().await else {
        eprintln!("NOTE: PostgreSQL does not answer: the three-instance log test is skipped");
        return;
    };
    let files = tempfile::tempdir().expect("dir");
    let token = applicant().token;
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(start(&db, files.path()).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let load = |bases: Vec<String>, token: String, rounds: usize| {
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            let mut created = 0;
            for i in 0..rounds {
                let base = &bases[i % bases.len()];
                let r = client
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&token)
                    .json(&json!({"workflow": "eia_report_form", "data": project()}))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().as_u16() == 201) {
                    created += 1;
                }
            }
            created
        })
    };
    // Load on the two that live, while the third is killed in the middle of it.
    let clients: Vec<_> = (0..4)
        .map(|_| load(bases[..2].to_vec(), token.clone(), 60))
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut victim = servers.pop().expect("a third server");
    victim.child.kill().expect("SIGKILL");
    victim.child.wait().expect("reaped");
    drop(victim);
    let mut created = 0;
    for c in clients {
        created += c.await.expect("load");
    }
    assert!(created > 100, "only {created} cases were created");
    servers.push(start(&db, files.path()).await);

    // Every entry is in the log within a few seconds.
    let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
    let backend = conn.get_database_backend();
    let count = |sql: &'static str| {
        let conn = &conn;
        async move {
            conn.query_one(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .expect("a row")
                .try_get_by_index::<i64>(0)
                .expect("a number")
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while count("SELECT COUNT(*) FROM audit_entries WHERE log_index IS NULL").await > 0 {
        assert!(
            Instant::now() < deadline,
            "entries left out of the log after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entries = count("SELECT COUNT(*) FROM audit_entries").await;
    assert_eq!(
        count("SELECT COUNT(DISTINCT log_index) FROM audit_entries").await,
        entries
    );
    assert_eq!(
        count("SELECT MAX(log_index) + 1 FROM audit_entries").await,
        entries,
        "a gap"
    );
    assert_eq!(count("SELECT COUNT(*) FROM log_leaves").await, entries);
    let report = greenlane::app::tlog::audit(&conn).await.expect("audit");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    eprintln!(
        "three instances, one killed under load: {entries} entries, one log without gap or \
         duplicate, {} checkpoints signed",
        count("SELECT COUNT(*) FROM log_checkpoints").await
    );
    drop(servers);
    drop(conn);
    db.drop_it().await;
}
