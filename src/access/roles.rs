//! Instance roles and permissions (SPEC §2, §7). Roles come from the
//! configuration as a list, lowest first: a role's rank is its place in the
//! list. Each role grants permission statements (`resource: [actions]`,
//! `access::statements`) checked against the instance catalog, so a typo in
//! `gatehouse.toml` stops the start instead of silently granting nothing.

use super::statements::Statements;
use crate::error::{ApiError, Code};

/// The instance permissions the code checks, by name: each is one
/// statement of the instance catalog (`access::statements::INSTANCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    InviteCreate,
    InviteList,
    InviteCancel,
    UserCreate,
    UserList,
    UserSetRole,
    UserDisable,
    UserUpdate,
    UserDelete,
    UserImpersonate,
    SessionList,
    SessionRevoke,
    AuditRead,
    EmailList,
    EmailRetry,
    WebhookManage,
    /// Register apps that sign people in through Gatehouse (SPEC §9).
    AppManage,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
        Permission::InviteCreate,
        Permission::InviteList,
        Permission::InviteCancel,
        Permission::UserCreate,
        Permission::UserList,
        Permission::UserSetRole,
        Permission::UserDisable,
        Permission::UserUpdate,
        Permission::UserDelete,
        Permission::UserImpersonate,
        Permission::SessionList,
        Permission::SessionRevoke,
        Permission::AuditRead,
        Permission::EmailList,
        Permission::EmailRetry,
        Permission::WebhookManage,
        Permission::AppManage,
    ];

    /// The `(resource, action)` pair as written in statements.
    pub fn parts(self) -> (&'static str, &'static str) {
        match self {
            Permission::InviteCreate => ("invite", "create"),
            Permission::InviteList => ("invite", "list"),
            Permission::InviteCancel => ("invite", "cancel"),
            Permission::UserCreate => ("user", "create"),
            Permission::UserList => ("user", "list"),
            Permission::UserSetRole => ("user", "set-role"),
            Permission::UserDisable => ("user", "disable"),
            Permission::UserUpdate => ("user", "update"),
            Permission::UserDelete => ("user", "delete"),
            Permission::UserImpersonate => ("user", "impersonate"),
            Permission::SessionList => ("session", "list"),
            Permission::SessionRevoke => ("session", "revoke"),
            Permission::AuditRead => ("audit", "read"),
            Permission::EmailList => ("email", "list"),
            Permission::EmailRetry => ("email", "retry"),
            Permission::WebhookManage => ("webhook", "manage"),
            Permission::AppManage => ("app", "manage"),
        }
    }

    /// As a one-statement request.
    pub fn request(self) -> Statements {
        let (resource, action) = self.parts();
        Statements::of(&[(resource, &[action])])
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (resource, action) = self.parts();
        write!(f, "{resource}:{action}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub description: String,
    /// Plain sentences shown on the welcome page.
    pub abilities: Vec<String>,
    /// Drawn from the instance catalog.
    pub permissions: Statements,
}

/// The configured roles, lowest rank first. Never empty, names unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RolesError {
    #[error("at least one role is needed")]
    Empty,
    #[error("role name `{0}` must be 1–32 characters of a–z, 0–9 and '-', starting with a letter")]
    BadName(String),
    #[error("role `{0}` is defined twice")]
    Duplicate(String),
}

impl Roles {
    pub fn new(roles: Vec<Role>) -> Result<Self, RolesError> {
        if roles.is_empty() {
            return Err(RolesError::Empty);
        }
        let mut seen = std::collections::BTreeSet::new();
        for role in &roles {
            if !valid_name(&role.name) {
                return Err(RolesError::BadName(role.name.clone()));
            }
            if !seen.insert(role.name.as_str()) {
                return Err(RolesError::Duplicate(role.name.clone()));
            }
        }
        Ok(Self(roles))
    }

