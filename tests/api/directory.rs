use serde_json::json;

use crate::helpers::*;

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    Reply {
        status,
        body: resp.json().await.expect("json"),
    }
}

#[tokio::test]
async fn admins_manage_organisations_and_users_and_bad_input_changes_nothing() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ada = admin();
        let r = app.post(&ada, "/api/v1/admin/organisations", &json!({"code": "acme", "name": "", "kind": "factory", "credit_code": "123"}), None).await;
        assert_error(&r, 422, "validation_failed");
        let fields = r.body["details"]["fields"].as_object().expect("fields");
        for f in ["code", "name", "kind", "credit_code"] {
            assert!(fields.contains_key(f), "{f}: {}", r.body);
        }
        let r = app.post(&ada, "/api/v1/admin/organisations", &json!({"code": "ACME", "name": "Again", "kind": "bureau"}), None).await;
        assert_error(&r, 409, "already_exists");
        let r = app.post(&ada, "/api/v1/admin/users", &json!({"email": "x", "name": "X", "org": "NOPE", "roles": ["janitor"], "password": "short"}), None).await;
        assert_error(&r, 422, "validation_failed");
        let fields = r.body["details"]["fields"].as_object().expect("fields");
        for f in ["email", "org", "roles", "password"] {
            assert!(fields.contains_key(f), "{f}: {}", r.body);
        }
        let r = app.post(&reviewer(), "/api/v1/admin/organisations", &json!({"code": "NEW", "name": "New", "kind": "bureau"}), None).await;
        assert_error(&r, 403, "forbidden");
        let orgs = app.get(&reviewer(), "/api/v1/organisations").await;
        assert_eq!(orgs.body["organisations"].as_array().expect("orgs").len(), 4);
        // An applicant sees only its own organisation's users.
        let users = app.get(&applicant(), "/api/v1/users").await;
        let emails: Vec<&str> = users.body["users"].as_array().expect("users").iter().map(|u| u["email"].as_str().expect("email")).collect();
        assert_eq!(emails, vec!["ann@acme.example"]);
        assert_eq!(users.body["users"][0]["lang"], "en");
        // Every change is in the installation's audit stream, and the chains hold.
        let report = greenlane::app::audit::verify(&app.app.db).await.expect("verify");
        assert!(report.broken.is_none());
        assert_eq!(report.entries, 7);
        db
    })
    .await;
}

#[tokio::test]
async fn sign_in_returns_a_working_token_and_slows_down_after_failures() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let ok = login(&app, "Ann@Acme.Example", "correct horse battery").await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.body["user"]["organisation"], "ACME");
        let ann = User {
            token: ok.body["token"].as_str().expect("token").to_string(),
        };
        let r = app.create_case(&ann, project()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["created_by"], "ann@acme.example");

        let r = login(&app, "nobody@acme.example", "whatever it is").await;
        assert_error(&r, 401, "invalid_credentials");
        for _ in 0..3 {
            let r = login(&app, "ann@acme.example", "wrong password").await;
            assert_error(&r, 401, "invalid_credentials");
        }
        // The third failure makes the next attempt wait, even with the right password.
        let r = login(&app, "ann@acme.example", "correct horse battery").await;
        assert_error(&r, 429, "too_many_attempts");
        assert_eq!(r.body["details"]["retry_after_seconds"], 1);
        app.set_clock("2026-03-02T01:00:02Z").await;
        let r = login(&app, "ann@acme.example", "correct horse battery").await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Success resets the count.
        let r = login(&app, "ann@acme.example", "wrong password").await;
        assert_error(&r, 401, "invalid_credentials");
        let r = login(&app, "ann@acme.example", "correct horse battery").await;
        assert_eq!(r.status, 200, "{}", r.body);
        db
    })
    .await;
}

