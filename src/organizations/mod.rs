//! Organizations (SPEC §2, §3 "Organizations", §5), in Better Auth's shapes
//! under `/api/auth/organization/`. So far: create, check-slug, list,
//! set-active and get-full-organization; members, invitations, teams and
//! roles follow (issues 11–13).

pub mod domain;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// An organization (Better Auth's object). `metadata` is always a JSON
/// object here, never a string holding one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub logo: Option<String>,
    pub metadata: serde_json::Value,
    pub created_at: String,
}

/// A member's user, as `get-full-organization` and `list-members` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    /// One role, or several separated by commas (`"admin,member"`), as
    /// Better Auth writes them.
    pub role: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<MemberUser>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationWithMembers {
    #[serde(flatten)]
    pub organization: OrganizationView,
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrganizationBody {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub logo: Option<String>,
    pub metadata: Option<serde_json::Value>,
    /// Leave the session's active organization as it is.
    pub keep_current_active_organization: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckSlugBody {
    pub slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckSlugResponse {
    pub status: bool,
}

/// `organizationId` or `organizationSlug`; both absent (or an explicit
/// `null` id) clears the active organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetActiveBody {
    pub organization_id: Option<String>,
    pub organization_slug: Option<String>,
}

/// Which organization a read is about (query string, camelCase).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationQuery {
    pub organization_id: Option<String>,
    pub organization_slug: Option<String>,
}

#[server(name = CreateOrganization, prefix = "/api/auth", endpoint = "organization/create", input = leptos::server_fn::codec::Json)]
pub async fn create_organization(
    #[server(flatten)] body: CreateOrganizationBody,
) -> Result<OrganizationWithMembers, ApiError> {
    let cx = crate::server::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::create(cx.db(), &me, body, &cx.ip()).await
}

#[server(name = CheckSlug, prefix = "/api/auth", endpoint = "organization/check-slug", input = leptos::server_fn::codec::Json)]
pub async fn check_slug(
    #[server(flatten)] body: CheckSlugBody,
) -> Result<CheckSlugResponse, ApiError> {
    let cx = crate::server::context::RequestContext::current()?;
    cx.signed_in().await?;
    service::check_slug(cx.db(), body).await
}

#[server(name = ListOrganizations, prefix = "/api/auth", endpoint = "organization/list", input = GetUrl)]
pub async fn list_organizations() -> Result<Vec<OrganizationView>, ApiError> {
    let cx = crate::server::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me.user.id).await
}

#[server(name = SetActiveOrganization, prefix = "/api/auth", endpoint = "organization/set-active", input = leptos::server_fn::codec::Json)]
pub async fn set_active_organization(
    #[server(flatten)] body: SetActiveBody,
) -> Result<Option<OrganizationView>, ApiError> {
    let cx = crate::server::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::set_active(cx.db(), &me, body).await
}

/// The organization (by `organizationId` or `organizationSlug`, else the
/// active one) with its members and their users; `null` when none is
/// named and none is active.
#[server(name = GetFullOrganization, prefix = "/api/auth", endpoint = "organization/get-full-organization", input = GetUrl)]
pub async fn get_full_organization(
    #[server(flatten)] query: OrganizationQuery,
) -> Result<Option<OrganizationWithMembers>, ApiError> {
    let cx = crate::server::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::get_full(
        cx.db(),
        &me,
        query.organization_id.or(query.organization_slug),
    )
    .await
}
