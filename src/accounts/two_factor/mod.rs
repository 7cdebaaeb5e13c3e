//! Two-factor authentication under `/api/auth/two-factor/`, in Better
//! Auth's `twoFactor` shapes (SPEC §5 "accounts"): TOTP from an
//! authenticator app, backup codes, trusted devices.

#[cfg(feature = "ssr")]
pub mod codes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::UserView;
use crate::error::ApiError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TwoFactorPasswordBody {
    pub password: Option<crate::secret::SecretText>,
}

/// `generate-backup-codes`: the password, and (Gatehouse's own, sent by
/// `/account`'s plain form) whether the page shows the new codes until the
/// person says they saved them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupCodesBody {
    pub password: Option<crate::secret::SecretText>,
    #[cfg_attr(
        feature = "ssr",
        serde(default, deserialize_with = "crate::ui::form_bool")
    )]
    pub show_on_page: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableTwoFactorResponse {
    #[serde(rename = "totpURI")]
    pub totp_uri: String,
    /// Shown once: only their hashes are kept.
    pub backup_codes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCodeBody {
    pub code: Option<crate::secret::SecretText>,
    /// Skip the second step on this device for 30 days.
    #[serde(default, deserialize_with = "crate::ui::form_bool")]
    pub trust_device: Option<bool>,
}

/// The session a second step completes (or the caller's, when the first
/// code turned two-factor authentication on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorSignIn {
    pub token: crate::secret::SecretText,
    pub user: UserView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotpUriResponse {
    #[serde(rename = "totpURI")]
    pub totp_uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupCodesResponse {
    pub status: bool,
    pub backup_codes: Vec<String>,
}

/// A setup waiting for the first code from the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    #[serde(rename = "totpURI")]
    pub totp_uri: String,
    /// The secret as typed into an app that cannot scan (base32).
    pub key: String,
    pub backup_codes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub backup_codes_left: usize,
    pub setup: Option<Setup>,
    /// New backup codes made from the page, shown until the person says
    /// they saved them (`hide-backup-codes`).
    #[serde(default)]
    pub new_backup_codes: Vec<String>,
}

/// A new secret and ten backup codes, with the password; sign-in asks for
/// a code once the first one from the app is confirmed (`verify-totp`).
#[server(name = TwoFactorEnable, prefix = "/api/auth", endpoint = "two-factor/enable", input = leptos::server_fn::codec::Json)]
pub async fn two_factor_enable(
    #[server(flatten)] body: TwoFactorPasswordBody,
) -> Result<EnableTwoFactorResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("turn on two-factor authentication")?;
    let password = crate::accounts::required(&body.password, "password")?;
    let (totp_uri, backup_codes) = service::enable(cx.db(), cx.config(), &me, password).await?;
    Ok(EnableTwoFactorResponse {
        totp_uri,
        backup_codes,
    })
}

/// Where the caller's two-factor authentication stands (Gatehouse's own,
/// for `/account`).
#[server(name = TwoFactorStatusFn, prefix = "/api/auth", endpoint = "two-factor/status", input = GetUrl)]
pub async fn two_factor_status() -> Result<TwoFactorStatus, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    // An admin acting as the person sees whether it is on, not the secret.
    if me.session.impersonated_by.is_some() {
        return Ok(TwoFactorStatus {
            enabled: me.user.two_factor_enabled,
            ..Default::default()
        });
    }
    service::status(cx.db(), cx.config(), &me.user).await
}

/// A code from the app: the second step of a sign-in that asked for it
/// (its cookie), or, signed in, the first code that turns it on.
#[server(name = VerifyTotp, prefix = "/api/auth", endpoint = "two-factor/verify-totp", input = leptos::server_fn::codec::Json)]
pub async fn verify_totp(
    #[server(flatten)] body: VerifyCodeBody,
) -> Result<TwoFactorSignIn, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let code = crate::accounts::required(&body.code, "code")?;
    if challenge_of(&cx).is_none() {
        if let Some(me) = cx.session().await? {
            me.own_account("turn on two-factor authentication")?;
            service::confirm(cx.db(), cx.config(), &me, code, &cx.ip()).await?;
            let mut user = me.user.view();
            user.two_factor_enabled = true;
            return Ok(TwoFactorSignIn {
                token: me.token.into(),
                user,
            });
        }
    }
    second_step(&cx, service::Proof::Totp(code), body.trust_device).await
}

