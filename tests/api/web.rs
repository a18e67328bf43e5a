//! The web interface over HTTP, for what a browser test is slow to show: sessions, CSRF and
//! origin checks, access, escaping, stale forms, languages, errors as pages.

use reqwest::header::{ACCEPT_LANGUAGE, LOCATION};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::eia::step;
use crate::helpers::*;

/// A browser: a cookie jar, no automatic redirects, one language.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub lang: &'static str,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
}

impl Browser {
    pub fn new(app: &TestApp, lang: &'static str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: app.address.clone(),
            lang,
        }
    }

    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Page {
            status,
            location,
            html: resp.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(ACCEPT_LANGUAGE, self.lang)
            .send()
            .await
            .expect("request");
        Self::page(r).await
    }

    /// Posts a form as the page at `path` would (same origin).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_from(path, form, Some(&self.base)).await
    }

    pub async fn post_from(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(ACCEPT_LANGUAGE, self.lang)
            .form(form);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        Self::page(req.send().await.expect("request")).await
    }

    /// Signs in through the form; answers the session's form token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let login = self.get("/login").await;
        assert_eq!(login.status, 200);
        let token = hidden(&login.html, "csrf");
        let r = self
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("next", "/"),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.html);
        let home = self.get("/").await;
        assert_eq!(home.status, 200, "{}", home.html);
        hidden(&home.html, "csrf")
    }
}

/// The value of the first hidden input called `name`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden `{name}` in:\n{html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

pub(crate) const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn signing_in_out_and_the_session_cookie() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let b = Browser::new(&app, "en");

        // Not signed in: the home page sends to the sign-in page.
        let home = b.get("/").await;
        assert_eq!(
            (home.status, home.location.as_deref()),
            (303, Some("/login"))
        );
        let inbox = b.get("/inbox?overdue=1").await;
        assert_eq!(inbox.status, 303);
        assert_eq!(
            inbox.location.as_deref(),
            Some("/login?next=%2Finbox%3Foverdue%3D1")
        );

        // A wrong password: the form again, in English, with the error next to the field.
        let login = b.get("/login").await;
        assert!(login.html.contains("<html lang=\"en\">"), "{}", login.html);
        let token = hidden(&login.html, "csrf");
        let wrong = b
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("email", "ann@acme.example"),
                    ("password", "nope"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422);
        assert!(
            wrong
                .html
                .contains("The e-mail address or the password is wrong"),
            "{}",
            wrong.html
        );
        assert!(wrong.html.contains("aria-invalid=\"true\""));

        // The right one: a session cookie (HttpOnly, SameSite=Lax, 8 hours), then back to `next`.
        let resp = b
            .client
            .post(format!("{}/login", b.base))
            .header("Origin", &b.base)
            .form(&[
                ("csrf", token.as_str()),
                ("next", "/inbox"),
                ("email", "ann@acme.example"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status().as_u16(), 303);
        assert_eq!(resp.headers()[LOCATION], "/inbox");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("gl_session="))
            .expect("session cookie")
            .to_string();
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
        let home = b.get("/").await;
        assert_eq!(home.status, 200);
        assert!(
            home.html.contains("Welcome, ann@acme.example"),
            "{}",
            home.html
        );

        // Signing out ends the session on the server, not only in the browser.
        let csrf = hidden(&home.html, "csrf");
        let out = b.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
        let session = cookie
            .trim_start_matches("gl_session=")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let replay = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client")
            .get(app.url("/inbox"))
            .header("Cookie", format!("gl_session={session}"))
            .send()
            .await
            .expect("request");
        assert_eq!(
            replay.status().as_u16(),
            303,
            "a signed-out session is dead"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_post_without_the_form_token_or_from_another_site_is_refused_and_changes_nothing() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        let b = Browser::new(&app, "en");
        let csrf = b.sign_in("ann@acme.example", PASSWORD).await;
        let path = format!("/cases/{id}/actions/submit");

        for (form, origin) in [
            (vec![("expected_version", "1")], Some(b.base.as_str())),
            (
                vec![("expected_version", "1"), ("csrf", "forged")],
                Some(b.base.as_str()),
            ),
            (
                vec![("expected_version", "1"), ("csrf", csrf.as_str())],
                Some("https://evil.example"),
            ),
        ] {
            let r = b.post_from(&path, &form, origin).await;
            assert_eq!(r.status, 403, "{form:?} {origin:?}");
            assert!(r.html.contains("This form has expired"), "{}", r.html);
            assert_eq!(app.case(&ann, &id).await["version"], 1, "nothing changed");
        }
        // A saved view and a sign-out need the token too.
        assert_eq!(
            b.post_from("/inbox/views", &[("name", "x")], None)
                .await
                .status,
            403
        );
        assert_eq!(b.post_from("/logout", &[], None).await.status, 403);
        assert!(b.get("/").await.status == 200, "still signed in");

        // With the token, from this site, it works.
        let ok = b
            .post(&path, &[("expected_version", "1"), ("csrf", &csrf)])
            .await;
        assert_eq!(ok.status, 303, "{}", ok.html);
        assert_eq!(app.case(&ann, &id).await["state"], "submitted");
        db
    })
    .await;
}

