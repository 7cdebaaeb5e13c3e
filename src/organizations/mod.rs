//! Organizations (SPEC §2, §3 "Organizations", §5), in Better Auth's shapes
//! under `/api/auth/organization/`: create, update, delete, list,
//! check-slug, set-active, get-organization, get-full-organization,
//! get-active-member, get-active-member-role, list-members, add-member,
//! update-member-role, remove-member, leave and has-permission here;
//! invitations, teams, custom roles, verified domains and requests to
//! join in their modules.

pub mod domain;
pub mod domains;
pub mod invitations;
#[cfg(feature = "ssr")]
pub mod members;
pub mod requests;
pub mod roles;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod teams;

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
    /// The pages never read it: the browser build skips it, which keeps
    /// JSON's number formats out of the WebAssembly.
    #[cfg_attr(feature = "hydrate", serde(skip_deserializing))]
    pub metadata: serde_json::Value,
    pub created_at: String,
    /// Members act in it only with two-factor authentication on (issue 27).
    #[serde(default)]
    pub require_two_factor: bool,
}

/// A member's user, as `get-full-organization` and `list-members` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub image: Option<String>,
    /// `list-members`, to those who may change the organization's
    /// settings: whether the account uses two-factor authentication.
    #[serde(
        rename = "twoFactorEnabled",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub two_factor_enabled: Option<bool>,
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
    /// `get-full-organization` only: every invitation, newest first.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub invitations: Option<Vec<invitations::InvitationView>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrganizationBody {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub logo: Option<String>,
    /// Never sent by the pages (see `OrganizationView::metadata`).
    #[cfg_attr(feature = "hydrate", serde(skip))]
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
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::create(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

#[server(name = CheckSlug, prefix = "/api/auth", endpoint = "organization/check-slug", input = leptos::server_fn::codec::Json)]
pub async fn check_slug(
    #[server(flatten)] body: CheckSlugBody,
) -> Result<CheckSlugResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.signed_in().await?;
    service::check_slug(cx.db(), body).await
}

#[server(name = ListOrganizations, prefix = "/api/auth", endpoint = "organization/list", input = GetUrl)]
pub async fn list_organizations() -> Result<Vec<OrganizationView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me.user.id).await
}

#[server(name = SetActiveOrganization, prefix = "/api/auth", endpoint = "organization/set-active", input = leptos::server_fn::codec::Json)]
pub async fn set_active_organization(
    #[server(flatten)] body: SetActiveBody,
) -> Result<Option<OrganizationView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
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
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::get_full(
        cx.db(),
        &me,
        query.organization_id.or(query.organization_slug),
    )
    .await
}

/// An organization by `organizationId` or `organizationSlug`, for members.
#[server(name = GetOrganization, prefix = "/api/auth", endpoint = "organization/get-organization", input = GetUrl)]
pub async fn get_organization(
    #[server(flatten)] query: OrganizationQuery,
) -> Result<OrganizationView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::get(
        cx.db(),
        &me,
        query.organization_id.or(query.organization_slug),
    )
    .await
}

/// The caller's membership of the active organization, with their user.
#[server(name = GetActiveMember, prefix = "/api/auth", endpoint = "organization/get-active-member", input = GetUrl)]
pub async fn get_active_member() -> Result<MemberView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    members::active_member(cx.db(), &me).await
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleResponse {
    pub role: String,
}

#[server(name = GetActiveMemberRole, prefix = "/api/auth", endpoint = "organization/get-active-member-role", input = GetUrl)]
pub async fn get_active_member_role() -> Result<RoleResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let member = members::active_member(cx.db(), &me).await?;
    Ok(RoleResponse { role: member.role })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMembersQuery {
    pub organization_id: Option<String>,
    pub organization_slug: Option<String>,
    /// 1–100; 100 when absent. Read as text: a flattened query string
    /// hands every value over as one.
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// `createdAt` (default), `role`, `userId`, `name` or `email`.
    pub sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    pub sort_direction: Option<String>,
    /// `role`, `userId`, `name` or `email`, compared with `filterValue` by
    /// `filterOperator`: `eq` (default), `ne` or `contains`.
    pub filter_field: Option<String>,
    pub filter_value: Option<String>,
    pub filter_operator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<MemberView>,
    pub total: i64,
}

