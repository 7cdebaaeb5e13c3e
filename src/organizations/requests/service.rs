//! Asking, listing, approving and declining membership requests. An
//! approval admits the person as every grant does (`invitations::join::
//! admit`: the membership limit, the roles, the link's team), with roles
//! the approver may grant (the granting rule); the answer is emailed.

use serde_json::json;

use super::{
    store::{self, RequestRow},
    ApproveJoinRequestBody, ApprovedJoinRequest, DeclineJoinRequestBody, JoinRequestView,
};
use crate::{
    accounts::{required, sessions::Current},
    audit,
    config::Config,
    email::{self, templates, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::OneOrMany,
    organizations::{
        invitations::join::{admit, admitted, Grant},
        members::{
            allows, authority, check_grant, known_roles, member_not_found, member_view, refused,
        },
        service::{acting_member, membership_or, named_or_active},
        store as organizations,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

const MAX_MESSAGE_CHARS: usize = 500;

pub(crate) fn view(r: RequestRow) -> JoinRequestView {
    JoinRequestView {
        id: r.id,
        organization_id: r.organization_id,
        organization_name: r.organization_name,
        organization_slug: r.organization_slug,
        user_id: r.user_id,
        name: r.name,
        email: r.email,
        message: r.message,
        status: r.status,
        join_link_id: r.join_link_id,
        join_link_name: r.join_link_name,
        decided_by: r.decided_by,
        decision_message: r.decision_message,
        created_at: clock::rfc3339(r.created_at),
        updated_at: clock::rfc3339(r.updated_at),
    }
}

/// A message as typed: trimmed, none when empty, at most 500 characters.
pub(crate) fn message(input: Option<&str>) -> ApiResult<Option<String>> {
    let text = input.map(str::trim).unwrap_or("");
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::new(
            Code::InvalidRequestBody,
            format!("A message has at most {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn request_not_found() -> ApiError {
    ApiError::new(
        Code::JoinRequestNotFound,
        "There is no such request to join.",
    )
}

/// What a request came through: a join link that needs approval, or a
/// verified domain that suggests asking.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Via<'a> {
    Link(&'a str),
    Domain(&'a str),
}

/// Inside the asking transaction (the organization locked, the link or
/// domain checked): the request, and its audit event.
pub(crate) async fn ask(
    tx: &mut Tx,
    organization_id: &str,
    via: Via<'_>,
    user_id: &str,
    note: Option<&str>,
    ip: &str,
) -> ApiResult<JoinRequestView> {
    let id = crypto::new_id();
    let (link_id, domain_id) = match via {
        Via::Link(id) => (Some(id), None),
        Via::Domain(id) => (None, Some(id)),
    };
    match store::insert(
        tx,
        &id,
        organization_id,
        user_id,
        note,
        (link_id, domain_id),
    )
    .await
    {
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(
                Code::JoinRequestAlreadyPending,
                "You asked to join already: an admin will answer your request.",
            ))
        }
        other => other?,
    }
    audit::record(
        tx,
        audit::Event::new("organization.join-request.create")
            .actor(user_id)
            .target(&id)
            .after(json!({
                "organizationId": organization_id,
                "joinLinkId": link_id,
                "domainId": domain_id,
            }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut **tx, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok(view(row))
}

pub async fn list(db: &Db, me: &Current, named: Option<String>) -> ApiResult<Vec<JoinRequestView>> {
    let key = named_or_active(me, named)?;
    let (o, member) = membership_or(db, &key, &me.user, member_not_found).await?;
    if !allows(&member, "invitation", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToListInvitations,
            "seeing requests to join",
        ));
    }
    Ok(store::for_organization(db.pool(), &o.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn mine(db: &Db, me: &Current) -> ApiResult<Vec<JoinRequestView>> {
    Ok(store::for_user(db.pool(), &me.user.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Inside `tx`: the pending request, its organization locked first (the one
/// lock order), and the acting member, who must hold `invitation:create`.
async fn open_request(
    tx: &mut Tx,
    me: &Current,
    id: &str,
) -> ApiResult<(RequestRow, organizations::MemberRow)> {
    let found = store::find(&mut **tx, id)
        .await?
        .ok_or_else(request_not_found)?;
    organizations::lock(tx, &found.organization_id).await?;
    let r = store::find_for_update(tx, id)
        .await?
        .ok_or_else(request_not_found)?;
    let actor = acting_member(tx, &r.organization_id, &me.user, request_not_found).await?;
    if !allows(&actor, "invitation", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToInviteUsersToThisOrganization,
            "answering requests to join",
        ));
    }
    if r.status != "pending" {
        return Err(ApiError::new(
            Code::JoinRequestAlreadyAnswered,
            format!("This request was {} already.", r.status),
        ));
    }
    Ok((r, actor))
}

/// The answer, emailed to the person, in the deciding transaction.
async fn tell(
    tx: &mut Tx,
    config: &Config,
    me: &Current,
    r: &RequestRow,
    answer: templates::JoinRequestAnswer<'_>,
) -> ApiResult<()> {
    let link = config.link(&format!("/orgs/{}", r.organization_slug));
    let message = templates::join_request_answered(templates::JoinRequestAnswered {
        to: &r.email,
        organization: &r.organization_name,
        answer,
        link: &link,
        request_id: &r.id,
    });
    let cause = Cause::Organization {
        organization_id: &r.organization_id,
        sender_id: &me.user.id,
    };
    email::enqueue(tx, config, &message, cause).await?;
    Ok(())
}

pub async fn approve(
    db: &Db,
    config: &Config,
    me: &Current,
    body: ApproveJoinRequestBody,
    ip: &str,
) -> ApiResult<ApprovedJoinRequest> {
    let id = required(&body.request_id, "requestId")?.trim().to_owned();
    let mut tx = db.begin().await?;
    let (r, actor) = open_request(&mut tx, me, &id).await?;
    // The link's (or domain's) roles and the link's team, unless the
    // approver chooses the roles.
    let link = match r.join_link_id.as_deref() {
        Some(link_id) => crate::invitations::store::join_link::find(&mut tx, link_id, "").await?,
        None => None,
    };
    let domain = match r.domain_id.as_deref() {
        Some(domain_id) => crate::organizations::domains::store::find(&mut *tx, domain_id).await?,
        None => None,
    };
    let offered = link
        .as_ref()
        .map(|l| l.role.clone())
        .or_else(|| domain.map(|d| d.role))
        .unwrap_or_else(|| "member".to_owned());
    let asked = body.role.clone().or(Some(OneOrMany::One(offered)));
    let roles = known_roles(asked)?;
    check_grant(
        &mut tx,
        &r.organization_id,
        &authority(&actor),
        &roles,
        Code::YouAreNotAllowedToInviteUserWithThisRole,
    )
    .await?;
    if organizations::membership_of(&mut tx, &r.organization_id, &r.user_id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            format!("{} is a member already: decline the request.", r.email),
        ));
    }
    let role = roles.joined();
    let grant = Grant {
        organization_id: &r.organization_id,
        role: &role,
        team_id: link.as_ref().and_then(|l| l.team_id.as_deref()),
        grantor_id: &me.user.id,
    };
    let member_id = admit(&mut tx, config, &grant, (&r.user_id, None)).await?;
    if !store::decide(&mut tx, &r.id, "approved", &me.user.id, None).await? {
        return Err(request_not_found());
    }
    tell(
        &mut tx,
        config,
        me,
        &r,
        templates::JoinRequestAnswer::Approved { role: &role },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.join-request.approve")
            .actor(&me.user.id)
            .target(&r.id)
            .after(json!({
                "organizationId": r.organization_id,
                "userId": r.user_id,
                "memberId": member_id,
                "role": role,
            }))
            .ip(ip),
    )
    .await?;
    let member = admitted(&mut tx, &r.organization_id, &member_id).await?;
    let decided = store::find(&mut *tx, &r.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(ApprovedJoinRequest {
        request: view(decided),
        member: member_view(member, false),
    })
}

pub async fn decline(
    db: &Db,
    config: &Config,
    me: &Current,
    body: DeclineJoinRequestBody,
    ip: &str,
) -> ApiResult<JoinRequestView> {
    let id = required(&body.request_id, "requestId")?.trim().to_owned();
    let note = message(body.message.as_deref())?;
    let mut tx = db.begin().await?;
    let (r, _) = open_request(&mut tx, me, &id).await?;
    if !store::decide(&mut tx, &r.id, "declined", &me.user.id, note.as_deref()).await? {
        return Err(request_not_found());
    }
    let answer = templates::JoinRequestAnswer::Declined {
        message: note.as_deref(),
    };
    tell(&mut tx, config, me, &r, answer).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.join-request.decline")
            .actor(&me.user.id)
            .target(&r.id)
            .after(json!({ "organizationId": r.organization_id, "userId": r.user_id }))
            .ip(ip),
    )
    .await?;
    let decided = store::find(&mut *tx, &r.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(decided))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(message(None).unwrap(), None);
        assert_eq!(message(Some("   ")).unwrap(), None);
        assert_eq!(message(Some(" Hi! \n")).unwrap().as_deref(), Some("Hi!"));
        assert!(message(Some(&"x".repeat(500))).is_ok());
        assert_eq!(
            message(Some(&"x".repeat(501))).unwrap_err().code,
            "INVALID_REQUEST_BODY"
        );
    }
}
