//! Getting back in and proving an address: password reset links,
//! verification links, and spending them (SPEC §3 "Accounts" 2). Work whose
//! amount would tell whether an address has an account happens after the
//! answer, on the app's state.

use serde_json::json;

use super::{
    domain::{Email, Password},
    required, sessions,
    sign_in::sign_in_key,
    store::{self, UserRow},
    ChangeEmailBody, RequestPasswordResetBody, ResetPasswordBody, SendVerificationEmailBody,
    StatusResponse, VerifyEmailResponse,
};
use crate::{
    audit,
    config::Config,
    context::AppState,
    email::{
        self,
        outbox::{self, QueueError},
        templates, Cause, Kind,
    },
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
        rate_limit,
    },
};

/// `request-password-reset`: the same answer, at once, whether or not the
/// address has an account; the work happens after it, on `state`.
pub fn request_password_reset(
    state: &AppState,
    body: RequestPasswordResetBody,
    ip: String,
) -> ApiResult<StatusResponse> {
    let email = Email::parse(required(&body.email, "email")?)?;
    let page = reset_page(&state.config, body.redirect_to.as_deref())?;
    // Whether the address has an account decides how much work there is;
    // doing that work after the answer keeps the answer's content and time
    // the same either way.
    let state = state.clone();
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

/// Where a verification link's page leads once it is followed: this
/// instance or a trusted origin, never elsewhere.
fn callback_target(config: &Config, input: Option<&str>) -> ApiResult<Option<url::Url>> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(target) => config.redirect_target(target).map(Some).ok_or_else(|| {
            ApiError::new(
                Code::InvalidCallbackUrl,
                "The callback URL must be on this site or a trusted origin.",
            )
        }),
    }
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
    queue_link(tx, config, user, None, callback).await
}

