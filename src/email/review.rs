//! What admins do with the outbox (`/admin/emails`, `gatehouse outbox`):
//! list and read messages with their secrets hidden, send one again, and
//! reveal a waiting message's link once.

use sqlx::{any::AnyRow, Row};

use super::outbox::{deliverable, open};
use crate::server::{
    clock,
    db::{Db, Tx},
    secret_key::SecretKey,
};

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
    /// Whether its secret can still be revealed once (sealed, never shown).
    pub revealable: bool,
}

const LIST_COLUMNS: &str =
    "id, recipient, subject, kind, status, attempts, last_error, next_attempt_at,
     created_at, updated_at, sent_at, claim_token,
     case when sealed_body is not null and revealed_at is null
               and kind not in ('password-reset', 'email-verification') then 1 else 0 end as revealable";

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
            revealable: row.try_get::<i64, _>("revealable")? == 1,
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
        "select {LIST_COLUMNS}, text_body as shown_text
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
    /// The secret it carried was wiped (spent, expired, or the message
    /// failed): sending it again would deliver a dead link.
    SecretGone,
}

/// Makes a failed, held or waiting message due now with a fresh set of
/// attempts. Never touches a message that is sent or being delivered.
pub async fn retry(tx: &mut Tx, id: &str) -> sqlx::Result<Retry> {
    let now = clock::now_ms();
    let queued: Option<String> = sqlx::query_scalar(&format!(
        "update outbound_emails set status = 'queued', attempts = 0, next_attempt_at = $1,
             last_error = null, claim_token = null, updated_at = $1
         where id = $2 and status in ('queued', 'failed')
           and (claim_token is null or next_attempt_at <= $1)
           and {}
         returning recipient",
        deliverable("$1")
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(recipient) = queued {
        return Ok(Retry::Queued { recipient });
    }
    let found: Option<(String, bool)> = sqlx::query_as(&format!(
        "select status, case when {} then 0 else 1 end from outbound_emails where id = $1",
        deliverable("$2")
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?
    .map(|(status, gone): (String, i64)| (status, gone == 1));
    Ok(match found {
        None => Retry::NotFound,
        Some((status, _)) if status == "sent" => Retry::NotRetryable { status },
        Some((_, true)) => Retry::SecretGone,
        Some((status, _)) => Retry::NotRetryable { status },
    })
}

/// What a message is about: its kind and the row its secret belongs to
/// (the invitation, or the user of an enrollment or reset).
pub async fn subject_of(tx: &mut Tx, id: &str) -> sqlx::Result<Option<(String, Option<String>)>> {
    sqlx::query_as("select kind, related_id from outbound_emails where id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub enum Reveal {
    /// The deliverable text, shown this once.
    Shown {
        recipient: String,
        text: String,
    },
    NotFound,
    /// Revealed before: a reveal is one-time.
    AlreadyRevealed,
    /// Nothing secret to show: it carried none, or it was wiped.
    NothingSealed,
    /// Sealed under another key.
    Unreadable,
}

/// The one-time reveal of a waiting message (for an admin's `/admin/emails`):
/// marks it revealed in the caller's transaction and opens its sealed copy.
pub async fn reveal(tx: &mut Tx, key: &SecretKey, id: &str) -> sqlx::Result<Reveal> {
    let row = sqlx::query(
        "select recipient, sealed_body, revealed_at, secret_expires_at from outbound_emails where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Reveal::NotFound);
    };
    let recipient: String = row.try_get("recipient")?;
    let sealed: Option<String> = row.try_get("sealed_body")?;
    let revealed_at: Option<i64> = row.try_get("revealed_at")?;
    let expires_at: Option<i64> = row.try_get("secret_expires_at")?;
    let live = expires_at.is_some_and(|at| at > clock::now_ms());
    let Some(sealed) = sealed.filter(|_| live) else {
        return Ok(Reveal::NothingSealed);
    };
    if revealed_at.is_some() {
        return Ok(Reveal::AlreadyRevealed);
    }
    let claimed = sqlx::query(
        "update outbound_emails set revealed_at = $1 where id = $2 and revealed_at is null",
    )
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(Reveal::AlreadyRevealed);
    }
    Ok(match open(key, &sealed) {
        Some((text, _)) => Reveal::Shown { recipient, text },
        None => Reveal::Unreadable,
    })
}

/// A message as the operator's `gatehouse outbox show` prints it: the
/// deliverable text when its sealed copy is there, else the stored one.
pub async fn show(db: &Db, key: &SecretKey, id: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "select recipient, subject, status, text_body, sealed_body from outbound_emails where id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some((recipient, subject, status, stored, sealed)) = row else {
        return Ok(None);
    };
    let (body, note) = match sealed.as_deref().map(|s| open(key, s)) {
        Some(Some((text, _))) => (text, ""),
        Some(None) => (
            stored,
            "(its link cannot be shown: it was sealed with another secret key)\n",
        ),
        None => (
            stored,
            "(its link is no longer kept: sent, spent, expired or failed)\n",
        ),
    };
    Ok(Some(format!(
        "To: {recipient}\nSubject: {subject}\nStatus: {status}\n{note}\n{body}"
    )))
}
