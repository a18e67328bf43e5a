//! Negotiated transfers on the registry, over HTTP.

use serde_json::{json, Value};

use crate::helpers::*;

/// The reserve gets 10,000 kg of COD; ACME is allocated 5,000 kg.
async fn fund(app: &TestApp) {
    let mo = operator();
    let mut issue = asset();
    issue["amount_kg"] = json!(10_000);
    assert_eq!(
        app.post(&mo, "/api/v1/reserve/issuance", &issue, None)
            .await
            .status,
        201
    );
    let mut alloc = asset();
    alloc["amount_kg"] = json!(5_000);
    alloc["org"] = json!("ACME");
    alloc["price_fen"] = json!(20);
    assert_eq!(
        app.post(&mo, "/api/v1/allocations", &alloc, None)
            .await
            .status,
        201
    );
}

async fn holding(app: &TestApp, who: &User) -> i64 {
    let accounts = app.get(who, "/api/v1/accounts").await.body["accounts"].clone();
    accounts
        .as_array()
        .expect("accounts")
        .iter()
        .flat_map(|a| a["holdings"].as_array().cloned().unwrap_or_default())
        .map(|h| h["amount_kg"].as_i64().expect("kg"))
        .sum()
}

async fn transfer(app: &TestApp, who: &User, amount: i64) -> String {
    let mut data = asset();
    data["amount_kg"] = json!(amount);
    data["price_fen"] = json!(25);
    data["buyer"] = json!("OTHER");
    let r = app
        .post(
            who,
            "/api/v1/cases",
            &json!({"workflow": "negotiated_transfer", "data": data}),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

async fn step(app: &TestApp, who: &User, id: &str, action: &str, data: Value) -> Reply {
    let v = app.case(&operator(), id).await["version"]
        .as_i64()
        .expect("version");
    app.act(who, id, action, v, data).await
}

#[tokio::test]
async fn a_negotiated_transfer_needs_two_representatives_escrows_and_settles_once() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        fund(&app).await;
        let (ann, ann2) = (
            applicant(),
            user("abe@acme.example", "ACME", &["applicant"]),
        );
        let bo = user("bo@other.example", "OTHER", &["applicant"]);
        let mo = operator();

        // Selling to oneself, or to nobody the directory knows, is refused at once.
        let mut data = asset();
        data["amount_kg"] = json!(100);
        data["price_fen"] = json!(25);
        data["buyer"] = json!("ACME");
        let r = app
            .post(
                &ann,
                "/api/v1/cases",
                &json!({"workflow": "negotiated_transfer", "data": data}),
                None,
            )
            .await;
        assert_error(&r, 422, "validation_failed");

        let id = transfer(&app, &ann, 2_000).await;
        assert_eq!(step(&app, &ann, &id, "submit", json!({})).await.status, 200);
        // The two-person rule: the submitter cannot also approve the transfer out.
        assert_error(
            &step(&app, &ann, &id, "approve_transfer_out", json!({})).await,
            403,
            "same_actor",
        );
        assert_eq!(
            step(&app, &ann2, &id, "approve_transfer_out", json!({}))
                .await
                .status,
            200
        );
        // Eligibility: the rights move into the lot's escrow, so they cannot be sold twice.
        assert_eq!(
            step(&app, &mo, &id, "approve_listing", json!({}))
                .await
                .status,
            200
        );
        assert_eq!(holding(&app, &ann).await, 3_000);
        balanced(&app).await;
        // A payment is confirmed with the payer's reference, or not at all.
        let unnamed = step(&app, &mo, &id, "confirm_payment", json!({})).await;
        assert_error(&unnamed, 422, "validation_failed");
        assert!(
            unnamed.body["details"]["fields"]["payment_reference"].is_array(),
            "{}",
            unnamed.body
        );
        assert_eq!(holding(&app, &ann).await, 3_000, "nothing moved");
        // Payment confirmed: escrow to the buyer and the price recorded, in one transaction.
        let settled = step(
            &app,
            &mo,
            &id,
            "confirm_payment",
            json!({"payment_reference": "CQB-0001"}),
        )
        .await;
        assert_eq!(
            (settled.status, settled.body["state"].as_str()),
            (200, Some("registered")),
            "{}",
            settled.body
        );
        assert_eq!(holding(&app, &bo).await, 2_000);
        assert_eq!(holding(&app, &ann).await, 3_000);
        // A retried settlement moves nothing twice.
        let again = app
            .act(
                &mo,
                &id,
                "confirm_payment",
                settled.body["version"].as_i64().expect("v") - 1,
                json!({"payment_reference": "CQB-0001"}),
            )
            .await;
        assert_error(&again, 409, "version_conflict");
        let again = step(
            &app,
            &mo,
            &id,
            "confirm_payment",
            json!({"payment_reference": "CQB-0001"}),
        )
        .await;
        assert_error(&again, 422, "action_not_allowed");
        assert_eq!(holding(&app, &bo).await, 2_000);
        balanced(&app).await;
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn a_seller_without_the_rights_is_refused_and_an_unpaid_transfer_returns_them() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        fund(&app).await;
        let (ann, ann2, mo) = (
            applicant(),
            user("abe@acme.example", "ACME", &["applicant"]),
            operator(),
        );

        // More than ACME holds: eligibility fails and nothing moves.
        let too_much = transfer(&app, &ann, 9_000).await;
        step(&app, &ann, &too_much, "submit", json!({})).await;
        step(&app, &ann2, &too_much, "approve_transfer_out", json!({})).await;
        let r = step(&app, &mo, &too_much, "approve_listing", json!({})).await;
        assert_error(&r, 409, "insufficient_holdings");
        assert_eq!(app.case(&mo, &too_much).await["state"], "review");
        assert_eq!(holding(&app, &ann).await, 5_000);

        // Approved but never paid: after 10 days the rights go back to the seller.
        let id = transfer(&app, &ann, 1_500).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        step(&app, &ann2, &id, "approve_transfer_out", json!({})).await;
        step(&app, &mo, &id, "approve_listing", json!({})).await;
        assert_eq!(holding(&app, &ann).await, 3_500);
        let payment = app.clock(&mo, &id, "payment").await;
        assert_eq!(payment["due"], "2026-03-12");
        app.set_clock("2026-03-13T01:00:00Z").await;
        assert_eq!(app.case(&mo, &id).await["state"], "defaulted");
        assert_eq!(holding(&app, &ann).await, 5_000);
        balanced(&app).await;
        db
    })
    .await;
}

