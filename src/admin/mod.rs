//! The admin's views over what Gatehouse recorded: the outbox at
//! `/admin/emails` (`emails`: list, read, retry, and the one-time reveal of
//! a waiting link) and the audit log at `/admin/audit` (`audit`). A feature
//! room above accounts and invitations, since who may see a link depends
//! on what it grants.

pub mod audit;
pub mod emails;
