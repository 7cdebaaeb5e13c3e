//! Permission statements and the one check every permission goes through
//! (SPEC §3 "Organizations" 2). A statement set is data, `{resource:
//! [actions]}`, as Better Auth's access control writes it, so roles that
//! come from configuration or from an organization's custom roles are the
//! same kind of value as the built-in ones. Each scope (the instance, an
//! organization) has a catalog of the statements that exist in it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::Code;

/// `{resource: [actions]}`. Ordered, so two equal sets print the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Statements(BTreeMap<String, BTreeSet<String>>);

impl Statements {
    pub fn new() -> Self {
        Self::default()
    }

    /// From `(resource, [actions])` pairs; repeated ones merge.
    pub fn of(pairs: &[(&str, &[&str])]) -> Self {
        let mut s = Self::new();
        for (resource, actions) in pairs {
            for action in *actions {
                s.insert(resource, action);
            }
        }
        s
    }

    pub fn insert(&mut self, resource: &str, action: &str) {
        self.0
            .entry(resource.to_owned())
            .or_default()
            .insert(action.to_owned());
    }

    pub fn allows(&self, resource: &str, action: &str) -> bool {
        self.0.get(resource).is_some_and(|a| a.contains(action))
    }

    /// Every `(resource, action)` pair, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(r, actions)| actions.iter().map(move |a| (r.as_str(), a.as_str())))
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeSet::is_empty)
    }

    /// What `request` asks for that this set does not grant: empty when
    /// it grants all of it (the "grant only what you hold" check names
    /// exactly this).
    pub fn missing(&self, request: &Statements) -> Statements {
        let mut missing = Statements::new();
        for (resource, action) in request.pairs() {
            if !self.allows(resource, action) {
                missing.insert(resource, action);
            }
        }
        missing
    }

    /// Every statement of `sets` together: what a member holding several
    /// roles holds (for granting; authorizing never merges roles).
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a Statements>) -> Statements {
        let mut all = Statements::new();
        for (resource, action) in sets.into_iter().flat_map(Statements::pairs) {
            all.insert(resource, action);
        }
        all
    }

    /// Whether every statement of `request` is granted here.
    pub fn covers(&self, request: &Statements) -> bool {
        request.pairs().all(|(r, a)| self.allows(r, a))
    }
}

/// The most `resource:action` pairs one request may name (a permission
/// check, a custom role): more than every catalog holds.
pub const MAX_REQUESTED: usize = 64;

/// `{resource: [actions]}` as a request body carries it, capped at
/// [`MAX_REQUESTED`] pairs before anything is built from it.
pub fn requested(
    map: &BTreeMap<String, Vec<String>>,
) -> Result<Statements, crate::error::ApiError> {
    let mut count = 0usize;
    for actions in map.values() {
        count = count.saturating_add(actions.len().max(1));
    }
    if count > MAX_REQUESTED {
        return Err(crate::error::ApiError::new(
            Code::TooManyPermissions,
            format!("Name at most {MAX_REQUESTED} permissions."),
        ));
    }
    let mut s = Statements::new();
    for (resource, actions) in map {
        for action in actions {
            s.insert(resource, action);
        }
    }
    Ok(s)
}

/// Better Auth's rule for a member holding several roles: the request
/// passes when any one of the roles grants every action it lists. (Roles
/// are not merged: two half-permissions do not make a whole one.) An empty
/// request is granted to anyone holding a role.
pub fn authorizes<'a>(
    roles: impl IntoIterator<Item = &'a Statements>,
    request: &Statements,
) -> bool {
    roles.into_iter().any(|role| role.covers(request))
}

/// The statements that exist in one scope.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    pub scope: &'static str,
    pub resources: &'static [(&'static str, &'static [&'static str])],
}

/// A statement outside its catalog (`INVALID_RESOURCE`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unknown {
    #[error("unknown resource `{resource}`; known: {known}")]
    Resource { resource: String, known: String },
    #[error("unknown action `{action}` of `{resource}`; it has: {known}")]
    Action {
        resource: String,
        action: String,
        known: String,
    },
}

