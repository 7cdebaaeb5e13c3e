//! Integration tests over HTTP: each starts the real Gatehouse server on
//! port 0 against a fresh database, on SQLite and on PostgreSQL.
//!
//! One test binary rather than one per area: every binary links the whole
//! server, and four of them cost minutes of linking and gigabytes of disk.

#[macro_use]
mod support;

mod account_admin;
mod accounts;
mod apps;
mod audit;
mod domains;
mod email;
mod forms;
mod http;
mod invitation_rules;
mod invites;
mod joining;
mod layers;
mod limits;
mod managing;
mod operations;
mod organization_authority;
mod organization_invitations;
mod organizations;
mod roles;
mod secrets;
mod sessions;
mod teams;
mod two_factor;
mod two_factor_policy;
mod users;
mod webhooks;
