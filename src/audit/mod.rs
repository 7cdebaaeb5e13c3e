//! The audit log (SPEC §4 `/admin/audit`, §5). Events are written by
//! `record` inside the transaction of the change they record, and published
//! from there to the webhooks that listen (`publish`); they are read through
//! `admin/list-audit-events` with filters and paging, and its JSON Lines
//! export.

pub mod domain;
#[cfg(feature = "ssr")]
mod event;
#[cfg(feature = "ssr")]
pub mod publish;
#[cfg(feature = "ssr")]
mod record;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use event::Event;
#[cfg(feature = "ssr")]
pub use record::record;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const PAGE_SIZE: u32 = 25;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPerson {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventView {
    pub id: String,
    pub action: String,
    pub actor_id: Option<String>,
    /// The actor's account, while it exists.
    pub actor: Option<AuditPerson>,
    pub target: Option<String>,
    /// What the target id names: a person's name and email, or an
    /// organization's name, when it still exists.
    pub target_name: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip_address: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditList {
    pub events: Vec<AuditEventView>,
    pub total: i64,
}

/// The filters, all optional: `group` (accounts, invitations, users, email,
/// organizations) or one `action`; `actor` and `target` by email or id;
/// `from` and `to` as dates (`YYYY-MM-DD`, UTC, both days included).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub group: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// Newest first; needs `audit:read`.
#[server(name = ListAuditEvents, prefix = "/api/auth", endpoint = "admin/list-audit-events", input = GetUrl)]
pub async fn list_audit_events(
    #[server(flatten)] query: AuditQuery,
) -> Result<AuditList, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.require(crate::roles::Permission::AuditRead).await?;
    service::list(cx.db(), &query).await
}
