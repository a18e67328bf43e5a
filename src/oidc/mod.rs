//! Tokens from external OpenID Connect issuers, and ([`desk`]) the web desk's sign-in through
//! one of them.
//!
//! Each configured issuer is trusted for the algorithms it is pinned to (RS256, ES256) and for
//! the keys its JWKS publishes. The JWKS is found through the discovery document, fetched with
//! a timeout, kept for `keys_max_age`, and fetched again when a token names a key id it does not
//! hold (at most once per `min_refresh`, so that made-up key ids cannot make the server hammer
//! the provider). One fetch runs at a time per issuer; the others wait for its result.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::settings::OidcIssuer;

pub mod desk;

/// The most a discovery document or a key set may weigh.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;
/// Clock skew tolerated between the provider and this server, for `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

/// What an external token says about its bearer, once its signature and claims are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalClaims {
    pub subject: String,
    pub org: String,
    /// The values of the roles claim, as the provider wrote them.
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OidcError {
    #[error("the token has expired")]
    Expired,
    #[error("{0}")]
    Invalid(String),
    /// The provider could not be reached or answered nonsense: the token cannot be checked.
    #[error("the identity provider's keys are not available: {0}")]
    Unavailable(String),
}

struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

#[derive(Default)]
struct KeySet {
    keys: Vec<Arc<Key>>,
    fetched: Option<Instant>,
    generation: u64,
}

#[derive(Default)]
struct FetchState {
    jwks_uri: Option<String>,
    last_attempt: Option<Instant>,
}

/// One trusted issuer with its cached keys.
pub struct Issuer {
    settings: OidcIssuer,
    client: reqwest::Client,
    keys: RwLock<KeySet>,
    fetch: tokio::sync::Mutex<FetchState>,
}

impl Issuer {
    pub fn new(settings: OidcIssuer) -> anyhow::Result<Issuer> {
        settings.check()?;
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()?;
        let fetch = FetchState {
            jwks_uri: settings.jwks_uri.clone(),
            last_attempt: None,
        };
        Ok(Issuer {
            settings,
            client,
            keys: RwLock::new(KeySet::default()),
            fetch: tokio::sync::Mutex::new(fetch),
        })
    }

    pub fn name(&self) -> &str {
        &self.settings.issuer
    }

    /// Checks `token`'s algorithm, signature, issuer, audience, expiry and not-before, and reads
    /// the configured claims.
    pub async fn verify(&self, token: &str) -> Result<ExternalClaims, OidcError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| OidcError::Invalid(format!("unreadable header: {e}")))?;
        if !self.settings.algorithms.contains(&header.alg) {
            return Err(OidcError::Invalid(format!(
                "{:?} is not an algorithm this issuer is trusted with",
                header.alg
            )));
        }
        let kid = header.kid.as_deref();
        let key = match self.key_for(kid, header.alg) {
            Some((key, fresh)) if fresh => key,
            _ => {
                self.refresh().await;
                match self.key_for(kid, header.alg) {
                    Some((key, _)) => key,
                    None if self.keys_never_fetched() => {
                        return Err(OidcError::Unavailable(format!(
                            "no keys could be fetched from `{}`",
                            self.settings.issuer
                        )))
                    }
                    None => {
                        return Err(OidcError::Invalid(format!(
                            "the issuer publishes no {:?} key with id {:?}",
                            header.alg,
                            kid.unwrap_or("(none)")
                        )))
                    }
                }
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![key.alg];
        validation.set_issuer(&[self.settings.issuer.as_str()]);
        validation.set_audience(&[self.settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => OidcError::Expired,
                other => OidcError::Invalid(format!("{other:?}")),
            })?;
        let claims = Value::Object(data.claims);
        let subject = claim(&claims, &self.settings.subject_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                OidcError::Invalid(format!(
                    "the token has no `{}` claim to name its bearer",
                    self.settings.subject_claim
                ))
            })?
            .to_string();
        let org = claim(&claims, &self.settings.org_claim)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let roles = roles_of(claim(&claims, &self.settings.roles_claim));
        Ok(ExternalClaims {
            subject,
            org,
            roles,
        })
    }

    /// The key for `kid` and `alg` if one is held, and whether the held set is still fresh.
    fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Option<(Arc<Key>, bool)> {
        let set = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let fresh = set
            .fetched
            .is_some_and(|at| at.elapsed() < self.settings.keys_max_age);
        let mut candidates = set.keys.iter().filter(|k| k.alg == alg);
        let key = match kid {
            Some(kid) => candidates.find(|k| k.kid.as_deref() == Some(kid)),
            // Without a key id, only an issuer with a single key for the algorithm is unambiguous.
            None => match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            },
        };
        key.map(|k| (k.clone(), fresh))
    }

    fn keys_never_fetched(&self) -> bool {
        let set = self.keys.read().unwrap_or_else(|e| e.into_inner());
        set.fetched.is_none()
    }

    /// Fetches the keys again, unless another request did so while this one waited, or a fetch
    /// was tried less than `min_refresh` ago. A failed fetch keeps the keys held before.
    async fn refresh(&self) {
        let seen = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .generation;
        let mut state = self.fetch.lock().await;
        let generation = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .generation;
        if generation != seen {
            return;
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.settings.min_refresh)
        {
            return;
        }
        state.last_attempt = Some(Instant::now());
        match self.fetch_keys(&mut state).await {
            Ok(keys) => {
                let mut set = self.keys.write().unwrap_or_else(|e| e.into_inner());
                tracing::info!(
                    issuer = %self.settings.issuer,
                    keys = keys.len(),
                    "fetched the identity provider's keys"
                );
                set.keys = keys;
                set.fetched = Some(Instant::now());
                set.generation += 1;
            }
            Err(e) => {
                tracing::warn!(issuer = %self.settings.issuer, "fetching keys failed: {e:#}");
                // Discover again next time, in case the provider moved its keys.
                if self.settings.jwks_uri.is_none() {
                    state.jwks_uri = None;
                }
            }
        }
    }

    async fn fetch_keys(&self, state: &mut FetchState) -> anyhow::Result<Vec<Arc<Key>>> {
        let uri = match &state.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover().await?;
                state.jwks_uri = Some(uri.clone());
                uri
            }
        };
        let set = self.get_json(&uri).await?;
        let keys = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("`{uri}` is not a JWK set (no `keys` array)"))?;
        Ok(keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| usable(&jwk))
            .map(Arc::new)
            .collect())
    }

    async fn discover(&self) -> anyhow::Result<String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let doc = self.get_json(&url).await?;
        let issuer = doc
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if issuer != self.settings.issuer {
            anyhow::bail!(
                "`{url}` names the issuer `{issuer}`, not `{}`",
                self.settings.issuer
            );
        }
        let uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("`{url}` has no `jwks_uri`"))?;
        crate::settings::OidcIssuer {
            jwks_uri: Some(uri.to_string()),
            ..self.settings.clone()
        }
        .check()?;
        Ok(uri.to_string())
    }

    async fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        let mut response = self.client.get(url).send().await?.error_for_status()?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                anyhow::bail!("`{url}` answered more than {MAX_DOCUMENT_BYTES} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        Ok(serde_json::from_slice(&body)?)
    }
}

