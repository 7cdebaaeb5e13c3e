//! The outbox table: queueing a message inside the transaction of the change
//! that causes it, claiming due messages for delivery (once, across nodes,
//! `server::queue`), recording outcomes, and wiping a secret that no longer
//! works. What the admin view reads, retries and reveals is `review`.

use sqlx::Row;

use crate::{
    config::{Config, Limit},
    error::{ApiError, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
        queue,
        rate_limit::{self, Wait},
        secret_key::SecretKey,
    },
};

/// The kinds of message Gatehouse sends; stored as text in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
    RoleInvitation,
    RoleUpgrade,
    Enrollment,
    EmailVerification,
    OrganizationInvitation,
    /// The answer to a request to join an organization.
    JoinRequest,
    /// The code that proves an organization's email domain.
    DomainCode,
    /// The old address told of a change to another.
    EmailChangeNotice,
    /// The link that confirms "delete my account".
    AccountDeletion,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password-reset",
            Kind::RoleInvitation => "role-invitation",
            Kind::RoleUpgrade => "role-upgrade",
            Kind::Enrollment => "enrollment",
            Kind::EmailVerification => "email-verification",
            Kind::OrganizationInvitation => "organization-invitation",
            Kind::JoinRequest => "join-request",
            Kind::DomainCode => "domain-code",
            Kind::EmailChangeNotice => "email-change-notice",
            Kind::AccountDeletion => "account-deletion",
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
    /// The token or code the message carries. The stored bodies show
    /// `HIDDEN` in its place; the deliverable copy is sealed (SPEC §6).
    pub secret: Option<String>,
    /// When that secret stops working: the sealed copy is wiped then.
    pub secret_expires_at: Option<i64>,
}

impl Message {
    pub fn expiring_at(self, at: i64) -> Self {
        Self {
            secret_expires_at: Some(at),
            ..self
        }
    }
}

/// Who caused a message. Each cause has budgets of its own (SPEC §6), so a
/// stranger asking for password resets cannot use up the budget of the
/// invitations and enrollment emails an admin sends, and no organization's
/// invitations spend either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause<'a> {
    /// Anyone can ask for it (a password reset, a verification email).
    Public,
    /// An instance admin's action (a role invitation, an enrollment link).
    Admin,
    /// An organization's invitation, sent by one of its members: budgets
    /// per recipient, per organization and per sender.
    Organization {
        organization_id: &'a str,
        sender_id: &'a str,
    },
}

impl Cause<'_> {
    /// Each budget this message spends: its counter's key, its limit, and
    /// what to tell the sender when it is spent.
    fn budgets(self, config: &Config, to: &str) -> Vec<(String, Limit, Spent)> {
        let limits = &config.rate_limits;
        match self {
            Cause::Public => vec![(
                format!("email-to:{to}"),
                limits.email_per_recipient,
                Spent::Recipient,
            )],
            Cause::Admin => vec![(
                format!("email-to-admin:{to}"),
                limits.email_per_recipient_admin,
                Spent::Recipient,
            )],
            Cause::Organization {
                organization_id,
                sender_id,
            } => vec![
                (
                    format!("org-email-to:{to}"),
                    limits.organization_email_per_recipient,
                    Spent::Recipient,
                ),
                (
                    format!("org-email-from-org:{organization_id}"),
                    limits.organization_email_per_organization,
                    Spent::Organization,
                ),
                (
                    format!("org-email-from-user:{sender_id}"),
                    limits.organization_email_per_sender,
                    Spent::Sender,
                ),
            ],
        }
    }
}

/// Which budget a message found spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Recipient,
    Organization,
    Sender,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Deliverable {
    text: String,
    html: String,
}

/// What a stored body shows in place of the secret it carried.
pub const HIDDEN: &str = "[hidden]";

/// A message stays `queued` with this due time when no mail server is
/// configured: it was written to the log, and waits for an admin's retry.
pub const HELD: i64 = i64::MAX;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("an email budget is spent ({spent:?}, to {recipient}); try again in {wait}")]
    BudgetSpent {
        spent: Spent,
        recipient: String,
        wait: Wait,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::BudgetSpent {
                spent,
                recipient,
                wait,
            } => {
                let message = match spent {
                    Spent::Recipient => format!(
                        "{recipient} has been sent too many emails recently. Try again in {wait}."
                    ),
                    Spent::Organization => format!(
                        "This organization has sent as many invitation emails as it may for now. Try again in {wait}."
                    ),
                    Spent::Sender => format!(
                        "You have sent as many invitation emails as you may for now. Try again in {wait}."
                    ),
                };
                ApiError::too_many(Code::EmailBudgetSpent, message, wait.seconds())
            }
            QueueError::Db(e) => e.into(),
        }
    }
}

