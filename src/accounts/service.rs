//! The server side of the account endpoints: each reads the request context,
//! parses its input into domain types, and does its writes in one
//! transaction with an audit event.

use serde_json::json;

use crate::{
    accounts::sessions,
    audit,
    config::{Config, SignUpMode},
    context::{AppState, RequestContext},
    email::{
        self,
        outbox::{self, QueueError},
        templates, Cause, Kind,
    },
    error::{ApiError, ApiResult, Code},
    invites,
    server::{clock, crypto, db::Tx, rate_limit},
};

use super::{
    create::{create_account, NewAccount},
    domain::{Email, Password, PersonName, PASSWORD_MAX_CHARS},
    required, store, RequestPasswordResetBody, ResetPasswordBody, SendVerificationEmailBody,
    SessionView, SessionWithUser, SignInBody, SignInResponse, SignUpBody, SignUpResponse,
    StatusResponse, SuccessResponse, VerifyEmailBody, VerifyEmailResponse,
};

/// The per-account sign-in bucket (SPEC §8), whatever address tries.
fn sign_in_key(email: &str) -> String {
    format!("sign-in-failures:{email}")
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

pub async fn sign_up(body: SignUpBody) -> ApiResult<SignUpResponse> {
    let cx = RequestContext::current()?;
    let (config, db) = (cx.config(), cx.db());
    let ip = cx.ip();
    cx.rate_limit("sign-up", config.rate_limits.sign_up).await?;

    let invite = match body.invite_token.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(invites::service::precheck_sign_up(&cx, raw).await?),
        _ => None,
    };
    if invite.is_none() && config.sign_up_mode == SignUpMode::InviteOnly {
        return Err(ApiError::new(
            Code::SignUpRequiresInvitation,
            "This Gatehouse is invite-only: create your account from an invitation link.",
        ));
    }
    let name = PersonName::parse(required(&body.name, "name")?)?;
    let email = Email::parse(required(&body.email, "email")?)?;
    let password = Password::parse(required(&body.password, "password")?)?;

    // Spares an argon2 run for the common case; the unique index below is
    // what actually guarantees one account per email.
    // With an invitation, an existing account is told to sign in and accept.
    let exists = || {
        if invite.is_some() {
            ApiError::new(
                Code::UserAlreadyExistsPleaseSignIn,
                "An account with this email already exists. Sign in to accept the invitation.",
            )
        } else {
            user_exists()
        }
    };
    if store::find_by_email(db, email.as_str()).await?.is_some() {
        return Err(exists());
    }
    let phc = crypto::hash_password(password.into_secret()).await?;

    let mut tx = db.begin().await?;
    // The invitation's use is taken in this transaction: if anything below
    // fails, the use is given back with everything else.
    let grant = match &invite {
        Some(secret) => Some(
            invites::service::redeem_for_sign_up(&mut tx, config, secret, email.as_str()).await?,
        ),
        None => None,
    };
    let user = create_account(
        &mut tx,
        NewAccount {
            email: email.as_str(),
            name: name.as_str(),
            // Open sign-up grants the lowest configured role.
            role: grant
                .as_ref()
                .map_or(&config.roles.lowest().name, |g| &g.role),
            email_verified: grant.as_ref().is_some_and(|g| g.verifies_email),
            password_hash: Some(&phc),
            created_by: None,
            ip: &ip,
        },
    )
    .await
    .map_err(|e| e.or_taken(exists))?;
    // Open sign-up and public invitations do not prove the address.
    let verification_sent =
        !user.email_verified && queue_verification(&mut tx, config, &user, None).await?;
    if let Some(grant) = &grant {
        invites::store::record_use(&mut tx, &grant.invite_id, &user.id, None, &grant.role).await?;
        audit::record(
            &mut tx,
            audit::Event::new("invite.accept")
                .actor(&user.id)
                .target(&grant.invite_id)
                .after(json!({ "role": grant.role, "newAccount": true }))
                .ip(&ip),
        )
        .await?;
    }
    let (token, _) =
        sessions::create(&mut tx, config, &user.id, &ip, cx.user_agent().as_deref()).await?;
    tx.commit().await?;
    if verification_sent {
        cx.state.mail.wake();
    }

    cx.set_cookie(&sessions::cookie(config, &token));
    Ok(SignUpResponse {
        token,
        user: user.view(),
    })
}

