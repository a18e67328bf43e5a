//! Reform tracking over HTTP: the pre-licence catalogue and the business licence checklist,
//! waterfront siting, and the reform figures.

use serde_json::{json, Value};

use crate::helpers::*;

const CATALOGUE: &str = include_str!("../../workflows/catalogue/pre_licence_illustrative.csv");

async fn import(app: &TestApp, who: &User, csv: &str) -> Reply {
    let resp = app
        .client
        .post(app.url("/api/v1/admin/catalogue/import"))
        .bearer_auth(&who.token)
        .header("Content-Type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    Reply { status, body }
}

async fn count_on(app: &TestApp, date: &str) -> i64 {
    let r = app
        .get(&applicant(), &format!("/api/v1/catalogue/items?on={date}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["count"].as_i64().expect("count")
}

async fn csv(app: &TestApp, path: &str) -> String {
    app.client
        .get(app.url(path))
        .bearer_auth(&admin().token)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn the_catalogue_counts_190_before_and_32_after_the_reform() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        // Only an admin imports; a bad file imports nothing and names its lines.
        assert_error(&import(&app, &applicant(), CATALOGUE).await, 403, "forbidden");
        let bad = format!(
            "{CATALOGUE}PL-191,x,Authority A,basis,*,pre_licence,2014-13-01,\nPL-192,x,Authority A,basis,*,merged,2019-01-01,PL-999\n"
        );
        let r = import(&app, &admin(), &bad).await;
        assert_error(&r, 422, "validation_failed");
        let fields = r.body["details"]["fields"].as_object().expect("fields");
        let last = CATALOGUE.lines().count();
        assert!(fields.contains_key(&format!("line {}: effective_from", last + 1)), "{fields:?}");
        assert!(fields.contains_key(&format!("line {}: merged_into", last + 2)), "{fields:?}");
        assert_eq!(count_on(&app, "2015-01-01").await, 0, "nothing was imported");

        let r = import(&app, &admin(), CATALOGUE).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["items_added"].as_i64(), r.body["changes_added"].as_i64()), (Some(190), Some(348)));
        let again = import(&app, &admin(), CATALOGUE).await;
        assert_eq!((again.body["items_added"].as_i64(), again.body["unchanged"].as_i64()), (Some(0), Some(348)), "re-importing changes nothing");

        // Before, at and after the reform.
        assert_eq!(count_on(&app, "2013-12-31").await, 0, "before the baseline the items did not exist");
        assert_eq!(count_on(&app, "2014-01-01").await, 190);
        assert_eq!(count_on(&app, "2014-09-30").await, 190);
        assert_eq!(count_on(&app, "2014-10-01").await, 159, "31 moved after the licence");
        assert_eq!(count_on(&app, "2016-01-01").await, 138, "21 more moved");
        assert_eq!(count_on(&app, "2018-11-30").await, 78, "60 abolished");
        assert_eq!(count_on(&app, "2018-12-01").await, 32, "46 merged");
        assert_eq!(count_on(&app, "2026-01-01").await, 32);

        // Which items a kind of business needs on a date.
        let r = app.get(&applicant(), "/api/v1/catalogue/items?on=2026-01-01&business=chemical").await;
        let items = r.body["items"].as_array().expect("items");
        assert!(!items.is_empty() && items.len() < 32, "{}", r.body);
        assert!(items.iter().all(|i| i["business_kinds"].as_array().expect("kinds").iter().any(|k| k == "chemical" || k == "*")));
        assert_error(&app.get(&applicant(), "/api/v1/catalogue/items?on=someday").await, 422, "validation_failed");

        // The reduction report, per authority and in total.
        let r = app.get(&applicant(), "/api/v1/catalogue/reduction?baseline=2014-01-01&on=2019-01-01").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let total = r.body["rows"].as_array().expect("rows").last().expect("total").clone();
        assert_eq!(total["authority"], "*");
        assert_eq!(
            (total["baseline"].as_i64(), total["on"].as_i64(), total["reduced"].as_i64(), total["moved_after_licence"].as_i64(), total["abolished"].as_i64(), total["merged"].as_i64()),
            (Some(190), Some(32), Some(158), Some(52), Some(60), Some(46))
        );
        assert_eq!(total["reduced_pct"], 83.2);
        let per_authority: i64 = r.body["rows"].as_array().expect("rows").iter().filter(|r| r["authority"] != "*").map(|r| r["baseline"].as_i64().unwrap_or(0)).sum();
        assert_eq!(per_authority, 190);
        assert_error(&app.get(&applicant(), "/api/v1/catalogue/reduction?on=2019-01-01").await, 422, "validation_failed");
        let text = csv(&app, "/api/v1/catalogue/reduction?baseline=2014-01-01&on=2019-01-01").await;
        assert!(text.starts_with("\u{feff}authority,baseline,on,reduced,moved_after_licence,abolished,merged,reduced_pct\r\n"), "{text}");
        assert!(text.contains("*,190,32,158,52,60,46,83.2"), "{text}");

        // The count over time, as a reform figure.
        let r = app.get(&admin(), "/api/v1/stats/pre_licence?from=2014-09-01&to=2014-11-30").await;
        assert_eq!(r.body["rows"], json!([
            {"date": "2014-09-01", "pre_licence": 190},
            {"date": "2014-10-01", "pre_licence": 159},
            {"date": "2014-11-01", "pre_licence": 159},
        ]));
        db
    })
    .await;
}

