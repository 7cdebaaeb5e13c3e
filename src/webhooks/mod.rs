//! Webhooks (issue 14): every audit event is a webhook event. A delivery is
//! queued in the transaction of the change (`audit::record`), and a
//! sender on every node signs and POSTs it (Standard Webhooks). Owners manage
//! endpoints at `/admin/webhooks` and through the endpoints below.

#[cfg(feature = "ssr")]
pub mod form;
#[cfg(feature = "ssr")]
pub mod sender;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{accounts::StatusResponse, error::ApiError};

/// Page size of the delivery list unless the caller asks for another.
pub const PAGE_SIZE: u32 = 25;
/// Statuses a delivery can have, and the list can be filtered by.
pub const STATUSES: [&str; 3] = ["queued", "delivered", "failed"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryCounts {
    pub queued: i64,
    pub delivered: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub description: String,
    /// `*`, prefixes such as `organization.*`, or event types.
    pub events: Vec<String>,
    pub paused: bool,
    /// `config` (from gatehouse.toml: changed there) or `admin`.
    pub source: String,
    pub deliveries: DeliveryCounts,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
    /// Every event type an endpoint can listen to.
    pub event_types: Vec<String>,
}

/// A new endpoint or secret: the secret is in this answer and nowhere else.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    pub secret: crate::secret::SecretText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: String,
    pub webhook_id: String,
    /// The event's id: the `webhook-id` header and the payload's `id`.
    pub event_id: String,
    pub event_type: String,
    /// `queued`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// The endpoint's HTTP status on the last attempt, if it answered.
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    /// When a queued delivery is next tried (none while it is being sent).
    pub next_attempt_at: Option<String>,
    /// A sender is delivering it right now.
    pub sending: bool,
    /// The delivery this one replays.
    pub replay_of: Option<String>,
    /// The JSON body, as sent.
    pub payload: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
    pub total: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhookBody {
    pub url: Option<String>,
    /// Default: all (`["*"]`).
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhookBody {
    pub webhook_id: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookIdBody {
    pub webhook_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryIdBody {
    pub delivery_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookQuery {
    pub webhook_id: String,
}

/// `status`: queued, delivered or failed; none: all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveriesQuery {
    pub webhook_id: String,
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[server(name = ListWebhooks, prefix = "/api/auth", endpoint = "admin/list-webhooks", input = GetUrl)]
pub async fn list_webhooks() -> Result<WebhookList, ApiError> {
    let (cx, _) = manager().await?;
    service::list(cx.db()).await
}

#[server(name = GetWebhook, prefix = "/api/auth", endpoint = "admin/get-webhook", input = GetUrl)]
pub async fn get_webhook(#[server(flatten)] query: WebhookQuery) -> Result<WebhookView, ApiError> {
    let (cx, _) = manager().await?;
    service::get(cx.db(), &query.webhook_id).await
}

#[server(name = CreateWebhook, prefix = "/api/auth", endpoint = "admin/create-webhook", input = leptos::server_fn::codec::Json)]
pub async fn create_webhook(
    #[server(flatten)] body: CreateWebhookBody,
) -> Result<WebhookWithSecret, ApiError> {
    let (cx, owner) = manager().await?;
    service::create(cx.db(), cx.config(), &owner, body, &cx.ip()).await
}

#[server(name = UpdateWebhook, prefix = "/api/auth", endpoint = "admin/update-webhook", input = leptos::server_fn::codec::Json)]
pub async fn update_webhook(
    #[server(flatten)] body: UpdateWebhookBody,
) -> Result<WebhookView, ApiError> {
    let (cx, owner) = manager().await?;
    service::update(cx.db(), cx.config(), &owner, body, &cx.ip()).await
}

#[server(name = RotateWebhookSecret, prefix = "/api/auth", endpoint = "admin/rotate-webhook-secret", input = leptos::server_fn::codec::Json)]
pub async fn rotate_webhook_secret(
    #[server(flatten)] body: WebhookIdBody,
) -> Result<WebhookWithSecret, ApiError> {
    let (cx, owner) = manager().await?;
    service::rotate(cx.db(), cx.config(), &owner, body, &cx.ip()).await
}

#[server(name = DeleteWebhook, prefix = "/api/auth", endpoint = "admin/delete-webhook", input = leptos::server_fn::codec::Json)]
pub async fn delete_webhook(
    #[server(flatten)] body: WebhookIdBody,
) -> Result<StatusResponse, ApiError> {
    let (cx, owner) = manager().await?;
    service::delete(cx.db(), &owner, body, &cx.ip()).await
}

#[server(name = ListWebhookDeliveries, prefix = "/api/auth", endpoint = "admin/list-webhook-deliveries", input = GetUrl)]
pub async fn list_webhook_deliveries(
    #[server(flatten)] query: DeliveriesQuery,
) -> Result<DeliveryList, ApiError> {
    let (cx, _) = manager().await?;
    service::deliveries(cx.db(), query).await
}

#[server(name = ReplayWebhookDelivery, prefix = "/api/auth", endpoint = "admin/replay-webhook-delivery", input = leptos::server_fn::codec::Json)]
pub async fn replay_webhook_delivery(
    #[server(flatten)] body: DeliveryIdBody,
) -> Result<DeliveryView, ApiError> {
    let (cx, owner) = manager().await?;
    service::replay(cx.db(), &owner, body, &cx.ip()).await
}

/// What the last form on `/admin/webhooks` did, carried across its
/// redirect in a sealed, short-lived cookie (a new secret must not travel
/// in the address). Read once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    pub ok: bool,
    pub message: String,
    /// A new signing secret, shown this once.
    pub secret: Option<String>,
    /// What was typed into the add form, when adding failed.
    pub url: Option<String>,
    pub description: Option<String>,
}

impl Flash {
    pub fn ok(message: &str) -> Self {
        Self {
            ok: true,
            message: message.to_owned(),
            secret: None,
            url: None,
            description: None,
        }
    }

    pub fn error(e: ApiError) -> Self {
        Self {
            ok: false,
            message: e.message,
            ..Self::ok("")
        }
    }
}

#[server(name = TakeWebhookFlash, prefix = "/api/auth", endpoint = "gatehouse/webhook-flash", input = GetUrl)]
pub async fn take_webhook_flash() -> Result<Option<Flash>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    form::take_flash(&cx).await
}

/// The request and its signed-in person, whose role must have
/// `webhook:manage`: how every webhook endpoint starts.
#[cfg(feature = "ssr")]
async fn manager() -> Result<
    (
        crate::context::RequestContext,
        crate::accounts::store::UserRow,
    ),
    ApiError,
> {
    let cx = crate::context::RequestContext::current()?;
    let owner = cx
        .require(crate::access::roles::Permission::WebhookManage)
        .await?;
    Ok((cx, owner.user))
}
