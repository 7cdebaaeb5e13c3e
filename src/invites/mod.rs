//! Role invitations (SPEC §2, §3, §5 `invite/*`): create, preview, accept,
//! decline, cancel, resend and list, in the shapes of the better-invite
//! plugin for Better Auth where it has them.

pub mod domain;
#[cfg(feature = "ssr")]
pub mod policy;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use self::domain::{InviteStatus, NextStep, SecretKind};
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

/// One address or several, as better-invite accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteBody {
    pub role: Option<String>,
    pub email: Option<OneOrMany>,
    /// `token` (a link) or `code`; better-invite's names. `link` is taken too.
    pub token_type: Option<String>,
    pub max_uses: Option<i64>,
    /// Seconds.
    pub expires_in: Option<i64>,
    pub redirect_to_after_upgrade: Option<String>,
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
    pub status: InviteStatus,
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
    pub status: InviteStatus,
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
    service::options().await
}

#[server(name = CreateInvite, prefix = "/api/auth", endpoint = "invite/create", input = leptos::server_fn::codec::Json)]
pub async fn create_invite(
    #[server(flatten)] body: CreateInviteBody,
) -> Result<CreateInviteResponse, ApiError> {
    service::create(body).await
}

#[server(name = GetInvite, prefix = "/api/auth", endpoint = "invite/get", input = GetUrl)]
pub async fn get_invite(token: crate::secret::SecretText) -> Result<InvitePreview, ApiError> {
    service::preview(token.expose().to_owned()).await
}

#[server(name = ActivateInvite, prefix = "/api/auth", endpoint = "invite/activate", input = leptos::server_fn::codec::Json)]
pub async fn activate_invite(
    #[server(flatten)] body: TokenBody,
) -> Result<ActivateResponse, ApiError> {
    service::activate(body).await
}

#[server(name = RejectInvite, prefix = "/api/auth", endpoint = "invite/reject", input = leptos::server_fn::codec::Json)]
pub async fn reject_invite(#[server(flatten)] body: TokenBody) -> Result<StatusResponse, ApiError> {
    service::reject(body).await
}

#[server(name = CancelInvite, prefix = "/api/auth", endpoint = "invite/cancel", input = leptos::server_fn::codec::Json)]
pub async fn cancel_invite(#[server(flatten)] body: IdBody) -> Result<StatusResponse, ApiError> {
    service::cancel(body).await
}

#[server(name = ResendInvite, prefix = "/api/auth", endpoint = "invite/resend", input = leptos::server_fn::codec::Json)]
pub async fn resend_invite(
    #[server(flatten)] body: IdBody,
) -> Result<CreateInviteResponse, ApiError> {
    service::resend(body).await
}

#[server(name = ListInvites, prefix = "/api/auth", endpoint = "invite/list", input = GetUrl)]
pub async fn list_invites(
    status: Option<String>,
    search: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<InviteList, ApiError> {
    service::list(status, search, limit, offset).await
}

#[server(name = GetWelcome, prefix = "/api/auth", endpoint = "gatehouse/welcome", input = GetUrl)]
pub async fn get_welcome(next: Option<String>) -> Result<Welcome, ApiError> {
    service::welcome(next).await
}
