//! What an attacker or a careless client may send: each a regression test of a defect found by
//! trying, with the answer a client can act on and nothing changed.

use serde_json::{json, Value};

use crate::helpers::*;

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = app.client.request(method, app.url(path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.expect("the connection holds");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn huge_page_numbers_are_refused_not_crashed_on() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        app.new_case(&ann).await;
        for page in ["9223372036854775806", "18446744073709551615", "1000001"] {
            let r = app
                .get(&ann, &format!("/api/v1/cases?page={page}&per_page=4"))
                .await;
            assert!(
                r.status == 422 || r.status == 400,
                "{page}: {} {}",
                r.status,
                r.body
            );
        }
        let r = app
            .get(&ann, "/api/v1/cases?page=1000000&per_page=200")
            .await;
        assert_eq!(
            (r.status, r.body["items"].as_array().map(Vec::len)),
            (200, Some(0))
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_nul_character_is_refused_at_the_edge_naming_the_field() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        let mut data = project();
        data["project_name"] = json!("Fuling\u{0} mill");
        for (path, body, field) in [
            (
                "/api/v1/auth/login",
                json!({"email": "ann@acme.example\u{0}", "password": "x"}),
                "email",
            ),
            (
                "/api/v1/cases",
                json!({"workflow": "eia_report_form", "data": data}),
                "data.project_name",
            ),
            (
                &format!("/api/v1/cases/{id}/actions/submit") as &str,
                json!({"expected_version": 1, "comment": "a\u{0}b"}),
                "comment",
            ),
            (
                "/api/v1/admin/organisations",
                json!({"code": "NUL", "name": "x\u{0}", "kind": "bureau"}),
                "name",
            ),
        ] {
            let r = app.post(&admin(), path, &body, None).await;
            assert_error(&r, 422, "validation_failed");
            assert!(
                r.body["details"]["fields"].get(field).is_some(),
                "{path}: {}",
                r.body
            );
        }
        for q in ["q=mill%00", "state=draft%00x", "org=%00"] {
            let r = app.get(&ann, &format!("/api/v1/cases?{q}")).await;
            assert_error(&r, 422, "validation_failed");
        }
        assert_eq!(app.case(&ann, &id).await["version"], 1, "nothing changed");
        assert_eq!(app.get(&ann, "/api/v1/cases").await.body["total"], 1);
        db
    })
    .await;
}

#[tokio::test]
async fn every_post_put_and_delete_acts_once_per_key() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let mo = operator();
        let mut issue = asset();
        issue["amount_kg"] = json!(500);
        let a = app.post(&mo, "/api/v1/reserve/issuance", &issue, Some("issue-1")).await;
        let b = app.post(&mo, "/api/v1/reserve/issuance", &issue, Some("issue-1")).await;
        assert_eq!((a.status, b.status), (201, 201), "{}", b.body);
        assert_eq!(a.body, b.body);
        let totals = app.get(&mo, "/api/v1/registry/totals").await;
        assert_eq!(totals.body["totals"][0]["issued_kg"], 500, "{}", totals.body);

        // Answers that used to be 409 on a retry are the first response.
        let user = json!({"email": "new@acme.example", "name": "New", "org": "ACME", "roles": ["applicant"]});
        let u1 = app.post(&admin(), "/api/v1/admin/users", &user, Some("user-1")).await;
        let u2 = app.post(&admin(), "/api/v1/admin/users", &user, Some("user-1")).await;
        assert_eq!((u1.status, u2.status), (201, 201), "{}", u2.body);
        assert_eq!(u1.body, u2.body);
        let org = json!({"code": "NEWAG", "name": "New agency", "kind": "agency"});
        let o1 = app.post(&admin(), "/api/v1/admin/organisations", &org, Some("org-1")).await;
        let o2 = app.post(&admin(), "/api/v1/admin/organisations", &org, Some("org-1")).await;
        assert_eq!((o1.status, o2.status, o1.body == o2.body), (201, 201, true));
        // Without a key, a second add is refused as before.
        assert_error(&app.post(&admin(), "/api/v1/admin/organisations", &org, None).await, 409, "already_exists");

        // A grant and its revocation.
        let ann = applicant();
        let g1 = app.post(&ann, "/api/v1/grants", &json!({"agency": "GREENAG"}), Some("g")).await;
        let g2 = app.post(&ann, "/api/v1/grants", &json!({"agency": "GREENAG"}), Some("g")).await;
        assert_eq!(g1.body, g2.body);
        assert_eq!(app.get(&ann, "/api/v1/grants").await.body["grants"].as_array().map(Vec::len), Some(1));
        let gid = g1.body["id"].as_str().expect("id");
        let del = |key: &'static str| {
            let (client, url, token) = (app.client.clone(), app.url(&format!("/api/v1/grants/{gid}")), ann.token.clone());
            async move {
                client.delete(url).bearer_auth(token).header("Idempotency-Key", key).send().await.expect("delete").status().as_u16()
            }
        };
        assert_eq!((del("r").await, del("r").await), (200, 200));

        // An upload retried with its key is stored once.
        let id = app.new_case(&ann).await;
        for _ in 0..2 {
            let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 plan".to_vec())
                .file_name("plan.pdf")
                .mime_str("application/pdf")
                .expect("mime");
            let r = app
                .client
                .post(app.url(&format!("/api/v1/cases/{id}/documents")))
                .bearer_auth(&ann.token)
                .header("Idempotency-Key", "upload-1")
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status().as_u16(), 201);
        }
        let docs = app.get(&ann, &format!("/api/v1/cases/{id}/documents")).await;
        assert_eq!(docs.body["documents"].as_array().map(Vec::len), Some(1), "{}", docs.body);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_retries_of_an_action_all_get_the_first_response() {
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
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", "submit-once")
                    .json(&json!({"expected_version": 1}))
                    .send()
                    .await
                    .expect("request");
                (r.status().as_u16(), r.json::<Value>().await.expect("json"))
            }));
        }
        let mut bodies = Vec::new();
        for t in tasks {
            let (status, body) = t.await.expect("task");
            assert_eq!(status, 200, "{body}");
            bodies.push(body);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(app.case(&ann, &id).await["version"], 2);
        db
    })
    .await;
}

