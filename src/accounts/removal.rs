//! Deleting an account (issue 27): by the person, with their password and
//! then a link to their mailbox, or by an admin (`users`). Both go through
//! `remove`, which refuses to leave the instance or an organization without
//! an owner; everything that hangs off the account goes with it, by the
//! schema's cascades, in the same transaction as its audit event.

use std::time::Duration;

use serde_json::json;

use super::{
    profile::confirm_password, required, sessions::Current, store, store::UserRow, DeleteUserBody,
    DeleteUserResponse,
};
use crate::{
    audit,
    config::Config,
    email::{self, outbox::QueueError, templates, Cause},
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

/// How long a "delete my account" link works: long enough to reach the
/// mailbox, short enough that an old email is not a loaded gun.
const LINK_TTL: Duration = Duration::from_secs(3600);

/// Whether `user` is the last enabled holder of the highest role: no
/// *other* holder among `owners` (from `store::lock_holders_of`).
pub fn is_last_owner(config: &Config, owners: &[String], user: &UserRow) -> bool {
    user.role == config.roles.highest().name
        && !user.disabled
        && owners.iter().all(|id| *id == user.id)
}

/// Refuses, inside `tx`, when deleting `user` would leave the instance or
/// one of its organizations without an owner. The owners' rows stay locked
/// (PostgreSQL) for the rest of the transaction.
pub async fn check_removable(tx: &mut Tx, config: &Config, user: &UserRow) -> ApiResult<()> {
    let top = &config.roles.highest().name;
    let owners = store::lock_holders_of(tx, top).await?;
    if is_last_owner(config, &owners, user) {
        return Err(ApiError::new(
            Code::CannotDeleteLastOwner,
            format!(
                "{} is the last {top} of this instance: make someone else {top} first, then delete the account.",
                user.email
            ),
        ));
    }
    if let Some(hook) = config.hooks.account_removing {
        hook(tx, config, &user.id).await?;
    }
    Ok(())
}

/// Deletes `user` inside `tx`, recorded as `action` by `actor_id`.
pub async fn remove(
    tx: &mut Tx,
    config: &Config,
    user: &UserRow,
    actor_id: &str,
    action: &str,
    ip: &str,
) -> ApiResult<()> {
    check_removable(tx, config, user).await?;
    if !store::delete_user(tx, &user.id).await? {
        return Err(ApiError::new(Code::UserNotFound, "There is no such user."));
    }
    audit::record(
        tx,
        audit::Event::new(action)
            .actor(actor_id)
            .target(&user.id)
            .before(json!({ "email": user.email, "name": user.name, "role": user.role }))
            .ip(ip),
    )
    .await?;
    Ok(())
}

/// `delete-user`: with the password, a link goes to the person's mailbox;
/// nothing is deleted until it is followed. Refused at once when the
/// account could not be deleted anyway, so the person is told what to do
/// before they go to their mail.
pub async fn request(
    db: &Db,
    config: &Config,
    me: &Current,
    body: DeleteUserBody,
    ip: &str,
) -> ApiResult<DeleteUserResponse> {
    confirm_password(db, &me.user, required(&body.password, "password")?).await?;
    let user = &me.user;
    let mut tx = db.begin().await?;
    check_removable(&mut tx, config, user).await?;
    let token = crypto::new_token();
    let expires_at = clock::now_ms() + clock::ms(LINK_TTL);
    store::insert_account_deletion(&mut tx, &user.id, &crypto::hash_token(&token), expires_at)
        .await?;
    let mut link = config
        .base_url
        .join("/account/delete")
        .map_err(|_| ApiError::internal())?;
    link.query_pairs_mut().append_pair("token", &token);
    let message = templates::account_deletion(templates::AccountLink {
        to: &user.email,
        name: &user.name,
        link: link.as_str(),
        token: &token,
        expires_in: &templates::spoken(LINK_TTL),
        user_id: &user.id,
    })
    .expiring_at(expires_at);
    match email::enqueue(&mut tx, config, &message, Cause::Public).await {
        Ok(_) => {}
        Err(QueueError::BudgetSpent { .. }) => {
            return Err(ApiError::new(
                Code::EmailBudgetSpent,
                format!(
                    "{} has been sent too many emails recently. Try again later.",
                    user.email
                ),
            ))
        }
        Err(QueueError::Db(e)) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        audit::Event::new("user.delete-requested")
            .actor(&user.id)
            .target(&user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(DeleteUserResponse {
        success: true,
        message: "Verification email sent".into(),
    })
}

/// `delete-user/callback`: the link from the mailbox deletes the account,
/// unless it became the last owner of something since.
pub async fn confirm(
    db: &Db,
    config: &Config,
    token: &str,
    ip: &str,
) -> ApiResult<DeleteUserResponse> {
    let mut tx = db.begin().await?;
    let invalid = || {
        ApiError::new(
            Code::InvalidToken,
            "This link is invalid, used or expired. Ask for a new one on your account page.",
        )
    };
    let user_id = store::consume_account_deletion(
        &mut tx,
        &crypto::hash_token(token.trim()),
        clock::now_ms(),
    )
    .await?
    .ok_or_else(invalid)?;
    let user = store::find_by_id(&mut tx, &user_id)
        .await?
        .ok_or_else(invalid)?;
    remove(&mut tx, config, &user, &user.id, "user.delete", ip).await?;
    tx.commit().await?;
    Ok(DeleteUserResponse {
        success: true,
        message: "User deleted".into(),
    })
}
