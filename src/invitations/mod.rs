//! The invitations core (SPEC §2, §3): one model for every way someone is
//! invited in. A kind says what accepting grants and who may issue it:
//!
//! - [`Kind::Role`]: an instance role, by link or code, public or for one
//!   address (`role`, better-invite's routes under `/api/auth/invite/`);
//! - [`Kind::Organization`]: a membership with roles and perhaps a team,
//!   for one address (Better Auth's routes under `/api/auth/organization/`;
//!   its issuing and granting live with the organizations, in
//!   `organizations::invitations`, as they need the members);
//! - [`Kind::JoinLink`]: a membership with roles and perhaps a team, for
//!   anyone holding a shareable link (perhaps only at some domains), up to
//!   a number of uses (`organizations::invitations::links`).
//!
//! Every kind shares one secret format and hashing (`secret`), one status
//! (`status`), one next step for the preview page (`next_step`), one store
//! (`store`, a table per kind behind one lookup by secret) and the steps of
//! using one (`accept`): the recipient check, the inviter's authority as it
//! is now, and closing it with its waiting email's link wiped.

#[cfg(feature = "ssr")]
pub mod accept;
pub mod bulk;
pub mod domains;
pub mod next_step;
#[cfg(feature = "ssr")]
pub mod qr;
pub mod role;
pub mod secret;
pub mod status;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

/// What an invitation lets its holder into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An instance role.
    Role,
    /// Membership of an organization, for one address.
    Organization,
    /// Membership of an organization, for whoever holds the link.
    JoinLink,
}

/// One value or several, as Better Auth's bodies accept (`email`, `role`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}
