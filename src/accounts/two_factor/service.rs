//! Two-factor authentication (issue 27, third part; Better Auth's
//! `twoFactor` shapes): turning it on with the password and a first code,
//! the second step of signing in (a TOTP or a backup code), devices
//! trusted for 30 days, new backup codes, turning it off. Every code check
//! takes the account's turn, as passwords do (SPEC §8), and a sign-in
//! allows five wrong codes before it must start again.

use std::time::Duration;

use serde_json::json;

use super::{
    codes::{self, Authenticator},
    store::{self, FactorRow},
    BackupCodesResponse, Setup, TotpUriResponse, TwoFactorStatus,
};
use crate::{
    accounts::{
        profile::confirm_password,
        sessions::{self, Current},
        sign_in::{banned, Client},
        store::{self as accounts, UserRow},
    },
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
        rate_limit,
    },
};

/// The cookie that carries a sign-in to its second step.
pub const CHALLENGE_COOKIE: &str = "gatehouse.two_factor";
/// The cookie of a device trusted to skip the second step.
pub const TRUST_COOKIE: &str = "gatehouse.trust_device";
pub const CHALLENGE_TTL: Duration = Duration::from_secs(10 * 60);
pub const TRUST_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Wrong codes one sign-in may try before it must start again.
const CHALLENGE_TRIES: i64 = 5;

fn not_enabled() -> ApiError {
    ApiError::new(
        Code::TwoFactorNotEnabled,
        "Two-factor authentication is not on for this account.",
    )
}

pub fn expired() -> ApiError {
    ApiError::new(
        Code::InvalidTwoFactorCookie,
        "This sign-in has expired or was never started: sign in again.",
    )
}

/// How authenticator apps label this instance's accounts.
fn issuer(config: &Config) -> String {
    format!(
        "Gatehouse ({})",
        config.base_url.host_str().unwrap_or("local")
    )
}

fn authenticator(config: &Config, row: &FactorRow, email: &str) -> ApiResult<Authenticator> {
    let secret = config
        .secret_key
        .open(&row.secret)
        .ok_or_else(ApiError::internal)?;
    Authenticator::new(secret, &issuer(config), email).ok_or_else(ApiError::internal)
}

fn hashed(codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .filter_map(|c| codes::normalized_backup(c))
        .map(|c| crypto::hash_token(&c))
        .collect()
}

/// The account's turn to try a code (failures in a row make it wait, as
/// for passwords): answers the bucket, cleared on success.
async fn take_turn(db: &Db, user_id: &str) -> ApiResult<String> {
    let key = format!("two-factor-failures:{user_id}");
    if let Some(wait) = rate_limit::take_sign_in_turn(db, &key, clock::now_ms()).await? {
        return Err(ApiError::too_many(
            Code::TooManyRequests,
            format!("Too many wrong codes for this account. Please try again in {wait}."),
            wait.seconds(),
        ));
    }
    Ok(key)
}

fn now_secs() -> u64 {
    u64::try_from(clock::now_ms() / 1000).unwrap_or_default()
}

/// `two-factor/enable`: a new secret and ten backup codes, waiting for the
/// first code from the app (`verify-totp`) before sign-in asks for one.
pub async fn enable(
    db: &Db,
    config: &Config,
    me: &Current,
    password: &str,
) -> ApiResult<(String, Vec<String>)> {
    confirm_password(db, &me.user, password).await?;
    if me.user.two_factor_enabled {
        return Err(ApiError::new(
            Code::TwoFactorAlreadyEnabled,
            "Two-factor authentication is on already. Turn it off first to set up another app.",
        ));
    }
    let secret = Authenticator::new_secret();
    let app = Authenticator::new(secret.clone(), &issuer(config), &me.user.email)
        .ok_or_else(ApiError::internal)?;
    let backup = codes::new_backup_codes();
    let shown = serde_json::to_vec(&backup).map_err(|_| ApiError::internal())?;
    let mut tx = db.begin().await?;
    store::set_pending(
        &mut tx,
        &me.user.id,
        &config.secret_key.seal(&secret),
        &hashed(&backup),
        &config.secret_key.seal(&shown),
    )
    .await?;
    tx.commit().await?;
    Ok((app.uri(), backup))
}

