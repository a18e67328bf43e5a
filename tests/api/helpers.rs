//! Test harness: each test gets a fresh database (a SQLite file, and a PostgreSQL database when
//! one answers), a real server on port 0, and a typed client.

use std::future::Future;
use std::path::PathBuf;

use greenlane::settings::{ClockMode, JwtSettings, MailConfig, Settings};
use greenlane::startup::Application;
use greenlane::store::admin;
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub fn jwt() -> JwtSettings {
    JwtSettings {
        secret: SECRET.into(),
        issuer: "greenlane".into(),
        audience: "greenlane-api".into(),
    }
}

pub fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

/// A database that exists for one test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }

    /// Where this test's mail files go when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        match self {
            TestDb::Sqlite { _dir, .. } => _dir.path().join("mail"),
            TestDb::Postgres { name, .. } => std::env::temp_dir().join(format!("{name}-mail")),
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDb::Sqlite { _dir: dir, url }
    }

    async fn postgres(admin: &str) -> TestDb {
        let name = format!("greenlane_test_{}", Uuid::now_v7().simple());
        let url = admin::create_database(admin, &name)
            .await
            .expect("create test database");
        TestDb::Postgres {
            admin: admin.to_string(),
            name,
            url,
        }
    }

    /// The log's signing key of this database's server.
    pub fn log_key_file(&self) -> PathBuf {
        self.mail_dir().with_extension("log.key")
    }

    pub async fn drop_it(self) {
        let _ = std::fs::remove_file(self.log_key_file());
        let _ = std::fs::remove_dir_all(self.mail_dir());
        let docs = self.mail_dir().with_file_name(format!(
            "{}-documents",
            self.mail_dir()
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let _ = std::fs::remove_dir_all(docs);
        if let TestDb::Postgres { admin, name, .. } = self {
            admin::drop_database(&admin, &name)
                .await
                .expect("drop test database");
        }
    }
}

static POSTGRES: OnceCell<Option<String>> = OnceCell::const_new();

/// The PostgreSQL admin URL when a server answers. With `GREENLANE_REQUIRE_POSTGRES=1` (as in CI)
/// an unreachable server fails the test instead of being skipped.
async fn postgres_admin() -> Option<String> {
    POSTGRES
        .get_or_init(|| async {
            let url = admin::postgres_admin_url();
            if admin::postgres_reachable(&url).await {
                Some(url)
            } else if std::env::var("GREENLANE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("GREENLANE_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at {url}");
            } else {
                // Written to the process's stderr directly, so that the test harness does not capture it.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTE: PostgreSQL does not answer at {url}: database tests run on SQLite only"
                );
                None
            }
        })
        .await
        .clone()
}

/// Runs `test` once on a fresh SQLite file and once on a fresh PostgreSQL database when one
/// answers. Each database is dropped afterwards.
pub async fn on_every_database<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = TestDb>,
{
    let db = test(TestDb::sqlite().await).await;
    db.drop_it().await;
    if let Some(admin) = postgres_admin().await {
        let db = test(TestDb::postgres(&admin).await).await;
        db.drop_it().await;
    }
}

/// A fresh PostgreSQL database when a server answers (see [`postgres_admin`]).
pub async fn postgres_only() -> Option<TestDb> {
    match postgres_admin().await {
        Some(admin) => Some(TestDb::postgres(&admin).await),
        None => None,
    }
}

pub fn settings(db: &TestDb, workflows: PathBuf) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: db.url().to_string(),
        jwt_secret: Some(SECRET.into()),
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir: workflows,
        clock: ClockMode::System,
        mail: MailConfig::files(db.mail_dir(), "http://greenlane.test"),
        worker: true,
        documents_dir: db.mail_dir().with_file_name(format!(
            "{}-documents",
            db.mail_dir()
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        )),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        oidc: Vec::new(),
        timer_workers: 2,
        trusted_proxies: Vec::new(),
        log_origin: "greenlane.test/log".into(),
        password_sign_in: true,
        group_commit: true,
        log_key_file: db.log_key_file(),
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub app: greenlane::app::App,
    pub mailer: std::sync::Arc<greenlane::mail::Mailer>,
}

pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(settings(db, workflows_dir())).await
}

/// Settings for an app whose clock is manual, starting at `start` (RFC 3339).
pub fn settings_at(db: &TestDb, start: &str) -> Settings {
    let mut s = settings(db, workflows_dir());
    s.clock = ClockMode::Manual {
        start: Some(
            chrono::DateTime::parse_from_rfc3339(start)
                .expect("RFC 3339")
                .with_timezone(&chrono::Utc),
        ),
    };
    s
}

/// An app whose clock is manual, starting at `start` (RFC 3339).
pub async fn spawn_app_at(db: &TestDb, start: &str) -> TestApp {
    spawn_app_with(settings_at(db, start)).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    // `TEST_LOG=1 cargo test ...` shows the server's log, including the causes behind 5xx answers.
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn,greenlane=info")
            .try_init();
    }
    let application = Application::build(&settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let app = application.app.clone();
    let mailer = application.mailer.clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        app,
        mailer,
    }
}

/// A person with a token.
#[derive(Clone)]
pub struct User {
    pub token: String,
}

pub fn user(sub: &str, org: &str, roles: &[&str]) -> User {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let token = greenlane::token::issue(
        &jwt(),
        sub,
        org,
        &roles,
        chrono::Duration::hours(1),
        chrono::Utc::now(),
    )
    .expect("token");
    User { token }
}

pub fn applicant() -> User {
    user("ann@acme.example", "ACME", &["applicant"])
}

