use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_retried_post_returns_the_first_response_and_acts_once() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let body = json!({"workflow": "eia_report_form", "data": project()});
        let first = app
            .post(&ann, "/api/v1/cases", &body, Some("create-1"))
            .await;
        assert_eq!(first.status, 201, "{}", first.body);
        let again = app
            .post(&ann, "/api/v1/cases", &body, Some("create-1"))
            .await;
        assert_eq!(again.status, 201);
        assert_eq!(again.body, first.body);
        assert_eq!(app.get(&ann, "/api/v1/cases").await.body["total"], 1);

        // The same key for another request is refused.
        let mut other = body.clone();
        other["data"]["project_name"] = json!("Another project");
        let r = app
            .post(&ann, "/api/v1/cases", &other, Some("create-1"))
            .await;
        assert_error(&r, 422, "idempotency_key_reused");

        let id = first.body["id"].as_str().expect("id");
        let path = format!("/api/v1/cases/{id}/actions/submit");
        let action = json!({"expected_version": 1});
        let r1 = app.post(&ann, &path, &action, Some("submit-1")).await;
        let r2 = app.post(&ann, &path, &action, Some("submit-1")).await;
        assert_eq!((r1.status, r2.status), (200, 200), "{}", r2.body);
        assert_eq!(r1.body, r2.body);
        assert_eq!(app.case(&ann, id).await["version"], 2);
        assert_eq!(app.history(&ann, id).await.len(), 2);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_case() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let body = json!({"workflow": "eia_report_form", "data": project()});
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (client, url, token, body) = (
                app.client.clone(),
                app.url("/api/v1/cases"),
                ann.token.clone(),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", "same-key")
                    .json(&body)
                    .send()
                    .await
                    .expect("request");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.expect("json");
                (status, body["id"].clone())
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            let (status, id) = t.await.expect("task");
            assert_eq!(status, 201);
            ids.push(id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "every retry answered with the same case");
        assert_eq!(app.get(&ann, "/api/v1/cases").await.body["total"], 1);
        db
    })
    .await;
}