    /// `user < moderator < admin < owner`, as SPEC §2 describes them.
    pub fn defaults() -> Self {
        use Permission::*;
        let role = |name: &str, description: &str, abilities: &[&str], perms: &[Permission]| Role {
            name: name.into(),
            description: description.into(),
            abilities: abilities.iter().map(|a| (*a).into()).collect(),
            permissions: {
                let mut s = Statements::new();
                for p in perms {
                    let (resource, action) = p.parts();
                    s.insert(resource, action);
                }
                s
            },
        };
        let everything = Permission::ALL;
        // Webhooks send every event off the instance: only owners add them.
        let day_to_day: Vec<Permission> = everything
            .into_iter()
            .filter(|p| *p != WebhookManage)
            .collect();
        Self(vec![
            role(
                "user",
                "A member of this instance.",
                &[
                    "Sign in and manage your own account",
                    "Join organizations you are invited to",
                ],
                &[],
            ),
            role(
                "moderator",
                "Helps bring people in.",
                &[
                    "Invite people as users or moderators",
                    "See the invitations of this instance",
                ],
                &[InviteCreate, InviteList],
            ),
            role(
                "admin",
                "Runs the instance day to day.",
                &[
                    "Invite people with any role up to admin",
                    "Create accounts, change roles and disable users",
                    "See and end people's sessions, and act as them for support",
                    "Read the audit log and see outgoing email",
                    "Register the apps people sign in to with Gatehouse",
                ],
                &day_to_day,
            ),
            role(
                "owner",
                "Full control of the instance.",
                &[
                    "Everything an admin can do",
                    "Invite and appoint other owners",
                    "Send the instance's events to other apps (webhooks)",
                ],
                &everything,
            ),
        ])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.0.iter()
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        self.0.iter().find(|r| r.name == name)
    }

    /// A role's rank: 0 for the lowest. None for a name no longer configured.
    pub fn rank(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|r| r.name == name)
    }

    /// The role open sign-ups get.
    pub fn lowest(&self) -> &Role {
        &self.0[0]
    }

    /// The role the first-run setup link grants.
    pub fn highest(&self) -> &Role {
        &self.0[self.0.len() - 1]
    }

    /// Whether a user holding `role` may do `permission`. A role that is no
    /// longer configured grants nothing.
    pub fn allows(&self, role: &str, permission: Permission) -> bool {
        self.grants(role, &permission.request())
    }

    /// Whether `role` grants every statement of `request` (one check for
    /// every instance permission, as for organizations).
    pub fn grants(&self, role: &str, request: &Statements) -> bool {
        super::statements::authorizes(self.get(role).map(|r| &r.permissions), request)
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 32
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

/// A role that changed between reading and writing it: the request was
/// made against what the person saw, which no longer holds.
pub fn changed_meanwhile() -> ApiError {
    ApiError::new(
        Code::RoleChanged,
        "The role changed while this request was under way. Reload and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::statements::INSTANCE;

    #[test]
    fn defaults_rank_lowest_first() {
        let roles = Roles::defaults();
        let names: Vec<_> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["user", "moderator", "admin", "owner"]);
        assert_eq!(roles.rank("user"), Some(0));
        assert_eq!(roles.rank("owner"), Some(3));
        assert_eq!(roles.rank("root"), None);
        assert_eq!(roles.lowest().name, "user");
        assert_eq!(roles.highest().name, "owner");
    }

    #[test]
    fn default_permissions() {
        let roles = Roles::defaults();
        for p in Permission::ALL {
            assert!(!roles.allows("user", p), "user must not have {p}");
            let owners_only = p == Permission::WebhookManage;
            assert_eq!(roles.allows("admin", p), !owners_only, "admin and {p}");
            assert!(roles.allows("owner", p), "owner must have {p}");
        }
        assert!(roles.allows("moderator", Permission::InviteCreate));
        assert!(!roles.allows("moderator", Permission::EmailList));
        assert!(!roles.allows("nobody", Permission::InviteCreate));
    }

    #[test]
    fn the_named_permissions_are_the_instance_catalog() {
        let mut named = Statements::new();
        for p in Permission::ALL {
            let (resource, action) = p.parts();
            named.insert(resource, action);
        }
        assert_eq!(named, INSTANCE.all());
    }

    #[test]
    fn names_are_checked() {
        let role = |name: &str| Role {
            name: name.into(),
            description: String::new(),
            abilities: vec![],
            permissions: Statements::new(),
        };
        assert_eq!(Roles::new(vec![]), Err(RolesError::Empty));
        for bad in ["", "Admin", "1st", "with space", "x".repeat(33).as_str()] {
            assert_eq!(
                Roles::new(vec![role(bad)]),
                Err(RolesError::BadName(bad.into()))
            );
        }
        assert_eq!(
            Roles::new(vec![role("a"), role("a")]),
            Err(RolesError::Duplicate("a".into()))
        );
        assert!(Roles::new(vec![role("member"), role("super-admin")]).is_ok());
    }
}
