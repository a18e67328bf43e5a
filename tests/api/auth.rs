use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let url = app.url("/api/v1/cases");
        let r = app.client.get(&url).send().await.expect("request");
        assert_eq!(r.status().as_u16(), 401);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized");

        let now = chrono::Utc::now();
        let roles = vec!["reviewer".to_string()];
        let expired = greenlane::token::issue(
            &jwt(),
            "rui",
            "CQEEB",
            &roles,
            chrono::Duration::minutes(5),
            now - chrono::Duration::hours(1),
        )
        .expect("token");
        let mut wrong_iss = jwt();
        wrong_iss.issuer = "elsewhere".into();
        let mut wrong_aud = jwt();
        wrong_aud.audience = "another-api".into();
        let mut wrong_key = jwt();
        wrong_key.secret = "another-secret-another-secret-another-0".into();
        let good = greenlane::token::issue(
            &jwt(),
            "rui",
            "CQEEB",
            &roles,
            chrono::Duration::hours(1),
            now,
        )
        .expect("token");
        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            good.split('.').nth(1).expect("claims")
        );
        let mut bad = vec![expired, unsigned, "garbage".to_string()];
        for s in [wrong_iss, wrong_aud, wrong_key] {
            bad.push(
                greenlane::token::issue(
                    &s,
                    "rui",
                    "CQEEB",
                    &roles,
                    chrono::Duration::hours(1),
                    now,
                )
                .expect("token"),
            );
        }
        for token in bad {
            let r = app
                .client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status().as_u16(), 401, "token {token}");
        }
        let r = app
            .client
            .get(&url)
            .bearer_auth(&good)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 200);
        db
    })
    .await;
}

#[tokio::test]
async fn an_applicant_sees_and_acts_only_on_its_own_organisation() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let a = applicant();
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        let id = app.new_case(&a).await;
        let other_id = app.new_case(&b).await;

        let r = app.get(&b, &format!("/api/v1/cases/{id}")).await;
        assert_error(&r, 404, "not_found");
        let r = app.get(&b, &format!("/api/v1/cases/{id}/history")).await;
        assert_error(&r, 404, "not_found");
        let r = app.act(&b, &id, "withdraw", 1, json!({})).await;
        assert_error(&r, 404, "not_found");
        let list = app.get(&b, "/api/v1/cases").await;
        assert_eq!(list.body["total"], 1);
        assert_eq!(list.body["items"][0]["id"], other_id.as_str());
        // The bureau and the auditor see both; the auditor can do nothing.
        assert_eq!(app.get(&reviewer(), "/api/v1/cases").await.body["total"], 2);
        let auditor = user("audrey@audit.example", "AUDIT", &["auditor"]);
        assert_eq!(app.get(&auditor, "/api/v1/cases").await.body["total"], 2);
        assert_eq!(app.case(&auditor, &id).await["allowed_actions"], json!([]));
        let r = app.act(&auditor, &id, "withdraw", 1, json!({})).await;
        assert_error(&r, 403, "forbidden");
        // Nothing moved.
        assert_eq!(app.case(&a, &id).await["version"], 1);
        db
    })
    .await;
}
