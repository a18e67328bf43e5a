use serde_json::json;

use crate::helpers::*;
use crate::smtp::{free_port, SmtpServer};

use greenlane::app::outbox;

fn with_smtp(db: &TestDb, start: &str, smtp_url: &str) -> greenlane::settings::Settings {
    let mut s = settings_at(db, start);
    s.mail.smtp_url = Some(smtp_url.to_string());
    s.mail.from = "Greenlane <noreply@greenlane.test>".into();
    // The tests drive the sender themselves.
    s.worker = false;
    s
}

async fn outbox_rows(app: &TestApp, state: &str) -> Vec<serde_json::Value> {
    let r = app
        .get(&admin(), &format!("/api/v1/admin/outbox?state={state}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn each_person_gets_the_notice_in_their_language_over_smtp() {
    on_every_database(|db| async move {
        let smtp = SmtpServer::start().await;
        let app = spawn_app_with(with_smtp(&db, "2026-03-02T01:00:00Z", &smtp.url())).await;
        seed_directory(&app).await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        let r = app
            .post(
                &rui,
                &format!("/api/v1/cases/{id}/actions/request_supplement"),
                &json!({"expected_version": 2, "comment": "All in one notice.", "data": {"missing_items": ["site plan", "noise survey"]}}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Recorded in the same transaction as the actions as notices; the sender's first step
        // turns them into one message per person, pending until sent.
        assert_eq!(outbox_rows(&app, "pending").await.len(), 0);
        assert_eq!(
            greenlane::app::notify::expand(&app.app).await.expect("expand"),
            2
        );
        assert_eq!(outbox_rows(&app, "pending").await.len(), 2);

        let sent = outbox::send_due(&app.app, &app.mailer).await.expect("send");
        assert_eq!(sent.sent, 2);
        let mut got = smtp.messages();
        got.sort_by_key(|m| m.to.clone());
        assert_eq!(got.len(), 2);

        // The applicant (English) is told what is missing.
        let to_ann = &got[0];
        assert_eq!(to_ann.to, vec!["ann@acme.example"]);
        assert!(to_ann.from.contains("noreply@greenlane.test"), "{}", to_ann.from);
        assert_eq!(to_ann.header("Subject"), "Materials needed: Fuling paper mill expansion");
        assert_eq!(to_ann.header("Content-Language"), "en");
        let (text, html) = to_ann.bodies();
        assert!(text.contains("- Missing items: site plan; noise survey"), "{text}");
        assert!(text.contains("All in one notice."), "{text}");
        assert!(text.contains(&format!("http://greenlane.test/cases/{id}")), "{text}");
        assert!(html.contains("<p>") && html.contains("site plan; noise survey"), "{html}");

        // The reviewer (Chinese) is told of the submission.
        let to_rui = &got[1];
        assert_eq!(to_rui.to, vec!["rui@bureau.example"]);
        assert_eq!(to_rui.header("Subject"), "已提交：Fuling paper mill expansion");
        // In Chinese throughout: the workflow, the stage and the clock by their Chinese titles.
        let body = to_rui.bodies().0;
        assert!(body.contains("（环境影响报告表审批）"), "{body}");
        assert!(body.contains("当前环节：已提交：受理审查"), "{body}");
        assert!(body.contains("下一期限：2026-03-09 (受理审查)"), "{body}");

        // Each message carries the outbox row's stable Message-ID.
        let rows = outbox_rows(&app, "sent").await;
        let ids: Vec<&str> = rows.iter().map(|r| r["message_id"].as_str().expect("id")).collect();
        for m in &got {
            assert!(ids.contains(&m.header("Message-ID").as_str()), "{}", m.header("Message-ID"));
            assert!(m.header("Message-ID").ends_with("@greenlane.test>"));
        }

        // A deadline warning goes to the reviewers the clock names: 60% of the 5-day check.
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        app.act(&ann, &id, "resubmit", v, json!({})).await;
        app.set_clock("2026-03-06T01:00:00Z").await;
        outbox::send_due(&app.app, &app.mailer).await.expect("send");
        let warnings: Vec<_> = smtp.messages().into_iter().filter(|m| m.header("Subject").starts_with("期限将至")).collect();
        assert_eq!(warnings.len(), 1);
        // Resubmitted on 2 March: a fresh 5-day check ending on Monday 9 March.
        assert!(warnings[0].bodies().0.contains("2026-03-09"), "{}", warnings[0].bodies().0);
        db
    })
    .await;
}

#[tokio::test]
async fn smtp_down_means_retries_with_backoff_then_delivery_and_failures_show_to_admins() {
    on_every_database(|db| async move {
        let port = free_port();
        let app = spawn_app_with(with_smtp(
            &db,
            "2026-03-02T01:00:00Z",
            &format!("smtp://127.0.0.1:{port}"),
        ))
        .await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await; // tells the reviewer

        let s = outbox::send_due(&app.app, &app.mailer).await.expect("send");
        assert_eq!((s.sent, s.retrying), (0, 1));
        let pending = outbox_rows(&app, "pending").await;
        assert_eq!(pending[0]["attempts"], 1);
        assert!(pending[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()));
        assert_eq!(
            pending[0]["next_attempt_at"], "2026-03-02T01:00:30Z",
            "30 s after the first failure"
        );

        // The server comes back; nothing goes before the next attempt is due.
        let smtp = SmtpServer::start_on(port).await;
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            0
        );
        app.set_clock("2026-03-02T01:00:30Z").await;
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            1
        );
        assert_eq!(smtp.messages().len(), 1);
        drop(smtp);

        // With the server gone for good, a message fails after the last attempt and shows to admins.
        let v = app.case(&ann, &id).await["version"].as_i64().expect("v");
        app.act(&ann, &id, "withdraw", v, json!({})).await;
        let other = app.new_case(&ann).await;
        app.act(&ann, &other, "submit", 1, json!({})).await;
        let mut t = chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:30Z")
            .expect("t")
            .with_timezone(&chrono::Utc);
        for attempt in 1..=outbox::MAX_ATTEMPTS {
            let s = outbox::send_due(&app.app, &app.mailer).await.expect("send");
            assert_eq!(s.sent, 0);
            t += outbox::backoff(attempt);
            app.set_clock(&t.to_rfc3339()).await;
        }
        let failed = outbox_rows(&app, "failed").await;
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0]["attempts"], outbox::MAX_ATTEMPTS);
        let r = app
            .get(&reviewer(), "/api/v1/admin/outbox?state=failed")
            .await;
        assert_error(&r, 403, "forbidden");

        // An admin retries it once the server is back: delivered.
        let smtp = SmtpServer::start_on(port).await;
        let mid = failed[0]["id"].as_str().expect("id");
        let r = app
            .post(
                &admin(),
                &format!("/api/v1/admin/outbox/{mid}/retry"),
                &json!({}),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("pending")),
            "{}",
            r.body
        );
        let r = app
            .post(
                &admin(),
                &format!("/api/v1/admin/outbox/{mid}/retry"),
                &json!({}),
                None,
            )
            .await;
        assert_error(&r, 409, "not_failed");
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            1
        );
        assert_eq!(
            smtp.messages()[0].header("Message-ID"),
            failed[0]["message_id"].as_str().expect("mid")
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_crash_between_sending_and_marking_repeats_the_message_with_the_same_message_id() {
    on_every_database(|db| async move {
        let smtp = SmtpServer::start().await;
        let app = spawn_app_with(with_smtp(&db, "2026-03-02T01:00:00Z", &smtp.url())).await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;

        // A sender claims and sends, then dies before marking the message sent.
        greenlane::app::notify::expand(&app.app)
            .await
            .expect("expand");
        let claimed = outbox::claim(&app.app).await.expect("claim");
        assert_eq!(claimed.len(), 1);
        app.mailer.send(&claimed[0]).await.expect("sent once");
        // While its lease holds, nobody else takes the message.
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            0
        );
        // Even an instance whose own clock runs far ahead judges the lease by the database's
        // clock, so it does not take the message either.
        let ahead = spawn_app_with(with_smtp(&db, "2026-03-02T03:00:00Z", &smtp.url())).await;
        assert_eq!(
            outbox::send_due(&ahead.app, &ahead.mailer)
                .await
                .expect("send")
                .sent,
            0
        );
        // The lease runs out (the sender stopped renewing it): another sender delivers it again.
        greenlane::store::outbox::end_lease(&app.app.db, claimed[0].id)
            .await
            .expect("lease ends");
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            1
        );
        let got = smtp.messages();
        assert_eq!(got.len(), 2, "at most a duplicate, never a loss");
        assert_eq!(got[0].header("Message-ID"), got[1].header("Message-ID"));
        assert_eq!(outbox_rows(&app, "sent").await.len(), 1);
        db
    })
    .await;
}

