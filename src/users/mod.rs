//! Admin enrollment and user management (SPEC §3 "Admin enrollment", §5
//! `admin/*`): accounts made without a password that their owner completes,
//! and the users list with role changes and disabling; and what the
//! signed-in person may do on this instance (`access`).

pub mod access;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use std::collections::BTreeMap;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{
    accounts::{SignInResponse, StatusResponse, UserView},
    error::ApiError,
};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserBody {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    /// Refused: the person chooses their own password (SPEC §3).
    pub password: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUserResponse {
    pub user: UserView,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CompleteEnrollmentBody {
    pub token: Option<crate::secret::SecretText>,
    pub password: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdBody {
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRoleBody {
    pub user_id: Option<String>,
    pub role: Option<String>,
}

/// A user as the admin list shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// Made by an admin and still without a password.
    pub enrollment_pending: bool,
    /// Whether the caller may act on this account (change its role, disable
    /// or enable it, resend its enrollment): their rank is above its own.
    pub manageable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserList {
    pub users: Vec<ListedUser>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// The roles the caller may give, lowest first, for the role pickers.
    pub assignable_roles: Vec<String>,
}

/// Whose account an enrollment link completes, for the `/enroll` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentInfo {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HasPermissionBody {
    /// `{ "user": ["create"] }`, as Better Auth's admin client sends it.
    pub permissions: Option<BTreeMap<String, Vec<String>>>,
    /// The older single form, also accepted.
    pub permission: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HasPermissionResponse {
    pub success: bool,
    pub error: Option<String>,
}

pub const PAGE_SIZE: u32 = 20;

#[server(name = CreateUser, prefix = "/api/auth", endpoint = "admin/create-user", input = leptos::server_fn::codec::Json)]
pub async fn create_user(
    #[server(flatten)] body: CreateUserBody,
) -> Result<CreateUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserCreate)
        .await?;
    let done = service::create_user(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

#[server(name = EnrollmentInfoFn, prefix = "/api/auth", endpoint = "admin/enrollment-info", input = GetUrl)]
pub async fn enrollment_info(token: crate::secret::SecretText) -> Result<EnrollmentInfo, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    service::enrollment_info(cx.db(), &token).await
}

/// Sets the password, verifies the email, spends the token and signs the
/// person in (SPEC §3 "Accounts" 1).
#[server(name = CompleteEnrollment, prefix = "/api/auth", endpoint = "admin/complete-enrollment", input = leptos::server_fn::codec::Json)]
pub async fn complete_enrollment(
    #[server(flatten)] body: CompleteEnrollmentBody,
) -> Result<SignInResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("enroll", config.rate_limits.password_reset)
        .await?;
    let (ip, agent) = (cx.ip(), cx.user_agent());
    let client = crate::accounts::sign_in::Client {
        ip: &ip,
        user_agent: agent.as_deref(),
    };
    let done = service::complete_enrollment(cx.db(), config, body, client).await?;
    cx.set_cookie(&crate::accounts::sessions::cookie(config, &done.token));
    Ok(done)
}

#[server(name = ResendEnrollment, prefix = "/api/auth", endpoint = "admin/resend-enrollment", input = leptos::server_fn::codec::Json)]
pub async fn resend_enrollment(
    #[server(flatten)] body: UserIdBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserCreate)
        .await?;
    let done = service::resend_enrollment(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

#[server(name = SetRole, prefix = "/api/auth", endpoint = "admin/set-role", input = leptos::server_fn::codec::Json)]
pub async fn set_role(
    #[server(flatten)] body: SetRoleBody,
) -> Result<CreateUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserSetRole)
        .await?;
    service::set_role(cx.db(), cx.config(), &me.user, body, &cx.ip()).await
}

#[server(name = DisableUser, prefix = "/api/auth", endpoint = "admin/disable-user", input = leptos::server_fn::codec::Json)]
pub async fn disable_user(
    #[server(flatten)] body: UserIdBody,
) -> Result<CreateUserResponse, ApiError> {
    set_disabled(body, true).await
}

#[server(name = EnableUser, prefix = "/api/auth", endpoint = "admin/enable-user", input = leptos::server_fn::codec::Json)]
pub async fn enable_user(
    #[server(flatten)] body: UserIdBody,
) -> Result<CreateUserResponse, ApiError> {
    set_disabled(body, false).await
}

#[cfg(feature = "ssr")]
async fn set_disabled(body: UserIdBody, disabled: bool) -> Result<CreateUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserDisable)
        .await?;
    service::set_disabled(cx.db(), cx.config(), &me.user, body, disabled, &cx.ip()).await
}

#[server(name = ListUsers, prefix = "/api/auth", endpoint = "admin/list-users", input = GetUrl)]
pub async fn list_users(
    search: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<UserList, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserList)
        .await?;
    service::list_users(
        cx.db(),
        cx.config(),
        &me.user,
        search.as_deref(),
        limit,
        offset,
    )
    .await
}

/// Whether the caller's role grants every listed permission (Better Auth's
/// `admin/has-permission`). Unknown statements are simply not granted.
#[server(name = HasPermission, prefix = "/api/auth", endpoint = "admin/has-permission", input = leptos::server_fn::codec::Json)]
pub async fn has_permission(
    #[server(flatten)] body: HasPermissionBody,
) -> Result<HasPermissionResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::has_permission(cx.config(), &me.user, body)
}
