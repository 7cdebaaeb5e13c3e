//! Retention (SPEC §7): what is done with is deleted after a while: emails
//! after they were sent, webhook deliveries once delivered or failed, password-reset and verification tokens after
//! their use or expiry, and audit events only when configured. Expired
//! sessions and rate-limit windows go as they end (`maintenance`).

use std::time::Duration;

use crate::{config::RetentionSettings, server::db::Db};

/// How many rows each prune deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub emails: u64,
    pub tokens: u64,
    pub webhook_deliveries: u64,
    pub audit_events: u64,
}

fn cutoff(now_ms: i64, keep: Duration) -> i64 {
    now_ms.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

pub async fn prune(db: &Db, settings: &RetentionSettings, now_ms: i64) -> sqlx::Result<Pruned> {
    let mut pruned = Pruned::default();
    let emails = cutoff(now_ms, settings.sent_emails);
    pruned.emails =
        sqlx::query("delete from outbound_emails where status = 'sent' and sent_at < $1")
            .bind(emails)
            .execute(db.pool())
            .await?
            .rows_affected();
    // Failed ones too: an endpoint that is gone for good would otherwise
    // grow the table by every event, for ever.
    pruned.webhook_deliveries = sqlx::query(
        "delete from webhook_deliveries where status in ('delivered', 'failed') and updated_at < $1",
    )
    .bind(cutoff(now_ms, settings.delivered_webhooks))
    .execute(db.pool())
    .await?
    .rows_affected();
    let tokens = cutoff(now_ms, settings.spent_tokens);
    for table in ["password_resets", "email_verifications"] {
        pruned.tokens += sqlx::query(&format!(
            "delete from {table} where used_at < $1 or expires_at < $1"
        ))
        .bind(tokens)
        .execute(db.pool())
        .await?
        .rows_affected();
    }
    if let Some(keep) = settings.audit_events {
        pruned.audit_events = sqlx::query("delete from audit_events where created_at < $1")
            .bind(cutoff(now_ms, keep))
            .execute(db.pool())
            .await?
            .rows_affected();
    }
    Ok(pruned)
}
