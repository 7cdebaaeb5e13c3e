//! Reading and closing organization invitations: the views, the
//! recipient's and the public preview, the page's next step, canceling,
//! and the lists. Issuing is `issue`; using one is `join`.

use serde_json::json;

use super::{
    join::{check_recipient, grantor_still_allowed, locked, Grant},
    InvitationDetails, InvitationPreview, InvitationView, JoinPreview, UserInvitation,
};
use crate::{
    accounts::sessions::Current,
    audit,
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept::{self, inviter_lost_rights},
        next_step::{next_step, Facts, Viewer},
        secret::Hashes,
        status::Status,
        store::organization::{self as store, InvitationRow},
        Kind,
    },
    organizations::{
        members::{allows, member_not_found, refused},
        service::{acting_member, membership_or, named_or_active},
        store as organizations,
    },
    server::{
        clock,
        db::{Db, Tx},
    },
};

pub(crate) fn view(i: &InvitationRow) -> InvitationView {
    InvitationView {
        id: i.id.clone(),
        organization_id: i.organization_id.clone(),
        email: i.email.clone(),
        role: i.role.clone(),
        team_id: i.team_id.clone(),
        status: i
            .status_at(clock::now_ms())
            .word(Kind::Organization)
            .to_owned(),
        expires_at: clock::rfc3339(i.expires_at),
        created_at: clock::rfc3339(i.created_at),
        inviter_id: i.inviter_id.clone(),
    }
}

pub(super) fn invitation_not_found() -> ApiError {
    ApiError::new(Code::InvitationNotFound, "Invitation not found")
}

/// Closes a pending invitation (the core's `accept::close`);
/// `INVITATION_NOT_FOUND` when a concurrent request settled it first.
pub(super) async fn settle(
    tx: &mut Tx,
    i: &InvitationRow,
    status: Status,
    why: &str,
) -> ApiResult<()> {
    if accept::close(tx, Kind::Organization, &i.id, status, why).await? {
        Ok(())
    } else {
        Err(invitation_not_found())
    }
}

pub async fn get(db: &Db, me: &Current, key: String) -> ApiResult<InvitationDetails> {
    let d = store::find_described(db, &key, &Hashes::of_link(&key).current)
        .await?
        .filter(|d| d.invitation.is_open(clock::now_ms()))
        .ok_or_else(invitation_not_found)?;
    check_recipient(me, &d.invitation, &key, "opening")?;
    Ok(InvitationDetails {
        invitation: view(&d.invitation),
        organization_name: d.organization_name,
        organization_slug: d.organization_slug,
        inviter_email: d.inviter_email,
    })
}

pub async fn preview(db: &Db, key: String) -> ApiResult<InvitationPreview> {
    let d = store::find_described(db, &key, &Hashes::of_link(&key).current)
        .await?
        .ok_or_else(invitation_not_found)?;
    Ok(preview_of(&d))
}

/// The next step for whoever opened the invitation's link.
pub async fn join_preview(
    db: &Db,
    viewer: Option<&Current>,
    secret: &str,
) -> ApiResult<JoinPreview> {
    let d = store::find_described(db, "", &Hashes::of_link(secret).current)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                Code::InvitationLinkNotFound,
                "There is no invitation behind this link.",
            )
        })?;
    join_preview_of(db, viewer, d).await
}

