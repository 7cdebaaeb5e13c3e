//! Configuration (SPEC §7): built-in defaults, then `gatehouse.toml` (optional),
//! then `GATEHOUSE_*` environment variables. Anything invalid stops the start
//! with a message that names the offending key. Each section (`email`,
//! `invitations`, `rate_limits`, `organizations`, `retention`, `roles`,
//! `webhooks`) has its own file with its defaults and its checks; this file
//! loads them and checks the top-level keys.

mod email;
mod hooks;
mod invitations;
mod limits;
mod organizations;
mod retention;
mod roles;
mod webhooks;

use std::{path::Path, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use ipnet::IpNet;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use self::{
    email::RawEmail, invitations::RawInvitations, limits::RawRateLimits,
    organizations::RawOrganizations, retention::RawRetention, roles::RawRole,
};
pub use self::{
    email::{EmailSettings, SmtpSettings, SmtpTls},
    hooks::{EmailVerified, HookFuture, Hooks},
    invitations::InvitationSettings,
    limits::{Limit, RateLimits},
    organizations::{
        AllowCreate, CustomRoleSettings, DomainSettings, OrganizationSettings, TeamSettings,
    },
    retention::RetentionSettings,
    webhooks::{ConfiguredWebhook, WebhookSettings},
};
use crate::{
    access::roles::Roles,
    server::secret_key::{self, SecretKey},
};

/// Where the secret key comes from when `secret_key` is not set.
enum KeySource<'a> {
    /// The key file (`key_file`, or beside this configuration file).
    File { config_path: &'a Path },
    /// A key made for this process alone: only `with_overrides` (tests and
    /// one-off tools) uses it, never a server that keeps messages.
    Ephemeral,
}

/// Whether people may create an account without an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignUpMode {
    InviteOnly,
    Open,
}

/// Raw settings exactly as written in the file or environment. Durations are
/// humantime strings ("15m", "7d") so a self-hoster can read them at a glance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    bind: String,
    database_url: String,
    sign_up_mode: SignUpMode,
    session_ttl: String,
    password_reset_ttl: String,
    enrollment_ttl: String,
    email_verification_ttl: String,
    impersonation_ttl: String,
    /// Instance roles whose holders must use two-factor authentication
    /// before their role lets them do anything (issue 27).
    two_factor_required_for: Vec<String>,
    shutdown_timeout: String,
    /// `text` (default) or `json`: one JSON object a line.
    log_format: LogFormat,
    /// The bearer token `GET /metrics` asks for; none: no metrics.
    metrics_token: Option<String>,
    trusted_origins: Vec<String>,
    trusted_proxies: Vec<String>,
    /// The instance's secret key, base64 (usually `GATEHOUSE_SECRET_KEY`).
    secret_key: Option<String>,
    /// Where the key is kept when `secret_key` is not set; created on the
    /// first start. Default: `gatehouse.key` beside the configuration file.
    key_file: Option<String>,
    rate_limits: RawRateLimits,
    smtp_url: Option<String>,
    email: RawEmail,
    roles: Vec<RawRole>,
    invitations: RawInvitations,
    organizations: RawOrganizations,
    retention: RawRetention,
    /// `[[webhooks]]` (endpoints only), or `[webhooks]` with its settings
    /// and `[[webhooks.endpoints]]`: read by `parse_webhooks`, which names
    /// the key of anything wrong in either form.
    webhooks: figment::value::Value,
}

/// How the server writes its log (standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people: one readable line an event.
    #[default]
    Text,
    /// For log collectors: one JSON object a line, with the request's id.
    Json,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:3000".into(),
            bind: "127.0.0.1:3000".into(),
            database_url: "sqlite://data/gatehouse.db".into(),
            sign_up_mode: SignUpMode::InviteOnly,
            session_ttl: "7d".into(),
            password_reset_ttl: "1h".into(),
            enrollment_ttl: "48h".into(),
            email_verification_ttl: "24h".into(),
            impersonation_ttl: "1h".into(),
            two_factor_required_for: Vec::new(),
            shutdown_timeout: "20s".into(),
            log_format: LogFormat::Text,
            metrics_token: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            secret_key: None,
            key_file: None,
            rate_limits: RawRateLimits::default(),
            smtp_url: None,
            email: RawEmail::default(),
            roles: Roles::defaults().iter().map(RawRole::from).collect(),
            invitations: RawInvitations::default(),
            organizations: RawOrganizations::default(),
            retention: RawRetention::default(),
            webhooks: webhooks::defaults(),
        }
    }
}

