//! Settings: an optional TOML file, then environment variables, then defaults.
//!
//! | setting | environment | default |
//! |---|---|---|
//! | `bind` | `GREENLANE_BIND` | `127.0.0.1:8080` |
//! | `database_url` | `DATABASE_URL` | `sqlite://data/greenlane.db` |
//! | `jwt_secret` | `GREENLANE_JWT_SECRET` | generated once, kept in `jwt_secret` beside the SQLite file |
//! | `jwt_issuer` | `GREENLANE_JWT_ISSUER` | `greenlane` |
//! | `jwt_audience` | `GREENLANE_JWT_AUDIENCE` | `greenlane-api` |
//! | `workflows_dir` | `GREENLANE_WORKFLOWS` | `workflows` |
//! | | `GREENLANE_TIMER_WORKERS` | 2 |
//! | | `GREENLANE_CORS_ORIGINS` | none: no other site may call the API from a browser |
//! | `[[oidc]]` tables | `GREENLANE_OIDC_ISSUER`, `_AUDIENCE`, `_ALGORITHMS`, `_SUBJECT_CLAIM`, `_ORG_CLAIM`, `_ROLES_CLAIM`, `_JWKS_URI` | none: only the server's own tokens |
//! | `client_id`, `client_secret`, `name` in an `[[oidc]]` table | `GREENLANE_OIDC_CLIENT_ID`, `_CLIENT_SECRET`, `_NAME` | none: no sign-in through a provider on the web desk |
//! | `password_sign_in` | `GREENLANE_PASSWORD_SIGN_IN` (`on`, `off`) | `on` |
//! | | `GREENLANE_GROUP_COMMIT` (`on`, `off`) | `on` |
//!
//! The file is `GREENLANE_CONFIG` if set, else `greenlane.toml` in the working directory if present.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/greenlane.db";

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub workflows_dir: PathBuf,
    pub clock: ClockMode,
    pub mail: MailConfig,
    /// Where uploaded documents are kept (`GREENLANE_DOCUMENTS_DIR`; default `documents/` beside
    /// the SQLite database, or `./documents`).
    pub documents_dir: PathBuf,
    /// The largest upload accepted (`GREENLANE_MAX_UPLOAD_BYTES`; default 20 MiB).
    pub max_upload_bytes: usize,
    /// Other sites allowed to call the API from a browser (`GREENLANE_CORS_ORIGINS`,
    /// comma-separated origins such as `https://portal.example`); none by default.
    pub cors_origins: Vec<String>,
    /// Run the background worker (timers, outbox) in this process: `GREENLANE_WORKER=off` turns
    /// it off, for an instance that should only serve requests (and for tests that drive it).
    pub worker: bool,
    /// Timer workers in this process (`GREENLANE_TIMER_WORKERS`, default 2): each fires due
    /// deadlines in batches; row locks keep them, and other instances, apart.
    pub timer_workers: usize,
    /// External OpenID Connect issuers whose RS256/ES256 tokens are accepted beside the server's
    /// own HS256 tokens (`[[oidc]]` in the file, or one from `GREENLANE_OIDC_*`).
    pub oidc: Vec<OidcIssuer>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`GREENLANE_TRUSTED_PROXIES`,
    /// comma-separated addresses or networks such as `10.0.0.0/8`); none by default, so the
    /// client is the TCP peer.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The transparency log's origin, the first line of its checkpoints
    /// (`GREENLANE_LOG_ORIGIN`; default the public URL's host and `/log`).
    pub log_origin: String,
    /// The file of the log's Ed25519 signing key (`GREENLANE_LOG_KEY_FILE`; default `log.key`
    /// beside the SQLite database, or `./log.key`), created with mode 0600 on first start.
    pub log_key_file: PathBuf,
    /// Whether people may sign in with a password kept here (`GREENLANE_PASSWORD_SIGN_IN=off`
    /// leaves only the identity provider; refused unless one is configured for the web desk).
    pub password_sign_in: bool,
    /// Write people's actions that arrive together in one transaction (`GREENLANE_GROUP_COMMIT`,
    /// `on` by default; `off` gives each its own).
    pub group_commit: bool,
}

