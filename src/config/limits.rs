//! `[rate_limits]`: request and email budgets, each written `max/window`.

use serde::{Deserialize, Serialize};

use super::{invalid, parse_duration, ConfigError};
pub use crate::server::rate_limit::Limit;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRateLimits {
    pub(super) sign_in: String,
    pub(super) sign_up: String,
    pub(super) password_reset: String,
    pub(super) email_per_recipient: String,
    pub(super) email_per_recipient_admin: String,
    pub(super) organization_email_per_recipient: String,
    pub(super) organization_email_per_organization: String,
    pub(super) organization_email_per_sender: String,
    pub(super) invite_code: String,
    pub(super) invite_code_global: String,
    pub(super) oauth_token: String,
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
    /// Token endpoint requests (code exchanges, refreshes) per app.
    pub oauth_token: Limit,
}

impl Default for RawRateLimits {
    fn default() -> Self {
        Self {
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
            oauth_token: "600/1m".into(),
        }
    }
}

impl RawRateLimits {
    pub(super) fn check(&self) -> Result<RateLimits, ConfigError> {
        Ok(RateLimits {
            sign_in: parse_limit("rate_limits.sign_in", &self.sign_in)?,
            sign_up: parse_limit("rate_limits.sign_up", &self.sign_up)?,
            password_reset: parse_limit("rate_limits.password_reset", &self.password_reset)?,
            email_per_recipient: parse_limit(
                "rate_limits.email_per_recipient",
                &self.email_per_recipient,
            )?,
            email_per_recipient_admin: parse_limit(
                "rate_limits.email_per_recipient_admin",
                &self.email_per_recipient_admin,
            )?,
            organization_email_per_recipient: parse_limit(
                "rate_limits.organization_email_per_recipient",
                &self.organization_email_per_recipient,
            )?,
            organization_email_per_organization: parse_limit(
                "rate_limits.organization_email_per_organization",
                &self.organization_email_per_organization,
            )?,
            organization_email_per_sender: parse_limit(
                "rate_limits.organization_email_per_sender",
                &self.organization_email_per_sender,
            )?,
            invite_code: parse_limit("rate_limits.invite_code", &self.invite_code)?,
            invite_code_global: parse_limit(
                "rate_limits.invite_code_global",
                &self.invite_code_global,
            )?,
            oauth_token: parse_limit("rate_limits.oauth_token", &self.oauth_token)?,
        })
    }
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
