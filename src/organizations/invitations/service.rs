//! The server side of organization invitations. Each change is one
//! transaction with its audit event; the invitation email is queued in the
//! transaction that makes (or renews) the invitation.

use serde_json::json;

use super::{
    InvitationDetails, InvitationPreview, InvitationResponse, InvitationView, InviteMemberBody,
    InviteMemberResponse, InviteOutcome, JoinPreview, SignUpWithInvitationBody,
    SignUpWithInvitationResponse, UserInvitation,
};
use crate::{
    access::{
        grant,
        statements::{built_in_organization_role, Statements},
    },
    accounts::create::{create_account, NewAccount},
    accounts::sessions::{self, Current},
    accounts::{
        domain::{Email, Password, PersonName},
        required, store as accounts,
    },
    audit,
    config::Config,
    email::{self, templates, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept::{self, inviter_lost_rights, User},
        next_step::{next_step, Facts, Viewer},
        secret::{self, Hashes, SecretKind},
        status::Status,
        store::organization::{self as store, InvitationRow, NewInvitation},
        Kind, OneOrMany,
    },
    organizations::{
        domain::MemberRoles,
        roles,
        service::{
            allows, authority, check_grant, known_roles, member_not_found, member_view,
            named_or_active, not_found, refused,
        },
        store::{self as organizations, MemberRow},
        teams,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

/// The most addresses one `invite-member` takes.
const MAX_EMAILS: usize = 100;

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

fn invitation_not_found() -> ApiError {
    ApiError::new(Code::InvitationNotFound, "Invitation not found")
}

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
        .map(InviteMemberResponse::One),
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
                    Ok(invitation) => InviteOutcome {
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
) -> ApiResult<InvitationView> {
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
    let inviter = organizations::membership_of(&mut tx, &o.id, &me.user.id)
        .await?
        .ok_or_else(member_not_found)?;
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
    // A team must be one of this organization's.
    let team_id = match team {
        None => None,
        Some(id) => Some(
            teams::store::find(&mut *tx, id)
                .await?
                .filter(|t| t.organization_id == o.id && settings.teams.enabled)
                .ok_or_else(teams::service::team_not_found)?
                .id,
        ),
    };
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
            settle(
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
            if store::count_pending(&mut tx, &o.id, now).await?
                >= i64::from(settings.invitation_limit)
            {
                return Err(ApiError::new(
                    Code::InvitationLimitReached,
                    format!(
                        "This organization has {} pending invitations, the most this instance allows.",
                        settings.invitation_limit
                    ),
                ));
            }
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
    Ok(view(&fresh))
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

/// Closes a pending invitation (the core's `accept::close`);
/// `INVITATION_NOT_FOUND` when a concurrent request settled it first.
async fn settle(tx: &mut Tx, i: &InvitationRow, status: Status, why: &str) -> ApiResult<()> {
    if accept::close(tx, Kind::Organization, &i.id, status, why).await? {
        Ok(())
    } else {
        Err(invitation_not_found())
    }
}

/// Inside `tx`: the invitation that `key` (its id or its link's secret)
/// names, taken in the one lock order (`organizations::store::lock`): its
/// organization's row, then its own.
async fn locked(tx: &mut Tx, key: &str) -> ApiResult<InvitationRow> {
    let hash = Hashes::of_link(key).current;
    let found = store::find(&mut **tx, key, &hash)
        .await?
        .ok_or_else(invitation_not_found)?;
    organizations::lock(tx, &found.organization_id).await?;
    store::find_for_update(tx, key, &hash)
        .await?
        .ok_or_else(invitation_not_found)
}

/// Whether `key` is the invitation's link secret rather than its id: the
/// link went only to the invitation's mailbox, so holding it proves that
/// mailbox (SPEC §3 "Accounts" 2).
fn by_secret(key: &str, invitation: &InvitationRow) -> bool {
    key != invitation.id
}

/// The core's recipient check: the session's email is the invitation's,
/// and verified or proven by the link's secret (SPEC §3 "Accounts" 2).
/// Answers whether using it verifies the address.
fn check_recipient(
    me: &Current,
    invitation: &InvitationRow,
    key: &str,
    doing: &str,
) -> ApiResult<bool> {
    let user = User {
        email: &me.user.email,
        email_verified: me.user.email_verified,
    };
    accept::check_recipient(
        Some(&invitation.email),
        user,
        by_secret(key, invitation),
        doing,
    )
}

/// SPEC §3 "Organizations" 4 and "Accounts" 3: an invitation acts with its
/// inviter's authority as it is now. It stands while the inviter is still
/// a member, still holds `invitation:create`, and may still grant every
/// role it offers (`granted`, each role's name and statements); void
/// otherwise.
fn authority_holds(inviter: Option<&MemberRow>, granted: &[(String, Statements)]) -> bool {
    inviter.is_some_and(|inviter| {
        allows(inviter, "invitation", "create")
            && grant::check(
                &authority(inviter),
                granted.iter().map(|(n, s)| (n.as_str(), s)),
            )
            .is_ok()
    })
}

/// Inside `tx` (the organization locked): `INVITER_NO_LONGER_ALLOWED`
/// unless the invitation's inviter may still grant it.
async fn check_inviter(tx: &mut Tx, i: &InvitationRow) -> ApiResult<()> {
    let inviter = organizations::membership_of(tx, &i.organization_id, &i.inviter_id).await?;
    let granted = match MemberRoles::parse([i.role.as_str()]) {
        Ok(roles) => roles::service::resolve(tx, &i.organization_id, &roles).await,
        Err(e) => Err(e),
    };
    match granted {
        Ok(granted) if authority_holds(inviter.as_ref(), &granted) => Ok(()),
        Err(e) if e.status() >= 500 => Err(e),
        // A role gone since, or an authority that no longer covers it.
        _ => Err(inviter_lost_rights()),
    }
}

/// The same judgement for a page or preview, read without a transaction.
async fn inviter_still_allowed(db: &Db, i: &InvitationRow) -> ApiResult<bool> {
    let inviter = organizations::members(db, &i.organization_id, Some(&i.inviter_id))
        .await?
        .pop();
    let Ok(roles) = MemberRoles::parse([i.role.as_str()]) else {
        return Ok(false);
    };
    let mut granted = Vec::new();
    for name in roles.iter() {
        let statements = match built_in_organization_role(name) {
            Some(s) => s,
            None => match roles::store::get(db, &i.organization_id, name).await? {
                Some(r) => roles::service::custom_statements(&r),
                // Gone since: nobody can grant it.
                None => return Ok(false),
            },
        };
        granted.push((name.to_owned(), statements));
    }
    Ok(authority_holds(inviter.as_ref(), &granted))
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
    let preview = preview_of(&d);
    let i = d.invitation;
    let reason = match i.status_at(clock::now_ms()).reason(Kind::Organization) {
        Some(why) => Some(why.to_owned()),
        None if !inviter_still_allowed(db, &i).await? => Some(inviter_lost_rights().message),
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

/// SPEC §3 "Organizations" 7. Only the link's secret finds the invitation
/// here, so an admin who read its `id` in a list cannot take the account.
/// An address that has an account writes nothing.
pub async fn sign_up(
    db: &Db,
    config: &Config,
    body: SignUpWithInvitationBody,
    ip: &str,
    user_agent: Option<&str>,
) -> ApiResult<SignUpWithInvitationResponse> {
    let secret = required(&body.invitation_id, "invitationId")?
        .trim()
        .to_owned();
    let hash = Hashes::of_link(&secret).current;
    let found = store::find(db.pool(), "", &hash)
        .await?
        .filter(|i| i.is_open(clock::now_ms()))
        .ok_or_else(invitation_not_found)?;
    let name = PersonName::parse(required(&body.name, "name")?)?;
    let password = Password::parse(required(&body.password, "password")?)?;
    let exists = || {
        ApiError::new(
            Code::UserAlreadyExistsPleaseSignIn,
            "An account with this email already exists. Sign in to accept the invitation.",
        )
    };
    if accounts::find_by_email(db, &found.email).await?.is_some() {
        return Err(exists());
    }
    let phc = crypto::hash_password(password.into_secret()).await?;

    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &secret).await?;
    if !by_secret(&secret, &i) || !i.is_open(clock::now_ms()) {
        return Err(invitation_not_found());
    }
    check_inviter(&mut tx, &i).await?;
    let limit = config.organizations.membership_limit;
    if organizations::count_members(&mut tx, &i.organization_id).await? >= i64::from(limit) {
        return Err(ApiError::new(
            Code::OrganizationMembershipLimitReached,
            format!("This organization has {limit} members, the most this instance allows."),
        ));
    }
    let user = create_account(
        &mut tx,
        NewAccount {
            email: &i.email,
            name: name.as_str(),
            // The instance's lowest role; the invitation is to the
            // organization, not to the instance.
            role: &config.roles.lowest().name,
            // The link came to this address.
            email_verified: true,
            password_hash: Some(&phc),
            created_by: None,
            ip,
        },
    )
    .await
    .map_err(|e| e.or_taken(exists))?;
    settle(&mut tx, &i, Status::Used, "The invitation was accepted.").await?;
    let member_id = crypto::new_id();
    let roles: Vec<&str> = i.role.split(',').collect();
    organizations::insert_member(&mut tx, &member_id, &i.organization_id, &user.id, &roles).await?;
    let (token, session) = sessions::create(&mut tx, config, &user.id, ip, user_agent).await?;
    organizations::set_active(&mut *tx, &session.id, Some(&i.organization_id)).await?;
    join_team(&mut tx, config, &i, &user.id, &session.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.invitation.accept")
            .actor(&user.id)
            .target(&i.id)
            .after(json!({ "organizationId": i.organization_id, "memberId": member_id, "role": i.role, "newAccount": true }))
            .ip(ip),
    )
    .await?;
    let member = organizations::member_in(&mut tx, &i.organization_id, &member_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(SignUpWithInvitationResponse {
        token,
        user: user.view(),
        member: member_view(member, false),
    })
}

/// The team the invitation names, joined and made the session's active
/// one, inside the accepting transaction. A team removed since the
/// invitation was sent was cleared from it then.
async fn join_team(
    tx: &mut Tx,
    config: &Config,
    i: &InvitationRow,
    user_id: &str,
    session_id: &str,
) -> ApiResult<()> {
    let settings = &config.organizations.teams;
    let Some(team_id) = i.team_id.as_deref().filter(|_| settings.enabled) else {
        return Ok(());
    };
    let Some(team) = teams::store::find(&mut **tx, team_id).await? else {
        return Ok(());
    };
    teams::service::join(tx, settings, &team, user_id).await?;
    teams::store::set_active(&mut **tx, session_id, Some(&team)).await?;
    Ok(())
}

/// SPEC §3 "Organizations" 8: the status change, the membership and the
/// active organization in one transaction; of two accepts at once, one
/// wins and the other finds the invitation gone.
pub async fn accept(
    db: &Db,
    config: &Config,
    me: &Current,
    key: String,
    ip: &str,
) -> ApiResult<InvitationResponse> {
    let now = clock::now_ms();
    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &key).await?;
    if !i.is_open(now) {
        return Err(invitation_not_found());
    }
    let verifies_email = check_recipient(me, &i, &key, "accepting")?;
    check_inviter(&mut tx, &i).await?;
    if organizations::membership_of(&mut tx, &i.organization_id, &me.user.id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            "You are already a member of this organization.",
        ));
    }
    let limit = config.organizations.membership_limit;
    if organizations::count_members(&mut tx, &i.organization_id).await? >= i64::from(limit) {
        return Err(ApiError::new(
            Code::OrganizationMembershipLimitReached,
            format!("This organization has {limit} members, the most this instance allows."),
        ));
    }
    settle(&mut tx, &i, Status::Used, "The invitation was accepted.").await?;
    // Accepted through the emailed link: the mailbox is proven.
    if verifies_email {
        accounts::mark_email_verified(&mut tx, &me.user.id).await?;
    }
    let member_id = crypto::new_id();
    let roles: Vec<&str> = i.role.split(',').collect();
    organizations::insert_member(&mut tx, &member_id, &i.organization_id, &me.user.id, &roles)
        .await?;
    organizations::set_active(&mut *tx, &me.session.id, Some(&i.organization_id)).await?;
    join_team(&mut tx, config, &i, &me.user.id, &me.session.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.invitation.accept")
            .actor(&me.user.id)
            .target(&i.id)
            .after(json!({ "organizationId": i.organization_id, "memberId": member_id, "role": i.role, "emailVerified": verifies_email }))
            .ip(ip),
    )
    .await?;
    let member = organizations::member_in(&mut tx, &i.organization_id, &member_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(InvitationResponse {
        invitation: InvitationView {
            status: Status::Used.word(Kind::Organization).to_owned(),
            ..view(&i)
        },
        member: Some(member_view(member, false)),
    })
}

pub async fn reject(db: &Db, me: &Current, key: String, ip: &str) -> ApiResult<InvitationResponse> {
    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &key).await?;
    if !i.is_open(clock::now_ms()) {
        return Err(invitation_not_found());
    }
    check_recipient(me, &i, &key, "declining")?;
    settle(
        &mut tx,
        &i,
        Status::Rejected,
        "The invitation was declined.",
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.invitation.reject")
            .actor(&me.user.id)
            .target(&i.id)
            .after(json!({ "organizationId": i.organization_id }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(InvitationResponse {
        invitation: InvitationView {
            status: Status::Rejected.word(Kind::Organization).to_owned(),
            ..view(&i)
        },
        member: None,
    })
}

pub async fn cancel(db: &Db, me: &Current, key: String, ip: &str) -> ApiResult<InvitationView> {
    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &key).await?;
    let actor = organizations::membership_of(&mut tx, &i.organization_id, &me.user.id)
        .await?
        .ok_or_else(member_not_found)?;
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
    let o = organizations::find(db.pool(), &key)
        .await?
        .ok_or_else(not_found)?;
    let member = organizations::members(db, &o.id, Some(&me.user.id))
        .await?
        .pop()
        .ok_or_else(|| {
            ApiError::new(
                Code::YouAreNotAMemberOfThisOrganization,
                "You are not a member of this organization",
            )
        })?;
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
