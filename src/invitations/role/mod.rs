//! Role invitations (SPEC §2, §3, §5 `invite/*`), the kind that grants an
//! instance role: create, preview, accept, decline, cancel, resend and
//! list, in the shapes of the better-invite plugin for Better Auth where it
//! has them. The server functions read the request and hand plain values
//! to the services beside them.

#[cfg(feature = "ssr")]
pub mod create;
#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod redeem;
#[cfg(feature = "ssr")]
pub mod setup;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

pub use super::OneOrMany;
use super::{next_step::NextStep, secret::SecretKind, status::Status};
use crate::{accounts::StatusResponse, error::ApiError};

/// A role as the invite form and the welcome page describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: String,
    pub description: String,
    pub abilities: Vec<String>,
}

/// What the invite form needs: the roles this person may grant, and the
/// instance's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteOptions {
    pub roles: Vec<RoleInfo>,
    pub default_expires_in: u64,
    pub max_expires_in: u64,
    pub default_token_type: SecretKind,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteBody {
    pub role: Option<String>,
    pub email: Option<OneOrMany>,
    /// `token` (a link) or `code`; better-invite's names. `link` is taken too.
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "crate::ui::form_number")]
    pub max_uses: Option<i64>,
    /// Seconds.
    #[serde(default, deserialize_with = "crate::ui::form_number")]
    pub expires_in: Option<i64>,
    pub redirect_to_after_upgrade: Option<String>,
    #[serde(default, deserialize_with = "crate::ui::form_bool")]
    pub share_inviter_name: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteUseView {
    pub user: PersonView,
    pub previous_role: Option<String>,
    pub new_role: String,
    pub used_at: String,
}

