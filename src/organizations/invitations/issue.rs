//! Issuing organization invitations (`invite-member`): one address or a
//! list, each checked against the inviter's authority (the granting rule),
//! the organization's limits and the pending invitations, and written with
//! its email and audit event in its own transaction.

use serde_json::json;

use super::{
    service::view, InvitationView, InviteMemberBody, InviteMemberResponse, InviteMembersBody,
    InviteOutcome,
};
use crate::{
    accounts::{domain::Email, sessions::Current, store as accounts},
    audit,
    config::Config,
    email::{self, templates, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept,
        bulk::{self, BulkResponse, BulkResult, BulkRow},
        secret::{self, Hashes, SecretKind},
        status::Status,
        store::organization::{self as store, InvitationRow, NewInvitation},
        Kind, OneOrMany,
    },
    organizations::{
        domain::MemberRoles,
        members::{allows, authority, check_grant, known_roles, member_not_found, refused},
        service::{acting_member_of, membership_or, named_or_active, not_found},
        store as organizations, teams,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

/// The most addresses one `invite-member` takes.
const MAX_EMAILS: usize = 100;

pub async fn invite(
    db: &Db,
    config: &Config,
    me: &Current,
    body: InviteMemberBody,
    ip: &str,
) -> ApiResult<InviteMemberResponse> {
    let roles = known_roles(body.role.clone())?;
    let organization = named_or_active(me, body.organization_id.clone())?;
    let team = body.team_id.as_deref().filter(|t| !t.trim().is_empty());
    let resend = body.resend.unwrap_or(false);
    match body.email {
        None => Err(ApiError::new(
            Code::MissingField,
            "The field `email` is required.",
        )),
        Some(OneOrMany::One(email)) => invite_one(
            db,
            config,
            me,
            &organization,
            team,
            &email,
            &roles,
            resend,
            ip,
        )
        .await
        .map(|(invitation, _)| InviteMemberResponse::One(invitation)),
        Some(OneOrMany::Many(emails)) => {
            if emails.len() > MAX_EMAILS {
                return Err(ApiError::new(
                    Code::TooManyEmails,
                    format!("Invite at most {MAX_EMAILS} addresses at a time."),
                ));
            }
            if emails.is_empty() {
                return Err(ApiError::new(
                    Code::InvalidEmail,
                    format!("Give between 1 and {MAX_EMAILS} addresses."),
                ));
            }
            // Each address in its own transaction: one refusal does not
            // undo the others.
            let mut outcomes = Vec::with_capacity(emails.len());
            for email in emails {
                let result = invite_one(
                    db,
                    config,
                    me,
                    &organization,
                    team,
                    &email,
                    &roles,
                    resend,
                    ip,
                )
                .await;
                outcomes.push(match result {
                    Ok((invitation, _)) => InviteOutcome {
                        email: invitation.email.clone(),
                        invitation: Some(invitation),
                        error: None,
                    },
                    Err(e) if e.status() >= 500 => return Err(e),
                    Err(e) => InviteOutcome {
                        email,
                        invitation: None,
                        error: Some(e),
                    },
                });
            }
            Ok(InviteMemberResponse::Many(outcomes))
        }
    }
}

/// `invite-members`: up to 500 people, each with their own roles and team
/// (a team's id or name) and their own result; rows that fail do not stop
/// the others. Whether the caller may invite at all is checked once, first.
pub async fn invite_members(
    db: &Db,
    config: &Config,
    me: &Current,
    body: InviteMembersBody,
    ip: &str,
) -> ApiResult<BulkResponse> {
    let rows = bulk::checked(body.invitations)?;
    let key = named_or_active(me, body.organization_id)?;
    let (o, inviter) = membership_or(db, &key, &me.user, member_not_found).await?;
    if !allows(&inviter, "invitation", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToInviteUsersToThisOrganization,
            "inviting people",
        ));
    }
    let teams = teams::store::for_organization(db, &o.id).await?;
    let resend = body.resend.unwrap_or(false);
    let (teams, organization) = (&teams, o.id.as_str());
    bulk::each_row(rows, |row| async move {
        let (roles, team) = row_grant(teams, &row)?;
        let (invitation, resent) = crate::server::db::retrying(|| {
            invite_one(
                db,
                config,
                me,
                organization,
                team.as_deref(),
                &row.email,
                &roles,
                resend,
                ip,
            )
        })
        .await?;
        Ok(BulkResult::sent(invitation.email, invitation.id, resent))
    })
    .await
}

