//! Tokens from external OpenID Connect issuers: a discovery and JWKS server on loopback, with
//! RSA and P-256 keys made here, serves two tenants; the app trusts both with different pins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;
use greenlane::settings::OidcIssuer;

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key made in the test, with its public half as a JWK.
pub(crate) struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub jwk: Value,
}

pub(crate) fn rsa_key(kid: &str) -> TestKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let der = key.to_pkcs1_der().expect("DER");
    TestKey {
        kid: kid.into(),
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be()),
        }),
    }
}

pub(crate) fn ec_key(kid: &str) -> TestKey {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a P-256 key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("the key pair");
    let point = pair.public_key().as_ref();
    TestKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "kid": kid,
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }),
    }
}

/// The identity provider: per tenant a key set, and how often each document was fetched.
#[derive(Default)]
struct Provider {
    keys: Mutex<HashMap<String, Vec<Value>>>,
    hits: Mutex<HashMap<String, usize>>,
}

impl Provider {
    fn publish(&self, tenant: &str, keys: &[&TestKey]) {
        self.keys
            .lock()
            .expect("lock")
            .insert(tenant.into(), keys.iter().map(|k| k.jwk.clone()).collect());
    }

    fn hits(&self, what: &str) -> usize {
        self.hits
            .lock()
            .expect("lock")
            .get(what)
            .copied()
            .unwrap_or(0)
    }
}

async fn start_provider(provider: Arc<Provider>) -> String {
    use actix_web::{web, HttpResponse};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let data = web::Data::from(provider);
    let origin = base.clone();
    let server = actix_web::HttpServer::new(move || {
        let origin = origin.clone();
        actix_web::App::new()
            .app_data(data.clone())
            .route(
                "/{tenant}/.well-known/openid-configuration",
                web::get().to(move |p: web::Data<Provider>, tenant: web::Path<String>| {
                    let origin = origin.clone();
                    async move {
                        *p.hits
                            .lock()
                            .expect("lock")
                            .entry(format!("{tenant}/discovery"))
                            .or_default() += 1;
                        HttpResponse::Ok().json(json!({
                            "issuer": format!("{origin}/{tenant}"),
                            "jwks_uri": format!("{origin}/{tenant}/jwks"),
                        }))
                    }
                }),
            )
            .route(
                "/{tenant}/jwks",
                web::get().to(
                    |p: web::Data<Provider>, tenant: web::Path<String>| async move {
                        *p.hits
                            .lock()
                            .expect("lock")
                            .entry(format!("{tenant}/jwks"))
                            .or_default() += 1;
                        let keys = p
                            .keys
                            .lock()
                            .expect("lock")
                            .get(tenant.as_str())
                            .cloned()
                            .unwrap_or_default();
                        HttpResponse::Ok().json(json!({ "keys": keys }))
                    },
                ),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    base
}

fn token(key: &TestKey, claims: Value) -> User {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    User {
        token: jsonwebtoken::encode(&header, &claims, &key.encoding).expect("a token"),
    }
}

fn claims(issuer: &str, extra: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "iss": issuer, "aud": "greenlane-desk", "sub": "8f3a0c", "iat": now, "exp": now + 600,
        "email": "ann@acme.example", "tenant": "ACME",
        "realm_access": {"roles": ["offline_access", "applicant"]},
    });
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            c.insert(k.clone(), v.clone());
        }
    }
    c
}