#[tokio::test]
async fn an_expired_session_goes_to_sign_in_and_back() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let b = Browser::new(&app, "zh-CN,zh;q=0.9");
        b.sign_in("rui@bureau.example", PASSWORD).await;
        // Age every session past its 8 hours.
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        let sessions = greenlane::store::web::sessions_of(&app.app.db, "rui@bureau.example")
            .await
            .expect("sessions");
        assert_eq!(sessions.len(), 1);
        greenlane::store::web::set_expiry(&app.app.db, &sessions[0].token_hash, past)
            .await
            .expect("age");
        let r = b.get("/inbox").await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.location.as_deref(),
            Some("/login?next=%2Finbox&expired=1")
        );
        let login = b.get("/login?next=%2Finbox&expired=1").await;
        assert!(login.html.contains("登录已过期"), "{}", login.html);
        db
    })
    .await;
}

#[tokio::test]
async fn another_organisations_case_is_a_404_page_and_names_are_text() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let mut data = project();
        data["project_name"] = json!("<script>alert('x')</script> & mill");
        let r = app.create_case(&applicant(), data).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_string();

        // The owner sees the name as text, escaped, never as markup.
        let ann = Browser::new(&app, "en");
        ann.sign_in("ann@acme.example", PASSWORD).await;
        let page = ann.get(&format!("/cases/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.html
                .contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; mill"),
            "{}",
            page.html
        );
        assert!(!page.html.contains("<script>alert"));
        let list = ann.get("/cases?q=mill").await;
        assert!(list.html.contains("&#60;script&#62;"), "{}", list.html);
        assert!(!list.html.contains("<script>alert"));

        // An agency the enterprise never granted: the same page as for a case that does not exist.
        let gus = Browser::new(&app, "zh-CN");
        gus.sign_in("gus@green.example", PASSWORD).await;
        let hidden_case = gus.get(&format!("/cases/{id}")).await;
        let missing = gus.get("/cases/01234567-89ab-7def-8123-456789abcdef").await;
        assert_eq!(hidden_case.status, 404);
        assert_eq!(missing.status, 404);
        assert!(
            hidden_case.html.contains("页面不存在"),
            "{}",
            hidden_case.html
        );
        assert!(
            !hidden_case.html.contains("mill"),
            "nothing of the case shows"
        );
        assert_eq!(
            gus.get(&format!("/cases/{id}/history.csv")).await.status,
            404
        );

        // Paths that are no page, and the API's own 404.
        let nothing = ann.get("/no/such/page").await;
        assert_eq!(nothing.status, 404);
        assert!(nothing.html.contains("Page not found"));
        let api = app.get(&applicant(), "/api/v1/nothing").await;
        assert_error(&api, 404, "not_found");
        db
    })
    .await;
}

#[tokio::test]
async fn a_stale_form_says_someone_acted_and_shows_the_new_state() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ann = applicant();
        let id = app.new_case(&ann).await;
        app.act(&ann, &id, "submit", 1, json!({})).await;
        let b = Browser::new(&app, "en");
        let csrf = b.sign_in("rui@bureau.example", PASSWORD).await;
        let page = b.get(&format!("/cases/{id}")).await;
        let seen = hidden(&page.html, "expected_version");
        assert_eq!(seen, "2");

        // Meanwhile the applicant withdraws.
        let r = app.act(&ann, &id, "withdraw", 2, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let stale = b
            .post(
                &format!("/cases/{id}/actions/accept"),
                &[
                    ("csrf", &csrf),
                    ("expected_version", &seen),
                    ("comment", "looks complete"),
                ],
            )
            .await;
        assert_eq!(stale.status, 409);
        assert!(
            stale
                .html
                .contains("Someone acted on this case while you had it open"),
            "{}",
            stale.html
        );
        assert!(
            stale
                .html
                .contains("It is now at the stage “Withdrawn by the applicant”"),
            "{}",
            stale.html
        );
        assert_eq!(app.case(&ann, &id).await["state"], "withdrawn");
        db
    })
    .await;
}

