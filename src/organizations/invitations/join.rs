//! Using an organization invitation: accepting it signed in, creating an
//! account with it, or declining it. The checks are the invitations core's
//! (`invitations::accept`: the recipient, the refusals, closing); what is
//! the organization's is here: the inviter's authority as it is now, the
//! membership limit, and the membership with its team.

use serde_json::{json, Value};

use super::{
    service::{invitation_not_found, settle, view},
    InvitationResponse, InvitationView, SignUpWithInvitationBody, SignUpWithInvitationResponse,
};
use crate::{
    access::{
        grant,
        statements::{built_in_organization_role, Statements},
    },
    accounts::{
        domain::{Email, Password, PersonName},
        required,
        sessions::Current,
        sign_in::{hash_for_new_account, sign_up_in, Address, Client, NewPerson},
        store as accounts,
    },
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept::{self, inviter_lost_rights, User},
        secret::Hashes,
        status::Status,
        store::organization::{self as store, InvitationRow},
        Kind,
    },
    organizations::{
        domain::MemberRoles,
        members::{allows, authority, member_view},
        roles,
        store::{self as organizations, MemberRow},
        teams,
    },
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

/// Inside `tx`: the invitation that `key` (its id or its link's secret)
/// names, taken in the one lock order (`organizations::store::lock`): its
/// organization's row, then its own.
pub(super) async fn locked(tx: &mut Tx, key: &str) -> ApiResult<InvitationRow> {
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
pub(super) fn check_recipient(
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

/// What using an invitation of either organization kind grants: roles in
/// an organization (comma-separated, as stored), perhaps a team, on the
/// authority of whoever made it (its inviter, a join link's creator).
pub(in crate::organizations) struct Grant<'a> {
    pub organization_id: &'a str,
    pub role: &'a str,
    pub team_id: Option<&'a str>,
    pub grantor_id: &'a str,
}

impl<'a> From<&'a InvitationRow> for Grant<'a> {
    fn from(i: &'a InvitationRow) -> Self {
        Grant {
            organization_id: &i.organization_id,
            role: &i.role,
            team_id: i.team_id.as_deref(),
            grantor_id: &i.inviter_id,
        }
    }
}

/// Inside `tx` (the organization locked): `INVITER_NO_LONGER_ALLOWED`
/// unless the grant's maker may still grant it.
pub(in crate::organizations) async fn check_grantor(tx: &mut Tx, g: &Grant<'_>) -> ApiResult<()> {
    let grantor = organizations::membership_of(tx, g.organization_id, g.grantor_id).await?;
    let grantor = still_admitting(&mut **tx, grantor, g.organization_id).await?;
    let granted = match MemberRoles::parse([g.role]) {
        Ok(roles) => roles::service::resolve(tx, g.organization_id, &roles).await,
        Err(e) => Err(e),
    };
    match granted {
        Ok(granted) if authority_holds(grantor.as_ref(), &granted) => Ok(()),
        Err(e) if e.status() >= 500 => Err(e),
        // A role gone since, or an authority that no longer covers it.
        _ => Err(inviter_lost_rights()),
    }
}

/// The grantor's membership, while the organization's two-factor rule
/// lets them act: what a member held back cannot do now, their pending
/// invitations, join links and domain policies do not do either.
async fn still_admitting<'e, E>(
    executor: E,
    grantor: Option<MemberRow>,
    organization_id: &str,
) -> ApiResult<Option<MemberRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    match grantor {
        Some(m) if !m.user_two_factor => {
            let held_back = organizations::requiring_two_factor(executor, organization_id)
                .await?
                .is_some();
            Ok((!held_back).then_some(m))
        }
        other => Ok(other),
    }
}

/// The same judgement for a page or preview, read without a transaction.
pub(super) async fn grantor_still_allowed(db: &Db, g: &Grant<'_>) -> ApiResult<bool> {
    let grantor = organizations::members(db, g.organization_id, Some(g.grantor_id))
        .await?
        .pop();
    let grantor = still_admitting(db.pool(), grantor, g.organization_id).await?;
    let Ok(roles) = MemberRoles::parse([g.role]) else {
        return Ok(false);
    };
    let mut granted = Vec::new();
    for name in roles.iter() {
        let statements = match built_in_organization_role(name) {
            Some(s) => s,
            None => match roles::store::get(db, g.organization_id, name).await? {
                Some(r) => roles::service::custom_statements(&r),
                // Gone since: nobody can grant it.
                None => return Ok(false),
            },
        };
        granted.push((name.to_owned(), statements));
    }
    Ok(authority_holds(grantor.as_ref(), &granted))
}

/// The membership a grant gives, inside the using transaction (the
/// organization locked, the grant checked): within the membership limit,
/// the member with its roles, and the organization (and the grant's team)
/// made the session's active one when the person is there (`session_id`;
/// an approved request has none). Answers the new member's id.
pub(in crate::organizations) async fn admit(
    tx: &mut Tx,
    config: &Config,
    g: &Grant<'_>,
    (user_id, session_id): (&str, Option<&str>),
) -> ApiResult<String> {
    let limit = config.organizations.membership_limit;
    if organizations::count_members(tx, g.organization_id).await? >= i64::from(limit) {
        return Err(ApiError::new(
            Code::OrganizationMembershipLimitReached,
            format!("This organization has {limit} members, the most this instance allows."),
        ));
    }
    let member_id = crypto::new_id();
    let roles: Vec<&str> = g.role.split(',').collect();
    organizations::insert_member(tx, &member_id, g.organization_id, user_id, &roles).await?;
    if let Some(session_id) = session_id {
        organizations::set_active(&mut **tx, session_id, Some(g.organization_id)).await?;
    }
    join_team(tx, config, g.team_id, user_id, session_id).await?;
    Ok(member_id)
}

