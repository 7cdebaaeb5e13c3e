//! The outbox table: queueing a message inside the transaction of the change
//! that causes it, claiming due messages for delivery (once, across nodes),
//! recording outcomes, and what the admin view reads and retries.

use sqlx::{any::AnyRow, Row};

use crate::{
    config::Limit,
    error::ApiError,
    server::{
        clock, crypto,
        db::{Backend, Db, Tx},
        rate_limit,
    },
};

/// The kinds of message Gatehouse sends; stored as text in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
    RoleInvitation,
    RoleUpgrade,
    Enrollment,
    OrganizationInvitation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password-reset",
            Kind::RoleInvitation => "role-invitation",
            Kind::RoleUpgrade => "role-upgrade",
            Kind::Enrollment => "enrollment",
            Kind::OrganizationInvitation => "organization-invitation",
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
    /// The token or code the message carries. It is hidden in the copy the
    /// admin view shows, and in the stored bodies once the message is sent.
    pub secret: Option<String>,
}

/// What a stored body shows in place of the secret it carried.
pub const HIDDEN: &str = "[hidden]";

/// A message stays `queued` with this due time when no mail server is
/// configured: it was written to the log, and waits for an admin's retry.
pub const HELD: i64 = i64::MAX;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("too many emails to {recipient}; try again in {wait}")]
    RecipientLimit { recipient: String, wait: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::RecipientLimit { recipient, wait } => ApiError::new(
                429,
                "TOO_MANY_EMAILS",
                format!("{recipient} has been sent too many emails recently. Try again in {wait}."),
            ),
            QueueError::Db(e) => e.into(),
        }
    }
}

/// Queues a message inside the caller's transaction and returns its id. A
/// recipient who has had `limit` messages in the window gets no more, so a
/// form cannot be turned into a way to flood someone's mailbox.
pub async fn enqueue(tx: &mut Tx, msg: &Message, limit: Limit) -> Result<String, QueueError> {
    let now = clock::now_ms();
    let key = format!("email-to:{}", msg.to);
    if let Some(wait) = rate_limit::spend(&mut **tx, &key, limit, now).await? {
        return Err(QueueError::RecipientLimit {
            recipient: msg.to.clone(),
            wait,
        });
    }
    let redacted = msg
        .secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| (msg.text.replace(s, HIDDEN), msg.html.replace(s, HIDDEN)));
    let id = crypto::new_id();
    sqlx::query(
        "insert into outbound_emails
             (id, recipient, subject, text_body, html_body, redacted_text_body, redacted_html_body,
              kind, related_id, status, attempts, next_attempt_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $10, $10)",
    )
    .bind(&id)
    .bind(&msg.to)
    .bind(&msg.subject)
    .bind(&msg.text)
    .bind(&msg.html)
    .bind(redacted.as_ref().map(|r| r.0.as_str()))
    .bind(redacted.as_ref().map(|r| r.1.as_str()))
    .bind(msg.kind.as_str())
    .bind(&msg.related_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A message one sender holds the claim on.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub claim: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub kind: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// Claims the most overdue queued message, if any. The claim pushes the due
/// time out by `lease_ms`, so no other sender sees the message while this one
/// works on it, and a sender that dies mid-way only delays it by the lease.
/// PostgreSQL skips rows another node is claiming; SQLite's write lock
/// (`BEGIN IMMEDIATE`) makes the select-and-update atomic.
pub async fn claim_next(db: &Db, lease_ms: i64) -> sqlx::Result<Option<Claimed>> {
    let now = clock::now_ms();
    let lock = match db.backend() {
        Backend::Postgres => "for update skip locked",
        Backend::Sqlite => "",
    };
    let claim = crypto::new_id();
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "update outbound_emails set claim_token = $1, next_attempt_at = $2, updated_at = $3
         where id = (select id from outbound_emails
                     where status = 'queued' and next_attempt_at <= $3
                     order by next_attempt_at, created_at limit 1 {lock})
           and status = 'queued' and next_attempt_at <= $3
         returning id, recipient, subject, text_body, html_body, kind, attempts"
    ))
    .bind(&claim)
    .bind(now.saturating_add(lease_ms))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|row| {
        Ok(Claimed {
            id: row.try_get("id")?,
            claim,
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            text_body: row.try_get("text_body")?,
            html_body: row.try_get("html_body")?,
            kind: row.try_get("kind")?,
            attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        })
    })
    .transpose()
}

/// When the next queued message comes due (held ones never do).
pub async fn next_due(db: &Db) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select min(next_attempt_at) from outbound_emails where status = 'queued' and next_attempt_at < $1")
        .bind(HELD)
        .fetch_one(db.pool())
        .await
}

