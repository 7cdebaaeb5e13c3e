//! The admin's view of outbound email at `/admin/emails` (SPEC §6): list,
//! read, retry, and the one-time reveal of a waiting message's link.

#[cfg(feature = "ssr")]
mod service;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, StatusResponse};

/// An outbound message as the admin view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailView {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When a queued message is next tried; None when it waits for a retry
    /// by hand (no mail server) or is not queued.
    pub next_attempt_at: Option<String>,
    /// A sender is delivering it right now.
    pub sending: bool,
    /// Its link can be revealed, once, to an admin (see `reveal-email`).
    pub revealable: bool,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

impl EmailView {
    /// Whether an admin can ask for another delivery.
    pub fn retryable(&self) -> bool {
        self.status != "sent" && !self.sending
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailList {
    pub emails: Vec<EmailView>,
    pub total: i64,
    /// False when no SMTP server is configured and messages go to the log.
    pub smtp_configured: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailDetail {
    pub email: EmailView,
    /// The plain-text body, with any link or code it carries hidden.
    pub text: String,
}

/// A waiting message as it would be delivered, link included.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevealedEmail {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailIdBody {
    pub id: Option<String>,
}

/// Statuses the list can be filtered by.
pub const STATUSES: [&str; 3] = ["queued", "sent", "failed"];
/// Page size of the list unless the caller asks for another (1–100).
pub const PAGE_SIZE: u32 = 25;

#[server(name = ListEmails, prefix = "/api/auth", endpoint = "admin/list-emails", input = GetUrl)]
pub async fn list_emails(
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<EmailList, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.require(crate::access::roles::Permission::EmailList)
        .await?;
    let status = service::status_filter(status.as_deref())?;
    service::list(cx.db(), cx.config(), status, limit, offset).await
}

#[server(name = GetEmail, prefix = "/api/auth", endpoint = "admin/get-email", input = GetUrl)]
pub async fn get_email(id: String) -> Result<EmailDetail, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.require(crate::access::roles::Permission::EmailList)
        .await?;
    service::get(cx.db(), &id).await
}

#[server(name = RevealEmail, prefix = "/api/auth", endpoint = "admin/reveal-email", input = leptos::server_fn::codec::Json)]
pub async fn reveal_email(#[server(flatten)] body: EmailIdBody) -> Result<RevealedEmail, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let admin = cx
        .require(crate::access::roles::Permission::EmailList)
        .await?;
    let id = crate::accounts::required(&body.id, "id")?;
    service::reveal(cx.db(), cx.config(), &admin.user, id, &cx.ip()).await
}

#[server(name = RetryEmail, prefix = "/api/auth", endpoint = "admin/retry-email", input = leptos::server_fn::codec::Json)]
pub async fn retry_email(#[server(flatten)] body: EmailIdBody) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let admin = cx
        .require(crate::access::roles::Permission::EmailRetry)
        .await?;
    let id = crate::accounts::required(&body.id, "id")?;
    let done = service::retry(cx.db(), &admin.user, id, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}
