//! Sessions: a random token in an HttpOnly cookie (or an `Authorization:
//! Bearer` header, for integrating apps), and only its hash in the database.

use http::{header, request::Parts};
use sqlx::Row;

use super::store::UserRow;
use crate::{
    access::roles::Permission,
    config::Config,
    context::RequestContext,
    error::{ApiError, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

pub const COOKIE_NAME: &str = "gatehouse.session_token";
/// The name on https (SPEC §8). Browsers accept a `__Host-` cookie only
/// from this very host, with `Secure`, `Path=/` and no `Domain`, so a
/// sibling subdomain cannot plant a session of its choosing here; the plain
/// name is then never read.
pub const HOST_COOKIE_NAME: &str = "__Host-gatehouse.session_token";

pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        HOST_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}
/// A session used more than this long after its last renewal is extended.
const RENEW_AFTER_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub active_organization_id: Option<String>,
    pub active_team_id: Option<String>,
    /// The admin acting as this account, in an impersonation session.
    pub impersonated_by: Option<String>,
}

/// A session's columns of a query over `sessions s`; the user's, beside
/// them, carry a `u_` prefix (`UserRow::COLUMNS_AS_U`), so none collide.
const COLUMNS: &str = "s.id, s.user_id, s.expires_at, s.created_at, s.updated_at, \
     s.ip_address, s.user_agent, s.active_organization_id, s.active_team_id, s.impersonated_by";

impl SessionRow {
    fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            ip_address: row.try_get("ip_address")?,
            user_agent: row.try_get("user_agent")?,
            active_organization_id: row.try_get("active_organization_id")?,
            active_team_id: row.try_get("active_team_id")?,
            impersonated_by: row.try_get("impersonated_by")?,
        })
    }
}

/// A live session with its user and the token that found it. Its `Debug`
/// leaves the token out.
#[derive(Clone)]
pub struct Current {
    pub token: String,
    pub session: SessionRow,
    pub user: UserRow,
    /// Set when this lookup extended the session, so the cookie is re-sent.
    pub renewed: bool,
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Current")
            .field("token", &"[REDACTED]")
            .field("session", &self.session)
            .field("user", &self.user)
            .field("renewed", &self.renewed)
            .finish()
    }
}

/// Who is signed in, as server functions ask it of their request. Written
/// here rather than in `context`, which reads requests and knows nothing
/// of accounts.
impl RequestContext {
    /// The caller's live session, if any; a renewed session re-sends its cookie.
    pub async fn session(&self) -> Result<Option<Current>, ApiError> {
        let Some(token) = token_from(&self.parts, self.config()) else {
            return Ok(None);
        };
        let current = lookup(self.db(), self.config(), &token).await?;
        if let Some(admin) = current
            .as_ref()
            .and_then(|c| c.session.impersonated_by.as_deref())
        {
            crate::audit::acting::impersonated_by(admin);
        }
        if current.as_ref().is_some_and(|c| c.renewed) {
            self.set_cookie(&cookie(self.config(), &token));
        }
        Ok(current)
    }

    /// The caller's session, or 401 `UNAUTHORIZED`.
    pub async fn signed_in(&self) -> Result<Current, ApiError> {
        self.session().await?.ok_or_else(ApiError::unauthenticated)
    }

    /// The caller's session, when their role's two-factor rule is met: for
    /// endpoints whose service judges the role itself (an invitation's
    /// creator may cancel it without `invite:cancel`).
    pub async fn signed_in_with_role(&self) -> Result<Current, ApiError> {
        let current = self.signed_in().await?;
        check_two_factor(self.config(), &current.user)?;
        Ok(current)
    }

    /// The caller's session when their role grants `permission`; 401 when
    /// signed out, 403 `FORBIDDEN` when the role falls short. Every guarded
    /// endpoint starts here.
    pub async fn require(&self, permission: Permission) -> Result<Current, ApiError> {
        let current = self.signed_in_with_role().await?;
        if self.config().roles.allows(&current.user.role, permission) {
            Ok(current)
        } else {
            tracing::info!(user = %current.user.id, %permission, "permission refused");
            Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "Your role ({}) does not allow this ({permission}).",
                    current.user.role
                ),
            ))
        }
    }
}

/// Issue 27: a role the instance lists in `two_factor_required_for` lets
/// its holder do nothing it grants until their account uses two-factor
/// authentication; they are told where to turn it on.
pub fn check_two_factor(config: &Config, user: &UserRow) -> Result<(), ApiError> {
    if user.two_factor_enabled || !config.two_factor_required_for.contains(&user.role) {
        return Ok(());
    }
    Err(ApiError::new(
        Code::TwoFactorRequired,
        format!(
            "Your role ({}) must use two-factor authentication: turn it on for your account at /account first.",
            user.role
        ),
    ))
}

