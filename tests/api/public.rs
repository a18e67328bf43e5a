//! Public disclosure over HTTP: what is published on each path, and when; the period's days on
//! the official calendar; comments inside and outside the period, and their limits; feeds and
//! CSV; the check of a notice against its chain; and that nothing undeclared is ever public.

use serde_json::{json, Value};

use crate::helpers::*;

/// What the public reads: a page's status and text (no cookies, no redirects followed).
async fn public_get(app: &TestApp, path: &str) -> (u16, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url(path))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Posts a comment from this site's page.
async fn comment(app: &TestApp, notice: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(&format!("/public/notices/{notice}/comments")))
        .header("Origin", app.address.clone())
        .header("Accept-Language", "en")
        .form(fields)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

async fn upload(app: &TestApp, who: &User, id: &str, name: &str, bytes: &[u8]) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(format!("{name}.pdf"))
        .mime_str("application/pdf")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("name", name.to_string());
    let r = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/documents")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.expect("json")
}

/// The ids of the notices the bulletin lists (newest first), read from its CSV.
async fn listed(app: &TestApp, query: &str) -> Vec<(String, String)> {
    let (status, body) = public_get(app, &format!("/public/notices.csv{query}")).await;
    assert_eq!(status, 200);
    // Not an empty answer: the byte-order mark and the header line, rows or not.
    let head = body.lines().next().unwrap_or_default();
    assert!(head.starts_with("\u{feff}id,"), "{body}");
    let mut r = csv::Reader::from_reader(body.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[0].to_string(), rec[1].to_string())
        })
        .collect()
}

const SECRET: &str = "undisclosed-process-7Q";

fn project_with_secrets() -> Value {
    let mut p = project();
    p["place"] = json!("Fuling District, Baitao Street");
    p["features"] = json!([SECRET]);
    p["quantities"] = json!({"pulp_t": 48_000});
    // Hand-made paper: a report form under item 37.
    p["classification"] = json!({"edition": "2021", "action": "new", "items": [{"no": 37, "answers": {"37.report.1": false, "37.report_form.1": true}}]});
    p
}

