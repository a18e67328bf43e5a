//! Browser tests: people do their work in a real Chromium, driven through chromedriver. Each
//! page a person meets is checked with axe-core (WCAG 2 A and AA) in both languages, and a
//! screenshot of it is saved under `target/ui-shots/ROLE-PAGE-LANG.png` to look at.
//!
//! Without Chromium and chromedriver these tests say so and skip; with
//! `GREENLANE_REQUIRE_BROWSER=1` (as in CI) a missing browser fails them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::smtp::free_port;

const AXE: &str = include_str!("../browser/axe.min.js");
const PASSWORD: &str = "greenlane-demo";

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for name in names {
        for dir in path.split(':').chain(["/usr/bin", "/usr/lib/chromium"]) {
            let p = Path::new(dir).join(name);
            if p.exists() {
                return Some(p);
            }
        }
    }
    None
}

/// chromedriver on a free port, stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    pub chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or says why not and answers `None` (a failure when the browser is
/// required).
pub async fn driver() -> Option<Driver> {
    let required = std::env::var("GREENLANE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(
        "GREENLANE_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let chromedriver = find_program("GREENLANE_CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        if required {
            panic!("GREENLANE_REQUIRE_BROWSER=1 but Chromium or chromedriver is missing (Debian: chromium chromium-driver)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: Chromium or chromedriver not found: browser tests skipped"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Driver {
        child,
        url,
        chromium,
    })
}

/// The folder screenshots go to.
pub fn shots_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("ui-shots");
    std::fs::create_dir_all(&dir).expect("shots dir");
    dir
}

/// A browser window on the app.
pub struct Tab {
    pub client: Client,
    pub base: String,
    pub role: String,
    _profile: tempfile::TempDir,
}

impl Tab {
    pub async fn open(driver: &Driver, base: &str) -> Tab {
        Tab::open_with(driver, base, true).await
    }

    /// A window whose browser runs no JavaScript at all (Chromium's content setting), as for a
    /// person who turned it off: no script runs, so no handler of htmx's is ever attached.
    pub async fn open_without_javascript(driver: &Driver, base: &str) -> Tab {
        Tab::open_with(driver, base, false).await
    }

    async fn open_with(driver: &Driver, base: &str, javascript: bool) -> Tab {
        let profile = tempfile::tempdir().expect("profile");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": driver.chromium,
                "prefs": {"profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }},
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-extensions", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a browser session");
        Tab {
            client,
            base: base.to_string(),
            role: "guest".into(),
            _profile: profile,
        }
    }

    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let body = self.body_text().await;
                panic!("no `{css}` on {}: {e}\n{body}", self.path().await)
            }
        }
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    /// Sets an input's value directly (date inputs read typing by the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .expect("set value");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .expect("select");
    }

    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks and waits for the next page.
    pub async fn submit(&self, css: &str) {
        let before = self.client.find(Locator::Css("html")).await.expect("html");
        self.click(css).await;
        for _ in 0..200 {
            if before.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("`{css}` did not lead to a new page");
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn body(&self) -> String {
        self.text("body").await
    }

    /// Signs in (out of any earlier session) and chooses the language.
    pub async fn sign_in(&mut self, email: &str, role: &str, lang: &str) {
        self.role = role.to_string();
        self.go("/login").await;
        if self
            .client
            .find(Locator::Css("form[action='/logout']"))
            .await
            .is_ok()
        {
            self.submit("form[action='/logout'] button").await;
        }
        self.fill("#f-email", email).await;
        self.fill("#f-password", PASSWORD).await;
        self.submit("form[action='/login'] button").await;
        assert_eq!(self.path().await, "/", "signed in as {email}");
        self.set_lang(lang).await;
    }

    pub async fn set_lang(&self, lang: &str) {
        let here = self.path().await;
        let next: String = url_escape(&here);
        self.go(&format!("/lang/{lang}?next={next}")).await;
    }

    /// Runs axe-core on the page; panics naming each violation.
    pub async fn axe(&self, what: &str) {
        self.client.execute(AXE, vec![]).await.expect("axe loads");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
              .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))}))))
              .catch(e => done([{id: 'axe-error', help: String(e)}]));"#;
        let violations = self
            .client
            .execute_async(script, vec![])
            .await
            .expect("axe runs");
        let list = violations.as_array().cloned().unwrap_or_default();
        assert!(
            list.is_empty(),
            "axe-core on {what} ({}): {}",
            self.path().await,
            serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default()
        );
    }

    pub async fn screenshot(&self, name: &str) {
        // The whole page, not only the window.
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 8000) as u32;
        let width = self
            .client
            .execute("return window.innerWidth", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(1280) as u32;
        let _ = self.client.set_window_size(width, height).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(shots_dir().join(format!("{name}.png")), png).expect("write shot");
        let _ = self.client.set_window_size(width, 900).await;
    }

    /// axe-core and a screenshot of the page as it is now (a form shown again with its errors,
    /// which a language switch would reload empty).
    pub async fn check_here(&self, page: &str, lang: &str) {
        self.axe(&format!("{} {page} ({lang})", self.role)).await;
        self.screenshot(&format!("{}-{page}-{lang}", self.role))
            .await;
    }

    /// What a person meets on this page: axe-core and a screenshot in both languages, and at
    /// 375 px wide for the pages people open on a phone. Leaves the page in `lang`.
    pub async fn check(&self, page: &str, lang: &str, narrow: bool) {
        let other = if lang == "zh" { "en" } else { "zh" };
        for l in [other, lang] {
            self.set_lang(l).await;
            self.axe(&format!("{} {page} ({l})", self.role)).await;
            self.screenshot(&format!("{}-{page}-{l}", self.role)).await;
        }
        if narrow {
            self.client.set_window_size(375, 800).await.expect("narrow");
            self.axe(&format!("{} {page} at 375 px", self.role)).await;
            // Nothing scrolls sideways: tables scroll inside their own region. The widest
            // element outside such a region is named.
            let wide = self
                .client
                .execute(
                    "const d = document.documentElement;
                     if (d.scrollWidth <= d.clientWidth) return null;
                     let worst = null;
                     for (const e of document.body.querySelectorAll('*')) {
                       if (e.closest('.table-wrap, pre, svg')) continue;
                       const r = e.getBoundingClientRect();
                       if (r.right > d.clientWidth + 1 && (!worst || r.right > worst.r)) {
                         worst = {r: r.right, what: e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60)};
                       }
                     }
                     return (worst ? worst.what : '?') + ' (' + d.scrollWidth + ' px wide)';",
                    vec![],
                )
                .await
                .expect("width");
            assert!(
                wide.is_null(),
                "{} {page} scrolls sideways at 375 px: {wide}",
                self.role
            );
            self.screenshot(&format!("{}-{page}-{lang}-375", self.role))
                .await;
            self.client.set_window_size(1280, 900).await.expect("wide");
        }
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The data form of a new project, with `credit_code`.
/// The demo's organisations, people (each with the demo password) and cases.
pub async fn seed_demo(app: &TestApp) {
    let admin_actor = greenlane::engine::Actor::person(
        "setup@bureau.example",
        "CQEEB",
        [greenlane::domain::Role::Admin].into_iter().collect(),
    );
    greenlane::app::demo::seed(&app.app, &admin_actor)
        .await
        .expect("demo data");
    // As `greenlane demo` does: the illustrative pre-licence catalogue.
    let csv = std::fs::read_to_string("workflows/catalogue/pre_licence_illustrative.csv")
        .expect("catalogue");
    greenlane::app::licence::import_csv(&app.app, &admin_actor, &csv, None)
        .await
        .expect("catalogue import");
}

