//! Apps (issue 25, SPEC §9): Gatehouse as an OpenID Connect provider, so
//! that an invitation decides what a person may do in every app the
//! instance runs. Admins register apps (`clients`, `/admin/apps`); people
//! sign in to them through the authorization code flow (`authorize`), and
//! apps exchange codes and refresh tokens for signed tokens (`tokens`)
//! whose claims carry the instance role, organizations and teams.
//!
//! The admin API below takes RFC 7591 client metadata, so its fields are
//! snake_case, as that RFC writes them.

#[cfg(feature = "ssr")]
pub mod authorize;
#[cfg(feature = "ssr")]
pub mod clients;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod form;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tokens;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{accounts::StatusResponse, error::ApiError};

/// An app as the admin API answers it (RFC 7591 client metadata, plus
/// Gatehouse's policy and state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientView {
    pub client_id: String,
    /// Only in the answer that made it (create, rotate): shown once.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_secret: Option<String>,
    /// Seconds since the epoch (RFC 7591).
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire (RFC 7591).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_secret_expires_at: Option<i64>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub skip_consent: bool,
    pub allowed_roles: Vec<String>,
    /// Organization ids.
    pub allowed_organizations: Vec<String>,
    /// Team ids.
    pub allowed_teams: Vec<String>,
    pub disabled: bool,
    /// How many people have allowed it.
    pub users: i64,
    pub updated_at: String,
}

/// `admin/oauth2/create-client`: RFC 7591 metadata and the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub client_name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// `client_secret_basic` (the default), `client_secret_post` or `none`.
    pub token_endpoint_auth_method: Option<String>,
    /// Space-separated; default `openid email profile`.
    pub scope: Option<String>,
    pub skip_consent: Option<bool>,
    pub allowed_roles: Option<Vec<String>>,
    /// Slugs or ids.
    pub allowed_organizations: Option<Vec<String>>,
    /// Team ids, or `organization-slug/team` as `groups` writes them.
    pub allowed_teams: Option<Vec<String>>,
    /// RFC 7591 fields Gatehouse checks but decides itself: only the code
    /// flow exists here.
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
}

/// `admin/oauth2/update-client`: the fields to change (as create takes
/// them), and `disabled`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateClientBody {
    pub client_id: Option<String>,
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClientIdBody {
    pub client_id: Option<String>,
}

/// One app a person allowed, for "Connected apps".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedApp {
    pub client_id: String,
    pub name: String,
    /// What it may see, in short ("email address", "name").
    pub sees: Vec<String>,
    pub since: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeGrantBody {
    pub client_id: Option<String>,
}

/// What the last form on `/admin/apps` did; a new secret is shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppFlash {
    pub ok: bool,
    pub message: String,
    pub client_id: Option<String>,
    pub secret: Option<String>,
    /// What was typed into the add form, when adding failed.
    pub typed: Vec<(String, String)>,
}

/// Everything `/admin/apps` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppsPage {
    pub apps: Vec<ClientView>,
    /// The instance's roles, for "who may use it".
    pub roles: Vec<String>,
    /// How the organizations and teams the apps' policies name are
    /// written (a slug, `slug/team`), by id.
    pub names: Vec<(String, String)>,
    /// The issuer apps are configured with.
    pub issuer: String,
    pub flash: Option<AppFlash>,
}

#[server(name = GetAppsPage, prefix = "/api/auth", endpoint = "gatehouse/apps-page", input = GetUrl)]
pub async fn apps_page() -> Result<AppsPage, ApiError> {
    let (cx, admin) = manager().await?;
    let flash = form::FLASH.take(&cx, &admin.id);
    let apps = clients::list(cx.db()).await?;
    let names = clients::policy_names(cx.db(), &apps).await?;
    Ok(AppsPage {
        apps,
        roles: cx.config().roles.iter().map(|r| r.name.clone()).collect(),
        names,
        issuer: cx.config().link(""),
        flash,
    })
}

#[server(name = CreateClient, prefix = "/api/auth", endpoint = "admin/oauth2/create-client", input = leptos::server_fn::codec::Json)]
pub async fn create_client(
    #[server(flatten)] body: ClientMetadata,
) -> Result<ClientView, ApiError> {
    let (cx, admin) = manager().await?;
    clients::create(cx.db(), cx.config(), Some(&admin), body, &cx.ip()).await
}

