//! Account queries. The password hash only ever leaves the database through
//! `find_for_sign_in`, and it is never part of `UserRow`.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock,
    db::{Db, Tx},
};

use super::UserView;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub role: String,
    /// Disabled by an admin: Better Auth's "banned". A ban may carry a
    /// reason and an end (`ban_expires`, ms), after which sign-in lifts it.
    pub disabled: bool,
    pub ban_reason: Option<String>,
    pub ban_expires: Option<i64>,
    /// Sign-in asks for a second factor (a TOTP or backup code).
    pub two_factor_enabled: bool,
    pub image: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    /// The user columns of a query over `users u`, prefixed so they can sit
    /// beside another table's columns in one row.
    pub const COLUMNS_AS_U: &'static str = "u.id as u_id, u.email as u_email, u.name as u_name, \
        u.email_verified as u_email_verified, u.role as u_role, u.disabled as u_disabled, u.ban_reason as u_ban_reason, \
        u.ban_expires as u_ban_expires, u.two_factor_enabled as u_two_factor_enabled, u.image as u_image, \
        u.created_at as u_created_at, u.updated_at as u_updated_at";

    pub fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("u_id")?,
            email: row.try_get("u_email")?,
            name: row.try_get("u_name")?,
            email_verified: row.try_get::<i64, _>("u_email_verified")? != 0,
            role: row.try_get("u_role")?,
            disabled: row.try_get::<i64, _>("u_disabled")? != 0,
            ban_reason: row.try_get("u_ban_reason")?,
            ban_expires: row.try_get("u_ban_expires")?,
            two_factor_enabled: row.try_get::<i64, _>("u_two_factor_enabled")? != 0,
            image: row.try_get("u_image")?,
            created_at: row.try_get("u_created_at")?,
            updated_at: row.try_get("u_updated_at")?,
        })
    }

    pub fn view(&self) -> UserView {
        UserView {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            image: self.image.clone(),
            created_at: clock::rfc3339(self.created_at),
            updated_at: clock::rfc3339(self.updated_at),
            role: self.role.clone(),
            banned: self.disabled,
            ban_reason: self.ban_reason.clone(),
            ban_expires: self.ban_expires.map(clock::rfc3339),
            two_factor_enabled: self.two_factor_enabled,
        }
    }
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub email_verified: bool,
}

/// Inserts a user; a taken email surfaces as a unique violation. The
/// service's one caller is `create::create_account`; the test harness also
/// makes accounts directly with it.
pub async fn insert_user(tx: &mut Tx, new: NewUser<'_>) -> sqlx::Result<UserRow> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into users (id, email, name, email_verified, role, disabled, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 0, $6, $6)",
    )
    .bind(new.id)
    .bind(new.email)
    .bind(new.name)
    .bind(i64::from(new.email_verified))
    .bind(new.role)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(UserRow {
        id: new.id.to_owned(),
        email: new.email.to_owned(),
        name: new.name.to_owned(),
        email_verified: new.email_verified,
        role: new.role.to_owned(),
        disabled: false,
        ban_reason: None,
        ban_expires: None,
        two_factor_enabled: false,
        image: None,
        created_at: now,
        updated_at: now,
    })
}

/// Sets (or replaces) a user's password hash.
pub async fn set_password_hash(tx: &mut Tx, user_id: &str, phc: &str) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into credentials (user_id, password_hash, created_at, updated_at) values ($1, $2, $3, $3)
         on conflict (user_id) do update set password_hash = excluded.password_hash, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(phc)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Gives a user their first password; false when they already have one,
