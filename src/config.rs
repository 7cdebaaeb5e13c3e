//! Configuration (SPEC §7): built-in defaults, then `gatehouse.toml` (optional),
//! then `GATEHOUSE_*` environment variables. Anything invalid stops the start
//! with a message that names the offending key.

use std::{collections::BTreeMap, path::Path, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    access::statements::{Statements, INSTANCE},
    invites::{domain::SecretKind, policy::RankRule},
    roles::{Role, Roles},
    server::secret_key::{self, SecretKey},
};
use ipnet::IpNet;

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

pub use crate::server::rate_limit::Limit;

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

/// `[webhooks]`: how deliveries are made, and the configured endpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhookSettings {
    allow_private_networks: bool,
    timeout: String,
    max_attempts: u32,
    retry_backoff: String,
    poll_interval: String,
    #[serde(default)]
    endpoints: Vec<RawWebhook>,
}

impl Default for RawWebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            timeout: "10s".into(),
            max_attempts: 8,
            retry_backoff: "30s".into(),
            poll_interval: "2s".into(),
            endpoints: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    secret: String,
    /// Event types, prefixes (`organization.*`) or `*`; default: all.
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
}

/// Webhook delivery (issue 14), and the endpoints `gatehouse.toml` names.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether a webhook may point at this host, a private network or a
    /// link-local address (cloud metadata); off, so one cannot be aimed at
    /// the database or a metadata service.
    pub allow_private_networks: bool,
    /// The whole of one delivery: connecting, sending and the answer.
    pub timeout: Duration,
    /// Attempts before a delivery is `failed`.
    pub max_attempts: u32,
    /// Wait before the second attempt; it doubles with each further one.
    pub retry_backoff: Duration,
    /// How often each node looks for due deliveries.
    pub poll_interval: Duration,
    pub endpoints: Vec<ConfiguredWebhook>,
}

#[derive(Debug, Clone)]
pub struct ConfiguredWebhook {
    pub url: Url,
    /// As written: `whsec_…` or plain text (`webhooks::domain::Secret`).
    pub secret: SecretString,
    pub events: crate::webhooks::domain::Events,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    sent_emails: String,
    spent_tokens: String,
    delivered_webhooks: String,
    /// None: audit events are kept for good.
    audit_events: Option<String>,
}

/// How long what is done with is kept (SPEC §7); pruned every ten minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Delivered emails, after they were sent.
    pub sent_emails: Duration,
    /// Password-reset and email-verification tokens, after their use or
    /// expiry.
    pub spent_tokens: Duration,
    /// Webhook deliveries, after they were delivered or failed for good.
    pub delivered_webhooks: Duration,
    /// Audit events, after they were written; none: for good.
    pub audit_events: Option<Duration>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganizations {
    /// `"everyone"`, or the instance roles that may create organizations.
    allow_create: AllowCreate,
    /// How many organizations one person may own; none: no limit.
    limit_per_user: Option<u32>,
    membership_limit: u32,
    disable_deletion: bool,
    /// How long an organization invitation stays usable (`48h`).
    invitation_expiry: String,
    /// Pending invitations per organization.
    invitation_limit: u32,
    /// Inviting an address again cancels its pending invitation instead of
    /// being refused.
    cancel_pending_on_reinvite: bool,
    teams: TeamSettings,
    custom_roles: CustomRoleSettings,
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

/// Custom organization roles (SPEC §3 "Organizations" 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRoleSettings {
    pub enabled: bool,
    /// Custom roles per organization; none: no limit.
    pub maximum_roles_per_organization: Option<u32>,
}

/// Teams inside organizations (SPEC §3 "Organizations" 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSettings {
    pub enabled: bool,
    /// Teams per organization; none: no limit.
    pub maximum_teams: Option<u32>,
    /// Members per team; none: no limit.
    pub maximum_members_per_team: Option<u32>,
    /// Whether an organization's last team may be removed.
    pub allow_removing_all_teams: bool,
}

