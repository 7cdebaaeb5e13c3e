//! What apps exchange with Gatehouse server to server (SPEC §9): the token
//! endpoint (codes and refresh tokens for signed tokens), userinfo,
//! revocation (RFC 7009) and introspection (RFC 7662); and who an app
//! admits, checked at sign-in and at every refresh.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    domain::{
        at_hash, constant_time_eq, pkce_matches, user_claims, AuthMethod, OrganizationClaim,
        Person, Scopes, ACCESS_TOKEN_TTL_MS, REFRESH_TOKEN_TTL_MS,
    },
    keys,
    store::{self, ClientRow, FamilyRow},
};
use crate::{
    accounts::store::{get_user, UserRow},
    audit,
    config::Config,
    error::ApiError,
    server::{
        crypto,
        db::{Db, Tx},
    },
};

/// An RFC 6749 error answer (section 5.2), or RFC 6750's for bearer tokens.
#[derive(Debug)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// The client tried HTTP Basic: a 401 then names the scheme.
    pub basic: bool,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = match error {
            "invalid_client" | "invalid_token" => 401,
            "server_error" => 500,
            "temporarily_unavailable" => 503,
            _ => 400,
        };
        Self {
            status,
            error,
            description: description.into(),
            basic: false,
        }
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

impl From<ApiError> for OAuthError {
    fn from(e: ApiError) -> Self {
        if e.status() == 429 {
            return Self {
                status: 429,
                ..Self::new("slow_down", e.message)
            };
        }
        Self::new("server_error", "Something went wrong on our side.")
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::from(e).into()
    }
}

type OAuthResult<T> = Result<T, OAuthError>;

fn grant_error(description: &str) -> OAuthError {
    OAuthError::new("invalid_grant", description)
}

/// The form fields of the token, revocation and introspection endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Revocation and introspection: the token, and a hint of its kind.
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
}

/// How the client said who it is: HTTP Basic, or form fields.
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub basic: bool,
}

/// Reads `Authorization: Basic` (RFC 6749 2.3.1: id and secret each
/// form-encoded) or the form's `client_id` and `client_secret`.
pub fn credentials(authorization: Option<&str>, form: &TokenForm) -> OAuthResult<Credentials> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    if let Some(value) = authorization.and_then(|a| {
        a.strip_prefix("Basic ")
            .or_else(|| a.strip_prefix("basic "))
    }) {
        let bad = || OAuthError {
            basic: true,
            ..OAuthError::new(
                "invalid_client",
                "The Authorization header is not valid Basic credentials.",
            )
        };
        let decoded = STANDARD.decode(value.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (id, secret) = text.split_once(':').ok_or_else(bad)?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
        };
        let client_id = decode(id).map_err(|_| bad())?;
        // One way of proving who it is (RFC 6749 2.3): a form naming
        // another app, or carrying a secret too, is a confused client.
        if form.client_id.as_ref().is_some_and(|f| *f != client_id) || form.client_secret.is_some()
        {
            return Err(bad());
        }
        return Ok(Credentials {
            client_id,
            secret: Some(decode(secret).map_err(|_| bad())?),
            basic: true,
        });
    }
    match &form.client_id {
        Some(id) => Ok(Credentials {
            client_id: id.clone(),
            secret: form.client_secret.clone(),
            basic: false,
        }),
        None => Err(OAuthError::new(
            "invalid_client",
            "The client did not say who it is (HTTP Basic, or client_id in the form).",
        )),
    }
}

/// The registered, enabled app the credentials prove: a confidential app
/// by its secret, sent the way it registered; a public one by its id alone.
pub async fn authenticate(db: &Db, c: &Credentials) -> OAuthResult<ClientRow> {
    let fail = || OAuthError {
        basic: c.basic,
        ..OAuthError::new("invalid_client", "Client authentication failed.")
    };
    let client = store::client(db.pool(), &c.client_id)
        .await?
        .filter(|c| !c.disabled)
        .ok_or_else(fail)?;
    match (&client.secret_hash, &c.secret) {
        (Some(hash), Some(secret)) => {
            let method = if c.basic {
                AuthMethod::SecretBasic
            } else {
                AuthMethod::SecretPost
            };
            if method != client.auth_method
                || !constant_time_eq(crypto::hash_token(secret).as_bytes(), hash.as_bytes())
            {
                return Err(fail());
            }
        }
        (Some(_), None) => return Err(fail()),
        // A public app has no secret; one that sends one is confused.
        (None, Some(_)) => return Err(fail()),
        (None, None) => {}
    }
    Ok(client)
}