#[tokio::test]
async fn with_several_senders_each_message_goes_once() {
    on_every_database(|db| async move {
        let smtp = SmtpServer::start().await;
        let a = spawn_app_with(with_smtp(&db, "2026-03-02T01:00:00Z", &smtp.url())).await;
        let b = spawn_app_with(with_smtp(&db, "2026-03-02T01:00:00Z", &smtp.url())).await;
        seed_directory(&a).await;
        let ann = applicant();
        for _ in 0..12 {
            let id = a.new_case(&ann).await;
            a.act(&ann, &id, "submit", 1, json!({})).await;
        }
        let (x, y) = tokio::join!(
            outbox::send_due(&a.app, &a.mailer),
            outbox::send_due(&b.app, &b.mailer)
        );
        assert_eq!(x.expect("a").sent + y.expect("b").sent, 12);
        let got = smtp.messages();
        let mut ids: Vec<String> = got.iter().map(|m| m.header("Message-ID")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((got.len(), ids.len()), (12, 12));
        db
    })
    .await;
}

#[tokio::test]
async fn without_smtp_messages_are_written_as_eml_files() {
    on_every_database(|db| async move {
        let mut s = settings_at(&db, "2026-03-02T01:00:00Z");
        s.worker = false;
        let app = spawn_app_with(s).await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        assert_eq!(
            outbox::send_due(&app.app, &app.mailer)
                .await
                .expect("send")
                .sent,
            1
        );
        let files: Vec<_> = std::fs::read_dir(db.mail_dir())
            .expect("mail dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        assert_eq!(files.len(), 1);
        let raw = std::fs::read(&files[0]).expect("read");
        let parsed = mailparse::parse_mail(&raw).expect("parse");
        use mailparse::MailHeaderMap;
        assert_eq!(
            parsed.headers.get_first_value("To").as_deref(),
            Some("rui@bureau.example")
        );
        db
    })
    .await;
}

#[tokio::test]
async fn the_sender_waits_while_deadlines_fall_due_in_bulk() {
    on_every_database(|db| async move {
        let smtp = SmtpServer::start().await;
        let app = spawn_app_with(with_smtp(&db, "2026-03-02T01:00:00Z", &smtp.url())).await;
        let now = app.app.clock.now();
        let rows: Vec<greenlane::store::outbox::MailRow> = (0..60)
            .map(|i| {
                let id = uuid::Uuid::now_v7();
                greenlane::store::outbox::MailRow {
                    id,
                    message_id: format!("<{id}@greenlane.test>"),
                    case_id: None,
                    kind: "test".into(),
                    recipient: format!("person{i}@acme.example"),
                    lang: "en".into(),
                    subject: format!("Message {i}"),
                    body_text: "Text".into(),
                    body_html: "<p>Text</p>".into(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: now,
                    lease_until: None,
                    claim: None,
                    last_error: None,
                    created_at: now,
                    sent_at: None,
                }
            })
            .collect();
        greenlane::store::outbox::insert_many(&app.app.db, rows)
            .await
            .expect("queue");
        // While the timer workers find full batches of due deadlines, a pass sends one batch
        // of mail and leaves the rest.
        app.app
            .deadline_rush
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let s = outbox::send_due(&app.app, &app.mailer).await.expect("send");
        assert_eq!(s.sent, 50);
        assert_eq!(outbox_rows(&app, "pending").await.len(), 10);
        // Once the rush is over, the next pass sends the rest; nothing was lost.
        app.app
            .deadline_rush
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let s = outbox::send_due(&app.app, &app.mailer).await.expect("send");
        assert_eq!(s.sent, 10);
        assert_eq!(smtp.messages().len(), 60);
        db
    })
    .await;
}
