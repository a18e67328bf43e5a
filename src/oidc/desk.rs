//! The web desk's sign-in through the bureau's identity provider: the OpenID Connect
//! authorization code flow with PKCE, by the `openidconnect` crate.
//!
//! - [`Desk::start`] makes a fresh `state`, `nonce` and S256 code challenge and the provider's
//!   authorization URL. The three secrets and the page to come back to travel in a short-lived
//!   cookie signed with the server's secret (HS256, its own audience, ten minutes), so any
//!   instance can finish what another started.
//! - [`Desk::finish`] checks the state against that cookie, exchanges the code (with the client
//!   secret when there is one, `client_secret_basic` or `client_secret_post` as the provider's
//!   discovery document says), and checks the ID token: signature from the provider's JWKS with
//!   the algorithms the issuer is pinned to, issuer, audience, expiry and nonce. What it returns
//!   is who the provider vouches for; whether that person may sign in is the directory's to say
//!   ([`crate::app::sessions::sign_in_vouched`]).
//!
//! The discovery document (with the keys) is kept for the issuer's `keys_max_age` and fetched
//! again once when an ID token names a key it does not hold.

use std::time::{Duration, Instant};

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LanguageTag, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::settings::{JwtSettings, OidcIssuer};

/// The cookie that carries a sign-in begun at the provider.
pub const PENDING_COOKIE: &str = "gl_oidc";
/// How long a person may take at the provider.
pub const PENDING_MINUTES: i64 = 10;
/// The audience of the pending cookie's token, so that it is never taken for an API token.
const PENDING_AUDIENCE: &str = "greenlane-desk-sign-in";

/// Why a sign-in through the provider was refused. Each is shown in the reader's language
/// ([`Refusal::message_id`]) and logged by its [`Refusal::code`]; no token is ever logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The provider sent the person back with an error (`access_denied`, ...).
    ProviderSaid(String),
    /// No pending sign-in in this browser, or it is too old or not ours.
    NoPendingSignIn,
    /// The `state` is not the one this browser was sent with.
    WrongState,
    /// The callback carries no code.
    NoCode,
    /// The provider refused the code: used already, expired, or not issued to us.
    CodeRefused(String),
    /// The ID token is missing, badly signed, or for someone else.
    InvalidToken(String),
    Expired,
    WrongNonce,
    /// The e-mail claim is missing, or the provider does not say it is verified.
    EmailUnverified,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ProviderSaid(_) => "provider_error",
            Refusal::NoPendingSignIn => "no_pending_sign_in",
            Refusal::WrongState => "wrong_state",
            Refusal::NoCode => "no_code",
            Refusal::CodeRefused(_) => "code_refused",
            Refusal::InvalidToken(_) => "invalid_token",
            Refusal::Expired => "expired_token",
            Refusal::WrongNonce => "wrong_nonce",
            Refusal::EmailUnverified => "email_unverified",
        }
    }

    /// The message that tells the person what happened and what to do.
    pub fn message_id(&self) -> &'static str {
        match self {
            Refusal::ProviderSaid(e) if e == "access_denied" => "sso-refused-denied",
            Refusal::ProviderSaid(_) => "sso-refused-provider",
            Refusal::NoPendingSignIn | Refusal::WrongState | Refusal::NoCode => "sso-refused-state",
            Refusal::CodeRefused(_) => "sso-refused-code",
            Refusal::InvalidToken(_) | Refusal::WrongNonce => "sso-refused-token",
            Refusal::Expired => "sso-refused-expired",
            Refusal::EmailUnverified => "sso-refused-unverified",
        }
    }

    /// Detail for the log (never a token).
    pub fn detail(&self) -> &str {
        match self {
            Refusal::ProviderSaid(d) | Refusal::CodeRefused(d) | Refusal::InvalidToken(d) => d,
            _ => "",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    /// The provider could not be reached or answered nonsense.
    #[error("the identity provider is not available: {0}")]
    Unavailable(String),
}

impl From<Refusal> for DeskError {
    fn from(r: Refusal) -> Self {
        DeskError::Refused(r)
    }
}

/// Who the provider vouches for, once everything is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouched {
    /// The directory's key: the verified e-mail, or the subject claim's value when a subject
    /// claim other than `sub` is configured.
    pub email: String,
    /// The roles claim's values, when the roles claim is configured to decide.
    pub roles: Option<Vec<String>>,
    /// The provider's own id for the person (`sub`), for the log.
    pub subject: String,
    /// The ID token itself, to send back as `id_token_hint` when the person signs out there.
    pub id_token: String,
}

