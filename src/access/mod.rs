//! The permission engine for both scopes, free of I/O: the instance's roles
//! and their ranks (`roles`, `ranks`), statements as data with a catalog per
//! scope (`statements`), and an organization's granting rule (`grant`).
//! What the signed-in person may do, as the pages ask it, is
//! `users::access`.

pub mod grant;
#[cfg(feature = "ssr")]
pub mod ranks;
#[cfg(feature = "ssr")]
pub mod roles;
pub mod statements;
