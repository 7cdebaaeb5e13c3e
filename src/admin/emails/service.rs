//! The admin endpoints over the outbox: list, read, retry and the one-time
//! reveal of a waiting message.

use serde_json::json;

use super::{EmailDetail, EmailList, EmailView, RevealedEmail, PAGE_SIZE, STATUSES};
use crate::{
    access::{ranks, roles::Permission},
    accounts::store::{self as accounts, UserRow},
    audit,
    config::Config,
    email::{
        outbox::{self, Kind},
        review::{self, Retry, Reveal, Stored},
    },
    error::StatusResponse,
    error::{ApiError, ApiResult, Code},
    invitations::store::role as role_invitations,
    server::{
        clock,
        db::{Db, Tx},
    },
};

/// The list's status filter, checked.
pub fn status_filter(status: Option<&str>) -> ApiResult<Option<&str>> {
    Ok(match status.map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidStatus,
                format!(
                    "`{other}` is not a status; use one of {}.",
                    STATUSES.join(", ")
                ),
            ))
        }
    })
}

/// A page of messages, newest first.
pub async fn list(
    db: &Db,
    config: &Config,
    status: Option<&str>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<EmailList> {
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let offset = i64::from(offset.unwrap_or(0));
    let (rows, total) = review::list(db, status, limit, offset).await?;
    Ok(EmailList {
        emails: rows.into_iter().map(view).collect(),
        total,
        smtp_configured: config.smtp.is_some(),
    })
}

/// One message, its link or code hidden.
pub async fn get(db: &Db, id: &str) -> ApiResult<EmailDetail> {
    let (row, text) = review::get(db, id).await?.ok_or_else(not_found)?;
    Ok(EmailDetail {
        email: view(row),
        text,
    })
}

/// Queues a message again; the caller wakes the sender.
pub async fn retry(db: &Db, admin: &UserRow, id: &str, ip: &str) -> ApiResult<StatusResponse> {
    let mut tx = db.begin().await?;
    match review::retry(&mut tx, id).await? {
        Retry::Queued { recipient } => {
            audit::record(
                &mut tx,
                audit::Event::new("email.retry")
                    .actor(&admin.id)
                    .target(id)
                    .after(json!({ "recipient": recipient }))
                    .ip(ip),
            )
            .await?;
            tx.commit().await?;
            Ok(StatusResponse {
                status: true,
                message: Some(format!("The message to {recipient} is queued again.")),
            })
        }
        Retry::NotFound => Err(not_found()),
        Retry::SecretGone => Err(ApiError::new(
            Code::EmailSecretGone,
            "The link in this message no longer works (it was used, replaced, canceled or \
             expired, or delivery failed for good), so it is not sent again. Send the \
             invitation, enrollment or reset again instead.",
        )),
        Retry::NotRetryable { status } => Err(ApiError::new(
            Code::EmailNotRetryable,
            if status == "sent" {
                "This message was already delivered.".to_owned()
            } else {
                "This message is being delivered right now.".to_owned()
            },
        )),
    }
}

/// Shows a waiting message as it would be delivered, link included, once
/// (SPEC §6): for an admin who must pass an invitation on by hand while no
/// mail server is configured. Each reveal is audited.
pub async fn reveal(
    db: &Db,
    config: &Config,
    admin: &UserRow,
    id: &str,
    ip: &str,
) -> ApiResult<RevealedEmail> {
    let mut tx = db.begin().await?;
    let (kind, related) = review::subject_of(&mut tx, id)
        .await?
        .ok_or_else(not_found)?;
    // The actor as they are now, not as the session found them.
    let role = accounts::find_by_id(&mut tx, &admin.id)
        .await?
        .filter(|me| !me.disabled)
        .ok_or_else(ApiError::unauthenticated)?
        .role;
    may_reveal(&mut tx, config, &role, &kind, related.as_deref()).await?;
    match review::reveal(&mut tx, &config.secret_key, id).await? {
        Reveal::Shown { recipient, text } => {
            audit::record(
                &mut tx,
                audit::Event::new("email.reveal")
                    .actor(&admin.id)
                    .target(id)
                    .after(json!({ "recipient": recipient }))
                    .ip(ip),
            )
            .await?;
            tx.commit().await?;
            Ok(RevealedEmail {
                id: id.to_owned(),
                text,
            })
        }
        Reveal::NotFound => Err(not_found()),
        Reveal::AlreadyRevealed => Err(ApiError::new(
            Code::EmailAlreadyRevealed,
            "This message was revealed once already; a reveal is one-time. Send the invitation \
             or reset again for a fresh link.",
        )),
        Reveal::NothingSealed => Err(ApiError::new(
            Code::EmailSecretGone,
            "This message holds no usable link any more: it was sent, spent, expired or failed.",
        )),
        Reveal::Unreadable => {
            tracing::error!(
                id,
                "a sealed email does not open with this node's secret key"
            );
            Err(ApiError::new(
                Code::EmailUnreadable,
                "This message was sealed with another secret key; every node must share one.",
            ))
        }
    }
}

/// A reveal hands over what the link grants, so it needs the authority to
/// grant it: for an invitation, `invite:create` and its role within one's
/// own rank; for an enrollment, `user:create` and an account one may act
/// on. A reset or verification link belongs to its recipient alone
/// (revealing it would let an admin take over an account).
async fn may_reveal(
    tx: &mut Tx,
    config: &Config,
    role: &str,
    kind: &str,
    related: Option<&str>,
) -> ApiResult<()> {
    let refused = |why: &str| ApiError::new(Code::EmailNotRevealable, why);
    let allowed = match (kind, related) {
        (k, Some(id)) if k == Kind::RoleInvitation.as_str() || k == Kind::RoleUpgrade.as_str() => {
            match role_invitations::find_by_id(tx, id).await? {
                // `may_grant` checks `invite:create` too.
                Some(invite) => ranks::may_grant(
                    &config.roles,
                    config.invitations.rank_rule,
                    role,
                    &invite.role,
                )
                .is_ok(),
                None => false,
            }
        }
        (k, Some(id)) if k == Kind::Enrollment.as_str() => {
            match accounts::find_by_id(tx, id).await? {
                Some(user) => {
                    config.roles.allows(role, Permission::UserCreate)
                        && ranks::may_act_on(&config.roles, role, &user.role)
                }
                None => false,
            }
        }
        (k, _) if k == Kind::PasswordReset.as_str() || k == Kind::EmailVerification.as_str() => {
            return Err(refused(
                "A password reset or verification link belongs to its recipient alone and is never revealed.",
            ))
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(refused(
            "Revealing this link would grant a role above your own; someone with a higher role can.",
        ))
    }
}

fn not_found() -> ApiError {
    ApiError::new(Code::EmailNotFound, "There is no such message.")
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
        revealable: row.revealable,
        created_at: clock::rfc3339(row.created_at),
        updated_at: clock::rfc3339(row.updated_at),
        sent_at: row.sent_at.map(clock::rfc3339),
    }
}
