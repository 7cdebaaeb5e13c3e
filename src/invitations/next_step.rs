//! What the preview page offers whoever opened an invitation: exactly one
//! step, for every kind, decided by one pure function.

use serde::{Deserialize, Serialize};

use super::{domains, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NextStep {
    /// Nobody is signed in and the invitee has no account (or it is public,
    /// or the kind does not tell).
    SignUp,
    /// Nobody is signed in and the invitee has an account.
    SignIn,
    /// Signed in as someone who may accept.
    Accept,
    /// Signed in with an email the private invitation is not for.
    SwitchAccount,
    /// Signed in as the addressee of a private invitation, whose email is
    /// not verified yet and not proven by the secret (SPEC §3 "Accounts"
    /// 2): verify it first.
    VerifyEmail,
    /// The signed-in person already holds this role or a higher one.
    AlreadyHasRole,
    /// The signed-in person is already a member of the organization.
    AlreadyMember,
    /// Expired, used up, canceled, declined, or its inviter lost the right.
    Unusable,
}

/// The signed-in person looking at an invitation.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub email: &'a str,
    /// Verified, or proven by the secret the invitation was opened with.
    pub mailbox_proven: bool,
    /// Already has what accepting would give: the role or a higher one, or
    /// the membership.
    pub has_it: bool,
}

/// What the step depends on.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub kind: Kind,
    /// Pending, and its inviter may still grant it.
    pub usable: bool,
    /// A private invitation's address; None for a public one.
    pub addressee: Option<&'a str>,
    /// Whether the addressee has an account, where the kind may tell (an
    /// organization's public preview never does).
    pub addressee_has_account: bool,
    /// The only domains whose addresses may use it (a join link's); empty
    /// lets any address. An address there must be verified to use it.
    pub allowed_domains: &'a [String],
    pub viewer: Option<Viewer<'a>>,
}

