//! The instance scope's granting rule (SPEC §3 "Role invitations",
//! "Accounts" 1): who may grant which role by rank, who may act on whose
//! account, and whether an invitation still holds when it is used. Pure
//! functions over the configured roles; `grant` is the same rule for an
//! organization's statements.

use serde::{Deserialize, Serialize};

use super::roles::{Permission, Role, Roles};
use crate::error::{ApiError, Code};

/// How a granted role compares with the inviter's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RankRule {
    /// The default: up to the inviter's own rank.
    AtMostOwn,
    /// Only below it: an admin cannot make another admin.
    StrictlyLower,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefusal {
    NoPermission,
    UnknownRole(String),
    AboveInviter { inviter: String, granted: String },
}

impl From<GrantRefusal> for ApiError {
    fn from(r: GrantRefusal) -> Self {
        match r {
            GrantRefusal::NoPermission => ApiError::new(
                Code::InsufficientPermissions,
                "Your role does not allow creating invitations.",
            ),
            GrantRefusal::UnknownRole(role) => ApiError::new(
                Code::InvalidRole,
                format!("There is no role called `{role}`."),
            ),
            GrantRefusal::AboveInviter { inviter, granted } => ApiError::new(
                Code::InsufficientPermissions,
                format!("As {inviter}, you cannot grant the role {granted}."),
            ),
        }
    }
}

/// Whether someone holding `inviter` may invite people as `granted`.
pub fn may_grant(
    roles: &Roles,
    rule: RankRule,
    inviter: &str,
    granted: &str,
) -> Result<(), GrantRefusal> {
    may_assign(roles, rule, inviter, granted, Permission::InviteCreate)
}

/// Whether someone holding `actor`, with `permission`, may give a person the
/// role `granted`: by invitation, by creating their account or by changing
/// their role, the same rank rule applies.
pub fn may_assign(
    roles: &Roles,
    rule: RankRule,
    actor: &str,
    granted: &str,
    permission: Permission,
) -> Result<(), GrantRefusal> {
    let inviter = actor;
    if !roles.allows(inviter, permission) {
        return Err(GrantRefusal::NoPermission);
    }
    let granted_rank = roles
        .rank(granted)
        .ok_or_else(|| GrantRefusal::UnknownRole(granted.to_owned()))?;
    let inviter_rank = roles.rank(inviter).ok_or(GrantRefusal::NoPermission)?;
    let allowed = match rule {
        RankRule::AtMostOwn => granted_rank <= inviter_rank,
        RankRule::StrictlyLower => granted_rank < inviter_rank,
    };
    if allowed {
        Ok(())
    } else {
        Err(GrantRefusal::AboveInviter {
            inviter: inviter.to_owned(),
            granted: granted.to_owned(),
        })
    }
}

/// SPEC §3 "Accounts" 1: whether someone holding `actor` may act on an
/// existing account holding `target` (change its role, disable or enable
/// it, resend its enrollment). That needs a rank strictly above the
/// target's, except at the top: holders of the highest role act on one
/// another, or no owner could ever be replaced (the last-owner guard keeps
/// one). A role no longer configured ranks below every configured one.
pub fn may_act_on(roles: &Roles, actor: &str, target: &str) -> bool {
    let top = roles.rank(&roles.highest().name);
    match (roles.rank(actor), roles.rank(target)) {
        (Some(a), Some(t)) => a > t || (a == t && Some(a) == top),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The roles the invite form offers to someone holding `inviter`.
pub fn grantable<'a>(roles: &'a Roles, rule: RankRule, inviter: &str) -> Vec<&'a Role> {
    roles
        .iter()
        .filter(|r| may_grant(roles, rule, inviter, &r.name).is_ok())
        .collect()
}

/// The inviter as they are now, when the invitation is used.
pub struct InviterNow<'a> {
    pub role: &'a str,
    pub disabled: bool,
}

/// §3.2: an invitation stands only while its inviter could still create it.
/// `None` is the instance itself (the first-run setup link, the CLI).
pub fn inviter_still_allowed(
    roles: &Roles,
    rule: RankRule,
    inviter: Option<InviterNow<'_>>,
    granted: &str,
) -> bool {
    match inviter {
        None => roles.rank(granted).is_some(),
        Some(i) => !i.disabled && may_grant(roles, rule, i.role, granted).is_ok(),
    }
}

/// §3.3: accepting never lowers a role, and granting the same role again is
/// pointless. True when `current` already ranks at or above `granted`.
pub fn outranks_or_equals(roles: &Roles, current: &str, granted: &str) -> bool {
    match (roles.rank(current), roles.rank(granted)) {
        (Some(c), Some(g)) => c >= g,
        // A role no longer configured ranks below every configured one.
        (None, _) => false,
        (Some(_), None) => true,
    }
}