pub async fn sign_in(body: SignInBody) -> ApiResult<SignInResponse> {
    let cx = RequestContext::current()?;
    let (config, db) = (cx.config(), cx.db());
    let ip = cx.ip();
    cx.rate_limit("sign-in", config.rate_limits.sign_in).await?;

    let email = Email::parse(required(&body.email, "email")?)?;
    let password = required(&body.password, "password")?;
    if password.is_empty() || password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(invalid_credentials());
    }

    // Per account, whatever address the attempts come from (SPEC §8):
    // failures in a row make the next attempt wait, never for good. The key
    // is the address typed, so an unknown email is treated the same.
    let account_key = sign_in_key(email.as_str());
    if let Some(wait) = rate_limit::take_sign_in_turn(db, &account_key, clock::now_ms()).await? {
        return Err(ApiError::too_many(
            Code::TooManyRequests,
            format!("Too many failed sign-ins to this account. Please try again in {wait}."),
            wait.seconds(),
        ));
    }
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
    let user = user.ok_or_else(invalid_credentials)?;
    if user.disabled {
        // Better Auth's admin plugin calls a disabled account "banned".
        return Err(ApiError::new(
            Code::BannedUser,
            "This account has been disabled. Contact an administrator.",
        ));
    }

    let mut tx = db.begin().await?;
    let (token, _) =
        sessions::create(&mut tx, config, &user.id, &ip, cx.user_agent().as_deref()).await?;
    audit::record(
        &mut tx,
        audit::Event::new("session.sign-in")
            .actor(&user.id)
            .target(&user.id)
            .ip(&ip),
    )
    .await?;
    tx.commit().await?;

    cx.set_cookie(&sessions::cookie(config, &token));
    Ok(SignInResponse {
        redirect: false,
        token,
        user: user.view(),
    })
}

pub async fn sign_out() -> ApiResult<SuccessResponse> {
    let cx = RequestContext::current()?;
    let (config, db) = (cx.config(), cx.db());
    if let Some(token) = sessions::token_from(&cx.parts, config) {
        if let Some(current) = sessions::lookup(db, config, &token).await? {
            let ip = cx.ip();
            let mut tx = db.begin().await?;
            sessions::delete_by_token(&mut tx, &token).await?;
            audit::record(
                &mut tx,
                audit::Event::new("session.sign-out")
                    .actor(&current.user.id)
                    .target(&current.user.id)
                    .ip(&ip),
            )
            .await?;
            tx.commit().await?;
        }
    }
    // Signing out twice is not an error: either way no session remains.
    cx.set_cookie(&sessions::clear_cookie(config));
    Ok(SuccessResponse { success: true })
}

pub async fn get_session() -> ApiResult<Option<SessionWithUser>> {
    let cx = RequestContext::current()?;
    let Some(current) = cx.session().await? else {
        return Ok(None);
    };
    let s = &current.session;
    Ok(Some(SessionWithUser {
        session: SessionView {
            id: s.id.clone(),
            token: current.token.clone(),
            user_id: s.user_id.clone(),
            expires_at: clock::rfc3339(s.expires_at),
            created_at: clock::rfc3339(s.created_at),
            updated_at: clock::rfc3339(s.updated_at),
            ip_address: s.ip_address.clone(),
            user_agent: s.user_agent.clone(),
            active_organization_id: s.active_organization_id.clone(),
            active_team_id: s.active_team_id.clone(),
            impersonated_by: None,
        },
        user: current.user.view(),
    }))
}