/// Where the account stands, for `/account`: on or not, how many backup
/// codes are left, and a setup waiting for its first code.
pub async fn status(db: &Db, config: &Config, me: &UserRow) -> ApiResult<TwoFactorStatus> {
    let mut tx = db.begin().await?;
    let row = store::factor(&mut tx, &me.id).await?;
    tx.commit().await?;
    // The codes the page shows once: a setup's, or new ones.
    let shown: Vec<String> = row
        .as_ref()
        .and_then(|r| r.pending_codes.as_deref())
        .and_then(|sealed| config.secret_key.open(sealed))
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default();
    let (setup, new_backup_codes) = match &row {
        Some(row) if !me.two_factor_enabled => {
            let app = authenticator(config, row, &me.email)?;
            let setup = Setup {
                totp_uri: app.uri(),
                key: app.key(),
                backup_codes: shown,
            };
            (Some(setup), Vec::new())
        }
        _ => (None, shown),
    };
    Ok(TwoFactorStatus {
        enabled: me.two_factor_enabled,
        backup_codes_left: row
            .filter(|_| me.two_factor_enabled)
            .map_or(0, |r| r.backup_codes.len()),
        setup,
        new_backup_codes,
    })
}

/// `verify-totp` while signed in: the first code from the app turns
/// two-factor authentication on.
pub async fn confirm(
    db: &Db,
    config: &Config,
    me: &Current,
    code: &str,
    ip: &str,
) -> ApiResult<()> {
    let key = take_turn(db, &me.user.id).await?;
    let mut tx = db.begin().await?;
    let row = store::factor(&mut tx, &me.user.id)
        .await?
        .ok_or_else(not_enabled)?;
    if me.user.two_factor_enabled {
        return Err(ApiError::new(
            Code::TwoFactorAlreadyEnabled,
            "Two-factor authentication is on already.",
        ));
    }
    let app = authenticator(config, &row, &me.user.email)?;
    let accepted = match app.step_of(code, now_secs()) {
        Some(step) => store::spend_step(&mut tx, &me.user.id, step).await?,
        None => false,
    };
    if !accepted {
        return Err(ApiError::new(
            Code::InvalidCode,
            "That code is not right. Type the six digits your app shows now.",
        ));
    }
    store::set_enabled(&mut tx, &me.user.id, true).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.two-factor-enable")
            .actor(&me.user.id)
            .target(&me.user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    rate_limit::clear(db, &key).await?;
    Ok(())
}

/// Whether `user` signing in on a device that sent `trusted` (its trust
/// cookie) must give a second factor.
pub async fn second_step_needed(
    tx: &mut Tx,
    user: &UserRow,
    trusted: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    if !user.two_factor_enabled {
        return Ok(false);
    }
    Ok(match trusted {
        Some(token) => !store::is_trusted(tx, &user.id, &crypto::hash_token(token), now).await?,
        None => true,
    })
}

/// Starts the second step of `user`'s sign-in: the token of its cookie.
pub async fn challenge(tx: &mut Tx, user: &UserRow, now: i64) -> sqlx::Result<String> {
    let token = crypto::new_token();
    let expires_at = now + clock::ms(CHALLENGE_TTL);
    store::insert_challenge(tx, &user.id, &crypto::hash_token(&token), expires_at).await?;
    Ok(token)
}

/// What proves the second factor.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    Totp(&'a str),
    Backup(&'a str),
}

/// A completed sign-in: the session's token, the person, and the token of
/// the trust cookie when they asked to trust this device.
pub struct SignedIn {
    pub token: String,
    pub user: UserRow,
    pub trusted: Option<String>,
}

/// `verify-totp` and `verify-backup-code` after a sign-in that asked for
/// them: the challenge of `challenge_token` completes with a session.
pub async fn second_step(
    db: &Db,
    config: &Config,
    challenge_token: &str,
    proof: Proof<'_>,
    trust: bool,
    client: Client<'_>,
) -> ApiResult<SignedIn> {
    let hash = crypto::hash_token(challenge_token);
    let user_id = {
        let mut tx = db.begin().await?;
        let found = store::challenge(&mut tx, &hash, clock::now_ms()).await?;
        tx.commit().await?;
        found.ok_or_else(expired)?.0
    };
    let key = take_turn(db, &user_id).await?;
    let mut tx = db.begin().await?;
    let user = accounts::find_by_id(&mut tx, &user_id)
        .await?
        .ok_or_else(expired)?;
    if user.disabled {
        return Err(banned(&user));
    }
    let row = store::factor(&mut tx, &user.id)
        .await?
        .filter(|_| user.two_factor_enabled)
        .ok_or_else(not_enabled)?;
    let accepted = match proof {
        Proof::Totp(code) => {
            match authenticator(config, &row, &user.email)?.step_of(code, now_secs()) {
                Some(step) => store::spend_step(&mut tx, &user.id, step).await?,
                None => false,
            }
        }
        Proof::Backup(code) => {
            let typed = codes::normalized_backup(code).map(|c| crypto::hash_token(&c));
            match row
                .backup_codes
                .iter()
                .position(|h| Some(h) == typed.as_ref())
            {
                Some(i) => {
                    let mut left = row.backup_codes.clone();
                    left.remove(i);
                    store::set_backup_codes(&mut tx, &user.id, &left).await?;
                    true
                }
                None => false,
            }
        }
    };
    if !accepted {
        let failures = store::fail_challenge(&mut tx, &hash, CHALLENGE_TRIES).await?;
        tx.commit().await?;
        if failures >= CHALLENGE_TRIES {
            return Err(ApiError::new(
                Code::TooManyAttemptsRequestNewCode,
                "Too many wrong codes: sign in again to get another try.",
            ));
        }
        let left = CHALLENGE_TRIES - failures;
        let tries = if left == 1 { "try" } else { "tries" };
        return Err(match proof {
            Proof::Totp(_) => ApiError::new(
                Code::InvalidCode,
                format!("That code is not right ({left} {tries} left). Type the six digits your app shows now."),
            ),
            Proof::Backup(_) => ApiError::new(
                Code::InvalidBackupCode,
                format!("That backup code is not right, or was used already ({left} {tries} left)."),
            ),
        });
    }
    store::end_challenge(&mut tx, &hash).await?;
    let (token, _) =
        sessions::create(&mut tx, config, &user.id, client.ip, client.user_agent).await?;
    let now = clock::now_ms();
    let trusted = if trust {
        let device = crypto::new_token();
        let until = now + clock::ms(TRUST_TTL);
        store::trust_device(&mut tx, &user.id, &crypto::hash_token(&device), until).await?;
        Some(device)
    } else {
        None
    };
    audit::record(
        &mut tx,
        audit::Event::new("session.sign-in")
            .actor(&user.id)
            .target(&user.id)
            .after(json!({
                "secondFactor": match proof { Proof::Totp(_) => "totp", Proof::Backup(_) => "backup-code" },
                "trustDevice": trust,
            }))
            .ip(client.ip),
    )
    .await?;
    tx.commit().await?;
    rate_limit::clear(db, &key).await?;
    Ok(SignedIn {
        token,
        user,
        trusted,
    })
}

/// `two-factor/get-totp-uri`: the app's URI again, with the password.
pub async fn totp_uri(
    db: &Db,
    config: &Config,
    me: &Current,
    password: &str,
) -> ApiResult<TotpUriResponse> {
    confirm_password(db, &me.user, password).await?;
    let mut tx = db.begin().await?;
    let row = store::factor(&mut tx, &me.user.id)
        .await?
        .ok_or_else(not_enabled)?;
    tx.commit().await?;
    Ok(TotpUriResponse {
        totp_uri: authenticator(config, &row, &me.user.email)?.uri(),
    })
}

/// `two-factor/generate-backup-codes`: ten new codes; the old ones stop
/// working. With `show`, `/account` shows them (sealed meanwhile, as a
/// setup's are) until the person says they saved them.
pub async fn new_backup_codes(
    db: &Db,
    config: &Config,
    me: &Current,
    password: &str,
    show: bool,
    ip: &str,
) -> ApiResult<BackupCodesResponse> {
    confirm_password(db, &me.user, password).await?;
    if !me.user.two_factor_enabled {
        return Err(not_enabled());
    }
    let backup = codes::new_backup_codes();
    let mut tx = db.begin().await?;
    store::set_backup_codes(&mut tx, &me.user.id, &hashed(&backup)).await?;
    if show {
        let shown = serde_json::to_vec(&backup).map_err(|_| ApiError::internal())?;
        let sealed = config.secret_key.seal(&shown);
        store::set_shown_codes(&mut tx, &me.user.id, Some(&sealed)).await?;
    }
    audit::record(
        &mut tx,
        audit::Event::new("user.two-factor-backup-codes")
            .actor(&me.user.id)
            .target(&me.user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(BackupCodesResponse {
        status: true,
        backup_codes: backup,
    })
}

/// `two-factor/hide-backup-codes`: the page stops showing new codes.
pub async fn hide_backup_codes(db: &Db, me: &Current) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    store::set_shown_codes(&mut tx, &me.user.id, None).await?;
    tx.commit().await?;
    Ok(())
}

/// `two-factor/disable`: off, with the password; the secret, the backup
/// codes and the trusted devices are forgotten.
pub async fn disable(db: &Db, me: &Current, password: &str, ip: &str) -> ApiResult<()> {
    confirm_password(db, &me.user, password).await?;
    let mut tx = db.begin().await?;
    if !me.user.two_factor_enabled && store::factor(&mut tx, &me.user.id).await?.is_none() {
        return Err(not_enabled());
    }
    store::set_enabled(&mut tx, &me.user.id, false).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.two-factor-disable")
            .actor(&me.user.id)
            .target(&me.user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