/// The memberships a token may tell of: the organizations the person acts
/// in (not those that hold them back until they use two-factor), and the
/// ids of their teams there.
pub async fn memberships(
    db: &Db,
    user: &UserRow,
) -> sqlx::Result<(Vec<OrganizationClaim>, Vec<String>)> {
    let memberships = crate::organizations::store::memberships_of(db, &user.id).await?;
    if memberships.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let teams = crate::organizations::teams::store::for_user(db, &user.id).await?;
    let organizations: Vec<OrganizationClaim> = memberships
        .into_iter()
        .filter(|(o, _)| !o.require_two_factor || user.two_factor_enabled)
        .map(|(o, roles)| OrganizationClaim {
            teams: teams
                .iter()
                .filter(|t| t.organization_id == o.id)
                .map(|t| t.name.clone())
                .collect(),
            id: o.id,
            slug: o.slug,
            name: o.name,
            roles,
        })
        .collect();
    let team_ids = teams
        .into_iter()
        .filter(|t| organizations.iter().any(|o| o.id == t.organization_id))
        .map(|t| t.id)
        .collect();
    Ok((organizations, team_ids))
}

pub async fn organization_claims(db: &Db, user: &UserRow) -> sqlx::Result<Vec<OrganizationClaim>> {
    Ok(memberships(db, user).await?.0)
}

/// The instance role an app hears of: a role that must use two-factor
/// grants nothing until the account does (`two_factor_required_for`), so
/// until then the account counts as the lowest role, here as everywhere.
pub fn effective_role<'a>(config: &'a Config, user: &'a UserRow) -> &'a str {
    if crate::accounts::sessions::check_two_factor(config, user).is_ok() {
        &user.role
    } else {
        &config.roles.lowest().name
    }
}

/// Whether the app's policy admits this account now.
pub async fn admitted(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    user: &UserRow,
) -> sqlx::Result<bool> {
    if user.disabled {
        return Ok(false);
    }
    let p = &client.policy;
    let role = effective_role(config, user);
    if p.is_open() || p.roles.iter().any(|r| r == role) {
        return Ok(true);
    }
    let (organizations, teams) = memberships(db, user).await?;
    let ids: Vec<&str> = organizations.iter().map(|o| o.id.as_str()).collect();
    let teams: Vec<&str> = teams.iter().map(String::as_str).collect();
    Ok(p.admits(role, &ids, &teams))
}

/// The token endpoint: `authorization_code` or `refresh_token`.
pub async fn token(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    form: &TokenForm,
    now: i64,
) -> OAuthResult<Value> {
    match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(db, config, client, form, now).await,
        Some("refresh_token") => refresh(db, config, client, form, now).await,
        Some(other) => Err(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "grant_type `{other}` is not supported: use authorization_code or refresh_token."
            ),
        )),
        None => Err(OAuthError::new(
            "invalid_request",
            "grant_type is required.",
        )),
    }
}