/// A verification link for the user's address, or (`new_email`) for the
/// address they are moving to; following it proves that address.
async fn queue_link(
    tx: &mut Tx,
    config: &Config,
    user: &store::UserRow,
    new_email: Option<&str>,
    callback: Option<&url::Url>,
) -> ApiResult<bool> {
    let to = new_email.unwrap_or(&user.email);
    let token = crypto::new_token();
    let expires_at = clock::now_ms() + clock::ms(config.email_verification_ttl);
    store::insert_email_verification(
        tx,
        &user.id,
        to,
        &crypto::hash_token(&token),
        expires_at,
        callback
            .map(|url| config.secret_key.seal(url.as_str().as_bytes()))
            .as_deref(),
        new_email.is_some(),
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
    let content = templates::AccountLink {
        to,
        name: &user.name,
        link: link.as_str(),
        token: &token,
        expires_in: &templates::spoken(config.email_verification_ttl),
        user_id: &user.id,
    };
    let message = match new_email {
        None => templates::email_verification(content),
        Some(_) => templates::email_change(content),
    }
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

/// `send-verification-email`: signed in (`me`), for one's own unverified
/// address; signed out, the same answer whether or not the address has an
/// account waiting, with the work done after it.
pub async fn send_verification_email(
    state: &AppState,
    me: Option<&UserRow>,
    body: SendVerificationEmailBody,
) -> ApiResult<StatusResponse> {
    let config = &*state.config;
    let email = Email::parse(required(&body.email, "email")?)?;
    let callback = callback_target(config, body.callback_url.as_deref())?;
    if let Some(me) = me {
        if me.email != email.as_str() {
            return Err(ApiError::new(
                Code::EmailMismatch,
                "You can only send a verification email to your own address.",
            ));
        }
        if me.email_verified {
            return Err(ApiError::new(
                Code::EmailAlreadyVerified,
                "Your email address is already verified.",
            ));
        }
        let mut tx = state.db.begin().await?;
        if !queue_verification(&mut tx, config, me, callback.as_ref()).await? {
            return Err(ApiError::new(
                Code::EmailBudgetSpent,
                format!(
                    "{} has been sent too many emails recently. Try again later.",
                    me.email
                ),
            ));
        }
        tx.commit().await?;
        state.mail.wake();
        return Ok(StatusResponse {
            status: true,
            message: Some(format!(
                "A verification link is on its way to {}.",
                me.email
            )),
        });
    }
    // Signed out: the same answer, in the same time, whether or not the
    // address has an account that waits for verification.
    let state = state.clone();
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

/// `verify-email`: spends the link and marks its address verified; a link
/// sent to a new address (`change-email`) moves the account there.
pub async fn verify_email(
    db: &Db,
    config: &Config,
    token: &str,
    ip: &str,
) -> ApiResult<VerifyEmailResponse> {
    let token = token.trim();
    let mut tx = db.begin().await?;
    let spent =
        store::consume_email_verification(&mut tx, &crypto::hash_token(token), clock::now_ms())
            .await?
            .ok_or_else(invalid_verification)?;
    let next = spent
        .callback_url
        .and_then(|sealed| config.secret_key.open(&sealed))
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let user = store::find_by_id(&mut tx, &spent.user_id)
        .await?
        .ok_or_else(invalid_verification)?;
    let newly_verified = if spent.changes_email {
        // Taken since it was asked for: nothing changes.
        if store::find_by_email_tx(&mut tx, &spent.email)
            .await?
            .is_some()
        {
            return Err(ApiError::new(
                Code::UserAlreadyExists,
                format!(
                    "{} has an account of its own now: your address stays as it is.",
                    spent.email
                ),
            ));
        }
        store::change_email(&mut tx, &user.id, &spent.email).await?;
        audit::record(
            &mut tx,
            audit::Event::new("user.email-change")
                .actor(&user.id)
                .target(&user.id)
                .before(json!({ "email": user.email }))
                .after(json!({ "email": spent.email }))
                .ip(ip),
        )
        .await?;
        true
    } else {
        // A link proves the address it was sent to, not one changed since.
        if user.email != spent.email {
            return Err(invalid_verification());
        }
        let newly = store::mark_email_verified(&mut tx, &user.id).await?;
        if newly {
            audit::record(
                &mut tx,
                audit::Event::new("user.email-verified")
                    .actor(&user.id)
                    .target(&user.id)
                    .after(json!({ "email": user.email }))
                    .ip(ip),
            )
            .await?;
        }
        newly
    };
    if newly_verified {
        super::email_verified(&mut tx, config, &user.id).await?;
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
            email: spent.email,
            email_verified: true,
            ..user
        }
        .view(),
    })
}

/// `change-email`: a link to the new address, which moves the account
/// there when followed (`verify-email`), and a word to the old address.
/// Nothing changes until then.
pub async fn change_email(
    db: &Db,
    config: &Config,
    me: &store::UserRow,
    body: ChangeEmailBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let new_email = Email::parse(required(&body.new_email, "newEmail")?)?;
    if new_email.as_str() == me.email {
        return Err(ApiError::new(
            Code::EmailIsTheSame,
            "That is your address already.",
        ));
    }
    if store::find_by_email(db, new_email.as_str())
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserAlreadyExists,
            format!("{} has an account of its own.", new_email.as_str()),
        ));
    }
    let callback = callback_target(config, body.callback_url.as_deref())?;
    let mut tx = db.begin().await?;
    if !queue_link(
        &mut tx,
        config,
        me,
        Some(new_email.as_str()),
        callback.as_ref(),
    )
    .await?
    {
        return Err(ApiError::new(
            Code::TooManyRequests,
            "Too many emails went to that address lately. Please try again later.",
        ));
    }
    let notice = templates::email_change_notice(templates::EmailChangeNotice {
        to: &me.email,
        name: &me.name,
        new_email: new_email.as_str(),
        user_id: &me.id,
    });
    // The old address is told if its budget allows; the change does not
    // wait on it.
    match email::enqueue(&mut tx, config, &notice, Cause::Public).await {
        Ok(_) | Err(QueueError::BudgetSpent { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        audit::Event::new("user.email-change-requested")
            .actor(&me.id)
            .target(&me.id)
            .after(json!({ "email": new_email.as_str() }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(format!(
            "A link is on its way to {}: your address changes when you open it.",
            new_email.as_str()
        )),
    })
}

/// Where the reset link points: our own page, or a page the caller names
/// that is on this instance or a trusted origin (never elsewhere, or the
/// token would be handed to a stranger). Built as a URL, not by pasting
/// strings, so nothing the caller sends can add text to the email.
fn reset_page(config: &Config, redirect_to: Option<&str>) -> ApiResult<url::Url> {
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

/// `reset-password`: a new password by the emailed link; every session of
/// the account ends.
pub async fn reset_password(
    db: &Db,
    config: &Config,
    body: ResetPasswordBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
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
    let newly_verified = store::mark_email_verified(&mut tx, &user_id).await?;
    let ended = sessions::delete_all_for_user(&mut tx, &user_id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.password-reset")
            .actor(&user_id)
            .target(&user_id)
            .after(json!({ "sessionsEnded": ended }))
            .ip(ip),
    )
    .await?;
    if newly_verified {
        super::email_verified(&mut tx, config, &user_id).await?;
    }
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