/// One trusted OpenID Connect issuer. Its keys come from its JWKS, found through
/// `{issuer}/.well-known/openid-configuration` unless `jwks_uri` is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIssuer {
    /// The exact `iss` of its tokens (https, or http on a loopback address).
    pub issuer: String,
    /// The `aud` its tokens must carry for this server (the client id at the provider).
    pub audience: String,
    /// The signing algorithms accepted from it: RS256, ES256 or both; the default is RS256.
    pub algorithms: Vec<jsonwebtoken::Algorithm>,
    pub jwks_uri: Option<String>,
    /// Claims (a dotted path such as `realm_access.roles` reaches into objects).
    pub subject_claim: String,
    pub org_claim: String,
    pub roles_claim: String,
    /// How long a fetch of the discovery document or the keys may take.
    pub timeout: std::time::Duration,
    /// How long fetched keys are used before they are fetched again.
    pub keys_max_age: std::time::Duration,
    /// The least time between two fetches caused by tokens with an unknown `kid`.
    pub min_refresh: std::time::Duration,
    /// True when the roles claim was configured: then a web sign-in through this provider acts
    /// with the claim's roles (those the directory grants); otherwise with the directory's.
    pub roles_claim_set: bool,
    /// Set when people sign in on the web desk through this provider.
    pub sign_in: Option<ProviderSignIn>,
}

/// The web desk as a client of the provider (authorization code flow with PKCE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSignIn {
    pub client_id: String,
    /// Absent for a public client, which proves itself by PKCE alone.
    pub client_secret: Option<String>,
    /// The provider's name on the sign-in button ("Sign in with {name}").
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOidc {
    issuer: String,
    audience: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    name: Option<String>,
    algorithms: Option<Vec<String>>,
    jwks_uri: Option<String>,
    subject_claim: Option<String>,
    org_claim: Option<String>,
    roles_claim: Option<String>,
    timeout_seconds: Option<u64>,
    keys_max_age_seconds: Option<u64>,
    min_refresh_seconds: Option<u64>,
}

impl OidcIssuer {
    /// An issuer with the defaults: RS256, claims `sub`, `org`, `roles`, 5 s timeout, keys kept
    /// an hour, at most one fetch every 30 s for unknown key ids.
    pub fn new(issuer: &str, audience: &str) -> OidcIssuer {
        OidcIssuer {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            algorithms: vec![jsonwebtoken::Algorithm::RS256],
            jwks_uri: None,
            subject_claim: "sub".into(),
            org_claim: "org".into(),
            roles_claim: "roles".into(),
            timeout: std::time::Duration::from_secs(5),
            keys_max_age: std::time::Duration::from_secs(3600),
            min_refresh: std::time::Duration::from_secs(30),
            roles_claim_set: false,
            sign_in: None,
        }
    }

    /// The web desk's sign-in through this provider, from its client id, optional secret and
    /// button label (the label defaults to the issuer's host).
    fn with_sign_in(
        mut self,
        client_id: Option<String>,
        client_secret: Option<String>,
        name: Option<String>,
    ) -> anyhow::Result<OidcIssuer> {
        match client_id {
            Some(client_id) => {
                let name = name.unwrap_or_else(|| host_of(&self.issuer).to_string());
                self.sign_in = Some(ProviderSignIn {
                    client_id,
                    client_secret,
                    name,
                });
            }
            None if client_secret.is_some() || name.is_some() => anyhow::bail!(
                "OIDC issuer `{}`: a client secret or a name needs the client id too",
                self.issuer
            ),
            None => {}
        }
        Ok(self)
    }

