use serde_json::json;

use crate::helpers::*;

fn actions(entries: &[serde_json::Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Spring Festival 2020: Sunday 19 January was a make-up working day, and a second notice
/// extended the holiday to Sunday 2 February.
#[tokio::test]
async fn deadlines_across_the_2020_spring_festival_fire_once_as_the_system() {
    on_every_database(|db| async move {
        // Thursday 16 January 2020, 10:00 in Shanghai.
        let app = spawn_app_at(&db, "2020-01-16T02:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;

        // Five working days, not counting the 16th: Fri 17, Sun 19 (make-up), Mon 20, Tue 21, Wed 22.
        let check = app.clock(&rui, &id, "acceptance_check").await;
        assert_eq!(check["due"], "2020-01-22", "{check}");
        assert_eq!(check["due_at"], "2020-01-22T16:00:00Z");
        assert_eq!(
            (check["running"].as_bool(), check["provisional"].as_bool()),
            (Some(true), Some(false))
        );
        let statutory = app.clock(&rui, &id, "statutory").await;
        assert_eq!(
            (
                statutory["running"].as_bool(),
                statutory["used_days"].as_i64()
            ),
            (Some(false), Some(0))
        );
        assert_eq!(statutory["limit_days"], 30);
        assert_eq!(statutory["day_type"], "working");

        // One second before 24:00 on the last day: nothing fires.
        let moved = app.set_clock("2020-01-22T15:59:59Z").await;
        assert_eq!(moved["fired"], 1, "only the 60% warning: {moved}");
        let check = app.clock(&rui, &id, "acceptance_check").await;
        assert_eq!(
            (
                check["used_days"].as_i64(),
                check["remaining_days"].as_i64(),
                check["overdue"].as_bool()
            ),
            (Some(5), Some(0), Some(false))
        );
        assert_eq!(app.case(&rui, &id).await["state"], "submitted");

        // At 24:00 the unanswered application is deemed accepted.
        app.set_clock("2020-01-22T16:00:00Z").await;
        let case = app.case(&rui, &id).await;
        assert_eq!(case["state"], "publicity");
        let entries = app.history(&rui, &id).await;
        let last = entries.last().expect("entries");
        assert_eq!(
            (last["action"].as_str(), last["actor"].as_str()),
            (Some("deem_accepted"), Some("system"))
        );
        assert_eq!(last["payload"]["deadline"]["clock"], "acceptance_check");
        assert_eq!(
            last["payload"]["deadline"]["due_at"],
            "2020-01-22T16:00:00Z"
        );
        assert_eq!(
            last["payload"]["deadline"]["fired_at"],
            "2020-01-22T16:00:00Z"
        );
        assert_eq!(last["roles"], json!(["system"]));

        // It counts as accepted on the day it was received: the statutory and promised clocks
        // count from 16 January. The statutory clock has used 17, 19, 20, 21, 22, 23 on the
        // 23rd; the promised one counted the acceptance check (17, 19, 20, 21, 22), and stands
        // still through the publicity.
        let statutory = app.clock(&rui, &id, "statutory").await;
        assert_eq!(statutory["used_days"], 6, "{statutory}");
        let promised = app.clock(&rui, &id, "promised").await;
        assert_eq!(
            (promised["used_days"].as_i64(), promised["paused"].as_bool()),
            (Some(5), Some(true)),
            "{promised}"
        );
        // The 5-day publicity starts on the 23rd: 3, 4, 5, 6, 7 February.
        let publicity = app.clock(&rui, &id, "acceptance_publicity").await;
        assert_eq!(publicity["due"], "2020-02-07", "{publicity}");

        // Moving to 8 February ends the publicity (7th); the promise is not missed meanwhile.
        app.set_clock("2020-02-08T01:00:00Z").await;
        let case = app.case(&rui, &id).await;
        assert_eq!(case["state"], "evaluation");
        let all = actions(&app.history(&rui, &id).await);
        assert_eq!(all.last().map(String::as_str), Some("end_publicity"));
        assert!(!all.iter().any(|a| a == "promise_missed"), "{all:?}");
        let promised = app.clock(&rui, &id, "promised").await;
        assert_eq!(
            (promised["running"].as_bool(), promised["paused"].as_bool()),
            (Some(false), Some(true)),
            "evaluation stops the clock: {promised}"
        );
        assert_eq!(promised["used_days"], 5);
        let frozen = promised["used_days"].clone();

        // Time in technical evaluation does not count.
        app.set_clock("2020-03-02T01:00:00Z").await;
        assert_eq!(app.clock(&rui, &id, "promised").await["used_days"], frozen);

        // A revision not returned in 15 working days: the file is returned.
        let v = app.case(&rui, &id).await["version"]
            .as_i64()
            .expect("version");
        let r = app
            .act(
                &rui,
                &id,
                "request_revision",
                v,
                json!({"issues": ["stack height"]}),
            )
            .await;
        assert_eq!(r.body["state"], "revision", "{}", r.body);
        let revision = app.clock(&rui, &id, "revision").await;
        // From Mon 2 March 2020: the 15th working day is Mon 23 March.
        assert_eq!(revision["due"], "2020-03-23", "{revision}");
        app.set_clock("2020-03-23T15:59:59Z").await;
        assert_eq!(app.case(&rui, &id).await["state"], "revision");
        app.set_clock("2020-03-23T16:00:00Z").await;
        let case = app.case(&rui, &id).await;
        assert_eq!(case["state"], "returned");
        assert_eq!(case["terminal"], true);
        assert!(case["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .all(|c| c["running"] == false));

        // Every timer fired at most once: each deadline action appears once.
        let all = actions(&app.history(&rui, &id).await);
        for once in ["deem_accepted", "end_publicity", "return_file"] {
            assert_eq!(
                all.iter().filter(|a| *a == once).count(),
                1,
                "{once} in {all:?}"
            );
        }
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}

#[tokio::test]
async fn a_statutory_limit_that_passes_escalates_and_flags_the_case_overdue() {
    on_every_database(|db| async move {
        // Monday 2 March 2026, 09:00 in Shanghai.
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        app.act(&rui, &id, "accept", 2, json!({})).await;
        app.set_clock("2026-03-10T01:00:00Z").await; // publicity over: evaluation
        let v = app.case(&rui, &id).await["version"].as_i64().expect("version");
        let r = app.act(&rui, &id, "complete_evaluation", v, json!({"conclusion": "acceptable"})).await;
        assert_eq!(r.body["state"], "review", "{}", r.body);

        let statutory = app.clock(&rui, &id, "statutory").await;
        assert_eq!((statutory["running"].as_bool(), statutory["overdue"].as_bool()), (Some(true), Some(false)));
        let due_at = statutory["due_at"].as_str().expect("due").to_string();

        app.set_clock("2026-06-01T01:00:00Z").await;
        let case = app.case(&rui, &id).await;
        assert_eq!(case["state"], "review", "an escalation keeps the case where it is");
        let statutory = case["clocks"].as_array().expect("clocks").iter().find(|c| c["name"] == "statutory").cloned().expect("statutory");
        assert_eq!(statutory["overdue"], true, "{statutory}");
        assert!(statutory["remaining_days"].as_i64().expect("remaining") < 0);
        let entries = app.history(&rui, &id).await;
        let escalation = entries.iter().find(|e| e["action"] == "escalate").expect("escalated");
        assert_eq!(escalation["payload"]["deadline"]["due_at"], due_at.as_str());
        assert_eq!(escalation["payload"]["deadline"]["fired_at"], "2026-06-01T01:00:00Z");

        let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains("greenlane_overdue_cases 1"), "{metrics}");
        assert!(metrics.contains("greenlane_overdue_deadlines{clock=\"statutory\"} 1"), "{metrics}");
        assert!(metrics.contains("greenlane_open_deadlines{clock=\"statutory\"} 1"), "{metrics}");
        assert!(metrics.contains("greenlane_timer_firing_lag_seconds_bucket"), "{metrics}");
        assert!(metrics.contains("greenlane_http_requests_total{method=\"POST\",route=\"/api/v1/cases/{id}/actions/{action}\",status=\"200\"}"), "{metrics}");
        assert!(metrics.contains("greenlane_http_request_duration_seconds_bucket"), "{metrics}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_deadline_in_an_unpublished_year_is_provisional_until_an_admin_adds_the_year() {
    on_every_database(|db| async move {
        // Monday 21 December 2026.
        let app = spawn_app_at(&db, "2026-12-21T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        app.act(&rui, &id, "accept", 2, json!({})).await;
        // The statutory clock runs through the acceptance publicity (the promised one stands
        // still then).
        let statutory = app.clock(&rui, &id, "statutory").await;
        assert_eq!(statutory["provisional"], true, "{statutory}");
        // Thirty working days after Mon 21 Dec, with 2027 unknown (weekends only): 8 in
        // December, then 1 January to Mon 1 February 2027.
        assert_eq!(statutory["due"], "2027-02-01");
        let before = statutory["calendar_version"].clone();
        // The administrator is told until the year is loaded.
        let cal = app.get(&admin(), "/api/v1/calendars").await;
        assert_eq!(cal.body["missing"][0]["year"], 2027, "{}", cal.body);
        assert!(cal.body["missing"][0]["deadlines"].as_u64().expect("n") >= 1, "{}", cal.body);

        // Bad input is refused and changes nothing; only an admin may change calendars.
        let r = app.client.put(app.url("/api/v1/admin/calendars/2027")).bearer_auth(&rui.token).json(&json!({"days": [{"date": "2027-01-01", "off": true}]})).send().await.expect("put");
        assert_eq!(r.status().as_u16(), 403);
        let r = app.client.put(app.url("/api/v1/admin/calendars/2027")).bearer_auth(&admin().token).json(&json!({"days": [{"date": "2029-01-01", "off": true}]})).send().await.expect("put");
        assert_eq!(r.status().as_u16(), 422);
        assert_eq!(app.clock(&rui, &id, "statutory").await["calendar_version"], before);

        // The 2027 arrangement is published: 1 January is a day off.
        let r = app
            .client
            .put(app.url("/api/v1/admin/calendars/2027"))
            .bearer_auth(&admin().token)
            .json(&json!({"papers": ["(notice)"], "days": [{"date": "2027-01-01", "name": "元旦", "off": true}]}))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status().as_u16(), 200);
        let change: serde_json::Value = r.json().await.expect("json");
        assert!(change["recomputed"].as_u64().expect("n") >= 2, "{change}");
        assert!(change["moved"].as_u64().expect("n") >= 1, "{change}");
        let statutory = app.clock(&rui, &id, "statutory").await;
        assert_eq!(statutory["provisional"], false, "{statutory}");
        assert_eq!(statutory["due"], "2027-02-02", "1 January no longer counts");
        assert_eq!(statutory["calendar_version"], change["calendar_version"]);
        assert_ne!(statutory["calendar_version"], before);

        let cal = app.get(&rui, "/api/v1/calendars").await;
        let years: Vec<i64> = cal.body["years"].as_array().expect("years").iter().map(|y| y["year"].as_i64().expect("year")).collect();
        assert_eq!(years, (2019..=2027).collect::<Vec<_>>());
        assert_eq!(cal.body["years"][8]["source"], "admin");
        assert!(
            cal.body["missing"].as_array().expect("missing").iter().all(|m| m["year"] != 2027),
            "{}",
            cal.body
        );

        // The old expiry was cancelled; the one pending is at the new due moment.
        let timers = greenlane::store::clocks::timers_of_case(&app.app.db, uuid::Uuid::parse_str(&id).expect("id"))
            .await
            .expect("timers");
        let expiries: Vec<(String, String)> = timers
            .iter()
            .filter(|t| t.clock == "statutory" && t.kind == "expiry")
            .map(|t| (t.due_at.to_rfc3339(), t.status.clone()))
            .collect();
        assert_eq!(
            expiries,
            vec![
                ("2027-02-01T16:00:00+00:00".to_string(), "cancelled".to_string()),
                ("2027-02-02T16:00:00+00:00".to_string(), "pending".to_string()),
            ]
        );
        db
    })
    .await;
}

#[tokio::test]
async fn two_instances_on_one_database_fire_each_timer_exactly_once() {
    on_every_database(|db| async move {
        let a = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let b = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let ann = applicant();
        let mut ids = Vec::new();
        for _ in 0..30 {
            let id = a.new_case(&ann).await;
            a.act(&ann, &id, "submit", 1, json!({})).await;
            ids.push(id);
        }
        // Both instances' clocks pass every due moment; both fire at once.
        let later = chrono::DateTime::parse_from_rfc3339("2026-03-20T01:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        for app in [&a, &b] {
            app.app
                .clock
                .manual()
                .expect("manual")
                .set(later)
                .expect("forward");
        }
        let (fa, fb) = tokio::join!(
            greenlane::app::deadlines::fire_due(&a.app),
            greenlane::app::deadlines::fire_due(&b.app)
        );
        let (fa, fb) = (fa.expect("a fires"), fb.expect("b fires"));
        // A deadline that one instance's background worker fires while the calls above scan
        // (its rows locked, so skipped) can start a clock whose end is already due: it fires on
        // the next pass. Give the instances a few passes, never more than ten seconds.
        for _ in 0..50 {
            let mut done = true;
            for id in &ids {
                if !actions(&a.history(&ann, id).await).contains(&"end_publicity".to_string()) {
                    done = false;
                    break;
                }
            }
            if done {
                break;
            }
            greenlane::app::deadlines::fire_due(&a.app)
                .await
                .expect("a fires again");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let timers_fired = greenlane::store::clocks::count_timers(&a.app.db, "fired")
            .await
            .expect("count");
        assert!(
            fa.fired + fb.fired <= timers_fired,
            "the workers may have fired some too"
        );
        for id in &ids {
            let all = actions(&a.history(&ann, id).await);
            assert_eq!(
                all.iter().filter(|x| *x == "deem_accepted").count(),
                1,
                "{id}: {all:?}"
            );
            assert_eq!(
                all.iter().filter(|x| *x == "end_publicity").count(),
                1,
                "{id}: {all:?}"
            );
        }
        assert_eq!(
            greenlane::store::clocks::count_timers(&a.app.db, "claimed")
                .await
                .expect("count"),
            0
        );
        let report = greenlane::app::audit::verify(&a.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}

#[tokio::test]
async fn timers_that_fell_due_while_no_server_ran_fire_at_start() {
    on_every_database(|db| async move {
        let first = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let id = first.new_case(&ann).await;
        first.act(&ann, &id, "submit", 1, json!({})).await;
        // A server starting after the acceptance deadline answers at once, and its worker's
        // first pass, right at the start, fires the deadline.
        let second = spawn_app_at(&db, "2026-03-12T01:00:00Z").await;
        let started = std::time::Instant::now();
        let mut state = second.case(&rui, &id).await["state"].clone();
        while state != "publicity" && started.elapsed() < std::time::Duration::from_secs(10) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            state = second.case(&rui, &id).await["state"].clone();
        }
        assert_eq!(state, "publicity");
        db
    })
    .await;
}

#[tokio::test]
async fn the_manual_clock_is_for_admins_and_only_on_a_manual_server() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let r = app.get(&reviewer(), "/api/v1/admin/clock").await;
        assert_error(&r, 403, "forbidden");
        let r = app.get(&admin(), "/api/v1/admin/clock").await;
        assert_eq!(
            (r.body["now"].as_str(), r.body["manual"].as_bool()),
            (Some("2026-03-02T01:00:00Z"), Some(true))
        );
        let r = app
            .post(
                &admin(),
                "/api/v1/admin/clock",
                &json!({"advance_seconds": 90}),
                None,
            )
            .await;
        assert_eq!(r.body["now"], "2026-03-02T01:01:30Z", "{}", r.body);
        let r = app
            .post(
                &admin(),
                "/api/v1/admin/clock",
                &json!({"set": "2026-03-01T00:00:00Z"}),
                None,
            )
            .await;
        assert_error(&r, 422, "validation_failed");
        let r = app
            .post(
                &admin(),
                "/api/v1/admin/clock",
                &json!({"set": "2026-03-03T00:00:00Z", "advance_seconds": 1}),
                None,
            )
            .await;
        assert_error(&r, 400, "invalid_body");
        let r = app
            .post(
                &reviewer(),
                "/api/v1/admin/clock",
                &json!({"advance_seconds": 1}),
                None,
            )
            .await;
        assert_error(&r, 403, "forbidden");

        let system = spawn_app(&db).await;
        let r = system
            .post(
                &admin(),
                "/api/v1/admin/clock",
                &json!({"advance_seconds": 1}),
                None,
            )
            .await;
        assert_error(&r, 409, "clock_not_manual");
        db
    })
    .await;
}

#[tokio::test]
async fn the_inbox_lists_what_the_caller_can_do_now_nearest_deadline_first() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        // Three cases submitted on different days: their acceptance checks end in that order.
        let mut ids = Vec::new();
        for day in [
            "2026-03-02T01:00:00Z",
            "2026-03-03T01:00:00Z",
            "2026-03-04T01:00:00Z",
        ] {
            app.set_clock(day).await;
            let id = app.new_case(&ann).await;
            app.act(&ann, &id, "submit", 1, json!({})).await;
            ids.push(id);
        }
        let draft = app.new_case(&ann).await;
        // The reviewer sees the three submissions, the check that ends first on top.
        let inbox = app.get(&rui, "/api/v1/inbox").await;
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        let listed: Vec<&str> = inbox.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id"))
            .collect();
        assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            inbox.body["items"][0]["allowed_actions"],
            json!(["request_supplement", "accept"])
        );
        assert_eq!(inbox.body["items"][0]["next_clock"], "acceptance_check");
        assert_eq!(
            inbox.body["items"][0]["next_due_at"],
            "2026-03-09T16:00:00Z"
        );
        // The applicant can act on all four (withdraw, or submit the draft); the draft, without a
        // running clock, comes last.
        let mine = app.get(&ann, "/api/v1/inbox").await;
        let listed: Vec<&str> = mine.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id"))
            .collect();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[3], draft.as_str());
        // Another enterprise sees none of them; an auditor can act on nothing.
        let other = user("bo@other.example", "OTHER", &["applicant"]);
        assert_eq!(
            app.get(&other, "/api/v1/inbox").await.body["items"],
            json!([])
        );
        let auditor = user("audrey@audit.example", "AUDIT", &["auditor"]);
        assert_eq!(
            app.get(&auditor, "/api/v1/inbox").await.body["items"],
            json!([])
        );
        db
    })
    .await;
}

/// Refuses, in the database itself, any change of state of the case named `Broken mill`: a
/// firing that fails for one case only.
async fn refuse_state_changes_of_broken_mill(db: &impl sea_orm::ConnectionTrait, on: bool) {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let statements: &[&str] = match (backend, on) {
        (DbBackend::Postgres, true) => &[
            "CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused on purpose'; END $$",
            "CREATE TRIGGER refuse_broken BEFORE UPDATE ON cases FOR EACH ROW \
             WHEN (OLD.title = 'Broken mill' AND NEW.state <> OLD.state) \
             EXECUTE FUNCTION refuse_broken()",
        ],
        (DbBackend::Postgres, false) => &["DROP TRIGGER refuse_broken ON cases"],
        (_, true) => &["CREATE TRIGGER refuse_broken BEFORE UPDATE ON cases \
             WHEN OLD.title = 'Broken mill' AND NEW.state <> OLD.state \
             BEGIN SELECT RAISE(ABORT, 'refused on purpose'); END"],
        (_, false) => &["DROP TRIGGER refuse_broken"],
    };
    for sql in statements {
        db.execute(Statement::from_string(backend, sql.to_string()))
            .await
            .expect("trigger");
    }
}

#[tokio::test]
async fn a_deadline_that_fails_does_not_hold_up_the_others_and_waits_for_an_admin() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui, ada) = (applicant(), reviewer(), admin());
        let mut ids = Vec::new();
        for i in 0..6 {
            let mut data = project();
            if i == 2 {
                data["project_name"] = json!("Broken mill");
            }
            let r = app.create_case(&ann, data).await;
            let id = r.body["id"].as_str().expect("id").to_string();
            app.act(&ann, &id, "submit", 1, json!({})).await;
            ids.push(id);
        }
        let broken = ids[2].clone();
        refuse_state_changes_of_broken_mill(&app.app.db, true).await;

        // The acceptance checks of all six expire together; one cannot be written.
        let r = app
            .post(
                &ada,
                "/api/v1/admin/clock",
                &json!({"set": "2026-03-10T01:00:00Z"}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Each case has the same timers due (the acceptance check's expiry, and the promised
        // clock's warning): the broken case's all fail together, the five others' all fire.
        let per_case = r.body["failed"].as_u64().expect("failed");
        assert!(per_case >= 1, "{}", r.body);
        assert_eq!(r.body["fired"].as_u64(), Some(5 * per_case), "{}", r.body);
        for (i, id) in ids.iter().enumerate() {
            let state = app.case(&rui, id).await["state"].clone();
            assert_eq!(
                state,
                if i == 2 { "submitted" } else { "publicity" },
                "case {i}"
            );
        }

        // Admins (and auditors) see it, with why; others do not.
        let r = app.get(&ada, "/api/v1/admin/timers?state=failed").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let failed = r.body["timers"].as_array().expect("timers").clone();
        assert_eq!(failed.len() as u64, per_case, "{}", r.body);
        assert!(
            failed.iter().any(|t| t["action"] == "deem_accepted"),
            "{}",
            r.body
        );
        for t in &failed {
            assert_eq!(t["case_id"], broken.as_str());
            assert!(
                t["note"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("refused on purpose"),
                "{t}"
            );
        }
        assert_error(
            &app.get(&rui, "/api/v1/admin/timers?state=failed").await,
            403,
            "forbidden",
        );
        assert_error(
            &app.get(&ada, "/api/v1/admin/timers?state=lost").await,
            422,
            "validation_failed",
        );
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        assert!(
            metrics.contains(&format!("greenlane_failed_timers {per_case}")),
            "{metrics}"
        );
        assert!(
            metrics.contains("greenlane_timers_failed_total{kind=\"expiry\"}"),
            "{metrics}"
        );
        // A failed timer is not fired again on its own: the next passes leave it alone.
        let r = app
            .post(
                &ada,
                "/api/v1/admin/clock",
                &json!({"advance_seconds": 60}),
                None,
            )
            .await;
        assert_eq!(
            (r.body["fired"].as_u64(), r.body["failed"].as_u64()),
            (Some(0), Some(0)),
            "{}",
            r.body
        );

        // The administration page lists it, with why, in the person's language.
        seed_directory(&app).await;
        let r = app
            .post(&ada, "/api/v1/admin/users", &json!({"email": "ada@bureau.example", "name": "Ada", "org": "CQEEB", "roles": ["admin"], "lang": "zh", "password": "correct horse battery"}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let browser = crate::web::Browser::new(&app, "zh");
        let csrf = browser
            .sign_in("ada@bureau.example", "correct horse battery")
            .await;
        let page = browser.get("/admin").await;
        assert_eq!(page.status, 200);
        let section = page
            .html
            .split("id=\"timers\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("a section of failed deadlines");
        assert!(section.contains("未能执行的期限"), "{section}");
        assert!(section.contains(&broken), "{section}");
        assert!(section.contains("refused on purpose"), "{section}");
        assert_eq!(section.matches("/retry\"").count() as u64, per_case);

        // Once the cause is gone, the admin puts it back in line (the first from the page, the
        // others through the API); it fires at its due moment.
        refuse_state_changes_of_broken_mill(&app.app.db, false).await;
        let first = failed[0]["id"].as_str().expect("id");
        let r = browser
            .post(
                &format!("/admin/timers/{first}/retry"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (303, Some("/admin?done=timer-requeued#timers"))
        );
        let page = browser.get("/admin?done=timer-requeued").await;
        assert!(page.html.contains("该期限已重新排队"), "{}", page.html);
        for t in failed.iter().skip(1) {
            let r = app
                .post(
                    &ada,
                    &format!(
                        "/api/v1/admin/timers/{}/retry",
                        t["id"].as_str().expect("id")
                    ),
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
        }
        let timer = failed[0]["id"].as_str().expect("id").to_string();
        assert_error(
            &app.post(
                &ada,
                &format!("/api/v1/admin/timers/{timer}/retry"),
                &json!({}),
                None,
            )
            .await,
            409,
            "not_failed",
        );
        assert_error(
            &app.post(
                &rui,
                &format!("/api/v1/admin/timers/{timer}/retry"),
                &json!({}),
                None,
            )
            .await,
            403,
            "forbidden",
        );
        let r = app
            .post(
                &ada,
                "/api/v1/admin/clock",
                &json!({"advance_seconds": 1}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // The worker's own pass may have fired them already: wait for the case to move.
        let mut state = serde_json::Value::Null;
        for _ in 0..100 {
            state = app.case(&rui, &broken).await["state"].clone();
            if state == "publicity" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(state, "publicity");
        let deemed = app.history(&rui, &broken).await;
        let entry = deemed
            .iter()
            .find(|e| e["action"] == "deem_accepted")
            .expect("deemed");
        assert_eq!(
            entry["payload"]["deadline"]["due_at"], "2026-03-09T16:00:00Z",
            "it takes effect at its due moment"
        );
        let r = app.get(&ada, "/api/v1/admin/timers?state=failed").await;
        assert_eq!(r.body["timers"].as_array().map(Vec::len), Some(0));
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}

#[tokio::test]
async fn three_instances_fire_two_thousand_simultaneous_deadlines_exactly_once() {
    let Some(db) = postgres_only().await else {
        eprintln!("NOTE: PostgreSQL does not answer: the three-instance test is skipped");
        return;
    };
    use sea_orm::{ConnectionTrait, Statement};
    let submitted = chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let due = chrono::DateTime::parse_from_rfc3339("2026-03-09T16:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let apps = [
        spawn_app_at(&db, "2026-03-02T01:00:00Z").await,
        spawn_app_at(&db, "2026-03-02T01:00:00Z").await,
        spawn_app_at(&db, "2026-03-02T01:00:00Z").await,
    ];
    let n = 2000;
    greenlane::app::bench::seed_due(&apps[0].app, n, submitted, due)
        .await
        .expect("seed");
    // All three pass the due moment; their own workers and an explicit pass each race.
    for a in &apps {
        a.app
            .clock
            .manual()
            .expect("manual")
            .set(due + chrono::Duration::seconds(1))
            .expect("forward");
    }
    let (f0, f1, f2) = tokio::join!(
        greenlane::app::deadlines::fire_due(&apps[0].app),
        greenlane::app::deadlines::fire_due(&apps[1].app),
        greenlane::app::deadlines::fire_due(&apps[2].app)
    );
    let fired: Vec<u64> = [f0, f1, f2]
        .into_iter()
        .map(|f| f.expect("fires").fired)
        .collect();
    // The workers may still hold a batch: wait until no timer due by then waits (the timers the
    // deemed acceptances scheduled fall due later).
    let db_conn = &apps[0].app.db;
    for _ in 0..600 {
        let waiting =
            greenlane::store::clocks::any_waiting(db_conn, due + chrono::Duration::seconds(1))
                .await
                .expect("look");
        if !waiting {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let count = |sql: &'static str| async move {
        db_conn
            .query_one(Statement::from_string(db_conn.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("row")
            .try_get_by_index::<i64>(0)
            .expect("count")
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM timers WHERE status = 'fired'").await,
        n as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_entries WHERE action = 'deem_accepted'").await,
        n as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM (SELECT case_id FROM audit_entries WHERE action = 'deem_accepted' GROUP BY case_id HAVING COUNT(*) > 1) twice").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM cases WHERE state = 'publicity'").await,
        n as i64
    );
    // Each deemed acceptance published its notice once, from the entry that vouches for it.
    assert_eq!(
        count("SELECT COUNT(*) FROM publications p JOIN audit_entries a ON a.case_id = p.case_id AND a.seq = p.seq AND a.hash = p.hash WHERE a.action = 'deem_accepted'").await,
        n as i64
    );
    assert_eq!(count("SELECT COUNT(*) FROM publications").await, n as i64);
    assert_eq!(
        count("SELECT COUNT(*) FROM (SELECT case_id, recipient, subject FROM outbox GROUP BY case_id, recipient, subject HAVING COUNT(*) > 1) twice").await,
        0,
        "no message twice"
    );
    let report = greenlane::app::audit::verify(db_conn)
        .await
        .expect("verify");
    assert!(report.broken.is_none(), "{:?}", report.broken);
    eprintln!("three instances, {n} deadlines due at once: explicit passes fired {fired:?}, the rest by the workers; each exactly once");
    drop(apps);
    db.drop_it().await;
}

/// Warnings follow the clock: after a stop and a resume they are planned again from the days
/// left, by the same reading that moves the expiry, so none fires early.
#[tokio::test]
async fn warnings_move_with_the_expiry_when_a_clock_stops_and_resumes() {
    on_every_database(|db| async move {
        // Monday 2 March 2026, 09:00 in Shanghai.
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let (ann, rui) = (applicant(), reviewer());
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        assert_eq!(app.act(&rui, &id, "accept", v, json!({})).await.status, 200);
        // Publicity ends at 24:00 on Monday 9 March: the statutory clock stops for evaluation
        // with 5 working days used.
        app.set_clock("2026-03-10T01:00:00Z").await;
        assert_eq!(app.case(&rui, &id).await["state"], "evaluation");
        let stopped = app.clock(&rui, &id, "statutory").await;
        assert_eq!(
            (stopped["used_days"].as_i64(), stopped["running"].as_bool()),
            (Some(5), Some(false)),
            "{stopped}"
        );
        // A stopped clock has no pending warning left.
        let timers = app
            .get(&admin(), &format!("/api/v1/admin/timers?case_id={id}"))
            .await;
        let statutory: Vec<(String, String, String)> = timers.body["timers"]
            .as_array()
            .expect("timers")
            .iter()
            .filter(|t| t["clock"] == "statutory")
            .map(|t| {
                (
                    t["kind"].as_str().unwrap_or_default().to_string(),
                    t["status"].as_str().unwrap_or_default().to_string(),
                    t["due_at"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert!(
            statutory.iter().all(|t| t.1 != "pending" && t.1 != "fired"),
            "{statutory:?}"
        );
        // Three weeks of evaluation, then review resumes it on Tuesday 31 March.
        app.set_clock("2026-03-31T01:00:00Z").await;
        let v = app.case(&rui, &id).await["version"].as_i64().expect("v");
        let r = app
            .act(
                &rui,
                &id,
                "complete_evaluation",
                v,
                json!({"conclusion": "ok"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let resumed = app.clock(&rui, &id, "statutory").await;
        // 25 working days left after the 31st: the last is Tuesday 5 May (1 May holidays).
        let due = resumed["due"].as_str().expect("due").to_string();
        let timers = app
            .get(&admin(), &format!("/api/v1/admin/timers?case_id={id}"))
            .await;
        let pending: Vec<&serde_json::Value> = timers.body["timers"]
            .as_array()
            .expect("timers")
            .iter()
            .filter(|t| t["clock"] == "statutory" && t["status"] == "pending")
            .collect();
        let mut warnings: Vec<&str> = pending
            .iter()
            .filter(|t| t["kind"] == "warning")
            .filter_map(|t| t["due_at"].as_str())
            .collect();
        warnings.sort();
        // 50% is 15 days: 10 more working days after the resume (Qingming 4-6 April aside),
        // from the start of Tuesday 14 April; 80% is 24 days: from the start of Monday 27 April.
        assert_eq!(
            warnings,
            vec!["2026-04-13T16:00:00Z", "2026-04-26T16:00:00Z"],
            "{pending:?}"
        );
        let expiry = pending
            .iter()
            .find(|t| t["kind"] == "expiry")
            .expect("expiry");
        assert_eq!(
            expiry["due_at"],
            format!("{due}T16:00:00Z"),
            "the expiry from the same reading: {pending:?}"
        );
        // Nothing fires on the day of the resume.
        let moved = app.set_clock("2026-03-31T15:00:00Z").await;
        assert_eq!(moved["fired"], 0, "{moved}");
        db
    })
    .await;
}