#[tokio::test]
async fn forms_show_each_error_next_to_its_field_in_the_persons_language() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let b = Browser::new(&app, "zh-CN");
        let csrf = b.sign_in("ann@acme.example", PASSWORD).await;
        let form = b
            .get("/cases/new/eia_report_form?industry_code=C2221&project_type=paper")
            .await;
        assert_eq!(form.status, 200);
        assert!(
            form.html.contains("value=\"C2221\""),
            "the classification carries over"
        );

        let r = b
            .post(
                "/cases/new/eia_report_form",
                &[
                    ("csrf", &csrf),
                    ("project_name", "涪陵纸业扩建"),
                    ("credit_code", "91350100M000100Y44"),
                    ("industry_code", "C2221"),
                    ("location__mode", "point"),
                    ("location__lon", "107.39"),
                    ("location__lat", "29.70"),
                    ("investment_fen", "一千万"),
                    ("intent", "create"),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.html);
        assert!(r.html.contains("请修改以下问题"), "{}", r.html);
        assert!(r.html.contains("校验码应为 3，实为 4"), "{}", r.html);
        assert!(r.html.contains("请以元为单位填写金额"), "{}", r.html);
        assert!(r.html.contains("href=\"#f-credit-code\""), "{}", r.html);
        assert!(
            r.html.contains("统一社会信用代码：校验码应为 3，实为 4"),
            "the summary names the field: {}",
            r.html
        );
        assert!(
            r.html.contains("value=\"涪陵纸业扩建\""),
            "what was typed stays"
        );
        let list = app.get(&applicant(), "/api/v1/cases").await;
        assert_eq!(list.body["total"], 0, "nothing was created");

        // The siting check before submitting: the Wu river, 716 m, the 1 km rule.
        let siting = b
            .post(
                "/cases/new/eia_report_form",
                &[
                    ("csrf", &csrf),
                    ("industry_code", "C2221"),
                    ("location__mode", "point"),
                    ("location__lon", "107.39"),
                    ("location__lat", "29.70"),
                    ("intent", "siting"),
                ],
            )
            .await;
        assert_eq!(siting.status, 200);
        assert!(
            siting.html.contains("最近河流：乌江，距离 716 m。"),
            "{}",
            siting.html
        );
        assert!(
            siting.html.contains("1 公里范围内禁止新建"),
            "{}",
            siting.html
        );
        db
    })
    .await;
}

#[tokio::test]
async fn languages_follow_accept_language_and_the_choice_is_remembered() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let en = Browser::new(&app, "en-GB,en;q=0.9");
        assert!(en.get("/login").await.html.contains("Sign in to Greenlane"));
        let zh = Browser::new(&app, "zh-CN");
        assert!(zh.get("/login").await.html.contains("登录 Greenlane"));
        // Switching sets a cookie that wins over the browser's languages.
        let r = zh.get("/lang/en?next=%2Flogin").await;
        assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")));
        assert!(zh.get("/login").await.html.contains("Sign in to Greenlane"));
        // Only local paths are followed.
        let away = zh.get("/lang/zh?next=https%3A%2F%2Fevil.example").await;
        assert_eq!(away.location.as_deref(), Some("/"));
        assert_eq!(zh.get("/lang/fr").await.status, 404);
        db
    })
    .await;
}

#[tokio::test]
async fn static_files_have_hashed_names_and_a_year_of_cache() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        let b = Browser::new(&app, "en");
        let login = b.get("/login").await;
        let css = login
            .html
            .split("href=\"")
            .map(|s| s.split('"').next().unwrap_or_default())
            .find(|h| h.starts_with("/static/app.") && h.ends_with(".css"))
            .expect("stylesheet link")
            .to_string();
        let r = b.client.get(app.url(&css)).send().await.expect("css");
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            b.get("/static/app.css").await.status,
            404,
            "only hashed names"
        );
        assert!(
            greenlane::web::assets::total_bytes() < 150 * 1024,
            "static files: {} bytes",
            greenlane::web::assets::total_bytes()
        );
        db
    })
    .await;
}

