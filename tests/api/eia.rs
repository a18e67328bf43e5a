//! EIA approval end to end, as the real roles, over HTTP.

use serde_json::{json, Value};

use crate::helpers::*;

/// Fires `action` at the case's current version and asserts it was accepted.
pub(crate) async fn step(app: &TestApp, who: &User, id: &str, action: &str, data: Value) -> Value {
    let v = app.case(who, id).await["version"]
        .as_i64()
        .expect("version");
    let r = app.act(who, id, action, v, data).await;
    assert_eq!(r.status, 200, "{action}: {}", r.body);
    r.body
}

fn report_project() -> Value {
    let mut p = project();
    p["category"] = json!("report");
    p
}

async fn create(app: &TestApp, who: &User, workflow: &str, data: Value) -> String {
    let r = app
        .post(
            who,
            "/api/v1/cases",
            &json!({"workflow": workflow, "data": data}),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

/// Both approval workflows, side by side: (workflow, data).
fn both_workflows() -> Vec<(&'static str, Value)> {
    vec![
        ("eia_report_form", project()),
        ("eia_report", report_project()),
    ]
}

#[tokio::test]
async fn reports_and_report_forms_through_supplement_revision_hearing_approval_and_announcement() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let ann = applicant();
        let rui = reviewer();
        let both = user("ben@bureau.example", "CQEEB", &["reviewer", "approver"]);
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let mut ids = Vec::new();
        for (workflow, data) in both_workflows() {
            ids.push((workflow, create(&app, &ann, workflow, data).await));
        }
        for (_, id) in &ids {
            step(&app, &ann, id, "submit", json!({})).await;
            step(
                &app,
                &rui,
                id,
                "request_supplement",
                json!({"missing_items": ["site plan"]}),
            )
            .await;
            step(&app, &ann, id, "resubmit", json!({})).await;
            step(&app, &rui, id, "accept", json!({})).await;
        }
        // Publicity: 5 working days for a report form, 10 for a report; both over by the 17th.
        app.set_clock("2026-03-17T01:00:00Z").await;
        for (workflow, id) in &ids {
            assert_eq!(
                app.case(&rui, id).await["state"],
                "evaluation",
                "{workflow}"
            );
            step(
                &app,
                &rui,
                id,
                "request_revision",
                json!({"issues": ["stack height"]}),
            )
            .await;
            step(
                &app,
                &ann,
                id,
                "submit_revision",
                json!({"project_name": "Fuling paper mill expansion, revised"}),
            )
            .await;
            step(
                &app,
                &rui,
                id,
                "complete_evaluation",
                json!({"conclusion": "acceptable with conditions"}),
            )
            .await;
            step(
                &app,
                &both,
                id,
                "propose_approval",
                json!({"conditions": ["noise barrier", "online COD monitor"]}),
            )
            .await;
            step(&app, &ann, id, "request_hearing", json!({})).await;
            assert_eq!(
                app.clock(&rui, id, "statutory").await["paused"],
                true,
                "{workflow}: a hearing stops the clock"
            );
            step(
                &app,
                &rui,
                id,
                "conclude_hearing",
                json!({"record": "neighbours heard"}),
            )
            .await;
            // Who proposed cannot decide.
            let v = app.case(&both, id).await["version"].as_i64().expect("v");
            let r = app
                .act(&both, id, "approve", v, json!({"conditions": []}))
                .await;
            assert_error(&r, 403, "same_actor");
            let approved = step(
                &app,
                &amy,
                id,
                "approve",
                json!({"conditions": ["noise barrier", "online COD monitor"]}),
            )
            .await;
            assert_eq!(approved["state"], "approved", "{workflow}");
            let done = step(&app, &rui, id, "announce", json!({})).await;
            assert_eq!(
                (done["state"].as_str(), done["terminal"].as_bool()),
                (Some("approval_announced"), Some(true)),
                "{workflow}"
            );
            let entries = app.history(&rui, id).await;
            let approve = entries
                .iter()
                .find(|e| e["action"] == "approve")
                .expect("approve");
            assert_eq!(
                approve["payload"]["conditions"],
                json!(["noise barrier", "online COD monitor"])
            );
            assert_eq!(approve["actor"], "amy@bureau.example");
        }
        db
    })
    .await;
}