/// Queues a message inside the caller's transaction and returns its id.
/// Once any budget of its `cause` is spent for the window the message is
/// refused, so a form cannot be turned into a way to flood someone's
/// mailbox; the budgets are spent in the caller's transaction, so a
/// refused change spends none. Only the redacted bodies are stored in the
/// clear; the deliverable ones are sealed under the instance key.
pub async fn enqueue(
    tx: &mut Tx,
    config: &Config,
    msg: &Message,
    cause: Cause<'_>,
) -> Result<String, QueueError> {
    let now = clock::now_ms();
    for (key, limit, spent) in cause.budgets(config, &msg.to) {
        if let Some(wait) = rate_limit::spend(&mut **tx, &key, limit, now).await? {
            return Err(QueueError::BudgetSpent {
                spent,
                recipient: msg.to.clone(),
                wait,
            });
        }
    }
    let secret = msg.secret.as_deref().filter(|s| !s.is_empty());
    let (text, html, sealed) = match secret {
        None => (msg.text.clone(), msg.html.clone(), None),
        Some(secret) => {
            let deliverable = serde_json::to_vec(&Deliverable {
                text: msg.text.clone(),
                html: msg.html.clone(),
            })
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            (
                msg.text.replace(secret, HIDDEN),
                msg.html.replace(secret, HIDDEN),
                Some(config.secret_key.seal(&deliverable)),
            )
        }
    };
    let id = crypto::new_id();
    sqlx::query(
        "insert into outbound_emails
             (id, recipient, subject, text_body, html_body, sealed_body, secret_expires_at,
              kind, related_id, status, attempts, next_attempt_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $10, $10)",
    )
    .bind(&id)
    .bind(&msg.to)
    .bind(&msg.subject)
    .bind(&text)
    .bind(&html)
    .bind(&sealed)
    // A secret without a known end is kept no longer than a day.
    .bind(secret.map(|_| msg.secret_expires_at.unwrap_or(now + 24 * 3600 * 1000)))
    .bind(msg.kind.as_str())
    .bind(&msg.related_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The text body of a sealed deliverable copy (for the tests and tools that
/// read the outbox as the recipient would).
pub fn open_text(key: &SecretKey, sealed: &str) -> Option<String> {
    open(key, sealed).map(|(text, _)| text)
}

/// Opens a sealed deliverable copy: its text and HTML bodies.
pub(super) fn open(key: &SecretKey, sealed: &str) -> Option<(String, String)> {
    let bytes = key.open(sealed)?;
    let d: Deliverable = serde_json::from_slice(&bytes).ok()?;
    Some((d.text, d.html))
}

/// A message one sender holds the claim on.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub claim: String,
    pub recipient: String,
    pub subject: String,
    /// The redacted bodies, as stored.
    pub text_body: String,
    pub html_body: String,
    /// The deliverable copy, sealed; None when the message carries no secret.
    pub sealed: Option<String>,
    pub kind: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

impl Claimed {
    /// The bodies to put on the wire: the sealed copy opened, or the stored
    /// ones for a message that carries no secret.
    pub fn deliverable(&self, key: &SecretKey) -> Result<(String, String), String> {
        match &self.sealed {
            None => Ok((self.text_body.clone(), self.html_body.clone())),
            Some(sealed) => open(key, sealed).ok_or_else(|| {
                "Its sealed copy does not open with this node's secret key: every node must \
                 share one (GATEHOUSE_SECRET_KEY)."
                    .to_owned()
            }),
        }
    }
}

/// Claims the most overdue queued message that can still go out, if any
/// (`server::queue::claim`).
pub async fn claim_next(db: &Db, lease_ms: i64) -> sqlx::Result<Option<Claimed>> {
    let deliverable = deliverable("$3");
    let pick = format!(
        "select id from outbound_emails
         where status = 'queued' and next_attempt_at <= $3 and {deliverable}
         order by next_attempt_at, created_at limit 1 {{lock}}"
    );
    let next = queue::Next {
        table: "outbound_emails",
        pick: &pick,
        lock: "for update skip locked",
        still: Some(&deliverable),
        returning: "id, recipient, subject, text_body, html_body, sealed_body, kind, attempts",
    };
    let mut tx = db.begin().await?;
    let claimed = queue::claim(&mut tx, next, lease_ms, clock::now_ms()).await?;
    tx.commit().await?;
    let Some((claim, row)) = claimed else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        id: row.try_get("id")?,
        claim,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        text_body: row.try_get("text_body")?,
        html_body: row.try_get("html_body")?,
        sealed: row.try_get("sealed_body")?,
        kind: row.try_get("kind")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
    }))
}

