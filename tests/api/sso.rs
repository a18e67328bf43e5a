//! Staff sign in on the web desk through the bureau's identity provider: a small OpenID Connect
//! provider on loopback (discovery, JWKS, an authorization endpoint that approves at once, a
//! token endpoint that checks the code, PKCE and the client, RS256 and ES256 ID tokens, an
//! end-session endpoint) and the real app on a real port.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use jsonwebtoken::Header;
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use sha2::Digest;

use crate::helpers::*;
use crate::oidc::{b64, ec_key, rsa_key, TestKey};
use crate::smtp::free_port;
use greenlane::settings::{OidcIssuer, ProviderSignIn};

const CLIENT_ID: &str = "greenlane-desk";
const SECRET: &str = "desk-secret-of-the-bureau";

/// Who the provider says is at the keyboard, and what it does wrong on purpose.
#[derive(Clone)]
pub struct Person {
    pub email: String,
    pub verified: bool,
    pub roles: Vec<String>,
    /// Sign with this key index (of [`Idp::keys`]), or with the unpublished rogue key.
    pub key: usize,
    pub rogue: bool,
    pub nonce: Option<String>,
    pub exp_offset: i64,
}

impl Person {
    pub fn new(email: &str) -> Person {
        Person {
            email: email.into(),
            verified: true,
            roles: Vec::new(),
            key: 0,
            rogue: false,
            nonce: None,
            exp_offset: 0,
        }
    }
}

struct Grant {
    person: Person,
    nonce: String,
    challenge: String,
    redirect_uri: String,
    used: bool,
}

/// The provider's state.
pub struct Idp {
    pub base: String,
    keys: Vec<TestKey>,
    rogue: TestKey,
    /// `token_endpoint_auth_methods_supported`.
    methods: Vec<&'static str>,
    secret: Option<String>,
    pub person: Mutex<Person>,
    grants: Mutex<HashMap<String, Grant>>,
    /// The query of each authorization request.
    pub authorized: Mutex<Vec<HashMap<String, String>>>,
    /// How the client authenticated at the token endpoint, per exchange.
    pub client_auth: Mutex<Vec<String>>,
}

impl Idp {
    fn id_token(&self, grant: &Grant) -> String {
        let p = &grant.person;
        let key = if p.rogue {
            &self.rogue
        } else {
            &self.keys[p.key]
        };
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.base, "sub": format!("idp-{}", p.email), "aud": CLIENT_ID,
            "iat": now, "exp": now + 300 + p.exp_offset,
            "nonce": p.nonce.clone().unwrap_or_else(|| grant.nonce.clone()),
            "email": p.email, "email_verified": p.verified,
        });
        if !p.roles.is_empty() {
            claims["realm_access"] = json!({ "roles": p.roles });
        }
        jsonwebtoken::encode(&header, &claims, &key.encoding).expect("an ID token")
    }
}

fn error(status: u16, code: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .json(json!({ "error": code }))
}

/// The client's credentials: HTTP Basic or in the form, and which.
fn credentials(
    req: &actix_web::HttpRequest,
    form: &HashMap<String, String>,
) -> (Option<(String, String)>, &'static str) {
    if let Some(basic) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(basic)
            .unwrap_or_default();
        let text = String::from_utf8(raw).unwrap_or_default();
        let (id, secret) = text.split_once(':').unwrap_or_default();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        return (Some((decode(id), decode(secret))), "basic");
    }
    match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => (Some((id.clone(), secret.clone())), "post"),
        _ => (None, "none"),
    }
}

async fn token_endpoint(
    idp: actix_web::web::Data<Idp>,
    req: actix_web::HttpRequest,
    form: actix_web::web::Form<HashMap<String, String>>,
) -> actix_web::HttpResponse {
    let form = form.into_inner();
    let (given, how) = credentials(&req, &form);
    if let Some(secret) = &idp.secret {
        if given != Some((CLIENT_ID.to_string(), secret.clone())) {
            return error(401, "invalid_client");
        }
    }
    idp.client_auth.lock().expect("lock").push(how.to_string());
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return error(400, "unsupported_grant_type");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let mut grants = idp.grants.lock().expect("lock");
    let Some(grant) = grants.get_mut(&code) else {
        return error(400, "invalid_grant");
    };
    if grant.used {
        return error(400, "invalid_grant");
    }
    grant.used = true;
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = b64(&sha2::Sha256::digest(verifier.as_bytes()));
    if challenge != grant.challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return error(400, "invalid_grant");
    }
    let id_token = idp.id_token(grant);
    actix_web::HttpResponse::Ok().json(json!({
        "access_token": "at-opaque", "token_type": "Bearer", "expires_in": 300,
        "id_token": id_token,
    }))
}