#[tokio::test]
async fn a_refusal_names_statutory_grounds_and_a_withdrawal_ends_the_case() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let mut ids = Vec::new();
        for (workflow, data) in both_workflows() {
            let id = create(&app, &ann, workflow, data).await;
            step(&app, &ann, &id, "submit", json!({})).await;
            step(&app, &rui, &id, "accept", json!({})).await;
            ids.push((workflow, id));
        }
        app.set_clock("2026-03-17T01:00:00Z").await;
        for (_, id) in &ids {
            step(
                &app,
                &rui,
                id,
                "complete_evaluation",
                json!({"conclusion": "emissions exceed the standard"}),
            )
            .await;
            let v = app.case(&rui, id).await["version"].as_i64().expect("v");
            let r = app
                .act(&rui, id, "propose_refusal", v, json!({"grounds": []}))
                .await;
            assert_error(&r, 422, "validation_failed");
            step(
                &app,
                &rui,
                id,
                "propose_refusal",
                json!({"grounds": ["emissions"]}),
            )
            .await;
        }
        app.set_clock("2026-03-25T01:00:00Z").await; // 5-day publicity of the proposals ends
        for (workflow, id) in &ids {
            assert_eq!(app.case(&rui, id).await["state"], "decision", "{workflow}");
            let v = app.case(&amy, id).await["version"].as_i64().expect("v");
            let entries_before = app.history(&amy, id).await.len();
            let r = app.act(&amy, id, "refuse", v, json!({})).await;
            assert_error(&r, 422, "validation_failed");
            assert!(r.body["details"]["fields"]["grounds"].is_array());
            let r = app
                .act(&amy, id, "refuse", v, json!({"grounds": ["bad_weather"]}))
                .await;
            assert_error(&r, 422, "validation_failed");
            assert_eq!(app.case(&amy, id).await["version"], v, "nothing changed");
            assert_eq!(
                app.history(&amy, id).await.len(),
                entries_before,
                "nothing audited"
            );
            let refused = step(
                &app,
                &amy,
                id,
                "refuse",
                json!({"grounds": ["emissions", "data_defects"]}),
            )
            .await;
            assert_eq!(refused["state"], "refused");
            assert_eq!(
                step(&app, &amy, id, "announce", json!({})).await["state"],
                "refusal_announced"
            );
        }
        for (workflow, data) in both_workflows() {
            let other = create(&app, &ann, workflow, data).await;
            step(&app, &ann, &other, "submit", json!({})).await;
            assert_eq!(
                step(&app, &ann, &other, "withdraw", json!({})).await["state"],
                "withdrawn",
                "{workflow}"
            );
        }
        db
    })
    .await;
}