/// A sign-in begun: send the browser to `url`, with `cookie` set.
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub cookie: String,
}

/// What the pending cookie holds.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    aud: String,
    exp: i64,
}

/// The callback's query.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The web desk as a client of one provider.
pub struct Desk {
    issuer: OidcIssuer,
    client_id: String,
    client_secret: Option<String>,
    name: String,
    redirect: RedirectUrl,
    /// Where the provider sends the person after signing out there.
    after_sign_out: String,
    http: reqwest::Client,
    sign: EncodingKey,
    check: DecodingKey,
    metadata: tokio::sync::Mutex<Option<(ProviderMetadataWithLogout, Instant)>>,
}

impl Desk {
    /// The desk for `issuer` (which must have a client id), coming back to `public_url`.
    pub fn new(issuer: &OidcIssuer, public_url: &str, jwt: &JwtSettings) -> anyhow::Result<Desk> {
        let sign_in = issuer
            .sign_in
            .clone()
            .ok_or_else(|| anyhow::anyhow!("`{}` has no client id", issuer.issuer))?;
        let base = public_url.trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{base}/login/oidc/callback"))?;
        let http = reqwest::Client::builder()
            .timeout(issuer.timeout)
            .connect_timeout(issuer.timeout)
            // Following redirects would let a provider's answer point the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Desk {
            issuer: issuer.clone(),
            client_id: sign_in.client_id,
            client_secret: sign_in.client_secret,
            name: sign_in.name,
            redirect,
            after_sign_out: format!("{base}/login"),
            http,
            sign: EncodingKey::from_secret(jwt.secret.as_bytes()),
            check: DecodingKey::from_secret(jwt.secret.as_bytes()),
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    /// The provider's origin (`https://id.example:8443`), where its end-session endpoint is
    /// expected to be.
    pub fn origin(&self) -> String {
        let i = &self.issuer.issuer;
        let host_end = i
            .find("://")
            .map(|s| s + 3)
            .and_then(|start| i[start..].find('/').map(|e| start + e))
            .unwrap_or(i.len());
        i[..host_end].to_string()
    }

    /// The provider's name, for the button.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Begins a sign-in that comes back to the local path `next`; `locale` is the reader's
    /// language as a BCP 47 tag, passed on so that the provider can speak it too.
    pub async fn start(
        &self,
        next: &str,
        locale: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Started, DeskError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_ui_locale(LanguageTag::new(locale.into()))
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: next.to_string(),
            aud: PENDING_AUDIENCE.into(),
            exp: (now + chrono::Duration::minutes(PENDING_MINUTES)).timestamp(),
        };
        let cookie = jsonwebtoken::encode(&Header::default(), &pending, &self.sign)
            .map_err(|e| DeskError::Unavailable(format!("signing the pending sign-in: {e}")))?;
        Ok(Started {
            url: url.to_string(),
            cookie,
        })
    }

    /// The local path the pending sign-in comes back to, if the cookie is good.
    pub fn next_of(&self, cookie: Option<&str>) -> Option<String> {
        cookie.and_then(|c| self.pending(c).ok()).map(|p| p.next)
    }

