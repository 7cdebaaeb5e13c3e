//! The permission engine for both scopes, free of I/O: statements as data
//! with a catalog per scope (`statements`), and the granting rule (`grant`).
//! What the signed-in person may do, as the pages ask it, is
//! `users::access`.

pub mod grant;
pub mod statements;