/// The members of an organization (named, or the active one), oldest first.
#[server(name = ListMembers, prefix = "/api/auth", endpoint = "organization/list-members", input = GetUrl)]
pub async fn list_members(
    #[server(flatten)] query: ListMembersQuery,
) -> Result<MemberList, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    members::list_members(cx.db(), &me, query).await
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationPermissionBody {
    /// `{ "member": ["create"] }`: every listed action is needed.
    pub permissions: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// The older single form, also accepted.
    pub permission: Option<std::collections::BTreeMap<String, Vec<String>>>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionResponse {
    pub success: bool,
    pub error: Option<String>,
}

/// Whether the caller's roles in the organization (named, or the active
/// one) grant the request: any one role must grant all of it.
#[server(name = OrganizationHasPermission, prefix = "/api/auth", endpoint = "organization/has-permission", input = leptos::server_fn::codec::Json)]
pub async fn organization_has_permission(
    #[server(flatten)] body: OrganizationPermissionBody,
) -> Result<PermissionResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    members::has_permission(cx.db(), &me, body).await
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub logo: Option<String>,
    /// Never sent by the pages (see `OrganizationView::metadata`).
    #[cfg_attr(feature = "hydrate", serde(skip))]
    pub metadata: Option<serde_json::Value>,
    /// Owners only: members must use two-factor authentication. A plain
    /// form sends it as `data.requireTwoFactor` text (`pages::forms`).
    #[cfg_attr(
        feature = "ssr",
        serde(default, deserialize_with = "crate::ui::form_bool")
    )]
    pub require_two_factor: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOrganizationBody {
    pub organization_id: Option<String>,
    pub data: Option<OrganizationChanges>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationIdBody {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMemberRoleBody {
    pub member_id: Option<String>,
    /// One role, several, or several in one string separated by commas.
    pub role: Option<crate::invitations::OneOrMany>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMemberBody {
    pub member_id_or_email: Option<String>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovedMember {
    pub member: MemberView,
}

/// Needs `organization:update`.
#[server(name = UpdateOrganization, prefix = "/api/auth", endpoint = "organization/update", input = leptos::server_fn::codec::Json)]
pub async fn update_organization(
    #[server(flatten)] body: UpdateOrganizationBody,
) -> Result<OrganizationView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::update(cx.db(), &me, body.clone(), &ip)).await
}

/// Needs `organization:delete`; removes everything in it, in one
/// transaction, and clears it from every session.
#[server(name = DeleteOrganization, prefix = "/api/auth", endpoint = "organization/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_organization(
    #[server(flatten)] body: OrganizationIdBody,
) -> Result<OrganizationView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::delete(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

#[server(name = UpdateMemberRole, prefix = "/api/auth", endpoint = "organization/update-member-role", input = leptos::server_fn::codec::Json)]
pub async fn update_member_role(
    #[server(flatten)] body: UpdateMemberRoleBody,
) -> Result<MemberView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| members::update_member_role(cx.db(), &me, body.clone(), &ip))
        .await
}

#[server(name = RemoveMember, prefix = "/api/auth", endpoint = "organization/remove-member", input = leptos::server_fn::codec::Json)]
pub async fn remove_member(
    #[server(flatten)] body: RemoveMemberBody,
) -> Result<RemovedMember, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| members::remove_member(cx.db(), &me, body.clone(), &ip)).await
}

#[server(name = LeaveOrganization, prefix = "/api/auth", endpoint = "organization/leave", input = leptos::server_fn::codec::Json)]
pub async fn leave_organization(
    #[server(flatten)] body: OrganizationIdBody,
) -> Result<MemberView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| members::leave(cx.db(), &me, body.clone(), &ip)).await
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMemberBody {
    pub user_id: Option<String>,
    /// Gatehouse's addition: the account by its email instead of `userId`
    /// (what a person adding someone from a page knows).
    pub email: Option<String>,
    pub role: Option<crate::invitations::OneOrMany>,
    pub organization_id: Option<String>,
}

/// `POST /orgs/switch`, the header's switcher: a plain form (it works
/// before and without the WebAssembly) that makes the organization it
/// names (`organizationId`) the session's active one and opens its page.
/// Opening a page never does this by itself: a GET writes nothing.
#[cfg(feature = "ssr")]
pub async fn switch_route(
    axum::extract::State(state): axum::extract::State<crate::context::AppState>,
    parts: http::request::Parts,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    let cx = crate::context::RequestContext { state, parts };
    let organization_id = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "organizationId")
        .map(|(_, v)| v.into_owned());
    let me = match cx.session().await {
        Ok(Some(me)) => me,
        Ok(None) => return Redirect::to("/sign-in").into_response(),
        Err(e) => return crate::server::security::error_response(e),
    };
    let body = SetActiveBody {
        organization_id,
        organization_slug: None,
    };
    match service::set_active(cx.db(), &me, body).await {
        Ok(Some(o)) => Redirect::to(&format!("/orgs/{}", o.slug)).into_response(),
        // Held back by its two-factor rule: where to turn it on.
        Err(e) if e.code == crate::error::Code::TwoFactorRequired => {
            Redirect::to("/account#two-factor").into_response()
        }
        // Not a member (any more), or nothing named: the dashboard lists
        // what there is.
        Ok(None) | Err(_) => Redirect::to("/dashboard").into_response(),
    }
}