/// which is then left as it is.
pub async fn insert_first_password(tx: &mut Tx, user_id: &str, phc: &str) -> sqlx::Result<bool> {
    let now = clock::now_ms();
    let done = sqlx::query(
        "insert into credentials (user_id, password_hash, created_at, updated_at) values ($1, $2, $3, $3)
         on conflict (user_id) do nothing",
    )
    .bind(user_id)
    .bind(phc)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user with this email and their password hash, if they have one.
pub async fn find_for_sign_in(
    db: &Db,
    email: &str,
) -> sqlx::Result<Option<(UserRow, Option<String>)>> {
    let row = sqlx::query(&format!(
        "select {}, c.password_hash from users u left join credentials c on c.user_id = u.id where u.email = $1",
        UserRow::COLUMNS_AS_U
    ))
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((UserRow::from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

pub async fn find_by_email(db: &Db, email: &str) -> sqlx::Result<Option<UserRow>> {
    let row = sqlx::query(&format!(
        "select {} from users u where u.email = $1",
        UserRow::COLUMNS_AS_U
    ))
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(UserRow::from_row).transpose()
}

pub async fn find_by_email_tx(tx: &mut Tx, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(&format!(
        "select {} from users u where u.email = $1",
        UserRow::COLUMNS_AS_U
    ))
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(UserRow::from_row)
    .transpose()
}

pub async fn get_user(db: &Db, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(&format!(
        "select {} from users u where u.id = $1",
        UserRow::COLUMNS_AS_U
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(UserRow::from_row)
    .transpose()
}

/// Changes a role only if it is still `from`: a change made meanwhile by
/// another request is never overwritten (false then).
pub async fn change_role(tx: &mut Tx, user_id: &str, from: &str, to: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("update users set role = $1, updated_at = $2 where id = $3 and role = $4")
            .bind(to)
            .bind(clock::now_ms())
            .bind(user_id)
            .bind(from)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_by_id(tx: &mut Tx, id: &str) -> sqlx::Result<Option<UserRow>> {
    let row = sqlx::query(&format!(
        "select {} from users u where u.id = $1",
        UserRow::COLUMNS_AS_U
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(UserRow::from_row).transpose()
}

/// Locks the user's row (PostgreSQL) for the rest of the transaction, so
/// that counts of what they own hold under concurrent requests; SQLite's
/// write transaction already holds its one lock.
pub async fn lock_user(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    let lock = crate::server::db::row_lock(tx, "for update");
    sqlx::query(&format!("select id from users where id = $1 {lock}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map(drop)
}

/// A new name and, when `image` is given, a new picture (`None` inside
/// removes it).
pub async fn update_profile(
    tx: &mut Tx,
    user_id: &str,
    name: Option<&str>,
    image: Option<&Option<String>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update users set name = coalesce($1, name),
             image = case when $2 = 1 then $3 else image end, updated_at = $4
         where id = $5",
    )
    .bind(name)
    .bind(i64::from(image.is_some()))
    .bind(image.cloned().flatten())
    .bind(clock::now_ms())
    .bind(user_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// What an admin's switch leaves on an account: enabled, or disabled
/// (banned) with an optional reason and end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BanState {
    pub disabled: bool,
    pub reason: Option<String>,
    /// Milliseconds; `None` is for good.
    pub expires: Option<i64>,
}

pub async fn set_ban(tx: &mut Tx, user_id: &str, ban: &BanState) -> sqlx::Result<()> {
    sqlx::query(
        "update users set disabled = $1, ban_reason = $2, ban_expires = $3, updated_at = $4
         where id = $5",
    )
    .bind(i64::from(ban.disabled))
    .bind(&ban.reason)
    .bind(ban.expires)
    .bind(clock::now_ms())
    .bind(user_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Lifts a ban whose end has passed; answers whether it did (another
/// request may have lifted it first).
pub async fn lift_expired_ban(tx: &mut Tx, user_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set disabled = 0, ban_reason = null, ban_expires = null, updated_at = $1
         where id = $2 and disabled = 1 and ban_expires is not null and ban_expires <= $1",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The enabled users holding `role` who can sign in (have a password): the
/// last owner is protected, and an owner who never enrolled does not count.
/// On PostgreSQL their rows are locked, in id order, for the rest of the
/// transaction, so two owners acting on each other at once are serialized
/// and the second sees the first's change; SQLite's write lock does that
/// already.
pub async fn lock_holders_of(tx: &mut Tx, role: &str) -> sqlx::Result<Vec<String>> {
    let lock = crate::server::db::row_lock(tx, "for update");
    sqlx::query_scalar(&format!(
        "select u.id from users u
         where u.role = $1 and u.disabled = 0
           and exists (select 1 from credentials c where c.user_id = u.id)
         order by u.id {lock}"
    ))
    .bind(role)
    .fetch_all(&mut **tx)
    .await
}

/// Deletes the account; what hangs off it (sessions, credentials,
/// memberships, links) goes with it, by the schema's cascades.
pub async fn delete_user(tx: &mut Tx, user_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from users where id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A "delete my account" link; older ones of the same account stop working.
pub async fn insert_account_deletion(
    tx: &mut Tx,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("delete from account_deletions where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "insert into account_deletions (token_hash, user_id, expires_at, created_at)
         values ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Spends a live "delete my account" link: whose account it deletes.
pub async fn consume_account_deletion(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "delete from account_deletions where token_hash = $1 and expires_at > $2
         returning user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Marks the address verified; answers whether it was not before (then
/// the caller runs `accounts::email_verified` once its own work is done).
pub async fn mark_email_verified(tx: &mut Tx, user_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set email_verified = 1, updated_at = $1
         where id = $2 and email_verified = 0",
    )
    .bind(clock::now_ms())
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_password_reset(
    tx: &mut Tx,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("insert into password_resets (token_hash, user_id, expires_at, created_at) values ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .bind(clock::now_ms())
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Marks a reset token used and returns its user, in one statement, so a
/// token can be spent once even when two requests race for it.
pub async fn consume_password_reset(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "update password_resets set used_at = $1
         where token_hash = $2 and used_at is null and expires_at > $1
           and user_id in (select id from users where disabled = 0)
         returning user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

/// Spends every outstanding reset token of a user: a new request or a
/// completed reset leaves at most the newest link alive.
pub async fn spend_password_resets(tx: &mut Tx, user_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("update password_resets set used_at = $1 where user_id = $2 and used_at is null")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// A verification link for `email`, retiring the user's older ones.
pub async fn insert_email_verification(
    tx: &mut Tx,
    user_id: &str,
    email: &str,
    token_hash: &str,
    expires_at: i64,
    callback_url: Option<&str>,
    changes_email: bool,
) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "update email_verifications set used_at = $1 where user_id = $2 and used_at is null",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into email_verifications
             (token_hash, user_id, email, expires_at, created_at, callback_url, changes_email)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(email)
    .bind(expires_at)
    .bind(now)
    .bind(callback_url)
    .bind(i64::from(changes_email))
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// A spent verification link: whose, the address it proves, where to go
/// next (sealed), and whether it moves the account to that address.
pub struct SpentVerification {
    pub user_id: String,
    pub email: String,
    pub callback_url: Option<String>,
    pub changes_email: bool,
}

/// Spends a verification link in one statement (two racing requests spend
/// it once).
pub async fn consume_email_verification(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<SpentVerification>> {
    let row: Option<(String, String, Option<String>, i64)> = sqlx::query_as(
        "update email_verifications set used_at = $1
         where token_hash = $2 and used_at is null and expires_at > $1
         returning user_id, email, callback_url, changes_email",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(
        |(user_id, email, callback_url, changes)| SpentVerification {
            user_id,
            email,
            callback_url,
            changes_email: changes != 0,
        },
    ))
}

/// Moves an account to a new address, proven by the link that came to it.
pub async fn change_email(tx: &mut Tx, user_id: &str, email: &str) -> sqlx::Result<()> {
    sqlx::query("update users set email = $1, email_verified = 1, updated_at = $2 where id = $3")
        .bind(email)
        .bind(clock::now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Addresses stored before domains were kept in their ASCII (IDNA) form are
/// rewritten once, at the first start after the upgrade, so that their
/// owners still match what they type; every address written since is
/// ASCII, so later starts skip the scan. One that no longer parses (a
/// non-ASCII local part) or whose rewritten form is taken is left alone
/// and named in the log.
pub async fn normalize_stored_emails(db: &Db) -> sqlx::Result<()> {
    const DONE: &str = "emails-ascii-v1";
    let done: i64 = sqlx::query_scalar("select count(*) from instance_settings where name = $1")
        .bind(DONE)
        .fetch_one(db.pool())
        .await?;
    if done > 0 {
        return Ok(());
    }
    let stored: Vec<(String, String)> =
        sqlx::query_as("select id, email from users where length(email) <> octet_length(email)")
            .fetch_all(db.pool())
            .await?;
    for (id, email) in stored {
        match super::domain::Email::parse(&email) {
            Ok(ascii) if ascii.as_str() != email => {
                let done = sqlx::query("update users set email = $1 where id = $2")
                    .bind(ascii.as_str())
                    .bind(&id)
                    .execute(db.pool())
                    .await;
                match done {
                    Ok(_) => {
                        tracing::info!(user = %id, "stored the email domain in its ASCII form")
                    }
                    Err(e) if crate::server::db::is_unique_violation(&e) => tracing::warn!(
                        user = %id,
                        "two accounts have the same email once its domain is in ASCII form; this one keeps its old spelling"
                    ),
                    Err(e) => return Err(e),
                }
            }
            Ok(_) => {}
            Err(_) => tracing::warn!(
                user = %id,
                "this account's email has a non-ASCII local part, which Gatehouse no longer accepts: it cannot sign in by email"
            ),
        }
    }
    let invited: Vec<(String, String)> = sqlx::query_as(
        "select id, email from role_invitations
         where status = 'pending' and email is not null and length(email) <> octet_length(email)",
    )
    .fetch_all(db.pool())
    .await?;
    for (id, email) in invited {
        if let Ok(ascii) = super::domain::Email::parse(&email) {
            sqlx::query("update role_invitations set email = $1 where id = $2")
                .bind(ascii.as_str())
                .bind(&id)
                .execute(db.pool())
                .await?;
        }
    }
    sqlx::query(
        "insert into instance_settings (name, value) values ($1, '1') on conflict (name) do nothing",
    )
    .bind(DONE)
    .execute(db.pool())
    .await
    .map(drop)
}