/// Records a delivery. The deliverable bodies give way to the redacted ones:
/// the secret has reached its mailbox and is needed here no longer.
/// Each `mark_*` answers whether the claim still held.
pub async fn mark_sent(db: &Db, c: &Claimed) -> sqlx::Result<bool> {
    let now = clock::now_ms();
    sqlx::query(
        "update outbound_emails set status = 'sent', sent_at = $1, updated_at = $1,
             attempts = attempts + 1, last_error = null, claim_token = null,
             text_body = coalesce(redacted_text_body, text_body),
             html_body = coalesce(redacted_html_body, html_body),
             redacted_text_body = null, redacted_html_body = null
         where id = $2 and claim_token = $3",
    )
    .bind(now)
    .bind(&c.id)
    .bind(&c.claim)
    .execute(db.pool())
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Records a failed attempt: the message is due again at `retry_at`, or,
/// with None, it is `failed` for good (until an admin retries it).
pub async fn mark_attempt_failed(
    db: &Db,
    c: &Claimed,
    error: &str,
    retry_at: Option<i64>,
) -> sqlx::Result<bool> {
    let now = clock::now_ms();
    let (status, due) = match retry_at {
        Some(at) => ("queued", at),
        None => ("failed", now),
    };
    sqlx::query(
        "update outbound_emails set status = $1, next_attempt_at = $2, updated_at = $3,
             attempts = attempts + 1, last_error = $4, claim_token = null
         where id = $5 and claim_token = $6",
    )
    .bind(status)
    .bind(due)
    .bind(now)
    .bind(error)
    .bind(&c.id)
    .bind(&c.claim)
    .execute(db.pool())
    .await
    .map(|done| done.rows_affected() == 1)
}

/// With no mail server, a message is written to the log and then held: it
/// stays queued, marked as not delivered, until an admin retries it.
pub async fn hold(db: &Db, c: &Claimed, reason: &str) -> sqlx::Result<bool> {
    sqlx::query(
        "update outbound_emails set next_attempt_at = $1, updated_at = $2, last_error = $3, claim_token = null
         where id = $4 and claim_token = $5",
    )
    .bind(HELD)
    .bind(clock::now_ms())
    .bind(reason)
    .bind(&c.id)
    .bind(&c.claim)
    .execute(db.pool())
    .await
    .map(|done| done.rows_affected() == 1)
}

/// What the admin view lists.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    /// Whether a sender is working on it right now.
    pub claimed: bool,
}

const LIST_COLUMNS: &str =
    "id, recipient, subject, kind, status, attempts, last_error, next_attempt_at,
     created_at, updated_at, sent_at, claim_token";

impl Stored {
    fn from_row(row: &AnyRow, now: i64) -> sqlx::Result<Self> {
        let next_attempt_at: i64 = row.try_get("next_attempt_at")?;
        let claim: Option<String> = row.try_get("claim_token")?;
        Ok(Self {
            id: row.try_get("id")?,
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            kind: row.try_get("kind")?,
            status: row.try_get("status")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
            next_attempt_at,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            sent_at: row.try_get("sent_at")?,
            claimed: claim.is_some() && next_attempt_at > now,
        })
    }
}

/// A page of messages, newest first, and how many match in all.
pub async fn list(
    db: &Db,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Stored>, i64)> {
    let now = clock::now_ms();
    // An empty filter matches all. (`$1 is null` would leave PostgreSQL
    // guessing the parameter's type.)
    let filter = "where ($1 = '' or status = $1)";
    let status = status.unwrap_or("");
    let rows = sqlx::query(&format!(
        "select {LIST_COLUMNS} from outbound_emails {filter}
         order by created_at desc, id limit $2 offset $3"
    ))
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from outbound_emails {filter}"))
        .bind(status)
        .fetch_one(db.pool())
        .await?;
    let rows = rows
        .iter()
        .map(|r| Stored::from_row(r, now))
        .collect::<sqlx::Result<_>>()?;
    Ok((rows, total))
}

/// One message with its text body, secrets hidden.
pub async fn get(db: &Db, id: &str) -> sqlx::Result<Option<(Stored, String)>> {
    let now = clock::now_ms();
    let row = sqlx::query(&format!(
        "select {LIST_COLUMNS}, coalesce(redacted_text_body, text_body) as shown_text
         from outbound_emails where id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((Stored::from_row(&r, now)?, r.try_get("shown_text")?)))
        .transpose()
}

pub enum Retry {
    Queued {
        recipient: String,
    },
    NotFound,
    /// Sent already, or a sender is delivering it at this moment.
    NotRetryable {
        status: String,
    },
}

/// Makes a failed, held or waiting message due now with a fresh set of
/// attempts. Never touches a message that is sent or being delivered.
pub async fn retry(tx: &mut Tx, id: &str) -> sqlx::Result<Retry> {
    let now = clock::now_ms();
    let queued: Option<String> = sqlx::query_scalar(
        "update outbound_emails set status = 'queued', attempts = 0, next_attempt_at = $1,
             last_error = null, claim_token = null, updated_at = $1
         where id = $2 and status in ('queued', 'failed')
           and (claim_token is null or next_attempt_at <= $1)
         returning recipient",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(recipient) = queued {
        return Ok(Retry::Queued { recipient });
    }
    let status: Option<String> =
        sqlx::query_scalar("select status from outbound_emails where id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match status {
        None => Retry::NotFound,
        Some(status) => Retry::NotRetryable { status },
    })
}