#[tokio::test]
async fn a_report_form_publishes_its_acceptance_proposal_and_decision_and_nothing_else() {
    on_every_database(|db| async move {
        // Monday 2 March 2026, 09:00 in Chongqing.
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let (ann, rui) = (applicant(), reviewer());
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let r = app.create_case(&ann, project_with_secrets()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_string();
        upload(
            &app,
            &ann,
            &id,
            "public_version",
            b"%PDF-1.4 public version",
        )
        .await;
        upload(&app, &ann, &id, "full_report", b"%PDF-1.4 the whole file").await;
        let v = app.case(&ann, &id).await["version"].as_i64().expect("v");
        assert_eq!(app.act(&ann, &id, "submit", v, json!({})).await.status, 200);

        // Submitted, not accepted: nothing is public, and the case's id is no notice.
        assert!(listed(&app, "").await.is_empty());
        for path in [
            format!("/public/notices/{id}"),
            format!("/public/notices/{id}/verify"),
            format!("/public/notices/{id}/documents/public_version"),
        ] {
            assert_eq!(public_get(&app, &path).await.0, 404, "{path}");
        }
        assert_eq!(
            comment(&app, &id, &[("name", "Li"), ("text", "hi")])
                .await
                .0,
            404
        );

        // Accepted: the acceptance notice, at once.
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        assert_eq!(app.act(&rui, &id, "accept", v, json!({})).await.status, 200);
        let notices = listed(&app, "").await;
        assert_eq!(notices.len(), 1);
        let (acceptance, kind) = notices[0].clone();
        assert_eq!(kind, "acceptance");
        let (status, page) = public_get(&app, &format!("/public/notices/{acceptance}")).await;
        assert_eq!(status, 200);
        for shown in [
            "Fuling paper mill expansion",
            "Fuling District, Baitao Street",
            "Acme Paper Co.",
            "91350100M000100Y43",
            "C2221",
            // Five working days from the day after acceptance: 3 to 9 March.
            "2026-03-03 to 2026-03-09",
            "begins on its first day",
            "Public version of the assessment",
            // The classification under the catalogue, with its deciding condition verbatim.
            "Item 37: 纸浆制造221*；造纸222*（含废纸造纸）",
            "Report form, decided by EIA report form (报告表), condition 1: “手工纸制造”",
        ] {
            assert!(page.contains(shown), "`{shown}` missing:\n{page}");
        }
        // The publicity clock on the case ends on the same day.
        let clock = app.clock(&rui, &id, "acceptance_publicity").await;
        assert_eq!(clock["due"], "2026-03-09", "{clock}");
        // The public version can be downloaded from the notice; the full file cannot.
        let (status, body) = public_get(
            &app,
            &format!("/public/notices/{acceptance}/documents/public_version"),
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "%PDF-1.4 public version"));
        assert_eq!(
            public_get(
                &app,
                &format!("/public/notices/{acceptance}/documents/full_report")
            )
            .await
            .0,
            404
        );

        // Comments: refused without a name or with the hidden field filled; five an hour.
        let (status, page) = comment(&app, &acceptance, &[("name", ""), ("text", "")]).await;
        assert_eq!(status, 422, "{page}");
        // The summary names each field that needs an answer.
        let summary = page
            .split("id=\"error-summary\"")
            .nth(1)
            .expect("a summary")
            .split("</div>")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            summary.contains("Your name") && summary.contains("Your comment"),
            "{summary}"
        );
        let (status, _) = comment(
            &app,
            &acceptance,
            &[("name", "Bot"), ("text", "buy"), ("website", "http://spam")],
        )
        .await;
        assert_eq!(status, 422);
        let long = "长".repeat(2001);
        assert_eq!(
            comment(&app, &acceptance, &[("name", "Li"), ("text", &long)])
                .await
                .0,
            422
        );
        for i in 0..5 {
            let text = format!("<script>alert({i})</script> the river is close");
            let (status, _) = comment(
                &app,
                &acceptance,
                &[
                    ("name", "Li Wei"),
                    ("contact", "li@example.com"),
                    ("text", &text),
                ],
            )
            .await;
            assert_eq!(status, 303, "comment {i}");
        }
        let (status, page) = comment(&app, &acceptance, &[("name", "Li"), ("text", "6")]).await;
        assert_eq!(status, 429, "{page}");
        assert!(page.contains("Too many comments"), "{page}");
        // A comment from another site is refused and changes nothing.
        let other = reqwest::Client::new()
            .post(app.url(&format!("/public/notices/{acceptance}/comments")))
            .header("Origin", "https://elsewhere.example")
            .form(&[("name", "X"), ("text", "forged")])
            .send()
            .await
            .expect("request");
        assert_eq!(other.status().as_u16(), 403);

        // The case's people see the comments (escaped), the public does not.
        let history = app.history(&rui, &id).await;
        assert_eq!(
            history
                .iter()
                .filter(|e| e["action"] == "public_comment")
                .count(),
            5
        );
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}")).await;
        assert!(!page.contains("the river is close"));

        // After 24:00 on the last day, comments are refused.
        app.set_clock("2026-03-04T01:00:00Z").await;
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}")).await;
        assert!(page.contains("4 days left"), "{page}");
        app.set_clock("2026-03-09T15:59:00Z").await;
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}")).await;
        assert!(page.contains("last day"), "{page}");
        assert_eq!(
            comment(
                &app,
                &acceptance,
                &[("name", "Zhao"), ("text", "late but in time")]
            )
            .await
            .0,
            303
        );
        app.set_clock("2026-03-09T16:00:01Z").await;
        let (status, page) =
            comment(&app, &acceptance, &[("name", "Zhao"), ("text", "too late")]).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("has ended"), "{page}");
        assert_eq!(app.case(&rui, &id).await["state"], "evaluation");

        // A reviewer reads them on the case page (escaped, with contacts) and answers one.
        let browser = crate::web::Browser::new(&app, "en");
        let csrf = browser
            .sign_in("rui@bureau.example", "correct horse battery")
            .await;
        let case_page = browser.get(&format!("/cases/{id}")).await.html;
        assert!(
            case_page.contains("&#60;script&#62;alert(0)"),
            "{case_page}"
        );
        assert!(!case_page.contains("<script>alert(0)"), "{case_page}");
        assert!(case_page.contains("li@example.com"));
        let first = case_page
            .split("<li id=\"comment-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a comment")
            .to_string();
        let r = browser
            .post(
                &format!("/cases/{id}/comments/{first}"),
                &[("csrf", csrf.as_str()), ("handling", "")],
            )
            .await;
        assert_eq!(r.status, 422, "an empty answer is refused");
        let r = browser
            .post(
                &format!("/cases/{id}/comments/{first}"),
                &[
                    ("csrf", csrf.as_str()),
                    ("handling", "Adopted: the outfall moves 300 m downstream."),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.html);

        // The proposed decision, with the comments' count.
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        let r = app
            .act(
                &rui,
                &id,
                "complete_evaluation",
                v,
                json!({"conclusion": "sound"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .act(
                &rui,
                &id,
                "propose_approval",
                v + 1,
                json!({"conditions": ["Treat waste water to grade A"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let notices = listed(&app, "").await;
        assert_eq!(notices.len(), 2);
        let (proposal, kind) = notices[0].clone();
        assert_eq!(kind, "proposed_decision");
        let (_, page) = public_get(&app, &format!("/public/notices/{proposal}")).await;
        for shown in [
            "Propose approval, with conditions",
            "Treat waste water to grade A",
            "Comments received from the public: 6",
            "Adopted: the outfall moves 300 m downstream.",
            "request a hearing within 5 working days",
        ] {
            assert!(page.contains(shown), "`{shown}` missing:\n{page}");
        }

        // The decision and its announcement.
        app.set_clock("2026-03-20T01:00:00Z").await;
        assert_eq!(app.case(&rui, &id).await["state"], "decision");
        let v = app.case(&amy, &id).await["version"].as_i64().expect("v");
        let r = app
            .act(
                &amy,
                &id,
                "approve",
                v,
                json!({"conditions": ["Treat waste water to grade A", "Monitor the outfall"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            listed(&app, "").await.len(),
            2,
            "a decision is public once announced"
        );
        let r = app.act(&rui, &id, "announce", v + 1, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let reference = app.case(&rui, &id).await["reference"]
            .as_str()
            .expect("reference")
            .to_string();
        assert!(reference.starts_with("HP-2026-"), "{reference}");
        let notices = listed(&app, "?kind=decision").await;
        assert_eq!(notices.len(), 1);
        let decision = notices[0].0.clone();
        let (_, page) = public_get(&app, &format!("/public/notices/{decision}")).await;
        for shown in [
            "Approve, with conditions",
            "Monitor the outfall",
            reference.as_str(),
            "within 60 days",
            "within 6 months",
        ] {
            assert!(page.contains(shown), "`{shown}` missing:\n{page}");
        }

        // Never public: undeclared fields, the full file, comments and their authors.
        let mut everything = String::new();
        for path in [
            "/public".to_string(),
            "/public?kind=acceptance".to_string(),
            "/public/feed.atom".to_string(),
            "/public/feeds/acceptance.atom".to_string(),
            "/public/feeds/proposed_decision.atom".to_string(),
            "/public/feeds/decision.atom".to_string(),
            "/public/notices.csv".to_string(),
            format!("/public/notices/{acceptance}"),
            format!("/public/notices/{proposal}"),
            format!("/public/notices/{decision}"),
            format!("/public/notices/{decision}/verify"),
        ] {
            let (status, body) = public_get(&app, &path).await;
            assert_eq!(status, 200, "{path}");
            everything.push_str(&body);
        }
        for hidden in [
            SECRET,
            "pulp_t",
            "48000",
            "full_report",
            "Li Wei",
            "li@example.com",
            "sound",
        ] {
            assert!(!everything.contains(hidden), "`{hidden}` is public");
        }

        // Feeds are Atom 1.0 that a feed reader parses.
        for (path, n) in [
            ("/public/feed.atom", 3),
            ("/public/feeds/acceptance.atom", 1),
            ("/public/feeds/filing.atom", 0),
        ] {
            // The main feed also carries the transparency log's latest signed checkpoint, once
            // the log has signed one (within a second of start; a copy is kept a second).
            let wanted = usize::from(path == "/public/feed.atom");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                let (_, body) = public_get(&app, path).await;
                let feed = feed_rs::parser::parse(body.as_bytes()).expect("a valid feed");
                assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
                let notices = feed.entries.iter().filter(|e| e.id.starts_with("urn:uuid:")).count();
                assert_eq!(notices, n, "{path}");
                let checkpoints = feed.entries.iter().filter(|e| e.id.starts_with("urn:greenlane:log:")).count();
                assert_eq!(feed.entries.len(), notices + checkpoints, "{path}");
                if checkpoints == wanted {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "{path}: {checkpoints} checkpoints");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        assert_eq!(public_get(&app, "/public/feeds/bids.atom").await.0, 404);

        // The notice checks against the chain, until someone alters an entry by hand.
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}/verify")).await;
        assert!(page.contains("The chain holds."), "{page}");
        use sea_orm::{ConnectionTrait, Statement};
        let backend = app.app.db.get_database_backend();
        // A title changed in the notice's own column is what the heading, the bulletin and the
        // CSV show: it no longer verifies; put back, it does again.
        let sql = |q: &str| Statement::from_string(backend, q.to_string());
        app.app
            .db
            .execute(sql("UPDATE publications SET title = title || ' (altered)' WHERE kind = 'acceptance'"))
            .await
            .expect("tamper");
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}/verify")).await;
        assert!(page.contains("The chain does not hold."), "{page}");
        assert!(page.contains("the title, enterprise or place shown with the notice differ"), "{page}");
        let api = reqwest::get(app.url(&format!("/api/v1/public/notices/{acceptance}/verify")))
            .await
            .expect("verify")
            .json::<serde_json::Value>()
            .await
            .expect("json");
        assert_eq!(api["holds"], false, "{api}");
        app.app
            .db
            .execute(sql("UPDATE publications SET title = replace(title, ' (altered)', '') WHERE kind = 'acceptance'"))
            .await
            .expect("restore");
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}/verify")).await;
        assert!(page.contains("The chain holds."), "{page}");
        app.app
            .db
            .execute(Statement::from_string(
                backend,
                "UPDATE audit_entries SET comment = 'altered' \
                 WHERE seq = 2 AND action = 'upload_document'"
                    .to_string(),
            ))
            .await
            .expect("tamper");
        let (_, page) = public_get(&app, &format!("/public/notices/{acceptance}/verify")).await;
        assert!(page.contains("The chain does not hold."), "{page}");
        assert!(page.contains("It breaks at entry 2."), "{page}");
        db
    })
    .await;
}

#[tokio::test]
async fn deemed_acceptance_and_registration_filings_are_published_too() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let ann = applicant();
        // A report form nobody answers within 5 working days is deemed accepted: published.
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        // A registration form is filed at once, with its receipt number.
        let mut reg = project();
        reg["category"] = json!("registration");
        let r = app
            .post(
                &ann,
                "/api/v1/cases",
                &json!({"workflow": "eia_registration", "data": reg}),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let filed = r.body["id"].as_str().expect("id").to_string();
        let r = app.act(&ann, &filed, "file", 1, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let receipt = app.case(&ann, &filed).await["reference"]
            .as_str()
            .expect("receipt")
            .to_string();
        let notices = listed(&app, "?kind=filing").await;
        assert_eq!(notices.len(), 1);
        let (_, page) = public_get(&app, &format!("/public/notices/{}", notices[0].0)).await;
        assert!(page.contains(&receipt), "{page}");
        assert!(page.contains("Registration filing"), "{page}");
        assert!(!page.contains("Comment on this notice"), "{page}");
        assert_eq!(
            comment(&app, &notices[0].0, &[("name", "Li"), ("text", "x")])
                .await
                .0,
            422,
            "a filing takes no comments"
        );

        assert!(listed(&app, "?kind=acceptance").await.is_empty());
        app.set_clock("2026-03-10T01:00:00Z").await;
        assert_eq!(app.case(&ann, &id).await["state"], "publicity");
        let notices = listed(&app, "?kind=acceptance").await;
        assert_eq!(notices.len(), 1, "deemed accepted: published");
        let (_, page) = public_get(&app, &format!("/public/notices/{}", notices[0].0)).await;
        assert!(page.contains("Acceptance notice"), "{page}");
        // Written with the other deadlines of its batch: it names the enterprise and the period,
        // and checks against the chain.
        assert!(page.contains("Acme"), "{page}");
        assert!(
            page.contains("2026-03-11 to 2026-03-17"),
            "five working days: {page}"
        );
        let (_, page) = public_get(&app, &format!("/public/notices/{}/verify", notices[0].0)).await;
        assert!(page.contains("The chain holds."), "{page}");

        // Search: by name, by enterprise, by date; unknown filters read as none.
        assert_eq!(listed(&app, "?q=paper%20mill").await.len(), 2);
        assert_eq!(listed(&app, "?q=acme").await.len(), 2);
        assert_eq!(listed(&app, "?q=nothing-like-this").await.len(), 0);
        assert_eq!(listed(&app, "?from=2026-03-03").await.len(), 1);
        assert_eq!(listed(&app, "?to=2026-03-02").await.len(), 1);
        let (status, page) = public_get(&app, "/public?from=not-a-date&kind=bids").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("aria-invalid") || page.contains("invalid"),
            "{page}"
        );
        db
    })
    .await;
}

/// A report form submitted by Acme's applicant, waiting for its acceptance check.
async fn submitted(app: &TestApp) -> String {
    let id = app.new_case(&applicant()).await;
    assert_eq!(
        app.act(&applicant(), &id, "submit", 1, json!({}))
            .await
            .status,
        200
    );
    id
}

/// The reviewer accepts it: the acceptance notice is published.
async fn accept(app: &TestApp, id: &str) {
    let rui = reviewer();
    let v = app.case(&rui, id).await["version"].as_i64().expect("v");
    assert_eq!(app.act(&rui, id, "accept", v, json!({})).await.status, 200);
}

/// Without sign-in, as JSON.
async fn public_json(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, app.url(path));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_public_api_lists_notices_and_takes_comments_during_the_period_only() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let rui = reviewer();
        let id = submitted(&app).await;
        let get = reqwest::Method::GET;
        let post = reqwest::Method::POST;

        // Nothing published yet; a case id is no notice.
        let (status, list) = public_json(&app, get.clone(), "/api/v1/public/notices", None).await;
        assert_eq!((status, list["total"].as_u64()), (200, Some(0)), "{list}");
        let (status, err) =
            public_json(&app, get.clone(), &format!("/api/v1/public/notices/{id}"), None).await;
        assert_eq!((status, err["error"].as_str()), (404, Some("not_found")), "{err}");

        accept(&app, &id).await;
        let (_, list) = public_json(
            &app,
            get.clone(),
            "/api/v1/public/notices?kind=acceptance&per_page=10",
            None,
        )
        .await;
        assert_eq!(list["total"], 1, "{list}");
        let n = &list["notices"][0];
        let notice = n["id"].as_str().expect("id").to_string();
        assert_eq!(n["kind"], "acceptance");
        assert_eq!(n["period"]["state"], "before", "{n}");
        assert_eq!(n["period"]["first"], "2026-03-03");
        assert_eq!(n["period"]["last"], "2026-03-09");
        assert!(!n.to_string().contains(SECRET), "{n}");
        for bad in [
            "kind=bids",
            "kind=",
            "from=yesterday",
            "to=",
            "per_page=0",
            "page=0",
            "colour=red",
        ] {
            let (status, err) = public_json(
                &app,
                get.clone(),
                &format!("/api/v1/public/notices?{bad}"),
                None,
            )
            .await;
            assert!(status == 422 || status == 400, "{bad}: {status} {err}");
            assert!(err["error"].is_string(), "{bad}: {err}");
        }
        let (status, one) = public_json(
            &app,
            get.clone(),
            &format!("/api/v1/public/notices/{notice}"),
            None,
        )
        .await;
        assert_eq!((status, one["seq"].as_i64().is_some()), (200, true), "{one}");
        let (_, check) = public_json(
            &app,
            get.clone(),
            &format!("/api/v1/public/notices/{notice}/verify"),
            None,
        )
        .await;
        assert_eq!(check["holds"], true, "{check}");

        // Comments: checked, limited, refused after the period; the notice page names the bureau.
        let path = format!("/api/v1/public/notices/{notice}/comments");
        let (status, err) =
            public_json(&app, post.clone(), &path, Some(json!({"name": "", "text": "x"}))).await;
        assert_eq!((status, err["error"].as_str()), (422, Some("validation_failed")), "{err}");
        let (status, _) = public_json(
            &app,
            post.clone(),
            &path,
            Some(json!({"name": "Li", "text": "x", "website": "spam"})),
        )
        .await;
        assert!(status == 400 || status == 422, "unknown fields are refused");
        for i in 0..5 {
            let (status, receipt) = public_json(
                &app,
                post.clone(),
                &path,
                Some(json!({"name": "Li", "contact": "li@example.com", "text": format!("comment {i}")})),
            )
            .await;
            assert_eq!(status, 201, "{receipt}");
            assert_eq!(receipt["notice"], notice.as_str());
        }
        let (status, err) =
            public_json(&app, post.clone(), &path, Some(json!({"name": "Li", "text": "6"}))).await;
        assert_eq!((status, err["error"].as_str()), (429, Some("too_many_comments")), "{err}");
        assert!(err["details"]["retry_after_seconds"].as_i64().unwrap_or(0) > 0, "{err}");
        // The 429 says when to come back in `Retry-After`; a header a client sends itself does
        // not make it someone else (no proxy is trusted here).
        let r = reqwest::Client::new()
            .post(app.url(&path))
            .header("X-Forwarded-For", "198.51.100.77")
            .json(&json!({"name": "Li", "text": "7"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 429);
        let retry: i64 = r.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
        assert!(retry > 0 && retry <= 3600, "{retry}");
        let (_, one) = public_json(
            &app,
            get.clone(),
            &format!("/api/v1/public/notices/{notice}"),
            None,
        )
        .await;
        assert_eq!(one["comments_received"], 5, "{one}");
        assert!(!one.to_string().contains("li@example.com"));
        let (_, page) = public_get(&app, &format!("/public/notices/{notice}")).await;
        assert!(page.contains("Contact the bureau"), "{page}");
        assert!(page.contains("eia@cqeeb.example"), "{page}");

        app.set_clock("2026-03-09T16:00:01Z").await;
        let (status, err) = public_json(
            &app,
            post.clone(),
            &path,
            Some(json!({"name": "Zhao", "text": "too late"})),
        )
        .await;
        assert_eq!((status, err["error"].as_str()), (422, Some("period_closed")), "{err}");
        let history = app.history(&rui, &id).await;
        assert_eq!(
            history
                .iter()
                .filter(|e| e["action"] == "public_comment")
                .count(),
            5,
            "refused comments change nothing"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn the_reform_figures_are_public_with_their_tables_and_csv() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let admin = admin();
        let csv = std::fs::read_to_string("workflows/catalogue/pre_licence_illustrative.csv")
            .expect("catalogue");
        let r = app
            .client
            .post(app.url("/api/v1/admin/catalogue/import"))
            .bearer_auth(&admin.token)
            .header("Content-Type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("import");
        assert_eq!(r.status().as_u16(), 200);

        let (status, page) = public_get(&app, "/public/reform?period=year").await;
        assert_eq!(status, 200, "{page}");
        for shown in [
            "Approvals needed before a business licence",
            "Approval times against the limits",
            "Investment in approved projects",
            "<svg class=\"chart\"",
            "<td class=\"num\">190</td>",
            "<td class=\"num\">32</td>",
            "/public/reform/pre_licence.csv?period=year",
        ] {
            assert!(page.contains(shown), "`{shown}` missing:\n{page}");
        }
        // The reader's language: the same figures in Chinese.
        let zh = reqwest::Client::new()
            .get(app.url("/public/reform"))
            .header("Accept-Language", "zh-CN")
            .send()
            .await
            .expect("zh")
            .text()
            .await
            .expect("text");
        assert!(zh.contains("营业执照前置审批事项"), "{zh}");
        // CSV: the same rows as the API's.
        let (status, csv) = public_get(&app, "/public/reform/pre_licence.csv").await;
        assert_eq!(status, 200);
        assert!(
            csv.starts_with("\u{feff}date,pre_licence\r\n2014-01-01,190\r\n"),
            "{csv}"
        );
        assert!(csv.contains("2018-12-01,32\r\n"), "{csv}");
        let (status, csv) = public_get(&app, "/public/reform/durations.csv?period=quarter").await;
        assert_eq!(status, 200);
        assert!(
            csv.starts_with("\u{feff}period,"),
            "the header, even with no rows: {csv}"
        );
        // Only the public figures; a bad date is named, not a failure.
        assert_eq!(public_get(&app, "/public/reform/trading.csv").await.0, 404);
        assert_eq!(public_get(&app, "/public/reform/nothing.csv").await.0, 404);
        let (status, page) = public_get(&app, "/public/reform?from=soon&period=decade").await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("invalid"), "{page}");
        // The bureau's dashboards need a sign-in.
        assert_eq!(public_get(&app, "/stats").await.0, 303);
        db
    })
    .await;
}

#[tokio::test]
async fn public_pages_are_kept_for_a_second_and_start_again_on_a_change() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let id = submitted(&app).await;
        accept(&app, &id).await;
        let (_, page) = public_get(&app, "/public").await;
        assert!(page.contains("Fuling paper mill"), "{page}");
        use sea_orm::{ConnectionTrait, Statement};
        let rename = |title: &'static str| {
            let db = app.app.db.clone();
            async move {
                let backend = db.get_database_backend();
                db.execute(Statement::from_string(
                    backend,
                    format!("UPDATE publications SET title = '{title}'"),
                ))
                .await
                .expect("rename");
            }
        };
        // Changed behind the application's back: the kept page is served for up to a second.
        rename("First rename").await;
        let (_, kept) = public_get(&app, "/public").await;
        assert!(!kept.contains("First rename"), "served as kept");
        // A comment, through the application, starts the pages again at once.
        let notice = listed(&app, "").await[0].0.clone();
        let (status, _) = comment(
            &app,
            &notice,
            &[("name", "Li"), ("text", "Keep the bank green")],
        )
        .await;
        assert_eq!(status, 303);
        let (_, fresh) = public_get(&app, "/public").await;
        assert!(fresh.contains("First rename"), "{fresh}");
        // Without a change, a second at most.
        rename("Second rename").await;
        let (_, kept) = public_get(&app, "/public").await;
        assert!(kept.contains("First rename"), "{kept}");
        // Waited for, not slept on: the page turns within the second it may be kept.
        let waited = std::time::Instant::now();
        let fresh = loop {
            let (_, page) = public_get(&app, "/public").await;
            if page.contains("Second rename")
                || waited.elapsed() > std::time::Duration::from_secs(5)
            {
                break page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert!(fresh.contains("Second rename"), "{fresh}");
        db
    })
    .await;
}

/// A member of the public writes to the reviewers: the enterprise sees that a comment came and
/// the bureau's answer, never the commenter's name, contact or words; the reviewer sees them.
#[tokio::test]
async fn the_enterprise_never_sees_who_commented() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        upload(
            &app,
            &ann,
            &id,
            "public_version",
            b"%PDF-1.4 public version",
        )
        .await;
        assert_eq!(app.act(&ann, &id, "submit", 2, json!({})).await.status, 200);
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        assert_eq!(app.act(&rui, &id, "accept", v, json!({})).await.status, 200);
        let notice = listed(&app, "").await[0].0.clone();
        let (status, _) = comment(
            &app,
            &notice,
            &[
                ("name", "Wang Xiaoming"),
                ("contact", "wang@example.com"),
                ("text", "The outfall is next to our well."),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let enterprise = crate::web::Browser::new(&app, "en");
        enterprise
            .sign_in("ann@acme.example", crate::web::PASSWORD)
            .await;
        let page = enterprise.get(&format!("/cases/{id}")).await;
        assert!(
            page.html.contains("A comment from the public"),
            "{}",
            page.html
        );
        for private in ["Wang Xiaoming", "wang@example.com", "next to our well"] {
            assert!(
                !page.html.contains(private),
                "`{private}` shown to the enterprise"
            );
        }
        let bureau = crate::web::Browser::new(&app, "en");
        bureau
            .sign_in("rui@bureau.example", crate::web::PASSWORD)
            .await;
        let page = bureau.get(&format!("/cases/{id}")).await;
        for shown in ["Wang Xiaoming", "wang@example.com", "next to our well"] {
            assert!(
                page.html.contains(shown),
                "`{shown}` hidden from the reviewer"
            );
        }
        // The audit entry keeps no name: the history is the enterprise's to read too.
        let history = app.history(&ann, &id).await;
        let entry = history
            .iter()
            .find(|e| e["action"] == "public_comment")
            .expect("recorded");
        assert!(entry["payload"].get("name").is_none(), "{entry}");
        db
    })
    .await;
}

/// Behind a trusted reverse proxy, each client is counted by the address the proxy passes on:
/// one address reaching the limit does not silence the city.
#[tokio::test]
async fn behind_a_trusted_proxy_the_comment_limit_counts_each_client() {
    let db = TestDb::sqlite().await;
    let mut settings = settings_at(&db, "2026-03-02T01:00:00Z");
    settings.trusted_proxies = greenlane::settings::parse_proxies("127.0.0.1").expect("proxy");
    let app = spawn_app_with(settings).await;
    seed_directory(&app).await;
    let id = submitted(&app).await;
    let accepted = app.act(&reviewer(), &id, "accept", 2, json!({})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let (_, list) = public_json(&app, reqwest::Method::GET, "/api/v1/public/notices", None).await;
    let notice = list["notices"][0]["id"]
        .as_str()
        .expect("a notice")
        .to_string();
    app.set_clock("2026-03-04T01:00:00Z").await;
    let path = format!("/api/v1/public/notices/{notice}/comments");
    // Five comments from one client are accepted, the sixth refused, and another client behind
    // the same proxy is still heard: with `X-Forwarded-For`, and with RFC 7239's `Forwarded`.
    let status = |header: &'static str, value: String, n: usize| {
        let request = reqwest::Client::new()
            .post(app.url(&path))
            .header(header, value)
            .json(&json!({"name": "Li", "text": format!("comment {n}")}))
            .send();
        async move { request.await.expect("request").status().as_u16() }
    };
    let legacy = |ip: &str| ip.to_string();
    let standard = |ip: &str| format!("for=\"{ip}:5050\";proto=https");
    for (header, name, first, second) in [
        (
            "X-Forwarded-For",
            legacy as fn(&str) -> String,
            "203.0.113.1",
            "203.0.113.2",
        ),
        (
            "Forwarded",
            standard as fn(&str) -> String,
            "203.0.113.3",
            "203.0.113.4",
        ),
    ] {
        for n in 0..5 {
            assert_eq!(status(header, name(first), n).await, 201, "{header}");
        }
        assert_eq!(status(header, name(first), 5).await, 429, "{header}");
        assert_eq!(
            status(header, name(second), 6).await,
            201,
            "{header}: another client"
        );
    }
    db.drop_it().await;
}
