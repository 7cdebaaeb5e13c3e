//! Invitations into an organization (SPEC §3 "Organizations" 4–8, §5), in
//! Better Auth's shapes under `/api/auth/organization/`: invite-member,
//! get-invitation, accept-invitation, reject-invitation, cancel-invitation,
//! list-invitations and list-user-invitations.
//!
//! An invitation has two handles: its `id`, which the organization's admins
//! see and use, and a secret that only the emailed link carries (stored as
//! its SHA-256). Wherever Better Auth's client sends an invitation id, the
//! secret is read too.

#[cfg(feature = "ssr")]
pub mod issue;
#[cfg(feature = "ssr")]
pub mod join;
pub mod links;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::MemberView;
use crate::{
    error::ApiError,
    invitations::{next_step::NextStep, OneOrMany},
};

/// An organization invitation, as Better Auth answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    /// One role, or several separated by commas.
    pub role: String,
    pub team_id: Option<String>,
    /// `pending`, `accepted`, `rejected`, `canceled` or `expired`.
    pub status: String,
    pub expires_at: String,
    pub created_at: String,
    pub inviter_id: String,
}

/// `get-invitation`: the invitation with what its recipient needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationDetails {
    #[serde(flatten)]
    pub invitation: InvitationView,
    pub organization_name: String,
    pub organization_slug: String,
    pub inviter_email: String,
}

/// `list-user-invitations`: a pending invitation of the signed-in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInvitation {
    #[serde(flatten)]
    pub invitation: InvitationView,
    pub organization_name: String,
    /// Gatehouse's addition, for links to the organization.
    pub organization_slug: String,
}

/// `get-invitation-preview`: what anyone holding the link may see (SPEC §3
/// "Organizations" 6), and nothing about whether the address has an
/// account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreview {
    pub id: String,
    pub role: String,
    /// `expired` for a pending invitation past its expiry.
    pub status: String,
    pub expires_at: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub inviter_name: String,
    pub team_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteMemberBody {
    /// One address, or a list of up to 100 (each gets its own result).
    pub email: Option<OneOrMany>,
    pub role: Option<OneOrMany>,
    pub organization_id: Option<String>,
    /// Send a pending invitation again: same invitation, new link and
    /// expiry.
    #[serde(default, deserialize_with = "crate::ui::form_bool")]
    pub resend: Option<bool>,
    pub team_id: Option<String>,
}

/// `invite-members`: a list of people, each with their own roles and team.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteMembersBody {
    pub organization_id: Option<String>,
    pub invitations: Option<Vec<crate::invitations::bulk::BulkRow>>,
    /// Send pending invitations again (new link and expiry) rather than
    /// answering `already_invited`.
    pub resend: Option<bool>,
}

/// What happened to one address of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteOutcome {
    pub email: String,
    pub invitation: Option<InvitationView>,
    pub error: Option<ApiError>,
}

/// One address gets Better Auth's answer, the invitation; a list gets one
/// outcome per address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InviteMemberResponse {
    One(InvitationView),
    Many(Vec<InviteOutcome>),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationIdBody {
    /// The invitation's id or the secret from its link.
    pub invitation_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvitationQuery {
    /// The invitation's id or the secret from its link.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationResponse {
    pub invitation: InvitationView,
    pub member: Option<MemberView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInvitationsQuery {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserInvitationsQuery {
    /// Refused: a client names no one but itself.
    pub email: Option<String>,
}

/// Needs `invitation:create`; only owners invite owners.
#[server(name = InviteMember, prefix = "/api/auth", endpoint = "organization/invite-member", input = leptos::server_fn::codec::Json)]
pub async fn invite_member(
    #[server(flatten)] body: InviteMemberBody,
) -> Result<InviteMemberResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| issue::invite(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// Up to 500 people at once (a pasted list or CSV file), each with their
/// own result; needs `invitation:create`.
#[server(name = InviteMembers, prefix = "/api/auth", endpoint = "organization/invite-members", input = leptos::server_fn::codec::Json)]
pub async fn invite_members(
    #[server(flatten)] body: InviteMembersBody,
) -> Result<crate::invitations::bulk::BulkResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    let done = issue::invite_members(cx.db(), cx.config(), &me, body, &ip).await?;
    if done.results.iter().any(|r| r.status.sent()) {
        cx.state.mail.wake();
    }
    Ok(done)
}

/// The list forms' endpoint (the instance's invitations page and an
/// organization's tab): one slice of a pasted list or CSV file, read on the
/// server (`invitations::bulk::ListSlice`), through `invite/create-bulk`'s
/// rules, or `invite-members`' when an organization is named. One endpoint
/// for both keeps one client in the pages' WebAssembly.
#[server(name = InviteFromList, prefix = "/api/auth", endpoint = "gatehouse/invite-list", input = leptos::server_fn::codec::Json)]
pub async fn invite_from_list(
    organization_id: Option<String>,
    slice: crate::invitations::bulk::ListSlice,
) -> Result<crate::invitations::bulk::SliceResults, ApiError> {
    use crate::invitations::role::{create, CreateBulkBody};
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let (rows, total) = crate::invitations::bulk::rows_of(&slice)?;
    let resend = Some(slice.resend);
    let (db, config, ip) = (cx.db(), cx.config(), cx.ip());
    let done = match organization_id {
        Some(organization_id) => {
            let body = InviteMembersBody {
                organization_id: Some(organization_id),
                invitations: Some(rows),
                resend,
            };
            issue::invite_members(db, config, &me, body, &ip).await?
        }
        None => {
            let body = CreateBulkBody {
                invitations: Some(rows),
                resend,
            };
            create::create_bulk(db, config, &me.user, body, &ip).await?
        }
    };
    if done.results.iter().any(|r| r.status.sent()) {
        cx.state.mail.wake();
    }
    Ok(crate::invitations::bulk::SliceResults {
        results: done.results,
        total,
    })
}

/// The recipient's view of a pending invitation.
#[server(name = GetInvitation, prefix = "/api/auth", endpoint = "organization/get-invitation", input = GetUrl)]
pub async fn get_invitation(
    #[server(flatten)] query: InvitationQuery,
) -> Result<InvitationDetails, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::get(cx.db(), &me, required_id(query.id)?).await
}

/// Public: the invitation's preview, by its id or its link's secret.
#[server(name = GetInvitationPreview, prefix = "/api/auth", endpoint = "organization/get-invitation-preview", input = GetUrl)]
pub async fn get_invitation_preview(
    #[server(flatten)] query: InvitationQuery,
) -> Result<InvitationPreview, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    service::preview(cx.db(), required_id(query.id)?).await
}

#[server(name = AcceptInvitation, prefix = "/api/auth", endpoint = "organization/accept-invitation", input = leptos::server_fn::codec::Json)]
pub async fn accept_invitation(
    #[server(flatten)] body: InvitationIdBody,
) -> Result<InvitationResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let (key, ip) = (required_id(body.invitation_id)?, cx.ip());
    crate::server::db::retrying(|| join::accept(cx.db(), cx.config(), &me, key.clone(), &ip)).await
}