async fn step(app: &TestApp, who: &User, id: &str, action: &str, data: Value) -> Reply {
    let v = app.case(&admin(), id).await["version"]
        .as_i64()
        .expect("version");
    app.act(who, id, action, v, data).await
}

#[tokio::test]
async fn a_business_licence_waits_for_every_pre_licence_item() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        assert_eq!(import(&app, &admin(), CATALOGUE).await.status, 200);
        let (ann, rui) = (applicant(), reviewer());
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);

        // The applicant may not write the checklist.
        let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "business_licence", "data": {"business_name": "Acme Chemicals", "business_kind": "chemical", "checklist": []}}), None).await;
        assert_error(&r, 422, "validation_failed");
        let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "business_licence", "data": {"business_name": "Acme Chemicals", "business_kind": "chemical"}}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_string();
        assert_error(&step(&app, &ann, &id, "submit", json!({"checklist": []})).await, 422, "validation_failed");
        let submitted = step(&app, &ann, &id, "submit", json!({})).await;
        assert_eq!(submitted.status, 200, "{}", submitted.body);
        // The checklist: the items in force today for a chemical business.
        let expected = app.get(&ann, "/api/v1/catalogue/items?on=2026-03-02&business=chemical").await.body["items"].clone();
        let checklist = submitted.body["data"]["checklist"].as_array().expect("checklist").clone();
        let codes: Vec<&str> = checklist.iter().map(|i| i["code"].as_str().expect("code")).collect();
        let want: Vec<&str> = expected.as_array().expect("items").iter().map(|i| i["code"].as_str().expect("code")).collect();
        assert_eq!(codes, want);
        assert!(codes.len() >= 2, "{codes:?}");

        // Not while an item is open.
        let r = step(&app, &amy, &id, "grant", json!({})).await;
        assert_error(&r, 422, "not_yet");
        assert!(r.body["message"].as_str().unwrap_or_default().contains(codes[0]), "{}", r.body);

        // One item by an approval of the same enterprise (a filed registration form) ...
        let mut reg = project();
        reg["category"] = json!("registration");
        reg["industry_code"] = json!("I6510");
        let filed = app.post(&ann, "/api/v1/cases", &json!({"workflow": "eia_registration", "data": reg}), None).await;
        let filed_id = filed.body["id"].as_str().expect("id").to_string();
        let r = step(&app, &ann, &filed_id, "file", json!({})).await;
        assert_eq!(r.body["state"], "filed", "{}", r.body);
        // ... not by a case still running, nor by an unknown item.
        let draft = app.post(&ann, "/api/v1/cases", &json!({"workflow": "eia_report_form", "data": project()}), None).await.body["id"].clone();
        assert_error(&step(&app, &ann, &id, "satisfy_item", json!({"item": codes[0], "approval_case": draft})).await, 422, "validation_failed");
        assert_error(&step(&app, &ann, &id, "satisfy_item", json!({"item": "PL-999", "external_reference": "x"})).await, 422, "validation_failed");
        let r = step(&app, &ann, &id, "satisfy_item", json!({"item": codes[0], "approval_case": filed_id})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_error(&step(&app, &ann, &id, "satisfy_item", json!({"item": codes[0], "external_reference": "again"})).await, 422, "validation_failed");
        // The rest by external references (another authority's approval numbers).
        for code in &codes[1..] {
            let r = step(&app, &rui, &id, "satisfy_item", json!({"item": code, "external_reference": format!("EXT-{code}")})).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let granted = step(&app, &amy, &id, "grant", json!({})).await;
        assert_eq!((granted.status, granted.body["state"].as_str()), (200, Some("granted")), "{}", granted.body);
        let items = granted.body["data"]["checklist"].as_array().expect("checklist");
        assert_eq!(items[0]["satisfied_by"]["approval_case"], filed_id.as_str());
        db
    })
    .await;
}

