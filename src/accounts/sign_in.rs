//! Signing up, in and out. Each takes plain values (the database, the
//! settings, the client's address and agent) from its server function and
//! writes in one transaction with its audit event; the server function
//! sets the cookie.

use serde_json::json;

use super::{
    create::{create_account, NewAccount},
    domain::{Email, Password, PersonName, PASSWORD_MAX_CHARS},
    recovery::queue_verification,
    required, sessions,
    store::{self, UserRow},
    two_factor, SessionView, SessionWithUser, SignUpBody,
};
use crate::{
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{clock, crypto, db::Db, db::Tx, rate_limit},
};

/// Where a request came from, for the audit log and the session.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub ip: &'a str,
    pub user_agent: Option<&'a str>,
}

/// The per-account sign-in bucket (SPEC §8), whatever address tries.
pub(super) fn sign_in_key(email: &str) -> String {
    format!("sign-in-failures:{email}")
}

/// SPEC §8: attempts at one account's password, from any address, wait
/// their turn after failures in a row (`refused` says what was refused).
/// Answers the account's bucket, which the caller clears on success.
pub(super) async fn take_password_turn(db: &Db, email: &str, refused: &str) -> ApiResult<String> {
    let key = sign_in_key(email);
    if let Some(wait) = rate_limit::take_sign_in_turn(db, &key, clock::now_ms()).await? {
        return Err(ApiError::too_many(
            Code::TooManyRequests,
            format!("{refused} Please try again in {wait}."),
            wait.seconds(),
        ));
    }
    Ok(key)
}

/// Better Auth's admin plugin calls a disabled account "banned"; the
/// person is told why and until when, when the admin said.
pub fn banned(user: &UserRow) -> ApiError {
    let mut message = "This account has been disabled".to_owned();
    if let Some(end) = user.ban_expires {
        message.push_str(&format!(" until {}", clock::rfc3339(end)));
    }
    if let Some(reason) = user.ban_reason.as_deref().filter(|r| !r.is_empty()) {
        message.push_str(&format!(". Reason: {reason}"));
    }
    message.push_str(". Contact an administrator if you believe this is a mistake.");
    ApiError::new(Code::BannedUser, message)
}

fn invalid_credentials() -> ApiError {
    ApiError::new(Code::InvalidEmailOrPassword, "Invalid email or password")
}

fn user_exists() -> ApiError {
    ApiError::new(
        Code::UserAlreadyExistsUseAnotherEmail,
        "An account with this email already exists. Sign in instead.",
    )
}

/// A sign-up's fields, checked before anything is written.
pub struct NewPerson {
    pub name: PersonName,
    pub email: Email,
    pub password: Password,
}

impl NewPerson {
    pub fn parse(body: &SignUpBody) -> ApiResult<Self> {
        Ok(Self {
            name: PersonName::parse(required(&body.name, "name")?)?,
            email: Email::parse(required(&body.email, "email")?)?,
            password: Password::parse(required(&body.password, "password")?)?,
        })
    }
}

/// What sign-up gives: the session token and the account.
pub struct SignedUp {
    pub token: String,
    pub session_id: String,
    pub user: UserRow,
    /// A verification link was queued: wake the email sender.
    pub verification_sent: bool,
}

/// The password's hash, once no account has the address (`exists` says
/// so in the caller's words). The check spares an argon2 run for the
/// common case; the unique index is what guarantees one account per email.
pub async fn hash_for_new_account(
    db: &Db,
    person: &NewPerson,
    exists: impl FnOnce() -> ApiError,
) -> ApiResult<String> {
    if store::find_by_email(db, person.email.as_str())
        .await?
        .is_some()
    {
        return Err(exists());
    }
    Ok(crypto::hash_password(person.password.clone().into_secret()).await?)
}

/// Whether a new account's address is proven (the invitation's link came
/// to it) or must be verified, and where the verification link leads then.
#[derive(Debug, Clone, Copy)]
pub enum Address<'a> {
    Proven,
    ToVerify { then: Option<&'a url::Url> },
}

/// Inside `tx`: the account (the one `create_account`), a verification
/// link when its address is not proven, and its first session.
#[allow(clippy::too_many_arguments)]
pub async fn sign_up_in(
    tx: &mut Tx,
    config: &Config,
    person: &NewPerson,
    phc: &str,
    role: &str,
    address: Address<'_>,
    client: Client<'_>,
    exists: impl FnOnce() -> ApiError,
) -> ApiResult<SignedUp> {
    let user = create_account(
        tx,
        NewAccount {
            email: person.email.as_str(),
            name: person.name.as_str(),
            role,
            email_verified: matches!(address, Address::Proven),
            password_hash: Some(phc),
            created_by: None,
            ip: client.ip,
        },
    )
    .await
    .map_err(|e| e.or_taken(exists))?;
    // Open sign-up and public invitations do not prove the address.
    let verification_sent = match address {
        Address::Proven => false,
        Address::ToVerify { then } => queue_verification(tx, config, &user, then).await?,
    };
    let (token, session) =
        sessions::create(tx, config, &user.id, client.ip, client.user_agent).await?;
    Ok(SignedUp {
        token,
        session_id: session.id,
        user,
        verification_sent,
    })
}

