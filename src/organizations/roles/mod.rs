//! Custom organization roles, Better Auth's dynamic access control (SPEC §3
//! "Organizations" 10, §5): create-role, update-role, delete-role,
//! list-roles and get-role under `/api/auth/organization/`. A custom role is
//! a name and a statement set drawn from the organization catalog; it works
//! everywhere a built-in role's name does.

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use std::collections::BTreeMap;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{access::statements::Statements, error::ApiError};

/// A custom role, as Better Auth answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    pub id: String,
    pub organization_id: String,
    pub role: String,
    pub permission: Statements,
    pub created_at: String,
    pub updated_at: Option<String>,
}

/// `create-role`: the role, and its statements once more, as Better Auth
/// answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedRole {
    pub success: bool,
    pub role_data: RoleView,
    pub statements: Statements,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedRole {
    pub success: bool,
    pub role_data: RoleView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Success {
    pub success: bool,
}

/// `{resource: [actions]}` as sent; checked against the catalog.
pub type PermissionMap = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRoleBody {
    pub organization_id: Option<String>,
    pub role: Option<String>,
    pub permission: Option<PermissionMap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleChanges {
    pub permission: Option<PermissionMap>,
    /// A new name; the members holding the role keep it.
    pub role_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoleBody {
    pub organization_id: Option<String>,
    pub role_name: Option<String>,
    /// Better Auth also names a role by its id.
    pub role_id: Option<String>,
    pub data: Option<RoleChanges>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleKeyBody {
    pub organization_id: Option<String>,
    pub role_name: Option<String>,
    pub role_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolesQuery {
    pub organization_id: Option<String>,
}

/// Needs `ac:create`, and grants nothing the caller lacks.
#[server(name = CreateRole, prefix = "/api/auth", endpoint = "organization/create-role", input = leptos::server_fn::codec::Json)]
pub async fn create_role(#[server(flatten)] body: CreateRoleBody) -> Result<CreatedRole, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::create(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// Needs `ac:update`; renaming keeps the members who hold the role.
#[server(name = UpdateRole, prefix = "/api/auth", endpoint = "organization/update-role", input = leptos::server_fn::codec::Json)]
pub async fn update_role(#[server(flatten)] body: UpdateRoleBody) -> Result<UpdatedRole, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::update(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// Needs `ac:delete`; built-in roles and roles someone holds stay.
#[server(name = DeleteRole, prefix = "/api/auth", endpoint = "organization/delete-role", input = leptos::server_fn::codec::Json)]
pub async fn delete_role(#[server(flatten)] body: RoleKeyBody) -> Result<Success, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::delete(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// The organization's custom roles, for its members.
#[server(name = ListRoles, prefix = "/api/auth", endpoint = "organization/list-roles", input = GetUrl)]
pub async fn list_roles(#[server(flatten)] query: RolesQuery) -> Result<Vec<RoleView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), cx.config(), &me, query.organization_id).await
}

/// One custom role, by `roleName` or `roleId`.
#[server(name = GetRole, prefix = "/api/auth", endpoint = "organization/get-role", input = GetUrl)]
pub async fn get_role(#[server(flatten)] query: RoleKeyBody) -> Result<RoleView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::get(cx.db(), cx.config(), &me, query).await
}