pub fn keeps_role_error(current: &str, granted: &str) -> ApiError {
    if current == granted {
        ApiError::new(
            Code::RoleAlreadyGranted,
            format!("You already have the role {granted}."),
        )
    } else {
        ApiError::new(
            Code::RoleWouldBeLowered,
            format!("You are {current}, which ranks above {granted}: you keep your role."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inviter_and_granted_role_at_most_own() {
        let roles = Roles::defaults();
        // Rows: inviter; columns: user, moderator, admin, owner.
        let expected = [
            ("user", [false, false, false, false]),
            ("moderator", [true, true, false, false]),
            ("admin", [true, true, true, false]),
            ("owner", [true, true, true, true]),
        ];
        for (inviter, row) in expected {
            for (granted, want) in ["user", "moderator", "admin", "owner"].iter().zip(row) {
                let got = may_grant(&roles, RankRule::AtMostOwn, inviter, granted).is_ok();
                assert_eq!(got, want, "{inviter} granting {granted}");
            }
        }
    }

    #[test]
    fn every_inviter_and_granted_role_strictly_lower() {
        let roles = Roles::defaults();
        let expected = [
            ("user", [false, false, false, false]),
            ("moderator", [true, false, false, false]),
            ("admin", [true, true, false, false]),
            ("owner", [true, true, true, false]),
        ];
        for (inviter, row) in expected {
            for (granted, want) in ["user", "moderator", "admin", "owner"].iter().zip(row) {
                let got = may_grant(&roles, RankRule::StrictlyLower, inviter, granted).is_ok();
                assert_eq!(got, want, "{inviter} granting {granted}");
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let roles = Roles::defaults();
        assert_eq!(
            may_grant(&roles, RankRule::AtMostOwn, "user", "user"),
            Err(GrantRefusal::NoPermission)
        );
        assert_eq!(
            may_grant(&roles, RankRule::AtMostOwn, "admin", "root"),
            Err(GrantRefusal::UnknownRole("root".into()))
        );
        assert!(matches!(
            may_grant(&roles, RankRule::AtMostOwn, "admin", "owner"),
            Err(GrantRefusal::AboveInviter { .. })
        ));
        let names: Vec<_> = grantable(&roles, RankRule::AtMostOwn, "moderator")
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["user", "moderator"]);
    }

    #[test]
    fn a_demoted_or_disabled_inviter_voids_the_invitation() {
        let roles = Roles::defaults();
        let rule = RankRule::AtMostOwn;
        let now = |role, disabled| Some(InviterNow { role, disabled });
        assert!(inviter_still_allowed(
            &roles,
            rule,
            now("admin", false),
            "admin"
        ));
        assert!(
            !inviter_still_allowed(&roles, rule, now("moderator", false), "admin"),
            "demoted"
        );
        assert!(
            !inviter_still_allowed(&roles, rule, now("user", false), "user"),
            "lost invite:create"
        );
        assert!(
            !inviter_still_allowed(&roles, rule, now("admin", true), "user"),
            "disabled"
        );
        assert!(
            inviter_still_allowed(&roles, rule, None, "owner"),
            "the instance itself"
        );
        assert!(
            !inviter_still_allowed(&roles, rule, None, "gone"),
            "a role no longer configured"
        );
    }

    #[test]
    fn acting_on_an_account_needs_a_higher_rank_except_among_owners() {
        let roles = Roles::defaults();
        let names: Vec<_> = roles.iter().map(|r| r.name.clone()).collect();
        let top = names.last().unwrap();
        for (a, actor) in names.iter().enumerate() {
            for (t, target) in names.iter().enumerate() {
                let expected = a > t || (actor == top && target == top);
                assert_eq!(
                    may_act_on(&roles, actor, target),
                    expected,
                    "{actor} on {target}"
                );
            }
            assert!(
                may_act_on(&roles, actor, "retired-role"),
                "{actor} on an unknown role"
            );
            assert!(!may_act_on(&roles, "retired-role", actor));
        }
        // An admin may still *grant* admin (up to their own rank), but not
        // act on another admin.
        assert!(may_grant(&roles, RankRule::AtMostOwn, "admin", "admin").is_ok());
        assert!(!may_act_on(&roles, "admin", "admin"));
    }

    #[test]
    fn roles_are_never_lowered() {
        let roles = Roles::defaults();
        assert!(outranks_or_equals(&roles, "admin", "moderator"));
        assert!(outranks_or_equals(&roles, "admin", "admin"));
        assert!(!outranks_or_equals(&roles, "user", "admin"));
        assert!(!outranks_or_equals(&roles, "retired", "user"));
        assert_eq!(
            keeps_role_error("admin", "admin").code,
            "ROLE_ALREADY_GRANTED"
        );
        assert_eq!(
            keeps_role_error("owner", "admin").code,
            "ROLE_WOULD_BE_LOWERED"
        );
    }
}
