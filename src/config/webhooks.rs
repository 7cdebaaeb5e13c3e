//! `[webhooks]` or `[[webhooks]]`: how deliveries are made, and the
//! endpoints the file names (issue 14). Each endpoint is checked here with
//! the webhooks' own rules, and an error names its key.

use std::time::Duration;

use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{describe, invalid, parse_duration, ConfigError};

/// `[webhooks]`: how deliveries are made, and the configured endpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhookSettings {
    pub(super) allow_private_networks: bool,
    pub(super) timeout: String,
    pub(super) max_attempts: u32,
    pub(super) retry_backoff: String,
    pub(super) poll_interval: String,
    #[serde(default)]
    pub(super) endpoints: Vec<RawWebhook>,
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
    pub(super) url: String,
    /// Redacted in `Debug`, like every secret the settings hold.
    pub(super) secret: crate::secret::SecretText,
    /// Event types, prefixes (`organization.*`) or `*`; default: all.
    #[serde(default)]
    pub(super) events: Option<Vec<String>>,
    #[serde(default)]
    pub(super) description: Option<String>,
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
    /// As written: `whsec_…` or plain text (`audit::endpoint::Secret`).
    pub secret: SecretString,
    pub events: crate::audit::endpoint::Events,
    pub description: String,
}

/// The section's defaults, as the raw configuration holds them (a value:
/// the file may write the section as a table or as a list).
pub(super) fn defaults() -> figment::value::Value {
    figment::value::Value::serialize(RawWebhookSettings::default())
        .expect("the default webhook settings serialize")
}

/// `[[webhooks]]` is a list of endpoints; `[webhooks]` holds the settings
/// and `[[webhooks.endpoints]]`. (TOML cannot have both under one name.)
pub(super) fn parse_webhooks(figment: &Figment) -> Result<WebhookSettings, ConfigError> {
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
        use crate::audit::endpoint::{parse_url, Events, Secret};
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