pub fn reviewer() -> User {
    user("rui@bureau.example", "CQEEB", &["reviewer"])
}

pub fn admin() -> User {
    user("ada@bureau.example", "CQEEB", &["admin"])
}

pub fn project() -> Value {
    json!({
        "project_name": "Fuling paper mill expansion",
        "credit_code": "91350100M000100Y43",
        "industry_code": "C2221",
        "location": {"type": "Point", "coordinates": [107.39, 29.70]},
        "investment_fen": 120_000_000,
        "category": "report_form"
    })
}

/// A response's status and JSON body.
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    pub async fn put(&self, who: &User, path: &str, body: &Value) -> Reply {
        let resp = self
            .client
            .put(self.url(path))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .expect("request");
        Self::reply(resp).await
    }

    pub async fn delete(&self, who: &User, path: &str) -> Reply {
        let resp = self
            .client
            .delete(self.url(path))
            .bearer_auth(&who.token)
            .send()
            .await
            .expect("request");
        Self::reply(resp).await
    }

    pub async fn get(&self, who: &User, path: &str) -> Reply {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(&who.token)
            .send()
            .await
            .expect("request");
        Self::reply(resp).await
    }

    pub async fn post(
        &self,
        who: &User,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let mut req = self
            .client
            .post(self.url(path))
            .bearer_auth(&who.token)
            .json(body);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        Self::reply(req.send().await.expect("request")).await
    }

    pub async fn create_case(&self, who: &User, data: Value) -> Reply {
        self.post(
            who,
            "/api/v1/cases",
            &json!({"workflow": "eia_report_form", "data": data}),
            None,
        )
        .await
    }

    /// Creates a case and returns its id.
    pub async fn new_case(&self, who: &User) -> String {
        let r = self.create_case(who, project()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    pub async fn act(
        &self,
        who: &User,
        id: &str,
        action: &str,
        version: i64,
        data: Value,
    ) -> Reply {
        self.post(
            who,
            &format!("/api/v1/cases/{id}/actions/{action}"),
            &json!({"expected_version": version, "data": data}),
            None,
        )
        .await
    }

    /// Moves the manual clock to `t` (RFC 3339); whatever falls due fires before this returns.
    pub async fn set_clock(&self, t: &str) -> Value {
        let r = self
            .post(&admin(), "/api/v1/admin/clock", &json!({"set": t}), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    /// One clock of a case, by name.
    pub async fn clock(&self, who: &User, id: &str, name: &str) -> Value {
        let case = self.case(who, id).await;
        case["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no clock {name} in {case}"))
    }

    pub async fn case(&self, who: &User, id: &str) -> Value {
        let r = self.get(who, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    pub async fn history(&self, who: &User, id: &str) -> Vec<Value> {
        let r = self.get(who, &format!("/api/v1/cases/{id}/history")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["entries"].as_array().expect("entries").clone()
    }
}

/// Asserts an error reply: status, code, and the shape every error body has.
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["error"], code, "{}", r.body);
    assert!(r.body["message"].is_string(), "{}", r.body);
    assert!(r.body["details"].is_object(), "{}", r.body);
}

/// Organisations ACME and OTHER (enterprises), CQEEB (the bureau), GREENAG (an agency), and
/// users ann@acme.example (applicant, en), gus@green.example (agency, zh), rui@bureau.example
/// (reviewer, zh), all with the password `correct horse battery`.
pub async fn seed_directory(app: &TestApp) {
    let ada = admin();
    for (code, name, kind, credit) in [
        (
            "ACME",
            "Acme Paper Co.",
            "enterprise",
            Some("91350100M000100Y43"),
        ),
        (
            "OTHER",
            "Other Chemicals Ltd.",
            "enterprise",
            Some("91110000802100433B"),
        ),
        (
            "CQEEB",
            "Chongqing Ecology and Environment Bureau",
            "bureau",
            None,
        ),
        ("GREENAG", "Green EIA Agency", "agency", None),
    ] {
        let r = app
            .post(
                &ada,
                "/api/v1/admin/organisations",
                &json!({"code": code, "name": name, "kind": kind, "credit_code": credit}),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for (email, org, roles, lang) in [
        ("ann@acme.example", "ACME", vec!["applicant"], "en"),
        ("gus@green.example", "GREENAG", vec!["agency"], "zh"),
        ("rui@bureau.example", "CQEEB", vec!["reviewer"], "zh"),
    ] {
        let r = app
            .post(&ada, "/api/v1/admin/users", &json!({"email": email, "name": email, "org": org, "roles": roles, "lang": lang, "password": "correct horse battery"}), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

/// A valid unified social credit code for test enterprise `i`.
pub fn credit_code(i: usize) -> String {
    let first17 = format!("915000000000{i:05}");
    let check = greenlane::domain::credit_code::check_character(first17.as_bytes())
        .expect("valid characters");
    format!("{first17}{check}")
}

/// The market operator of the exchange.
pub fn operator() -> User {
    user("mo@exchange.example", "CQEX", &["market_operator"])
}

/// COD rights in the upper Yangtze basin, valid to the end of 2031.
pub fn asset() -> Value {
    json!({"pollutant": "COD", "basin": "yangtze_upper", "valid_to": "2031-12-31"})
}

/// Asserts the registry's totals: for every asset, what was issued is what is held.
pub async fn balanced(app: &TestApp) {
    let t = app.get(&operator(), "/api/v1/registry/totals").await;
    for total in t.body["totals"].as_array().expect("totals") {
        assert_eq!(total["balanced"], true, "{total}");
    }
}
