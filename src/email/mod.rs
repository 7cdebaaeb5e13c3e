//! Outbound email (SPEC §6). A message is written to the outbox in the same
//! transaction as the change that causes it, so it is never lost and never
//! sent for a change that rolled back; a background sender on every node
//! delivers it over SMTP. Admins watch and retry deliveries at
//! `/admin/emails` (`deliveries`).

#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod review;
#[cfg(feature = "ssr")]
pub mod sender;
#[cfg(feature = "ssr")]
pub mod templates;

#[cfg(feature = "ssr")]
pub use outbox::{enqueue, Cause, Kind, Message};