async fn authorize(
    idp: actix_web::web::Data<Idp>,
    q: actix_web::web::Query<HashMap<String, String>>,
) -> actix_web::HttpResponse {
    let q = q.into_inner();
    idp.authorized.lock().expect("lock").push(q.clone());
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    idp.grants.lock().expect("lock").insert(
        code.clone(),
        Grant {
            person: idp.person.lock().expect("lock").clone(),
            nonce: q.get("nonce").cloned().unwrap_or_default(),
            challenge: q.get("code_challenge").cloned().unwrap_or_default(),
            redirect_uri: redirect_uri.clone(),
            used: false,
        },
    );
    let back = reqwest::Url::parse_with_params(
        &redirect_uri,
        &[
            ("code", code.as_str()),
            ("state", q.get("state").map(String::as_str).unwrap_or("")),
        ],
    )
    .expect("redirect uri");
    actix_web::HttpResponse::SeeOther()
        .insert_header(("location", back.to_string()))
        .finish()
}

/// Starts the provider; `methods` is what it says of client authentication.
pub async fn start_idp(methods: Vec<&'static str>, secret: Option<&str>) -> Arc<Idp> {
    use actix_web::web;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!(
        "http://127.0.0.1:{}/realms/bureau",
        listener.local_addr().expect("addr").port()
    );
    let idp = Arc::new(Idp {
        base: base.clone(),
        keys: vec![rsa_key("rs-1"), ec_key("es-1")],
        rogue: rsa_key("rs-1"),
        methods,
        secret: secret.map(str::to_string),
        person: Mutex::new(Person::new("rui@bureau.example")),
        grants: Mutex::new(HashMap::new()),
        authorized: Mutex::new(Vec::new()),
        client_auth: Mutex::new(Vec::new()),
    });
    let data = web::Data::from(idp.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .route(
                "/realms/bureau/.well-known/openid-configuration",
                web::get().to(|idp: web::Data<Idp>| async move {
                    let b = &idp.base;
                    actix_web::HttpResponse::Ok().json(json!({
                        "issuer": b,
                        "authorization_endpoint": format!("{b}/authorize"),
                        "token_endpoint": format!("{b}/token"),
                        "jwks_uri": format!("{b}/jwks"),
                        "end_session_endpoint": format!("{b}/logout"),
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                        "token_endpoint_auth_methods_supported": idp.methods,
                        "code_challenge_methods_supported": ["S256"],
                    }))
                }),
            )
            .route(
                "/realms/bureau/jwks",
                web::get().to(|idp: web::Data<Idp>| async move {
                    let keys: Vec<Value> = idp.keys.iter().map(|k| k.jwk.clone()).collect();
                    actix_web::HttpResponse::Ok().json(json!({ "keys": keys }))
                }),
            )
            .route("/realms/bureau/authorize", web::get().to(authorize))
            .route("/realms/bureau/token", web::post().to(token_endpoint))
            .route(
                "/realms/bureau/logout",
                web::get().to(|| async {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body("<!doctype html><title>Signed out</title><h1>Signed out of the bureau</h1>")
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    idp
}

/// The app on a port of its own, its public URL that port, trusting `idp` for the web desk.
pub async fn desk_app(
    db: &TestDb,
    idp: &Idp,
    secret: Option<&str>,
    configure: impl FnOnce(&mut OidcIssuer, &mut greenlane::settings::Settings),
) -> TestApp {
    let port = free_port();
    let mut s = settings(db, workflows_dir());
    s.bind = format!("127.0.0.1:{port}");
    s.mail.public_url = format!("http://127.0.0.1:{port}");
    let mut issuer = OidcIssuer::new(&idp.base, CLIENT_ID);
    issuer.algorithms = vec![
        jsonwebtoken::Algorithm::RS256,
        jsonwebtoken::Algorithm::ES256,
    ];
    issuer.sign_in = Some(ProviderSignIn {
        client_id: CLIENT_ID.into(),
        client_secret: secret.map(str::to_string),
        name: "Bureau ID".into(),
    });
    configure(&mut issuer, &mut s);
    s.oidc = vec![issuer];
    let app = spawn_app_with(s).await;
    seed_directory(&app).await;
    app
}

fn browser() -> reqwest::Client {
    let mut english = reqwest::header::HeaderMap::new();
    english.insert(
        "accept-language",
        reqwest::header::HeaderValue::from_static("en"),
    );
    reqwest::Client::builder()
        .default_headers(english)
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn session_set(r: &reqwest::Response) -> bool {
    r.headers().get_all("set-cookie").iter().any(|c| {
        let c = c.to_str().unwrap_or_default();
        c.starts_with("gl_session=") && !c.starts_with("gl_session=;")
    })
}

/// A query parameter of a URL.
fn param(url: &reqwest::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no `{name}` in {url}"))
}

/// The form token of a page.
fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form token")
        .to_string()
}

/// Begins at `/login/oidc`, passes the provider, and returns the callback URL it sends back.
async fn to_provider_and_back(c: &reqwest::Client, app: &TestApp, next: &str) -> String {
    let r = c
        .get(format!("{}/login/oidc?next={next}", app.address))
        .send()
        .await
        .expect("begin");
    assert_eq!(r.status(), 303, "the desk sends the person to the provider");
    let r = c.get(location(&r)).send().await.expect("authorize");
    assert_eq!(r.status(), 303);
    location(&r)
}

/// The whole round: the callback's answer.
async fn sign_in(c: &reqwest::Client, app: &TestApp, next: &str) -> reqwest::Response {
    let back = to_provider_and_back(c, app, next).await;
    c.get(back).send().await.expect("callback")
}

/// Asserts a refusal: its status, a sentence of its message on the page, and no session.
async fn refused(
    r: reqwest::Response,
    c: &reqwest::Client,
    app: &TestApp,
    status: u16,
    says: &str,
) {
    assert_eq!(r.status(), status);
    assert!(!session_set(&r), "a refusal opens no session");
    let page = r.text().await.expect("page");
    assert!(page.contains("id=\"sign-in-refused\""), "{page}");
    assert!(page.contains(says), "the page says {says:?}: {page}");
    let inbox = c
        .get(format!("{}/inbox", app.address))
        .send()
        .await
        .expect("inbox");
    assert_eq!(inbox.status(), 303, "not signed in after a refusal");
}

#[tokio::test]
async fn staff_sign_in_through_the_identity_provider_and_every_bad_answer_is_refused() {
    on_every_database(|db| async move {
        let idp = start_idp(
            vec!["client_secret_basic", "client_secret_post"],
            Some(SECRET),
        )
        .await;
        let app = desk_app(&db, &idp, Some(SECRET), |_, _| {}).await;

        // The button, beside the password form.
        let c = browser();
        let page = c
            .get(format!("{}/login", app.address))
            .send()
            .await
            .expect("login")
            .text()
            .await
            .expect("page");
        assert!(page.contains("Sign in with Bureau ID"), "{page}");
        assert!(page.contains("href=\"/login/oidc?next=/\""), "{page}");
        assert!(
            page.contains("name=\"password\""),
            "the password form is still offered"
        );

        // The redirect's parameters.
        let r = c
            .get(format!(
                "{}/login/oidc?next=%2Finbox%3Fmine%3D1",
                app.address
            ))
            .send()
            .await
            .expect("begin");
        assert_eq!(r.status(), 303);
        let to = reqwest::Url::parse(&location(&r)).expect("a URL");
        assert_eq!(
            to.as_str().split('?').next(),
            Some(format!("{}/authorize", idp.base).as_str())
        );
        let q: HashMap<String, String> = to.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        let scopes: Vec<&str> = q["scope"].split(' ').collect();
        for s in ["openid", "email", "profile"] {
            assert!(scopes.contains(&s), "scope {s} in {scopes:?}");
        }
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(
            q["redirect_uri"],
            format!("{}/login/oidc/callback", app.address)
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43, "a SHA-256 in base64url");
        assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
        let pending = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .find(|v| v.starts_with("gl_oidc="))
            .expect("the pending cookie");
        assert!(pending.contains("HttpOnly") && pending.contains("Path=/login/oidc"));
        assert!(
            !pending.contains(&q["nonce"]),
            "the cookie is signed, not a plain copy"
        );

        // A successful sign-in: the same session as a password sign-in, back where they were.
        let r = c
            .get(
                c.get(to.as_str())
                    .send()
                    .await
                    .expect("authorize")
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .expect("back")
                    .to_string(),
            )
            .send()
            .await
            .expect("callback");
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/inbox?mine=1");
        assert!(session_set(&r), "a session is opened");
        assert_eq!(
            idp.client_auth
                .lock()
                .expect("lock")
                .last()
                .map(String::as_str),
            Some("basic")
        );
        let inbox = c
            .get(format!("{}/inbox", app.address))
            .send()
            .await
            .expect("inbox");
        assert_eq!(inbox.status(), 200);
        let inbox = inbox.text().await.expect("inbox");
        assert!(
            inbox.contains("rui@bureau.example"),
            "signed in as the directory's person"
        );
        // The administration page says how and when.
        let admin_page = {
            let a = browser();
            let users = app.get(&admin(), "/api/v1/users").await;
            assert!(users.body.to_string().contains("rui@bureau.example"));
            assert!(
                !users.body.to_string().contains("last_sign_in"),
                "colleagues do not read each other's sign-ins"
            );
            // An administrator signs in by password to look.
            let form = a
                .get(format!("{}/login", app.address))
                .send()
                .await
                .expect("login")
                .text()
                .await
                .expect("page");
            let csrf = csrf_of(&form);
            greenlane::app::directory::add_user(
                &app.app,
                &admin_actor(),
                greenlane::app::directory::NewUser {
                    email: "ada@bureau.example".into(),
                    name: "Ada".into(),
                    org: "CQEEB".into(),
                    roles: vec!["admin".into()],
                    lang: Some("en".into()),
                    password: Some("correct horse battery".into()),
                },
                None,
            )
            .await
            .expect("an administrator");
            let r = a
                .post(format!("{}/login", app.address))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("next", "/admin/users/rui%40bureau.example"),
                    ("email", "ada@bureau.example"),
                    ("password", "correct horse battery"),
                ])
                .send()
                .await
                .expect("password sign-in");
            assert_eq!(r.status(), 303);
            a.get(format!("{}/admin/users/rui%40bureau.example", app.address))
                .send()
                .await
                .expect("user page")
                .text()
                .await
                .expect("page")
        };
        let last = admin_page
            .split("id=\"last-sign-in\"")
            .nth(1)
            .and_then(|s| s.split("</p>").next())
            .expect("the last sign-in");
        assert!(last.contains("Identity provider"), "{last}");
        // Signing out ends the session here and sends the person to the provider's end.
        let form = c
            .get(format!("{}/inbox", app.address))
            .send()
            .await
            .expect("inbox")
            .text()
            .await
            .expect("page");
        let csrf = csrf_of(&form);
        let r = c
            .post(format!("{}/logout", app.address))
            .header("origin", &app.address)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), 303);
        let end = reqwest::Url::parse(&location(&r)).expect("the provider's end");
        assert!(
            end.as_str().starts_with(&format!("{}/logout?", idp.base)),
            "{end}"
        );
        let q: HashMap<String, String> = end.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], CLIENT_ID);
        // The provider's own ID token of this session, so that it need not ask.
        let hint = q["id_token_hint"].split('.').nth(1).expect("a JWT");
        let hint: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(hint)
                .expect("base64"),
        )
        .expect("claims");
        assert_eq!(hint["sub"], "idp-rui@bureau.example");
        assert_eq!(
            q["post_logout_redirect_uri"],
            format!("{}/login", app.address)
        );
        let r = c
            .get(format!("{}/inbox", app.address))
            .send()
            .await
            .expect("inbox");
        assert_eq!(r.status(), 303, "the session has ended");

        // ---- Refusals: each a page in the reader's language, and no session.
        // The provider declined.
        let r = c
            .get(format!(
                "{}/login/oidc/callback?error=access_denied&state=x",
                app.address
            ))
            .send()
            .await
            .expect("callback");
        refused(r, &c, &app, 400, "did not sign you in").await;
        // A wrong state: the code is good, the state is not this browser's.
        let back = to_provider_and_back(&c, &app, "/").await;
        let mut wrong = reqwest::Url::parse(&back).expect("url");
        let code = param(&wrong, "code");
        wrong.set_query(Some(&format!("code={code}&state=forged")));
        refused(
            c.get(wrong.as_str()).send().await.expect("cb"),
            &c,
            &app,
            400,
            "did not start in this browser",
        )
        .await;
        // A missing state, in Chinese for a Chinese reader.
        let back = to_provider_and_back(&c, &app, "/").await;
        let mut bare = reqwest::Url::parse(&back).expect("url");
        bare.set_query(Some(&format!("code={code}")));
        let r = c
            .get(bare.as_str())
            .header("accept-language", "zh-CN")
            .send()
            .await
            .expect("cb");
        refused(r, &c, &app, 400, "此次登录并非从本浏览器发起").await;
        // A callback in a browser that never began: no pending sign-in.
        let stranger = browser();
        let r = stranger.get(&back).send().await.expect("cb");
        refused(r, &stranger, &app, 400, "did not start in this browser").await;
        // A code already used: the first round signs in; a new round's state with the old code
        // is refused by the provider.
        let first = to_provider_and_back(&c, &app, "/").await;
        let r = c.get(&first).send().await.expect("cb");
        assert!(session_set(&r));
        let again = browser();
        let fresh = to_provider_and_back(&again, &app, "/").await;
        let state = param(&reqwest::Url::parse(&fresh).expect("url"), "state");
        let mut replay = reqwest::Url::parse(&first).expect("url");
        let used = param(&replay, "code");
        replay.set_query(Some(&format!("code={used}&state={state}")));
        refused(
            again.get(replay.as_str()).send().await.expect("cb"),
            &again,
            &app,
            403,
            "used already",
        )
        .await;

        // The ID token's checks: each fault of the provider's is refused.
        let faults: [(Fault, &str); 5] = [
            (
                |p| p.nonce = Some("another-nonce".into()),
                "could not be verified",
            ),
            (|p| p.exp_offset = -3600, "had already expired"),
            (|p| p.rogue = true, "could not be verified"),
            (|p| p.verified = false, "does not confirm your e-mail"),
            (
                |p| p.email = "nobody@bureau.example".into(),
                "no user with that address",
            ),
        ];
        for (fault, says) in faults {
            let mut p = Person::new("rui@bureau.example");
            fault(&mut p);
            *idp.person.lock().expect("lock") = p;
            let c = browser();
            let r = sign_in(&c, &app, "/").await;
            refused(r, &c, &app, 403, says).await;
        }
        // A person the directory has deactivated.
        greenlane::app::directory::update_user(
            &app.app,
            &admin_actor(),
            "gus@green.example",
            greenlane::app::directory::UserUpdate {
                active: Some(false),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("deactivated");
        *idp.person.lock().expect("lock") = Person::new("gus@green.example");
        let c = browser();
        let r = sign_in(&c, &app, "/").await;
        refused(r, &c, &app, 403, "has been deactivated").await;

        // ES256 signs as well as RS256.
        let mut p = Person::new("ann@acme.example");
        p.key = 1;
        *idp.person.lock().expect("lock") = p;
        let c = browser();
        let r = sign_in(&c, &app, "/").await;
        assert_eq!(r.status(), 303, "an ES256 ID token is accepted");
        assert!(session_set(&r));
        db
    })
    .await;
}