    fn from_file(f: FileOidc) -> anyhow::Result<OidcIssuer> {
        let audience = f.audience.or(f.client_id.clone()).ok_or_else(|| {
            anyhow::anyhow!("OIDC issuer `{}`: set its audience or client_id", f.issuer)
        })?;
        let mut o = OidcIssuer::new(&f.issuer, &audience).with_sign_in(
            f.client_id,
            f.client_secret,
            f.name,
        )?;
        if let Some(algs) = f.algorithms {
            o.algorithms = parse_algorithms(&algs)?;
        }
        o.jwks_uri = f.jwks_uri;
        if let Some(c) = f.subject_claim {
            o.subject_claim = c;
        }
        if let Some(c) = f.org_claim {
            o.org_claim = c;
        }
        if let Some(c) = f.roles_claim {
            o.roles_claim = c;
            o.roles_claim_set = true;
        }
        if let Some(t) = f.timeout_seconds {
            o.timeout = std::time::Duration::from_secs(t);
        }
        if let Some(t) = f.keys_max_age_seconds {
            o.keys_max_age = std::time::Duration::from_secs(t);
        }
        if let Some(t) = f.min_refresh_seconds {
            o.min_refresh = std::time::Duration::from_secs(t);
        }
        Ok(o)
    }

    /// Refuses what would be unsafe or cannot work: a plain-http issuer off loopback, an empty
    /// audience, an algorithm other than RS256 and ES256 (never an HMAC one: a public key must
    /// not become a shared secret), a timeout of zero.
    pub fn check(&self) -> anyhow::Result<()> {
        let name = &self.issuer;
        secure_url(name).with_context(|| format!("OIDC issuer `{name}`"))?;
        if let Some(uri) = &self.jwks_uri {
            secure_url(uri).with_context(|| format!("OIDC issuer `{name}`: jwks_uri"))?;
        }
        if self.audience.trim().is_empty() {
            anyhow::bail!("OIDC issuer `{name}`: the audience (client id) is required");
        }
        if self.algorithms.is_empty() {
            anyhow::bail!("OIDC issuer `{name}`: name at least one algorithm (RS256, ES256)");
        }
        use jsonwebtoken::Algorithm::{ES256, RS256};
        if let Some(other) = self.algorithms.iter().find(|a| !matches!(a, RS256 | ES256)) {
            anyhow::bail!(
                "OIDC issuer `{name}`: {other:?} is not accepted; use RS256 or ES256 \
                 (an HMAC algorithm would turn a public key into a shared secret)"
            );
        }
        if self.timeout.is_zero() {
            anyhow::bail!("OIDC issuer `{name}`: the timeout must be more than zero");
        }
        for claim in [&self.subject_claim, &self.org_claim, &self.roles_claim] {
            if claim.split('.').any(str::is_empty) {
                anyhow::bail!("OIDC issuer `{name}`: `{claim}` is not a claim path");
            }
        }
        Ok(())
    }
}

fn parse_algorithms(names: &[String]) -> anyhow::Result<Vec<jsonwebtoken::Algorithm>> {
    names
        .iter()
        .map(|n| match n.trim() {
            "RS256" => Ok(jsonwebtoken::Algorithm::RS256),
            "ES256" => Ok(jsonwebtoken::Algorithm::ES256),
            other => anyhow::bail!(
                "OIDC algorithm `{other}` is not accepted: use RS256 or ES256 \
                 (an HMAC algorithm would turn a public key into a shared secret)"
            ),
        })
        .collect()
}

/// An https URL, or http to a loopback address (a provider on the same machine, or a test).
fn secure_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("`{url}` is not an https URL"))?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        anyhow::bail!("`{url}` must use https (plain http only to a loopback address)")
    }
}

