use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_is_served_snapshotted_and_complete() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let resp = app
            .client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 200);
        let doc: serde_json::Value = resp.json().await.expect("json");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
        // Every route the server answers is in the document.
        let paths = doc["paths"].as_object().expect("paths");
        for p in [
            "/health",
            "/ready",
            "/metrics",
            "/api/v1/workflows",
            "/api/v1/auth/login",
            "/api/v1/organisations",
            "/api/v1/admin/organisations",
            "/api/v1/users",
            "/api/v1/admin/users",
            "/api/v1/grants",
            "/api/v1/grants/{id}",
            "/api/v1/inbox",
            "/api/v1/classify",
            "/api/v1/classification/editions",
            "/api/v1/classification/{edition}/items",
            "/api/v1/classification/{edition}/items/{no}",
            "/api/v1/cases",
            "/api/v1/cases/{id}",
            "/api/v1/cases/{id}/actions/{action}",
            "/api/v1/cases/{id}/history",
            "/api/v1/cases/{id}/timeline",
            "/api/v1/cases/{id}/documents",
            "/api/v1/cases/{id}/documents/{doc}/content",
            "/api/v1/calendars",
            "/api/v1/admin/calendars/{year}",
            "/api/v1/admin/clock",
            "/api/v1/admin/outbox",
            "/api/v1/admin/outbox/{id}/retry",
            "/api/v1/admin/timers",
            "/api/v1/admin/timers/{id}/retry",
            "/api/v1/accounts",
            "/api/v1/accounts/{id}/ledger",
            "/api/v1/reserve/issuance",
            "/api/v1/allocations",
            "/api/v1/registry/totals",
            "/api/v1/lots/{id}/takes",
        ] {
            assert!(paths.contains_key(p), "{p} is not documented");
        }
        assert!(doc["components"]["schemas"]["CaseBody"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        // An API change is a visible diff.
        insta::assert_snapshot!(
            "openapi",
            serde_json::to_string_pretty(&doc).expect("pretty")
        );

        // The docs page works without the internet: its files are served by the server.
        let page = app
            .client
            .get(app.url("/api/docs/"))
            .send()
            .await
            .expect("docs");
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.expect("html");
        assert!(html.contains("swagger-ui"), "{html}");
        let bundle = app
            .client
            .get(app.url("/api/docs/swagger-ui-bundle.js"))
            .send()
            .await
            .expect("js");
        assert_eq!(bundle.status().as_u16(), 200);
        db
    })
    .await;
}
