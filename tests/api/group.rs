//! Group commit: actions that arrive while a batch is being written go together in the next
//! transaction, each in its own savepoint, each caller answered with its own result.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use greenlane::app::cases::{self, FireRequest};
use greenlane::app::group::GroupCommit;
use greenlane::app::AppError;

fn ann() -> greenlane::engine::Actor {
    greenlane::engine::Actor::person(
        "ann@acme.example",
        "ACME",
        [greenlane::domain::Role::Applicant].into_iter().collect(),
    )
}

/// Holds the (single) committer busy with a first piece until `release` is sent, so that what
/// comes next queues behind it.
async fn hold(
    group: &Arc<GroupCommit>,
) -> (
    tokio::task::JoinHandle<Result<(), AppError>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (started, running) = tokio::sync::oneshot::channel::<()>();
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let g = group.clone();
    let blocker = tokio::spawn(async move {
        g.write(move |_tx| {
            Box::pin(async move {
                let _ = started.send(());
                let _ = held.await;
                Ok(())
            })
        })
        .await
    });
    running.await.expect("the committer took the first piece");
    (blocker, release)
}

#[tokio::test]
async fn actions_that_arrive_together_commit_together_and_a_refusal_refuses_only_its_own() {
    on_every_database(|db| async move {
        let test = spawn_app(&db).await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(Uuid::parse_str(&test.new_case(&applicant()).await).expect("id"));
        }
        // One committer, held busy by a first piece until every action has queued behind it.
        let mut app = test.app.clone();
        let group = Arc::new(GroupCommit::start(&app.db, 1));
        app.group = Some(group.clone());
        let (blocker, release) = hold(&group).await;
        // Four cases submitted once; the fifth twice, both read at version 1.
        let mut calls = Vec::new();
        for (i, id) in ids.iter().chain(std::iter::once(&ids[4])).enumerate() {
            let (app, id) = (app.clone(), *id);
            calls.push(tokio::spawn(async move {
                let request = FireRequest {
                    expected_version: 1,
                    comment: Some(format!("call {i}")),
                    payload: json!({}),
                };
                cases::fire(&app, &ann(), id, "submit", request, None).await
            }));
        }
        for _ in 0..400 {
            if group.waiting() == 6 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(
            group.waiting(),
            6,
            "all six actions queue behind the first piece"
        );
        let _ = release.send(());
        blocker.await.expect("joined").expect("the first piece");
        let mut answers = Vec::new();
        for c in calls {
            answers.push(c.await.expect("joined"));
        }
        assert_eq!(group.counts(), (7, 2), "six actions in one transaction");
        for (i, a) in answers.iter().take(4).enumerate() {
            let snap = a.as_ref().expect("committed");
            assert_eq!(
                (snap.state.as_str(), snap.version),
                ("submitted", 2),
                "call {i}"
            );
        }
        // The same case twice: the first to arrive is written, the other sees its version and
        // is refused alone.
        let twins = [&answers[4], &answers[5]];
        assert_eq!(twins.iter().filter(|a| a.is_ok()).count(), 1, "{twins:?}");
        assert!(
            twins.iter().any(|a| matches!(
                a,
                Err(AppError::Conflict {
                    expected: 1,
                    actual: 2
                })
            )),
            "{twins:?}"
        );
        for id in &ids {
            let case = test.case(&reviewer(), &id.to_string()).await;
            assert_eq!(case["state"], "submitted");
            assert_eq!(case["version"], 2, "each case moved once");
        }
        let history = test.history(&admin(), &ids[4].to_string()).await;
        assert_eq!(
            history.iter().filter(|h| h["action"] == "submit").count(),
            1,
            "the refused twin wrote nothing"
        );
        let report = greenlane::app::audit::verify(&test.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}

#[tokio::test]
async fn a_piece_that_fails_rolls_back_alone_and_its_caller_hears_why() {
    let db = TestDb::sqlite().await;
    let test = spawn_app(&db).await;
    let id = Uuid::parse_str(&test.new_case(&applicant()).await).expect("id");
    let mut app = test.app.clone();
    let group = Arc::new(GroupCommit::start(&app.db, 1));
    app.group = Some(group.clone());
    let (blocker, release) = hold(&group).await;
    // A piece that writes, then fails: its write must not survive.
    let g = group.clone();
    let failing = tokio::spawn(async move {
        g.write(move |tx| {
            Box::pin(async move {
                use sea_orm::ConnectionTrait;
                tx.execute_unprepared("UPDATE cases SET state = 'broken'")
                    .await
                    .map_err(|e| AppError::Unexpected(e.into()))?;
                Err::<(), _>(AppError::Forbidden("a test's refusal".into()))
            })
        })
        .await
    });
    let (a2, id2) = (app.clone(), id);
    let good = tokio::spawn(async move {
        let request = FireRequest {
            expected_version: 1,
            comment: None,
            payload: json!({}),
        };
        cases::fire(&a2, &ann(), id2, "submit", request, None).await
    });
    for _ in 0..400 {
        if group.waiting() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(group.waiting(), 2);
    let _ = release.send(());
    blocker.await.expect("joined").expect("first");
    let failed = failing.await.expect("joined");
    assert!(matches!(failed, Err(AppError::Forbidden(_))), "{failed:?}");
    let good = good
        .await
        .expect("joined")
        .expect("the other action commits");
    assert_eq!(good.state, "submitted");
    let case = test.case(&reviewer(), &id.to_string()).await;
    assert_eq!(
        case["state"], "submitted",
        "the failed piece's update was rolled back"
    );
    db.drop_it().await;
}