fn oidc_from_env() -> anyhow::Result<Option<OidcIssuer>> {
    let Some(issuer) = env("GREENLANE_OIDC_ISSUER") else {
        return Ok(None);
    };
    let client_id = env("GREENLANE_OIDC_CLIENT_ID");
    let audience = env("GREENLANE_OIDC_AUDIENCE")
        .or(client_id.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "GREENLANE_OIDC_ISSUER is set: set GREENLANE_OIDC_AUDIENCE or \
                 GREENLANE_OIDC_CLIENT_ID too"
            )
        })?;
    let mut o = OidcIssuer::new(&issuer, &audience).with_sign_in(
        client_id,
        env("GREENLANE_OIDC_CLIENT_SECRET"),
        env("GREENLANE_OIDC_NAME"),
    )?;
    if let Some(algs) = env("GREENLANE_OIDC_ALGORITHMS") {
        o.algorithms = parse_algorithms(&algs.split(',').map(str::to_string).collect::<Vec<_>>())?;
    }
    o.jwks_uri = env("GREENLANE_OIDC_JWKS_URI");
    if let Some(c) = env("GREENLANE_OIDC_SUBJECT_CLAIM") {
        o.subject_claim = c;
    }
    if let Some(c) = env("GREENLANE_OIDC_ORG_CLAIM") {
        o.org_claim = c;
    }
    if let Some(c) = env("GREENLANE_OIDC_ROLES_CLAIM") {
        o.roles_claim = c;
        o.roles_claim_set = true;
    }
    Ok(Some(o))
}

/// Outgoing e-mail: SMTP if `GREENLANE_SMTP_URL` is set, else `.eml` files in
/// `GREENLANE_MAIL_DIR` (default: `mail/` beside the SQLite database, or `./mail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    pub from: String,
    pub dir: PathBuf,
    /// The base of links in messages (`GREENLANE_PUBLIC_URL`).
    pub public_url: String,
}

impl MailConfig {
    /// Mail written as files into `dir`, links to `public_url`.
    pub fn files(dir: PathBuf, public_url: &str) -> MailConfig {
        MailConfig {
            smtp_url: None,
            from: DEFAULT_FROM.into(),
            dir,
            public_url: public_url.into(),
        }
    }
}

pub const DEFAULT_FROM: &str = "Greenlane <noreply@greenlane.invalid>";

/// `GREENLANE_CLOCK`: `system` (the default) or `manual`, which starts at
/// `GREENLANE_CLOCK_START` (RFC 3339) or now and moves only through the admin clock endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockMode {
    System,
    Manual {
        start: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    database_url: Option<String>,
    jwt_secret: Option<String>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    workflows_dir: Option<PathBuf>,
    clock: Option<String>,
    clock_start: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    mail_dir: Option<PathBuf>,
    public_url: Option<String>,
    #[serde(default)]
    oidc: Vec<FileOidc>,
    password_sign_in: Option<bool>,
}

/// Where the secret came from, so that the server can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Configured,
    Generated(PathBuf),
    Stored(PathBuf),
}