/// Something the provider gets wrong on purpose.
type Fault = fn(&mut Person);

fn admin_actor() -> greenlane::engine::Actor {
    greenlane::engine::Actor::person(
        "admin@bureau.example",
        "CQEEB",
        [greenlane::domain::Role::Admin].into_iter().collect(),
    )
}

#[tokio::test]
async fn a_public_client_a_post_only_provider_the_roles_claim_and_no_passwords() {
    let db = TestDb::sqlite().await;
    // A provider that takes the client's secret only in the form.
    let idp = start_idp(vec!["client_secret_post"], Some(SECRET)).await;
    let app = desk_app(&db, &idp, Some(SECRET), |issuer, s| {
        issuer.roles_claim = "realm_access.roles".into();
        issuer.roles_claim_set = true;
        s.password_sign_in = false;
    })
    .await;
    // The roles claim decides, within what the directory grants.
    let mut p = Person::new("rui@bureau.example");
    p.roles = vec!["offline_access".into(), "reviewer".into()];
    *idp.person.lock().expect("lock") = p;
    let c = browser();
    let r = sign_in(&c, &app, "/inbox").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        idp.client_auth
            .lock()
            .expect("lock")
            .last()
            .map(String::as_str),
        Some("post")
    );
    assert_eq!(
        c.get(format!("{}/inbox", app.address))
            .send()
            .await
            .expect("inbox")
            .status(),
        200
    );
    let mut p = Person::new("rui@bureau.example");
    p.roles = vec!["applicant".into()];
    *idp.person.lock().expect("lock") = p;
    let c = browser();
    let r = sign_in(&c, &app, "/").await;
    refused(r, &c, &app, 403, "none of the roles").await;

    // No password form; a posted password is refused, on the page and in the API.
    let page = c
        .get(format!("{}/login", app.address))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("page");
    assert!(!page.contains("name=\"password\""), "no password form");
    assert!(page.contains("id=\"sign-in-provider\""));
    // No form, so no form token: the post carries none (as a script would).
    let csrf = page.contains("name=\"csrf\"").then(|| csrf_of(&page));
    let r = c
        .post(format!("{}/login", app.address))
        .form(&[
            ("csrf", csrf.as_deref().unwrap_or("")),
            ("email", "ann@acme.example"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("post");
    assert!(r.status() == 403, "{}", r.status());
    let r = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .json(&json!({"email": "ann@acme.example", "password": "correct horse battery"}))
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "password_sign_in_off");
    db.drop_it().await;

    // A public client: no secret, PKCE alone.
    let db = TestDb::sqlite().await;
    let idp = start_idp(vec!["none"], None).await;
    let app = desk_app(&db, &idp, None, |_, _| {}).await;
    let c = browser();
    let r = sign_in(&c, &app, "/").await;
    assert_eq!(r.status(), 303);
    assert!(session_set(&r));
    assert_eq!(
        idp.client_auth
            .lock()
            .expect("lock")
            .last()
            .map(String::as_str),
        Some("none")
    );
    db.drop_it().await;

    // A provider that cannot be reached: the page says so, with a time to come back.
    let db = TestDb::sqlite().await;
    let port = free_port();
    let mut s = settings(&db, workflows_dir());
    let nowhere = format!("http://127.0.0.1:{}/realms/x", free_port());
    let mut issuer = OidcIssuer::new(&nowhere, CLIENT_ID);
    issuer.timeout = std::time::Duration::from_secs(2);
    issuer.sign_in = Some(ProviderSignIn {
        client_id: CLIENT_ID.into(),
        client_secret: None,
        name: "Bureau ID".into(),
    });
    s.bind = format!("127.0.0.1:{port}");
    s.mail.public_url = format!("http://127.0.0.1:{port}");
    s.oidc = vec![issuer];
    let app = spawn_app_with(s).await;
    let c = browser();
    let r = c
        .get(format!("{}/login/oidc", app.address))
        .send()
        .await
        .expect("begin");
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(!session_set(&r));
    let page = r.text().await.expect("page");
    assert!(page.contains("cannot be reached just now"), "{page}");
    db.drop_it().await;
}

#[tokio::test]
async fn a_reviewer_signs_in_through_the_provider_in_a_browser_in_both_languages() {
    let Some(driver) = crate::browser::driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let idp = start_idp(vec!["client_secret_basic"], Some(SECRET)).await;
    let app = desk_app(&db, &idp, Some(SECRET), |_, _| {}).await;
    let mut tab = crate::browser::Tab::open(&driver, &app.address).await;
    tab.role = "reviewer".into();
    for (lang, button, refusal) in [
        (
            "en",
            "Sign in with Bureau ID",
            "has no user with that address",
        ),
        ("zh", "使用 Bureau ID 登录", "没有该邮箱的用户"),
    ] {
        *idp.person.lock().expect("lock") = Person::new("rui@bureau.example");
        tab.go(&format!("/lang/{lang}?next=/login")).await;
        assert_eq!(tab.text("#sign-in-provider").await, button);
        if lang == "en" {
            // Both languages, and at 375 px wide.
            tab.check("sign-in-provider", "en", true).await;
        } else {
            tab.check_here("sign-in-provider", lang).await;
        }
        tab.submit("#sign-in-provider").await;
        // Through the provider and back, signed in, on the home page.
        assert_eq!(tab.path().await, "/", "back home after the provider");
        assert!(
            tab.body().await.contains("rui@bureau.example"),
            "signed in as the directory's person"
        );
        // Signing out goes on to the provider's end of the session.
        tab.submit("form[action='/logout'] button").await;
        assert!(tab.body().await.contains("Signed out of the bureau"));
        // A person the directory does not know: the page says so in the reader's language.
        *idp.person.lock().expect("lock") = Person::new("stranger@bureau.example");
        tab.go("/login").await;
        tab.submit("#sign-in-provider").await;
        assert!(tab.path().await.starts_with("/login/oidc/callback"));
        let said = tab.text("#sign-in-refused").await;
        assert!(said.contains(refusal), "{said}");
        assert!(said.contains("stranger@bureau.example"));
        tab.check_here("sign-in-refused", lang).await;
    }
    let _ = tab.client.close().await;
    db.drop_it().await;
}