/// Open sign-up: the lowest configured role. An invite-only instance
/// refuses it (sign-up with an invitation is `invitations::role::sign_up`).
pub async fn sign_up(
    db: &Db,
    config: &Config,
    body: &SignUpBody,
    client: Client<'_>,
) -> ApiResult<SignedUp> {
    if config.sign_up_mode == crate::config::SignUpMode::InviteOnly {
        return Err(ApiError::new(
            Code::SignUpRequiresInvitation,
            "This Gatehouse is invite-only: create your account from an invitation link.",
        ));
    }
    let person = NewPerson::parse(body)?;
    let phc = hash_for_new_account(db, &person, user_exists).await?;
    let mut tx = db.begin().await?;
    let role = &config.roles.lowest().name;
    let done = sign_up_in(
        &mut tx,
        config,
        &person,
        &phc,
        role,
        Address::ToVerify { then: None },
        client,
        user_exists,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// What a right password leads to.
pub enum SignedIn {
    /// A new session's token, and the person.
    Session { token: String, user: UserRow },
    /// The account asks for a second factor first: the token of the
    /// challenge's cookie (`two_factor::service::second_step`).
    SecondStep { challenge: String },
}

/// `sign-in/email`: the account and a new session token (or a second
/// step, when the account has two-factor authentication and this device
/// is not trusted, `trusted` being its trust cookie), or one refusal for
/// every wrong answer.
pub async fn sign_in(
    db: &Db,
    config: &Config,
    email: &str,
    password: &str,
    client: Client<'_>,
    trusted: Option<&str>,
) -> ApiResult<SignedIn> {
    let email = Email::parse(email)?;
    if password.is_empty() || password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(invalid_credentials());
    }
    // Per account, whatever address the attempts come from (SPEC §8):
    // failures in a row make the next attempt wait, never for good. The key
    // is the address typed, so an unknown email is treated the same.
    let account_key = take_password_turn(
        db,
        email.as_str(),
        "Too many failed sign-ins to this account.",
    )
    .await?;
    let found = store::find_for_sign_in(db, email.as_str()).await?;
    let (user, stored_hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    // Unknown email, no password yet, or wrong password: the same work and
    // the same answer, so neither timing nor wording tells them apart.
    if !crypto::verify_password(stored_hash, password.to_owned()).await? {
        return Err(invalid_credentials());
    }
    rate_limit::clear(db, &account_key).await?;
    let mut user = user.ok_or_else(invalid_credentials)?;
    let now = clock::now_ms();
    let mut tx = db.begin().await?;
    if user.disabled {
        // A ban that has run its course is lifted by the next sign-in.
        let over = user.ban_expires.is_some_and(|end| end <= now);
        if !(over && store::lift_expired_ban(&mut tx, &user.id, now).await?) {
            return Err(banned(&user));
        }
        audit::record(
            &mut tx,
            audit::Event::new("user.unban")
                .target(&user.id)
                .before(json!({ "banReason": user.ban_reason, "banExpires": user.ban_expires.map(clock::rfc3339) }))
                .ip(client.ip),
        )
        .await?;
        user = UserRow {
            disabled: false,
            ban_reason: None,
            ban_expires: None,
            ..user
        };
    }
    if two_factor::service::second_step_needed(&mut tx, &user, trusted, now).await? {
        let challenge = two_factor::service::challenge(&mut tx, &user, now).await?;
        tx.commit().await?;
        return Ok(SignedIn::SecondStep { challenge });
    }
    let (token, _) =
        sessions::create(&mut tx, config, &user.id, client.ip, client.user_agent).await?;
    audit::record(
        &mut tx,
        audit::Event::new("session.sign-in")
            .actor(&user.id)
            .target(&user.id)
            .ip(client.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn::Session { token, user })
}

/// Ends the session of `token`, if it is a live one. Signing out twice is
/// not an error: either way no session remains.
pub async fn sign_out(db: &Db, config: &Config, token: &str, ip: &str) -> ApiResult<()> {
    let Some(current) = sessions::lookup(db, config, token).await? else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    sessions::delete_by_token(&mut tx, token).await?;
    audit::record(
        &mut tx,
        audit::Event::new("session.sign-out")
            .actor(&current.user.id)
            .target(&current.user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Better Auth's `get-session` answer for a live session.
pub fn session_view(current: &sessions::Current) -> SessionWithUser {
    let s = &current.session;
    SessionWithUser {
        session: SessionView {
            id: s.id.clone(),
            token: current.token.clone().into(),
            user_id: s.user_id.clone(),
            expires_at: clock::rfc3339(s.expires_at),
            created_at: clock::rfc3339(s.created_at),
            updated_at: clock::rfc3339(s.updated_at),
            ip_address: s.ip_address.clone(),
            user_agent: s.user_agent.clone(),
            active_organization_id: s.active_organization_id.clone(),
            active_team_id: s.active_team_id.clone(),
            impersonated_by: s.impersonated_by.clone(),
        },
        user: current.user.view(),
    }
}