pub async fn request_password_reset(body: RequestPasswordResetBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("password-reset", config.rate_limits.password_reset)
        .await?;
    let email = Email::parse(required(&body.email, "email")?)?;
    let page = reset_page(config, body.redirect_to.as_deref())?;
    // Whether the address has an account decides how much work there is;
    // doing that work after the answer keeps the answer's content and time
    // the same either way.
    let (state, ip) = (cx.state.clone(), cx.ip());
    tokio::spawn(async move {
        if let Err(e) = send_password_reset(&state, &email, page, &ip).await {
            tracing::error!(error = %e.message, code = %e.code, "failed to queue a password reset");
        }
    });
    Ok(StatusResponse {
        status: true,
        message: Some(
            "If this email has an account, a link to reset the password is on its way.".into(),
        ),
    })
}

async fn send_password_reset(
    state: &AppState,
    email: &Email,
    page: url::Url,
    ip: &str,
) -> ApiResult<()> {
    let (config, db) = (&*state.config, &state.db);
    let Some(user) = store::find_by_email(db, email.as_str())
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(());
    };
    let token = crypto::new_token();
    let mut link = page;
    link.query_pairs_mut().append_pair("token", &token);
    let expires_at = clock::now_ms() + clock::ms(config.password_reset_ttl);
    let message = templates::password_reset(templates::AccountLink {
        to: &user.email,
        name: &user.name,
        link: link.as_str(),
        token: &token,
        expires_in: &templates::spoken(config.password_reset_ttl),
        user_id: &user.id,
    })
    .expiring_at(expires_at);
    let mut tx = db.begin().await?;
    store::spend_password_resets(&mut tx, &user.id, clock::now_ms()).await?;
    store::insert_password_reset(&mut tx, &user.id, &crypto::hash_token(&token), expires_at)
        .await?;
    outbox::forget_secret(
        &mut tx,
        &[Kind::PasswordReset],
        &user.id,
        "A newer reset link was asked for; this one no longer works.",
    )
    .await?;
    match email::enqueue(&mut tx, config, &message, Cause::Public).await {
        Ok(_) => {
            audit::record(
                &mut tx,
                audit::Event::new("user.password-reset-requested")
                    .target(&user.id)
                    .ip(ip),
            )
            .await?;
            tx.commit().await?;
            state.mail.wake();
        }
        // The rollback keeps the newest link already sent working.
        Err(QueueError::BudgetSpent { .. }) => {
            tracing::info!(user = %user.id, "password reset not sent: recipient limit reached");
        }
        Err(QueueError::Db(e)) => return Err(e.into()),
    }
    Ok(())
}

fn invalid_verification() -> ApiError {
    ApiError::new(
        Code::InvalidToken,
        "This verification link is invalid, used or expired. Ask for a new one.",
    )
}

/// Queues a verification link for `user` inside `tx` (SPEC §3 "Accounts"
/// 2); false when the address has had its budget of messages, in which case
/// the caller's change goes through all the same and the person can ask
/// again later.
pub async fn queue_verification(
    tx: &mut Tx,
    config: &Config,
    user: &store::UserRow,
    callback: Option<&url::Url>,
) -> ApiResult<bool> {
    let token = crypto::new_token();
    let expires_at = clock::now_ms() + clock::ms(config.email_verification_ttl);
    store::insert_email_verification(
        tx,
        &user.id,
        &user.email,
        &crypto::hash_token(&token),
        expires_at,
        callback
            .map(|url| config.secret_key.seal(url.as_str().as_bytes()))
            .as_deref(),
    )
    .await?;
    outbox::forget_secret(
        tx,
        &[Kind::EmailVerification],
        &user.id,
        "A newer verification link was sent; this one no longer works.",
    )
    .await?;
    let mut link = config
        .base_url
        .join("/verify-email")
        .map_err(|_| ApiError::internal())?;
    link.query_pairs_mut().append_pair("token", &token);
    let message = templates::email_verification(templates::AccountLink {
        to: &user.email,
        name: &user.name,
        link: link.as_str(),
        token: &token,
        expires_in: &templates::spoken(config.email_verification_ttl),
        user_id: &user.id,
    })
    .expiring_at(expires_at);
    match email::enqueue(tx, config, &message, Cause::Public).await {
        Ok(_) => Ok(true),
        Err(QueueError::BudgetSpent { .. }) => {
            tracing::info!(user = %user.id, "verification email not sent: recipient limit reached");
            Ok(false)
        }
        Err(QueueError::Db(e)) => Err(e.into()),
    }
}

