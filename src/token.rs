//! JWTs: the server's own, HS256 with the configured secret (claims sub, org, roles, iat, exp,
//! iss, aud), and those of configured OpenID Connect issuers.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::RoleSet;
use crate::engine::Actor;
use crate::settings::JwtSettings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The person's token version when the token was issued: once an administrator ends a
    /// person's tokens (or sets a new password), the directory's version moves on and every
    /// token issued before is refused. Absent (0) in tokens issued before versions existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ver: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A checked token: who it names, and, for the server's own tokens, the version it carries.
#[derive(Debug, Clone)]
pub struct Verified {
    pub actor: Actor,
    /// `None` for an identity provider's token (the provider ends those).
    pub version: Option<i64>,
}

pub fn issue(
    settings: &JwtSettings,
    sub: &str,
    org: &str,
    roles: &[String],
    ttl: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    issue_at_version(settings, sub, org, roles, 0, ttl, now)
}

/// A token for a person whose token version (in the directory) is `version`.
pub fn issue_at_version(
    settings: &JwtSettings,
    sub: &str,
    org: &str,
    roles: &[String],
    version: i64,
    ttl: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    RoleSet::parse(roles)?;
    let claims = Claims {
        sub: sub.to_string(),
        org: org.to_string(),
        roles: roles.to_vec(),
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        ver: version,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(settings.secret.as_bytes()),
    )?)
}

/// Checks a token. The server's own (its issuer): HS256 only (so never `alg: none`), signature,
/// expiry, not-before, issuer, audience. A configured OpenID Connect issuer's: the algorithms
/// it is pinned to and the keys it publishes ([`crate::oidc`]). Any other issuer is refused.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    external: Vec<crate::oidc::Issuer>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("{0}")]
    Unavailable(String),
}

impl Verifier {
    /// A verifier of the server's own tokens only.
    pub fn new(settings: &JwtSettings) -> Verifier {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        Verifier {
            key: DecodingKey::from_secret(settings.secret.as_bytes()),
            validation,
            external: Vec::new(),
        }
    }

    /// A verifier that also trusts `issuers`. Refuses an issuer configured twice, one with the
    /// server's own name, and any whose settings are unsafe.
    pub fn with_issuers(
        settings: &JwtSettings,
        issuers: &[crate::settings::OidcIssuer],
    ) -> anyhow::Result<Verifier> {
        let mut verifier = Verifier::new(settings);
        for issuer in issuers {
            if issuer.issuer == settings.issuer {
                anyhow::bail!(
                    "the OIDC issuer `{}` has the server's own issuer name",
                    issuer.issuer
                );
            }
            if verifier.external.iter().any(|i| i.name() == issuer.issuer) {
                anyhow::bail!("the OIDC issuer `{}` is configured twice", issuer.issuer);
            }
            verifier
                .external
                .push(crate::oidc::Issuer::new(issuer.clone())?);
        }
        Ok(verifier)
    }

    pub async fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        let claimed = crate::oidc::claimed_issuer(token);
        match self
            .external
            .iter()
            .find(|i| Some(i.name()) == claimed.as_deref())
        {
            Some(issuer) => {
                use crate::oidc::OidcError;
                let claims = issuer.verify(token).await.map_err(|e| match e {
                    OidcError::Expired => TokenError::Expired,
                    OidcError::Invalid(why) => TokenError::Invalid(why),
                    OidcError::Unavailable(why) => TokenError::Unavailable(why),
                })?;
                // A provider's roles claim carries roles of other applications too: only the
                // ones Greenlane knows count, and a token with none of them is refused.
                let roles: Vec<String> = claims
                    .roles
                    .into_iter()
                    .filter(|r| RoleSet::parse(std::slice::from_ref(r)).is_ok())
                    .collect();
                if roles.is_empty() {
                    return Err(TokenError::Invalid(
                        "the token carries no Greenlane role".into(),
                    ));
                }
                Ok(Verified {
                    actor: actor(claims.subject, claims.org, &roles)?,
                    version: None,
                })
            }
            None => self.verify_own(token),
        }
    }

    /// Checks one of the server's own tokens.
    pub fn verify_own(&self, token: &str) -> Result<Verified, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                other => TokenError::Invalid(format!("{other:?}")),
            },
        )?;
        let claims = data.claims;
        Ok(Verified {
            actor: actor(claims.sub, claims.org, &claims.roles)?,
            version: Some(claims.ver),
        })
    }
}