/// A replayed code or refresh token: what it began ends, and the audit log
/// says so (someone may hold a stolen token).
async fn replayed(
    mut tx: Tx,
    family_id: Option<&str>,
    client: &ClientRow,
    what: &str,
    now: i64,
) -> OAuthResult<OAuthError> {
    if let Some(family) = family_id {
        store::revoke_family(&mut *tx, family, now).await?;
    }
    audit::record(
        &mut tx,
        audit::Event::new("app.token-reuse")
            .target(&client.id)
            .after(
                json!({ "app": client.name, "token": what, "signInEnded": family_id.is_some() }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(grant_error(&format!(
        "This {what} was already used; the sign-in it began is ended."
    )))
}

// Both grants check, read and sign before they write: the write
// transaction holds SQLite's one writer, and a read through the pool
// inside it would wait for connections that writers queued behind it
// hold. In the transaction the code or token is read again, locked, so of
// two racing uses one wins and the other ends what the first began.

async fn exchange_code(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    form: &TokenForm,
    now: i64,
) -> OAuthResult<Value> {
    let code = form
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required."))?;
    let hash = crypto::hash_token(code);
    let key = keys::signing(db, &config.secret_key).await?;
    let Some(row) = store::code(db, &hash).await? else {
        return Err(grant_error("The code is not valid."));
    };
    if row.client_id != client.id {
        return Err(grant_error("The code was given to another app."));
    }
    if row.used {
        let tx = db.begin().await?;
        return Err(replayed(tx, row.family_id.as_deref(), client, "code", now).await?);
    }
    if row.expires_at <= now {
        return Err(grant_error("The code has expired: codes live 60 seconds."));
    }
    if form.redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
        return Err(grant_error(
            "redirect_uri does not match the one the code was asked with.",
        ));
    }
    match (&row.code_challenge, form.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(grant_error(
                "code_verifier does not match the code_challenge.",
            ))
        }
        (Some(_), None) => {
            return Err(grant_error(
                "code_verifier is required: the code was asked with PKCE.",
            ))
        }
        (None, Some(_)) => {
            return Err(grant_error(
                "code_verifier given, but the code was asked without PKCE.",
            ))
        }
        (None, None) => {}
    }
    let user = live_user(db, config, client, &row.user_id).await?;
    let family = FamilyRow {
        id: crypto::new_id(),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        scopes: row.scopes.clone(),
        auth_time: row.auth_time,
        revoked: false,
    };
    let issued = issue(
        db,
        &key,
        config,
        client,
        &family,
        &user,
        &row.scopes,
        row.nonce.as_deref(),
        now,
    )
    .await?;

    let mut tx = db.begin().await?;
    match store::code_for_use(&mut tx, &hash).await? {
        Some(now_row) if !now_row.used => {}
        Some(now_row) => {
            return Err(replayed(tx, now_row.family_id.as_deref(), client, "code", now).await?)
        }
        None => return Err(grant_error("The code is not valid.")),
    }
    store::insert_family(&mut tx, &family, now).await?;
    store::use_code(&mut tx, &hash, &family.id, now).await?;
    issued.store(&mut tx, &family.id, now).await?;
    tx.commit().await?;
    Ok(issued.answer)
}

async fn refresh(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    form: &TokenForm,
    now: i64,
) -> OAuthResult<Value> {
    let token = form
        .refresh_token
        .as_deref()
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required."))?;
    let hash = crypto::hash_token(token);
    let key = keys::signing(db, &config.secret_key).await?;
    let Some(row) = store::refresh(db, &hash).await? else {
        return Err(grant_error("The refresh token is not valid."));
    };
    let family = row.family;
    if family.client_id != client.id {
        return Err(grant_error("The refresh token was given to another app."));
    }
    if family.revoked {
        return Err(grant_error(
            "This sign-in has ended: sign in to the app again.",
        ));
    }
    if row.used {
        let tx = db.begin().await?;
        return Err(replayed(tx, Some(&family.id), client, "refresh token", now).await?);
    }
    if row.expires_at <= now {
        return Err(grant_error(
            "The refresh token has expired: sign in to the app again.",
        ));
    }
    let scopes = match form.scope.as_deref() {
        None => family.scopes.clone(),
        Some(text) => match Scopes::parse(text) {
            Ok(s) if s.is_subset(&family.scopes) => s,
            _ => {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!(
                        "A refresh may ask only for scopes of the sign-in: {}.",
                        family.scopes
                    ),
                ))
            }
        },
    };
    let user = match live_user(db, config, client, &family.user_id).await {
        Ok(user) => user,
        Err(e) => {
            // No longer admitted: the sign-in ends here, not just this call.
            store::revoke_family(db.pool(), &family.id, now).await?;
            return Err(e);
        }
    };
    let issued = issue(db, &key, config, client, &family, &user, &scopes, None, now).await?;

    let mut tx = db.begin().await?;
    match store::refresh_for_use(&mut tx, &hash).await? {
        Some(now_row) if now_row.used => {
            return Err(replayed(tx, Some(&family.id), client, "refresh token", now).await?)
        }
        Some(now_row) if !now_row.family.revoked => {}
        _ => {
            return Err(grant_error(
                "This sign-in has ended: sign in to the app again.",
            ))
        }
    }
    store::use_refresh(&mut tx, &hash, now).await?;
    issued.store(&mut tx, &family.id, now).await?;
    tx.commit().await?;
    Ok(issued.answer)
}

/// The account behind a code or refresh token, if it may still use the app.
async fn live_user(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    user_id: &str,
) -> OAuthResult<UserRow> {
    let user = get_user(db, user_id)
        .await?
        .ok_or_else(|| grant_error("The account no longer exists."))?;
    if user.disabled {
        return Err(grant_error("The account is disabled."));
    }
    if !admitted(db, config, client, &user).await? {
        return Err(grant_error("The account may no longer use this app."));
    }
    Ok(user)
}

/// The tokens of one exchange, signed: the answer, and the hash of its
/// refresh token, to store in the exchange's transaction.
struct Issued {
    answer: Value,
    refresh_hash: Option<String>,
}

