//! The audit log's page and export for admins (SPEC §4 `/admin/audit`,
//! §5 `admin/list-audit-events`): filters, paging and JSON Lines. The log
//! itself, and its writing, is `audit`'s.

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[cfg(feature = "ssr")]
pub mod service;

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
    /// The admin who acted as the actor (an impersonation session).
    pub impersonator_id: Option<String>,
    pub impersonator: Option<AuditPerson>,
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
    cx.require(crate::access::roles::Permission::AuditRead)
        .await?;
    service::list(cx.db(), &query).await
}

/// `GET /api/auth/admin/export-audit-events?…` (the list's filters): the
/// matching events as JSON Lines, to download. A plain route rather than a
/// server function, so its body is the lines themselves.
#[cfg(feature = "ssr")]
pub async fn export_route(
    axum::extract::State(state): axum::extract::State<crate::context::AppState>,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
    parts: http::request::Parts,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let cx = crate::context::RequestContext { state, parts };
    let result = match cx
        .require(crate::access::roles::Permission::AuditRead)
        .await
    {
        Ok(_) => service::export(cx.db(), &query).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(lines) => (
            [
                (
                    http::header::CONTENT_TYPE,
                    "application/x-ndjson; charset=utf-8",
                ),
                (
                    http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"gatehouse-audit-events.jsonl\"",
                ),
            ],
            lines,
        )
            .into_response(),
        Err(e) => (
            http::StatusCode::from_u16(e.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(e),
        )
            .into_response(),
    }
}