#[tokio::test]
async fn tokens_from_a_configured_provider_are_checked_against_its_published_keys() {
    let provider = Arc::new(Provider::default());
    let base = start_provider(provider.clone()).await;
    let (key_a, key_b, key_e, rogue) = (rsa_key("a"), rsa_key("b"), ec_key("e"), ec_key("e-rogue"));
    provider.publish("corp", &[&key_a, &key_e]);
    provider.publish("pinned", &[&key_a, &key_e]);
    let corp = format!("{base}/corp");
    let pinned = format!("{base}/pinned");

    let db = TestDb::sqlite().await;
    let mut settings = settings(&db, workflows_dir());
    let mut trusted = OidcIssuer::new(&corp, "greenlane-desk");
    trusted.algorithms = vec![Algorithm::RS256, Algorithm::ES256];
    trusted.subject_claim = "email".into();
    trusted.org_claim = "tenant".into();
    trusted.roles_claim = "realm_access.roles".into();
    trusted.min_refresh = Duration::ZERO;
    // The second tenant is pinned to ES256 and refreshes at most once a minute.
    let mut strict = trusted.clone();
    strict.issuer = pinned.clone();
    strict.algorithms = vec![Algorithm::ES256];
    strict.min_refresh = Duration::from_secs(60);
    settings.oidc = vec![trusted, strict];
    let app = spawn_app_with(settings).await;

    // RS256 and ES256 from the provider, the roles it gives other applications ignored; the
    // subject is the configured claim, so the case is the e-mail's.
    let ann_rs = token(&key_a, claims(&corp, json!({})));
    let id = app.new_case(&ann_rs).await;
    let history = app
        .get(&ann_rs, &format!("/api/v1/cases/{id}/history"))
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    assert!(
        history.body.to_string().contains("ann@acme.example"),
        "{}",
        history.body
    );
    let ann_es = token(&key_e, claims(&corp, json!({})));
    assert_eq!(app.get(&ann_es, "/api/v1/cases").await.status, 200);
    assert_eq!(provider.hits("corp/discovery"), 1);
    assert_eq!(
        provider.hits("corp/jwks"),
        1,
        "keys are kept, not fetched per request"
    );
    // An applicant from the provider is an applicant: administration is closed to them.
    assert_eq!(app.get(&ann_rs, "/api/v1/admin/outbox").await.status, 403);

    // What the same checks refuse.
    let now = chrono::Utc::now().timestamp();
    let refused = [
        (
            "another audience",
            token(&key_a, claims(&corp, json!({"aud": "other-app"}))),
        ),
        (
            "expired",
            token(&key_a, claims(&corp, json!({"exp": now - 120}))),
        ),
        (
            "not yet valid",
            token(&key_a, claims(&corp, json!({"nbf": now + 600}))),
        ),
        (
            "no Greenlane role",
            token(
                &key_a,
                claims(
                    &corp,
                    json!({"realm_access": {"roles": ["offline_access"]}}),
                ),
            ),
        ),
        (
            "an applicant without an organisation",
            token(&key_a, claims(&corp, json!({"tenant": null}))),
        ),
        (
            "no subject",
            token(&key_a, claims(&corp, json!({"email": null}))),
        ),
        (
            "an issuer nobody configured",
            token(&key_a, claims(&format!("{base}/elsewhere"), json!({}))),
        ),
        (
            "RS256 from the issuer pinned to ES256",
            token(&key_a, claims(&pinned, json!({}))),
        ),
        (
            "a key the provider never published",
            token(&rogue, claims(&corp, json!({}))),
        ),
    ];
    for (what, user) in &refused {
        let r = app.get(user, "/api/v1/cases").await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.body["error"], "unauthorized", "{what}");
    }
    // HS256 signed with the provider's public key (the classic confusion) is not a key at all.
    let public = serde_json::to_vec(&key_a.jwk).expect("json");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("a".into());
    let confused = User {
        token: jsonwebtoken::encode(
            &header,
            &claims(&corp, json!({})),
            &EncodingKey::from_secret(&public),
        )
        .expect("token"),
    };
    assert_error(
        &app.get(&confused, "/api/v1/cases").await,
        401,
        "unauthorized",
    );
    // `alg: none` with the provider as issuer.
    let payload = b64(claims(&corp, json!({})).to_string().as_bytes());
    let unsigned = User {
        token: format!("{}.{payload}.", b64(br#"{"alg":"none","kid":"a"}"#)),
    };
    assert_error(
        &app.get(&unsigned, "/api/v1/cases").await,
        401,
        "unauthorized",
    );

    // Rotation: the provider replaces key a with key b. A token signed with b names a key id the
    // server does not hold, so it fetches the set again, and a's tokens stop working.
    let before = provider.hits("corp/jwks");
    provider.publish("corp", &[&key_b, &key_e]);
    let ann_b = token(&key_b, claims(&corp, json!({})));
    assert_eq!(app.get(&ann_b, "/api/v1/cases").await.status, 200);
    assert_eq!(provider.hits("corp/jwks"), before + 1);
    assert_error(
        &app.get(&ann_rs, "/api/v1/cases").await,
        401,
        "unauthorized",
    );
    assert_eq!(provider.hits("corp/discovery"), 1, "the discovery is kept");

    // Unknown key ids cannot make the server hammer the provider: the pinned tenant fetches at
    // most once a minute, however many made-up key ids arrive at once.
    let pinned_ann = token(&key_e, claims(&pinned, json!({})));
    assert_eq!(app.get(&pinned_ann, "/api/v1/cases").await.status, 200);
    let fetched = provider.hits("pinned/jwks");
    let forged: Vec<User> = (0..20)
        .map(|i| {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(format!("made-up-{i}"));
            User {
                token: jsonwebtoken::encode(&header, &claims(&pinned, json!({})), &rogue.encoding)
                    .expect("token"),
            }
        })
        .collect();
    let answers =
        futures_util::future::join_all(forged.iter().map(|u| app.get(u, "/api/v1/cases"))).await;
    assert!(answers.iter().all(|r| r.status == 401));
    assert!(
        provider.hits("pinned/jwks") <= fetched + 1,
        "{} fetches for 20 unknown key ids",
        provider.hits("pinned/jwks") - fetched
    );
    assert_eq!(app.get(&pinned_ann, "/api/v1/cases").await.status, 200);

    // The server's own tokens work beside them.
    assert_eq!(app.get(&applicant(), "/api/v1/cases").await.status, 200);
    db.drop_it().await;
}

#[tokio::test]
async fn a_provider_that_does_not_answer_costs_a_timeout_not_a_hang() {
    // A listener that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let issuer = format!(
        "http://127.0.0.1:{}/idp",
        silent.local_addr().expect("addr").port()
    );
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = silent.accept().await {
            keep.lock().expect("lock").push(socket);
        }
    });
    let db = TestDb::sqlite().await;
    let mut settings = settings(&db, workflows_dir());
    let mut idp = OidcIssuer::new(&issuer, "greenlane-desk");
    idp.algorithms = vec![Algorithm::ES256];
    idp.timeout = Duration::from_secs(1);
    idp.min_refresh = Duration::ZERO;
    settings.oidc = vec![idp];
    let app = spawn_app_with(settings).await;
    let key = ec_key("k");
    let user = token(&key, claims(&issuer, json!({})));
    let started = std::time::Instant::now();
    let r = app.get(&user, "/api/v1/cases").await;
    assert_error(&r, 401, "unauthorized");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot be reached"),
        "{}",
        r.body
    );
    // The bound is the configured timeout (1 s); ten is far from it and far from forever.
    assert!(started.elapsed() < Duration::from_secs(10));
    // The server's own tokens and the health check do not wait on the provider.
    assert_eq!(app.get(&applicant(), "/api/v1/cases").await.status, 200);
    db.drop_it().await;
}

#[test]
fn unsafe_provider_settings_are_refused_at_start() {
    let jwt = jwt();
    let verifier = |issuer: OidcIssuer| greenlane::token::Verifier::with_issuers(&jwt, &[issuer]);
    assert!(verifier(OidcIssuer::new("http://id.example", "desk")).is_err());
    assert!(verifier(OidcIssuer::new("https://id.example", " ")).is_err());
    assert!(verifier(OidcIssuer::new(&jwt.issuer, "desk")).is_err());
    let mut no_algorithms = OidcIssuer::new("https://id.example", "desk");
    no_algorithms.algorithms.clear();
    assert!(verifier(no_algorithms).is_err());
    let mut hmac = OidcIssuer::new("https://id.example", "desk");
    hmac.algorithms = vec![Algorithm::HS256];
    assert!(verifier(hmac).is_err());
    assert!(verifier(OidcIssuer::new("https://id.example", "desk")).is_ok());
    assert!(verifier(OidcIssuer::new("http://[::1]:9000/idp", "desk")).is_ok());
    let twice = OidcIssuer::new("https://id.example", "desk");
    assert!(greenlane::token::Verifier::with_issuers(&jwt, &[twice.clone(), twice]).is_err());
}
