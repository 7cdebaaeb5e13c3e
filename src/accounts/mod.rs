//! Accounts and sessions: sign-up, sign-in, sign-out, the current session and
//! password reset, under `/api/auth/`, in Better Auth's request and response
//! shapes (SPEC §5).

#[cfg(feature = "ssr")]
pub mod create;
#[cfg(feature = "ssr")]
pub mod devices;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod flash;
#[cfg(feature = "ssr")]
pub mod profile;
#[cfg(feature = "ssr")]
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod removal;
#[cfg(feature = "ssr")]
pub mod sessions;
#[cfg(feature = "ssr")]
pub mod sign_in;
#[cfg(feature = "ssr")]
pub mod store;
pub mod two_factor;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

/// A user as the API shows it (Better Auth's user object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub role: String,
    /// Better Auth's admin plugin calls a disabled user "banned".
    pub banned: bool,
    pub ban_reason: Option<String>,
    pub ban_expires: Option<String>,
    /// Better Auth's `twoFactor` plugin adds it: sign-in asks for a code.
    pub two_factor_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    /// Redacted in `Debug`: whoever holds it is signed in.
    pub token: crate::secret::SecretText,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub active_organization_id: Option<String>,
    pub active_team_id: Option<String>,
    pub impersonated_by: Option<String>,
}

