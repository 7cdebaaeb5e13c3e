//! Outbound email (SPEC §6). A message is written to the outbox in the same
//! transaction as the change that causes it, so it is never lost and never
//! sent for a change that rolled back. Delivery over SMTP is a separate task.

pub mod templates;

use crate::server::{clock, crypto, db::Tx};

/// The kinds of message Gatehouse sends; stored as text in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password-reset",
        }
    }
}

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub kind: Kind,
    pub related_id: Option<String>,
}

/// Queues a message inside the caller's transaction and returns its id.
pub async fn enqueue(tx: &mut Tx, msg: &Message) -> sqlx::Result<String> {
    let id = crypto::new_id();
    let now = clock::now_ms();
    sqlx::query(
        "insert into outbound_emails
             (id, recipient, subject, text_body, html_body, kind, related_id, status, attempts, next_attempt_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8, $8)",
    )
    .bind(&id)
    .bind(&msg.to)
    .bind(&msg.subject)
    .bind(&msg.text)
    .bind(&msg.html)
    .bind(msg.kind.as_str())
    .bind(&msg.related_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// With no mail server configured, the outbox is the delivery: the message
/// stays queued and its text, links included, goes to the log so a first run
/// works without SMTP. Called only after the transaction committed.
pub fn log_undelivered(msg: &Message) {
    tracing::info!(
        to = %msg.to,
        kind = msg.kind.as_str(),
        "email queued (no SMTP server configured); its text follows\n--- {}\n{}\n---",
        msg.subject,
        msg.text
    );
}