/// `10.0.0.1, 10.1.0.0/16`: addresses (a network of one) and networks.
pub fn parse_proxies(v: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "GREENLANE_TRUSTED_PROXIES: `{p}` is not an address or a network (like 10.0.0.0/8)"
                    )
                })
        })
        .collect()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Settings {
    /// Reads the file and the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = match env("GREENLANE_CONFIG") {
            Some(path) => Some(PathBuf::from(path)),
            None => Some(PathBuf::from("greenlane.toml")).filter(|p| p.exists()),
        };
        let from_file: FileSettings = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading settings file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("settings file {}", path.display()))?
            }
            None => FileSettings::default(),
        };
        let database_url = env("DATABASE_URL")
            .or(from_file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let bind = env("GREENLANE_BIND")
            .or(from_file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let beside_db = sqlite_path(&database_url)
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("mail"), |d| d.join("mail"));
        let documents_dir = env("GREENLANE_DOCUMENTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                sqlite_path(&database_url)
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("documents"), |d| d.join("documents"))
            });
        let max_upload_bytes = match env("GREENLANE_MAX_UPLOAD_BYTES") {
            Some(v) => v.parse().with_context(|| {
                format!("GREENLANE_MAX_UPLOAD_BYTES `{v}` is not a number of bytes")
            })?,
            None => 20 << 20,
        };
        let mail = MailConfig {
            smtp_url: env("GREENLANE_SMTP_URL").or(from_file.smtp_url),
            from: env("GREENLANE_MAIL_FROM")
                .or(from_file.mail_from)
                .unwrap_or_else(|| DEFAULT_FROM.into()),
            dir: env("GREENLANE_MAIL_DIR")
                .map(PathBuf::from)
                .or(from_file.mail_dir)
                .unwrap_or(beside_db),
            public_url: env("GREENLANE_PUBLIC_URL")
                .or(from_file.public_url)
                .unwrap_or_else(|| format!("http://{bind}")),
        };
        let mut oidc = from_file
            .oidc
            .into_iter()
            .map(OidcIssuer::from_file)
            .collect::<anyhow::Result<Vec<_>>>()?;
        oidc.extend(oidc_from_env()?);
        let trusted_proxies = match env("GREENLANE_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => parse_proxies(&v)?,
        };
        let log_origin =
            env("GREENLANE_LOG_ORIGIN").unwrap_or_else(|| default_origin(&mail.public_url));
        let log_key_file = env("GREENLANE_LOG_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                sqlite_path(&database_url)
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("log.key"), |d| d.join("log.key"))
            });
        let password_sign_in = match env("GREENLANE_PASSWORD_SIGN_IN").as_deref() {
            None => from_file.password_sign_in.unwrap_or(true),
            Some("on") => true,
            Some("off") => false,
            Some(other) => {
                anyhow::bail!("GREENLANE_PASSWORD_SIGN_IN must be `on` or `off`, not `{other}`")
            }
        };
        if oidc.iter().filter(|o| o.sign_in.is_some()).count() > 1 {
            anyhow::bail!("only one OIDC issuer can have a client id for the web desk's sign-in");
        }
        if !password_sign_in && oidc.iter().all(|o| o.sign_in.is_none()) {
            anyhow::bail!(
                "password sign-in is off, but no identity provider is set up for the web desk \
                 (GREENLANE_OIDC_CLIENT_ID): nobody could sign in"
            );
        }
        let group_commit = match env("GREENLANE_GROUP_COMMIT").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                anyhow::bail!("GREENLANE_GROUP_COMMIT must be `on` or `off`, not `{other}`")
            }
        };
        Ok(Settings {
            group_commit,
            password_sign_in,
            log_origin,
            log_key_file,
            trusted_proxies,
            oidc,
            bind,
            database_url,
            jwt_secret: env("GREENLANE_JWT_SECRET").or(from_file.jwt_secret),
            jwt_issuer: env("GREENLANE_JWT_ISSUER")
                .or(from_file.jwt_issuer)
                .unwrap_or_else(|| "greenlane".into()),
            jwt_audience: env("GREENLANE_JWT_AUDIENCE")
                .or(from_file.jwt_audience)
                .unwrap_or_else(|| "greenlane-api".into()),
            workflows_dir: env("GREENLANE_WORKFLOWS")
                .map(PathBuf::from)
                .or(from_file.workflows_dir)
                .unwrap_or_else(|| PathBuf::from("workflows")),
            mail,
            documents_dir,
            max_upload_bytes,
            cors_origins: env("GREENLANE_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),

            timer_workers: match env("GREENLANE_TIMER_WORKERS") {
                None => 2,
                Some(v) => match v.parse::<usize>() {
                    Ok(n @ 1..=32) => n,
                    _ => anyhow::bail!("GREENLANE_TIMER_WORKERS must be 1 to 32, not `{v}`"),
                },
            },
            worker: match env("GREENLANE_WORKER").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => {
                    anyhow::bail!("GREENLANE_WORKER must be `on` or `off`, not `{other}`")
                }
            },
            clock: clock_mode(
                env("GREENLANE_CLOCK").or(from_file.clock).as_deref(),
                env("GREENLANE_CLOCK_START")
                    .or(from_file.clock_start)
                    .as_deref(),
            )?,
        })
    }

    /// The JWT settings. With no configured secret and a SQLite file database, the secret kept
    /// beside the database is used, and generated on first use.
    pub fn jwt(&self) -> anyhow::Result<(JwtSettings, SecretSource)> {
        let (secret, source) = match &self.jwt_secret {
            Some(s) => (s.clone(), SecretSource::Configured),
            None => stored_secret(&self.database_url)?,
        };
        if secret.len() < 32 {
            anyhow::bail!("the JWT secret must be at least 32 characters");
        }
        let jwt = JwtSettings {
            secret,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
        };
        Ok((jwt, source))
    }
}

