//! Reads once: a case's page reads the case once and hands it to everything it shows; an
//! action posted from a page reads it once, for the form and the decision both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use greenlane::app::cases::{self, FireRequest};
use greenlane::app::{case_file, documents, load, publish, timeline};

fn ann() -> greenlane::engine::Actor {
    greenlane::engine::Actor::person(
        "ann@acme.example",
        "ACME",
        [greenlane::domain::Role::Applicant].into_iter().collect(),
    )
}

#[tokio::test]
async fn a_case_page_and_an_action_from_it_read_the_case_once() {
    on_every_database(|db| async move {
        let test = spawn_app(&db).await;
        let id = Uuid::parse_str(&test.new_case(&applicant()).await).expect("id");
        // The same database, through a connection that counts the reads of the cases table.
        let reads = Arc::new(AtomicU64::new(0));
        let mut conn = greenlane::store::connect(db.url()).await.expect("connect");
        let counter = reads.clone();
        conn.set_metric_callback(move |info| {
            let sql = &info.statement.sql;
            let reads_cases = sql.contains(r#"FROM "cases""#) || sql.contains("FROM cases ");
            if sql.trim_start().starts_with("SELECT") && reads_cases {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut app = test.app.clone();
        app.db = conn;

        let file = case_file::read(&app, &ann(), id).await.expect("case file");
        assert_eq!(file.snapshot.id, id);
        assert_eq!(file.timeline.len(), 1, "the creation");
        assert_eq!(
            reads.swap(0, Ordering::SeqCst),
            1,
            "{}: the page's facts come from one read of the case",
            db.label()
        );

        // Asked one use case at a time, the same facts read it once each: the counter counts.
        cases::get_case(&app, &ann(), id).await.expect("case");
        timeline::timeline(&app, &ann(), id)
            .await
            .expect("timeline");
        documents::list(&app, &ann(), id).await.expect("documents");
        publish::of_case(&app, &ann(), id).await.expect("notices");
        publish::comments_of_case(&app, &ann(), id)
            .await
            .expect("comments");
        assert_eq!(reads.swap(0, Ordering::SeqCst), 5, "{}", db.label());

        // An action on the case the page opened reads it no more.
        let case = load::open_with_context(&app, &ann(), id)
            .await
            .expect("open");
        let request = FireRequest {
            expected_version: case.row().version,
            comment: None,
            payload: json!({}),
        };
        let done = cases::fire_on(&app, &ann(), case, "submit", request)
            .await
            .expect("submitted");
        assert_eq!(done.state, "submitted");
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "{}: opening and firing read the case once",
            db.label()
        );
        app.db.close().await.expect("close");
        drop(test);
        db
    })
    .await;
}