#[server(name = ListClients, prefix = "/api/auth", endpoint = "admin/oauth2/list-clients", input = GetUrl)]
pub async fn list_clients() -> Result<Vec<ClientView>, ApiError> {
    let (cx, _) = manager().await?;
    clients::list(cx.db()).await
}

#[server(name = GetClient, prefix = "/api/auth", endpoint = "admin/oauth2/get-client", input = GetUrl)]
pub async fn get_client(#[server(flatten)] query: ClientIdBody) -> Result<ClientView, ApiError> {
    let (cx, _) = manager().await?;
    clients::get(cx.db(), query.client_id.as_deref()).await
}

#[server(name = UpdateClient, prefix = "/api/auth", endpoint = "admin/oauth2/update-client", input = leptos::server_fn::codec::Json)]
pub async fn update_client(
    #[server(flatten)] body: UpdateClientBody,
) -> Result<ClientView, ApiError> {
    let (cx, admin) = manager().await?;
    clients::update(cx.db(), cx.config(), &admin, body, &cx.ip()).await
}

#[server(name = RotateClientSecret, prefix = "/api/auth", endpoint = "admin/oauth2/rotate-client-secret", input = leptos::server_fn::codec::Json)]
pub async fn rotate_client_secret(
    #[server(flatten)] body: ClientIdBody,
) -> Result<ClientView, ApiError> {
    let (cx, admin) = manager().await?;
    clients::rotate_secret(cx.db(), &admin, body.client_id.as_deref(), &cx.ip()).await
}

#[server(name = DeleteClient, prefix = "/api/auth", endpoint = "admin/oauth2/delete-client", input = leptos::server_fn::codec::Json)]
pub async fn delete_client(
    #[server(flatten)] body: ClientIdBody,
) -> Result<StatusResponse, ApiError> {
    let (cx, admin) = manager().await?;
    clients::delete(cx.db(), &admin, body.client_id.as_deref(), &cx.ip()).await
}

/// The signed-in person's connected apps.
#[server(name = ListConnectedApps, prefix = "/api/auth", endpoint = "oauth2/list-connected-apps", input = GetUrl)]
pub async fn list_connected_apps() -> Result<Vec<ConnectedApp>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    clients::connected(cx.db(), &me.user.id).await
}

/// Takes back what the person allowed an app: its refresh tokens stop
/// working at once, and it asks again next time.
#[server(name = RevokeConnectedApp, prefix = "/api/auth", endpoint = "oauth2/revoke-connected-app", input = leptos::server_fn::codec::Json)]
pub async fn revoke_connected_app(
    #[server(flatten)] body: RevokeGrantBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    clients::disconnect(cx.db(), &me.user, body.client_id.as_deref(), &cx.ip()).await
}

/// The request and its signed-in admin, whose role has `app:manage`.
#[cfg(feature = "ssr")]
async fn manager() -> Result<
    (
        crate::context::RequestContext,
        crate::accounts::store::UserRow,
    ),
    ApiError,
> {
    let cx = crate::context::RequestContext::current()?;
    let admin = cx
        .require(crate::access::roles::Permission::AppManage)
        .await?;
    Ok((cx, admin.user))
}

/// The `/authorize` page's decision: the request in its address, decided
/// for the person signed in in this browser (`authorize::evaluate`).
#[cfg(feature = "ssr")]
pub async fn authorization_for_page(
    q: authorize::AuthorizeQuery,
) -> Result<authorize::Outcome, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let session = cx.session().await?;
    authorize::evaluate(
        cx.db(),
        cx.config(),
        &q,
        session.as_ref(),
        None,
        crate::server::clock::now_ms(),
    )
    .await
}

/// What the sign-out page asks about: the app, and where "Sign out" goes
/// afterwards (its origin, for the page's `form-action`). None when the
/// request does not hold up (the page then says so).
#[cfg(feature = "ssr")]
pub async fn logout_for_page(
    q: tokens::EndSession,
) -> Result<Option<(String, Option<String>)>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let now = crate::server::clock::now_ms();
    Ok(tokens::logout(cx.db(), cx.config(), &q, now)
        .await?
        .ok()
        .map(|l| {
            let origin = l
                .back
                .and_then(|b| url::Url::parse(&b).ok())
                .map(|u| u.origin().ascii_serialization());
            (l.app, origin)
        }))
}