/// A row's roles (`member` when it names none) and its team, by id or by
/// name (a CSV names teams as people read them).
fn row_grant(
    teams: &[teams::store::TeamRow],
    row: &BulkRow,
) -> ApiResult<(MemberRoles, Option<String>)> {
    let roles = known_roles(Some(
        row.role
            .clone()
            .unwrap_or_else(|| OneOrMany::One("member".to_owned())),
    ))?;
    let team = match row
        .team_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => Some(
            teams
                .iter()
                .find(|x| x.id == t || x.name.eq_ignore_ascii_case(t))
                .ok_or_else(teams::service::team_not_found)?
                .id
                .clone(),
        ),
    };
    Ok((roles, team))
}

#[allow(clippy::too_many_arguments)]
async fn invite_one(
    db: &Db,
    config: &Config,
    me: &Current,
    organization: &str,
    team: Option<&str>,
    email: &str,
    roles: &MemberRoles,
    resend: bool,
    ip: &str,
) -> ApiResult<(InvitationView, bool)> {
    let email = Email::parse(email)?;
    let now = clock::now_ms();
    let settings = &config.organizations;
    let mut tx = db.begin().await?;
    let o = organizations::find(&mut *tx, organization)
        .await?
        .ok_or_else(not_found)?;
    // Taken first, so invitations to one organization queue up behind it
    // and its counts hold.
    organizations::lock(&mut tx, &o.id).await?;
    let inviter = acting_member_of(&mut tx, &o, &me.user, member_not_found).await?;
    if !allows(&inviter, "invitation", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToInviteUsersToThisOrganization,
            "inviting people",
        ));
    }
    let inviter_authority = authority(&inviter);
    check_grant(&mut tx, &o.id, &inviter_authority, roles, WITH_THIS_ROLE).await?;
    if organizations::member_in(&mut tx, &o.id, email.as_str())
        .await?
        .is_some_and(|m| m.user_email == email.as_str())
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            format!("{email} is already a member of {}.", o.name),
        ));
    }
    let team_id = teams::service::of_organization(&mut tx, &settings.teams, &o.id, team).await?;
    let expires_at = now + settings.invitation_expiry_ms();
    let secret = secret::draw(SecretKind::Link);
    let hash = Hashes::of_link(&secret).current;
    let existing = match store::pending_for(&mut tx, &o.id, email.as_str()).await? {
        // An expired invitation never blocks a new one.
        Some(old) if old.expires_at <= now => {
            crate::invitations::store::close(&mut tx, Kind::Organization, &old.id, Status::Expired)
                .await?;
            None
        }
        other => other,
    };
    // A resend renews the pending invitation; anything else makes a new
    // one, once the pending one is out of the way and within the limit.
    let renewed = match existing {
        Some(old) if resend => {
            // The resender becomes the inviter (SPEC §3 "Accounts" 3), so
            // the roles it stores must be theirs to grant: an admin does
            // not renew an owner's invitation.
            let stored = MemberRoles::parse([old.role.as_str()])?;
            check_grant(&mut tx, &o.id, &inviter_authority, &stored, WITH_THIS_ROLE).await?;
            store::renew(&mut tx, &old.id, &hash, expires_at, &me.user.id).await?;
            accept::forget_secret(
                &mut tx,
                Kind::Organization,
                &old.id,
                "The invitation was sent again with a new link.",
            )
            .await?;
            Some(old)
        }
        Some(old) if settings.cancel_pending_on_reinvite => {
            super::service::settle(
                &mut tx,
                &old,
                Status::Canceled,
                "The invitation was replaced by a new one.",
            )
            .await?;
            None
        }
        Some(_) => return Err(already_invited()),
        None => {
            check_invitation_room(&mut tx, config, &o.id, now).await?;
            None
        }
    };
    let (row, action) = match renewed {
        Some(old) => (old, "organization.invitation.resend"),
        None => {
            let id = crypto::new_id();
            let new = NewInvitation {
                id: &id,
                organization_id: &o.id,
                email: email.as_str(),
                role: &roles.joined(),
                team_id: team_id.as_deref(),
                expires_at,
                inviter_id: &me.user.id,
                secret_hash: &hash,
                domain_id: None,
            };
            (
                insert(&mut tx, &new).await?,
                "organization.invitation.create",
            )
        }
    };
    let has_account = accounts::find_by_email_tx(&mut tx, email.as_str())
        .await?
        .is_some();
    let link = config.link(&format!("/invite/{secret}"));
    // The roles the invitation stores: a resend keeps its own.
    let message = templates::organization_invitation(templates::OrganizationInvitation {
        to: email.as_str(),
        inviter: &me.user.name,
        organization: &o.name,
        role: &row.role,
        link: &link,
        token: &secret,
        expires_in: &templates::spoken(std::time::Duration::from_millis(
            u64::try_from(settings.invitation_expiry_ms()).unwrap_or(0),
        )),
        invitation_id: &row.id,
        new_account: !has_account,
    })
    .expiring_at(expires_at);
    let cause = Cause::Organization {
        organization_id: &o.id,
        sender_id: &me.user.id,
    };
    email::enqueue(&mut tx, config, &message, cause).await?;
    audit::record(
        &mut tx,
        audit::Event::new(action)
            .actor(&me.user.id)
            .target(&row.id)
            .after(json!({ "organizationId": o.id, "email": email.as_str(), "role": row.role }))
            .ip(ip),
    )
    .await?;
    let fresh = store::find_for_update(&mut tx, &row.id, "")
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok((view(&fresh), action == "organization.invitation.resend"))
}

