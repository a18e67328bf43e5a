use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_and_ready() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let r = app
            .client
            .get(app.url("/health"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 200);
        let r = app
            .client
            .get(app.url("/ready"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 200);
        let wf = app.get(&reviewer(), "/api/v1/workflows").await;
        assert_eq!(wf.status, 200);
        let keys: Vec<&str> = wf.body["workflows"]
            .as_array()
            .expect("workflows")
            .iter()
            .map(|w| w["key"].as_str().expect("key"))
            .collect();
        assert_eq!(
            keys,
            vec![
                "auction",
                "business_licence",
                "eia_registration",
                "eia_report",
                "eia_report_form",
                "eia_rereview",
                "listing",
                "negotiated_transfer",
                "planning_eia",
                "pre_consultation"
            ]
        );
        // The two approval workflows are at version 4 (refusals may cite a siting flag; titles in
        // both languages; notices published), the registration at 3 (titles; its filing
        // published), the others at version 2 (titles in both languages).
        for w in wf.body["workflows"].as_array().expect("workflows") {
            let want = match w["key"].as_str().unwrap_or_default() {
                "eia_report" | "eia_report_form" => 5,
                "eia_registration" => 4,
                "auction" | "listing" | "negotiated_transfer" => 4,
                "pre_consultation" => 3,
                _ => 2,
            };
            assert_eq!(w["version"], want, "{w}");
            assert!(
                w["titles"]["zh"].as_str().is_some_and(|t| !t.is_empty()),
                "{w}"
            );
        }
        db
    })
    .await;
}

#[tokio::test]
async fn a_report_form_moves_through_supplement_to_publicity_and_its_history_is_chained() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let (ann, rui) = (applicant(), reviewer());

        let created = app.create_case(&ann, project()).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let c = &created.body;
        assert_eq!(c["workflow"], "eia_report_form");
        assert_eq!(c["workflow_version"], 5);
        assert_eq!(c["state"], "draft");
        assert_eq!(c["version"], 1);
        assert_eq!(c["organisation"], "ACME");
        assert_eq!(c["data"]["credit_code"], "91350100M000100Y43");
        assert_eq!(c["allowed_actions"], json!(["submit", "withdraw"]));
        let id = c["id"].as_str().expect("id").to_string();
        assert_eq!(Uuid::parse_str(&id).expect("uuid").get_version_num(), 7);

        let r = app.act(&ann, &id, "submit", 1, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["state"], "submitted");
        assert_eq!(r.body["allowed_actions"], json!(["withdraw"]));
        assert_eq!(
            app.case(&rui, &id).await["allowed_actions"],
            json!(["request_supplement", "accept"])
        );

        let r = app
            .act(
                &rui,
                &id,
                "request_supplement",
                2,
                json!({"missing_items": ["site plan", "noise survey"]}),
            )
            .await;
        assert_eq!(r.body["state"], "supplement", "{}", r.body);
        let r = app
            .act(
                &ann,
                &id,
                "resubmit",
                3,
                json!({"project_name": "Fuling paper mill, phase 2"}),
            )
            .await;
        assert_eq!(r.body["state"], "submitted", "{}", r.body);
        assert_eq!(r.body["data"]["project_name"], "Fuling paper mill, phase 2");
        let r = app.act(&rui, &id, "accept", 4, json!({})).await;
        assert_eq!(r.body["state"], "publicity", "{}", r.body);
        assert_eq!(r.body["version"], 5);

        let entries = app.history(&rui, &id).await;
        let actions: Vec<&str> = entries
            .iter()
            .map(|e| e["action"].as_str().expect("action"))
            .collect();
        assert_eq!(
            actions,
            vec![
                "create",
                "submit",
                "request_supplement",
                "resubmit",
                "accept"
            ]
        );
        assert_eq!(entries[0]["prev_hash"], "0".repeat(64));
        for pair in entries.windows(2) {
            assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
            assert_eq!(
                pair[1]["seq"].as_i64(),
                pair[0]["seq"].as_i64().map(|s| s + 1)
            );
        }
        assert_eq!(
            entries[2]["payload"]["missing_items"],
            json!(["site plan", "noise survey"])
        );
        assert_eq!(entries[2]["actor"], "rui@bureau.example");
        assert_eq!(entries[2]["roles"], json!(["reviewer"]));
        db
    })
    .await;
}

#[tokio::test]
async fn withdrawal_ends_the_case_and_a_terminal_case_accepts_nothing() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        let r = app.act(&ann, &id, "withdraw", 2, json!({})).await;
        assert_eq!(r.body["state"], "withdrawn", "{}", r.body);
        assert_eq!(r.body["terminal"], true);
        assert_eq!(r.body["allowed_actions"], json!([]));
        let r = app.act(&ann, &id, "submit", 3, json!({})).await;
        assert_error(&r, 422, "action_not_allowed");
        db
    })
    .await;
}