#[tokio::test]
async fn an_agency_acts_only_where_an_enterprise_granted_it_access() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let gus = user("gus@green.example", "GREENAG", &["agency"]);
        let ann = applicant();
        let body =
            json!({"workflow": "eia_report_form", "organisation": "ACME", "data": project()});

        let r = app.post(&gus, "/api/v1/cases", &body, None).await;
        assert_error(&r, 403, "forbidden");
        let own = app.new_case(&ann).await;
        assert_error(
            &app.get(&gus, &format!("/api/v1/cases/{own}")).await,
            404,
            "not_found",
        );

        // ACME grants Green EIA Agency access.
        let r = app
            .post(&ann, "/api/v1/grants", &json!({"agency": "GREENAG"}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let grant_id = r.body["id"].as_str().expect("id").to_string();
        assert_eq!(
            (r.body["enterprise"].as_str(), r.body["active"].as_bool()),
            (Some("ACME"), Some(true))
        );
        let r = app
            .post(&ann, "/api/v1/grants", &json!({"agency": "OTHER"}), None)
            .await;
        assert_error(&r, 422, "validation_failed");

        let r = app.post(&gus, "/api/v1/cases", &body, None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["organisation"], "ACME");
        let filed = r.body["id"].as_str().expect("id").to_string();
        let r = app.act(&gus, &filed, "submit", 1, json!({})).await;
        assert_eq!(r.body["state"], "submitted", "{}", r.body);
        assert_eq!(
            app.case(&ann, &filed).await["state"],
            "submitted",
            "the enterprise sees what its agency filed"
        );
        assert_eq!(app.get(&gus, "/api/v1/cases").await.body["total"], 2);
        // Another enterprise's cases stay closed.
        let b = user("bo@other.example", "OTHER", &["applicant"]);
        let theirs = app.new_case(&b).await;
        assert_error(
            &app.get(&gus, &format!("/api/v1/cases/{theirs}")).await,
            404,
            "not_found",
        );

        // Revoked: the agency loses access at once.
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/grants/{grant_id}")))
            .bearer_auth(&ann.token)
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status().as_u16(), 200);
        assert_error(
            &app.get(&gus, &format!("/api/v1/cases/{filed}")).await,
            404,
            "not_found",
        );
        assert_error(
            &app.act(&gus, &filed, "withdraw", 2, json!({})).await,
            404,
            "not_found",
        );
        assert_eq!(app.get(&gus, "/api/v1/cases").await.body["total"], 0);
        let grants = app.get(&ann, "/api/v1/grants").await;
        assert_eq!(grants.body["grants"][0]["active"], false);
        assert_eq!(grants.body["grants"][0]["revoked_by"], "ann@acme.example");
        db
    })
    .await;
}

#[tokio::test]
async fn the_demo_gives_a_new_user_people_to_sign_in_as_and_work_to_do() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let cli = greenlane::engine::Actor::person(
            "cli:test",
            "",
            [greenlane::domain::Role::Admin].into_iter().collect(),
        );
        let users = greenlane::app::demo::seed(&app.app, &cli)
            .await
            .expect("seed");
        assert_eq!(users.len(), 12);
        assert!(
            greenlane::app::demo::seed(&app.app, &cli)
                .await
                .expect("again")
                .is_empty(),
            "once only"
        );

        let r = login(&app, "rui@bureau.example", greenlane::app::demo::PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rui = User {
            token: r.body["token"].as_str().expect("token").to_string(),
        };
        let inbox = app.get(&rui, "/api/v1/inbox").await;
        let items = inbox.body["items"].as_array().expect("items");
        assert_eq!(
            items.len(),
            2,
            "a submission to check and a consultation to answer: {}",
            inbox.body
        );
        let r = login(&app, "gus@green.example", greenlane::app::demo::PASSWORD).await;
        let gus = User {
            token: r.body["token"].as_str().expect("token").to_string(),
        };
        assert_eq!(
            app.get(&gus, "/api/v1/cases").await.body["total"],
            6,
            "the agency sees what ACME granted: four applications and two lots"
        );
        // The market: an open listing with a part taken, an open auction, a balanced registry.
        let r = login(&app, "mo@exchange.example", greenlane::app::demo::PASSWORD).await;
        let mo = User {
            token: r.body["token"].as_str().expect("token").to_string(),
        };
        let lots = app.get(&mo, "/api/v1/lots").await;
        assert_eq!(
            lots.body["lots"].as_array().map(Vec::len),
            Some(2),
            "{}",
            lots.body
        );
        let totals = app.get(&mo, "/api/v1/registry/totals").await;
        assert!(
            totals.body["totals"]
                .as_array()
                .is_some_and(|t| t.iter().all(|x| x["balanced"] == true)),
            "{}",
            totals.body
        );
        let report = greenlane::app::audit::verify(&app.app.db)
            .await
            .expect("verify");
        assert!(report.broken.is_none());
        db
    })
    .await;
}