#[tokio::test]
async fn a_report_runs_on_the_longer_limits_and_takes_only_reports() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let r = app
            .post(
                &ann,
                "/api/v1/cases",
                &json!({"workflow": "eia_report", "data": project()}),
                None,
            )
            .await;
        assert_error(&r, 422, "validation_failed");
        assert!(r.body["details"]["fields"]["category"][0]
            .as_str()
            .expect("msg")
            .contains("takes only environmental impact reports"));
        let id = create(&app, &ann, "eia_report", report_project()).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        step(&app, &rui, &id, "accept", json!({})).await;
        let limits: Vec<(String, i64)> = app.case(&rui, &id).await["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().expect("name").to_string(),
                    c["limit_days"].as_i64().expect("limit"),
                )
            })
            .filter(|(n, _)| {
                ["statutory", "promised", "acceptance_publicity"].contains(&n.as_str())
            })
            .collect();
        assert_eq!(
            limits,
            vec![
                ("acceptance_publicity".into(), 10),
                ("promised".into(), 20),
                ("statutory".into(), 60)
            ]
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_registration_is_filed_at_once_with_a_receipt_number() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let ann = applicant();
        let mut data = project();
        data["category"] = json!("registration");
        data["industry_code"] = json!("G5910");
        let first = create(&app, &ann, "eia_registration", data.clone()).await;
        let filed = step(&app, &ann, &first, "file", json!({})).await;
        assert_eq!(
            (filed["state"].as_str(), filed["terminal"].as_bool()),
            (Some("filed"), Some(true))
        );
        assert_eq!(filed["reference"], "BA-2026-000001");
        let second = create(&app, &ann, "eia_registration", data).await;
        assert_eq!(
            step(&app, &ann, &second, "file", json!({})).await["reference"],
            "BA-2026-000002"
        );
        assert_eq!(
            app.case(&reviewer(), &first).await["reference"],
            "BA-2026-000001"
        );
        db
    })
    .await;
}

fn plan() -> Value {
    json!({
        "plan_name": "Changshou economic development zone master plan",
        "plan_type": "industrial_park",
        "area": {"type": "Polygon", "coordinates": [[[107.0, 29.8], [107.1, 29.8], [107.1, 29.9], [107.0, 29.8]]]},
        "area_km2": 38.5
    })
}

#[tokio::test]
async fn a_planning_eia_is_decided_by_its_panel() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let members: Vec<User> = ["m1@panel.example", "m2@panel.example", "m3@panel.example"]
            .iter()
            .map(|m| user(m, "CQEEB", &["reviewer"]))
            .collect();
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "planning_eia", "data": {"plan_name": "x", "plan_type": "moon_base", "area": {"type": "Point", "coordinates": [0, 0]}}}), None).await;
        assert_error(&r, 422, "validation_failed");
        let id = create(&app, &ann, "planning_eia", plan()).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        step(&app, &rui, &id, "accept", json!({})).await;
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        let r = app.act(&rui, &id, "appoint_panel", v, json!({"members": ["m1@panel.example", "m2@panel.example"]})).await;
        assert_error(&r, 422, "validation_failed");
        step(&app, &rui, &id, "appoint_panel", json!({"members": ["m1@panel.example", "m2@panel.example", "m3@panel.example"]})).await;

        // Only members vote, once each; no conclusion before a majority.
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        let r = app.act(&rui, &id, "panel_vote", v, json!({"vote": "approve"})).await;
        assert_error(&r, 403, "forbidden");
        let r = app.act(&rui, &id, "conclude_pass", v, json!({})).await;
        assert_error(&r, 422, "not_yet");
        step(&app, &members[0], &id, "panel_vote", json!({"vote": "approve", "opinion": "sound"})).await;
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        let r = app.act(&members[0], &id, "panel_vote", v, json!({"vote": "reject"})).await;
        assert_error(&r, 422, "not_yet");
        assert_eq!(app.case(&rui, &id).await["allowed_actions"], json!([]), "one vote decides nothing yet");
        step(&app, &members[1], &id, "panel_vote", json!({"vote": "approve"})).await;
        // Two of three approve: a majority. Passing is open, failing is not.
        assert_eq!(app.case(&rui, &id).await["allowed_actions"], json!(["conclude_pass"]));
        step(&app, &rui, &id, "conclude_pass", json!({})).await;
        let done = step(&app, &amy, &id, "issue_opinion", json!({"conditions": ["buffer zone along the river"]})).await;
        assert_eq!(done["state"], "opinion_passed");
        db
    })
    .await;
}

fn consultation() -> Value {
    json!({
        "project_name": "Fuling paper mill expansion",
        "credit_code": "91350100M000100Y43",
        "industry_code": "C2221",
        "location": {"type": "Point", "coordinates": [107.39, 29.70]},
        "question": "Which category applies, and may we build within 3 km of the Yangtze?"
    })
}