/// Validated configuration. Every field here is known to be usable.
#[derive(Debug, Clone)]
pub struct Config {
    /// Public origin of this instance, without a trailing slash; used in links
    /// and as the only origin allowed to POST (with `trusted_origins`).
    pub base_url: Url,
    pub bind: String,
    pub database_url: String,
    pub sign_up_mode: SignUpMode,
    pub session_ttl: Duration,
    pub password_reset_ttl: Duration,
    /// How long an enrollment link (an admin-made account) stays usable.
    pub enrollment_ttl: Duration,
    /// How long an email verification link stays usable.
    pub email_verification_ttl: Duration,
    /// The longest an admin's impersonation session lasts.
    pub impersonation_ttl: Duration,
    /// Instance roles that act only with two-factor authentication on;
    /// each is a role of `roles`.
    pub two_factor_required_for: Vec<String>,
    /// How long a stopping server waits for the requests in flight.
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
    pub metrics_token: Option<SecretString>,
    pub trusted_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` entries are believed (SPEC §8); with
    /// none, the client is the socket's peer.
    pub trusted_proxies: Vec<IpNet>,
    /// Seals the secrets of waiting messages and keys the hash of codes.
    pub secret_key: SecretKey,
    pub rate_limits: RateLimits,
    /// None: no mail server; messages stay in the outbox and go to the log.
    pub smtp: Option<SmtpSettings>,
    pub email: EmailSettings,
    pub roles: Roles,
    pub invitations: InvitationSettings,
    pub organizations: OrganizationSettings,
    pub retention: RetentionSettings,
    pub webhooks: WebhookSettings,
    /// Plugged in by `startup`; none elsewhere (tools, unit tests).
    pub hooks: Hooks,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration key `{key}`{origin}: {reason}")]
    Value {
        key: String,
        origin: String,
        reason: String,
    },
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
}

impl Config {
    /// Loads defaults, then the TOML file at `path` if it exists, then the
    /// environment. `path` is `GATEHOUSE_CONFIG` or `gatehouse.toml`.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("GATEHOUSE_CONFIG").unwrap_or_else(|_| "gatehouse.toml".into());
        // An environment variable under `webhooks` would replace a file's
        // `[[webhooks]]` list whole (a table cannot merge into a list), and
        // the endpoints would be gone without a word.
        let listed = matches!(
            Figment::from(Toml::file(Path::new(&path))).find_value("webhooks"),
            Ok(figment::value::Value::Array(..))
        );
        if listed && std::env::vars().any(|(k, _)| k.starts_with("GATEHOUSE_WEBHOOKS__")) {
            return Err(invalid(
                "webhooks",
                "the file lists endpoints as [[webhooks]], which GATEHOUSE_WEBHOOKS__* settings \
                 cannot be added to: write [webhooks] with the settings and the endpoints as \
                 [[webhooks.endpoints]]"
                    .into(),
            ));
        }
        Self::from_figment(
            Figment::from(Serialized::defaults(RawConfig::default()))
                .merge(Toml::file(Path::new(&path)))
                .merge(Env::prefixed("GATEHOUSE_").ignore(&["config"]).split("__")),
            KeySource::File {
                config_path: Path::new(&path),
            },
        )
    }

    /// Builds a configuration from defaults plus the given overrides, as
    /// (dotted key, TOML value) pairs. Tests use this to start isolated servers.
    pub fn with_overrides(overrides: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        for (key, value) in overrides {
            let toml = format!("{key} = {value}");
            figment = figment.merge(Toml::string(&toml));
        }
        Self::from_figment(figment, KeySource::Ephemeral)
    }

    fn from_figment(figment: Figment, key_source: KeySource<'_>) -> Result<Self, ConfigError> {
        if figment.find_value("trust_proxy_headers").is_ok() {
            return Err(invalid(
                "trust_proxy_headers",
                "was replaced by `trusted_proxies`: list the addresses or networks of your \
                 reverse proxies, e.g. trusted_proxies = [\"10.0.0.0/8\"]"
                    .into(),
            ));
        }
        let raw: RawConfig = figment.extract().map_err(describe)?;
        let secret_key = load_secret_key(&raw, key_source)?;
        let organizations = raw.organizations.check(&raw.roles)?;
        let webhooks = webhooks::parse_webhooks(&figment)?;
        let retention = raw.retention.check()?;
        let base_url = parse_base_url(&raw.base_url)?;
        if raw.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "bind",
                format!("`{}` is not an address like 127.0.0.1:3000", raw.bind),
            ));
        }
        if !(raw.database_url.starts_with("sqlite:")
            || raw.database_url.starts_with("postgres://")
            || raw.database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        let trusted_origins = raw
            .trusted_origins
            .iter()
            .map(|o| {
                Url::parse(o)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .map(|u| u.origin().ascii_serialization())
                    .ok_or_else(|| {
                        invalid(
                            "trusted_origins",
                            format!("`{o}` is not an origin like https://app.example.com"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let roles = roles::parse_roles(raw.roles)?;
        let two_factor_required_for = raw
            .two_factor_required_for
            .iter()
            .map(|name| match roles.get(name.trim()) {
                Some(role) => Ok(role.name.clone()),
                None => Err(invalid(
                    "two_factor_required_for",
                    format!(
                        "`{name}` is not a role; the roles are {}",
                        roles
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            base_url,
            bind: raw.bind,
            database_url: raw.database_url,
            sign_up_mode: raw.sign_up_mode,
            session_ttl: parse_duration("session_ttl", &raw.session_ttl)?,
            password_reset_ttl: parse_duration("password_reset_ttl", &raw.password_reset_ttl)?,
            enrollment_ttl: parse_duration("enrollment_ttl", &raw.enrollment_ttl)?,
            email_verification_ttl: parse_duration(
                "email_verification_ttl",
                &raw.email_verification_ttl,
            )?,
            impersonation_ttl: parse_duration("impersonation_ttl", &raw.impersonation_ttl)?,
            two_factor_required_for,
            shutdown_timeout: parse_duration("shutdown_timeout", &raw.shutdown_timeout)?,
            log_format: raw.log_format,
            metrics_token: match raw.metrics_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) if t.len() < 16 => {
                    return Err(invalid(
                        "metrics_token",
                        "use at least 16 characters (e.g. `openssl rand -hex 24`)".into(),
                    ))
                }
                Some(t) => Some(SecretString::from(t.to_owned())),
            },
            trusted_origins,
            trusted_proxies: raw
                .trusted_proxies
                .iter()
                .map(|p| parse_network(p))
                .collect::<Result<_, _>>()?,
            secret_key,
            rate_limits: raw.rate_limits.check()?,
            smtp: raw
                .smtp_url
                .as_deref()
                .map(email::parse_smtp_url)
                .transpose()?,
            email: raw.email.check()?,
            roles,
            invitations: raw.invitations.check()?,
            organizations,
            retention,
            webhooks,
            hooks: Hooks::default(),
        })
    }

    /// The origin (`scheme://host[:port]`) that pages are served from.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Cookies get `Secure` exactly when the instance is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Where a caller-supplied redirect may send someone: a path on this
    /// instance, or a page of this origin or a trusted one. Anything else
    /// (another host, `//host`, backslashes, whitespace) is `None`, so a
    /// link carrying a token is never handed to a stranger.
    pub fn redirect_target(&self, redirect: &str) -> Option<url::Url> {
        if redirect.starts_with('/') {
            return crate::ui::is_local_path(redirect)
                .then(|| self.base_url.join(redirect).ok())
                .flatten();
        }
        let url = url::Url::parse(redirect).ok()?;
        let origin = url.origin().ascii_serialization();
        (origin == self.origin() || self.trusted_origins.contains(&origin)).then_some(url)
    }