fn clock_mode(mode: Option<&str>, start: Option<&str>) -> anyhow::Result<ClockMode> {
    match mode.unwrap_or("system") {
        "system" => Ok(ClockMode::System),
        "manual" => {
            let start = start
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(s)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .with_context(|| {
                            format!("GREENLANE_CLOCK_START `{s}` is not an RFC 3339 time")
                        })
                })
                .transpose()?;
            Ok(ClockMode::Manual { start })
        }
        other => anyhow::bail!("GREENLANE_CLOCK must be `system` or `manual`, not `{other}`"),
    }
}

/// The file a SQLite URL points at, if it is a file (not `:memory:`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// Reads the secret kept beside the SQLite database, generating it on first start.
/// With PostgreSQL several instances share one database, so the secret must be configured.
fn stored_secret(database_url: &str) -> anyhow::Result<(String, SecretSource)> {
    let Some(db_file) = sqlite_path(database_url) else {
        anyhow::bail!(
            "GREENLANE_JWT_SECRET is not set; it can only be generated for a SQLite file database \
             (every instance sharing a PostgreSQL database must use the same configured secret)"
        );
    };
    let dir = db_file.parent().map(Path::to_path_buf).unwrap_or_default();
    let path = if dir.as_os_str().is_empty() {
        PathBuf::from("jwt_secret")
    } else {
        dir.join("jwt_secret")
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok((existing.trim().to_string(), SecretSource::Stored(path)));
    }
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = hex::encode(bytes);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok((secret, SecretSource::Generated(path)))
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// The log's default origin: the public URL's host (and port) and `/log`.
pub fn default_origin(public_url: &str) -> String {
    format!("{}/log", host_of(public_url))
}

/// The host (and port) of a URL.
fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_id_makes_the_web_desk_a_client_of_the_provider() {
        let file: FileSettings = toml::from_str(
            r#"
            [[oidc]]
            issuer = "https://id.bureau.example/realms/bureau"
            client_id = "greenlane"
            client_secret = "s"
            name = "Bureau ID"
            roles_claim = "realm_access.roles"

            [[oidc]]
            issuer = "https://partner.example"
            audience = "greenlane-api"
            "#,
        )
        .expect("settings");
        let mut issuers = file.oidc.into_iter().map(OidcIssuer::from_file);
        let desk = issuers.next().expect("one").expect("valid");
        assert_eq!(
            desk.audience, "greenlane",
            "the audience defaults to the client id"
        );
        assert!(desk.roles_claim_set);
        let sign_in = desk.sign_in.expect("a client");
        assert_eq!(sign_in.name, "Bureau ID");
        assert_eq!(sign_in.client_secret.as_deref(), Some("s"));
        let api_only = issuers.next().expect("two").expect("valid");
        assert!(api_only.sign_in.is_none() && !api_only.roles_claim_set);
        // Neither an audience nor a client id: refused; a secret without a client id too.
        let bad: FileSettings = toml::from_str(
            "[[oidc]]\nissuer = \"https://id.example\"\n\n[[oidc]]\nissuer = \"https://id.example\"\naudience = \"a\"\nclient_secret = \"s\"\n",
        )
        .expect("settings");
        for f in bad.oidc {
            assert!(OidcIssuer::from_file(f).is_err());
        }
        // The button's label defaults to the provider's host.
        let unnamed = OidcIssuer::new("https://id.example:8443/realms/x", "a")
            .with_sign_in(Some("a".into()), None, None)
            .expect("valid");
        assert_eq!(unnamed.sign_in.expect("client").name, "id.example:8443");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://data/greenlane.db"),
            Some(PathBuf::from("data/greenlane.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/g.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/g.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/g"), None);
    }
}