/// The page's view of an invitation already found by its link.
pub async fn join_preview_of(
    db: &Db,
    viewer: Option<&Current>,
    d: store::Described,
) -> ApiResult<JoinPreview> {
    let preview = preview_of(&d);
    let i = d.invitation;
    let reason = match i.status_at(clock::now_ms()).reason(Kind::Organization) {
        Some(why) => Some(why.to_owned()),
        None if !grantor_still_allowed(db, &Grant::from(&i)).await? => {
            Some(inviter_lost_rights().message)
        }
        None => None,
    };
    let recipient = viewer.is_none_or(|v| v.user.email.eq_ignore_ascii_case(&i.email));
    let member = match viewer {
        Some(v) if recipient && reason.is_none() => {
            !organizations::members(db, &i.organization_id, Some(&v.user.id))
                .await?
                .is_empty()
        }
        _ => false,
    };
    let step = next_step(Facts {
        kind: Kind::Organization,
        usable: reason.is_none(),
        addressee: Some(&i.email),
        // The public preview does not tell whether the address has an
        // account: signed out, the page offers both ways.
        addressee_has_account: false,
        allowed_domains: &[],
        viewer: viewer.map(|v| Viewer {
            email: &v.user.email,
            // This page is opened by the link's secret, which proves the
            // mailbox; accepting by it marks the address verified.
            mailbox_proven: true,
            has_it: member,
        }),
    });
    Ok(JoinPreview {
        preview,
        step,
        email: recipient.then(|| i.email.clone()),
        viewer_email: viewer.map(|v| v.user.email.clone()),
        reason,
    })
}

/// What the public preview shows of an invitation.
fn preview_of(d: &store::Described) -> InvitationPreview {
    let i = &d.invitation;
    InvitationPreview {
        id: i.id.clone(),
        role: i.role.clone(),
        status: i
            .status_at(clock::now_ms())
            .word(Kind::Organization)
            .to_owned(),
        expires_at: clock::rfc3339(i.expires_at),
        organization_name: d.organization_name.clone(),
        organization_slug: d.organization_slug.clone(),
        inviter_name: d.inviter_name.clone(),
        team_name: d.team_name.clone(),
    }
}

pub async fn cancel(db: &Db, me: &Current, key: String, ip: &str) -> ApiResult<InvitationView> {
    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &key).await?;
    let actor = acting_member(&mut tx, &i.organization_id, &me.user, member_not_found).await?;
    if !allows(&actor, "invitation", "cancel") {
        return Err(refused(
            Code::YouAreNotAllowedToCancelThisInvitation,
            "canceling invitations",
        ));
    }
    settle(
        &mut tx,
        &i,
        Status::Canceled,
        "The invitation was canceled.",
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.invitation.cancel")
            .actor(&me.user.id)
            .target(&i.id)
            .before(json!({ "organizationId": i.organization_id, "email": i.email }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(InvitationView {
        status: Status::Canceled.word(Kind::Organization).to_owned(),
        ..view(&i)
    })
}

/// For members who may invite or cancel; expired pending ones read as
/// `expired`.
pub async fn list(db: &Db, me: &Current, named: Option<String>) -> ApiResult<Vec<InvitationView>> {
    let key = named_or_active(me, named)?;
    let outsider = || {
        ApiError::new(
            Code::YouAreNotAMemberOfThisOrganization,
            "You are not a member of this organization",
        )
    };
    let (o, member) = membership_or(db, &key, &me.user, outsider).await?;
    if !(allows(&member, "invitation", "create") || allows(&member, "invitation", "cancel")) {
        return Err(ApiError::new(
            Code::YouAreNotAllowedToListInvitations,
            "You are not allowed to list invitations for this organization",
        ));
    }
    list_all(db, &o.id).await
}

/// Every invitation of an organization, newest first; a pending one past
/// its expiry reads `expired`.
pub(crate) async fn list_all(db: &Db, organization_id: &str) -> ApiResult<Vec<InvitationView>> {
    Ok(store::for_organization(db, organization_id)
        .await?
        .iter()
        .map(view)
        .collect())
}

pub async fn list_for_user(db: &Db, me: &Current) -> ApiResult<Vec<UserInvitation>> {
    if !me.user.email_verified {
        return Err(ApiError::new(
            Code::EmailVerificationRequiredForInvitation,
            "Email verification required to view or list invitations for the session email",
        ));
    }
    Ok(store::open_for_email(db, &me.user.email, clock::now_ms())
        .await?
        .into_iter()
        .map(|(i, organization_name, organization_slug)| UserInvitation {
            invitation: view(&i),
            organization_name,
            organization_slug,
        })
        .collect())
}
