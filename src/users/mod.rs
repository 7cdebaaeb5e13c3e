//! Admin enrollment and user management (SPEC §3 "Admin enrollment", §5
//! `admin/*`): accounts made without a password that their owner completes,
//! and the users list with role changes and disabling; and what the
//! signed-in person may do on this instance (`access`).

pub mod access;
#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use std::collections::BTreeMap;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{
    accounts::{ListedSession, SessionWithUser, SignInResponse, StatusResponse, UserView},
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BanUserBody {
    pub user_id: Option<String>,
    /// Told to the person when they try to sign in.
    pub ban_reason: Option<String>,
    /// Seconds; without it the ban lasts until lifted.
    #[serde(default, deserialize_with = "crate::ui::form_number")]
    pub ban_expires_in: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokenBody {
    /// The session's id, as `list-user-sessions` shows it, or its token.
    pub session_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSessions {
    pub sessions: Vec<ListedSession>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUpdateUserBody {
    pub user_id: Option<String>,
    pub data: Option<AdminUserData>,
}

/// What `admin/update-user` may change: `name` and `image`. The rest is
/// named only to be refused with a reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserData {
    pub name: Option<String>,
    pub image: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub role: Option<String>,
    pub password: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpersonateUserBody {
    pub user_id: Option<String>,
    /// Required: why an admin acts as this person, for the audit log.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessAnswer {
    pub success: bool,
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
    switched(body, service::Switch::Disable).await
}

#[server(name = EnableUser, prefix = "/api/auth", endpoint = "admin/enable-user", input = leptos::server_fn::codec::Json)]
pub async fn enable_user(
    #[server(flatten)] body: UserIdBody,
) -> Result<CreateUserResponse, ApiError> {
    switched(body, service::Switch::Enable).await
}

/// Disable, enable and unban: the switch without a reason or an end.
#[cfg(feature = "ssr")]
async fn switched(
    body: UserIdBody,
    switch: service::Switch,
) -> Result<CreateUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserDisable)
        .await?;
    let ban = Default::default();
    service::switch(cx.db(), cx.config(), &me.user, body, switch, ban, &cx.ip()).await
}

/// Disables the account with a reason and an optional end, ending its
/// sessions; sign-in then tells the person why.
#[server(name = BanUser, prefix = "/api/auth", endpoint = "admin/ban-user", input = leptos::server_fn::codec::Json)]
pub async fn ban_user(
    #[server(flatten)] body: BanUserBody,
) -> Result<CreateUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserDisable)
        .await?;
    manage::ban(cx.db(), cx.config(), &me.user, body, &cx.ip()).await
}

#[server(name = UnbanUser, prefix = "/api/auth", endpoint = "admin/unban-user", input = leptos::server_fn::codec::Json)]
pub async fn unban_user(
    #[server(flatten)] body: UserIdBody,
) -> Result<CreateUserResponse, ApiError> {
    switched(body, service::Switch::Unban).await
}

#[server(name = ListUserSessions, prefix = "/api/auth", endpoint = "admin/list-user-sessions", input = leptos::server_fn::codec::Json)]
pub async fn list_user_sessions(
    #[server(flatten)] body: UserIdBody,
) -> Result<UserSessions, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::SessionList)
        .await?;
    manage::list_sessions(cx.db(), cx.config(), &me.user, body).await
}

#[server(name = RevokeUserSession, prefix = "/api/auth", endpoint = "admin/revoke-user-session", input = leptos::server_fn::codec::Json)]
pub async fn revoke_user_session(
    #[server(flatten)] body: SessionTokenBody,
) -> Result<SuccessAnswer, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::SessionRevoke)
        .await?;
    let which = manage::Which::One(&body);
    manage::revoke_sessions(cx.db(), cx.config(), &me.user, which, &cx.ip()).await?;
    Ok(SuccessAnswer { success: true })
}

#[server(name = RevokeUserSessions, prefix = "/api/auth", endpoint = "admin/revoke-user-sessions", input = leptos::server_fn::codec::Json)]
pub async fn revoke_user_sessions(
    #[server(flatten)] body: UserIdBody,
) -> Result<SuccessAnswer, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::SessionRevoke)
        .await?;
    let which = manage::Which::All(&body);
    manage::revoke_sessions(cx.db(), cx.config(), &me.user, which, &cx.ip()).await?;
    Ok(SuccessAnswer { success: true })
}