#[tokio::test]
async fn case_search_pages_and_downloads_what_the_person_may_see() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let ann = applicant();
        for _ in 0..3 {
            app.new_case(&ann).await;
        }
        let other = user("olga@other.example", "OTHER", &["applicant"]);
        let mut data = project();
        data["credit_code"] = json!("91110000802100433B");
        data["project_name"] = json!("Other works");
        assert_eq!(app.create_case(&other, data).await.status, 201);

        let b = Browser::new(&app, "en");
        b.sign_in("ann@acme.example", PASSWORD).await;
        let page = b.get("/cases").await;
        assert!(page.html.contains("Cases 1–3 of 3"), "{}", page.html);
        assert!(!page.html.contains("Other works"));
        let csv = b.get("/cases.csv?workflow=eia_report_form").await;
        assert_eq!(csv.status, 200);
        let lines: Vec<&str> = csv.html.lines().collect();
        assert_eq!(lines.len(), 4, "{}", csv.html);
        assert!(
            lines[0].starts_with("\u{feff}id,title,workflow,workflow_version,state"),
            "a BOM, then the header"
        );
        assert!(lines[1].contains("Fuling paper mill expansion"));
        let bad = b.get("/cases?from=yesterday").await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.html.contains("Enter a date like 2026-03-31"),
            "{}",
            bad.html
        );
        db
    })
    .await;
}

/// A refused case is announced as a refusal: the deciding official's form, the case's history
/// and the procedure page each name the transition taken, not the first action of that name.
#[tokio::test]
async fn a_refusal_is_announced_as_a_refusal_on_the_case_page_and_in_its_history() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let id = proposed(&app, "propose_refusal", json!({"grounds": ["emissions"]})).await;
        step(&app, &amy, &id, "refuse", json!({"grounds": ["emissions"]})).await;
        let ann = applicant();

        // The reviewer announces.
        let b = Browser::new(&app, "zh-CN");
        let csrf = b.sign_in("rui@bureau.example", PASSWORD).await;
        let page = b.get(&format!("/cases/{id}")).await;
        assert!(page.html.contains("公告不予批准决定"), "{}", page.html);
        assert!(!page.html.contains("公告批准决定"), "{}", page.html);
        let r = b
            .post(
                &format!("/cases/{id}/actions/announce"),
                &[
                    ("csrf", &csrf),
                    ("expected_version", &hidden(&page.html, "expected_version")),
                ],
            )
            .await;
        assert!(r.status == 303 || r.status == 200, "{}", r.status);
        assert_eq!(app.case(&ann, &id).await["state"], "refusal_announced");
        let page = b.get(&format!("/cases/{id}")).await;
        assert!(
            page.html.contains("公告不予批准决定"),
            "the history says what was done"
        );
        assert!(!page.html.contains("公告批准决定"), "{}", page.html);
        // The history words the grounds by their labels, not their codes, and names a document
        // by its name and version.
        let history = page
            .html
            .split("id=\"timeline\"")
            .nth(1)
            .expect("the history")
            .to_string();
        assert!(
            history.contains("污染物排放不能达标或生态破坏无法有效预防（第三项）"),
            "{history}"
        );
        assert!(!history.contains(">emissions<"), "{history}");
        db
    })
    .await;
}

/// Every CSV opens right in a spreadsheet: a UTF-8 byte-order mark, its header even with no
/// rows, and a cell that would run as a formula kept as text.
#[tokio::test]
async fn csvs_carry_a_bom_their_header_and_no_formula() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        // No auction has closed: still the header.
        let r = app
            .client
            .get(app.url("/public/market/results.csv"))
            .send()
            .await
            .expect("csv");
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("bytes");
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBFlot,kind,pollutant"),
            "{bytes:?}"
        );
        // A project named like a formula stays text in the case list.
        let ann = applicant();
        let mut data = project();
        data["project_name"] = json!("=HYPERLINK(\"http://example.invalid\",\"open\")");
        let created = app.create_case(&ann, data).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let b = Browser::new(&app, "en");
        b.sign_in("ann@acme.example", PASSWORD).await;
        let csv = b.get("/cases.csv").await;
        assert!(csv.html.starts_with('\u{feff}'), "{}", csv.html);
        assert!(
            csv.html
                .contains("\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"open\"\")\""),
            "{}",
            csv.html
        );
        db
    })
    .await;
}

