use std::process::Command;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::*;

fn verify_cli(db: &TestDb) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_greenlane"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", db.url())
        .env_remove("GREENLANE_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run greenlane");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn audit_verify_names_the_first_entry_changed_by_hand() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        app.act(
            &rui,
            &id,
            "request_supplement",
            2,
            json!({"missing_items": ["site plan"]}),
        )
        .await;
        let untouched = app.new_case(&ann).await;
        app.act(&ann, &untouched, "submit", 1, json!({})).await;

        let (ok, out, err) = verify_cli(&db);
        assert!(ok, "{out}{err}");
        assert!(
            out.contains("2 cases, 5 audit entries, every chain intact"),
            "{out}"
        );

        // Someone edits one entry in the database by hand.
        let backend = app.app.db.get_database_backend();
        let sql = "UPDATE audit_entries SET payload = '{\"missing_items\":[]}' WHERE seq = 3";
        app.app
            .db
            .execute(Statement::from_string(backend, sql))
            .await
            .expect("tamper");

        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify runs");
        let broken = report.broken.expect("the change is found");
        assert_eq!((broken.case_id.to_string(), broken.seq), (id.clone(), 3));
        assert!(
            broken.problem.id == "audit-broken-hash",
            "{}",
            broken.problem
        );

        let (ok, _, err) = verify_cli(&db);
        assert!(!ok, "verify must fail");
        assert!(err.contains(&format!("case {id} entry 3")), "{err}");
        db
    })
    .await;
}

#[tokio::test]
async fn audit_verify_finds_a_removed_last_entry() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        let backend = app.app.db.get_database_backend();
        app.app
            .db
            .execute(Statement::from_string(
                backend,
                "DELETE FROM audit_entries WHERE seq = 2",
            ))
            .await
            .expect("delete");
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify runs");
        let broken = report.broken.expect("the removal is found");
        assert!(
            broken.problem.id == "audit-broken-version"
                && broken.problem.args == [("version", "2".to_string()), ("seq", "1".to_string())],
            "{}",
            broken.problem
        );
        db
    })
    .await;
}
