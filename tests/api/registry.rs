use serde_json::{json, Value};

use crate::helpers::*;

fn cod(amount: Value) -> Value {
    json!({"pollutant": "COD", "basin": "yangtze_upper", "valid_to": "2031-12-31", "amount_kg": amount})
}

async fn totals(app: &TestApp) -> Vec<Value> {
    let r = app.get(&operator(), "/api/v1/registry/totals").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["totals"].as_array().expect("totals").clone()
}

#[tokio::test]
async fn rights_enter_the_reserve_by_issuance_and_reach_enterprises_by_paid_allocation() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let mo = operator();
        let r = app
            .post(&mo, "/api/v1/reserve/issuance", &cod(json!(10_000)), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let mut alloc = cod(json!(4_048));
        alloc["org"] = json!("ACME");
        alloc["price_fen"] = json!(21);
        let r = app.post(&mo, "/api/v1/allocations", &alloc, None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["payment_fen"], 4048 * 21);

        // The enterprise sees its own holding; the operator sees every account.
        let mine = app.get(&applicant(), "/api/v1/accounts").await;
        let accounts = mine.body["accounts"].as_array().expect("accounts");
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["holdings"][0]["amount_kg"], 4048);
        let acme_account = accounts[0]["id"].as_str().expect("id").to_string();
        let ledger = app
            .get(
                &applicant(),
                &format!("/api/v1/accounts/{acme_account}/ledger"),
            )
            .await;
        assert_eq!(ledger.body["postings"][0]["amount_kg"], 4048);
        assert_eq!(ledger.body["postings"][0]["kind"], "allocate");
        let other = user("bo@other.example", "OTHER", &["applicant"]);
        assert_error(
            &app.get(&other, &format!("/api/v1/accounts/{acme_account}/ledger"))
                .await,
            404,
            "not_found",
        );
        assert_eq!(
            app.get(&mo, "/api/v1/accounts").await.body["accounts"]
                .as_array()
                .expect("all")
                .len(),
            3
        );

        // Issued equals held, always.
        let t = totals(&app).await;
        assert_eq!(
            (
                t[0]["issued_kg"].as_i64(),
                t[0]["held_kg"].as_i64(),
                t[0]["balanced"].as_bool()
            ),
            (Some(10_000), Some(10_000), Some(true))
        );
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn off_grid_input_and_overdrafts_are_refused_and_change_nothing() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let mo = operator();
        app.post(&mo, "/api/v1/reserve/issuance", &cod(json!(1_000)), None)
            .await;
        for bad in [json!(1.5), json!(0), json!(-10), json!("100")] {
            let r = app
                .post(&mo, "/api/v1/reserve/issuance", &cod(bad.clone()), None)
                .await;
            assert_error(&r, 422, "validation_failed");
        }
        let mut alloc = cod(json!(100));
        alloc["org"] = json!("ACME");
        alloc["price_fen"] = json!(20.5);
        assert_error(
            &app.post(&mo, "/api/v1/allocations", &alloc, None).await,
            422,
            "validation_failed",
        );
        alloc["price_fen"] = json!(20);
        alloc["org"] = json!("CQEEB");
        assert_error(
            &app.post(&mo, "/api/v1/allocations", &alloc, None).await,
            422,
            "validation_failed",
        );
        alloc["org"] = json!("ACME");
        alloc["amount_kg"] = json!(1_001);
        assert_error(
            &app.post(&mo, "/api/v1/allocations", &alloc, None).await,
            409,
            "insufficient_holdings",
        );
        assert_error(
            &app.post(&applicant(), "/api/v1/allocations", &alloc, None)
                .await,
            403,
            "forbidden",
        );
        let t = totals(&app).await;
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0]["issued_kg"].as_i64(), t[0]["held_kg"].as_i64()),
            (Some(1_000), Some(1_000))
        );
        assert_eq!(
            app.get(&applicant(), "/api/v1/accounts").await.body["accounts"],
            json!([]),
            "nothing reached ACME"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_allocations_never_overdraw_the_reserve() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let mo = operator();
        app.post(&mo, "/api/v1/reserve/issuance", &cod(json!(1_000)), None)
            .await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/allocations"),
                mo.token.clone(),
            );
            let org = if i % 2 == 0 { "ACME" } else { "OTHER" };
            let mut body = cod(json!(100));
            body["org"] = json!(org);
            body["price_fen"] = json!(20);
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("post")
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            10,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            10,
            "{statuses:?}"
        );
        let t = totals(&app).await;
        assert_eq!(
            (t[0]["issued_kg"].as_i64(), t[0]["held_kg"].as_i64()),
            (Some(1_000), Some(1_000))
        );
        let accounts = app.get(&mo, "/api/v1/accounts").await.body["accounts"].clone();
        let reserve = accounts
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["kind"] == "reserve")
            .expect("reserve")
            .clone();
        assert_eq!(
            reserve["holdings"],
            json!([]),
            "the reserve is empty, not negative"
        );
        db
    })
    .await;
}