/// The deciding official starts from the proposal: the approval form holds the proposed
/// conditions, to confirm or change, not to type again.
#[tokio::test]
async fn the_approvers_form_holds_the_proposed_conditions() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let r = app
            .post(&admin(), "/api/v1/admin/users", &json!({"email": "amy@bureau.example", "name": "Amy", "org": "CQEEB", "roles": ["approver"], "lang": "en", "password": PASSWORD}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let ann = applicant();
        let id = proposed(&app, "propose_approval", json!({"conditions": ["Noise below 55 dB at night", "Monitor the outfall monthly"]})).await;
        assert_eq!(app.case(&ann, &id).await["state"], "decision");
        let b = Browser::new(&app, "en");
        b.sign_in("amy@bureau.example", PASSWORD).await;
        let page = b.get(&format!("/cases/{id}")).await;
        let form = page.html.split("id=\"act-approve\"").nth(1).expect("the approval form");
        let form = form.split("</form>").next().unwrap_or_default();
        assert!(
            form.contains("Noise below 55 dB at night\nMonitor the outfall monthly"),
            "{form}"
        );
        db
    })
    .await;
}

/// The case page does the work: the supplement's missing items beside the resubmit form, and a
/// decided case's decision at the top, with its conditions and reference.
#[tokio::test]
async fn the_case_page_shows_what_was_asked_and_what_was_decided() {
    on_every_database(|db| async move {
        let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
        seed_directory(&app).await;
        let (ann, rui) = (applicant(), reviewer());
        let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
        let id = app.new_case(&ann).await;
        step(&app, &ann, &id, "submit", json!({})).await;
        step(
            &app,
            &rui,
            &id,
            "request_supplement",
            json!({"missing_items": ["Site plan", "Noise survey"]}),
        )
        .await;
        let b = Browser::new(&app, "en");
        b.sign_in("ann@acme.example", PASSWORD).await;
        let page = b.get(&format!("/cases/{id}")).await;
        let asked = page
            .html
            .split("id=\"asked\"")
            .nth(1)
            .expect("what was asked")
            .split("</div>")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            asked.contains("Site plan") && asked.contains("Noise survey"),
            "{asked}"
        );
        assert!(
            page.html.contains("id=\"act-resubmit\""),
            "beside the resubmit form"
        );
        step(&app, &ann, &id, "resubmit", json!({})).await;
        step(&app, &rui, &id, "accept", json!({})).await;
        app.set_clock("2026-03-10T01:00:00Z").await;
        step(
            &app,
            &rui,
            &id,
            "complete_evaluation",
            json!({"conclusion": "ok"}),
        )
        .await;
        step(
            &app,
            &rui,
            &id,
            "propose_approval",
            json!({"conditions": ["Noise below 55 dB at night"]}),
        )
        .await;
        app.set_clock("2026-03-20T01:00:00Z").await;
        step(
            &app,
            &amy,
            &id,
            "approve",
            json!({"conditions": ["Noise below 55 dB at night"]}),
        )
        .await;
        let reference = app.case(&ann, &id).await["reference"]
            .as_str()
            .expect("reference")
            .to_string();
        let page = b.get(&format!("/cases/{id}")).await;
        let decision = page
            .html
            .split("id=\"decision\"")
            .nth(1)
            .expect("the decision block")
            .split("</section>")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            decision.contains("Noise below 55 dB at night") && decision.contains(&reference),
            "{decision}"
        );
        assert!(
            page.html.find("id=\"decision\"") < page.html.find("id=\"actions\""),
            "at the top"
        );
        db
    })
    .await;
}

/// A new report form taken to the deciding official with `proposal` made (Monday 2 March 2026
/// on; the clock left at the 20th, after the proposal's publicity).
pub async fn proposed(app: &TestApp, proposal: &str, payload: serde_json::Value) -> String {
    let (ann, rui) = (applicant(), reviewer());
    let id = app.new_case(&ann).await;
    step(app, &ann, &id, "submit", json!({})).await;
    step(app, &rui, &id, "accept", json!({})).await;
    app.set_clock("2026-03-10T01:00:00Z").await;
    step(
        app,
        &rui,
        &id,
        "complete_evaluation",
        json!({"conclusion": "ok"}),
    )
    .await;
    step(app, &rui, &id, proposal, payload).await;
    app.set_clock("2026-03-20T01:00:00Z").await;
    id
}