#[tokio::test]
async fn siting_checks_measure_to_the_river_and_flag_the_rules() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let ann = applicant();
        let check = |geometry: Value, extra: Value| {
            let mut body = json!({"geometry": geometry});
            for (k, v) in extra.as_object().expect("extra") {
                body[k] = v.clone();
            }
            body
        };
        // A vertex of the Yangtze's line in central Chongqing is 0 m away.
        let on_line = json!({"type": "Point", "coordinates": [106.58163, 29.56843]});
        let r = app.post(&ann, "/api/v1/siting/check", &check(on_line, json!({})), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["nearest"]["river"].as_str(), r.body["nearest"]["distance_m"].as_f64()), (Some("Chang Jiang"), Some(0.0)));
        // About 1.2 km south: a chemical plant passes the 1 km rule, an industrial park fails 5 km.
        let near = json!({"type": "Point", "coordinates": [106.58163, 29.55693]});
        let r = app.post(&ann, "/api/v1/siting/check", &check(near.clone(), json!({"industry_code": "C2614"})), None).await;
        let d = r.body["nearest"]["distance_m"].as_f64().expect("distance");
        assert!((1150.0..1260.0).contains(&d), "{d}");
        assert_eq!(r.body["flags"], json!([]), "{}", r.body);
        assert!(r.body["restricted_industry"].as_str().unwrap_or_default().starts_with("C26"));
        let r = app.post(&ann, "/api/v1/siting/check", &check(near, json!({"industrial_park": true})), None).await;
        let flags = r.body["flags"].as_array().expect("flags");
        assert_eq!(flags.len(), 1, "{}", r.body);
        assert_eq!((flags[0]["rule"].as_str(), flags[0]["river"].as_str(), flags[0]["limit_m"].as_f64()), (Some("park_5km"), Some("Chang Jiang"), Some(5000.0)));
        // About 500 m away: a chemical plant breaks the 1 km rule; an office does not.
        let close = json!({"type": "Point", "coordinates": [106.58163, 29.56343]});
        let r = app.post(&ann, "/api/v1/siting/check", &check(close.clone(), json!({"industry_code": "C2614"})), None).await;
        assert_eq!(r.body["flags"][0]["rule"], "industry_1km", "{}", r.body);
        let r = app.post(&ann, "/api/v1/siting/check", &check(close.clone(), json!({"industry_code": "I6510"})), None).await;
        assert_eq!(r.body["flags"], json!([]));
        // A polygon is measured from its nearest edge.
        let square = json!({"type": "Polygon", "coordinates": [[[106.575, 29.5500], [106.585, 29.5500], [106.585, 29.5570], [106.575, 29.5570], [106.575, 29.5500]]]});
        let r = app.post(&ann, "/api/v1/siting/check", &check(square, json!({})), None).await;
        let d = r.body["nearest"]["distance_m"].as_f64().expect("distance");
        assert!(d > 500.0 && d < 1300.0, "{d}");
        // Bad input.
        assert_error(&app.post(&ann, "/api/v1/siting/check", &json!({"geometry": {"type": "Point", "coordinates": [500, 1]}}), None).await, 422, "validation_failed");
        assert_error(&app.post(&ann, "/api/v1/siting/check", &json!({"geometry": {"type": "Point", "coordinates": [106.5, 29.5]}, "industry_code": "chem"}), None).await, 422, "validation_failed");

        // On submission an EIA is checked: the reviewer sees the flag, and a refusal may cite
        // it as ground (1) only.
        let mut data = project();
        data["industry_code"] = json!("C2614");
        data["location"] = close;
        let id = app.post(&ann, "/api/v1/cases", &json!({"workflow": "eia_report_form", "data": data}), None).await.body["id"].as_str().expect("id").to_string();
        assert_eq!(step(&app, &ann, &id, "submit", json!({})).await.status, 200);
        let case = app.case(&reviewer(), &id).await;
        assert_eq!(case["siting"]["flags"][0]["rule"], "industry_1km", "{case}");
        let submit = app.history(&reviewer(), &id).await.into_iter().find(|e| e["action"] == "submit").expect("submit");
        assert_eq!(submit["payload"]["siting"]["flags"][0]["rule"], "industry_1km");
        let rui = reviewer();
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        assert_eq!(step(&app, &rui, &id, "accept", json!({})).await.status, 200);
        app.set_clock("2026-03-10T01:00:00Z").await;
        assert_eq!(app.case(&rui, &id).await["state"], "evaluation");
        assert_eq!(step(&app, &rui, &id, "complete_evaluation", json!({"conclusion": "sited too close"})).await.status, 200);
        let wrong = step(&app, &rui, &id, "propose_refusal", json!({"grounds": ["emissions"], "siting_rule": "industry_1km"})).await;
        assert_error(&wrong, 422, "validation_failed");
        let unflagged = step(&app, &rui, &id, "propose_refusal", json!({"grounds": ["plan_or_law"], "siting_rule": "park_5km"})).await;
        assert_error(&unflagged, 422, "validation_failed");
        assert_eq!(step(&app, &rui, &id, "propose_refusal", json!({"grounds": ["plan_or_law"], "siting_rule": "industry_1km"})).await.status, 200);
        app.set_clock("2026-03-18T01:00:00Z").await;
        assert_eq!(app.case(&rui, &id).await["state"], "decision");
        let refused = step(&app, &amy, &id, "refuse", json!({"grounds": ["plan_or_law"], "siting_rule": "industry_1km"})).await;
        assert_eq!((refused.status, refused.body["state"].as_str()), (200, Some("refused")), "{}", refused.body);
        db
    })
    .await;
}