    /// Finishes a sign-in: the callback's query against the pending cookie, then the code
    /// exchange and the ID token's checks. Returns who the provider vouches for and the local
    /// path to go to.
    pub async fn finish(
        &self,
        cookie: Option<&str>,
        callback: &Callback,
    ) -> Result<(Vouched, String), DeskError> {
        if let Some(error) = &callback.error {
            return Err(Refusal::ProviderSaid(error.chars().take(64).collect()).into());
        }
        let pending = self
            .pending(cookie.ok_or(Refusal::NoPendingSignIn)?)
            .map_err(|_| Refusal::NoPendingSignIn)?;
        let state = callback.state.as_deref().ok_or(Refusal::WrongState)?;
        if !crate::app::sessions::secrets_match(state, &pending.state) {
            return Err(Refusal::WrongState.into());
        }
        let code = callback.code.as_deref().ok_or(Refusal::NoCode)?;
        let metadata = self.metadata(false).await?;
        let client = self.client(metadata);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| DeskError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    DeskError::Refused(Refusal::CodeRefused(r.error().to_string()))
                }
                other => DeskError::Unavailable(format!("the token endpoint: {other}")),
            })?;
        let token = response
            .id_token()
            .ok_or_else(|| Refusal::InvalidToken("the provider sent no ID token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let checked = match self.verify(&client, token, &nonce) {
            // The provider may have rolled its keys since they were fetched: fetch once more.
            Err(DeskError::Refused(Refusal::InvalidToken(_))) => {
                let fresh = self.metadata(true).await?;
                self.verify(&self.client(fresh), token, &nonce)
            }
            other => other,
        }?;
        Ok((checked, pending.next))
    }

    /// Where to send a person who signed in through the provider when they sign out here: its
    /// `end_session_endpoint` if it has one, with the session's ID token as `id_token_hint` (so
    /// that the provider need not ask), our client id and the way back.
    pub async fn end_session_url(&self, id_token: Option<&str>) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = openidconnect::LogoutRequest::from(endpoint);
        if let Some(hint) =
            id_token.and_then(|t| t.parse::<openidconnect::core::CoreIdToken>().ok())
        {
            request = request.set_id_token_hint(&hint);
        }
        let url = request
            .set_client_id(ClientId::new(self.client_id.clone()))
            .set_post_logout_redirect_uri(
                openidconnect::PostLogoutRedirectUrl::new(self.after_sign_out.clone()).ok()?,
            )
            .http_get_url();
        // The pages' policy lets forms go on to the issuer's origin only.
        if !url.as_str().starts_with(&format!("{}/", self.origin())) {
            tracing::warn!(%url, "the provider's end-session endpoint is on another origin than its issuer; signing out here only");
            return None;
        }
        Some(url.to_string())
    }

    fn pending(&self, cookie: &str) -> Result<Pending, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&[PENDING_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<Pending>(cookie, &self.check, &validation).map(|d| d.claims)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> Client {
        // Without a list, the provider takes `client_secret_basic` (OpenID Connect Discovery).
        let methods = metadata.token_endpoint_auth_methods_supported().cloned();
        let post_only = methods.is_some_and(|m| {
            m.contains(&CoreClientAuthMethod::ClientSecretPost)
                && !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
        });
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            self.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone());
        if post_only {
            client.set_auth_type(AuthType::RequestBody)
        } else {
            client
        }
    }

    fn verify(
        &self,
        client: &Client,
        token: &openidconnect::core::CoreIdToken,
        nonce: &Nonce,
    ) -> Result<Vouched, DeskError> {
        use openidconnect::ClaimsVerificationError as E;
        let algorithms = self.issuer.algorithms.iter().map(|a| match a {
            jsonwebtoken::Algorithm::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            _ => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        });
        let verifier = client.id_token_verifier().set_allowed_algs(algorithms);
        let claims = token.claims(&verifier, nonce).map_err(|e| match e {
            E::Expired(_) => Refusal::Expired,
            E::InvalidNonce(_) => Refusal::WrongNonce,
            other => Refusal::InvalidToken(other.to_string()),
        })?;
        let subject = claims.subject().to_string();
        // Read after the signature and claims are checked: the roles and a configured subject
        // claim, by their dotted paths.
        let raw = super::payload(&token.to_string()).unwrap_or(Value::Null);
        let email = if matches!(self.issuer.subject_claim.as_str(), "sub" | "email") {
            let verified = claims.email_verified() == Some(true);
            match claims.email() {
                Some(email) if verified => email.to_string(),
                _ => return Err(Refusal::EmailUnverified.into()),
            }
        } else {
            super::claim(&raw, &self.issuer.subject_claim)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    Refusal::InvalidToken(format!(
                        "no `{}` claim to name the person",
                        self.issuer.subject_claim
                    ))
                })?
                .to_string()
        };
        let roles = self
            .issuer
            .roles_claim_set
            .then(|| super::roles_of(super::claim(&raw, &self.issuer.roles_claim)));
        Ok(Vouched {
            email: email.trim().to_lowercase(),
            roles,
            subject,
            id_token: token.to_string(),
        })
    }

    /// The discovery document with its keys, fetched when none is held, when it is older than
    /// the issuer's `keys_max_age`, or when `again` (at most once per `min_refresh`).
    async fn metadata(&self, again: bool) -> Result<ProviderMetadataWithLogout, DeskError> {
        let mut held = self.metadata.lock().await;
        if let Some((m, at)) = held.as_ref() {
            let stale = at.elapsed() >= self.issuer.keys_max_age;
            let may_refetch = at.elapsed() >= self.issuer.min_refresh.min(Duration::from_secs(30));
            if !(stale || again && may_refetch) {
                return Ok(m.clone());
            }
        }
        let issuer = IssuerUrl::new(self.issuer.issuer.clone())
            .map_err(|e| DeskError::Unavailable(e.to_string()))?;
        match ProviderMetadataWithLogout::discover_async(issuer, &self.http).await {
            Ok(m) => {
                tracing::info!(issuer = %self.issuer.issuer, "read the identity provider's discovery document");
                *held = Some((m.clone(), Instant::now()));
                Ok(m)
            }
            // A provider that is briefly away: the document held before still serves.
            Err(e) => match held.as_ref() {
                Some((m, _)) if !again => {
                    tracing::warn!(issuer = %self.issuer.issuer, "discovery failed, keeping the last document: {e}");
                    Ok(m.clone())
                }
                _ => Err(DeskError::Unavailable(format!("discovery: {e}"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk() -> Desk {
        let mut issuer = OidcIssuer::new("http://127.0.0.1:9/realm", "desk");
        issuer.sign_in = Some(crate::settings::ProviderSignIn {
            client_id: "desk".into(),
            client_secret: None,
            name: "Bureau ID".into(),
        });
        let jwt = JwtSettings {
            secret: "s".repeat(40),
            issuer: "greenlane".into(),
            audience: "greenlane-api".into(),
        };
        Desk::new(&issuer, "https://greenlane.example/", &jwt).expect("desk")
    }

    #[test]
    fn the_pending_cookie_is_ours_and_short_lived() {
        let d = desk();
        let pending = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            next: "/inbox".into(),
            aud: PENDING_AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let good = jsonwebtoken::encode(&Header::default(), &pending, &d.sign).expect("token");
        assert_eq!(d.next_of(Some(&good)).as_deref(), Some("/inbox"));
        let old = Pending {
            exp: chrono::Utc::now().timestamp() - 1,
            ..pending
        };
        let old = jsonwebtoken::encode(&Header::default(), &old, &d.sign).expect("token");
        assert_eq!(d.next_of(Some(&old)), None);
        // Signed with another secret: not ours.
        let other = jsonwebtoken::encode(
            &Header::default(),
            &Pending {
                exp: chrono::Utc::now().timestamp() + 60,
                state: "s".into(),
                nonce: "n".into(),
                verifier: "v".into(),
                next: "/".into(),
                aud: PENDING_AUDIENCE.into(),
            },
            &EncodingKey::from_secret(b"another secret of forty bytes or so....."),
        )
        .expect("token");
        assert_eq!(d.next_of(Some(&other)), None);
        assert_eq!(
            d.redirect.as_str(),
            "https://greenlane.example/login/oidc/callback"
        );
    }

    #[test]
    fn the_origin_is_the_issuers_scheme_host_and_port() {
        assert_eq!(desk().origin(), "http://127.0.0.1:9");
    }

    #[test]
    fn every_refusal_has_a_message_and_a_code() {
        for r in [
            Refusal::ProviderSaid("access_denied".into()),
            Refusal::ProviderSaid("server_error".into()),
            Refusal::NoPendingSignIn,
            Refusal::WrongState,
            Refusal::NoCode,
            Refusal::CodeRefused("invalid_grant".into()),
            Refusal::InvalidToken("x".into()),
            Refusal::Expired,
            Refusal::WrongNonce,
            Refusal::EmailUnverified,
        ] {
            assert!(r.message_id().starts_with("sso-refused-"));
            for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Zh] {
                assert!(
                    crate::i18n::lookup(lang, r.message_id(), None).is_some(),
                    "{} in {lang:?}",
                    r.message_id()
                );
            }
            assert!(!r.code().is_empty());
        }
    }
}