/// Picks the step.
pub fn next_step(f: Facts<'_>) -> NextStep {
    if !f.usable {
        return NextStep::Unusable;
    }
    let Some(viewer) = f.viewer else {
        return match f.addressee {
            Some(_) if f.addressee_has_account => NextStep::SignIn,
            _ => NextStep::SignUp,
        };
    };
    let restricted = !f.allowed_domains.is_empty();
    match f.addressee {
        Some(to) if !to.eq_ignore_ascii_case(viewer.email) => NextStep::SwitchAccount,
        _ if !domains::allows(f.allowed_domains, viewer.email) => NextStep::SwitchAccount,
        _ if viewer.has_it => match f.kind {
            Kind::Role => NextStep::AlreadyHasRole,
            Kind::Organization | Kind::JoinLink => NextStep::AlreadyMember,
        },
        Some(_) if !viewer.mailbox_proven => NextStep::VerifyEmail,
        None if restricted && !viewer.mailbox_proven => NextStep::VerifyEmail,
        _ => NextStep::Accept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use NextStep::*;

    fn facts<'a>(
        kind: Kind,
        usable: bool,
        addressee: Option<&'a str>,
        has_account: bool,
        viewer: Option<Viewer<'a>>,
    ) -> Facts<'a> {
        Facts {
            kind,
            usable,
            addressee,
            addressee_has_account: has_account,
            allowed_domains: &[],
            viewer,
        }
    }

    fn viewer(email: &str, mailbox_proven: bool, has_it: bool) -> Option<Viewer<'_>> {
        Some(Viewer {
            email,
            mailbox_proven,
            has_it,
        })
    }

    #[test]
    fn exactly_one_next_step() {
        let (a, b) = ("a@x.io", "b@x.io");
        let cases = [
            (
                facts(Kind::Role, false, None, false, viewer(a, true, false)),
                Unusable,
            ),
            (facts(Kind::Role, true, None, false, None), SignUp),
            (facts(Kind::Role, true, Some(a), false, None), SignUp),
            (facts(Kind::Role, true, Some(a), true, None), SignIn),
            (
                facts(Kind::Role, true, Some(a), true, viewer(a, true, false)),
                Accept,
            ),
            (
                facts(
                    Kind::Role,
                    true,
                    Some(a),
                    true,
                    viewer("A@x.io", true, false),
                ),
                Accept,
            ),
            (
                facts(Kind::Role, true, Some(a), true, viewer(a, false, false)),
                VerifyEmail,
            ),
            (
                facts(Kind::Role, true, None, false, viewer(b, false, false)),
                Accept,
            ),
            (
                facts(Kind::Role, true, Some(a), true, viewer(b, true, false)),
                SwitchAccount,
            ),
            (
                facts(Kind::Role, true, Some(a), true, viewer(b, true, true)),
                SwitchAccount,
            ),
            (
                facts(Kind::Role, true, None, false, viewer(b, true, true)),
                AlreadyHasRole,
            ),
            (
                facts(Kind::Organization, true, Some(a), false, None),
                SignUp,
            ),
            (
                facts(
                    Kind::Organization,
                    true,
                    Some(a),
                    false,
                    viewer(a, true, false),
                ),
                Accept,
            ),
            (
                facts(
                    Kind::Organization,
                    true,
                    Some(a),
                    false,
                    viewer(a, true, true),
                ),
                AlreadyMember,
            ),
            (
                facts(
                    Kind::Organization,
                    true,
                    Some(a),
                    false,
                    viewer(b, true, true),
                ),
                SwitchAccount,
            ),
            (
                facts(
                    Kind::Organization,
                    false,
                    Some(a),
                    false,
                    viewer(a, true, false),
                ),
                Unusable,
            ),
        ];
        for (f, step) in cases {
            assert_eq!(next_step(f), step, "{f:?}");
        }
    }

    #[test]
    fn a_join_link_for_some_domains_wants_a_verified_address_there() {
        let domains = ["acme.io".to_owned()];
        let link = |viewer| Facts {
            allowed_domains: &domains,
            ..facts(Kind::JoinLink, true, None, false, viewer)
        };
        assert_eq!(next_step(link(None)), SignUp);
        assert_eq!(next_step(link(viewer("a@acme.io", true, false))), Accept);
        assert_eq!(next_step(link(viewer("a@ACME.io", true, false))), Accept);
        assert_eq!(
            next_step(link(viewer("a@acme.io", false, false))),
            VerifyEmail
        );
        assert_eq!(
            next_step(link(viewer("a@acme.io", true, true))),
            AlreadyMember
        );
        assert_eq!(
            next_step(link(viewer("a@other.io", true, false))),
            SwitchAccount
        );
        assert_eq!(
            next_step(link(viewer("a@sub.acme.io", true, false))),
            SwitchAccount
        );
        // Without domains, anyone signed in joins, verified or not.
        let open = facts(
            Kind::JoinLink,
            true,
            None,
            false,
            viewer("a@b.io", false, false),
        );
        assert_eq!(next_step(open), Accept);
    }

    proptest! {
        /// Whoever is signed in, a private invitation is never accepted by
        /// another address, and nothing unusable is ever offered.
        #[test]
        fn nobody_accepts_someone_elses_invitation(
            organization in any::<bool>(),
            usable in any::<bool>(),
            private in any::<bool>(),
            has_account in any::<bool>(),
            same in any::<bool>(),
            proven in any::<bool>(),
            has_it in any::<bool>(),
        ) {
            let kind = if organization { Kind::Organization } else { Kind::Role };
            let addressee = private.then_some("to@x.io");
            let email = if same { "to@x.io" } else { "other@x.io" };
            let step = next_step(facts(kind, usable, addressee, has_account, viewer(email, proven, has_it)));
            let domains = ["x.io".to_owned()];
            let link = Facts { allowed_domains: &domains, ..facts(Kind::JoinLink, usable, None, false, viewer(email, proven, has_it)) };
            if next_step(link) == Accept {
                prop_assert!(usable && !has_it && proven);
            }
            if !usable {
                prop_assert_eq!(step, Unusable);
            }
            if step == Accept {
                prop_assert!(usable && !has_it);
                prop_assert!(!private || (same && proven));
            }
        }
    }
}
