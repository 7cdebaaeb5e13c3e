//! `[retention]`: how long what is done with is kept (SPEC §7).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{parse_duration, ConfigError};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) sent_emails: String,
    pub(super) spent_tokens: String,
    pub(super) delivered_webhooks: String,
    /// None: audit events are kept for good.
    pub(super) audit_events: Option<String>,
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

impl Default for RawRetention {
    fn default() -> Self {
        Self {
            sent_emails: "30d".into(),
            spent_tokens: "7d".into(),
            delivered_webhooks: "30d".into(),
            audit_events: None,
        }
    }
}

impl RawRetention {
    pub(super) fn check(&self) -> Result<RetentionSettings, ConfigError> {
        Ok(RetentionSettings {
            sent_emails: parse_duration("retention.sent_emails", &self.sent_emails)?,
            spent_tokens: parse_duration("retention.spent_tokens", &self.spent_tokens)?,
            delivered_webhooks: parse_duration(
                "retention.delivered_webhooks",
                &self.delivered_webhooks,
            )?,
            audit_events: self
                .audit_events
                .as_deref()
                .map(|d| parse_duration("retention.audit_events", d))
                .transpose()?,
        })
    }
}
