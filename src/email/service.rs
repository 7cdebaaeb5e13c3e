//! The admin endpoints over the outbox: list, read and retry.

use serde_json::json;

use super::{
    outbox::{self, Retry, Stored},
    EmailDetail, EmailIdBody, EmailList, EmailView, PAGE_SIZE, STATUSES,
};
use crate::{
    accounts::{required, StatusResponse},
    error::{ApiError, ApiResult},
    roles::Permission,
    server::{audit, clock, context::RequestContext},
};

pub async fn list(
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<EmailList> {
    let cx = RequestContext::current()?;
    cx.require(Permission::EmailList).await?;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(other) => {
            return Err(ApiError::bad_request(
                "INVALID_STATUS",
                format!(
                    "`{other}` is not a status; use one of {}.",
                    STATUSES.join(", ")
                ),
            ))
        }
    };
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let offset = i64::from(offset.unwrap_or(0));
    let (rows, total) = outbox::list(cx.db(), status, limit, offset).await?;
    Ok(EmailList {
        emails: rows.into_iter().map(view).collect(),
        total,
        smtp_configured: cx.config().smtp.is_some(),
    })
}

pub async fn get(id: String) -> ApiResult<EmailDetail> {
    let cx = RequestContext::current()?;
    cx.require(Permission::EmailList).await?;
    let (row, text) = outbox::get(cx.db(), &id).await?.ok_or_else(not_found)?;
    Ok(EmailDetail {
        email: view(row),
        text,
    })
}

pub async fn retry(body: EmailIdBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let admin = cx.require(Permission::EmailRetry).await?;
    let id = required(&body.id, "id")?;
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    match outbox::retry(&mut tx, id).await? {
        Retry::Queued { recipient } => {
            audit::record(
                &mut tx,
                audit::Event::new("email.retry")
                    .actor(&admin.user.id)
                    .target(id)
                    .after(json!({ "recipient": recipient }))
                    .ip(&ip),
            )
            .await?;
            tx.commit().await?;
            cx.state.mail.wake();
            Ok(StatusResponse {
                status: true,
                message: Some(format!("The message to {recipient} is queued again.")),
            })
        }
        Retry::NotFound => Err(not_found()),
        Retry::NotRetryable { status } => Err(ApiError::conflict(
            "EMAIL_NOT_RETRYABLE",
            if status == "sent" {
                "This message was already delivered.".to_owned()
            } else {
                "This message is being delivered right now.".to_owned()
            },
        )),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("EMAIL_NOT_FOUND", "There is no such message.")
}

fn view(row: Stored) -> EmailView {
    let waiting = row.status == "queued" && row.next_attempt_at != outbox::HELD && !row.claimed;
    EmailView {
        id: row.id,
        recipient: row.recipient,
        subject: row.subject,
        kind: row.kind,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        next_attempt_at: waiting.then(|| clock::rfc3339(row.next_attempt_at)),
        sending: row.claimed,
        created_at: clock::rfc3339(row.created_at),
        updated_at: clock::rfc3339(row.updated_at),
        sent_at: row.sent_at.map(clock::rfc3339),
    }
}
