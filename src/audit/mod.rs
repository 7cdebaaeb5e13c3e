//! The audit log (SPEC §4 `/admin/audit`, §5). Events are written by
//! `record` inside the transaction of the change they record, and published
//! from there to the webhooks that listen (`publish`); `store` reads them
//! for the admin's page and export (`admin::audit`).

#[cfg(feature = "ssr")]
pub mod acting;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod endpoint;
#[cfg(feature = "ssr")]
mod event;
#[cfg(feature = "ssr")]
pub mod publish;
#[cfg(feature = "ssr")]
mod record;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use event::Event;
#[cfg(feature = "ssr")]
pub use record::record;

/// `https://hooks.example.com` of a webhook URL: all the audit log keeps or
/// shows of one, since a receiver's path or query can carry a token.
#[cfg(feature = "ssr")]
pub fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}
