//! The public transparency log against the running server, on both databases: the checkpoint
//! verifies with the published key, the tiles recompute its root, a proof per entry verifies,
//! consistency holds, an entry deleted behind the server's back is named by the audit, and the
//! monitor refuses a forked or shrunken tree.

use std::time::{Duration, Instant};

use greenlane::domain::note::{Checkpoint, Signer, Verifier};
use greenlane::domain::tlog::{self, Hash, Node};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::*;

async fn text(app: &TestApp, path: &str) -> (u16, Vec<u8>, String) {
    let r = app.client.get(app.url(path)).send().await.expect("request");
    let status = r.status().as_u16();
    let cache = r
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, r.bytes().await.expect("body").to_vec(), cache)
}

async fn public(app: &TestApp, path: &str) -> (u16, Value) {
    let r = app.client.get(app.url(path)).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn entries(app: &TestApp) -> u64 {
    let db = &app.app.db;
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_entries",
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n") as u64
}

/// Waits until the signed checkpoint covers every audit entry; answers it and its text.
async fn caught_up(app: &TestApp, verifier: &Verifier) -> (Checkpoint, String) {
    let want = entries(app).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body, cache) = text(app, "/log/checkpoint").await;
        if status == 200 {
            assert_eq!(cache, "no-cache");
            let note = String::from_utf8(body).expect("utf-8");
            let text = verifier.open(&note).expect("the checkpoint verifies");
            let c = Checkpoint::parse(text).expect("a checkpoint");
            if c.size == want {
                return (c, note);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the log did not reach {want} leaves within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hashes_of(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect()
}

fn hex_hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|h| {
            hex::decode(h.as_str().expect("hex"))
                .expect("hex")
                .try_into()
                .expect("32 bytes")
        })
        .collect()
}

#[tokio::test]
async fn the_log_is_signed_tiled_proven_audited_and_monitored() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ann = applicant();
        let mut cases = Vec::new();
        for _ in 0..3 {
            let id = app.new_case(&ann).await;
            assert_eq!(app.act(&ann, &id, "submit", 1, json!({})).await.status, 200);
            cases.push(id);
        }
        // An acceptance publishes a notice.
        let r = app
            .act(&reviewer(), &cases[1], "accept", 2, json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (status, about) = public(&app, "/api/v1/public/log").await;
        assert_eq!(status, 200, "{about}");
        assert_eq!(about["origin"], "greenlane.test/log");
        let key = about["key"].as_str().expect("a key").to_string();
        let verifier = Verifier::parse(&key).expect("the key reads");
        let (checkpoint, note) = caught_up(&app, &verifier).await;
        let size = checkpoint.size;
        assert!(size > 10, "{size} leaves");
        assert_eq!(checkpoint.origin, "greenlane.test/log");

        // The tiles (fewer than 256 leaves: partial tiles) recompute the signed root.
        let (status, bytes, cache) = text(&app, &format!("/log/tile/0/000.p/{size}")).await;
        assert_eq!(status, 200);
        assert_eq!(cache, "public, max-age=31536000, immutable");
        let leaf_hashes = hashes_of(&bytes);
        assert_eq!(leaf_hashes.len() as u64, size);
        let nodes: std::collections::HashMap<Node, Hash> =
            tlog::appended(0, &leaf_hashes, &mut |_| {
                unreachable!("an empty tree has no nodes")
            })
            .into_iter()
            .collect();
        assert_eq!(tlog::root(size, &mut |n| nodes[&n]), checkpoint.root);
        // The entry tile holds each leaf's data after its length; each hashes to its leaf.
        let (status, bytes, _) = text(&app, &format!("/log/tile/entries/000.p/{size}")).await;
        assert_eq!(status, 200);
        let mut data = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let len = u16::from_be_bytes([bytes[at], bytes[at + 1]]) as usize;
            data.push(String::from_utf8(bytes[at + 2..at + 2 + len].to_vec()).expect("text"));
            at += 2 + len;
        }
        assert_eq!(data.len() as u64, size);
        for (i, d) in data.iter().enumerate() {
            assert_eq!(tlog::leaf_hash(d.as_bytes()), leaf_hashes[i], "leaf {i}");
            let parts: Vec<&str> = d.split(' ').collect();
            assert_eq!(parts.len(), 3, "{d}");
            assert_eq!(parts[2].len(), 64, "{d}");
        }
        // A tile the log does not hold yet, and paths that are no tile.
        assert_eq!(text(&app, "/log/tile/0/000").await.0, 404);
        assert_eq!(text(&app, "/log/tile/0/x000/001").await.0, 404);
        assert_eq!(text(&app, "/log/tile/9/000").await.0, 404);

        // Every case's submission has a leaf whose inclusion proof checks against the root.
        for id in &cases {
            let index = data
                .iter()
                .position(|d| d.starts_with(&format!("{id} 2 ")))
                .expect("the submission is in the log") as u64;
            let (status, p) = public(
                &app,
                &format!("/api/v1/public/log/proof?index={index}&size={size}"),
            )
            .await;
            assert_eq!(status, 200, "{p}");
            assert_eq!(p["root"], hex::encode(checkpoint.root));
            let proof = hex_hashes(&p["proof"]);
            let leaf = tlog::leaf_hash(data[index as usize].as_bytes());
            tlog::verify_inclusion(index, size, &leaf, &proof, &checkpoint.root)
                .expect("the proof holds");
            let mut other = leaf;
            other[0] ^= 1;
            assert!(tlog::verify_inclusion(index, size, &other, &proof, &checkpoint.root).is_err());
        }
        // Consistency from an earlier size; none from 0, or beyond the log.
        let mut early_nodes = |n: Node| nodes[&n];
        let early_root = tlog::root(5, &mut early_nodes);
        let (status, c) = public(
            &app,
            &format!("/api/v1/public/log/consistency?from=5&to={size}"),
        )
        .await;
        assert_eq!(status, 200, "{c}");
        tlog::verify_consistency(
            5,
            size,
            &early_root,
            &checkpoint.root,
            &hex_hashes(&c["proof"]),
        )
        .expect("consistent");
        for bad in [
            format!("/api/v1/public/log/consistency?from=0&to={size}"),
            "/api/v1/public/log/consistency?from=6&to=5".to_string(),
            format!("/api/v1/public/log/consistency?from=1&to={}", size + 1000),
            format!("/api/v1/public/log/proof?index={size}&size={size}"),
            "/api/v1/public/log/proof?index=0&size=0".to_string(),
        ] {
            let (status, body) = public(&app, &bad).await;
            assert_eq!(status, 422, "{bad}: {body}");
            assert_eq!(body["error"], "validation_failed", "{body}");
        }
        // The notice's check covers the log: its entry's leaf and a proof to the checkpoint.
        let (_, list) = public(&app, "/api/v1/public/notices?kind=acceptance").await;
        let notice = list["notices"][0]["id"]
            .as_str()
            .expect("a notice")
            .to_string();
        let (status, v) = public(&app, &format!("/api/v1/public/notices/{notice}/verify")).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["holds"], true, "{v}");
        assert_eq!(v["log"]["included"], true, "{v}");
        assert_eq!(v["log"]["size"], size, "{v}");
        assert_eq!(v["log"]["key"], key.as_str(), "{v}");
        let index = v["log"]["index"].as_u64().expect("index") as usize;
        assert_eq!(v["log"]["leaf"], data[index].as_str(), "{v}");
        assert!(data[index].starts_with(&cases[1]), "{}", data[index]);
        let page = app
            .client
            .get(app.url(&format!("/public/notices/{notice}/verify")))
            .header("accept-language", "zh")
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("已收录。"), "{page}");
        assert!(page.contains(&format!("第 {index} 号叶子")), "{page}");
        let report = greenlane::app::tlog::audit(&app.app.db)
            .await
            .expect("audit");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.checkpoint, Some(size));
        // The bulletin and the Atom feed carry the signed checkpoint, for copies outside.
        let (_, bulletin, _) = text(&app, "/public").await;
        let bulletin = String::from_utf8(bulletin).expect("html");
        let signature = note.lines().last().expect("a signature line");
        assert!(bulletin.contains(signature), "{bulletin}");
        let (_, feed, _) = text(&app, "/public/feed.atom").await;
        let feed = String::from_utf8(feed).expect("xml");
        assert!(
            feed.contains(&format!("urn:greenlane:log:greenlane.test/log:{size}"))
                && feed.contains(signature),
            "{feed}"
        );

        // The monitor keeps the first checkpoint, then accepts a grown and consistent tree.
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().join("checkpoint");
        let run = |state: std::path::PathBuf| {
            let (address, key) = (app.address.clone(), key.clone());
            async move {
                greenlane::monitor::run(&address, &key, &state)
                    .await
                    .expect("the monitor runs")
            }
        };
        assert_eq!(run(state.clone()).await, std::process::ExitCode::SUCCESS);
        assert_eq!(std::fs::read_to_string(&state).expect("kept"), note);
        let id = app.new_case(&ann).await;
        caught_up(&app, &verifier).await;
        assert_eq!(run(state.clone()).await, std::process::ExitCode::SUCCESS);
        // A checkpoint signed with the same key for another history is a fork; a bigger one
        // than served is a shrink. Both are refused.
        let signer =
            Signer::parse(&std::fs::read_to_string(db.log_key_file()).expect("the key file"))
                .expect("the signing key");
        for (forged_size, why) in [(3, "fork"), (size + 500, "shrink")] {
            let forged = Checkpoint {
                origin: "greenlane.test/log".into(),
                size: forged_size,
                root: [7; 32],
            };
            std::fs::write(&state, signer.sign(&forged.text()).expect("sign")).expect("write");
            assert_eq!(
                run(state.clone()).await,
                std::process::ExitCode::FAILURE,
                "a {why} is refused"
            );
        }

        // A case deleted behind the server's back: the audit names it.
        let conn = &app.app.db;
        let backend = conn.get_database_backend();
        let gone: uuid::Uuid = cases[0].parse().expect("uuid");
        conn.execute(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM audit_entries WHERE case_id = {}",
                greenlane::store::placeholder(backend, 1)
            ),
            [gone.into()],
        ))
        .await
        .expect("delete");
        let report = greenlane::app::tlog::audit(&app.app.db)
            .await
            .expect("audit");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains(&cases[0]) && p.contains("no longer in the database")),
            "{:?}",
            report.problems
        );
        assert!(
            !report.problems.iter().any(|p| p.contains(&id)),
            "{:?}",
            report.problems
        );
        // The same from the command line, on the server's database: exit 1, naming the case.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_greenlane"))
            .args(["log", "audit"])
            .env("DATABASE_URL", db.url())
            .env_remove("GREENLANE_CONFIG")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run greenlane log audit");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains(&cases[0]), "{stderr}");
        db
    })
    .await;
}
