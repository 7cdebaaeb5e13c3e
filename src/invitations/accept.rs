//! The steps every kind's use of an invitation shares, so a rule checked in
//! one kind cannot be missing from another: who may use it (the recipient
//! check), the refusals, and closing it.

use super::{status::Status, store, Kind};
use crate::{
    accounts::verification_required_before,
    email::{self, outbox},
    error::{ApiError, ApiResult, Code},
    server::db::Tx,
};

pub fn not_the_recipient() -> ApiError {
    ApiError::new(
        Code::YouAreNotTheRecipientOfTheInvitation,
        "You are not the recipient of the invitation",
    )
}

/// The 410 of an invitation whose inviter can no longer grant it (SPEC §3
/// "Accounts" 3, "Organizations" 4).
pub fn inviter_lost_rights() -> ApiError {
    ApiError::new(
        Code::InviterNoLongerAllowed,
        "The person who sent this invitation can no longer grant this role.",
    )
}

/// The refusal of signing up with an invitation for an address that has
/// an account: sign in and accept instead.
pub fn account_exists() -> ApiError {
    ApiError::new(
        Code::UserAlreadyExistsPleaseSignIn,
        "An account with this email already exists. Sign in to accept the invitation.",
    )
}

/// Who is using the invitation.
pub struct User<'a> {
    pub email: &'a str,
    pub email_verified: bool,
}

/// SPEC §3 "Accounts" 2: a private invitation is used only by its
/// addressee, whose mailbox is verified or proven by the secret they hold
/// (`proves_mailbox`: a link sent only there). Answers whether using it
/// verifies the address. `doing` says what waits ("accepting", "declining",
/// "opening").
pub fn check_recipient(
    addressee: Option<&str>,
    user: User<'_>,
    proves_mailbox: bool,
    doing: &str,
) -> ApiResult<bool> {
    let Some(to) = addressee else {
        return Ok(false);
    };
    if !to.eq_ignore_ascii_case(user.email) {
        return Err(not_the_recipient());
    }
    if user.email_verified {
        return Ok(false);
    }
    if !proves_mailbox {
        return Err(verification_required_before(doing));
    }
    Ok(true)
}

/// The emails that carry an invitation of `kind`'s link.
fn email_kinds(kind: Kind) -> &'static [email::Kind] {
    match kind {
        Kind::Role => outbox::INVITATION_KINDS,
        Kind::Organization => &[email::Kind::OrganizationInvitation],
        // A join link is shared by hand, never emailed.
        Kind::JoinLink => &[],
    }
}

/// Wipes the link from the invitation's email still waiting in the outbox,
/// saying `why` in its place: the secret no longer works (used up,
/// renewed).
pub async fn forget_secret(tx: &mut Tx, kind: Kind, id: &str, why: &str) -> ApiResult<()> {
    outbox::forget_secret(tx, email_kinds(kind), id, why).await?;
    Ok(())
}

/// Closes a pending invitation (declined, canceled, accepted) and wipes
/// its waiting email's link, inside the caller's transaction. False when it
/// was no longer pending: a concurrent request settled it first.
pub async fn close(
    tx: &mut Tx,
    kind: Kind,
    id: &str,
    status: Status,
    why: &str,
) -> ApiResult<bool> {
    if !store::close(tx, kind, id, status).await? {
        return Ok(false);
    }
    forget_secret(tx, kind, id, why).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str, email_verified: bool) -> User<'_> {
        User {
            email,
            email_verified,
        }
    }

    #[test]
    fn only_the_addressee_with_a_proven_mailbox_uses_a_private_invitation() {
        let to = Some("a@x.io");
        let verifies =
            |addressee, u, proven| check_recipient(addressee, u, proven, "accepting").unwrap();
        // A public invitation, or a verified addressee: nothing to verify.
        assert!(!verifies(None, user("b@x.io", false), false));
        assert!(!verifies(to, user("a@x.io", true), false));
        assert!(!verifies(to, user("A@X.io", true), false));
        // The link proves the mailbox: using it verifies the address.
        assert!(verifies(to, user("a@x.io", false), true));
        let err = check_recipient(to, user("a@x.io", false), false, "declining").unwrap_err();
        assert_eq!(err.code, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION");
        assert!(err.message.contains("declining"));
        let err = check_recipient(to, user("b@x.io", true), true, "accepting").unwrap_err();
        assert_eq!(err.code, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION");
    }
}