pub async fn send_verification_email(body: SendVerificationEmailBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("verify-email", config.rate_limits.password_reset)
        .await?;
    let email = Email::parse(required(&body.email, "email")?)?;
    let callback = match body.callback_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(target) => Some(config.redirect_target(target).ok_or_else(|| {
            ApiError::new(
                Code::InvalidCallbackUrl,
                "The callback URL must be on this site or a trusted origin.",
            )
        })?),
    };
    if let Some(me) = cx.session().await? {
        if me.user.email != email.as_str() {
            return Err(ApiError::new(
                Code::EmailMismatch,
                "You can only send a verification email to your own address.",
            ));
        }
        if me.user.email_verified {
            return Err(ApiError::new(
                Code::EmailAlreadyVerified,
                "Your email address is already verified.",
            ));
        }
        let mut tx = cx.db().begin().await?;
        if !queue_verification(&mut tx, config, &me.user, callback.as_ref()).await? {
            return Err(ApiError::new(
                Code::EmailBudgetSpent,
                format!(
                    "{} has been sent too many emails recently. Try again later.",
                    me.user.email
                ),
            ));
        }
        tx.commit().await?;
        cx.state.mail.wake();
        return Ok(StatusResponse {
            status: true,
            message: Some(format!(
                "A verification link is on its way to {}.",
                me.user.email
            )),
        });
    }
    // Signed out: the same answer, in the same time, whether or not the
    // address has an account that waits for verification.
    let state = cx.state.clone();
    tokio::spawn(async move {
        let work = async {
            let Some(user) = store::find_by_email(&state.db, email.as_str())
                .await?
                .filter(|u| !u.disabled && !u.email_verified)
            else {
                return Ok(());
            };
            let mut tx = state.db.begin().await?;
            if queue_verification(&mut tx, &state.config, &user, callback.as_ref()).await? {
                tx.commit().await?;
                state.mail.wake();
            }
            Ok::<_, ApiError>(())
        };
        if let Err(e) = work.await {
            tracing::error!(error = %e.message, code = %e.code, "failed to queue a verification email");
        }
    });
    Ok(StatusResponse {
        status: true,
        message: Some(
            "If this email has an account that is not verified yet, a link is on its way.".into(),
        ),
    })
}

pub async fn verify_email(body: VerifyEmailBody) -> ApiResult<VerifyEmailResponse> {
    let cx = RequestContext::current()?;
    cx.rate_limit("verify-email-token", cx.config().rate_limits.password_reset)
        .await?;
    let token = required(&body.token, "token")?.trim().to_owned();
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    let (user_id, email, next) =
        store::consume_email_verification(&mut tx, &crypto::hash_token(&token), clock::now_ms())
            .await?
            .ok_or_else(invalid_verification)?;
    let next = next
        .and_then(|sealed| cx.config().secret_key.open(&sealed))
        .and_then(|bytes| String::from_utf8(bytes).ok());
    // A link proves the address it was sent to, not one changed since.
    let user = store::find_by_id(&mut tx, &user_id)
        .await?
        .filter(|u| u.email == email)
        .ok_or_else(invalid_verification)?;
    if !user.email_verified {
        store::mark_email_verified(&mut tx, &user.id).await?;
        audit::record(
            &mut tx,
            audit::Event::new("user.email-verified")
                .actor(&user.id)
                .target(&user.id)
                .after(json!({ "email": user.email }))
                .ip(&ip),
        )
        .await?;
    }
    outbox::forget_secret(
        &mut tx,
        &[Kind::EmailVerification],
        &user.id,
        "The email address was verified.",
    )
    .await?;
    tx.commit().await?;
    Ok(VerifyEmailResponse {
        status: true,
        redirect_to: next,
        user: store::UserRow {
            email_verified: true,
            ..user
        }
        .view(),
    })
}

