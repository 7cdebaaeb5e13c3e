//! Organizations (SPEC §2, §3 "Organizations"): the domain values so far;
//! storage is in `migrations/0006_organizations.sql`.

pub mod domain;