/// A message that can still go out: it carries no secret, or its sealed
/// copy is there and its secret has not expired; `now` names the parameter
/// that holds the time.
pub(super) fn deliverable(now: &str) -> String {
    format!(
        "(secret_expires_at is null or (sealed_body is not null and secret_expires_at > {now}))"
    )
}

/// When the next queued message comes due (held ones never do).
/// Only messages `claim_next` would take count: one that is due but can no
/// longer go out (its secret expired or was wiped) must not keep the sender
/// from sleeping.
pub async fn next_due(db: &Db) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(&format!(
        "select min(next_attempt_at) from outbound_emails
         where status = 'queued' and next_attempt_at < $1 and {}",
        deliverable("$2")
    ))
    .bind(HELD)
    .bind(clock::now_ms())
    .fetch_one(db.pool())
    .await
}

/// Records a delivery. The deliverable bodies give way to the redacted ones:
/// the secret has reached its mailbox and is needed here no longer.
/// Each `mark_*` answers whether the claim still held.
pub async fn mark_sent(db: &Db, c: &Claimed) -> sqlx::Result<bool> {
    let sql = queue::recording(
        "outbound_emails",
        "status = 'sent', sent_at = $3, updated_at = $3, attempts = attempts + 1,
         last_error = null, sealed_body = null",
    );
    queue::record(db, &sql, (&c.id, &c.claim), |q| q.bind(clock::now_ms())).await
}

/// Records a failed attempt: the message is due again at `retry_at`, or,
/// with None, it is `failed` for good, and a secret it carried is wiped (an
/// admin sends the invitation or reset again, with a fresh one).
pub async fn mark_attempt_failed(
    db: &Db,
    c: &Claimed,
    error: &str,
    retry_at: Option<i64>,
) -> sqlx::Result<bool> {
    let sql = queue::failure(
        "outbound_emails",
        "last_error = $6, sealed_body = case when $3 = 'failed' then null else sealed_body end",
    );
    queue::record_failure(db, &sql, (&c.id, &c.claim), retry_at, |q| q.bind(error)).await
}

/// With no mail server, a message is held: it stays queued, marked as not
/// delivered, until an admin retries it (or its secret is spent or expires).
pub async fn hold(db: &Db, c: &Claimed, reason: &str) -> sqlx::Result<bool> {
    let sql = queue::recording(
        "outbound_emails",
        "next_attempt_at = $3, updated_at = $4, last_error = $5",
    );
    queue::record(db, &sql, (&c.id, &c.claim), |q| {
        q.bind(HELD).bind(clock::now_ms()).bind(reason)
    })
    .await
}

/// Wipes the sealed copies of the messages that carry the secret of
/// `related_id` (its reset, enrollment or invitation), because that secret
/// was spent, replaced or canceled. A message still waiting fails: what it
/// would deliver no longer works.
pub async fn forget_secret(
    tx: &mut Tx,
    kinds: &[Kind],
    related_id: &str,
    reason: &str,
) -> sqlx::Result<()> {
    for kind in kinds {
        sqlx::query(&format!(
            "update outbound_emails set {WIPE}
             where kind = $3 and related_id = $4 and sealed_body is not null"
        ))
        .bind(clock::now_ms())
        .bind(reason)
        .bind(kind.as_str())
        .bind(related_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Wipes a message's sealed copy; one still waiting fails, with `$2` as its
/// reason (`$1` is now), since what it would deliver no longer works.
const WIPE: &str = "sealed_body = null, updated_at = $1,
     status = case when status = 'queued' then 'failed' else status end,
     last_error = case when status = 'queued' then $2 else last_error end";

/// The kinds of message that carry a role invitation's secret.
pub const INVITATION_KINDS: &[Kind] = &[Kind::RoleInvitation, Kind::RoleUpgrade];

/// Wipes the sealed copies whose secret has expired; run now and then.
pub async fn forget_expired(db: &Db, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(&format!(
        "update outbound_emails set {WIPE}
         where sealed_body is not null and secret_expires_at <= $1"
    ))
    .bind(now)
    .bind("Its link expired before it was delivered.")
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
