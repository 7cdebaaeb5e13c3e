//! `smtp_url` and `[email]`: where mail is handed over, and how the outbox
//! sends it (SPEC §6).

use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{invalid, parse_duration, ConfigError};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    pub(super) from: String,
    pub(super) max_attempts: u32,
    pub(super) retry_backoff: String,
    pub(super) poll_interval: String,
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

impl Default for RawEmail {
    fn default() -> Self {
        Self {
            from: "Gatehouse <gatehouse@localhost>".into(),
            max_attempts: 8,
            retry_backoff: "30s".into(),
            poll_interval: "5s".into(),
        }
    }
}

impl RawEmail {
    pub(super) fn check(&self) -> Result<EmailSettings, ConfigError> {
        Ok(EmailSettings {
            from: self.from.parse().map_err(|e| {
                invalid(
                    "email.from",
                    format!(
                        "`{}` is not an address like Gatehouse <id@example.com>: {e}",
                        self.from
                    ),
                )
            })?,
            max_attempts: match self.max_attempts {
                0 => return Err(invalid("email.max_attempts", "must be at least 1".into())),
                n => n,
            },
            retry_backoff: parse_duration("email.retry_backoff", &self.retry_backoff)?,
            poll_interval: parse_duration("email.poll_interval", &self.poll_interval)?,
        })
    }
}

/// `smtp://user:pass@host:587` (STARTTLS), `smtps://host:465`, with an
/// optional `?tls=opportunistic|none`. Errors never repeat the URL, which
/// may hold a password.
pub(super) fn parse_smtp_url(s: &str) -> Result<SmtpSettings, ConfigError> {
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
