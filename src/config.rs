//! Configuration (SPEC §7): built-in defaults, then `gatehouse.toml` (optional),
//! then `GATEHOUSE_*` environment variables. Anything invalid stops the start
//! with a message that names the offending key.

use std::{path::Path, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// Whether people may create an account without an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignUpMode {
    InviteOnly,
    Open,
}

/// A request budget: at most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
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
    trusted_origins: Vec<String>,
    trust_proxy_headers: bool,
    rate_limits: RawRateLimits,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimits {
    sign_in: String,
    sign_up: String,
    password_reset: String,
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
            trusted_origins: Vec::new(),
            trust_proxy_headers: false,
            rate_limits: RawRateLimits {
                sign_in: "10/5m".into(),
                sign_up: "5/10m".into(),
                password_reset: "5/15m".into(),
            },
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
    pub trusted_origins: Vec<String>,
    /// Read the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it, or clients could pick their own rate-limit bucket).
    pub trust_proxy_headers: bool,
    pub rate_limits: RateLimits,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub sign_in: Limit,
    pub sign_up: Limit,
    pub password_reset: Limit,
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
    Invalid { key: &'static str, reason: String },
}

impl Config {
    /// Loads defaults, then the TOML file at `path` if it exists, then the
    /// environment. `path` is `GATEHOUSE_CONFIG` or `gatehouse.toml`.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("GATEHOUSE_CONFIG").unwrap_or_else(|_| "gatehouse.toml".into());
        Self::from_figment(
            Figment::from(Serialized::defaults(RawConfig::default()))
                .merge(Toml::file(Path::new(&path)))
                .merge(Env::prefixed("GATEHOUSE_").ignore(&["config"]).split("__")),
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
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let raw: RawConfig = figment.extract().map_err(describe)?;
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
            trusted_origins,
            trust_proxy_headers: raw.trust_proxy_headers,
            rate_limits: RateLimits {
                sign_in: parse_limit("rate_limits.sign_in", &raw.rate_limits.sign_in)?,
                sign_up: parse_limit("rate_limits.sign_up", &raw.rate_limits.sign_up)?,
                password_reset: parse_limit(
                    "rate_limits.password_reset",
                    &raw.rate_limits.password_reset,
                )?,
            },
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

fn invalid(key: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { key, reason }
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
}