impl Current {
    /// Refuses `doing` in an impersonation session: an admin acting as
    /// someone helps them, but never takes their account (its password,
    /// address, or its very existence).
    pub fn own_account(&self, doing: &str) -> Result<(), ApiError> {
        match self.session.impersonated_by {
            None => Ok(()),
            Some(_) => Err(ApiError::new(
                Code::NotAllowedWhileImpersonating,
                format!("While acting as someone, you cannot {doing}: only they can."),
            )),
        }
    }
}

/// Creates a session inside the caller's transaction; returns the raw token.
pub async fn create(
    tx: &mut Tx,
    config: &Config,
    user_id: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> sqlx::Result<(String, SessionRow)> {
    let lasts = clock::ms(config.session_ttl);
    insert(tx, user_id, ip, user_agent, lasts, None).await
}

/// A session of `user_id` that `admin_id` acts in, for `lasts` ms.
pub async fn create_impersonation(
    tx: &mut Tx,
    user_id: &str,
    admin_id: &str,
    ip: &str,
    user_agent: Option<&str>,
    lasts: i64,
) -> sqlx::Result<(String, SessionRow)> {
    insert(tx, user_id, ip, user_agent, lasts, Some(admin_id)).await
}

async fn insert(
    tx: &mut Tx,
    user_id: &str,
    ip: &str,
    user_agent: Option<&str>,
    lasts: i64,
    impersonated_by: Option<&str>,
) -> sqlx::Result<(String, SessionRow)> {
    let token = crypto::new_token();
    let now = clock::now_ms();
    let row = SessionRow {
        id: crypto::new_id(),
        user_id: user_id.to_owned(),
        expires_at: now + lasts,
        created_at: now,
        updated_at: now,
        ip_address: Some(ip.to_owned()),
        user_agent: user_agent.map(str::to_owned),
        active_organization_id: None,
        active_team_id: None,
        impersonated_by: impersonated_by.map(str::to_owned),
    };
    sqlx::query(
        "insert into sessions (id, token_hash, user_id, expires_at, created_at, updated_at, ip_address, user_agent, impersonated_by)
         values ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(&row.id)
    .bind(crypto::hash_token(&token))
    .bind(&row.user_id)
    .bind(row.expires_at)
    .bind(now)
    .bind(&row.ip_address)
    .bind(&row.user_agent)
    .bind(&row.impersonated_by)
    .execute(&mut **tx)
    .await?;
    Ok((token, row))
}

/// Finds the live session for a token, renewing it when it is over a day
/// since the last renewal. Expired sessions and disabled users find nothing.
pub async fn lookup(db: &Db, config: &Config, token: &str) -> sqlx::Result<Option<Current>> {
    let now = clock::now_ms();
    let row = sqlx::query(&format!(
        "select {COLUMNS}, {}
         from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > $2 and u.disabled = 0",
        UserRow::COLUMNS_AS_U
    ))
    .bind(crypto::hash_token(token))
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut session = SessionRow::from_row(&row)?;
    let user = UserRow::from_row(&row)?;
    let mut renewed = false;
    // An impersonation session ends at its cap, however busy.
    if session.impersonated_by.is_none() && now - session.updated_at > RENEW_AFTER_MS {
        session.expires_at = now + clock::ms(config.session_ttl);
        session.updated_at = now;
        sqlx::query("update sessions set expires_at = $1, updated_at = $2 where id = $3")
            .bind(session.expires_at)
            .bind(now)
            .bind(&session.id)
            .execute(db.pool())
            .await?;
        renewed = true;
    }
    Ok(Some(Current {
        token: token.to_owned(),
        session,
        user,
        renewed,
    }))
}

/// Ends one session. Returns whether it existed.
pub async fn delete_by_token(tx: &mut Tx, token: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from sessions where token_hash = $1")
        .bind(crypto::hash_token(token))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of a user (password change, disabling).
pub async fn delete_all_for_user(tx: &mut Tx, user_id: &str) -> sqlx::Result<u64> {
    // With the account's own sessions go those it holds as an admin acting
    // as someone else: they are its too.
    let done = sqlx::query("delete from sessions where user_id = $1 or impersonated_by = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Ends every session in which `admin_id` acts as someone else: what let
/// them (their role) changed.
pub async fn end_impersonations_by(tx: &mut Tx, admin_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from sessions where impersonated_by = $1")
        .bind(admin_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The live sessions of a user, the most recently renewed first.
pub async fn for_user(db: &Db, user_id: &str, now: i64) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from sessions s where s.user_id = $1 and s.expires_at > $2
         order by s.updated_at desc, s.created_at desc, s.id"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(SessionRow::from_row)
    .collect()
}

/// Ends one of `user_id`'s sessions, named by its token or its id (the id
/// is what `list-sessions` shows: only hashes of tokens are kept). Answers
/// whether one ended; someone else's session is never found.
pub async fn delete_mine(tx: &mut Tx, user_id: &str, token_or_id: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("delete from sessions where user_id = $1 and (id = $2 or token_hash = $3)")
            .bind(user_id)
            .bind(token_or_id)
            .bind(crypto::hash_token(token_or_id))
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Whose session this is, named by its token or its id.
pub async fn owner_of(tx: &mut Tx, token_or_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select user_id from sessions where id = $1 or token_hash = $2")
        .bind(token_or_id)
        .bind(crypto::hash_token(token_or_id))
        .fetch_optional(&mut **tx)
        .await
}

/// Ends every session of `user_id` but `keep_id`.
pub async fn delete_others(tx: &mut Tx, user_id: &str, keep_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from sessions where user_id = $1 and id <> $2")
        .bind(user_id)
        .bind(keep_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

pub async fn prune_expired(db: &Db, now_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from sessions where expires_at < $1")
        .bind(now_ms)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// The session token a request carries: the cookie, else a bearer token.
pub fn token_from(parts: &Parts, config: &Config) -> Option<String> {
    crate::context::cookie(parts, cookie_name(config))
        .or_else(|| {
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_owned())
        })
        .filter(|t| !t.is_empty() && t.len() <= 128)
}

pub fn cookie(config: &Config, token: &str) -> String {
    set_cookie(
        config,
        cookie_name(config),
        token,
        config.session_ttl.as_secs(),
    )
}

pub fn clear_cookie(config: &Config) -> String {
    set_cookie(config, cookie_name(config), "", 0)
}

/// Where an admin's own session waits while they act as someone else, so
/// that "stop" brings it back.
pub const ADMIN_SESSION: &str = "gatehouse.admin_session";

/// Another cookie of ours named `base`: on https with the `__Host-` prefix,
/// as the session's (see `HOST_COOKIE_NAME`).
pub fn name_of(config: &Config, base: &str) -> String {
    if config.secure_cookies() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// `Set-Cookie` for the cookie `base` (see `name_of`), with the session
/// cookie's flags; an empty value with no age removes it.
pub fn named_cookie(config: &Config, base: &str, value: &str, max_age: u64) -> String {
    set_cookie(config, &name_of(config, base), value, max_age)
}

fn set_cookie(config: &Config, name: &str, value: &str, max_age: u64) -> String {
    format!(
        "{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{}",
        if config.secure_cookies() {
            "; Secure"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts_with(headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    fn http() -> Config {
        Config::with_overrides(&[]).unwrap()
    }

    fn https() -> Config {
        Config::with_overrides(&[("base_url", "\"https://id.example.com\"")]).unwrap()
    }

    #[test]
    fn finds_the_cookie_among_others() {
        let p = parts_with(&[("cookie", "a=1; gatehouse.session_token=tok123; b=2")]);
        assert_eq!(token_from(&p, &http()).as_deref(), Some("tok123"));
    }

    #[test]
    fn on_https_only_the_host_cookie_counts() {
        let planted = parts_with(&[("cookie", "gatehouse.session_token=planted")]);
        assert_eq!(token_from(&planted, &https()), None);
        let own = parts_with(&[(
            "cookie",
            "gatehouse.session_token=planted; __Host-gatehouse.session_token=mine",
        )]);
        assert_eq!(token_from(&own, &https()).as_deref(), Some("mine"));
        assert_eq!(token_from(&own, &http()).as_deref(), Some("planted"));
    }

    #[test]
    fn falls_back_to_bearer() {
        let p = parts_with(&[("authorization", "Bearer tok456")]);
        assert_eq!(token_from(&p, &http()).as_deref(), Some("tok456"));
        assert_eq!(
            token_from(
                &parts_with(&[("cookie", "gatehouse.session_token=")]),
                &http()
            ),
            None
        );
        assert_eq!(token_from(&parts_with(&[]), &http()), None);
    }

    #[test]
    fn cookie_flags_follow_the_base_url() {
        let c = cookie(&http(), "t");
        assert!(c.starts_with("gatehouse.session_token=t;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!c.contains("Secure"));
        let secure = cookie(&https(), "t");
        assert!(
            secure.starts_with("__Host-gatehouse.session_token=t;"),
            "{secure}"
        );
        assert!(
            secure.ends_with("; Secure") && secure.contains("Path=/") && !secure.contains("Domain")
        );
        assert!(clear_cookie(&https()).starts_with("__Host-"));
        assert!(clear_cookie(&https()).contains("Max-Age=0"));
    }
}