/// A backup code, instead of one from the app, at a sign-in's second step.
#[server(name = VerifyBackupCode, prefix = "/api/auth", endpoint = "two-factor/verify-backup-code", input = leptos::server_fn::codec::Json)]
pub async fn verify_backup_code(
    #[server(flatten)] body: VerifyCodeBody,
) -> Result<TwoFactorSignIn, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let code = crate::accounts::required(&body.code, "code")?;
    second_step(&cx, service::Proof::Backup(code), body.trust_device).await
}

/// The sign-in challenge this request carries, if any.
#[cfg(feature = "ssr")]
fn challenge_of(cx: &crate::context::RequestContext) -> Option<String> {
    let name = super::sessions::name_of(cx.config(), service::CHALLENGE_COOKIE);
    crate::context::cookie(&cx.parts, &name).filter(|t| !t.is_empty() && t.len() <= 128)
}

#[cfg(feature = "ssr")]
async fn second_step(
    cx: &crate::context::RequestContext,
    proof: service::Proof<'_>,
    trust: Option<bool>,
) -> Result<TwoFactorSignIn, ApiError> {
    use super::sessions::{cookie, named_cookie};
    let config = cx.config();
    // Its own bucket: a second step follows a sign-in that spent one.
    cx.rate_limit("two-factor", config.rate_limits.sign_in)
        .await?;
    let challenge = challenge_of(cx).ok_or_else(service::expired)?;
    let (ip, agent) = (cx.ip(), cx.user_agent());
    let client = super::sign_in::Client {
        ip: &ip,
        user_agent: agent.as_deref(),
    };
    let done = service::second_step(
        cx.db(),
        config,
        &challenge,
        proof,
        trust.unwrap_or(false),
        client,
    )
    .await;
    // A wrong code leaves the sign-in open for another try; anything else
    // (success, too many tries, an expired sign-in) ends it, and its cookie.
    let another_try = done.as_ref().is_err_and(|e| {
        e.code == crate::error::Code::InvalidCode || e.code == crate::error::Code::InvalidBackupCode
    });
    if !another_try {
        cx.set_cookie(&named_cookie(config, service::CHALLENGE_COOKIE, "", 0));
    }
    let done = done?;
    cx.set_cookie(&cookie(config, &done.token));
    if let Some(device) = &done.trusted {
        let lasts = service::TRUST_TTL.as_secs();
        cx.set_cookie(&named_cookie(config, service::TRUST_COOKIE, device, lasts));
    }
    Ok(TwoFactorSignIn {
        token: done.token.into(),
        user: done.user.view(),
    })
}

#[server(name = GetTotpUri, prefix = "/api/auth", endpoint = "two-factor/get-totp-uri", input = leptos::server_fn::codec::Json)]
pub async fn get_totp_uri(
    #[server(flatten)] body: TwoFactorPasswordBody,
) -> Result<TotpUriResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("see the two-factor secret")?;
    let password = crate::accounts::required(&body.password, "password")?;
    service::totp_uri(cx.db(), cx.config(), &me, password).await
}

/// Ten new backup codes, with the password; the old ones stop working.
#[server(name = GenerateBackupCodes, prefix = "/api/auth", endpoint = "two-factor/generate-backup-codes", input = leptos::server_fn::codec::Json)]
pub async fn generate_backup_codes(
    #[server(flatten)] body: BackupCodesBody,
) -> Result<BackupCodesResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("make new backup codes")?;
    let password = crate::accounts::required(&body.password, "password")?;
    let show = body.show_on_page.unwrap_or(false);
    service::new_backup_codes(cx.db(), cx.config(), &me, password, show, &cx.ip()).await
}

/// Gatehouse's own, for `/account`: the new backup codes the page shows
/// are saved, so it stops showing them.
#[server(name = HideBackupCodes, prefix = "/api/auth", endpoint = "two-factor/hide-backup-codes", input = leptos::server_fn::codec::Json)]
pub async fn hide_backup_codes() -> Result<crate::error::StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::hide_backup_codes(cx.db(), &me).await?;
    Ok(crate::error::StatusResponse {
        status: true,
        message: None,
    })
}

#[server(name = TwoFactorDisable, prefix = "/api/auth", endpoint = "two-factor/disable", input = leptos::server_fn::codec::Json)]
pub async fn two_factor_disable(
    #[server(flatten)] body: TwoFactorPasswordBody,
) -> Result<crate::error::StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    me.own_account("turn off two-factor authentication")?;
    let password = crate::accounts::required(&body.password, "password")?;
    service::disable(cx.db(), &me, password, &cx.ip()).await?;
    Ok(crate::error::StatusResponse {
        status: true,
        message: None,
    })
}