impl Catalog {
    pub fn actions_of(&self, resource: &str) -> Option<&'static [&'static str]> {
        self.resources
            .iter()
            .find(|(r, _)| *r == resource)
            .map(|(_, a)| *a)
    }

    /// Checks a statement set against the catalog; the first unknown
    /// resource or action is named.
    pub fn check(&self, statements: &Statements) -> Result<(), Unknown> {
        for (resource, action) in statements.pairs() {
            let actions = self.actions_of(resource).ok_or_else(|| Unknown::Resource {
                resource: resource.to_owned(),
                known: self
                    .resources
                    .iter()
                    .map(|(r, _)| *r)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            if !actions.contains(&action) {
                return Err(Unknown::Action {
                    resource: resource.to_owned(),
                    action: action.to_owned(),
                    known: actions.join(", "),
                });
            }
        }
        Ok(())
    }

    /// Everything in the catalog.
    pub fn all(&self) -> Statements {
        Statements::of(self.resources)
    }
}

/// What an instance role can be allowed (SPEC §2).
pub const INSTANCE: Catalog = Catalog {
    scope: "instance",
    resources: &[
        ("invite", &["create", "list", "cancel"]),
        (
            "user",
            &[
                "create",
                "list",
                "set-role",
                "disable",
                "update",
                "delete",
                "impersonate",
            ],
        ),
        ("session", &["list", "revoke"]),
        ("audit", &["read"]),
        ("email", &["list", "retry"]),
        ("webhook", &["manage"]),
        ("app", &["manage"]),
    ],
};

/// What an organization role can be allowed: Better Auth's default
/// statements (SPEC §3 "Organizations" 2).
pub const ORGANIZATION: Catalog = Catalog {
    scope: "organization",
    resources: &[
        ("organization", &["update", "delete"]),
        ("member", &["create", "update", "delete"]),
        ("invitation", &["create", "cancel"]),
        ("team", &["create", "update", "delete"]),
        ("ac", &["create", "read", "update", "delete"]),
    ],
};

/// The built-in organization roles, highest first.
pub const BUILT_IN_ORGANIZATION_ROLES: [&str; 3] = ["owner", "admin", "member"];

/// A built-in organization role's statements: `owner` has everything,
/// `admin` all but `organization:delete`, `member` only `ac:read`.
pub fn built_in_organization_role(name: &str) -> Option<Statements> {
    match name {
        "owner" => Some(ORGANIZATION.all()),
        "admin" => {
            let mut s = ORGANIZATION.all();
            s.0.entry("organization".into())
                .or_default()
                .remove("delete");
            Some(s)
        }
        "member" => Some(Statements::of(&[("ac", &["read"])])),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// SPEC §3 "Organizations" 2, written out as a table.
    fn spec_allows(role: &str, resource: &str, action: &str) -> bool {
        match role {
            "owner" => true,
            "admin" => (resource, action) != ("organization", "delete"),
            "member" => (resource, action) == ("ac", "read"),
            _ => false,
        }
    }

    #[test]
    fn every_built_in_role_and_catalog_permission_matches_the_spec() {
        for role in BUILT_IN_ORGANIZATION_ROLES {
            let statements = built_in_organization_role(role).unwrap();
            ORGANIZATION.check(&statements).unwrap();
            for (resource, actions) in ORGANIZATION.resources {
                for action in *actions {
                    let request = Statements::of(&[(resource, &[action])]);
                    assert_eq!(
                        authorizes([&statements], &request),
                        spec_allows(role, resource, action),
                        "{role} {resource}:{action}"
                    );
                }
            }
        }
        assert_eq!(built_in_organization_role("guest"), None);
    }

    #[test]
    fn a_request_needs_every_action_it_lists() {
        let admin = built_in_organization_role("admin").unwrap();
        let owner = built_in_organization_role("owner").unwrap();
        let both = Statements::of(&[("organization", &["update", "delete"])]);
        assert!(!authorizes([&admin], &both));
        assert!(authorizes([&owner], &both));
        assert!(
            authorizes([&admin, &owner], &both),
            "any one role may grant it"
        );
        assert_eq!(
            admin.missing(&both),
            Statements::of(&[("organization", &["delete"])])
        );
        // Two roles that each grant half do not grant the whole.
        let updater = Statements::of(&[("organization", &["update"])]);
        let deleter = Statements::of(&[("organization", &["delete"])]);
        assert!(!authorizes([&updater, &deleter], &both));
        assert!(
            !authorizes([], &Statements::new()),
            "no role, nothing granted"
        );
    }

    #[test]
    fn requests_are_capped_before_they_are_read() {
        let mut map = BTreeMap::new();
        map.insert(
            "member".to_owned(),
            vec!["update".to_owned(), "update".to_owned()],
        );
        assert_eq!(
            requested(&map).unwrap(),
            Statements::of(&[("member", &["update"])])
        );
        map.insert("team".to_owned(), vec!["x".to_owned(); MAX_REQUESTED]);
        assert_eq!(requested(&map).unwrap_err().code, "TOO_MANY_PERMISSIONS");
        // Resources without actions count too: a million empty keys is
        // still a million keys.
        let empty: BTreeMap<String, Vec<String>> = (0..=MAX_REQUESTED)
            .map(|i| (format!("r{i}"), Vec::new()))
            .collect();
        assert_eq!(requested(&empty).unwrap_err().code, "TOO_MANY_PERMISSIONS");
    }

    #[test]
    fn catalogs_name_what_they_do_not_know() {
        let typo = Statements::of(&[("members", &["create"])]);
        assert!(matches!(
            ORGANIZATION.check(&typo),
            Err(Unknown::Resource { .. })
        ));
        let bad_action = Statements::of(&[("member", &["read"])]);
        let err = ORGANIZATION.check(&bad_action).unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown action `read` of `member`; it has: create, update, delete"
        );
        INSTANCE.check(&INSTANCE.all()).unwrap();
        assert!(INSTANCE
            .check(&Statements::of(&[("team", &["create"])]))
            .is_err());
    }

    /// Any set of organization statements, for the property tests here
    /// and in `grant`.
    pub(crate) fn statements() -> impl Strategy<Value = Statements> {
        let pairs: Vec<(&str, &str)> = ORGANIZATION
            .resources
            .iter()
            .flat_map(|(r, actions)| actions.iter().map(move |a| (*r, *a)))
            .collect();
        proptest::sample::subsequence(pairs.clone(), 0..=pairs.len()).prop_map(|chosen| {
            let mut s = Statements::new();
            for (r, a) in chosen {
                s.insert(r, a);
            }
            s
        })
    }

    proptest! {
        #[test]
        fn several_roles_pass_when_any_one_does(
            roles in proptest::collection::vec(statements(), 0..4),
            request in statements(),
        ) {
            let together = authorizes(roles.iter(), &request);
            let one_by_one = roles.iter().any(|r| authorizes([r], &request));
            prop_assert_eq!(together, one_by_one);
        }

        #[test]
        fn missing_is_empty_exactly_when_covered(held in statements(), asked in statements()) {
            let missing = held.missing(&asked);
            prop_assert_eq!(missing.is_empty(), held.covers(&asked));
            prop_assert!(asked.covers(&missing));
            prop_assert!(missing.pairs().all(|(r, a)| !held.allows(r, a)));
        }
    }
}