#[tokio::test]
async fn parallel_guesses_are_counted_one_by_one_and_unknown_addresses_alike() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        for email in ["ann@acme.example", "nobody@acme.example"] {
            let mut tasks = Vec::new();
            for _ in 0..40 {
                let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
                tasks.push(tokio::spawn(async move {
                    client
                        .post(url)
                        .json(&json!({"email": email, "password": "wrong password"}))
                        .send()
                        .await
                        .expect("login")
                        .status()
                        .as_u16()
                }));
            }
            let mut checked = 0;
            let mut refused = 0;
            for t in tasks {
                match t.await.expect("task") {
                    401 => checked += 1,
                    429 => refused += 1,
                    other => panic!("{email}: status {other}"),
                }
            }
            assert!(checked <= 3, "{email}: {checked} password checks");
            assert_eq!(checked + refused, 40);
        }
        db
    })
    .await;
}

#[tokio::test]
async fn uploads_are_checked_before_they_are_received_and_by_their_content() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        let documents_dir = db.mail_dir().with_file_name(format!(
            "{}-documents",
            db.mail_dir()
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let stored = || -> usize { walk(&documents_dir) };
        let send = |who: &User, case: &str, name: &str, mime: &str, bytes: Vec<u8>| {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(mime)
                .expect("mime");
            app.client
                .post(app.url(&format!("/api/v1/cases/{case}/documents")))
                .bearer_auth(&who.token)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
        };
        // A case the caller cannot see: 404, and not a byte kept.
        let stranger = user("eve@other.example", "OTHER", &["applicant"]);
        let r = send(
            &stranger,
            &id,
            "big.pdf",
            "application/pdf",
            b"%PDF-1.4".repeat(1000),
        )
        .await
        .expect("send");
        assert_eq!(r.status().as_u16(), 404);
        assert_eq!(stored(), 0);
        // Declared types the content contradicts.
        let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        elf.extend([0; 56]);
        for (name, mime, bytes) in [
            (
                "page.pdf",
                "application/pdf",
                b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(),
            ),
            ("tool.png", "image/png", elf),
            (
                "site.txt",
                "text/plain",
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            ),
            ("data.csv", "text/csv", vec![b'a', 0, b'b']),
        ] {
            let r = send(&ann, &id, name, mime, bytes).await.expect("send");
            assert_eq!(r.status().as_u16(), 415, "{name}");
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["error"], "unsupported_type", "{body}");
        }
        assert_eq!(stored(), 0, "refused uploads leave no file");
        // Concurrent uploads to one case each take their own version.
        let mut tasks = Vec::new();
        for i in 0..6 {
            tasks.push(send(
                &ann,
                &id,
                "report.pdf",
                "application/pdf",
                format!("%PDF-1.4 draft {i}").into_bytes(),
            ));
        }
        let mut versions = Vec::new();
        for t in tasks {
            let r = t.await.expect("send");
            assert_eq!(r.status().as_u16(), 201);
            let body: Value = r.json().await.expect("json");
            versions.push(body["version"].as_i64().expect("version"));
        }
        versions.sort_unstable();
        assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(stored(), 6);
        // Downloads are attachments the browser must not sniff.
        let docs = app
            .get(&ann, &format!("/api/v1/cases/{id}/documents"))
            .await;
        let doc = docs.body["documents"][0]["id"]
            .as_str()
            .expect("doc")
            .to_string();
        let r = app
            .client
            .get(app.url(&format!("/api/v1/cases/{id}/documents/{doc}/content")))
            .bearer_auth(&ann.token)
            .send()
            .await
            .expect("get");
        assert!(r.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("attachment"));
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        db
    })
    .await;
}