/// A token follows the directory: a role removed takes effect at the next request, not when the
/// token expires; a subject the directory does not know keeps its token's roles.
#[tokio::test]
async fn api_tokens_follow_the_directorys_roles() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let rui = reviewer();
        let ann = applicant();
        let id = app.new_case(&ann).await;
        assert_eq!(app.act(&ann, &id, "submit", 1, json!({})).await.status, 200);
        let inbox = app.get(&rui, "/api/v1/inbox").await;
        assert_eq!(
            inbox.body["items"].as_array().map(Vec::len),
            Some(1),
            "{}",
            inbox.body
        );
        // A token cannot give a person a role the directory does not grant.
        let posing = user("rui@bureau.example", "CQEEB", &["reviewer", "admin"]);
        assert_error(
            &app.get(&posing, "/api/v1/admin/outbox").await,
            403,
            "forbidden",
        );
        let admin_actor = greenlane::engine::Actor::person(
            "ada@bureau.example",
            "CQEEB",
            [greenlane::domain::Role::Admin].into_iter().collect(),
        );
        let change = greenlane::app::directory::UserUpdate {
            name: None,
            roles: Some(vec!["approver".into()]),
            lang: None,
            password: None,
            active: None,
        };
        greenlane::app::directory::update_user(
            &app.app,
            &admin_actor,
            "rui@bureau.example",
            change,
            None,
        )
        .await
        .expect("roles changed");
        // The same token, the next moment: nothing waits for it, and the case is no longer its to see.
        let inbox = app.get(&rui, "/api/v1/inbox").await;
        assert_eq!(inbox.body["items"], json!([]), "{}", inbox.body);
        assert_error(
            &app.act(&rui, &id, "accept", 2, json!({})).await,
            404,
            "not_found",
        );
        // A service's token, for a subject the directory does not know, acts as it says.
        let service = user("reports@bureau.example", "CQEEB", &["auditor"]);
        assert_eq!(
            app.get(&service, "/api/v1/registry/totals").await.status,
            200
        );
        db
    })
    .await;
}

async fn change_user(app: &TestApp, who: &User, email: &str, body: serde_json::Value) -> Reply {
    let resp = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{email}")))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .expect("request");
    TestApp::reply(resp).await
}

fn bearer(reply: &Reply) -> User {
    User {
        token: reply.body["token"].as_str().expect("token").to_string(),
    }
}