/// Fires `action` on each case, asserting it was accepted.
async fn all(app: &TestApp, who: &User, ids: &[&String], action: &str, payload: Value) {
    for id in ids {
        let r = step(app, who, id, action, payload.clone()).await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
    }
}

#[tokio::test]
async fn reform_figures_on_cases_with_known_durations() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let (ann, rui) = (applicant(), reviewer());
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let mut ids = Vec::new();
        for investment in [100_000_000, 200_000_000, 300_000_000] {
            let mut data = project();
            data["investment_fen"] = json!(investment);
            let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "eia_report_form", "data": data}), None).await;
            ids.push(r.body["id"].as_str().expect("id").to_string());
        }
        let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
        // All three accepted on Mon 2 March; publicity runs to Mon 9 (5 working days).
        all(&app, &ann, &[a, b, c], "submit", json!({})).await;
        all(&app, &rui, &[a, b, c], "accept", json!({})).await;
        // A and C finish evaluation on Mon 16; B two weeks later (stopped-clock time).
        app.set_clock("2026-03-16T01:00:00Z").await;
        all(&app, &rui, &[a, c], "complete_evaluation", json!({"conclusion": "ok"})).await;
        all(&app, &rui, &[a, c], "propose_approval", json!({"conditions": []})).await;
        // A is approved on Tue 24, after 5 working days of proposal publicity.
        app.set_clock("2026-03-24T01:00:00Z").await;
        all(&app, &amy, &[a], "approve", json!({"conditions": []})).await;
        app.set_clock("2026-03-30T01:00:00Z").await;
        all(&app, &rui, &[b], "complete_evaluation", json!({"conclusion": "ok"})).await;
        all(&app, &rui, &[b], "propose_approval", json!({"conditions": []})).await;
        // C waits five more working days in decision.
        app.set_clock("2026-03-31T01:00:00Z").await;
        all(&app, &amy, &[c], "approve", json!({"conditions": []})).await;
        app.set_clock("2026-04-08T01:00:00Z").await;
        all(&app, &amy, &[b], "approve", json!({"conditions": []})).await;
        all(&app, &rui, &[a, b, c], "announce", json!({})).await;
        let used = |case: Value| case["clocks"].as_array().expect("clocks").iter().find(|c| c["name"] == "statutory").expect("statutory")["used_days"].as_i64().expect("used");
        let (ua, ub, uc) = (used(app.case(&admin(), a).await), used(app.case(&admin(), b).await), used(app.case(&admin(), c).await));
        // 5 days of publicity (its expiry at 24:00 on the 9th stops the clock: the 10th is not
        // used), 5 days of proposal publicity, the decision day.
        assert_eq!(ua, 11);
        assert_eq!(ub, ua, "the longer evaluation is stopped-clock time");
        assert_eq!(uc, ua + 5);
        // D is still open; E was withdrawn.
        app.set_clock("2026-04-10T01:00:00Z").await;
        let d = app.new_case(&applicant()).await;
        assert_eq!(step(&app, &applicant(), &d, "submit", json!({})).await.status, 200);
        let e = app.new_case(&applicant()).await;
        assert_eq!(step(&app, &applicant(), &e, "submit", json!({})).await.status, 200);
        assert_eq!(step(&app, &applicant(), &e, "withdraw", json!({})).await.status, 200);

        let r = app.get(&admin(), "/api/v1/stats/cases?period=month").await;
        assert_eq!(r.body["rows"], json!([
            {"period": "2026-03", "workflow": "eia_report_form", "outcome": "approval_announced", "cases": 3},
            {"period": "2026-04", "workflow": "eia_report_form", "outcome": "open", "cases": 1},
            {"period": "2026-04", "workflow": "eia_report_form", "outcome": "withdrawn", "cases": 1},
        ]), "{}", r.body);

        let r = app.get(&admin(), "/api/v1/stats/durations?period=year").await;
        let rows = r.body["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 1, "{}", r.body);
        let row = &rows[0];
        assert_eq!((row["period"].as_str(), row["cases"].as_i64()), (Some("2026"), Some(3)));
        assert_eq!((row["median_days"].as_f64(), row["p90_days"].as_f64(), row["max_days"].as_i64()), (Some(11.0), Some(16.0), Some(16)));
        assert_eq!((row["statutory_limit_days"].as_i64(), row["on_time_statutory_pct"].as_f64()), (Some(30), Some(100.0)));
        // The promised limit counts the bureau's own time, not the two publicity periods: each
        // case used 1 day of it, within 10. Counted on the statutory clock, none is within a
        // third of its 30 days.
        assert_eq!((row["promised_limit_days"].as_i64(), row["on_time_promised_pct"].as_f64()), (Some(10), Some(100.0)));
        assert_eq!((row["one_third_target_days"].as_f64(), row["within_one_third_pct"].as_f64()), (Some(10.0), Some(0.0)));

        let r = app.get(&admin(), "/api/v1/stats/investment?period=year").await;
        assert_eq!(r.body["rows"], json!([{"period": "2026", "workflow": "eia_report_form", "projects": 3, "investment_fen": 600_000_000}]));
        let r = app.get(&admin(), "/api/v1/stats/planning?period=quarter").await;
        assert_eq!(r.body["rows"], json!([{"period": "2026-Q1", "planning_eias": 0, "project_eias": 3}, {"period": "2026-Q2", "planning_eias": 0, "project_eias": 2}]));
        let text = csv(&app, "/api/v1/stats/durations?period=year").await;
        assert!(text.starts_with("\u{feff}period,workflow,cases,median_days,p90_days,max_days,statutory_limit_days,on_time_statutory_pct,promised_limit_days,on_time_promised_pct,one_third_target_days,within_one_third_pct\r\n"), "{text}");
        assert!(text.contains("2026,eia_report_form,3,11.0,16.0,16,30,100.0,10,100.0,10.0,0.0"), "{text}");
        let r = app.get(&admin(), "/api/v1/stats/cases?from=2026-04-01").await;
        assert_eq!(r.body["rows"].as_array().map(Vec::len), Some(2));
        assert_error(&app.get(&admin(), "/api/v1/stats/cases?period=week").await, 422, "validation_failed");
        let text = csv(&app, "/api/v1/stats/trading").await;
        assert!(text.starts_with("\u{feff}period,"), "the header, even with no rows: {text}");
        db
    })
    .await;
}
