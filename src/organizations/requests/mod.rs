//! Membership requests (issue 26, SPEC §5 "joining"): someone asks to
//! join an organization, through a join link that needs an admin's
//! approval, and the organization's admins (`invitation:create`) approve,
//! choosing the roles they may grant, or decline, perhaps saying why. The
//! person is emailed either way. One open request per person and
//! organization.

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::MemberView;
use crate::{error::ApiError, invitations::OneOrMany};

/// A request as its organization's admins and its author see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRequestView {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub message: Option<String>,
    /// `pending`, `approved` or `declined`.
    pub status: String,
    pub join_link_id: Option<String>,
    /// The join link it came through, by name.
    pub join_link_name: Option<String>,
    pub decided_by: Option<String>,
    pub decision_message: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListJoinRequestsQuery {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproveJoinRequestBody {
    pub request_id: Option<String>,
    /// The roles to give; the link's when absent.
    pub role: Option<OneOrMany>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclineJoinRequestBody {
    pub request_id: Option<String>,
    /// Told to the person in the email.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovedJoinRequest {
    pub request: JoinRequestView,
    pub member: MemberView,
}

/// The organization's requests, open ones first; needs `invitation:create`.
#[server(name = ListJoinRequests, prefix = "/api/auth", endpoint = "organization/list-join-requests", input = GetUrl)]
pub async fn list_join_requests(
    #[server(flatten)] query: ListJoinRequestsQuery,
) -> Result<Vec<JoinRequestView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me, query.organization_id).await
}

/// The signed-in person's requests, newest first.
#[server(name = ListMyJoinRequests, prefix = "/api/auth", endpoint = "organization/list-my-join-requests", input = GetUrl)]
pub async fn list_my_join_requests() -> Result<Vec<JoinRequestView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::mine(cx.db(), &me).await
}

/// Needs `invitation:create` and roles within the approver's authority.
#[server(name = ApproveJoinRequest, prefix = "/api/auth", endpoint = "organization/approve-join-request", input = leptos::server_fn::codec::Json)]
pub async fn approve_join_request(
    #[server(flatten)] body: ApproveJoinRequestBody,
) -> Result<ApprovedJoinRequest, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    let done = crate::server::db::retrying(|| {
        service::approve(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await?;
    cx.state.mail.wake();
    Ok(done)
}

/// Needs `invitation:create`.
#[server(name = DeclineJoinRequest, prefix = "/api/auth", endpoint = "organization/decline-join-request", input = leptos::server_fn::codec::Json)]
pub async fn decline_join_request(
    #[server(flatten)] body: DeclineJoinRequestBody,
) -> Result<JoinRequestView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    let done = crate::server::db::retrying(|| {
        service::decline(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await?;
    cx.state.mail.wake();
    Ok(done)
}