#[tokio::test]
async fn a_pre_consultation_answered_in_writing_can_be_named_by_a_later_application() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let q = create(&app, &ann, "pre_consultation", consultation()).await;
        step(&app, &ann, &q, "ask", json!({})).await;
        let answer = app.clock(&rui, &q, "answer").await;
        assert_eq!((answer["limit_days"].as_i64(), answer["due"].as_str()), (Some(10), Some("2026-03-16")));

        // Not answered yet: an application cannot lean on it.
        let mut data = project();
        data["pre_consultation"] = json!(q);
        let r = app.create_case(&ann, data.clone()).await;
        assert_error(&r, 422, "validation_failed");
        assert!(r.body["details"]["fields"]["pre_consultation"].is_array());

        step(&app, &rui, &q, "answer", json!({"answer": "A report form; the site is 3.2 km from the trunk stream.", "category": "report_form", "site_allowed": true})).await;
        let id = app.create_case(&ann, data).await;
        assert_eq!(id.status, 201, "{}", id.body);
        // The application's clocks are its own: nothing of the consultation counts.
        let id = id.body["id"].as_str().expect("id").to_string();
        step(&app, &ann, &id, "submit", json!({})).await;
        assert_eq!(app.clock(&rui, &id, "acceptance_check").await["used_days"], 0);
        // Another enterprise cannot name ACME's consultation.
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        let mut theirs = project();
        theirs["pre_consultation"] = json!(q);
        assert_error(&app.create_case(&b, theirs).await, 422, "validation_failed");
        db
    })
    .await;
}