    /// An absolute link to a path of this instance.
    pub fn link(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.base_url.as_str().trim_end_matches('/'),
            path_and_query
        )
    }
}

/// Names the key as it is written in `gatehouse.toml`, and where the bad
/// value came from (the file, or which environment variable).
fn describe(e: figment::Error) -> ConfigError {
    if e.path.is_empty() {
        return ConfigError::Load(e.to_string());
    }
    let key = e.path.join(".").to_lowercase();
    let origin = match &e.metadata {
        Some(meta) if meta.name.contains("environment") => {
            format!(" (from GATEHOUSE_{})", e.path.join("__").to_uppercase())
        }
        Some(meta) => match &meta.source {
            Some(source) => format!(" (in {source})"),
            None => format!(" (in {})", meta.name),
        },
        None => String::new(),
    };
    ConfigError::Value {
        key,
        origin,
        reason: e.kind.to_string(),
    }
}

fn invalid(key: impl Into<String>, reason: String) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason,
    }
}

/// A trusted proxy: one address (`10.0.0.7`) or a network (`10.0.0.0/8`).
fn parse_network(s: &str) -> Result<IpNet, ConfigError> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            invalid(
                "trusted_proxies",
                format!("`{s}` is not an address or network like 10.0.0.0/8 or ::1"),
            )
        })
}

fn load_secret_key(raw: &RawConfig, source: KeySource<'_>) -> Result<SecretKey, ConfigError> {
    if let Some(text) = raw.secret_key.as_deref() {
        return SecretKey::parse(text).map_err(|e| invalid("secret_key", e.to_string()));
    }
    let path = match (&raw.key_file, source) {
        (Some(file), _) => std::path::PathBuf::from(file),
        (None, KeySource::File { config_path }) => secret_key::default_key_file(config_path),
        (None, KeySource::Ephemeral) => return Ok(SecretKey::generate().0),
    };
    let (key, created) =
        SecretKey::load_or_create(&path).map_err(|reason| invalid("key_file", reason))?;
    if created {
        eprintln!(
            "Created the secret key file {} (mode 600). Back it up with the database: \
             without it, waiting emails and invitation codes cannot be used.",
            path.display()
        );
    }
    Ok(key)
}

fn parse_base_url(s: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(s).map_err(|e| invalid("base_url", format!("`{s}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "base_url",
            format!("`{s}` must be an http:// or https:// URL"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "base_url",
            format!("`{s}` must not have a query or fragment"),
        ));
    }
    Ok(url)
}

fn parse_duration(key: &'static str, s: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(s)
        .map_err(|e| invalid(key, format!("`{s}` is not a duration like 15m or 7d: {e}")))?;
    if d.is_zero() {
        return Err(invalid(key, "must be longer than zero".into()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