/// An invitation as its creator and admins see it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    pub id: String,
    pub role: String,
    pub email: Option<String>,
    pub token_type: SecretKind,
    pub status: Status,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: String,
    /// "expires in 2 days", as of the answer.
    pub expires_in: String,
    pub created_at: String,
    pub created_by: Option<PersonView>,
    pub redirect_to_after_upgrade: Option<String>,
    pub share_inviter_name: bool,
    pub used_by: Vec<InviteUseView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteResponse {
    pub status: bool,
    /// The token or code of a public invitation (better-invite's field);
    /// for private ones, a sentence: their secrets go only by email.
    pub message: String,
    /// The invitation link of a public invitation.
    pub url: Option<String>,
    /// A public invitation's code as people read it (`7K3M-Q9XD`).
    pub code: Option<String>,
    pub invitations: Vec<InviteView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviterView {
    pub name: String,
    pub email: String,
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewInvitation {
    pub id: String,
    pub email: Option<String>,
    pub emails: Vec<String>,
    pub role: String,
    pub role_description: String,
    pub abilities: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    /// "expires in 2 days", as of the answer.
    pub expires_in: String,
    pub status: Status,
    /// Where the person goes after accepting.
    pub redirect_to: Option<String>,
    /// For a private invitation, whether its addressee has no account yet;
    /// for a public one, known only when someone is signed in.
    pub new_account: Option<bool>,
    pub token_type: SecretKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitePreview {
    pub status: bool,
    /// Present when the inviter chose to share their name.
    pub inviter: Option<InviterView>,
    pub invitation: PreviewInvitation,
    pub next_step: NextStep,
    /// Why it cannot be used, when `nextStep` is `unusable`.
    pub reason: Option<String>,
    /// The signed-in person's email, if any.
    pub viewer_email: Option<String>,
    pub viewer_role: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenBody {
    pub token: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdBody {
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateResponse {
    pub status: bool,
    pub role: String,
    pub previous_role: String,
    /// Where to go after the welcome page.
    pub redirect_to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteList {
    pub invitations: Vec<InviteView>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub role: RoleInfo,
    pub next: String,
    pub name: String,
}

pub const PAGE_SIZE: u32 = 20;

#[server(name = InviteOptionsFn, prefix = "/api/auth", endpoint = "invite/options", input = GetUrl)]
pub async fn invite_options() -> Result<InviteOptions, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx
        .require(crate::access::roles::Permission::InviteCreate)
        .await?;
    Ok(manage::options(cx.config(), &me.user))
}

#[server(name = CreateInvite, prefix = "/api/auth", endpoint = "invite/create", input = leptos::server_fn::codec::Json)]
pub async fn create_invite(
    #[server(flatten)] body: CreateInviteBody,
) -> Result<CreateInviteResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in_with_role().await?;
    let done = create::create(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

/// `invite/create-bulk`: a list of people, each with a role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateBulkBody {
    pub invitations: Option<Vec<crate::invitations::bulk::BulkRow>>,
    /// Send open invitations again rather than answering `already_invited`.
    pub resend: Option<bool>,
}

/// Up to 500 people by email, each with their own result.
#[server(name = CreateBulkInvites, prefix = "/api/auth", endpoint = "invite/create-bulk", input = leptos::server_fn::codec::Json)]
pub async fn create_bulk_invites(
    #[server(flatten)] body: CreateBulkBody,
) -> Result<crate::invitations::bulk::BulkResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in_with_role().await?;
    let done = create::create_bulk(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    if done.results.iter().any(|r| r.status.sent()) {
        cx.state.mail.wake();
    }
    Ok(done)
}

#[server(name = GetInvite, prefix = "/api/auth", endpoint = "invite/get", input = GetUrl)]
pub async fn get_invite(token: crate::secret::SecretText) -> Result<InvitePreview, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let viewer = cx.session().await?;
    redeem::preview(cx.db(), cx.config(), viewer.as_ref(), &cx.bucket(), &token).await
}

#[server(name = ActivateInvite, prefix = "/api/auth", endpoint = "invite/activate", input = leptos::server_fn::codec::Json)]
pub async fn activate_invite(
    #[server(flatten)] body: TokenBody,
) -> Result<ActivateResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let token = crate::accounts::required(&body.token, "token")?;
    redeem::activate(
        cx.db(),
        cx.config(),
        &me.user,
        &cx.bucket(),
        token,
        &cx.ip(),
    )
    .await
}

#[server(name = RejectInvite, prefix = "/api/auth", endpoint = "invite/reject", input = leptos::server_fn::codec::Json)]
pub async fn reject_invite(#[server(flatten)] body: TokenBody) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let token = crate::accounts::required(&body.token, "token")?;
    let viewer = cx.session().await?;
    let viewer = viewer.as_ref().map(|v| &v.user);
    redeem::reject(cx.db(), cx.config(), viewer, &cx.bucket(), token, &cx.ip()).await
}

#[server(name = CancelInvite, prefix = "/api/auth", endpoint = "invite/cancel", input = leptos::server_fn::codec::Json)]
pub async fn cancel_invite(#[server(flatten)] body: IdBody) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in_with_role().await?;
    let id = crate::accounts::required(&body.id, "id")?;
    manage::cancel(cx.db(), cx.config(), &me.user, id, &cx.ip()).await
}

#[server(name = ResendInvite, prefix = "/api/auth", endpoint = "invite/resend", input = leptos::server_fn::codec::Json)]
pub async fn resend_invite(
    #[server(flatten)] body: IdBody,
) -> Result<CreateInviteResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in_with_role().await?;
    let id = crate::accounts::required(&body.id, "id")?;
    let done = manage::resend(cx.db(), cx.config(), &me.user, id, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

#[server(name = ListInvites, prefix = "/api/auth", endpoint = "invite/list", input = GetUrl)]
pub async fn list_invites(
    status: Option<String>,
    search: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<InviteList, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.require(crate::access::roles::Permission::InviteList)
        .await?;
    let filter = manage::Filter::parse(status.as_deref(), search.as_deref())?;
    manage::list(cx.db(), &filter, limit, offset).await
}

/// Better Auth's `sign-up/email`, which better-invite extends with
/// `inviteToken`: served here, above accounts, because the invitation is
/// redeemed in the sign-up's transaction. Without one it is open sign-up
/// (`accounts::sign_in::sign_up`).
#[server(name = SignUpEmail, prefix = "/api/auth", endpoint = "sign-up/email", input = leptos::server_fn::codec::Json)]
pub async fn sign_up_email(
    #[server(flatten)] body: crate::accounts::SignUpBody,
) -> Result<crate::accounts::SignUpResponse, ApiError> {
    use crate::accounts::{sessions, sign_in};
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("sign-up", config.rate_limits.sign_up).await?;
    let (ip, agent) = (cx.ip(), cx.user_agent());
    let client = sign_in::Client {
        ip: &ip,
        user_agent: agent.as_deref(),
    };
    let token = body.invite_token.as_deref().map(str::trim);
    let done = match token.filter(|t| !t.is_empty()) {
        Some(token) => redeem::sign_up(cx.db(), config, &body, token, &cx.bucket(), client).await?,
        None => sign_in::sign_up(cx.db(), config, &body, client).await?,
    };
    if done.verification_sent {
        cx.state.mail.wake();
    }
    cx.set_cookie(&sessions::cookie(config, &done.token));
    Ok(crate::accounts::SignUpResponse {
        token: done.token.into(),
        user: done.user.view(),
    })
}

#[server(name = GetWelcome, prefix = "/api/auth", endpoint = "gatehouse/welcome", input = GetUrl)]
pub async fn get_welcome(next: Option<String>) -> Result<Welcome, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    Ok(manage::welcome(cx.config(), &me.user, next))
}