#[tokio::test]
async fn the_catalogue_is_read_item_by_item_and_decides_the_category_with_its_reason() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        // The editions and items are public law: no sign-in.
        let r = app.client.get(app.url("/api/v1/classification/editions")).send().await.expect("get");
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        let e = &body["editions"][0];
        assert_eq!((e["edition"].as_str(), e["in_force_from"].as_str()), (Some("2021"), Some("2021-01-01")));
        assert_eq!((e["sections"].as_u64(), e["items"].as_u64()), (Some(55), Some(173)));
        let nos = |v: &Value| -> Vec<u64> {
            v["items"].as_array().expect("items").iter().filter_map(|i| i["no"].as_u64()).collect()
        };
        for code in ["C2221", "2221", "222", "c222"] {
            let r = app.get(&ann, &format!("/api/v1/classification/2021/items?code={code}")).await;
            assert_eq!(nos(&r.body), vec![37], "{code}");
        }
        let r = app.get(&ann, "/api/v1/classification/2021/items?code=G5911").await;
        assert!(nos(&r.body).is_empty(), "ordinary warehouses are not listed");
        let r = app.get(&ann, "/api/v1/classification/2021/items?q=%E5%8C%BB%E9%99%A2").await;
        assert_eq!(nos(&r.body), vec![108, 123]);
        assert_error(&app.get(&ann, "/api/v1/classification/2021/items?code=C-2").await, 422, "validation_failed");
        assert_error(&app.get(&ann, "/api/v1/classification/2017/items").await, 404, "not_found");

        let paper = app.get(&ann, "/api/v1/classification/2021/items/37").await;
        assert_eq!(paper.status, 200);
        assert_eq!(paper.body["name"], "纸浆制造221*；造纸222*（含废纸造纸）");
        assert_eq!(paper.body["codes"][0], json!({"code": "221", "industrial_building": true}));
        let report = &paper.body["tiers"]["report"];
        assert_eq!(report["text"], "全部（手工纸、加工纸制造除外）");
        assert_eq!(report["conditions"][0]["id"], "37.report.1");
        assert_eq!(report["conditions"][0]["kind"], "catch_all");
        assert_eq!(paper.body["tiers"]["registration"]["conditions"], json!([]));
        let hospital = app.get(&ann, "/api/v1/classification/2021/items/108").await;
        let beds = &hospital.body["tiers"]["report"]["conditions"][0];
        assert_eq!((beds["kind"].as_str(), beds["threshold"]["unit"].as_str()), (Some("threshold"), Some("张")));
        assert_eq!(beds["threshold"]["at_least"], json!({"value": 500.0, "inclusive": true}));
        let farm = app.get(&ann, "/api/v1/classification/2021/items/1").await;
        assert_eq!(farm.body["sensitive_areas"]["types"][0]["id"], "national_park");
        assert_error(&app.get(&ann, "/api/v1/classification/2021/items/174").await, 404, "not_found");
        assert_error(&app.get(&ann, "/api/v1/classification/2021/items/x").await, 404, "not_found");

        let classify = |body: Value| {
            let app = &app;
            let ann = ann.clone();
            async move { app.post(&ann, "/api/v1/classify", &body, None).await }
        };
        let r = classify(json!({"edition": "2021", "action": "new", "items": [{"no": 37}]})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["category"].as_str(), r.body["workflow"].as_str()), (Some("report"), Some("eia_report")));
        assert_eq!(r.body["decided_by"], json!({"no": 37, "tier": "report", "condition": "37.report.1", "text": "全部（手工纸、加工纸制造除外）"}));
        let r = classify(json!({"edition": "2021", "action": "new", "items": [{"no": 37, "answers": {"37.report.1": false, "37.report_form.1": true}}]})).await;
        assert_eq!(r.body["category"], "report_form");
        assert_eq!(r.body["items"][0]["conditions"][0]["answer"], false);
        let r = classify(json!({"action": "new", "items": [{"no": 108, "answers": {"108.report.1": 100}}]})).await;
        assert_eq!((r.body["category"].as_str(), r.body["decided_by"]["condition"].as_str()), (Some("report_form"), Some("108.report_form.1")));
        let r = classify(json!({"action": "new", "items": [{"no": 37, "answers": {"37.report.1": false}}]})).await;
        assert_eq!((r.body["category"].as_str(), r.body["workflow"].clone()), (Some("not_covered"), Value::Null));
        assert_error(&classify(json!({"action": "new", "items": [{"no": 174}]})).await, 404, "not_found");
        assert_error(&classify(json!({"edition": "2017", "action": "new", "items": [{"no": 1}]})).await, 404, "not_found");
        for (bad, field) in [
            (json!({"action": "new", "items": []}), "items"),
            (json!({"action": "new", "items": [{"no": 37, "answers": {"28.report.1": true}}]}), "items[0].answers.28.report.1"),
            (json!({"action": "new", "items": [{"no": 37, "answers": {"37.report_form.1": 3}}]}), "items[0].answers.37.report_form.1"),
            (json!({"action": "new", "items": [{"no": 108, "answers": {"108.report.1": -5}}]}), "items[0].answers.108.report.1"),
        ] {
            let r = classify(bad).await;
            assert_error(&r, 422, "validation_failed");
            assert!(r.body["details"]["fields"][field].is_array(), "{field}: {}", r.body);
        }
        db
    })
    .await;
}

