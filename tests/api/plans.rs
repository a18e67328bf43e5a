//! What each action of the report form writes, as its plan lists it: a change to the write path
//! shows here as a diff.

use greenlane::app::cases::{self, FireRequest};
use greenlane::domain::{Role, RoleSet};
use greenlane::engine::Actor;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_report_forms_plans_are_what_review_saw() {
    let db = TestDb::sqlite().await;
    let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
    let one = |r: Role| -> RoleSet { [r].into_iter().collect() };
    let ann = Actor::person("ann@acme.example", "ACME", one(Role::Applicant));
    let rui = Actor::person("rui@bureau.example", "CQEEB", one(Role::Reviewer));
    let amy = Actor::person("amy@bureau.example", "CQEEB", one(Role::Approver));
    let system = Actor::system();
    let path = [
        (&ann, "submit", json!({})),
        (
            &rui,
            "request_supplement",
            json!({"missing_items": ["noise survey"]}),
        ),
        (&ann, "resubmit", json!({})),
        (&rui, "accept", json!({})),
        (&system, "end_publicity", json!({})),
        (
            &rui,
            "request_revision",
            json!({"issues": ["stack height"]}),
        ),
        (&ann, "submit_revision", json!({})),
        (
            &rui,
            "complete_evaluation",
            json!({"conclusion": "acceptable"}),
        ),
        (
            &rui,
            "propose_approval",
            json!({"conditions": ["noise barrier"]}),
        ),
        (&system, "end_proposal_publicity", json!({})),
        (&amy, "approve", json!({"conditions": ["noise barrier"]})),
        (&rui, "announce", json!({})),
    ];
    let case = cases::create_case(&app.app, &ann, "eia_report_form", project(), None, None)
        .await
        .expect("created");
    let mut version = case.version;
    let mut out = Vec::new();
    for (actor, action, payload) in path {
        let request = FireRequest {
            expected_version: version,
            comment: None,
            payload,
        };
        let plan = cases::plan_of(&app.app, actor, case.id, action, &request)
            .await
            .expect("planned");
        // Planning writes nothing.
        let again = cases::plan_of(&app.app, actor, case.id, action, &request)
            .await
            .expect("planned again");
        assert_eq!(plan.len(), again.len(), "{action}");
        out.push(format!("{action} ({})", actor.subject));
        out.extend(plan.into_iter().map(|l| format!("  {l}")));
        version = cases::fire(&app.app, actor, case.id, action, request, None)
            .await
            .expect("fired")
            .version;
    }
    insta::assert_snapshot!("report_form_plans", out.join("\n"));
    db.drop_it().await;
}

/// Sixteen people acting at once, each on their own case, through pauses and resumptions of
/// clocks with warnings (the transitions that read the most): on SQLite every transaction must
/// write first, or a concurrent writer makes it fail outright instead of wait.
#[tokio::test]
async fn concurrent_actions_that_pause_and_resume_clocks_queue_instead_of_failing() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let app = app.app.clone();
            tasks.push(tokio::spawn(async move {
                let one = |r: Role| -> RoleSet { [r].into_iter().collect() };
                let ann = Actor::person("ann@acme.example", "ACME", one(Role::Applicant));
                let rui = Actor::person("rui@bureau.example", "CQEEB", one(Role::Reviewer));
                let case = cases::create_case(&app, &ann, "eia_report_form", project(), None, None)
                    .await
                    .expect("created");
                let steps = [
                    (&ann, "submit", json!({})),
                    (
                        &rui,
                        "request_supplement",
                        json!({"missing_items": ["site plan"]}),
                    ),
                    (&ann, "resubmit", json!({})),
                    (
                        &rui,
                        "request_supplement",
                        json!({"missing_items": ["noise survey"]}),
                    ),
                    (&ann, "resubmit", json!({})),
                ];
                let mut version = case.version;
                for (who, action, payload) in steps {
                    let request = FireRequest {
                        expected_version: version,
                        comment: None,
                        payload,
                    };
                    version = cases::fire(&app, who, case.id, action, request, None)
                        .await
                        .unwrap_or_else(|e| panic!("{action}: {e}"))
                        .version;
                }
            }));
        }
        for t in tasks {
            t.await.expect("every walk completes");
        }
        db
    })
    .await;
}