#[server(name = RejectInvitation, prefix = "/api/auth", endpoint = "organization/reject-invitation", input = leptos::server_fn::codec::Json)]
pub async fn reject_invitation(
    #[server(flatten)] body: InvitationIdBody,
) -> Result<InvitationResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let (key, ip) = (required_id(body.invitation_id)?, cx.ip());
    crate::server::db::retrying(|| join::reject(cx.db(), &me, key.clone(), &ip)).await
}

/// Needs `invitation:cancel`.
#[server(name = CancelInvitation, prefix = "/api/auth", endpoint = "organization/cancel-invitation", input = leptos::server_fn::codec::Json)]
pub async fn cancel_invitation(
    #[server(flatten)] body: InvitationIdBody,
) -> Result<InvitationView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let (key, ip) = (required_id(body.invitation_id)?, cx.ip());
    crate::server::db::retrying(|| service::cancel(cx.db(), &me, key.clone(), &ip)).await
}

/// An organization's invitations, newest first, for members who may
/// invite or cancel.
#[server(name = ListInvitations, prefix = "/api/auth", endpoint = "organization/list-invitations", input = GetUrl)]
pub async fn list_invitations(
    #[server(flatten)] query: ListInvitationsQuery,
) -> Result<Vec<InvitationView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me, query.organization_id).await
}

/// The signed-in person's pending invitations (their dashboard inbox);
/// their email must be verified.
#[server(name = ListUserInvitations, prefix = "/api/auth", endpoint = "organization/list-user-invitations", input = GetUrl)]
pub async fn list_user_invitations(
    #[server(flatten)] query: UserInvitationsQuery,
) -> Result<Vec<UserInvitation>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    if query.email.is_some() {
        return Err(ApiError::new(
            crate::error::Code::InvalidQuery,
            "User email cannot be passed for client side API calls.",
        ));
    }
    service::list_for_user(cx.db(), &me).await
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpWithInvitationBody {
    /// The secret from the invitation's link; the invitation's `id` alone
    /// is not enough (SPEC §3 "Organizations" 5).
    pub invitation_id: Option<String>,
    pub name: Option<String>,
    pub password: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUpWithInvitationResponse {
    /// Redacted in `Debug`: whoever holds it is signed in.
    pub token: crate::secret::SecretText,
    pub user: crate::accounts::UserView,
    pub member: MemberView,
}

/// SPEC §3 "Organizations" 7: a new person creates their account from the
/// invitation and joins, in one transaction, signed in at the end. It
/// works in invite-only mode: an organization invitation is an invitation.
#[server(name = SignUpWithInvitation, prefix = "/api/auth", endpoint = "organization/signup-with-invitation", input = leptos::server_fn::codec::Json)]
pub async fn sign_up_with_invitation(
    #[server(flatten)] body: SignUpWithInvitationBody,
) -> Result<SignUpWithInvitationResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("sign-up", config.rate_limits.sign_up).await?;
    let (ip, agent) = (cx.ip(), cx.user_agent());
    let client = crate::accounts::sign_in::Client {
        ip: &ip,
        user_agent: agent.as_deref(),
    };
    let done = crate::server::db::retrying(|| join::sign_up(cx.db(), config, body.clone(), client))
        .await?;
    cx.set_cookie(&crate::accounts::sessions::cookie(config, &done.token));
    Ok(done)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinPreview {
    pub preview: InvitationPreview,
    /// Signed out, always `sign-up` (the page offers signing in too: the
    /// public preview does not tell whether the address has an account);
    /// never `verify-email`, as the link's secret proves the mailbox.
    pub step: NextStep,
    /// The invitation's address, for the person it was sent to (and not
    /// for someone else who is signed in).
    pub email: Option<String>,
    pub viewer_email: Option<String>,
    pub reason: Option<String>,
}

/// The `/invite/{token}` page of an organization invitation: by its link's
/// secret only. Changes nothing.
#[server(name = GetJoinPreview, prefix = "/api/auth", endpoint = "gatehouse/organization-invitation", input = GetUrl)]
pub async fn join_preview(token: String) -> Result<JoinPreview, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let viewer = cx.session().await?;
    service::join_preview(cx.db(), viewer.as_ref(), token.trim()).await
}

#[cfg(feature = "ssr")]
fn required_id(id: Option<String>) -> Result<String, ApiError> {
    id.map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                crate::error::Code::MissingField,
                "The field `invitationId` is required.",
            )
        })
}