#[tokio::test]
async fn a_case_records_its_classification_and_is_refused_under_another_category() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        // A paper mill is a report: filed as a report form it is refused, with the reason.
        let mut data = project();
        data["classification"] = json!({"edition": "2021", "action": "new", "items": [{"no": 37}]});
        let r = app.create_case(&ann, data.clone()).await;
        assert_error(&r, 422, "validation_failed");
        let why = r.body["details"]["fields"]["classification"][0].as_str().expect("why");
        assert!(why.contains("an environmental impact report:"), "{why}");
        // Not covered (article 5): no case at all.
        data["classification"] = json!({"edition": "2021", "action": "new", "items": [{"no": 37, "answers": {"37.report.1": false}}]});
        let r = app.create_case(&ann, data.clone()).await;
        assert_error(&r, 422, "validation_failed");
        assert!(r.body["details"]["fields"]["classification"][0].as_str().expect("why").contains("article 5"));
        // Hand-made paper is a report form: recorded with its items, answers and reason.
        data["classification"] = json!({"edition": "2021", "action": "new", "items": [{"no": 37, "answers": {"37.report.1": false, "37.report_form.1": true}}]});
        let id = create(&app, &ann, "eia_report_form", data.clone()).await;
        let case = app.case(&ann, &id).await;
        let c = &case["data"]["classification"];
        assert_eq!(c["category"], "report_form");
        assert_eq!(c["decided_by"]["condition"], "37.report_form.1");
        assert_eq!(c["decided_by"]["text"], "手工纸制造");
        assert_eq!(c["items"][0]["name"], "纸浆制造221*；造纸222*（含废纸造纸）");
        assert_eq!(c["answered"][1], json!({"id": "37.report_form.1", "text": "手工纸制造", "answer": true}));
        step(&app, &ann, &id, "submit", json!({})).await;
        // The same answers as a report: refused.
        data["category"] = json!("report");
        assert_error(&app.create_case(&ann, data).await, 422, "validation_failed");
        // A case filed without a classification (before this step existed) still opens.
        let id = create(&app, &ann, "eia_report_form", project()).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        db
    })
    .await;
}

#[tokio::test]
async fn cases_can_be_found_by_name_organisation_and_submission_dates() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let ann = applicant();
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        let mut names = Vec::new();
        for (who, name, day) in [
            (&ann, "Fuling Paper Mill", "2026-03-02T01:00:00Z"),
            (&ann, "Changshou boiler 100%_safe", "2026-03-05T01:00:00Z"),
            (&b, "Wanzhou paper recycling", "2026-03-09T01:00:00Z"),
        ] {
            app.set_clock(day).await;
            let mut data = project();
            data["project_name"] = json!(name);
            let id = app.create_case(who, data).await.body["id"].as_str().expect("id").to_string();
            step(&app, who, &id, "submit", json!({})).await;
            names.push(id);
        }
        let rui = reviewer();
        let found = |body: &Value| -> Vec<String> {
            body["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id").to_string()).collect()
        };
        let r = app.get(&rui, "/api/v1/cases?q=PAPER").await;
        assert_eq!(found(&r.body), vec![names[0].clone(), names[2].clone()]);
        let r = app.get(&rui, "/api/v1/cases?q=100%25_").await;
        assert_eq!(found(&r.body), vec![names[1].clone()], "wildcards in the text are literal");
        let r = app.get(&rui, "/api/v1/cases?org=OTHER").await;
        assert_eq!(found(&r.body), vec![names[2].clone()]);
        let r = app.get(&rui, "/api/v1/cases?submitted_from=2026-03-03T00:00:00Z&submitted_to=2026-03-09T00:00:00Z").await;
        assert_eq!(found(&r.body), vec![names[1].clone()]);
        // An applicant's search stays inside its organisation.
        let r = app.get(&ann, "/api/v1/cases?q=paper").await;
        assert_eq!(found(&r.body), vec![names[0].clone()]);
        db
    })
    .await;
}

/// Case search finds an enterprise by its name or credit code, and a decision by its
/// reference number.
#[tokio::test]
async fn cases_can_be_found_by_enterprise_name_credit_code_and_reference() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let ann = applicant();
        let approved = approved_report_form(&app, &ann).await;
        let reference = app.case(&ann, &approved).await["reference"]
            .as_str()
            .expect("a decision reference")
            .to_string();
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        let mut theirs = project();
        theirs["project_name"] = json!("Changshou works");
        theirs["credit_code"] = json!("91110000802100433B");
        let other = create(&app, &b, "eia_report_form", theirs).await;
        let rui = reviewer();
        let found = |body: &Value| -> Vec<String> {
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_string())
                .collect()
        };
        let r = app.get(&rui, "/api/v1/cases?q=other%20chemicals").await;
        assert_eq!(
            found(&r.body),
            vec![other.clone()],
            "by the enterprise's name"
        );
        let r = app.get(&rui, "/api/v1/cases?q=91110000802100433B").await;
        assert_eq!(found(&r.body), vec![other.clone()], "by its credit code");
        let r = app
            .get(
                &rui,
                &format!("/api/v1/cases?q={}", reference.to_lowercase()),
            )
            .await;
        assert_eq!(
            found(&r.body),
            vec![approved.clone()],
            "by the decision's reference {reference}"
        );
        // Another enterprise's name finds nothing for an applicant.
        let r = app.get(&ann, "/api/v1/cases?q=other%20chemicals").await;
        assert!(found(&r.body).is_empty());
        db
    })
    .await;
}