fn actor(subject: String, org: String, roles: &[String]) -> Result<Actor, TokenError> {
    let roles = RoleSet::parse(roles).map_err(|e| TokenError::Invalid(e.to_string()))?;
    if subject.is_empty() || subject == "system" {
        return Err(TokenError::Invalid("unusable subject".into()));
    }
    // Applicants and agencies act for their organisation: a token without one names none,
    // and must not fall back to the system accounts' empty organisation.
    let scoped = roles.iter().any(|r| !r.sees_all_organisations());
    if scoped && org.trim().is_empty() {
        return Err(TokenError::Invalid(
            "an applicant's or agency's token needs its organisation (`org`)".into(),
        ));
    }
    Ok(Actor::person(subject, org, roles))
}

/// Parses a lifetime such as `90s`, `30m`, `1h` or `7d`.
pub fn parse_ttl(s: &str) -> anyhow::Result<Duration> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = number
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}`: a lifetime is a number and a unit, e.g. 1h"))?;
    match unit {
        "s" | "" => Ok(Duration::seconds(n)),
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        other => anyhow::bail!("`{s}`: unknown unit `{other}` (use s, m, h or d)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn settings() -> JwtSettings {
        JwtSettings {
            secret: "x".repeat(40),
            issuer: "greenlane".into(),
            audience: "greenlane-api".into(),
        }
    }

    #[test]
    fn a_token_round_trips() {
        let s = settings();
        let t = issue(
            &s,
            "rui@bureau",
            "CQEEB",
            &["reviewer".into()],
            Duration::hours(1),
            Utc::now(),
        )
        .expect("token");
        let checked = Verifier::new(&s).verify_own(&t).expect("valid");
        assert_eq!(checked.actor.subject, "rui@bureau");
        assert!(checked.actor.roles.contains(Role::Reviewer));
        assert_eq!(checked.version, Some(0));
        let later = issue_at_version(
            &s,
            "rui@bureau",
            "CQEEB",
            &["reviewer".into()],
            3,
            Duration::hours(1),
            Utc::now(),
        )
        .expect("token");
        let checked = Verifier::new(&s).verify_own(&later).expect("valid");
        assert_eq!(checked.version, Some(3));
    }

    #[test]
    fn refuses_expired_wrong_issuer_audience_secret_and_alg_none() {
        let s = settings();
        let v = Verifier::new(&s);
        let old = issue(
            &s,
            "a",
            "o",
            &[],
            Duration::hours(1),
            Utc::now() - Duration::hours(2),
        )
        .expect("token");
        assert!(matches!(v.verify_own(&old), Err(TokenError::Expired)));
        let mut other = settings();
        other.issuer = "someone".into();
        let t = issue(&other, "a", "o", &[], Duration::hours(1), Utc::now()).expect("token");
        assert!(v.verify_own(&t).is_err());
        let mut other = settings();
        other.audience = "elsewhere".into();
        let t = issue(&other, "a", "o", &[], Duration::hours(1), Utc::now()).expect("token");
        assert!(v.verify_own(&t).is_err());
        let mut other = settings();
        other.secret = "y".repeat(40);
        let t = issue(&other, "a", "o", &[], Duration::hours(1), Utc::now()).expect("token");
        assert!(v.verify_own(&t).is_err());
        // An unsigned token: header {"alg":"none"} and the same claims.
        let good = issue(&s, "a", "o", &[], Duration::hours(1), Utc::now()).expect("token");
        let claims = good.split('.').nth(1).expect("claims part");
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
        assert!(v.verify_own(&none).is_err());
        assert!(issue(
            &s,
            "a",
            "o",
            &["janitor".into()],
            Duration::hours(1),
            Utc::now()
        )
        .is_err());
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_ttl("1h").expect("ok"), Duration::hours(1));
        assert_eq!(parse_ttl("45m").expect("ok"), Duration::minutes(45));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