/// An instance admin (`user:create`) adds an existing account to an
/// organization directly (SPEC §5; Better Auth keeps this server-side).
#[server(name = AddMember, prefix = "/api/auth", endpoint = "organization/add-member", input = leptos::server_fn::codec::Json)]
pub async fn add_member(#[server(flatten)] body: AddMemberBody) -> Result<MemberView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserCreate)
        .await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| {
        members::add_member(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await
}

/// One of the signed-in person's organizations, with their roles in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub roles: Vec<String>,
    /// It requires two-factor authentication, which the person's account
    /// does not use yet: they cannot act in it until they turn it on.
    pub two_factor_needed: bool,
}

/// What the header and the dashboard show about organizations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyOrganizations {
    pub organizations: Vec<Membership>,
    pub active_organization_id: Option<String>,
    /// The session's active team, for the header.
    pub active_team: Option<teams::TeamView>,
    /// Whether this instance lets the person create one.
    pub may_create: bool,
}

/// The signed-in person's organizations (none when signed out).
#[server(name = GetMyOrganizations, prefix = "/api/auth", endpoint = "gatehouse/organizations", input = GetUrl)]
pub async fn my_organizations() -> Result<MyOrganizations, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let Some(me) = cx.session().await? else {
        return Ok(MyOrganizations::default());
    };
    service::my_organizations(cx.db(), cx.config(), &me).await
}

/// The organizations of `me`, as `my_organizations` answers them (the
/// pages load them before rendering).
#[cfg(feature = "ssr")]
pub async fn organizations_of(
    db: &crate::server::db::Db,
    config: &crate::config::Config,
    me: &crate::accounts::sessions::Current,
) -> Result<MyOrganizations, ApiError> {
    service::my_organizations(db, config, me).await
}

/// Members shown per page on `/orgs/{slug}`.
pub const MEMBERS_PAGE: usize = 20;

/// Everything `/orgs/{slug}` shows, read for its viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationPage {
    pub organization: OrganizationView,
    /// The viewer's own membership.
    pub me: MemberView,
    /// The organization statements the viewer's roles grant, as
    /// `resource:action`.
    pub permissions: Vec<String>,
    /// This page of members (matching the search), with their users.
    pub members: Vec<MemberView>,
    /// How many members match the search.
    pub total: i64,
    /// How many members it has in all.
    pub member_count: i64,
    /// Member ids holding `owner`.
    pub owners: Vec<String>,
    /// The roles the viewer may give, each on its own (the granting rule,
    /// `access::grant`): of the built-in ones, then of the custom ones.
    pub assignable_roles: Vec<String>,
    /// Whether the viewer's instance role may add existing accounts.
    pub may_add_accounts: bool,
    pub deletion_disabled: bool,
    /// The organization's teams (none when teams are off).
    pub teams: Vec<teams::TeamView>,
    pub teams_enabled: bool,
    pub custom_roles_enabled: bool,
    /// To those who may change its settings: the members whose accounts
    /// do not use two-factor authentication.
    pub without_two_factor: Vec<MemberUser>,
    /// Whether the viewer's own account uses two-factor authentication.
    pub my_two_factor: bool,
}

impl OrganizationPage {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    pub fn is_owner(&self, member: &MemberView) -> bool {
        self.owners.contains(&member.id)
    }
}

/// The data of `/orgs/{slug}`, a read: the session's active organization
/// changes only through `set-active` (the header's switcher). A
/// non-member gets `NOT_FOUND`, as for an organization that does not
/// exist.
#[server(name = GetOrganizationPage, prefix = "/api/auth", endpoint = "gatehouse/organization-page", input = GetUrl)]
pub async fn organization_page(
    slug: String,
    search: Option<String>,
    offset: Option<String>,
) -> Result<OrganizationPage, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let offset = offset.and_then(|o| o.parse().ok()).unwrap_or(0);
    service::page(
        cx.db(),
        cx.config(),
        &me,
        &slug,
        search.as_deref().unwrap_or(""),
        offset,
    )
    .await
}