#[tokio::test]
async fn refusals_are_precise_and_change_nothing() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;

        // A reviewer may not submit.
        let r = app.act(&rui, &id, "submit", 1, json!({})).await;
        assert_error(&r, 403, "forbidden");
        assert_eq!(
            r.body["details"]["allowed_roles"],
            json!(["applicant", "agency"])
        );
        // Not available in this state.
        let r = app.act(&rui, &id, "accept", 1, json!({})).await;
        assert_error(&r, 422, "action_not_allowed");
        // An unknown action is simply not available.
        let r = app.act(&ann, &id, "teleport", 1, json!({})).await;
        assert_error(&r, 422, "action_not_allowed");
        // Stale version.
        let r = app.act(&ann, &id, "submit", 7, json!({})).await;
        assert_error(&r, 409, "version_conflict");
        assert_eq!(r.body["details"]["actual_version"], 1);
        // A bad payload: every bad field reported.
        let r = app
            .act(
                &ann,
                &id,
                "submit",
                1,
                json!({"credit_code": "91350100M000100Y44", "investment_fen": 1.5}),
            )
            .await;
        assert_error(&r, 422, "validation_failed");
        let fields = &r.body["details"]["fields"];
        assert!(
            fields["credit_code"][0]
                .as_str()
                .expect("message")
                .contains("check character"),
            "{fields}"
        );
        assert!(fields["investment_fen"].is_array(), "{fields}");
        // Bodies that are not JSON, or miss expected_version.
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/cases/{id}/actions/submit")))
            .bearer_auth(&ann.token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 400);
        let r = app
            .post(
                &ann,
                &format!("/api/v1/cases/{id}/actions/submit"),
                &json!({"data": {}}),
                None,
            )
            .await;
        assert_error(&r, 400, "invalid_body");

        // Nothing changed: still version 1 in draft, one audit entry.
        let c = app.case(&ann, &id).await;
        assert_eq!(
            (c["state"].as_str(), c["version"].as_i64()),
            (Some("draft"), Some(1))
        );
        assert_eq!(app.history(&ann, &id).await.len(), 1);
        db
    })
    .await;
}

#[tokio::test]
async fn bad_case_data_is_refused_on_creation_with_field_errors() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let mut data = project();
        data["credit_code"] = json!("123");
        data["industry_code"] = json!("Z1");
        data["location"] = json!({"type": "Point", "coordinates": [200.0, 29.0]});
        data["category"] = json!("huge");
        let r = app.create_case(&ann, data).await;
        assert_error(&r, 422, "validation_failed");
        let fields = r.body["details"]["fields"].as_object().expect("fields");
        let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(
            names,
            vec!["category", "credit_code", "industry_code", "location"]
        );
        let r = app
            .post(
                &ann,
                "/api/v1/cases",
                &json!({"workflow": "no_such", "data": project()}),
                None,
            )
            .await;
        assert_error(&r, 422, "unknown_workflow");
        // A reviewer cannot open an application.
        let r = app.create_case(&reviewer(), project()).await;
        assert_error(&r, 403, "forbidden");
        let list = app.get(&reviewer(), "/api/v1/cases").await;
        assert_eq!(list.body["total"], 0, "nothing was created");
        db
    })
    .await;
}

#[tokio::test]
async fn the_four_eyes_rule_holds_for_a_person_with_two_roles() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        // Someone who is both applicant and reviewer cannot accept what they submitted.
        let both = user("dual@acme.example", "ACME", &["applicant", "reviewer"]);
        let id = app.new_case(&both).await;
        let r = app.act(&both, &id, "submit", 1, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["allowed_actions"], json!(["withdraw"]));
        let r = app.act(&both, &id, "accept", 2, json!({})).await;
        assert_error(&r, 403, "same_actor");
        assert_eq!(r.body["details"]["earlier_action"], "submit");
        let r = app.act(&reviewer(), &id, "accept", 2, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_actions_on_one_version_succeed_once() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (client, url, token) = (
                app.client.clone(),
                app.url(&format!("/api/v1/cases/{id}/actions/submit")),
                ann.token.clone(),
            );
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"expected_version": 1}))
                    .send()
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        statuses.sort();
        assert_eq!(
            statuses,
            vec![200, 409, 409, 409, 409, 409, 409, 409],
            "{}",
            db.label()
        );
        assert_eq!(app.history(&ann, &id).await.len(), 2);
        assert_eq!(app.case(&ann, &id).await["version"], 2);
        db
    })
    .await;
}

#[tokio::test]
async fn listing_pages_in_a_stable_order_and_filters() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(app.new_case(&ann).await);
        }
        app.act(&ann, &ids[1], "submit", 1, json!({})).await;
        let mut seen = Vec::new();
        for page in 1..=3 {
            let r = app
                .get(&ann, &format!("/api/v1/cases?per_page=2&page={page}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["total"], 5);
            for item in r.body["items"].as_array().expect("items") {
                seen.push(item["id"].as_str().expect("id").to_string());
            }
        }
        assert_eq!(seen, ids, "every case once, in creation order");
        let r = app
            .get(
                &ann,
                "/api/v1/cases?state=submitted&workflow=eia_report_form",
            )
            .await;
        assert_eq!(r.body["total"], 1);
        assert_eq!(r.body["items"][0]["id"], ids[1].as_str());
        let r = app.get(&ann, "/api/v1/cases?per_page=0").await;
        assert_error(&r, 422, "validation_failed");
        let r = app.get(&ann, "/api/v1/cases?page=abc").await;
        assert_error(&r, 400, "invalid_query");
        db
    })
    .await;
}

use uuid::Uuid;