async fn fill_project(tab: &Tab, credit_code: &str) {
    tab.fill("#f-project-name", "涪陵纸业扩建项目").await;
    tab.fill("#f-credit-code", credit_code).await;
    tab.fill("#f-industry-code", "C2221").await;
    tab.fill("#f-location-lon", "107.39").await;
    tab.fill("#f-location-lat", "29.70").await;
    tab.fill("#f-investment-fen", "12,500,000").await;
}

/// The id of the case a case page shows.
async fn case_id(tab: &Tab) -> String {
    let path = tab.path().await;
    path.trim_start_matches("/cases/")
        .split(['?', '#', '/'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Opens an action's form on the case page (a disclosure) and sends it.
async fn act(tab: &Tab, action: &str, fields: &[(&str, &str)]) {
    let open = tab
        .find(&format!("#act-{action}"))
        .await
        .attr("open")
        .await
        .expect("attr");
    if open.is_none() {
        tab.click(&format!("#act-{action} > summary")).await;
    }
    for (name, value) in fields {
        tab.fill(&format!("#act-{action} [name='{name}']"), value)
            .await;
    }
    tab.submit(&format!("#act-{action} button[type=submit]"))
        .await;
}

async fn state(tab: &Tab) -> String {
    tab.text(".case-head .tag-state").await
}

#[tokio::test]
async fn every_role_does_its_work_in_a_browser() {
    let Some(driver) = driver().await else { return };
    // On SQLite, then on PostgreSQL when it answers: the pages must not depend on the database.
    on_every_database(|db| every_role_flow(&driver, db)).await;
}

async fn every_role_flow(driver: &Driver, db: TestDb) -> TestDb {
    // Monday 2 March 2026, 09:00 in Shanghai.
    let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
    seed_demo(&app).await;
    let mut tab = Tab::open(driver, &app.address).await;

    // Anyone: the sign-in page, and a page that does not exist.
    tab.go("/login").await;
    tab.check("sign-in", "zh", true).await;
    tab.go("/no-such-page").await;
    tab.check("not-found", "zh", false).await;

    // ---- The applicant starts a report form through the classification step (in Chinese).
    tab.sign_in("ann@acme.example", "applicant", "zh").await;
    tab.check("home", "zh", true).await;
    tab.go("/cases/new").await;
    tab.check("new", "zh", false).await;
    // Hand-made paper: item 37's catch-all is a report unless an exception applies, and
    // 手工纸制造 is a report form.
    tab.fill("#f-code", "C2221").await;
    tab.submit("button[name=go][value=search]").await;
    tab.click("#pick-37").await;
    tab.submit("#found button[name=go][value=choose]").await;
    tab.click("#f-a-37-report-1").await;
    tab.click("#f-a-37-report-form-1").await;
    tab.submit("button[name=classify]").await;
    let result = tab.text("#classification").await;
    assert!(result.contains("评价类别：环境影响报告表"), "{result}");
    assert!(
        result.contains("手工纸制造"),
        "the deciding condition: {result}"
    );
    tab.check("new-classified", "zh", true).await;
    tab.submit("#continue").await;
    assert!(tab.path().await.starts_with("/cases/new/eia_report_form?"));
    // One deliberate error: a credit code whose check character is wrong. Shown in both
    // languages, the form as it came back each time.
    for lang in ["en", "zh"] {
        tab.set_lang(lang).await;
        assert!(tab.path().await.starts_with("/cases/new/eia_report_form"));
        fill_project(&tab, "91350100M000100Y44").await;
        tab.submit("button[name=intent][value=create]").await;
        tab.check_here("new-form-error", lang).await;
    }
    let summary = tab.text("#error-summary").await;
    assert!(
        summary.contains("统一社会信用代码：校验码应为 3，实为 4"),
        "{summary}"
    );
    let next_to_field = tab.text("#f-credit-code-error").await;
    assert!(
        next_to_field.contains("校验码应为 3，实为 4"),
        "{next_to_field}"
    );
    // Corrected; the site checked against the waterfront rules before saving.
    tab.fill("#f-credit-code", "91350100M000100Y43").await;
    tab.submit("button[name=intent][value=siting]").await;
    let siting = tab.text("#siting .siting").await;
    assert!(
        siting.contains("乌江") && siting.contains("716 m"),
        "{siting}"
    );
    tab.check_here("new-form-siting", "zh").await;
    tab.submit("button[name=intent][value=create]").await;
    assert!(
        tab.path().await.contains("done=created"),
        "{}",
        tab.body().await
    );
    assert_eq!(state(&tab).await, "草稿，尚未提交");
    let id = case_id(&tab).await;
    // Checking the answers: the details can be changed before submitting.
    tab.click("#details .section-head a").await;
    tab.find("form.data-form").await;
    tab.check("case-edit", "zh", false).await;
    tab.go(&format!("/cases/{id}")).await;
    // A document, then the submission.
    let dir = tempfile::tempdir().expect("dir");
    let report = dir.path().join("report-form.pdf");
    std::fs::write(&report, b"%PDF-1.4\n% EIA report form\n").expect("file");
    tab.find("#f-file")
        .await
        .send_keys(&report.display().to_string())
        .await
        .expect("choose file");
    tab.submit("form.upload button[type=submit]").await;
    assert!(tab.text("#documents").await.contains("report-form.pdf"));
    // The history names the document, its version and size, not its payload's keys.
    let history = tab.text("#timeline").await;
    assert!(history.contains("report-form.pdf，第 1 版"), "{history}");
    assert!(
        !history.contains("sha256") && !history.contains("content type"),
        "{history}"
    );
    act(&tab, "submit", &[]).await;
    assert_eq!(state(&tab).await, "已提交：受理审查");
    tab.check("case", "zh", true).await;

    // ---- The reviewer sends one supplement notice listing what is missing (in English).
    tab.sign_in("rui@bureau.example", "reviewer", "en").await;
    tab.go("/inbox").await;
    assert!(tab
        .text("#inbox-results")
        .await
        .contains("涪陵纸业扩建项目"));
    tab.check("inbox", "en", true).await;
    tab.click(&format!("a[href='/cases/{id}']")).await;
    tab.find(".case-head").await;
    tab.check("case", "en", true).await;
    act(
        &tab,
        "request_supplement",
        &[
            ("missing_items", "Site plan\nNoise survey"),
            ("comment", "Both in one notice."),
        ],
    )
    .await;
    assert_eq!(
        state(&tab).await,
        "Materials incomplete: waiting for the applicant's supplement"
    );

    // ---- The applicant sees every missing item at home, supplies them and resubmits.
    tab.sign_in("ann@acme.example", "applicant", "zh").await;
    let home = tab.text(".cards").await;
    assert!(
        home.contains("Site plan") && home.contains("Noise survey"),
        "{home}"
    );
    tab.check("home-waiting", "zh", false).await;
    tab.go(&format!("/cases/{id}")).await;
    let plan = dir.path().join("site-plan.pdf");
    std::fs::write(&plan, b"%PDF-1.4\n% site plan\n").expect("file");
    tab.find("#f-file")
        .await
        .send_keys(&plan.display().to_string())
        .await
        .expect("choose file");
    tab.submit("form.upload button[type=submit]").await;
    // Beside the resubmit form, the items the notice asked for.
    let asked = tab.text("#asked").await;
    assert!(
        asked.contains("Site plan") && asked.contains("Noise survey"),
        "{asked}"
    );
    tab.check("case-supplement", "zh", true).await;
    act(
        &tab,
        "resubmit",
        &[("comment", "总平面图与噪声监测报告已补充。")],
    )
    .await;
    assert_eq!(state(&tab).await, "已提交：受理审查");

    // ---- An EIA agency files for the enterprise that granted it access.
    tab.sign_in("gus@green.example", "agency", "zh").await;
    tab.check("home", "zh", false).await;
    tab.go("/cases/new/eia_report_form?industry_code=C2221")
        .await;
    assert!(tab.text("#f-organisation").await.contains("ACME"));
    fill_project(&tab, "91350100M000100Y43").await;
    tab.check_here("new-form", "zh").await;
    tab.submit("button[name=intent][value=create]").await;
    assert_eq!(state(&tab).await, "草稿，尚未提交");
    assert!(
        tab.text(".meta").await.contains("ACME"),
        "filed for the enterprise"
    );

    // ---- The reviewer accepts.
    tab.sign_in("rui@bureau.example", "reviewer", "en").await;
    tab.go("/admin").await;
    assert!(tab.text("h1").await.contains("You cannot do this"));
    tab.check("forbidden", "en", false).await;
    tab.go(&format!("/cases/{id}")).await;
    act(&tab, "accept", &[]).await;
    assert_eq!(
        state(&tab).await,
        "Accepted: public comment on the report form"
    );

    // ---- The administrator moves the clock past the publicity (5 working days).
    tab.sign_in("admin@bureau.example", "admin", "en").await;
    tab.go("/admin").await;
    tab.check("admin", "en", false).await;
    tab.go("/admin/no-such-section").await;
    assert!(
        tab.text("nav").await.contains("Administration"),
        "the person's own frame"
    );
    tab.check("not-found", "en", false).await;
    tab.go("/admin").await;
    tab.fill("#f-advance-hours", "192").await;
    tab.submit("#clock-advance button[type=submit]").await;
    assert!(tab.body().await.contains("The clock is moved"));
    tab.go("/admin/users/ann%40acme.example").await;
    tab.check("admin-user", "en", false).await;

    // ---- The reviewer records the evaluation and proposes approval with conditions.
    tab.sign_in("rui@bureau.example", "reviewer", "en").await;
    tab.go(&format!("/cases/{id}")).await;
    assert_eq!(
        state(&tab).await,
        "Technical evaluation by experts (clock stopped)"
    );
    act(
        &tab,
        "complete_evaluation",
        &[("conclusion", "Acceptable with measures.")],
    )
    .await;
    act(
        &tab,
        "propose_approval",
        &[(
            "conditions",
            "Wastewater to the park plant\nNoise below 55 dB at night",
        )],
    )
    .await;
    assert_eq!(
        state(&tab).await,
        "Proposed decision published; a hearing may be requested"
    );

    // ---- The clock passes the proposal's publicity; a different official decides.
    tab.sign_in("admin@bureau.example", "admin", "en").await;
    tab.go("/admin").await;
    tab.fill("#f-advance-hours", "192").await;
    tab.submit("#clock-advance button[type=submit]").await;
    tab.sign_in("amy@bureau.example", "approver", "en").await;
    tab.go("/inbox").await;
    tab.check("inbox", "en", false).await;
    tab.go(&format!("/cases/{id}")).await;
    assert_eq!(state(&tab).await, "Waiting for the deciding official");
    act(
        &tab,
        "approve",
        &[(
            "conditions",
            "Wastewater to the park plant\nNoise below 55 dB at night",
        )],
    )
    .await;
    assert_eq!(state(&tab).await, "Approved: announcement pending");

    // ---- The applicant sees the approval and its conditions.
    tab.sign_in("ann@acme.example", "applicant", "zh").await;
    tab.go(&format!("/cases/{id}")).await;
    assert_eq!(state(&tab).await, "予以批准：待公告");
    let history = tab.text("#timeline").await;
    assert!(history.contains("予以批准，附审批条件"), "{history}");
    assert!(history.contains("Noise below 55 dB at night"), "{history}");
    tab.check("case-approved", "zh", true).await;
    tab.go("/cases").await;
    tab.check("cases", "zh", true).await;

    // ---- The auditor verifies every chain and can export the history.
    tab.sign_in("audrey@bureau.example", "auditor", "en").await;
    tab.go("/audit").await;
    tab.submit("form[action='/audit/verify'] button").await;
    assert!(tab
        .text("#verify-result")
        .await
        .contains("Every chain holds"));
    tab.check("audit", "en", false).await;
    tab.go(&format!("/cases/{id}")).await;
    assert!(
        tab.client
            .find(Locator::Css("#actions form"))
            .await
            .is_err(),
        "auditors change nothing"
    );
    tab.check("case", "en", true).await;

    tab.client.clone().close().await.expect("close");
    db
}

#[tokio::test]
async fn pages_work_by_keyboard_and_without_javascript() {
    let Some(driver) = driver().await else { return };
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    seed_demo(&app).await;
    let mut tab = Tab::open(&driver, &app.address).await;
    tab.sign_in("rui@bureau.example", "reviewer", "en").await;
    tab.set_lang("en").await;
    // The first Tab reaches the skip link, which leads to the main content.
    tab.go("/inbox").await;
    tab.find("body")
        .await
        .send_keys("\u{e004}")
        .await
        .expect("tab");
    let focused = tab
        .client
        .execute("return document.activeElement.className", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, json!("skip"));
    tab.client.clone().close().await.expect("close");

    // In a browser with JavaScript off, the inbox filters and saved views work as plain forms.
    let mut plain = Tab::open_without_javascript(&driver, &app.address).await;
    plain.sign_in("rui@bureau.example", "reviewer", "en").await;
    plain.go("/inbox").await;
    // The proof that no script of the page ran: htmx, which every page loads, is not there.
    let scripted = plain
        .client
        .execute("return typeof window.htmx", vec![])
        .await
        .expect("ask");
    assert_eq!(scripted, json!("undefined"), "htmx must not have loaded");
    plain.find("#f-overdue").await.click().await.expect("check");
    plain.submit("#inbox-filters button[type=submit]").await;
    assert!(plain.path().await.contains("overdue=1"));
    plain.fill("#f-name", "Overdue only").await;
    plain.submit("form.save-view button").await;
    assert!(plain.text(".views").await.contains("Overdue only"));
    plain.client.clone().close().await.expect("close");
    db.drop_it().await;
}

#[tokio::test]
async fn the_public_reads_a_notice_and_comments_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    seed_demo(&app).await;
    let mut tab = Tab::open(&driver, &app.address).await;
    tab.role = "public".into();
    // No sign-in: the bulletin, in both languages.
    tab.go("/public").await;
    tab.check("bulletin", "zh", true).await;
    assert!(tab.body().await.contains("受理公示"));
    tab.set_lang("en").await;
    tab.click("a[href='/public?kind=acceptance']").await;
    assert!(tab.path().await.contains("kind=acceptance"));
    tab.click("table a[href^='/public/notices/']").await;
    assert!(tab.text("h1").await.contains("Acceptance notice"));
    tab.check("notice", "en", true).await;
    // A comment with an error first (no text), then sent.
    tab.fill("#f-name", "Zhang San").await;
    tab.submit("form[action$='/comments'] button").await;
    assert!(tab.body().await.contains("There is a problem"));
    tab.check_here("notice-comment-error", "en").await;
    tab.fill("#f-text", "Please keep the river bank green.")
        .await;
    tab.submit("form[action$='/comments'] button").await;
    assert!(tab.body().await.contains("Your comment has been recorded"));
    tab.check_here("notice-comment-sent", "en").await;
    // The check against the chain.
    tab.click("a[href$='/verify']").await;
    assert!(tab.body().await.contains("The chain holds."));
    tab.check("verify", "en", false).await;
    // The reform figures and the market's results, from the public sections' links.
    tab.go("/public").await;
    tab.click(".sections a[href='/public/reform']").await;
    assert!(tab
        .body()
        .await
        .contains("Approvals needed before a business licence"));
    assert!(tab.text("#pre_licence table").await.contains("190"));
    tab.check("reform", "en", true).await;
    tab.select("#f-period", "year").await;
    tab.submit("form.filterbar button").await;
    assert!(tab.path().await.contains("period=year"));
    tab.click(".sections a[href='/public/market']").await;
    assert!(tab.body().await.contains("Closed auctions and listings"));
    tab.check("market", "en", true).await;
    tab.client.clone().close().await.expect("close");
    db.drop_it().await;
}

/// The id of the demo's open lot of this kind, from the market board.
async fn lot_on_board(tab: &Tab, kind: &str) -> String {
    tab.go("/market").await;
    let cards = tab
        .client
        .find_all(Locator::Css(".lot"))
        .await
        .expect("cards");
    for card in cards {
        let text = card.text().await.unwrap_or_default();
        if text.contains(kind) {
            let a = card.find(Locator::Css("h2 a")).await.expect("link");
            let href = a.attr("href").await.expect("href").unwrap_or_default();
            return href.trim_start_matches("/market/lots/").to_string();
        }
    }
    panic!("no {kind} on the board");
}

#[tokio::test]
async fn an_auction_a_listing_and_a_transfer_through_the_interface() {
    let Some(driver) = driver().await else { return };
    // On SQLite, then on PostgreSQL when it answers.
    on_every_database(|db| market_flow(&driver, db)).await;
}

async fn market_flow(driver: &Driver, db: TestDb) -> TestDb {
    let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
    seed_demo(&app).await;
    let mut tab = Tab::open(driver, &app.address).await;

    // ---- The operator records permits, a group and deposits.
    tab.sign_in("mo@exchange.example", "operator", "en").await;
    tab.go("/operator").await;
    tab.check("desk", "en", true).await;
    for (org, no) in [("HUAXIN", "500102-HX-2025"), ("JIANGBEI", "500105-JB-2025")] {
        tab.select("#p-org", org).await;
        tab.fill("#p-no", no).await;
        tab.select("#p-basin", "yangtze_upper").await;
        tab.set_value("#p-valid", "2029-12-31").await;
        tab.submit("form[action='/operator/participants'] button")
            .await;
        let desk = tab.body().await;
        assert!(desk.contains(no), "{org}'s permit is listed");
        assert!(
            desk.contains("The permit and group are recorded."),
            "said so: {desk}"
        );
        assert!(
            desk.contains(&format!("{no} · Upper Yangtze")),
            "its basin by name: {desk}"
        );
    }
    // A permit without its basin is refused next to the form, and nothing changes.
    tab.select("#p-org", "HUAXIN").await;
    tab.fill("#p-no", "HALF").await;
    tab.select("#p-basin", "").await;
    tab.submit("form[action='/operator/participants'] button")
        .await;
    assert!(tab.body().await.contains("There is a problem"));
    tab.check_here("desk-error", "en").await;
    let auction = lot_on_board(&tab, "Auction").await;
    tab.go("/operator").await;
    for org in ["HUAXIN", "JIANGBEI"] {
        tab.select(&format!("#d-org-{auction}"), org).await;
        tab.fill(&format!("#d-ref-{auction}"), &format!("DEP-{org}"))
            .await;
        tab.submit(&format!(
            "form[action='/operator/lots/{auction}/deposits'] button"
        ))
        .await;
        let desk = tab.body().await;
        assert!(desk.contains(&format!("DEP-{org}")));
        assert!(desk.contains("The deposit is recorded"), "said so: {desk}");
    }
    // Issuance asks for a confirmation first.
    tab.select("#i-pollutant", "NH3-N").await;
    tab.select("#i-basin", "yangtze_upper").await;
    tab.set_value("#i-valid", "2030-12-31").await;
    tab.fill("#i-amount", "500").await;
    tab.submit("form[action='/operator/issue'] button").await;
    assert!(tab.body().await.contains("Please confirm"));
    tab.check_here("desk-confirm", "en").await;
    tab.submit("#confirm form button[type=submit]").await;
    assert!(tab.body().await.contains("Issued equals held"));
    // An allocation's price is typed in yuan and confirmed in yuan; fen are not yuan.
    tab.select("#a-org", "HUAXIN").await;
    tab.select("#a-pollutant", "NH3-N").await;
    tab.select("#a-basin", "yangtze_upper").await;
    tab.set_value("#a-valid", "2030-12-31").await;
    tab.fill("#a-amount", "100").await;
    tab.fill("#f-price-yuan", "0.301").await;
    tab.submit("form[action='/operator/allocate'] button").await;
    assert!(tab.text("#f-price-yuan-error").await.contains("yuan"));
    tab.fill("#f-price-yuan", "0.30").await;
    tab.submit("form[action='/operator/allocate'] button").await;
    let confirm = tab.text("#confirm").await;
    assert!(confirm.contains("at ¥0.30 per kg"), "{confirm}");
    tab.submit("#confirm form button[type=submit]").await;
    assert!(tab.body().await.contains("Issued equals held"));

    // ---- Three traders bid: Yangtze changes its bid, Jiangbei withdraws.
    tab.sign_in("li@yangtze.example", "trader", "zh").await;
    tab.go("/market").await;
    tab.check("board", "zh", true).await;
    tab.go(&format!("/market/lots/{auction}")).await;
    tab.set_lang("en").await;
    assert!(
        tab.body().await.contains("800 kg"),
        "its own bid from the demo"
    );
    tab.click("#bids details > summary").await;
    tab.fill("#bids input[name=amount_kg]", "1200").await;
    tab.fill("#bids input[name=price_yuan]", "0.35").await;
    tab.submit("#bids button[value=change]").await;
    assert!(tab.body().await.contains("Your bid is changed"));
    tab.check("lot-auction", "en", true).await;

    tab.sign_in("hua@huaxin.example", "trader2", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    assert!(
        !tab.body().await.contains("¥0.35"),
        "another's bid is sealed"
    );
    tab.fill("#f-bid-amount", "700").await;
    // Prices are typed in yuan; a fraction of a fen is named at the price.
    tab.fill("#f-bid-price", "0.305").await;
    tab.submit("form[action$='/bids'] button").await;
    assert!(tab.body().await.contains("This could not be done"));
    assert!(tab.body().await.contains("Price per kg (yuan): "));
    tab.check_here("lot-bid-error", "en").await;
    // The share left to bid for goes down with each bid.
    let still = |hint: String| -> i64 {
        let after = hint.split("still bid for ").nth(1).unwrap_or_default();
        after
            .split(" kg")
            .next()
            .unwrap_or_default()
            .replace(',', "")
            .parse()
            .unwrap_or(-1)
    };
    let before = still(tab.text("#f-bid-price-hint").await);
    tab.fill("#f-bid-amount", "700").await;
    tab.fill("#f-bid-price", "0.33").await;
    tab.submit("form[action$='/bids'] button").await;
    assert!(tab.body().await.contains("Your sealed bid is placed"));
    let left = still(tab.text("#f-bid-price-hint").await);
    assert_eq!(left, before - 700, "{before} before the bid");
    assert!(tab.text("#bids").await.contains("Receipt"));

    tab.sign_in("jia@jiangbei.example", "trader3", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    for (amount, price) in [("500", "0.31"), ("300", "0.32")] {
        tab.fill("#f-bid-amount", amount).await;
        tab.fill("#f-bid-price", price).await;
        tab.submit("form[action$='/bids'] button").await;
    }
    tab.click("#bids details > summary").await;
    tab.submit("#bids button[value=withdraw]").await;
    assert!(tab.body().await.contains("Your bid is withdrawn"));
    assert!(
        tab.text("#bids").await.contains("300 kg"),
        "the other bid stands"
    );

    // A seller's other representative, and an enterprise without a permit, may not bid.
    tab.sign_in("ann@acme.example", "seller", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    assert!(!tab.body().await.contains("Place a sealed bid"));

    // ---- A listing take: Huaxin takes a part; too much is refused plainly.
    tab.sign_in("hua@huaxin.example", "trader2", "en").await;
    let listing = lot_on_board(&tab, "Fixed-price listing").await;
    tab.go(&format!("/market/lots/{listing}")).await;
    tab.check("lot-listing", "en", true).await;
    tab.fill("#f-amount", "5000").await;
    tab.submit("form[action$='/take'] button").await;
    assert!(
        tab.body().await.contains("800 kg remain"),
        "{}",
        tab.body().await
    );
    tab.fill("#f-amount", "100").await;
    tab.submit("form[action$='/take'] button").await;
    assert!(tab.body().await.contains("Taken"));
    tab.go("/accounts").await;
    assert!(
        tab.text("table").await.contains("3,100"),
        "3,000 allocated + 100 taken"
    );
    tab.check("holdings", "en", true).await;
    tab.click("a[href^='/accounts/']").await;
    assert!(tab.body().await.contains("+100"));
    tab.check("ledger", "en", false).await;

    // ---- A negotiated transfer: Acme proposes it from its holdings; a second representative
    // approves the transfer out (the two-person rule) from the case page; the operator checks it.
    tab.sign_in("ann@acme.example", "seller", "en").await;
    tab.go("/accounts").await;
    tab.click("a[href='/cases/new/negotiated_transfer']").await;
    tab.select("#f-pollutant", "COD").await;
    tab.select("#f-basin", "yangtze_upper").await;
    tab.set_value("#f-valid-to", "2030-12-31").await;
    tab.fill("#f-amount-kg", "300").await;
    tab.fill("#f-price-fen", "0.40").await;
    tab.fill("#f-buyer", "JIANGBEI").await;
    tab.check_here("transfer-new", "en").await;
    tab.submit("button[value=create]").await;
    let transfer = case_id(&tab).await;
    act(&tab, "submit", &[]).await;
    assert_eq!(
        state(&tab).await,
        "Waiting for a second representative of the seller"
    );
    assert!(
        tab.find_all("#act-approve_transfer_out").await.is_empty(),
        "the one who submitted may not also approve"
    );
    tab.sign_in("al@acme.example", "seller2", "en").await;
    tab.go(&format!("/cases/{transfer}")).await;
    // The second representative approves the price as typed: ¥0.40 per kg, not 40.
    let details = tab.text("#details").await;
    assert!(
        details.contains("Price per kg (yuan)\n¥0.40")
            || details.contains("Price per kg (yuan) ¥0.40"),
        "{details}"
    );
    assert!(!details.contains("(yuan)\n40"), "{details}");
    assert!(
        details.contains("¥120.00"),
        "the total of 300 kg at ¥0.40: {details}"
    );
    tab.check("transfer-approval", "en", true).await;
    act(&tab, "approve_transfer_out", &[]).await;
    tab.sign_in("mo@exchange.example", "operator", "en").await;
    tab.go("/operator").await;
    let desk = tab.body().await;
    assert!(
        !desk.contains("market-kind-"),
        "a kind of lot by its name: {desk}"
    );
    assert!(desk.contains("Negotiated transfer"), "{desk}");
    tab.click(&format!("a[href='/cases/{transfer}']")).await;
    act(&tab, "approve_listing", &[]).await;
    assert!(
        state(&tab).await.contains("payment"),
        "{}",
        state(&tab).await
    );
    // A payment is confirmed with the payer's reference, in two steps; a missing reference is
    // named at its field.
    tab.go("/operator").await;
    tab.check("operator", "zh", true).await;
    tab.set_lang("en").await;
    let pay = format!("form[action='/operator/payments/{transfer}']");
    tab.submit(&format!("{pay} button")).await;
    let desk = tab.text("#payments").await;
    assert!(desk.contains("Type the payer's reference"), "{desk}");
    tab.check_here("operator-payment-error", "en").await;
    tab.fill(&format!("#f-ref-{transfer}"), "CQB-2026-0042")
        .await;
    tab.submit(&format!("{pay} button")).await;
    let confirm = tab.text("#confirm").await;
    assert!(
        confirm.contains("CQB-2026-0042")
            && confirm.contains("¥120.00")
            && confirm.contains("300 kg"),
        "who paid what, with which reference: {confirm}"
    );
    tab.check_here("operator-payment-confirm", "en").await;
    tab.submit("#confirm button[type=submit]").await;
    assert!(
        tab.body().await.contains("The payment is recorded"),
        "{}",
        tab.body().await
    );
    tab.go(&format!("/cases/{transfer}")).await;
    assert_eq!(state(&tab).await, "Settled and registered");
    tab.sign_in("jia@jiangbei.example", "trader3", "en").await;
    tab.go("/accounts").await;
    assert!(
        tab.text("table").await.contains("300"),
        "the transfer settled"
    );

    // ---- The clock passes the close; each trader sees its own award only.
    tab.sign_in("admin@bureau.example", "admin", "en").await;
    tab.go("/admin").await;
    tab.fill("#f-advance-hours", "721").await;
    tab.submit("#clock-advance button[type=submit]").await;
    tab.sign_in("li@yangtze.example", "trader", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    let page = tab.body().await;
    assert!(page.contains("Your awards"), "{page}");
    // The award itself, in the list under that heading: its kilograms, its price and its value.
    let mine = tab.text("#your-awards li").await;
    assert!(
        mine.contains("1,200 kg") && mine.contains("¥"),
        "the award is listed: {mine}"
    );
    assert!(
        !page.contains("700 kg"),
        "another's award is not shown: {page}"
    );
    // The winner is told what to pay, to which account, quoting which reference, by when; and
    // no longer offered a bidding box or told that it may not bid.
    let how = tab.text("#how-to-pay").await;
    assert!(
        how.contains("Amount due")
            && how.contains("¥")
            && how.contains("PW-")
            && how.contains("account"),
        "{how}"
    );
    assert!(
        !page.contains("may not bid") && tab.find_all("#f-bid-amount").await.is_empty(),
        "{page}"
    );
    tab.check("lot-result", "en", true).await;

    // ---- The operator sees every bid and the replay, and confirms a payment.
    tab.sign_in("mo@exchange.example", "operator", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    assert!(tab.body().await.contains("the allocation matches"));
    tab.check("lot-replay", "en", false).await;
    tab.go("/operator").await;
    let items = tab
        .client
        .find_all(Locator::Css("#payments li"))
        .await
        .expect("awards");
    let mut confirmed = false;
    for item in items {
        if item.text().await.unwrap_or_default().contains("YANGTZE") {
            item.find(Locator::Css("input[name=payment_reference]"))
                .await
                .expect("reference")
                .send_keys("CQB-2026-0043")
                .await
                .expect("type");
            item.find(Locator::Css("button"))
                .await
                .expect("button")
                .click()
                .await
                .expect("click");
            confirmed = true;
            break;
        }
    }
    if confirmed {
        let confirm = tab.text("#confirm").await;
        assert!(confirm.contains("CQB-2026-0043"), "{confirm}");
        tab.check_here("operator-award-confirm", "en").await;
        tab.submit("#confirm button[type=submit]").await;
    }
    assert!(
        confirmed,
        "Yangtze's award waits for its payment: {}",
        tab.text("#payments").await
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    tab.sign_in("li@yangtze.example", "trader", "en").await;
    tab.go(&format!("/market/lots/{auction}")).await;
    let page = tab.body().await;
    assert!(
        page.contains("Paid: the market operator confirmed")
            && tab.find_all("#how-to-pay").await.is_empty(),
        "after payment, the winner's page says so: {page}"
    );
    tab.check("lot-paid", "en", true).await;
    tab.go("/accounts").await;
    let holdings = tab.text("table").await;
    assert!(
        holdings.contains("4,400"),
        "3,000 + 200 taken + 1,200 won: {holdings}"
    );

    // ---- The dashboards, the catalogue, the siting check and the procedures.
    tab.go("/stats?period=year").await;
    assert!(tab.body().await.contains("Pollution-rights trading"));
    tab.check("stats", "en", true).await;
    tab.go("/catalogue?on=2019-01-01").await;
    assert!(tab.body().await.contains("32"));
    tab.check("catalogue", "en", false).await;
    tab.go("/siting").await;
    tab.fill("#f-lon", "107.39").await;
    tab.fill("#f-lat", "29.70").await;
    tab.fill("#f-industry", "C2614").await;
    tab.submit("form[action='/siting'] button").await;
    assert!(
        tab.body().await.contains("Rule broken"),
        "{}",
        tab.body().await
    );
    tab.check("siting", "en", true).await;
    tab.go("/workflows").await;
    tab.check("workflows", "en", false).await;
    tab.go("/workflows/auction").await;
    tab.check("workflow", "en", false).await;
    tab.client.clone().close().await.expect("close");
    db
}

/// The deciding official refused; the reviewer announces the refusal, and the button, the page
/// and the permanent history say "refusal", never "approval", in both languages and at 375 px.
#[tokio::test]
async fn a_refusal_is_announced_as_a_refusal_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let db = TestDb::sqlite().await;
    let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
    seed_demo(&app).await;
    let id = crate::web::proposed(&app, "propose_refusal", json!({"grounds": ["emissions"]})).await;
    let amy = user("amy@bureau.example", "CQEEB", &["approver"]);
    let r = crate::eia::step(&app, &amy, &id, "refuse", json!({"grounds": ["emissions"]})).await;
    assert_eq!(r["state"], "refused", "{r}");
    let mut tab = Tab::open(&driver, &app.address).await;
    tab.sign_in("rui@bureau.example", "reviewer", "zh").await;
    tab.go(&format!("/cases/{id}")).await;
    tab.check("case-refused", "en", true).await;
    assert!(
        tab.text("#actions").await.contains("Announce the refusal"),
        "{}",
        tab.text("#actions").await
    );
    tab.set_lang("zh").await;
    let actions = tab.text("#actions").await;
    assert!(
        actions.contains("公告不予批准决定") && !actions.contains("公告批准决定"),
        "{actions}"
    );
    act(&tab, "announce", &[]).await;
    let decision = tab.text(".decision").await;
    assert!(
        decision.contains("污染物排放不能达标或生态破坏无法有效预防（第三项）")
            && !decision.contains("emissions"),
        "the decision names its grounds by their labels: {decision}"
    );
    let history = tab.text("#timeline").await;
    assert!(history.contains("公告不予批准决定"), "{history}");
    assert!(!history.contains("公告批准决定"), "{history}");
    assert!(
        history.contains("污染物排放不能达标或生态破坏无法有效预防（第三项）"),
        "the grounds by their labels: {history}"
    );
    tab.check("refusal-announced", "zh", true).await;
    tab.set_lang("en").await;
    let history = tab.text("#timeline").await;
    assert!(
        history.contains("Announce the refusal") && !history.contains("Announce the approval"),
        "{history}"
    );
    tab.client.clone().close().await.expect("close");
    db.drop_it().await;
}

/// bpmn-js 17.11.1 (the bpmn.io viewer), from the npm registry.
const BPMN_VIEWER: &str = include_str!("../browser/bpmn-viewer.min.js");

#[tokio::test]
async fn every_workflow_export_opens_in_the_bpmn_io_viewer() {
    let Some(driver) = driver().await else { return };
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    let tab = Tab::open(&driver, &app.address).await;
    tab.go("/login").await;
    tab.client
        .execute(BPMN_VIEWER, vec![])
        .await
        .expect("the viewer loads");
    let script = r#"
        const done = arguments[arguments.length - 1];
        let box = document.getElementById('bpmn-box');
        if (!box) { box = document.createElement('div'); box.id = 'bpmn-box';
          box.style.width = '1600px'; box.style.height = '900px'; document.body.appendChild(box); }
        box.innerHTML = '';
        const viewer = new BpmnJS({container: box});
        viewer.importXML(arguments[0])
          .then(r => done({ok: true, warnings: r.warnings.map(w => w.message),
                           shapes: viewer.get('elementRegistry').getAll().length}))
          .catch(e => done({ok: false, error: String(e)}));"#;
    let loaded =
        greenlane::app::workflows::load_dir(std::path::Path::new("workflows")).expect("workflows");
    for l in &loaded {
        for lang in [
            greenlane::web::i18n::Lang::En,
            greenlane::web::i18n::Lang::Zh,
        ] {
            let xml = greenlane::web::pages::workflows::bpmn(&l.definition, lang);
            let r = tab
                .client
                .execute_async(script, vec![json!(xml)])
                .await
                .expect("import runs");
            assert_eq!(r["ok"], true, "{} ({lang:?}): {r}", l.definition.key);
            assert_eq!(r["warnings"], json!([]), "{} ({lang:?})", l.definition.key);
            assert!(
                r["shapes"].as_u64().unwrap_or(0) > l.definition.states.len() as u64,
                "{}: drawn",
                l.definition.key
            );
        }
    }
    tab.client.clone().close().await.expect("close");
    db.drop_it().await;
}

/// The classification catalogue as people use it: the public look-up without signing in, and
/// the guided start that classifies a dyeing line, a hospital with 100 beds, a project the
/// catalogue does not cover and a paper mill, which is then opened as a case. Both languages,
/// axe-core, 375 px.
#[tokio::test]
async fn the_catalogue_classifies_in_a_browser_in_both_languages() {
    let Some(driver) = driver().await else { return };
    let db = TestDb::sqlite().await;
    let app = spawn_app_at(&db, "2026-03-02T01:00:00Z").await;
    seed_demo(&app).await;
    let mut tab = Tab::open(&driver, &app.address).await;

    // Anyone: a printing-and-dyeing line found by its code; dyeing needs a report (item 28).
    tab.go("/public/classification?code=C1713").await;
    assert!(tab.text("main").await.contains("棉纺织及印染精加工171*"));
    tab.check("public-classification", "zh", true).await;
    tab.go("/public/classification/2021/28").await;
    tab.click("#f-a-28-report-2").await;
    tab.submit("form.cls-form button[type=submit]").await;
    let result = tab.text("#classification").await;
    assert!(result.contains("环境影响报告书"), "{result}");
    assert!(result.contains("染整工艺有前处理、染色、印花"), "{result}");
    tab.check("public-classification-item", "zh", true).await;

    tab.sign_in("ann@acme.example", "applicant", "en").await;
    // A hospital with 100 beds: below the report's 500, so the report form's 其他 decides.
    tab.go(&format!("/cases/new?q={}", url_escape("医院")))
        .await;
    tab.click("#pick-108").await;
    tab.submit("#found button[name=go][value=choose]").await;
    tab.fill("#f-a-108-report-1", "100").await;
    tab.submit("button[name=classify]").await;
    let result = tab.text("#classification").await;
    assert!(result.contains("Category: Report form"), "{result}");
    assert!(
        result.contains("其他（住院床位20张以下的除外）"),
        "{result}"
    );
    tab.check("new-hospital", "en", true).await;
    // A size that is not a number is named at its field, in the reader's language.
    tab.fill("#f-a-108-report-1", "many").await;
    tab.submit("button[name=classify]").await;
    assert!(tab
        .text("#f-a-108-report-1-error")
        .await
        .contains("Enter a number"));
    tab.check_here("new-error", "en").await;

    // Converted paper without coating, impregnation, printing or gluing: not covered.
    tab.go("/cases/new?item=37").await;
    tab.click("#f-a-37-report-1").await;
    tab.submit("button[name=classify]").await;
    let result = tab.text("#classification").await;
    assert!(result.contains("Not covered by the catalogue"), "{result}");
    assert!(
        result.contains("第五条 本名录未作规定的建设项目"),
        "{result}"
    );
    assert!(
        tab.find_all("#continue").await.is_empty(),
        "no case is opened"
    );
    tab.check("new-not-covered", "en", true).await;

    // A paper mill: a report, opened as a case that records its classification.
    tab.go("/cases/new?item=37&code=C2221").await;
    tab.submit("button[name=classify]").await;
    let result = tab.text("#classification").await;
    assert!(
        result.contains("Category: Report (full assessment)"),
        "{result}"
    );
    assert!(
        result.contains("全部（手工纸、加工纸制造除外）"),
        "{result}"
    );
    tab.submit("#continue").await;
    assert!(tab.path().await.starts_with("/cases/new/eia_report?"));
    assert!(tab
        .text("#carried-classification")
        .await
        .contains("全部（手工纸、加工纸制造除外）"));
    fill_project(&tab, "91350100M000100Y43").await;
    tab.submit("button[name=intent][value=create]").await;
    assert!(
        tab.path().await.contains("done=created"),
        "{}",
        tab.body().await
    );
    let details = tab.text("#details").await;
    assert!(
        details.contains("Item 37: 纸浆制造221*；造纸222*（含废纸造纸）")
            && details
                .contains("Report (full assessment), decided by EIA report (报告书), condition 1"),
        "{details}"
    );
    tab.check("case-classified", "en", true).await;
}
