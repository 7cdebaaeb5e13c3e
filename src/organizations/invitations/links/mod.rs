//! Join links (issue 26, SPEC §5 "joining"): a shareable link into an
//! organization, the invitations core's `JoinLink` kind. An admin with
//! `invitation:create` makes one with roles they may grant, perhaps a team,
//! an expiry (7 days unless said, at most 30), a number of uses and the
//! domains whose addresses may use it; whoever holds it signs up with it or
//! signs in and joins, once each. The link's secret is shown once, when it
//! is made, and kept only as a hash.

#[cfg(feature = "ssr")]
pub mod service;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::super::{requests::JoinRequestView, MemberView};
use crate::{
    error::ApiError,
    invitations::{next_step::NextStep, OneOrMany},
    secret::SecretText,
};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJoinLinkBody {
    pub organization_id: Option<String>,
    /// `member` unless said.
    pub role: Option<OneOrMany>,
    pub team_id: Option<String>,
    /// Seconds; 7 days unless said, at most 30 days.
    #[serde(default, deserialize_with = "crate::ui::form_number")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "crate::ui::form_number")]
    pub max_uses: Option<i64>,
    pub allowed_domains: Option<Vec<String>>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::ui::form_bool")]
    pub require_approval: Option<bool>,
}

/// Someone who joined through a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkUse {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub joined_at: String,
}

/// A join link as its organization's admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkView {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub role: String,
    pub team_id: Option<String>,
    /// `pending`, `used` (no use left), `revoked` or `expired`.
    pub status: String,
    pub expires_at: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub allowed_domains: Vec<String>,
    pub require_approval: bool,
    pub created_by: String,
    pub created_at: String,
    pub used_by: Vec<JoinLinkUse>,
}

/// `create-join-link`'s answer: the link, with its secret and address,
/// shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedJoinLink {
    #[serde(flatten)]
    pub link: JoinLinkView,
    pub token: SecretText,
    pub url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListJoinLinksQuery {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkIdBody {
    pub join_link_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenQuery {
    pub token: Option<SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JoinBody {
    pub token: Option<SecretText>,
    /// For the admins, through a link that needs approval.
    pub message: Option<String>,
}

/// What anyone holding the link may see: nothing about who used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkPreview {
    pub id: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub expires_at: String,
    pub organization_name: String,
    pub organization_slug: String,
    /// Who made the link.
    pub inviter_name: String,
    pub team_name: Option<String>,
    pub allowed_domains: Vec<String>,
    /// Using it asks the organization's admins, who approve or decline.
    pub require_approval: bool,
}

/// `/join/{token}`: the preview and the one next step for its viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkPage {
    pub preview: JoinLinkPreview,
    pub step: NextStep,
    pub viewer_email: Option<String>,
    pub reason: Option<String>,
    /// The viewer's open request to join this organization, if any.
    pub request: Option<JoinRequestView>,
}

/// A member, or, through a link that needs approval, the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinResponse {
    pub member: Option<MemberView>,
    pub request: Option<JoinRequestView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignUpWithJoinLinkBody {
    pub token: Option<SecretText>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<SecretText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpWithJoinLinkResponse {
    /// Redacted in `Debug`: whoever holds it is signed in.
    pub token: SecretText,
    pub user: crate::accounts::UserView,
    /// None while the address must still be verified (a link for some
    /// domains): the person joins by opening the link again once it is;
    /// or when the link needs approval (`request` then).
    pub member: Option<MemberView>,
    pub request: Option<JoinRequestView>,
}

/// Needs `invitation:create`; the roles must be the creator's to grant.
#[server(name = CreateJoinLink, prefix = "/api/auth", endpoint = "organization/create-join-link", input = leptos::server_fn::codec::Json)]
pub async fn create_join_link(
    #[server(flatten)] body: CreateJoinLinkBody,
) -> Result<CreatedJoinLink, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::create(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// An organization's links, newest first, with who used them.
#[server(name = ListJoinLinks, prefix = "/api/auth", endpoint = "organization/list-join-links", input = GetUrl)]
pub async fn list_join_links(
    #[server(flatten)] query: ListJoinLinksQuery,
) -> Result<Vec<JoinLinkView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me, query.organization_id).await
}

/// Needs `invitation:cancel`, or to be the link's creator.
#[server(name = RevokeJoinLink, prefix = "/api/auth", endpoint = "organization/revoke-join-link", input = leptos::server_fn::codec::Json)]
pub async fn revoke_join_link(
    #[server(flatten)] body: JoinLinkIdBody,
) -> Result<JoinLinkView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let id = crate::accounts::required(&body.join_link_id, "joinLinkId")?
        .trim()
        .to_owned();
    let ip = cx.ip();
    crate::server::db::retrying(|| service::revoke(cx.db(), &me, &id, &ip)).await
}

/// Public: what the link lets its holder into.
#[server(name = GetJoinLinkPreview, prefix = "/api/auth", endpoint = "organization/get-join-link-preview", input = GetUrl)]
pub async fn get_join_link_preview(
    #[server(flatten)] query: TokenQuery,
) -> Result<JoinLinkPreview, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let token = crate::accounts::required(&query.token, "token")?;
    service::preview(cx.db(), token.trim()).await
}

/// Signed in: joins the link's organization, or asks to, when the link
/// needs an admin's approval.
#[server(name = JoinWithLink, prefix = "/api/auth", endpoint = "organization/join", input = leptos::server_fn::codec::Json)]
pub async fn join_with_link(#[server(flatten)] body: JoinBody) -> Result<JoinResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let token = crate::accounts::required(&body.token, "token")?
        .trim()
        .to_owned();
    let ip = cx.ip();
    let note = body.message.clone();
    crate::server::db::retrying(|| {
        service::join(cx.db(), cx.config(), &me, &token, note.clone(), &ip)
    })
    .await
}

/// A new person creates their account with the link and joins, in one
/// transaction, signed in at the end. Works in invite-only mode: the link
/// is an invitation.
#[server(name = SignUpWithJoinLink, prefix = "/api/auth", endpoint = "organization/signup-with-join-link", input = leptos::server_fn::codec::Json)]
pub async fn sign_up_with_join_link(
    #[server(flatten)] body: SignUpWithJoinLinkBody,
) -> Result<SignUpWithJoinLinkResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("sign-up", config.rate_limits.sign_up).await?;
    let (ip, agent) = (cx.ip(), cx.user_agent());
    let client = crate::accounts::sign_in::Client {
        ip: &ip,
        user_agent: agent.as_deref(),
    };
    let (done, verification_sent) =
        crate::server::db::retrying(|| service::sign_up(cx.db(), config, body.clone(), client))
            .await?;
    if verification_sent {
        cx.state.mail.wake();
    }
    cx.set_cookie(&crate::accounts::sessions::cookie(config, &done.token));
    Ok(done)
}

/// The `/join/{token}` page's data. Changes nothing.
#[server(name = GetJoinLinkPage, prefix = "/api/auth", endpoint = "gatehouse/join-link", input = GetUrl)]
pub async fn join_link_page(token: SecretText) -> Result<JoinLinkPage, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let viewer = cx.session().await?;
    service::page(cx.db(), viewer.as_ref(), token.trim()).await
}
