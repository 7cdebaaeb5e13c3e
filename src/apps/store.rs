//! Queries of apps, grants, codes and tokens.

use sqlx::{any::AnyRow, Row};

use super::domain::{AuthMethod, Policy, Scopes};
use crate::server::db::{Db, Tx};

/// A registered app (an OAuth client).
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub skip_consent: bool,
    pub policy: Policy,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const CLIENT_COLUMNS: &str =
    "id, name, secret_hash, auth_method, redirect_uris, post_logout_redirect_uris, \
    scopes, skip_consent, allowed_roles, allowed_organizations, allowed_teams, disabled, created_at, updated_at";

fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl ClientRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        let method: String = row.try_get("auth_method")?;
        Ok(Self {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            secret_hash: row.try_get("secret_hash")?,
            auth_method: AuthMethod::parse(&method).unwrap_or(AuthMethod::SecretBasic),
            redirect_uris: list(&row.try_get::<String, _>("redirect_uris")?),
            post_logout_redirect_uris: list(
                &row.try_get::<String, _>("post_logout_redirect_uris")?,
            ),
            scopes: Scopes::parse(&row.try_get::<String, _>("scopes")?).unwrap_or_default(),
            skip_consent: row.try_get::<i64, _>("skip_consent")? != 0,
            policy: Policy {
                roles: list(&row.try_get::<String, _>("allowed_roles")?),
                organizations: list(&row.try_get::<String, _>("allowed_organizations")?),
                teams: list(&row.try_get::<String, _>("allowed_teams")?),
            },
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

pub async fn clients(db: &Db) -> sqlx::Result<Vec<ClientRow>> {
    sqlx::query(&format!(
        "select {CLIENT_COLUMNS} from oauth_clients order by created_at, id"
    ))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(ClientRow::from_row)
    .collect()
}

pub async fn client<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: &str,
) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query(&format!(
        "select {CLIENT_COLUMNS} from oauth_clients where id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(ClientRow::from_row)
    .transpose()
}

/// Inserts or, when the id exists, replaces every setting but the secret.
pub async fn save_client(tx: &mut Tx, c: &ClientRow, created_by: Option<&str>) -> sqlx::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "insert into oauth_clients (id, name, secret_hash, auth_method, redirect_uris, post_logout_redirect_uris,
           scopes, skip_consent, allowed_roles, allowed_organizations, disabled, created_by, created_at, updated_at,
           allowed_teams)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         on conflict (id) do update set name = $2, auth_method = $4, redirect_uris = $5,
           post_logout_redirect_uris = $6, scopes = $7, skip_consent = $8, allowed_roles = $9,
           allowed_organizations = $10, disabled = $11, updated_at = $14, allowed_teams = $15",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.secret_hash)
    .bind(c.auth_method.as_str())
    .bind(json(&c.redirect_uris))
    .bind(json(&c.post_logout_redirect_uris))
    .bind(c.scopes.to_string())
    .bind(i64::from(c.skip_consent))
    .bind(json(&c.policy.roles))
    .bind(json(&c.policy.organizations))
    .bind(i64::from(c.disabled))
    .bind(created_by)
    .bind(c.created_at)
    .bind(c.updated_at)
    .bind(json(&c.policy.teams))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_secret(tx: &mut Tx, id: &str, hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("update oauth_clients set secret_hash = $1, updated_at = $2 where id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete_client(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    // Children first: PostgreSQL and SQLite agree on cascades, but the
    // refresh tokens hang off families, not off the app.
    sqlx::query(
        "delete from oauth_refresh_tokens where family_id in (select id from oauth_token_families where client_id = $1)",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    for table in ["oauth_token_families", "oauth_codes", "oauth_grants"] {
        sqlx::query(&format!("delete from {table} where client_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("delete from oauth_clients where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many people use each app (a live grant): for the admin list.
pub async fn grant_counts(db: &Db) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query("select client_id, count(*) as n from oauth_grants group by client_id")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("client_id")?, r.try_get("n")?)))
        .collect()
}

/// The scopes a person allowed an app, if they did.
pub async fn grant(db: &Db, user_id: &str, client_id: &str) -> sqlx::Result<Option<Scopes>> {
    Ok(
        sqlx::query("select scopes from oauth_grants where user_id = $1 and client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(db.pool())
            .await?
            .and_then(|r| r.try_get::<String, _>("scopes").ok())
            .map(|s| Scopes::parse(&s).unwrap_or_default()),
    )
}

/// Records (or widens) what a person allowed an app.
pub async fn save_grant(
    tx: &mut Tx,
    user_id: &str,
    client_id: &str,
    scopes: &Scopes,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into oauth_grants (user_id, client_id, scopes, created_at, updated_at) values ($1, $2, $3, $4, $4)
         on conflict (user_id, client_id) do update set scopes = $3, updated_at = $4",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(scopes.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A person's connected apps: each app they allowed, with when.
pub struct GrantRow {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Scopes,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn grants_of(db: &Db, user_id: &str) -> sqlx::Result<Vec<GrantRow>> {
    sqlx::query(
        "select g.client_id, c.name, g.scopes, g.created_at, g.updated_at from oauth_grants g
         join oauth_clients c on c.id = g.client_id where g.user_id = $1 order by c.name, c.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(GrantRow {
            client_id: r.try_get("client_id")?,
            client_name: r.try_get("name")?,
            scopes: Scopes::parse(&r.try_get::<String, _>("scopes")?).unwrap_or_default(),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    })
    .collect()
}

/// Removes a grant and ends every sign-in it allowed. Whether there was one.
pub async fn revoke_grant(
    tx: &mut Tx,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let removed = sqlx::query("delete from oauth_grants where user_id = $1 and client_id = $2")
        .bind(user_id)
        .bind(client_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    // A code given out a moment ago must not begin a new sign-in.
    sqlx::query(
        "delete from oauth_codes where user_id = $1 and client_id = $2 and used_at is null",
    )
    .bind(user_id)
    .bind(client_id)
    .execute(&mut **tx)
    .await?;
    let ended = sqlx::query(
        "update oauth_token_families set revoked_at = $1 where user_id = $2 and client_id = $3 and revoked_at is null",
    )
    .bind(now)
    .bind(user_id)
    .bind(client_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(removed + ended > 0)
}

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a Scopes,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub now: i64,
}

pub async fn insert_code(db: &Db, c: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into oauth_codes (code_hash, client_id, user_id, redirect_uri, scopes, nonce, code_challenge,
           auth_time, expires_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.code_hash)
    .bind(c.client_id)
    .bind(c.user_id)
    .bind(c.redirect_uri)
    .bind(c.scopes.to_string())
    .bind(c.nonce)
    .bind(c.code_challenge)
    .bind(c.auth_time)
    .bind(c.expires_at)
    .bind(c.now)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub struct CodeRow {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub family_id: Option<String>,
    pub used: bool,
}

const CODE: &str = "select client_id, user_id, redirect_uri, scopes, nonce, code_challenge, auth_time, expires_at, family_id, used_at
     from oauth_codes where code_hash = $1";

pub async fn code(db: &Db, code_hash: &str) -> sqlx::Result<Option<CodeRow>> {
    let row = sqlx::query(CODE)
        .bind(code_hash)
        .fetch_optional(db.pool())
        .await?;
    code_row(row)
}

/// A code, locked for its exchange (on PostgreSQL; on SQLite the write
/// transaction holds the whole database already).
pub async fn code_for_use(tx: &mut Tx, code_hash: &str) -> sqlx::Result<Option<CodeRow>> {
    let lock = crate::server::db::row_lock(tx, "for update");
    let row = sqlx::query(&format!("{CODE} {lock}"))
        .bind(code_hash)
        .fetch_optional(&mut **tx)
        .await?;
    code_row(row)
}

fn code_row(row: Option<AnyRow>) -> sqlx::Result<Option<CodeRow>> {
    row.map(|r| {
        Ok(CodeRow {
            client_id: r.try_get("client_id")?,
            user_id: r.try_get("user_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            scopes: Scopes::parse(&r.try_get::<String, _>("scopes")?).unwrap_or_default(),
            nonce: r.try_get("nonce")?,
            code_challenge: r.try_get("code_challenge")?,
            auth_time: r.try_get("auth_time")?,
            expires_at: r.try_get("expires_at")?,
            family_id: r.try_get("family_id")?,
            used: r.try_get::<Option<i64>, _>("used_at")?.is_some(),
        })
    })
    .transpose()
}

/// Marks a code exchanged for `family_id` (its row is locked).
pub async fn use_code(tx: &mut Tx, code_hash: &str, family_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("update oauth_codes set used_at = $1, family_id = $2 where code_hash = $3")
        .bind(now)
        .bind(family_id)
        .bind(code_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A sign-in into an app, and the tokens that carry it on.
#[derive(Debug, Clone)]
pub struct FamilyRow {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Scopes,
    pub auth_time: i64,
    pub revoked: bool,
}

pub async fn insert_family(tx: &mut Tx, f: &FamilyRow, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "insert into oauth_token_families (id, client_id, user_id, scopes, auth_time, created_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&f.id)
    .bind(&f.client_id)
    .bind(&f.user_id)
    .bind(f.scopes.to_string())
    .bind(f.auth_time)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn family(r: &AnyRow) -> sqlx::Result<FamilyRow> {
    Ok(FamilyRow {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        user_id: r.try_get("user_id")?,
        scopes: Scopes::parse(&r.try_get::<String, _>("scopes")?).unwrap_or_default(),
        auth_time: r.try_get("auth_time")?,
        revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

pub async fn family_by_id<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: &str,
) -> sqlx::Result<Option<FamilyRow>> {
    sqlx::query("select id, client_id, user_id, scopes, auth_time, revoked_at from oauth_token_families where id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(family)
        .transpose()
}

/// Ends a sign-in: its refresh tokens stop working, and so does every
/// access token checked with us (userinfo, introspection). Whether it was
/// still live.
pub async fn revoke_family<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "update oauth_token_families set revoked_at = $1 where id = $2 and revoked_at is null",
    )
    .bind(now)
    .bind(id)
    .execute(executor)
    .await?
    .rows_affected()
        == 1)
}

pub async fn insert_refresh(
    tx: &mut Tx,
    token_hash: &str,
    family_id: &str,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into oauth_refresh_tokens (token_hash, family_id, expires_at, created_at) values ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A refresh token: whether it was used, when it expires, and its family.
pub struct RefreshRow {
    pub expires_at: i64,
    pub used: bool,
    pub family: FamilyRow,
}

const REFRESH: &str = "select r.expires_at, r.used_at, f.id, f.client_id, f.user_id, f.scopes, f.auth_time, f.revoked_at
     from oauth_refresh_tokens r join oauth_token_families f on f.id = r.family_id where r.token_hash = $1";

pub async fn refresh(db: &Db, token_hash: &str) -> sqlx::Result<Option<RefreshRow>> {
    let row = sqlx::query(REFRESH)
        .bind(token_hash)
        .fetch_optional(db.pool())
        .await?;
    refresh_row(row)
}

/// A refresh token, locked for its use, as `code` is.
pub async fn refresh_for_use(tx: &mut Tx, token_hash: &str) -> sqlx::Result<Option<RefreshRow>> {
    let lock = crate::server::db::row_lock(tx, "for update");
    let row = sqlx::query(&format!("{REFRESH} {lock}"))
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await?;
    refresh_row(row)
}

fn refresh_row(row: Option<AnyRow>) -> sqlx::Result<Option<RefreshRow>> {
    row.map(|r| {
        Ok(RefreshRow {
            expires_at: r.try_get("expires_at")?,
            used: r.try_get::<Option<i64>, _>("used_at")?.is_some(),
            family: family(&r)?,
        })
    })
    .transpose()
}

/// Marks a refresh token used (its row is locked).
pub async fn use_refresh(tx: &mut Tx, token_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("update oauth_refresh_tokens set used_at = $1 where token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Spent codes and tokens no one can use any more.
pub async fn prune(db: &Db, now: i64) -> sqlx::Result<u64> {
    let codes = sqlx::query("delete from oauth_codes where expires_at < $1")
        .bind(now - 24 * 3600 * 1000)
        .execute(db.pool())
        .await?
        .rows_affected();
    let tokens = sqlx::query("delete from oauth_refresh_tokens where expires_at < $1")
        .bind(now)
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(codes + tokens)
}