async fn upload(
    app: &TestApp,
    who: &User,
    id: &str,
    name: Option<&str>,
    filename: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> Reply {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(filename.to_string())
        .mime_str(mime)
        .expect("mime");
    let mut form = reqwest::multipart::Form::new().part("file", part);
    if let Some(n) = name {
        form = form.text("name", n.to_string());
    }
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/documents")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    Reply {
        status,
        body: resp.json().await.unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn documents_are_versioned_by_name_stored_by_hash_and_cited_by_the_actions_that_rely_on_them()
{
    on_every_database(|db| async move {
        let mut s = settings_at(&db, "2026-03-02T01:00:00Z");
        s.max_upload_bytes = 64 * 1024;
        let app = spawn_app_with(s).await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        let report_v1 = b"%PDF-1.7 report form, first draft".to_vec();
        let r = upload(
            &app,
            &ann,
            &id,
            Some("report form"),
            "rf.pdf",
            "application/pdf",
            report_v1.clone(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["version"], 1);
        use sha2::Digest;
        assert_eq!(
            r.body["sha256"],
            hex::encode(sha2::Sha256::digest(&report_v1))
        );
        let report_v2 = b"%PDF-1.7 report form, with the noise survey".to_vec();
        let r = upload(
            &app,
            &ann,
            &id,
            Some("report form"),
            "rf2.pdf",
            "application/pdf",
            report_v2.clone(),
        )
        .await;
        assert_eq!(r.body["version"], 2);
        let v2_sha = r.body["sha256"].as_str().expect("sha").to_string();
        let v2_id = r.body["id"].as_str().expect("id").to_string();
        let r = upload(
            &app,
            &ann,
            &id,
            None,
            "site.png",
            "image/png",
            vec![0x89, b'P', b'N', b'G'],
        )
        .await;
        assert_eq!((r.status, r.body["name"].as_str()), (201, Some("site.png")));

        // Refused: another type, too large, no right to change, another organisation.
        assert_error(
            &upload(&app, &ann, &id, None, "x.gif", "image/gif", vec![1, 2, 3]).await,
            415,
            "unsupported_type",
        );
        assert_error(
            &upload(
                &app,
                &ann,
                &id,
                None,
                "big.pdf",
                "application/pdf",
                vec![0; 70 * 1024],
            )
            .await,
            413,
            "too_large",
        );
        let auditor = user("audrey@audit.example", "AUDIT", &["auditor"]);
        assert_error(
            &upload(
                &app,
                &auditor,
                &id,
                None,
                "a.pdf",
                "application/pdf",
                vec![1],
            )
            .await,
            403,
            "forbidden",
        );
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        assert_error(
            &upload(&app, &b, &id, None, "a.pdf", "application/pdf", vec![1]).await,
            404,
            "not_found",
        );

        // Listed with every version; downloads obey the case's access rules.
        let list = app
            .get(&rui, &format!("/api/v1/cases/{id}/documents"))
            .await;
        assert_eq!(list.body["documents"].as_array().expect("docs").len(), 3);
        let resp = app
            .client
            .get(app.url(&format!("/api/v1/cases/{id}/documents/{v2_id}/content")))
            .bearer_auth(&rui.token)
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers()["x-content-sha256"].to_str().expect("hdr"),
            v2_sha
        );
        assert_eq!(resp.bytes().await.expect("bytes").to_vec(), report_v2);
        let resp = app
            .client
            .get(app.url(&format!("/api/v1/cases/{id}/documents/{v2_id}/content")))
            .bearer_auth(&b.token)
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 404);

        // Submitting relies on the latest version of each document: the audit entry says which.
        let submitted = step(&app, &ann, &id, "submit", json!({})).await;
        assert_eq!(submitted["version"], 5, "three uploads and the submission");
        let timeline = app.get(&rui, &format!("/api/v1/cases/{id}/timeline")).await;
        assert_eq!(timeline.status, 200, "{}", timeline.body);
        let entries = timeline.body["entries"].as_array().expect("entries");
        let actions: Vec<&str> = entries
            .iter()
            .map(|e| e["action"].as_str().expect("a"))
            .collect();
        assert_eq!(
            actions,
            vec![
                "create",
                "upload_document",
                "upload_document",
                "upload_document",
                "submit"
            ]
        );
        let cited = &entries[4]["documents"];
        assert_eq!(cited.as_array().expect("docs").len(), 2);
        assert_eq!(
            cited[0],
            json!({"name": "report form", "version": 2, "sha256": v2_sha})
        );
        let clock = &entries[4]["clocks"][0];
        assert_eq!(
            (
                clock["name"].as_str(),
                clock["running"].as_bool(),
                clock["due"].as_str()
            ),
            (Some("acceptance_check"), Some(true), Some("2026-03-09"))
        );
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}

/// Takes a new report form to an announced approval.
async fn approved_report_form(app: &TestApp, ann: &User) -> String {
    let rui = reviewer();
    let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
    let id = app.new_case(ann).await;
    step(app, ann, &id, "submit", json!({})).await;
    step(app, &rui, &id, "accept", json!({})).await;
    app.set_clock("2026-03-10T01:00:00Z").await;
    step(
        app,
        &rui,
        &id,
        "complete_evaluation",
        json!({"conclusion": "ok"}),
    )
    .await;
    step(
        app,
        &rui,
        &id,
        "propose_approval",
        json!({"conditions": []}),
    )
    .await;
    app.set_clock("2026-03-20T01:00:00Z").await;
    step(app, &amy, &id, "approve", json!({"conditions": []})).await;
    step(app, &rui, &id, "announce", json!({})).await;
    id
}

#[tokio::test]
async fn a_major_change_is_a_new_application_and_late_construction_needs_a_re_review() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let ann = applicant();
        let approved = approved_report_form(&app, &ann).await;
        assert_eq!(app.case(&ann, &approved).await["state"], "approval_announced");

        // A major change: a new application that names the approval it supersedes.
        let mut data = project();
        data["supersedes"] = json!(approved);
        assert_eq!(app.create_case(&ann, data).await.status, 201);
        let withdrawn = app.new_case(&ann).await;
        step(&app, &ann, &withdrawn, "withdraw", json!({})).await;
        let mut data = project();
        data["supersedes"] = json!(withdrawn);
        assert_error(&app.create_case(&ann, data).await, 422, "validation_failed");

        // Re-review: only for construction starting more than 5 years after approval.
        let soon = json!({"approved_case": approved, "project_name": "Fuling paper mill expansion", "approved_on": "2026-03-20", "construction_start": "2030-01-01"});
        let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "eia_rereview", "data": soon}), None).await;
        assert_error(&r, 422, "validation_failed");
        assert!(r.body["details"]["fields"]["construction_start"].is_array());
        let late = json!({"approved_case": approved, "project_name": "Fuling paper mill expansion", "approved_on": "2026-03-20", "construction_start": "2031-06-01"});
        let id = create(&app, &ann, "eia_rereview", late).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        // Silence for 10 days counts as approval.
        app.set_clock("2026-04-01T01:00:00Z").await;
        let case = app.case(&ann, &id).await;
        assert_eq!(case["state"], "deemed_approved", "{case}");
        db
    })
    .await;
}