impl Issued {
    async fn store(&self, tx: &mut Tx, family_id: &str, now: i64) -> sqlx::Result<()> {
        match &self.refresh_hash {
            Some(hash) => {
                store::insert_refresh(tx, hash, family_id, now + REFRESH_TOKEN_TTL_MS, now).await
            }
            None => Ok(()),
        }
    }
}

/// Signs the tokens of one exchange.
#[allow(clippy::too_many_arguments)]
async fn issue(
    db: &Db,
    key: &keys::SigningKey,
    config: &Config,
    client: &ClientRow,
    family: &FamilyRow,
    user: &UserRow,
    scopes: &Scopes,
    nonce: Option<&str>,
    now: i64,
) -> OAuthResult<Issued> {
    let issuer = config.link("");
    let (iat, exp) = (now / 1000, (now + ACCESS_TOKEN_TTL_MS) / 1000);
    let access = key.sign(
        "at+jwt",
        &json!({
            "iss": issuer, "sub": user.id, "aud": client.id, "client_id": client.id,
            "scope": scopes.to_string(), "iat": iat, "exp": exp, "jti": crypto::new_id(),
            "auth_time": family.auth_time / 1000, "sid": family.id,
        }),
    )?;
    let organizations = if scopes.has("organizations") {
        organization_claims(db, user).await?
    } else {
        Vec::new()
    };
    let mut claims = user_claims(&person(config, user), &organizations, scopes);
    for (k, v) in [
        ("iss", json!(issuer)),
        ("aud", json!(client.id)),
        ("azp", json!(client.id)),
        ("iat", json!(iat)),
        ("exp", json!(exp)),
        ("auth_time", json!(family.auth_time / 1000)),
        ("at_hash", json!(at_hash(&access))),
        ("sid", json!(family.id)),
    ] {
        claims.insert(k.into(), v);
    }
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    let id_token = key.sign("JWT", &Value::Object(claims))?;
    let mut answer = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL_MS / 1000,
        "scope": scopes.to_string(),
        "id_token": id_token,
    });
    // Refresh tokens only for sign-ins allowed to last while the person
    // is away (OpenID Connect Core 11: `offline_access`).
    let mut refresh_hash = None;
    if family.scopes.has("offline_access") {
        let refresh = crypto::new_token();
        refresh_hash = Some(crypto::hash_token(&refresh));
        answer["refresh_token"] = json!(refresh);
    }
    Ok(Issued {
        answer,
        refresh_hash,
    })
}

fn person<'a>(config: &'a Config, user: &'a UserRow) -> Person<'a> {
    Person {
        id: &user.id,
        email: &user.email,
        email_verified: user.email_verified,
        name: &user.name,
        role: effective_role(config, user),
    }
}

/// An access token checked with us: signed here, unexpired, its sign-in
/// not ended and its account not disabled. Its claims, and the account.
pub async fn live_access_token(
    db: &Db,
    config: &Config,
    token: &str,
    now: i64,
) -> sqlx::Result<Option<(Value, UserRow)>> {
    let Some(claims) = keys::verify(db, token, &config.link(""), "at+jwt", false, now).await else {
        return Ok(None);
    };
    let Some(sid) = claims["sid"].as_str() else {
        return Ok(None);
    };
    match store::family_by_id(db.pool(), sid).await? {
        Some(f) if !f.revoked => {}
        _ => return Ok(None),
    }
    let user = get_user(db, claims["sub"].as_str().unwrap_or_default()).await?;
    Ok(user.filter(|u| !u.disabled).map(|u| (claims, u)))
}

/// `userinfo`: the claims of the token's scopes, read now.
pub async fn userinfo(
    db: &Db,
    config: &Config,
    bearer: Option<&str>,
    now: i64,
) -> OAuthResult<Value> {
    let token = bearer
        .ok_or_else(|| OAuthError::new("invalid_token", "A bearer access token is required."))?;
    let (claims, user) = live_access_token(db, config, token, now)
        .await?
        .ok_or_else(|| {
            OAuthError::new(
                "invalid_token",
                "The access token is not valid, or has expired.",
            )
        })?;
    let scopes = Scopes::parse(claims["scope"].as_str().unwrap_or_default()).unwrap_or_default();
    let organizations = if scopes.has("organizations") {
        organization_claims(db, &user).await?
    } else {
        Vec::new()
    };
    Ok(Value::Object(user_claims(
        &person(config, &user),
        &organizations,
        &scopes,
    )))
}