/// A published key this server can use: a signing key, RSA for RS256 or P-256 for ES256, whose
/// own `alg` (if it names one) agrees. Anything else (encryption keys, symmetric keys, other
/// curves) is left out.
fn usable(jwk: &Jwk) -> Option<Key> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        _ => return None,
    };
    let declared = jwk.common.key_algorithm;
    let agrees = match declared {
        None => true,
        Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
        Some(_) => false,
    };
    if !agrees {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// The value at a dotted claim path (`realm_access.roles`); a claim whose own name contains
/// dots is found first.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}

/// The roles a roles claim names: an array of names, or one string of names separated by
/// spaces or commas.
fn roles_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(list)) => list
            .split([' ', ','])
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The `iss` a token claims, read before anything is verified, to pick who verifies it.
pub fn claimed_issuer(token: &str) -> Option<String> {
    payload(token)?.get("iss")?.as_str().map(str::to_string)
}

/// A token's payload as JSON, unverified: to pick its verifier, or to read claims by path after
/// `openidconnect` has verified it.
fn payload(token: &str) -> Option<Value> {
    use base64::Engine;
    let part = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The issuer as the server's start-up log names it.
pub fn describe(issuer: &OidcIssuer) -> String {
    format!(
        "{} (audience {}, {:?}, timeout {} s)",
        issuer.issuer,
        issuer.audience,
        issuer.algorithms,
        Duration::as_secs(&issuer.timeout)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_paths_reach_into_objects() {
        let v = serde_json::json!({"realm_access": {"roles": ["reviewer"]}, "a.b": 1});
        assert_eq!(
            claim(&v, "realm_access.roles"),
            Some(&serde_json::json!(["reviewer"]))
        );
        assert_eq!(claim(&v, "a.b"), Some(&serde_json::json!(1)));
        assert_eq!(claim(&v, "realm_access.groups"), None);
    }

    #[test]
    fn symmetric_and_encryption_keys_are_never_used() {
        let hmac: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "oct", "k": "c2VjcmV0", "kid": "h"
        }))
        .expect("jwk");
        assert!(usable(&hmac).is_none());
        let enc: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "use": "enc", "kid": "e",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        }))
        .expect("jwk");
        assert!(usable(&enc).is_none());
        let sig: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "s", "alg": "ES256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        }))
        .expect("jwk");
        assert_eq!(usable(&sig).map(|k| k.alg), Some(Algorithm::ES256));
        let mislabelled: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "m", "alg": "RS256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        }))
        .expect("jwk");
        assert!(usable(&mislabelled).is_none());
    }

    #[test]
    fn the_claimed_issuer_is_read_without_verifying() {
        // {"alg":"none"} . {"iss":"https://id.example"} .
        let t = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUifQ.";
        assert_eq!(claimed_issuer(t).as_deref(), Some("https://id.example"));
        assert_eq!(claimed_issuer("garbage"), None);
    }
}