/// The administrator's user page signs a person out everywhere, deactivates them and lets them
/// back in, in the administrator's language; the person's browser follows at once.
#[tokio::test]
async fn an_administrator_signs_a_person_out_and_deactivates_them_on_the_web() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let r = app
            .post(&admin(), "/api/v1/admin/users", &json!({"email": "ada@bureau.example", "name": "Ada", "org": "CQEEB", "roles": ["admin"], "lang": "zh", "password": PASSWORD}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let ada = Browser::new(&app, "zh");
        ada.sign_in("ada@bureau.example", PASSWORD).await;
        let rui = Browser::new(&app, "en");
        rui.sign_in("rui@bureau.example", PASSWORD).await;
        assert_eq!(rui.get("/inbox").await.status, 200);

        let page = ada.get("/admin/users/rui%40bureau.example").await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("在所有设备上退出登录"), "{}", page.html);
        // The name field holds the person's name (the field's own name once stood in it).
        assert!(
            page.html.contains("value=\"rui@bureau.example\""),
            "{}",
            page.html
        );
        assert!(page.html.contains("停用"), "{}", page.html);
        let csrf = hidden(&page.html, "csrf");
        let out = ada
            .post("/admin/users/rui%40bureau.example/sign-out", &[("csrf", &csrf)])
            .await;
        assert_eq!(out.status, 303, "{}", out.html);
        let done = ada.get(out.location.as_deref().unwrap_or("/admin")).await;
        assert!(done.html.contains("已在所有设备上退出此人的登录"), "{}", done.html);
        assert_eq!(rui.get("/inbox").await.status, 303, "rui's session ended");

        rui.sign_in("rui@bureau.example", PASSWORD).await;
        let off = ada
            .post(
                "/admin/users/rui%40bureau.example/active",
                &[("csrf", &csrf), ("active", "false")],
            )
            .await;
        assert_eq!(off.status, 303, "{}", off.html);
        assert_eq!(rui.get("/inbox").await.status, 303, "deactivated");
        let users = ada.get("/admin").await;
        assert!(users.html.contains("已停用"), "{}", users.html);
        // The sign-in form refuses them as it refuses a wrong password.
        let login = rui.get("/login").await;
        let token = hidden(&login.html, "csrf");
        let refused = rui
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("email", "rui@bureau.example"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.html);
        // An administrator cannot deactivate themselves: a page that says why, nothing changed.
        let own = ada
            .post(
                "/admin/users/ada%40bureau.example/active",
                &[("csrf", &csrf), ("active", "false")],
            )
            .await;
        assert_eq!(own.status, 422, "{}", own.html);
        assert!(own.html.contains("管理员不能停用自己的账户"), "{}", own.html);
        assert_eq!(ada.get("/admin").await.status, 200);

        let on = ada
            .post(
                "/admin/users/rui%40bureau.example/active",
                &[("csrf", &csrf), ("active", "true")],
            )
            .await;
        assert_eq!(on.status, 303, "{}", on.html);
        rui.sign_in("rui@bureau.example", PASSWORD).await;
        assert_eq!(rui.get("/inbox").await.status, 200);
        db
    })
    .await;
}

/// After three wrong passwords in a row the sign-in form answers 429 with `Retry-After` and says
/// how long to wait, in the person's language.
#[tokio::test]
async fn repeated_wrong_passwords_are_a_429_with_retry_after_on_the_sign_in_form() {
    on_every_database(|db| async move {
        let app = spawn_app(&db).await;
        seed_directory(&app).await;
        let b = Browser::new(&app, "zh");
        let mut last = None;
        for _ in 0..4 {
            let login = b.get("/login").await;
            let token = hidden(&login.html, "csrf");
            let form = [
                ("csrf", token.as_str()),
                ("email", "ann@acme.example"),
                ("password", "wrong, again"),
            ];
            let resp = b
                .client
                .post(format!("{}/login", b.base))
                .header("Origin", &b.base)
                .header(ACCEPT_LANGUAGE, "zh")
                .form(&form)
                .send()
                .await
                .expect("sign in");
            last = Some((
                resp.status().as_u16(),
                resp.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                resp.text().await.expect("html"),
            ));
        }
        let (status, retry, html) = last.expect("four attempts");
        assert_eq!(status, 429, "{html}");
        let seconds: i64 = retry.expect("Retry-After").parse().expect("seconds");
        assert!(seconds >= 1, "{seconds}");
        assert!(html.contains("秒"), "{html}");
        db
    })
    .await;
}