/// RFC 7009: ends the sign-in a token of this app belongs to. Unknown
/// tokens are not an error (the answer is the same either way).
pub async fn revoke(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    token: &str,
    now: i64,
) -> OAuthResult<()> {
    let family = match store::refresh(db, &crypto::hash_token(token)).await? {
        Some(row) => Some(row.family.id).filter(|_| row.family.client_id == client.id),
        None => keys::verify(db, token, &config.link(""), "at+jwt", true, now)
            .await
            .filter(|c| c["client_id"] == client.id.as_str())
            .and_then(|c| c["sid"].as_str().map(str::to_owned)),
    };
    if let Some(family) = family {
        store::revoke_family(db.pool(), &family, now).await?;
    }
    Ok(())
}

/// RFC 7662, for confidential apps: whether a token of theirs is live, and
/// what it carries. Another app's tokens are inactive to them.
pub async fn introspect(
    db: &Db,
    config: &Config,
    client: &ClientRow,
    token: &str,
    now: i64,
) -> OAuthResult<Value> {
    if !client.auth_method.is_confidential() {
        return Err(OAuthError::new(
            "invalid_client",
            "Only confidential apps may introspect tokens.",
        ));
    }
    let inactive = json!({ "active": false });
    if let Some(row) = store::refresh(db, &crypto::hash_token(token)).await? {
        let f = &row.family;
        let user = get_user(db, &f.user_id).await?;
        let live = f.client_id == client.id
            && !row.used
            && !f.revoked
            && row.expires_at > now
            && user.is_some_and(|u| !u.disabled);
        return Ok(if live {
            json!({
                "active": true, "token_type": "refresh_token", "client_id": f.client_id,
                "sub": f.user_id, "scope": f.scopes.to_string(), "exp": row.expires_at / 1000,
                "iss": config.link(""), "sid": f.id,
            })
        } else {
            inactive
        });
    }
    Ok(match live_access_token(db, config, token, now).await? {
        Some((claims, user)) if claims["client_id"] == client.id.as_str() => {
            let mut out = json!({ "active": true, "token_type": "Bearer" });
            let scopes =
                Scopes::parse(claims["scope"].as_str().unwrap_or_default()).unwrap_or_default();
            if scopes.has("email") {
                out["username"] = json!(user.email);
            }
            for k in [
                "scope",
                "client_id",
                "sub",
                "exp",
                "iat",
                "iss",
                "aud",
                "jti",
                "sid",
                "auth_time",
            ] {
                out[k] = claims[k].clone();
            }
            out
        }
        _ => inactive,
    })
}

/// An RP-initiated logout request (`end-session`), as sent.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct EndSession {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

impl EndSession {
    /// `path?` and the parameters given, with `extra`, encoded.
    pub fn at(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("id_token_hint", &self.id_token_hint),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("client_id", &self.client_id),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.extend_pairs(extra);
        format!("{path}?{}", q.finish())
    }
}

/// A logout request that proved its app: whose, which sign-in, and where
/// to go afterwards.
pub struct Logout {
    pub app: String,
    pub user_id: String,
    pub sid: Option<String>,
    /// The registered address to go back to.
    pub back: Option<String>,
}

/// Checks a logout request: an ID token we signed (expired is fine) for an
/// enabled app, the app it names, and an address it registered. The
/// refusal is the reason the page explains.
pub async fn logout(
    db: &Db,
    config: &Config,
    q: &EndSession,
    now: i64,
) -> Result<Result<Logout, &'static str>, ApiError> {
    let Some(hint) = q.id_token_hint.as_deref() else {
        return Ok(Err("logout"));
    };
    let Some(claims) = keys::verify(db, hint, &config.link(""), "JWT", true, now).await else {
        return Ok(Err("logout"));
    };
    let Some(client_id) = claims["aud"].as_str() else {
        return Ok(Err("logout"));
    };
    if q.client_id.as_deref().is_some_and(|c| c != client_id) {
        return Ok(Err("logout"));
    }
    let Some(client) = store::client(db.pool(), client_id)
        .await?
        .filter(|c| !c.disabled)
    else {
        return Ok(Err("logout"));
    };
    let back = match q.post_logout_redirect_uri.as_deref() {
        None => None,
        Some(uri) if client.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            Some(uri.to_owned())
        }
        Some(_) => return Ok(Err("logout-address")),
    };
    Ok(Ok(Logout {
        app: client.name,
        user_id: claims["sub"].as_str().unwrap_or_default().to_owned(),
        sid: claims["sid"].as_str().map(str::to_owned),
        back,
    }))
}