/// The new member as answers show it.
pub(in crate::organizations) async fn admitted(
    tx: &mut Tx,
    organization_id: &str,
    member_id: &str,
) -> ApiResult<MemberRow> {
    organizations::member_in(tx, organization_id, member_id)
        .await?
        .ok_or_else(ApiError::internal)
}

/// An invitation's membership (`admit`), the invitation closed as
/// accepted, and the audit event, whose `after` gets `extra`.
async fn join(
    tx: &mut Tx,
    config: &Config,
    i: &InvitationRow,
    ids: (&str, &str),
    extra: Value,
    ip: &str,
) -> ApiResult<MemberRow> {
    settle(tx, i, Status::Used, "The invitation was accepted.").await?;
    let member_id = admit(tx, config, &Grant::from(i), (ids.0, Some(ids.1))).await?;
    let mut after =
        json!({ "organizationId": i.organization_id, "memberId": member_id, "role": i.role });
    if let (Some(after), Value::Object(extra)) = (after.as_object_mut(), extra) {
        after.extend(extra);
    }
    audit::record(
        tx,
        audit::Event::new("organization.invitation.accept")
            .actor(ids.0)
            .target(&i.id)
            .after(after)
            .ip(ip),
    )
    .await?;
    admitted(tx, &i.organization_id, &member_id).await
}

/// The team a grant names, joined and made the session's active one,
/// inside the using transaction. A team removed since was cleared from
/// the grant then.
async fn join_team(
    tx: &mut Tx,
    config: &Config,
    team_id: Option<&str>,
    user_id: &str,
    session_id: Option<&str>,
) -> ApiResult<()> {
    let settings = &config.organizations.teams;
    let Some(team_id) = team_id.filter(|_| settings.enabled) else {
        return Ok(());
    };
    let Some(team) = teams::store::find(&mut **tx, team_id).await? else {
        return Ok(());
    };
    teams::service::join(tx, settings, &team, user_id).await?;
    if let Some(session_id) = session_id {
        teams::store::set_active(&mut **tx, session_id, Some(&team)).await?;
    }
    Ok(())
}

/// SPEC §3 "Organizations" 7. Only the link's secret finds the invitation
/// here, so an admin who read its `id` in a list cannot take the account.
/// An address that has an account writes nothing. The account is made as
/// every sign-up makes one (`accounts::sign_in::sign_up_in`), with the
/// instance's lowest role: the invitation is to the organization.
pub async fn sign_up(
    db: &Db,
    config: &Config,
    body: SignUpWithInvitationBody,
    client: Client<'_>,
) -> ApiResult<SignUpWithInvitationResponse> {
    let secret = required(&body.invitation_id, "invitationId")?
        .trim()
        .to_owned();
    let hash = Hashes::of_link(&secret).current;
    let found = store::find(db.pool(), "", &hash)
        .await?
        .filter(|i| i.is_open(clock::now_ms()))
        .ok_or_else(invitation_not_found)?;
    let person = NewPerson {
        name: PersonName::parse(required(&body.name, "name")?)?,
        email: Email::parse(&found.email)?,
        password: Password::parse(required(&body.password, "password")?)?,
    };
    let exists = accept::account_exists;
    let phc = hash_for_new_account(db, &person, exists).await?;

    let mut tx = db.begin().await?;
    let i = locked(&mut tx, &secret).await?;
    if !by_secret(&secret, &i) || !i.is_open(clock::now_ms()) {
        return Err(invitation_not_found());
    }
    check_grantor(&mut tx, &Grant::from(&i)).await?;
    let lowest = &config.roles.lowest().name;
    // The link came to this address: it is verified.
    let done = sign_up_in(
        &mut tx,
        config,
        &person,
        &phc,
        lowest,
        Address::Proven,
        client,
        exists,
    )
    .await?;
    let ids = (done.user.id.as_str(), done.session_id.as_str());
    let extra = json!({ "newAccount": true });
    let member = join(&mut tx, config, &i, ids, extra, client.ip).await?;
    crate::accounts::email_verified(&mut tx, config, &done.user.id).await?;
    tx.commit().await?;
    Ok(SignUpWithInvitationResponse {
        token: done.token.into(),
        user: done.user.view(),
        member: member_view(member, false),
    })
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
    check_grantor(&mut tx, &Grant::from(&i)).await?;
    if organizations::membership_of(&mut tx, &i.organization_id, &me.user.id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            "You are already a member of this organization.",
        ));
    }
    // Accepted through the emailed link: the mailbox is proven.
    let newly_verified =
        verifies_email && accounts::mark_email_verified(&mut tx, &me.user.id).await?;
    let ids = (me.user.id.as_str(), me.session.id.as_str());
    let extra = json!({ "emailVerified": verifies_email });
    let member = join(&mut tx, config, &i, ids, extra, ip).await?;
    if newly_verified {
        crate::accounts::email_verified(&mut tx, config, &me.user.id).await?;
    }
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