/// One of the caller's sessions, as `list-sessions` answers. Only hashes of
/// tokens are kept, so `token` is the session's id, which `revoke-session`
/// takes as well as a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedSession {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    /// When it was last renewed (a session in use is renewed daily).
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// Gatehouse's additions: the session of this request, and the device
    /// in a few words.
    pub current: bool,
    pub device: String,
    /// The admin acting as the person, in an impersonation session.
    pub impersonated_by: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordBody {
    pub current_password: Option<crate::secret::SecretText>,
    pub new_password: Option<crate::secret::SecretText>,
    #[serde(default, deserialize_with = "crate::ui::form_bool")]
    pub revoke_other_sessions: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangePasswordResponse {
    /// The session's token when other sessions were ended (this one
    /// stays), as Better Auth answers a new one; `null` otherwise.
    pub token: Option<crate::secret::SecretText>,
    pub user: UserView,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEmailBody {
    pub new_email: Option<String>,
    /// Where the confirmation page leads once the address moved.
    #[serde(rename = "callbackURL", alias = "callbackUrl")]
    pub callback_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateUserBody {
    pub name: Option<String>,
    /// An http or https address; empty removes it.
    pub image: Option<String>,
    /// Refused: an address changes through `change-email`.
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeleteUserBody {
    /// Required: deleting an account asks for its password again.
    pub password: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteUserResponse {
    pub success: bool,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeleteUserCallbackBody {
    pub token: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RevokeSessionBody {
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionWithUser {
    pub session: SessionView,
    pub user: UserView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUpResponse {
    /// Redacted in `Debug`: whoever holds it is signed in.
    pub token: crate::secret::SecretText,
    pub user: UserView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInResponse {
    pub redirect: bool,
    /// Redacted in `Debug`: whoever holds it is signed in.
    pub token: crate::secret::SecretText,
    pub user: UserView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessResponse {
    pub success: bool,
}

pub use crate::error::StatusResponse;

/// Request bodies keep every field optional so that a missing one gets a
/// specific `MISSING_FIELD` answer rather than a generic parse error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpBody {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<crate::secret::SecretText>,
    pub invite_token: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInBody {
    pub email: Option<String>,
    pub password: Option<crate::secret::SecretText>,
    /// Where to go once signed in: carried to the second step's page when
    /// the account asks for one.
    #[serde(rename = "callbackURL", alias = "callbackUrl", default)]
    pub callback_url: Option<String>,
}

/// What `sign-in/email` answers: a session (`redirect`, `token`, `user`),
/// or (Better Auth's twoFactor) that a second step comes first
/// (`twoFactorRedirect`, `twoFactorMethods`, and Gatehouse's
/// `twoFactorUrl`, the page that asks for it). One struct of optional
/// fields rather than an untagged enum: the sign-in island decodes it, and
/// serde's untagged decoding cost the public bundle 6 KB (brotli).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<bool>,
    /// Redacted in `Debug`: whoever holds it is signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<crate::secret::SecretText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_redirect: Option<bool>,
    /// What the second step takes: a code from an authenticator app
    /// (backup codes always work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_methods: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPasswordResetBody {
    pub email: Option<String>,
    pub redirect_to: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordBody {
    pub new_password: Option<crate::secret::SecretText>,
    pub token: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendVerificationEmailBody {
    pub email: Option<String>,
    /// Where the person goes once the email is verified: a path here or a
    /// page of a trusted origin (Better Auth spells it `callbackURL`). It
    /// may hold a secret (an invitation's page), hence the type.
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmailBody {
    pub token: Option<crate::secret::SecretText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmailResponse {
    pub status: bool,
    pub user: UserView,
    /// The `callbackURL` given when the link was asked for, if any.
    pub redirect_to: Option<String>,
}

/// SPEC §3 "Accounts" 2: what a private invitation (role or organization)
/// answers to an account whose email is not verified yet, saying what waits
/// for the verification ("accepting", "declining", "opening").
pub fn verification_required_before(doing: &str) -> ApiError {
    ApiError::new(
        Code::EmailVerificationRequiredForInvitation,
        format!("Verify your email address before {doing} this invitation: we send you a link to confirm it is yours."),
    )
}

/// An address became verified, at sign-up with a proven address or later:
/// inside that transaction, after the caller's own work in it (an
/// invitation joined first, so a domain's policy never races it), what the
/// features above plugged in runs (`config::Hooks`: a verified domain's
/// policy may admit or invite the person).
#[cfg(feature = "ssr")]
pub async fn email_verified(
    tx: &mut crate::server::db::Tx,
    config: &crate::config::Config,
    user_id: &str,
) -> Result<(), ApiError> {
    match config.hooks.email_verified {
        Some(hook) => hook(tx, config, user_id).await,
        None => Ok(()),
    }
}

/// The value of a required field, or `MISSING_FIELD` naming it.
pub fn required<'a, T: AsRef<str>>(value: &'a Option<T>, field: &str) -> Result<&'a str, ApiError> {
    value.as_ref().map(AsRef::as_ref).ok_or_else(|| {
        ApiError::new(
            Code::MissingField,
            format!("The field `{field}` is required."),
        )
    })
}

// `sign-up/email` is served by `invitations::role`: better-invite lets it
// carry an invitation, which is redeemed in the sign-up's transaction.

#[server(name = SignInEmail, prefix = "/api/auth", endpoint = "sign-in/email", input = leptos::server_fn::codec::Json)]
pub async fn sign_in_email(#[server(flatten)] body: SignInBody) -> Result<SignInAnswer, ApiError> {
    let result: Result<SignInAnswer, ApiError> = async {
        let cx = crate::context::RequestContext::current()?;
        let config = cx.config();
        cx.rate_limit("sign-in", config.rate_limits.sign_in).await?;
        let (email, password) = (
            required(&body.email, "email")?,
            required(&body.password, "password")?,
        );
        let (ip, agent) = (cx.ip(), cx.user_agent());
        let client = sign_in::Client {
            ip: &ip,
            user_agent: agent.as_deref(),
        };
        let trusted = crate::context::cookie(
            &cx.parts,
            &sessions::name_of(config, two_factor::service::TRUST_COOKIE),
        );
        match sign_in::sign_in(cx.db(), config, email, password, client, trusted.as_deref()).await?
        {
            sign_in::SignedIn::Session { token, user } => {
                cx.set_cookie(&sessions::cookie(config, &token));
                Ok(SignInAnswer {
                    redirect: Some(false),
                    token: Some(token.into()),
                    user: Some(user.view()),
                    ..Default::default()
                })
            }
            sign_in::SignedIn::SecondStep { challenge } => {
                let lasts = two_factor::service::CHALLENGE_TTL.as_secs();
                let cookie = two_factor::service::CHALLENGE_COOKIE;
                cx.set_cookie(&sessions::named_cookie(config, cookie, &challenge, lasts));
                let mut url = String::from("/sign-in/two-factor");
                if let Some(next) = body
                    .callback_url
                    .as_deref()
                    .filter(|c| crate::ui::is_local_path(c))
                {
                    let next = percent_encoding::utf8_percent_encode(next, crate::ui::QUERY_VALUE);
                    url.push_str(&format!("?redirectTo={next}"));
                }
                Ok(SignInAnswer {
                    two_factor_redirect: Some(true),
                    two_factor_methods: Some(vec!["totp".into()]),
                    two_factor_url: Some(url),
                    ..Default::default()
                })
            }
        }
    }
    .await;
    let outcome = match &result {
        Ok(_) => "success".to_owned(),
        Err(e) => e.code.as_str().to_lowercase(),
    };
    metrics::counter!("gatehouse_sign_ins_total", "outcome" => outcome).increment(1);
    result
}

#[server(name = SignOut, prefix = "/api/auth", endpoint = "sign-out", input = leptos::server_fn::codec::Json)]
pub async fn sign_out() -> Result<SuccessResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    if let Some(token) = sessions::token_from(&cx.parts, config) {
        sign_in::sign_out(cx.db(), config, &token, &cx.ip()).await?;
    }
    cx.set_cookie(&sessions::clear_cookie(config));
    Ok(SuccessResponse { success: true })
}

/// The caller's live sessions: this one first, then the most recently
/// used.
#[server(name = ListSessions, prefix = "/api/auth", endpoint = "list-sessions", input = GetUrl)]
pub async fn list_sessions() -> Result<Vec<ListedSession>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    devices::list(cx.db(), &me).await
}

/// Ends one of the caller's sessions (`token`: its token or its id); the
/// current one signs the caller out.
#[server(name = RevokeSession, prefix = "/api/auth", endpoint = "revoke-session", input = leptos::server_fn::codec::Json)]
pub async fn revoke_session(
    #[server(flatten)] body: RevokeSessionBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let target = required(&body.token, "token")?;
    let current = target.trim() == me.session.id || target.trim() == me.token;
    devices::revoke(cx.db(), &me, target, &cx.ip()).await?;
    if current {
        cx.set_cookie(&sessions::clear_cookie(cx.config()));
    }
    Ok(StatusResponse {
        status: true,
        message: None,
    })
}

/// Ends every session of the caller's but this one.
#[server(name = RevokeOtherSessions, prefix = "/api/auth", endpoint = "revoke-other-sessions", input = leptos::server_fn::codec::Json)]
pub async fn revoke_other_sessions() -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    devices::revoke_many(cx.db(), &me, false, &cx.ip()).await?;
    Ok(StatusResponse {
        status: true,
        message: None,
    })
}

/// Ends every session of the caller's, this one too.
#[server(name = RevokeSessions, prefix = "/api/auth", endpoint = "revoke-sessions", input = leptos::server_fn::codec::Json)]
pub async fn revoke_sessions() -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    devices::revoke_many(cx.db(), &me, true, &cx.ip()).await?;
    cx.set_cookie(&sessions::clear_cookie(cx.config()));
    Ok(StatusResponse {
        status: true,
        message: None,
    })
}

/// A new password, with the current one; optionally every other session
/// ends. Wrong current passwords count as failed sign-ins to the account.
#[server(name = ChangePassword, prefix = "/api/auth", endpoint = "change-password", input = leptos::server_fn::codec::Json)]
pub async fn change_password(
    #[server(flatten)] body: ChangePasswordBody,
) -> Result<ChangePasswordResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("change their password")?;
    profile::change_password(cx.db(), &me, body, &cx.ip()).await
}

/// A new address for the caller's account: a link goes there, the old
/// address is told, and nothing changes until the link is followed.
#[server(name = ChangeEmail, prefix = "/api/auth", endpoint = "change-email", input = leptos::server_fn::codec::Json)]
pub async fn change_email(
    #[server(flatten)] body: ChangeEmailBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("change their email address")?;
    cx.rate_limit("change-email", cx.config().rate_limits.password_reset)
        .await?;
    let done = recovery::change_email(cx.db(), cx.config(), &me.user, body, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

/// The caller's name and picture.
#[server(name = UpdateUser, prefix = "/api/auth", endpoint = "update-user", input = leptos::server_fn::codec::Json)]
pub async fn update_user(
    #[server(flatten)] body: UpdateUserBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    profile::update(cx.db(), &me, body, &cx.ip()).await?;
    Ok(StatusResponse {
        status: true,
        message: None,
    })
}

/// Deleting one's account, with its password: a confirmation link goes to
/// the account's address, and nothing is deleted until it is followed.
#[server(name = DeleteUser, prefix = "/api/auth", endpoint = "delete-user", input = leptos::server_fn::codec::Json)]
pub async fn delete_user(
    #[server(flatten)] body: DeleteUserBody,
) -> Result<DeleteUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("delete their account")?;
    let done = removal::request(cx.db(), cx.config(), &me, body, &cx.ip()).await?;
    cx.state.mail.wake();
    Ok(done)
}

/// The confirmation link's page posts here: the account is deleted and
/// this browser signed out. A POST, so a mail scanner opening the link
/// deletes nothing.
#[server(name = DeleteUserCallback, prefix = "/api/auth", endpoint = "delete-user/callback", input = leptos::server_fn::codec::Json)]
pub async fn delete_user_callback(
    #[server(flatten)] body: DeleteUserCallbackBody,
) -> Result<DeleteUserResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("delete-user-token", config.rate_limits.password_reset)
        .await?;
    let token = required(&body.token, "token")?;
    let done = removal::confirm(cx.db(), config, token, &cx.ip()).await?;
    cx.set_cookie(&sessions::clear_cookie(config));
    Ok(done)
}

/// The caller's session and user, or `null` when signed out.
#[server(name = GetSession, prefix = "/api/auth", endpoint = "get-session", input = GetUrl)]
pub async fn get_session() -> Result<Option<SessionWithUser>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    Ok(cx.session().await?.as_ref().map(sign_in::session_view))
}

#[server(name = RequestPasswordReset, prefix = "/api/auth", endpoint = "request-password-reset", input = leptos::server_fn::codec::Json)]
pub async fn request_password_reset(
    #[server(flatten)] body: RequestPasswordResetBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.rate_limit("password-reset", cx.config().rate_limits.password_reset)
        .await?;
    recovery::request_password_reset(&cx.state, body, cx.ip())
}

#[server(name = ResetPassword, prefix = "/api/auth", endpoint = "reset-password", input = leptos::server_fn::codec::Json)]
pub async fn reset_password(
    #[server(flatten)] body: ResetPasswordBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.rate_limit("reset-password", cx.config().rate_limits.password_reset)
        .await?;
    recovery::reset_password(cx.db(), cx.config(), body, &cx.ip()).await
}

/// Sends a link that proves the caller reads this mailbox (Better Auth's
/// `send-verification-email`). Signed in, it is for one's own unverified
/// address; signed out, it answers the same whether or not the address has
/// an account.
#[server(name = SendVerificationEmail, prefix = "/api/auth", endpoint = "send-verification-email", input = leptos::server_fn::codec::Json)]
pub async fn send_verification_email(
    #[server(flatten)] body: SendVerificationEmailBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    cx.rate_limit("verify-email", cx.config().rate_limits.password_reset)
        .await?;
    let me = cx.session().await?;
    recovery::send_verification_email(&cx.state, me.as_ref().map(|m| &m.user), body).await
}

/// Spends a verification link and marks its email verified. A POST (the
/// page `/verify-email` asks first): a mail scanner that opens every link
/// must not verify an address on its own (SPEC §8: state changes on POST).
#[server(name = VerifyEmail, prefix = "/api/auth", endpoint = "verify-email", input = leptos::server_fn::codec::Json)]
pub async fn verify_email(
    #[server(flatten)] body: VerifyEmailBody,
) -> Result<VerifyEmailResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let config = cx.config();
    cx.rate_limit("verify-email-token", config.rate_limits.password_reset)
        .await?;
    let token = required(&body.token, "token")?;
    recovery::verify_email(cx.db(), config, token, &cx.ip()).await
}

/// What the account pages need to know about this instance before anyone
/// signs in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceInfo {
    pub open_sign_up: bool,
}

#[server(name = GetInstanceInfo, prefix = "/api/auth", endpoint = "gatehouse/instance", input = GetUrl)]
pub async fn get_instance_info() -> Result<InstanceInfo, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    Ok(InstanceInfo {
        open_sign_up: cx.config().sign_up_mode == crate::config::SignUpMode::Open,
    })
}