/// Files under `dir`, leaving out the folder uploads arrive in.
fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == ".incoming") {
                    assert_eq!(walk_all(&p), 0, "nothing is left half-received");
                    0
                } else {
                    walk(&p)
                }
            } else {
                1
            }
        })
        .sum()
}

fn walk_all(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|e| e.count()).unwrap_or(0)
}

#[tokio::test]
async fn bodies_get_the_error_shape_for_size_and_type_and_unknown_fields_are_refused() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let ann = applicant();
        let body = serde_json::to_vec(&json!({"workflow": "eia_report_form", "data": project()}))
            .expect("json");
        let (status, _, b) = raw(
            &app,
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(&ann.token),
            Some("text/plain"),
            body,
        )
        .await;
        assert_eq!(
            (status, b["error"].as_str()),
            (415, Some("unsupported_media_type")),
            "{b}"
        );
        let huge = vec![b' '; 2 << 20];
        let (status, _, b) = raw(
            &app,
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(&ann.token),
            Some("application/json"),
            huge,
        )
        .await;
        assert_eq!(
            (status, b["error"].as_str()),
            (413, Some("too_large")),
            "{b}"
        );
        let mut issue = asset();
        issue["amount_kg"] = json!(500);
        issue["org"] = json!("ACME");
        let r = app
            .post(&operator(), "/api/v1/reserve/issuance", &issue, None)
            .await;
        assert_error(&r, 422, "validation_failed");
        assert_eq!(r.body["details"]["fields"]["org"][0], "unknown field");
        assert_eq!(app.get(&ann, "/api/v1/cases").await.body["total"], 0);
        db
    })
    .await;
}

#[tokio::test]
async fn the_clock_cannot_overflow_and_tokens_need_their_organisation_and_time() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        let r = app
            .post(&admin(), "/api/v1/admin/clock", &json!({"advance_seconds": 9223372036854775807i64}), None)
            .await;
        assert_error(&r, 422, "validation_failed");
        assert!(r.body["details"]["fields"]["advance_seconds"].is_array());
        // An applicant's token without its organisation is refused, not matched to nobody's.
        let orgless = user("ann@acme.example", "", &["applicant"]);
        assert_error(&app.get(&orgless, "/api/v1/accounts").await, 401, "unauthorized");
        // A token that is not valid yet.
        use jsonwebtoken::{encode, EncodingKey, Header};
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": "ann@acme.example", "org": "ACME", "roles": ["applicant"], "iat": now, "nbf": now + 3600, "exp": now + 7200, "iss": "greenlane", "aud": "greenlane-api"});
        let early = encode(&Header::default(), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("token");
        assert_error(&app.get(&User { token: early }, "/api/v1/cases").await, 401, "unauthorized");
        db
    })
    .await;
}

#[tokio::test]
async fn every_answer_has_the_security_headers_and_cors_stays_closed_unless_configured() {
    on_every_database(|db| async move {
        let mut s = settings(&db, workflows_dir());
        s.cors_origins = vec!["https://portal.example".into()];
        let app = spawn_app_with(s).await;
        for (path, csp_part) in [
            ("/login", "script-src 'self'"),
            ("/api/v1/cases", "default-src 'none'"),
            ("/api/docs/", "'unsafe-inline'"),
        ] {
            let r = app.client.get(app.url(path)).send().await.expect("get");
            let h = r.headers();
            assert!(
                h["content-security-policy"]
                    .to_str()
                    .expect("csp")
                    .contains(csp_part),
                "{path}"
            );
            assert!(h["content-security-policy"]
                .to_str()
                .expect("csp")
                .contains("frame-ancestors 'none'"));
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["referrer-policy"], "same-origin");
            assert_eq!(h["x-frame-options"], "DENY");
        }
        let r = app.get(&applicant(), "/api/v1/cases").await;
        assert_eq!(r.status, 200);
        let h = app
            .client
            .get(app.url("/api/v1/cases"))
            .bearer_auth(&applicant().token)
            .send()
            .await
            .expect("get");
        assert_eq!(h.headers()["cache-control"], "no-store");
        // Preflight: answered for the configured origin, without CORS headers for any other.
        for (origin, allowed) in [
            ("https://portal.example", true),
            ("https://evil.example", false),
        ] {
            let r = app
                .client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/cases"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .send()
                .await
                .expect("options");
            assert_eq!(r.status().as_u16(), 204);
            assert_eq!(
                r.headers().contains_key("access-control-allow-origin"),
                allowed,
                "{origin}"
            );
        }
        let (status, headers, body) = raw(
            &app,
            reqwest::Method::TRACE,
            "/api/v1/cases",
            None,
            None,
            vec![],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (405, Some("method_not_allowed"))
        );
        assert!(headers.contains_key("allow"));
        db
    })
    .await;
}