#[tokio::test]
async fn a_listing_taken_by_fifty_buyers_at_once_never_over_fills() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        fund(&app).await;
        let (ann, ann2, mo) = (applicant(), user("abe@acme.example", "ACME", &["applicant"]), operator());
        let mut buyers = Vec::new();
        for i in 0..50 {
            let code = format!("BUYER{i:02}");
            let r = app
                .post(&admin(), "/api/v1/admin/organisations", &json!({"code": code, "name": code, "kind": "enterprise", "credit_code": credit_code(i)}), None)
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            buyers.push(user(&format!("b{i}@buyers.example"), &code, &["applicant"]));
            // A buyer needs a discharge permit in the lot's basin, as a bidder does.
            let r = app
                .put(&operator(), &format!("/api/v1/market/participants/{code}"), &json!({"permit_no": format!("P-{code}"), "permit_basin": "yangtze_upper", "permit_valid_to": "2030-12-31"}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        // One without a permit.
        let r = app
            .post(&admin(), "/api/v1/admin/organisations", &json!({"code": "NOPERMIT", "name": "No Permit Ltd.", "kind": "enterprise", "credit_code": credit_code(99)}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let unpermitted = user("np@nopermit.example", "NOPERMIT", &["applicant"]);
        let mut data = asset();
        data["amount_kg"] = json!(1_000);
        data["price_fen"] = json!(25);
        data["window_hours"] = json!(48);
        let r = app.post(&ann, "/api/v1/cases", &json!({"workflow": "listing", "data": data}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_string();
        // Not open yet: nobody can take.
        assert_error(&app.post(&buyers[0], &format!("/api/v1/lots/{id}/takes"), &json!({"amount_kg": 30}), None).await, 422, "action_not_allowed");
        step(&app, &ann, &id, "submit", json!({})).await;
        step(&app, &ann2, &id, "approve_transfer_out", json!({})).await;
        assert_eq!(step(&app, &mo, &id, "approve_listing", json!({})).await.status, 200);
        assert_eq!(app.clock(&mo, &id, "window").await["due_at"], "2026-03-04T01:00:00Z", "48 hours");
        assert_error(&app.post(&ann, &format!("/api/v1/lots/{id}/takes"), &json!({"amount_kg": 30}), None).await, 403, "forbidden");
        // The same eligibility rule as an auction's: no permit, no purchase.
        let r = app.post(&unpermitted, &format!("/api/v1/lots/{id}/takes"), &json!({"amount_kg": 30}), None).await;
        assert_eq!(r.body["error"], "not_eligible", "{}", r.body);
        assert!(r.status >= 400 && r.status < 500, "{}", r.status);
        assert_error(&app.post(&buyers[0], &format!("/api/v1/lots/{id}/takes"), &json!({"amount_kg": 2.5}), None).await, 422, "validation_failed");

        // Fifty buyers take 30 kg each at the same moment: 1,000 kg cover 33 of them.
        let mut tasks = Vec::new();
        for b in &buyers {
            let (client, url, token) = (app.client.clone(), app.url(&format!("/api/v1/lots/{id}/takes")), b.token.clone());
            tasks.push(tokio::spawn(async move {
                client.post(url).bearer_auth(token).json(&json!({"amount_kg": 30})).send().await.expect("take").status().as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 33, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 17, "{statuses:?}");
        let mut bought = 0;
        for b in &buyers {
            bought += holding(&app, b).await;
        }
        assert_eq!(bought, 990);
        balanced(&app).await;

        // The window closes at the deadline: the 10 kg left go back to the seller.
        app.set_clock("2026-03-04T01:00:00Z").await;
        assert_eq!(app.case(&mo, &id).await["state"], "closed");
        assert_eq!(holding(&app, &ann).await, 5_000 - 1_000 + 10);
        assert_error(&app.post(&buyers[49], &format!("/api/v1/lots/{id}/takes"), &json!({"amount_kg": 1}), None).await, 422, "action_not_allowed");
        balanced(&app).await;
        let report = greenlane::app::audit::verify(&app.app.db).await.expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        db
    })
    .await;
}