/// Who may create organizations (SPEC §3 "Organizations" 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AllowCreate {
    /// `"everyone"`: any signed-in person.
    Everyone(String),
    /// Only these instance roles.
    Roles(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct OrganizationSettings {
    pub allow_create: AllowCreate,
    pub limit_per_user: Option<u32>,
    pub membership_limit: u32,
    pub disable_deletion: bool,
    pub invitation_expiry: Duration,
    pub invitation_limit: u32,
    pub cancel_pending_on_reinvite: bool,
    pub teams: TeamSettings,
    pub custom_roles: CustomRoleSettings,
}

impl OrganizationSettings {
    pub fn invitation_expiry_ms(&self) -> i64 {
        i64::try_from(self.invitation_expiry.as_millis()).unwrap_or(i64::MAX)
    }

    pub fn may_create(&self, instance_role: &str) -> bool {
        match &self.allow_create {
            AllowCreate::Everyone(_) => true,
            AllowCreate::Roles(roles) => roles.iter().any(|r| r == instance_role),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInvitations {
    default_expiry: String,
    max_expiry: String,
    default_kind: SecretKind,
    rank_rule: RankRule,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimits {
    sign_in: String,
    sign_up: String,
    password_reset: String,
    email_per_recipient: String,
    email_per_recipient_admin: String,
    organization_email_per_recipient: String,
    organization_email_per_organization: String,
    organization_email_per_sender: String,
    invite_code: String,
    invite_code_global: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    from: String,
    max_attempts: u32,
    retry_backoff: String,
    poll_interval: String,
}

/// One `[[roles]]` entry; the list runs from the lowest rank to the highest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    abilities: Vec<String>,
    /// `resource = ["action", ...]`, e.g. `invite = ["create", "list"]`.
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
}

impl From<&Role> for RawRole {
    fn from(role: &Role) -> Self {
        let mut permissions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (resource, action) in role.permissions.pairs() {
            permissions
                .entry(resource.into())
                .or_default()
                .push(action.into());
        }
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            abilities: role.abilities.clone(),
            permissions,
        }
    }
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
            shutdown_timeout: "20s".into(),
            log_format: LogFormat::Text,
            metrics_token: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            secret_key: None,
            key_file: None,
            rate_limits: RawRateLimits {
                sign_in: "10/5m".into(),
                sign_up: "5/10m".into(),
                password_reset: "5/15m".into(),
                email_per_recipient: "10/1h".into(),
                email_per_recipient_admin: "20/1h".into(),
                organization_email_per_recipient: "3/1h".into(),
                organization_email_per_organization: "100/1h".into(),
                organization_email_per_sender: "100/1h".into(),
                invite_code: "10/5m".into(),
                invite_code_global: "1000/1h".into(),
            },
            smtp_url: None,
            email: RawEmail {
                from: "Gatehouse <gatehouse@localhost>".into(),
                max_attempts: 8,
                retry_backoff: "30s".into(),
                poll_interval: "5s".into(),
            },
            roles: Roles::defaults().iter().map(RawRole::from).collect(),
            invitations: RawInvitations {
                default_expiry: "7d".into(),
                max_expiry: "30d".into(),
                default_kind: SecretKind::Link,
                rank_rule: RankRule::AtMostOwn,
            },
            organizations: RawOrganizations {
                allow_create: AllowCreate::Everyone("everyone".into()),
                limit_per_user: None,
                membership_limit: 100,
                disable_deletion: false,
                invitation_expiry: "48h".into(),
                invitation_limit: 100,
                cancel_pending_on_reinvite: false,
                teams: TeamSettings {
                    enabled: true,
                    maximum_teams: None,
                    maximum_members_per_team: None,
                    allow_removing_all_teams: false,
                },
                custom_roles: CustomRoleSettings {
                    enabled: true,
                    maximum_roles_per_organization: None,
                },
            },
            retention: RawRetention {
                sent_emails: "30d".into(),
                spent_tokens: "7d".into(),
                delivered_webhooks: "30d".into(),
                audit_events: None,
            },
            webhooks: figment::value::Value::serialize(RawWebhookSettings::default())
                .expect("the default webhook settings serialize"),
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
}

#[derive(Debug, Clone)]
pub struct InvitationSettings {
    pub default_expiry: Duration,
    /// No invitation may live longer; public ones always expire.
    pub max_expiry: Duration,
    pub default_kind: SecretKind,
    pub rank_rule: RankRule,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub sign_in: Limit,
    pub sign_up: Limit,
    pub password_reset: Limit,
    /// Messages that anyone may cause (a password reset) queued to one
    /// address, so no form can flood a mailbox.
    pub email_per_recipient: Limit,
    /// Messages an admin's action queues to one address (invitations,
    /// enrollment): a budget of their own, which strangers asking for
    /// password resets cannot spend.
    pub email_per_recipient_admin: Limit,
    /// Organization invitation emails (SPEC §6): budgets of their own, per
    /// recipient address, per sending organization and per sending user,
    /// so that anyone who can make an organization cannot flood a mailbox
    /// or spend the instance admins' budget.
    pub organization_email_per_recipient: Limit,
    pub organization_email_per_organization: Limit,
    pub organization_email_per_sender: Limit,
    /// Failed invitation code lookups per client address: codes are short.
    pub invite_code: Limit,
    /// Failed code lookups from all addresses together, so that many
    /// addresses cannot add up to a brute-force pass.
    pub invite_code_global: Limit,
}

/// Where and how to hand mail over, from `smtp_url`.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, SecretString)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://` (default): STARTTLS, refusing a server that does not offer it.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text, for a sink on the same machine.
    None,
    /// `smtps://`: TLS from the first byte.
    Wrapper,
}

#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub from: Mailbox,
    /// Delivery attempts before a message is marked `failed`.
    pub max_attempts: u32,
    /// Wait before the second attempt; it doubles with each further one.
    pub retry_backoff: Duration,
    /// How often each node looks for due messages that no one woke it for.
    pub poll_interval: Duration,
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
        let organizations = parse_organizations(&raw.organizations, &raw.roles)?;
        let webhooks = parse_webhooks(&figment)?;
        let retention = RetentionSettings {
            sent_emails: parse_duration("retention.sent_emails", &raw.retention.sent_emails)?,
            spent_tokens: parse_duration("retention.spent_tokens", &raw.retention.spent_tokens)?,
            delivered_webhooks: parse_duration(
                "retention.delivered_webhooks",
                &raw.retention.delivered_webhooks,
            )?,
            audit_events: raw
                .retention
                .audit_events
                .as_deref()
                .map(|d| parse_duration("retention.audit_events", d))
                .transpose()?,
        };
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
            rate_limits: RateLimits {
                sign_in: parse_limit("rate_limits.sign_in", &raw.rate_limits.sign_in)?,
                sign_up: parse_limit("rate_limits.sign_up", &raw.rate_limits.sign_up)?,
                password_reset: parse_limit(
                    "rate_limits.password_reset",
                    &raw.rate_limits.password_reset,
                )?,
                email_per_recipient: parse_limit(
                    "rate_limits.email_per_recipient",
                    &raw.rate_limits.email_per_recipient,
                )?,
                email_per_recipient_admin: parse_limit(
                    "rate_limits.email_per_recipient_admin",
                    &raw.rate_limits.email_per_recipient_admin,
                )?,
                organization_email_per_recipient: parse_limit(
                    "rate_limits.organization_email_per_recipient",
                    &raw.rate_limits.organization_email_per_recipient,
                )?,
                organization_email_per_organization: parse_limit(
                    "rate_limits.organization_email_per_organization",
                    &raw.rate_limits.organization_email_per_organization,
                )?,
                organization_email_per_sender: parse_limit(
                    "rate_limits.organization_email_per_sender",
                    &raw.rate_limits.organization_email_per_sender,
                )?,
                invite_code: parse_limit("rate_limits.invite_code", &raw.rate_limits.invite_code)?,
                invite_code_global: parse_limit(
                    "rate_limits.invite_code_global",
                    &raw.rate_limits.invite_code_global,
                )?,
            },
            smtp: raw.smtp_url.as_deref().map(parse_smtp_url).transpose()?,
            email: EmailSettings {
                from: raw.email.from.parse().map_err(|e| {
                    invalid(
                        "email.from",
                        format!(
                            "`{}` is not an address like Gatehouse <id@example.com>: {e}",
                            raw.email.from
                        ),
                    )
                })?,
                max_attempts: match raw.email.max_attempts {
                    0 => return Err(invalid("email.max_attempts", "must be at least 1".into())),
                    n => n,
                },
                retry_backoff: parse_duration("email.retry_backoff", &raw.email.retry_backoff)?,
                poll_interval: parse_duration("email.poll_interval", &raw.email.poll_interval)?,
            },
            roles: parse_roles(raw.roles)?,
            invitations: {
                let default_expiry = parse_duration(
                    "invitations.default_expiry",
                    &raw.invitations.default_expiry,
                )?;
                let max_expiry =
                    parse_duration("invitations.max_expiry", &raw.invitations.max_expiry)?;
                if default_expiry > max_expiry {
                    return Err(invalid(
                        "invitations.default_expiry",
                        "must not be longer than invitations.max_expiry".into(),
                    ));
                }
                InvitationSettings {
                    default_expiry,
                    max_expiry,
                    default_kind: raw.invitations.default_kind,
                    rank_rule: raw.invitations.rank_rule,
                }
            },
            organizations,
            retention,
            webhooks,
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

/// `smtp://user:pass@host:587` (STARTTLS), `smtps://host:465`, with an
/// optional `?tls=opportunistic|none`. Errors never repeat the URL, which
/// may hold a password.
fn parse_smtp_url(s: &str) -> Result<SmtpSettings, ConfigError> {
    let bad = |reason: &str| invalid("smtp_url", reason.to_owned());
    let url = Url::parse(s)
        .map_err(|e| bad(&format!("not a URL like smtp://user:pass@host:587 ({e})")))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("has no host"))?
        .to_owned();
    let tls_param = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
        ("smtps", None) => (SmtpTls::Wrapper, 465),
        ("smtp", None | Some("required")) => (SmtpTls::StartTls, 587),
        ("smtp", Some("opportunistic")) => (SmtpTls::Opportunistic, 587),
        ("smtp", Some("none")) => (SmtpTls::None, 25),
        ("smtp" | "smtps", Some(other)) => {
            return Err(bad(&format!(
                "tls={other} is not one of required, opportunistic, none (and smtps:// takes none)"
            )))
        }
        (scheme, _) => {
            return Err(bad(&format!(
                "scheme `{scheme}` is not smtp:// or smtps://"
            )))
        }
    };
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .into_owned()
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, Some(pass)) => Some((decode(user), SecretString::from(decode(pass)))),
        (_, None) => return Err(bad("names a user but no password")),
    };
    // A password over plain text (or over STARTTLS that an attacker can
    // strip) is readable on the wire; allow that only on this machine.
    // (smtp:// is not a scheme the URL standard knows, so its host is plain
    // text, never a parsed IP address.)
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if credentials.is_some() && matches!(tls, SmtpTls::None | SmtpTls::Opportunistic) && !loopback {
        return Err(bad(
            "sends a password to a remote server without required TLS; drop ?tls= or use smtps://",
        ));
    }
    Ok(SmtpSettings {
        host,
        port: url.port().unwrap_or(default_port),
        tls,
        credentials,
    })
}

