//! The granting rule (SPEC §3 "Organizations" 2, "Granting"): whoever
//! assigns roles in an organization — inviting, resending, changing a
//! member's roles, adding a member, a team invitation, and an invitation
//! being used later on its inviter's authority — may grant only roles whose
//! statements together are a subset of the statements they hold there, and
//! `owner` only as an owner. Every such path asks [`check`].

use super::statements::Statements;

/// The one role only owners grant.
pub const OWNER: &str = "owner";

/// What an actor may grant with in one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The statements of all the actor's roles there, together.
    pub held: Statements,
    /// Whether the actor may grant `owner`.
    pub grants_owner: bool,
}

impl Authority {
    /// A member's authority: the union of their roles' statements; an
    /// owner grants `owner`.
    pub fn of_member<'a>(
        role_names: impl IntoIterator<Item = &'a str>,
        grants: impl IntoIterator<Item = &'a Statements>,
    ) -> Self {
        Self {
            grants_owner: role_names.into_iter().any(|r| r == OWNER),
            held: Statements::union(grants),
        }
    }
}

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `owner` is among the roles and the actor is not an owner.
    OwnerOnly,
    /// The roles together carry statements the actor does not hold.
    Missing(Statements),
}

impl Refusal {
    /// `resource:action` of what is missing, as Better Auth's
    /// `missingPermissions` lists it (empty for `OwnerOnly`).
    pub fn missing_permissions(&self) -> Vec<String> {
        match self {
            Refusal::OwnerOnly => Vec::new(),
            Refusal::Missing(m) => m.pairs().map(|(r, a)| format!("{r}:{a}")).collect(),
        }
    }
}

/// Whether `authority` may grant every role of `granted` (each role's name
/// and statements), taken together.
pub fn check<'a>(
    authority: &Authority,
    granted: impl IntoIterator<Item = (&'a str, &'a Statements)>,
) -> Result<(), Refusal> {
    let mut asked = Statements::new();
    for (name, statements) in granted {
        if name == OWNER && !authority.grants_owner {
            return Err(Refusal::OwnerOnly);
        }
        for (resource, action) in statements.pairs() {
            asked.insert(resource, action);
        }
    }
    let missing = authority.held.missing(&asked);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Missing(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::statements::{built_in_organization_role, tests::statements, ORGANIZATION};
    use proptest::prelude::*;

    fn role(name: &str) -> (String, Statements) {
        (name.to_owned(), built_in_organization_role(name).unwrap())
    }

    fn member(names: &[&str]) -> Authority {
        let roles: Vec<_> = names.iter().map(|n| role(n)).collect();
        Authority::of_member(
            roles.iter().map(|(n, _)| n.as_str()),
            roles.iter().map(|(_, s)| s),
        )
    }

    fn grant(authority: &Authority, roles: &[(String, Statements)]) -> Result<(), Refusal> {
        check(authority, roles.iter().map(|(n, s)| (n.as_str(), s)))
    }

    #[test]
    fn the_review_scenarios_are_refused() {
        // `{member:[update]}` cannot make anyone (itself included) admin.
        let updater =
            Authority::of_member(["updater"], [&Statements::of(&[("member", &["update"])])]);
        let Err(Refusal::Missing(missing)) = grant(&updater, &[role("admin")]) else {
            panic!("an updater granted admin");
        };
        assert!(missing.allows("organization", "update"));
        assert!(!missing.allows("member", "update"), "it holds that one");
        // An admin cannot hand out `organization:delete` in a custom role.
        let deleter = (
            "deleter".to_owned(),
            Statements::of(&[("organization", &["delete"])]),
        );
        let refusal = grant(&member(&["admin"]), &[deleter]).unwrap_err();
        assert_eq!(refusal.missing_permissions(), ["organization:delete"]);
        // `{invitation:[create]}` invites members, not admins.
        let inviter = Authority::of_member(
            ["inviter"],
            [&Statements::of(&[("invitation", &["create"])])],
        );
        assert!(grant(&inviter, &[role("admin")]).is_err());
        assert!(
            grant(&inviter, &[role("member")]).is_err(),
            "member carries ac:read, which it lacks"
        );
    }

    #[test]
    fn owners_grant_everything_and_only_owners_grant_owner() {
        let owner = member(&["owner"]);
        for name in ["owner", "admin", "member"] {
            assert_eq!(grant(&owner, &[role(name)]), Ok(()), "{name}");
        }
        let admin = member(&["admin"]);
        assert_eq!(grant(&admin, &[role("admin"), role("member")]), Ok(()));
        assert_eq!(grant(&admin, &[role("owner")]), Err(Refusal::OwnerOnly));
        // Even one who holds every statement but is not an owner.
        let everything = Authority::of_member(["all"], [&ORGANIZATION.all()]);
        assert_eq!(
            grant(&everything, &[role("owner")]),
            Err(Refusal::OwnerOnly)
        );
        assert_eq!(
            Refusal::OwnerOnly.missing_permissions(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn roles_held_together_count_together() {
        // Two half-roles hold the whole for granting, though a request is
        // authorized by one role at a time.
        let halves = Authority::of_member(
            ["a", "b"],
            [
                &Statements::of(&[("team", &["create"])]),
                &Statements::of(&[("team", &["delete"])]),
            ],
        );
        let both = (
            "t".to_owned(),
            Statements::of(&[("team", &["create", "delete"])]),
        );
        assert_eq!(grant(&halves, &[both]), Ok(()));
    }

    proptest! {
        /// Granting R is allowed iff the union of R's statements is a
        /// subset of the actor's, when `owner` is not among them.
        #[test]
        fn a_grant_passes_iff_its_statements_are_held(
            held in proptest::collection::vec(statements(), 0..4),
            granted in proptest::collection::vec(statements(), 1..4),
        ) {
            let authority = Authority::of_member(std::iter::empty(), held.iter());
            let roles: Vec<(String, Statements)> = granted
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("custom-{i}"), s.clone()))
                .collect();
            let union = Statements::union(granted.iter());
            let subset = union.pairs().all(|(r, a)| held.iter().any(|h| h.allows(r, a)));
            prop_assert_eq!(grant(&authority, &roles).is_ok(), subset);
            if let Err(refusal) = grant(&authority, &roles) {
                // What it names is exactly what is missing.
                let Refusal::Missing(missing) = refusal else { unreachable!() };
                prop_assert_eq!(missing, authority.held.missing(&union));
            }
        }

        #[test]
        fn owner_needs_an_owner_whatever_else_is_held(held in statements(), is_owner: bool) {
            let authority = Authority { held, grants_owner: is_owner };
            let owner = role("owner");
            let result = grant(&authority, &[owner]);
            if is_owner {
                prop_assert_eq!(result.is_ok(), authority.held.covers(&ORGANIZATION.all()));
            } else {
                prop_assert_eq!(result, Err(Refusal::OwnerOnly));
            }
        }
    }
}