/// The refusal of a grant beyond the inviter's authority.
const WITH_THIS_ROLE: Code = Code::YouAreNotAllowedToInviteUserWithThisRole;

fn already_invited() -> ApiError {
    ApiError::new(
        Code::UserIsAlreadyInvitedToThisOrganization,
        "User is already invited to this organization",
    )
}

async fn insert(tx: &mut Tx, new: &NewInvitation<'_>) -> ApiResult<InvitationRow> {
    match store::insert(tx, new).await {
        // Another invitation to this address won the race.
        Err(e) if is_unique_violation(&e) => return Err(already_invited()),
        other => other?,
    }
    store::find_for_update(tx, new.id, "")
        .await?
        .ok_or_else(ApiError::internal)
}

/// How many more pending invitations the organization may have
/// (`organizations.invitation_limit`, SPEC §3 "Organizations" 4).
pub(in crate::organizations) async fn invitation_room(
    tx: &mut Tx,
    config: &Config,
    organization_id: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let pending = store::count_pending(tx, organization_id, now).await?;
    Ok((i64::from(config.organizations.invitation_limit) - pending).max(0))
}

/// `INVITATION_LIMIT_REACHED` when the organization has no room for one
/// more pending invitation.
pub(in crate::organizations) async fn check_invitation_room(
    tx: &mut Tx,
    config: &Config,
    organization_id: &str,
    now: i64,
) -> ApiResult<()> {
    if invitation_room(tx, config, organization_id, now).await? > 0 {
        return Ok(());
    }
    Err(ApiError::new(
        Code::InvitationLimitReached,
        format!(
            "This organization has {} pending invitations, the most this instance allows.",
            config.organizations.invitation_limit
        ),
    ))
}