/// Where the reset link points: our own page, or a page the caller names
/// that is on this instance or a trusted origin (never elsewhere, or the
/// token would be handed to a stranger). Built as a URL, not by pasting
/// strings, so nothing the caller sends can add text to the email.
fn reset_page(config: &crate::config::Config, redirect_to: Option<&str>) -> ApiResult<url::Url> {
    let invalid = || {
        ApiError::new(
            Code::InvalidRedirectUrl,
            "The redirect URL must be on this site or a trusted origin.",
        )
    };
    let mut url = match redirect_to.map(str::trim).filter(|r| !r.is_empty()) {
        None => config
            .base_url
            .join("/reset-password")
            .map_err(|_| invalid())?,
        Some(target) => config.redirect_target(target).ok_or_else(invalid)?,
    };
    // The token goes in the query; a fragment would swallow it.
    url.set_fragment(None);
    Ok(url)
}

pub async fn reset_password(body: ResetPasswordBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let (config, db) = (cx.config(), cx.db());
    let ip = cx.ip();
    cx.rate_limit("reset-password", config.rate_limits.password_reset)
        .await?;

    let token = required(&body.token, "token")?;
    let password = Password::parse(required(&body.new_password, "newPassword")?)?;
    let invalid_token = || {
        ApiError::new(
            Code::InvalidToken,
            "This password reset link is invalid, used or expired. Ask for a new one.",
        )
    };
    let token_hash = crypto::hash_token(token);

    let phc = crypto::hash_password(password.into_secret()).await?;
    let mut tx = db.begin().await?;
    let user_id = store::consume_password_reset(&mut tx, &token_hash, clock::now_ms())
        .await?
        .ok_or_else(invalid_token)?;
    store::spend_password_resets(&mut tx, &user_id, clock::now_ms()).await?;
    outbox::forget_secret(
        &mut tx,
        &[Kind::PasswordReset],
        &user_id,
        "The password was reset with another link.",
    )
    .await?;
    store::set_password_hash(&mut tx, &user_id, &phc).await?;
    // The link came by email, so following it proves the address.
    store::mark_email_verified(&mut tx, &user_id).await?;
    let ended = sessions::delete_all_for_user(&mut tx, &user_id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.password-reset")
            .actor(&user_id)
            .target(&user_id)
            .after(json!({ "sessionsEnded": ended }))
            .ip(&ip),
    )
    .await?;
    tx.commit().await?;
    // Whoever reads the mailbox chose a new password: failed sign-ins
    // before it no longer make the owner wait.
    if let Some(user) = store::get_user(db, &user_id).await? {
        rate_limit::clear(db, &sign_in_key(&user.email)).await?;
    }
    Ok(StatusResponse {
        status: true,
        message: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn reset_links_stay_on_trusted_origins() {
        let c = Config::with_overrides(&[
            ("base_url", "\"https://id.example.com\""),
            ("trusted_origins", "[\"https://app.example.com\"]"),
        ])
        .unwrap();
        assert_eq!(
            reset_page(&c, None).unwrap().as_str(),
            "https://id.example.com/reset-password"
        );
        assert_eq!(
            reset_page(&c, Some("/custom/reset")).unwrap().as_str(),
            "https://id.example.com/custom/reset"
        );
        assert_eq!(
            reset_page(&c, Some("https://app.example.com/reset"))
                .unwrap()
                .as_str(),
            "https://app.example.com/reset"
        );
        assert_eq!(
            reset_page(&c, Some("/reset-password?x=1#frag"))
                .unwrap()
                .as_str(),
            "https://id.example.com/reset-password?x=1",
            "a fragment would swallow the token"
        );
        for bad in [
            "/x\n\nYour account is locked, call us",
            "/\t/evil.example.net",
            "https://evil.example.net/reset",
            "//evil.example.net/x",
            "/\\evil",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert_eq!(
                reset_page(&c, Some(bad)).unwrap_err().code,
                "INVALID_REDIRECT_URL",
                "{bad}"
            );
        }
    }
}