fn parse_roles(raw: Vec<RawRole>) -> Result<Roles, ConfigError> {
    let mut roles = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let mut permissions = Statements::new();
        for (resource, actions) in &r.permissions {
            for action in actions {
                permissions.insert(resource, action);
            }
            let one = Statements::of(&[(
                resource,
                &actions.iter().map(String::as_str).collect::<Vec<_>>(),
            )]);
            INSTANCE.check(&one).map_err(|e| {
                invalid(format!("roles[{i}].permissions.{resource}"), e.to_string())
            })?;
        }
        roles.push(Role {
            name: r.name,
            description: r.description,
            abilities: r.abilities,
            permissions,
        });
    }
    Roles::new(roles).map_err(|e| invalid("roles", e.to_string()))
}

fn parse_organizations(
    raw: &RawOrganizations,
    roles: &[RawRole],
) -> Result<OrganizationSettings, ConfigError> {
    match &raw.allow_create {
        AllowCreate::Everyone(word) if word != "everyone" => {
            return Err(invalid(
                "organizations.allow_create",
                format!("`{word}` is neither \"everyone\" nor a list of roles"),
            ))
        }
        AllowCreate::Roles(list) => {
            if let Some(unknown) = list.iter().find(|r| !roles.iter().any(|k| &k.name == *r)) {
                return Err(invalid(
                    "organizations.allow_create",
                    format!("there is no role called `{unknown}`"),
                ));
            }
        }
        AllowCreate::Everyone(_) => {}
    }
    if raw.membership_limit == 0 {
        return Err(invalid(
            "organizations.membership_limit",
            "must be at least 1".into(),
        ));
    }
    if raw.invitation_limit == 0 {
        return Err(invalid(
            "organizations.invitation_limit",
            "must be at least 1".into(),
        ));
    }
    let invitation_expiry =
        parse_duration("organizations.invitation_expiry", &raw.invitation_expiry)?;
    for (key, limit) in [
        ("organizations.teams.maximum_teams", raw.teams.maximum_teams),
        (
            "organizations.teams.maximum_members_per_team",
            raw.teams.maximum_members_per_team,
        ),
        (
            "organizations.custom_roles.maximum_roles_per_organization",
            raw.custom_roles.maximum_roles_per_organization,
        ),
    ] {
        if limit == Some(0) {
            return Err(invalid(
                key,
                "must be at least 1 (or absent for no limit)".into(),
            ));
        }
    }
    Ok(OrganizationSettings {
        allow_create: raw.allow_create.clone(),
        limit_per_user: raw.limit_per_user,
        membership_limit: raw.membership_limit,
        disable_deletion: raw.disable_deletion,
        invitation_expiry,
        invitation_limit: raw.invitation_limit,
        cancel_pending_on_reinvite: raw.cancel_pending_on_reinvite,
        teams: raw.teams.clone(),
        custom_roles: raw.custom_roles.clone(),
    })
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

/// `[[webhooks]]` is a list of endpoints; `[webhooks]` holds the settings
/// and `[[webhooks.endpoints]]`. (TOML cannot have both under one name.)
fn parse_webhooks(figment: &Figment) -> Result<WebhookSettings, ConfigError> {
    let (raw, list_key) = match figment.find_value("webhooks") {
        Ok(figment::value::Value::Array(..)) => (
            RawWebhookSettings {
                endpoints: figment.extract_inner("webhooks").map_err(describe)?,
                ..RawWebhookSettings::default()
            },
            "webhooks",
        ),
        _ => (
            figment
                .extract_inner::<RawWebhookSettings>("webhooks")
                .map_err(describe)?,
            "webhooks.endpoints",
        ),
    };
    let duration = |key: &'static str, value: &str| parse_duration(key, value);
    if raw.max_attempts == 0 {
        return Err(invalid(
            "webhooks.max_attempts",
            "must be at least 1".into(),
        ));
    }
    let mut endpoints: Vec<ConfiguredWebhook> = Vec::new();
    for (i, e) in raw.endpoints.into_iter().enumerate() {
        use crate::webhooks::domain::{parse_url, Events, Secret};
        let key = |field: &str| format!("{list_key}[{i}].{field}");
        let url = parse_url(&e.url, raw.allow_private_networks)
            .map_err(|err| invalid(key("url"), err.to_string()))?;
        if endpoints.iter().any(|other| other.url == url) {
            return Err(invalid(key("url"), format!("{url} is configured twice")));
        }
        Secret::parse(&e.secret).map_err(|err| invalid(key("secret"), err.to_string()))?;
        let events = match &e.events {
            None => Events::all(),
            Some(list) => {
                Events::parse(list).map_err(|err| invalid(key("events"), err.to_string()))?
            }
        };
        endpoints.push(ConfiguredWebhook {
            url,
            secret: SecretString::from(e.secret.trim().to_owned()),
            events,
            description: e.description.unwrap_or_default().trim().to_owned(),
        });
    }
    Ok(WebhookSettings {
        allow_private_networks: raw.allow_private_networks,
        timeout: duration("webhooks.timeout", &raw.timeout)?,
        max_attempts: raw.max_attempts,
        retry_backoff: duration("webhooks.retry_backoff", &raw.retry_backoff)?,
        poll_interval: duration("webhooks.poll_interval", &raw.poll_interval)?,
        endpoints,
    })
}

fn parse_duration(key: &'static str, s: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(s)
        .map_err(|e| invalid(key, format!("`{s}` is not a duration like 15m or 7d: {e}")))?;
    if d.is_zero() {
        return Err(invalid(key, "must be longer than zero".into()));
    }
    Ok(d)
}

/// Parses `"10/5m"`: ten requests per five minutes.
fn parse_limit(key: &'static str, s: &str) -> Result<Limit, ConfigError> {
    let (max, window) = s
        .split_once('/')
        .ok_or_else(|| invalid(key, format!("`{s}` is not a limit like 10/5m")))?;
    let max: u32 = max
        .trim()
        .parse()
        .ok()
        .filter(|m| *m > 0)
        .ok_or_else(|| invalid(key, format!("`{max}` is not a positive number of requests")))?;
    Ok(Limit {
        max,
        window: parse_duration(key, window.trim())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::with_overrides(&[]).unwrap();
        assert_eq!(c.sign_up_mode, SignUpMode::InviteOnly);
        assert_eq!(c.database_url, "sqlite://data/gatehouse.db");
        assert_eq!(c.session_ttl, Duration::from_secs(7 * 24 * 3600));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn https_base_url_means_secure_cookies() {
        let c = Config::with_overrides(&[("base_url", "\"https://id.example.com/\"")]).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.origin(), "https://id.example.com");
        assert_eq!(c.link("/sign-in"), "https://id.example.com/sign-in");
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&str, &str, &str)] = &[
            ("base_url", "\"not a url\"", "base_url"),
            ("base_url", "\"ftp://x\"", "base_url"),
            ("bind", "\"localhost\"", "bind"),
            ("database_url", "\"mysql://x\"", "database_url"),
            ("session_ttl", "\"soon\"", "session_ttl"),
            ("session_ttl", "\"0s\"", "session_ttl"),
            ("rate_limits.sign_in", "\"ten\"", "rate_limits.sign_in"),
            ("rate_limits.sign_in", "\"0/1m\"", "rate_limits.sign_in"),
            ("trusted_origins", "[\"nope\"]", "trusted_origins"),
            ("trusted_proxies", "[\"10.0.0.0/33\"]", "trusted_proxies"),
            ("trust_proxy_headers", "true", "trusted_proxies"),
            ("secret_key", "\"short\"", "secret_key"),
            ("metrics_token", "\"short\"", "metrics_token"),
            (
                "organizations.allow_create",
                "\"admins\"",
                "organizations.allow_create",
            ),
            (
                "organizations.allow_create",
                "[\"emperor\"]",
                "organizations.allow_create",
            ),
            (
                "organizations.membership_limit",
                "0",
                "organizations.membership_limit",
            ),
            (
                "organizations.teams.maximum_members_per_team",
                "0",
                "organizations.teams.maximum_members_per_team",
            ),
            ("sign_up_mode", "\"closed\"", "sign_up_mode"),
        ];
        for (key, value, named) in cases {
            let err = Config::with_overrides(&[(key, value)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(named),
                "{key}={value}: `{err}` should name `{named}`"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::with_overrides(&[("sign_up", "\"open\"")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("sign_up"), "{err}");
    }

    // figment::Jail dictates the closure's error type.
    #[allow(clippy::result_large_err)]
    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gatehouse.toml",
                "sign_up_mode = \"open\"\nbase_url = \"https://file.example.com\"\n[rate_limits]\nsign_in = \"7/1m\"\n",
            )?;
            jail.set_env("GATEHOUSE_BASE_URL", "https://env.example.com");
            jail.set_env("GATEHOUSE_RATE_LIMITS__SIGN_UP", "9/2m");
            let c = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(c.sign_up_mode, SignUpMode::Open, "from the file");
            assert_eq!(
                c.origin(),
                "https://env.example.com",
                "the environment wins"
            );
            assert_eq!(c.rate_limits.sign_in.max, 7, "nested key from the file");
            assert_eq!(
                c.rate_limits.sign_up.max, 9,
                "nested key from the environment"
            );
            assert_eq!(c.bind, "127.0.0.1:3000", "default");
            Ok(())
        });
    }

    #[allow(clippy::result_large_err)]
    #[test]
    fn a_bad_environment_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEHOUSE_SIGN_UP_MODE", "sometimes");
            let err = Config::load().unwrap_err().to_string();
            assert!(
                err.contains("`sign_up_mode` (from GATEHOUSE_SIGN_UP_MODE)"),
                "{err}"
            );
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEHOUSE_CONFIG", "custom.toml");
            jail.create_file("custom.toml", "session_ttl = \"forever\"\nbind = 3000")?;
            let err = Config::load().unwrap_err().to_string();
            assert!(
                err.contains("`bind` (in ") && err.contains("custom.toml"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn smtp_urls() {
        let smtp = |url: &str| {
            Config::with_overrides(&[("smtp_url", &format!("\"{url}\""))]).map(|c| c.smtp.unwrap())
        };
        let s = smtp("smtp://mailer%40example.com:p%2Bss@mail.example.com").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.example.com", 587, SmtpTls::StartTls)
        );
        let (user, pass) = s.credentials.unwrap();
        assert_eq!(user, "mailer@example.com");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&pass), "p+ss");
        let s = smtp("smtps://mail.example.com").unwrap();
        assert_eq!((s.port, s.tls), (465, SmtpTls::Wrapper));
        assert!(s.credentials.is_none());
        let s = smtp("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((s.port, s.tls), (2525, SmtpTls::None));
        assert_eq!(
            smtp("smtp://h?tls=opportunistic").unwrap().tls,
            SmtpTls::Opportunistic
        );
        for bad in [
            "http://h",
            "smtp://h?tls=maybe",
            "smtp://user@h",
            "nonsense",
        ] {
            let err = smtp(bad).unwrap_err().to_string();
            assert!(err.contains("smtp_url"), "{bad}: {err}");
        }
        let err = smtp("smtp://me:hunter2@h?tls=maybe")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("hunter2"),
            "the password must not be echoed: {err}"
        );
        assert!(
            Config::with_overrides(&[]).unwrap().smtp.is_none(),
            "no SMTP by default"
        );
    }

    #[test]
    fn email_settings() {
        let c = Config::with_overrides(&[("email.from", "\"Acme ID <id@acme.test>\"")]).unwrap();
        assert_eq!(c.email.from.email.to_string(), "id@acme.test");
        for (key, value) in [
            ("email.from", "\"not an address\""),
            ("email.max_attempts", "0"),
            ("email.retry_backoff", "\"often\""),
        ] {
            let err = Config::with_overrides(&[(key, value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn roles_come_from_configuration() {
        assert_eq!(
            Config::with_overrides(&[]).unwrap().roles,
            Roles::defaults()
        );
        let c = Config::with_overrides(&[(
            "roles",
            r#"[{ name = "member" }, { name = "steward", description = "Keeps the door", abilities = ["Invite members"], permissions = { invite = ["create", "list"] } }]"#,
        )])
        .unwrap();
        let names: Vec<_> = c.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["member", "steward"],
            "the file's list replaces the defaults"
        );
        assert!(c
            .roles
            .allows("steward", crate::roles::Permission::InviteList));
        assert!(!c
            .roles
            .allows("steward", crate::roles::Permission::UserCreate));
        for (value, named) in [
            (
                r#"[{ name = "x", permissions = { invite = ["destroy"] } }]"#,
                "roles[0].permissions.invite",
            ),
            (
                r#"[{ name = "x", permissions = { planet = ["create"] } }]"#,
                "roles[0].permissions.planet",
            ),
            (r#"[{ name = "x" }, { name = "x" }]"#, "roles"),
            ("[]", "roles"),
            (r#"[{ name = "Root" }]"#, "roles"),
        ] {
            let err = Config::with_overrides(&[("roles", value)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(named),
                "{value}: `{err}` should name `{named}`"
            );
        }
    }

    #[test]
    fn limits_parse() {
        let c = Config::with_overrides(&[("rate_limits.sign_in", "\"3/10s\"")]).unwrap();
        assert_eq!(
            c.rate_limits.sign_in,
            Limit {
                max: 3,
                window: Duration::from_secs(10)
            }
        );
    }

    /// `[[webhooks]]` lists endpoints; `[webhooks]` holds the settings and
    /// `[[webhooks.endpoints]]`. Either way a mistake names its key.
    #[allow(clippy::result_large_err)]
    #[test]
    fn webhooks_in_either_form() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gatehouse.toml",
                "[[webhooks]]\nurl = \"https://hooks.example.com/a\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nevents = [\"organization.member.*\"]\n\n[[webhooks]]\nurl = \"https://hooks.example.com/b\"\nsecret = \"a plain secret of some length\"\n",
            )?;
            let c = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(c.webhooks.endpoints.len(), 2);
            assert_eq!(
                c.webhooks.endpoints[0].events.as_slice(),
                ["organization.member.*"]
            );
            assert_eq!(c.webhooks.endpoints[1].events.as_slice(), ["*"]);
            assert!(!c.webhooks.allow_private_networks);
            assert_eq!(c.webhooks.timeout, Duration::from_secs(10));
            jail.set_env("GATEHOUSE_WEBHOOKS__TIMEOUT", "3s");
            let err = Config::load().unwrap_err().to_string();
            assert!(err.contains("[[webhooks.endpoints]]"), "{err}");
            jail.create_file(
                "gatehouse.toml",
                "[webhooks]\nallow_private_networks = true\ntimeout = \"3s\"\n\n[[webhooks.endpoints]]\nurl = \"http://127.0.0.1:9000/in\"\nsecret = \"a plain secret of some length\"\n",
            )?;
            let c = Config::load().map_err(|e| e.to_string())?;
            assert!(c.webhooks.allow_private_networks);
            assert_eq!(c.webhooks.timeout, Duration::from_secs(3));
            assert_eq!(c.webhooks.max_attempts, 8);
            assert_eq!(
                c.webhooks.endpoints[0].url.as_str(),
                "http://127.0.0.1:9000/in"
            );
            Ok(())
        });
        let one = |fields: &str| format!("[{{ {fields} }}]");
        for (value, named) in [
            (one(r#"url = "https://x.example.com", secret = "short""#), "webhooks[0].secret"),
            (one(r#"url = "https://x.example.com", secret = "whsec_!!""#), "webhooks[0].secret"),
            (one(r#"url = "gopher://x", secret = "a plain secret of some length""#), "webhooks[0].url"),
            (one(r#"url = "http://10.1.1.1/", secret = "a plain secret of some length""#), "webhooks[0].url"),
            (
                one(r#"url = "https://x.example.com", secret = "a plain secret of some length", events = ["user.gone"]"#),
                "webhooks[0].events",
            ),
            (one(r#"url = "https://x.example.com", secrets = "a plain secret of some length""#), "secrets"),
            (
                r#"[{ url = "https://x.example.com", secret = "a plain secret of some length" }, { url = "https://x.example.com", secret = "a plain secret of some length" }]"#.to_owned(),
                "webhooks[1].url",
            ),
        ] {
            let err = Config::with_overrides(&[("webhooks", &value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{value}: `{err}` should name `{named}`");
        }
        let err = Config::with_overrides(&[("webhooks.max_attempts", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("webhooks.max_attempts"), "{err}");
        let err = Config::with_overrides(&[("webhooks.timeout", "\"soon\"")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("webhooks.timeout"), "{err}");
    }
}