/// Another person's name and picture; answers the user, as Better Auth does.
#[server(name = AdminUpdateUser, prefix = "/api/auth", endpoint = "admin/update-user", input = leptos::server_fn::codec::Json)]
pub async fn admin_update_user(
    #[server(flatten)] body: AdminUpdateUserBody,
) -> Result<UserView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserUpdate)
        .await?;
    manage::update_user(cx.db(), cx.config(), &me.user, body, &cx.ip()).await
}

#[server(name = RemoveUser, prefix = "/api/auth", endpoint = "admin/remove-user", input = leptos::server_fn::codec::Json)]
pub async fn remove_user(#[server(flatten)] body: UserIdBody) -> Result<SuccessAnswer, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserDelete)
        .await?;
    manage::remove_user(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    Ok(SuccessAnswer { success: true })
}

/// Always refused, whatever the body says: an admin never sets a
/// password (SPEC §3). Signed out, 401 first, as every admin endpoint.
#[server(name = SetUserPassword, prefix = "/api/auth", endpoint = "admin/set-user-password", input = leptos::server_fn::codec::Json)]
pub async fn set_user_password() -> Result<SuccessAnswer, ApiError> {
    crate::context::RequestContext::current()?
        .signed_in()
        .await?;
    Err(manage::set_password_refused())
}

/// Acting as someone for support: their session, capped, in this browser;
/// the admin's own waits in a cookie of its own until "stop".
#[server(name = ImpersonateUser, prefix = "/api/auth", endpoint = "admin/impersonate-user", input = leptos::server_fn::codec::Json)]
pub async fn impersonate_user(
    #[server(flatten)] body: ImpersonateUserBody,
) -> Result<SessionWithUser, ApiError> {
    use crate::accounts::{sessions, sign_in};
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::UserImpersonate)
        .await?;
    let (ip, user_agent) = (cx.ip(), cx.user_agent());
    let client = sign_in::Client {
        ip: &ip,
        user_agent: user_agent.as_deref(),
    };
    let (token, session, user) =
        manage::impersonate(cx.db(), cx.config(), &me, body, client).await?;
    let config = cx.config();
    let lasts = config.session_ttl.as_secs();
    cx.set_cookie(&sessions::named_cookie(
        config,
        sessions::ADMIN_SESSION,
        &me.token,
        lasts,
    ));
    cx.set_cookie(&sessions::cookie(config, &token));
    Ok(sign_in::session_view(&sessions::Current {
        token,
        session,
        user,
        renewed: false,
    }))
}

/// Ends the impersonation and brings the admin's own session back (when
/// it is still live); answers it, or `null` when it ended meanwhile.
#[server(name = StopImpersonating, prefix = "/api/auth", endpoint = "admin/stop-impersonating", input = leptos::server_fn::codec::Json)]
pub async fn stop_impersonating() -> Result<Option<SessionWithUser>, ApiError> {
    use crate::accounts::{sessions, sign_in};
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    manage::stop_impersonating(cx.db(), &me, &cx.ip()).await?;
    let config = cx.config();
    cx.set_cookie(&sessions::named_cookie(
        config,
        sessions::ADMIN_SESSION,
        "",
        0,
    ));
    let kept = sessions::name_of(config, sessions::ADMIN_SESSION);
    let admin = match crate::context::cookie(&cx.parts, &kept) {
        Some(token) => sessions::lookup(cx.db(), config, &token)
            .await?
            .filter(|a| me.session.impersonated_by.as_deref() == Some(a.user.id.as_str())),
        None => None,
    };
    match &admin {
        Some(a) => cx.set_cookie(&sessions::cookie(config, &a.token)),
        None => cx.set_cookie(&sessions::clear_cookie(config)),
    }
    Ok(admin.as_ref().map(sign_in::session_view))
}

/// One account, bare, as Better Auth's `admin/get-user?id=` answers it.
#[server(name = GetUser, prefix = "/api/auth", endpoint = "admin/get-user", input = GetUrl)]
pub async fn get_user(id: Option<String>) -> Result<UserView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.require(crate::access::roles::Permission::UserList)
        .await?;
    manage::get_user(cx.db(), &id).await
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