/// An administrator ends every token of a person at once; a new password and a deactivation do
/// too, and a deactivated person cannot sign in. Each change is audited with the address the
/// administrator's request came from.
#[tokio::test]
async fn an_administrator_ends_a_persons_tokens_and_deactivation_locks_them_out() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ada = admin();
        let rui = "rui@bureau.example";
        let first = bearer(&login(&app, rui, "correct horse battery").await);
        let second = bearer(&login(&app, rui, "correct horse battery").await);
        assert_eq!(app.get(&first, "/api/v1/inbox").await.status, 200);

        let r = app
            .post(
                &ada,
                &format!("/api/v1/admin/users/{rui}/sign-out"),
                &json!({}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        for ended in [&first, &second] {
            let r = app.get(ended, "/api/v1/inbox").await;
            assert_error(&r, 401, "unauthorized");
            assert!(
                r.body["message"].as_str().unwrap_or("").contains("ended"),
                "{}",
                r.body
            );
        }
        let entry = greenlane::store::audit::last_of(
            &app.app.db,
            greenlane::app::audit::INSTALLATION_STREAM,
        )
        .await
        .expect("read")
        .expect("an entry");
        assert_eq!(entry.action, "user.sign_out_everywhere");
        assert_eq!(entry.client_address.as_deref(), Some("127.0.0.1"));
        // Signing in again gives a token that works.
        let third = bearer(&login(&app, rui, "correct horse battery").await);
        assert_eq!(app.get(&third, "/api/v1/inbox").await.status, 200);

        // A new password ends it too, and the old password no longer signs in.
        let r = change_user(
            &app,
            &ada,
            rui,
            json!({"password": "a new long passphrase"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_error(&app.get(&third, "/api/v1/inbox").await, 401, "unauthorized");
        assert_eq!(login(&app, rui, "correct horse battery").await.status, 401);
        let fourth = bearer(&login(&app, rui, "a new long passphrase").await);
        assert_eq!(app.get(&fourth, "/api/v1/inbox").await.status, 200);

        // Deactivated: no token works, no sign-in, even with the right password.
        let r = change_user(&app, &ada, rui, json!({"active": false})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["active"], json!(false), "{}", r.body);
        let r = app.get(&fourth, "/api/v1/inbox").await;
        assert_error(&r, 401, "unauthorized");
        assert!(
            r.body["message"]
                .as_str()
                .unwrap_or("")
                .contains("deactivated"),
            "{}",
            r.body
        );
        assert_eq!(login(&app, rui, "a new long passphrase").await.status, 401);
        // A token minted for them is refused as well.
        let minted = user(rui, "CQEEB", &["reviewer"]);
        assert_error(
            &app.get(&minted, "/api/v1/inbox").await,
            401,
            "unauthorized",
        );

        // Back in: they sign in again.
        let r = change_user(&app, &ada, rui, json!({"active": true})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let fifth = bearer(&login(&app, rui, "a new long passphrase").await);
        assert_eq!(app.get(&fifth, "/api/v1/inbox").await.status, 200);

        // An administrator cannot lock themselves out; nobody is signed out who does not exist;
        // a reviewer cannot sign anybody out.
        let r = change_user(&app, &ada, "ada@bureau.example", json!({"active": false})).await;
        assert_error(&r, 422, "validation_failed");
        let r = app
            .post(
                &ada,
                "/api/v1/admin/users/nobody@x.example/sign-out",
                &json!({}),
                None,
            )
            .await;
        assert_error(&r, 404, "not_found");
        let r = app
            .post(
                &fifth,
                &format!("/api/v1/admin/users/{rui}/sign-out"),
                &json!({}),
                None,
            )
            .await;
        assert_error(&r, 403, "forbidden");
        let r = change_user(&app, &ada, rui, json!({"active": "no"})).await;
        assert!(
            r.status == 400 || r.status == 422,
            "{} {}",
            r.status,
            r.body
        );

        // A case's history names the address each entry came from to auditors only.
        let ann = applicant();
        let id = app.new_case(&ann).await;
        let auditor = user("aud@bureau.example", "CQEEB", &["auditor"]);
        let seen = app
            .get(&auditor, &format!("/api/v1/cases/{id}/history"))
            .await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        assert!(
            seen.body
                .to_string()
                .contains("\"client_address\":\"127.0.0.1\""),
            "{}",
            seen.body
        );
        let own = app.get(&ann, &format!("/api/v1/cases/{id}/history")).await;
        assert_eq!(own.status, 200, "{}", own.body);
        assert!(
            !own.body.to_string().contains("client_address"),
            "{}",
            own.body
        );
        db
    })
    .await;
}
