//! Registering apps (for roles with `app:manage`), and a person's own
//! connected apps. Every change is one transaction with its audit event,
//! and so a webhook event too.

use serde_json::json;

use super::{
    domain::{
        check_redirect_uri, scope_noun, team_slug, AuthMethod, Policy, Scopes, DEFAULT_SCOPES,
        MAX_NAME_CHARS, MAX_REDIRECT_URIS,
    },
    store::{self, ClientRow},
    ClientMetadata, ClientView, ConnectedApp, UpdateClientBody,
};
use crate::{
    accounts::{required, store::UserRow, StatusResponse},
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

fn view(c: &ClientRow, users: i64, secret: Option<String>) -> ClientView {
    ClientView {
        client_id: c.id.clone(),
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret,
        client_id_issued_at: c.created_at / 1000,
        client_name: c.name.clone(),
        redirect_uris: c.redirect_uris.clone(),
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        token_endpoint_auth_method: c.auth_method.as_str().to_owned(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        scope: c.scopes.to_string(),
        skip_consent: c.skip_consent,
        allowed_roles: c.policy.roles.clone(),
        allowed_organizations: c.policy.organizations.clone(),
        allowed_teams: c.policy.teams.clone(),
        disabled: c.disabled,
        users,
        updated_at: clock::rfc3339(c.updated_at),
    }
}

/// What the audit log keeps of an app: everything but its secret.
fn audited(c: &ClientRow) -> serde_json::Value {
    json!({
        "name": c.name,
        "redirectUris": c.redirect_uris,
        "postLogoutRedirectUris": c.post_logout_redirect_uris,
        "tokenEndpointAuthMethod": c.auth_method.as_str(),
        "scope": c.scopes.to_string(),
        "skipConsent": c.skip_consent,
        "allowedRoles": c.policy.roles,
        "allowedOrganizations": c.policy.organizations,
        "allowedTeams": c.policy.teams,
        "disabled": c.disabled,
    })
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::InvalidClientMetadata, message)
}

fn not_found() -> ApiError {
    ApiError::new(Code::AppNotFound, "There is no such app.")
}

/// A client secret: 32 random bytes, base64url. Stored as its SHA-256,
/// which is enough for a secret no one chose.
fn new_secret() -> (String, String) {
    let secret = crypto::new_token();
    let hash = crypto::hash_token(&secret);
    (secret, hash)
}

fn redirect_uris(list: &[String], field: &str, required: bool) -> ApiResult<Vec<String>> {
    if required && list.is_empty() {
        return Err(ApiError::new(
            Code::InvalidRedirectUri,
            "Give at least one redirect URI: the address in the app that receives the sign-in.",
        ));
    }
    if list.len() > MAX_REDIRECT_URIS {
        return Err(ApiError::new(
            Code::InvalidRedirectUri,
            format!("At most {MAX_REDIRECT_URIS} addresses in `{field}`."),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for uri in list.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        check_redirect_uri(uri)
            .map_err(|e| ApiError::new(Code::InvalidRedirectUri, format!("{field}: {e}.")))?;
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    if required && out.is_empty() {
        return redirect_uris(&[], field, true);
    }
    Ok(out)
}

/// Applies `m` to `c` (a new app's defaults, or an app's settings),
/// checking each field given.
async fn apply(
    db: &Db,
    config: &Config,
    c: &mut ClientRow,
    m: &ClientMetadata,
    existing: bool,
) -> ApiResult<()> {
    if let Some(name) = &m.client_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid(format!(
                "A client_name of 1 to {MAX_NAME_CHARS} characters, please: people see it when they sign in."
            )));
        }
        c.name = name.to_owned();
    }
    if let Some(list) = &m.redirect_uris {
        c.redirect_uris = redirect_uris(list, "redirect_uris", true)?;
    }
    if let Some(list) = &m.post_logout_redirect_uris {
        c.post_logout_redirect_uris = redirect_uris(list, "post_logout_redirect_uris", false)?;
    }
    if let Some(method) = &m.token_endpoint_auth_method {
        let method = AuthMethod::parse(method).ok_or_else(|| {
            invalid(format!(
                "token_endpoint_auth_method `{method}` is not one of client_secret_basic, client_secret_post, none."
            ))
        })?;
        if existing && method.is_confidential() != c.auth_method.is_confidential() {
            return Err(invalid(
                "An app cannot change between public (none) and confidential: register it anew.",
            ));
        }
        c.auth_method = method;
    }
    if let Some(scope) = &m.scope {
        let scopes = Scopes::parse(scope).map_err(|s| {
            ApiError::new(
                Code::InvalidScope,
                format!(
                    "The scope `{s}` is not known. Known scopes: {}.",
                    super::domain::SCOPES.join(", ")
                ),
            )
        })?;
        if !scopes.has("openid") {
            return Err(ApiError::new(
                Code::InvalidScope,
                "The scopes must include `openid`.",
            ));
        }
        c.scopes = scopes;
    }
    if let Some(skip) = m.skip_consent {
        c.skip_consent = skip;
    }
    if let Some(roles) = &m.allowed_roles {
        let mut out = Vec::new();
        for role in roles.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
            if config.roles.get(role).is_none() {
                return Err(invalid(format!(
                    "allowed_roles: `{role}` is not a role of this instance."
                )));
            }
            if !out.iter().any(|r| r == role) {
                out.push(role.to_owned());
            }
        }
        c.policy.roles = out;
    }
    if let Some(organizations) = &m.allowed_organizations {
        let mut out: Vec<String> = Vec::new();
        for key in organizations
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
        {
            let o = crate::organizations::store::find(db.pool(), key)
                .await?
                .ok_or_else(|| {
                    invalid(format!(
                        "allowed_organizations: there is no organization `{key}`."
                    ))
                })?;
            if !out.contains(&o.id) {
                out.push(o.id);
            }
        }
        c.policy.organizations = out;
    }
    if let Some(teams) = &m.allowed_teams {
        let mut out: Vec<String> = Vec::new();
        for key in teams.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            let id = team_id(db, key)
                .await?
                .ok_or_else(|| invalid(format!("allowed_teams: there is no team `{key}` (write organization/team, as in groups).")))?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        c.policy.teams = out;
    }
    if m.grant_types.as_ref().is_some_and(|g| {
        g.iter()
            .any(|g| g != "authorization_code" && g != "refresh_token")
    }) {
        return Err(invalid(
            "grant_types: only authorization_code and refresh_token exist here.",
        ));
    }
    if m.response_types
        .as_ref()
        .is_some_and(|r| r.iter().any(|r| r != "code"))
    {
        return Err(invalid("response_types: only `code` exists here."));
    }
    Ok(())
}

/// Registers an app; `admin` is none from the command line.
pub async fn create(
    db: &Db,
    config: &Config,
    admin: Option<&UserRow>,
    body: ClientMetadata,
    ip: &str,
) -> ApiResult<ClientView> {
    required(&body.client_name, "client_name")?;
    required(
        &body.redirect_uris.as_ref().and_then(|l| l.first().cloned()),
        "redirect_uris",
    )?;
    let now = clock::now_ms();
    let mut c = ClientRow {
        id: crypto::new_id(),
        name: String::new(),
        secret_hash: None,
        auth_method: AuthMethod::SecretBasic,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        scopes: Scopes::parse(DEFAULT_SCOPES).expect("known scopes"),
        skip_consent: false,
        policy: Policy::default(),
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    apply(db, config, &mut c, &body, false).await?;
    let secret = c.auth_method.is_confidential().then(new_secret);
    c.secret_hash = secret.as_ref().map(|(_, hash)| hash.clone());
    let mut tx = db.begin().await?;
    store::save_client(&mut tx, &c, admin.map(|a| a.id.as_str())).await?;
    let mut event = audit::Event::new("app.create")
        .target(&c.id)
        .after(audited(&c))
        .ip(ip);
    if let Some(admin) = admin {
        event = event.actor(&admin.id);
    }
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(view(&c, 0, secret.map(|(s, _)| s)))
}

pub async fn list(db: &Db) -> ApiResult<Vec<ClientView>> {
    let counts = store::grant_counts(db).await?;
    let users = |id: &str| counts.iter().find(|(c, _)| c == id).map_or(0, |(_, n)| *n);
    Ok(store::clients(db)
        .await?
        .iter()
        .map(|c| view(c, users(&c.id), None))
        .collect())
}

pub async fn get(db: &Db, id: Option<&str>) -> ApiResult<ClientView> {
    let id =
        id.ok_or_else(|| ApiError::new(Code::MissingField, "The field `client_id` is required."))?;
    let c = store::client(db.pool(), id).await?.ok_or_else(not_found)?;
    let users = store::grant_counts(db)
        .await?
        .into_iter()
        .find(|(c, _)| c == id)
        .map_or(0, |(_, n)| n);
    Ok(view(&c, users, None))
}

async fn load(tx: &mut Tx, id: Option<&str>) -> ApiResult<ClientRow> {
    let id =
        id.ok_or_else(|| ApiError::new(Code::MissingField, "The field `client_id` is required."))?;
    store::client(&mut **tx, id).await?.ok_or_else(not_found)
}

pub async fn update(
    db: &Db,
    config: &Config,
    admin: &UserRow,
    body: UpdateClientBody,
    ip: &str,
) -> ApiResult<ClientView> {
    // Checked before the write: `apply` reads organizations and teams
    // through the pool, which must not wait inside a write transaction.
    let id = required(&body.client_id, "client_id")?;
    let before = store::client(db.pool(), id).await?.ok_or_else(not_found)?;
    let mut c = before.clone();
    apply(db, config, &mut c, &body.metadata, true).await?;
    let mut tx = db.begin().await?;
    if let Some(disabled) = body.disabled {
        c.disabled = disabled;
    }
    c.updated_at = clock::now_ms();
    store::save_client(&mut tx, &c, None).await?;
    if c.disabled && !before.disabled {
        // A disabled app signs no one in and refreshes nothing: its
        // sign-ins end now, rather than whenever it next calls.
        end_sign_ins(&mut tx, &c.id, c.updated_at).await?;
    }
    audit::record(
        &mut tx,
        audit::Event::new("app.update")
            .actor(&admin.id)
            .target(&c.id)
            .before(audited(&before))
            .after(audited(&c))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    get(db, Some(&c.id)).await
}

async fn end_sign_ins(tx: &mut Tx, client_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("update oauth_token_families set revoked_at = $1 where client_id = $2 and revoked_at is null")
        .bind(now)
        .bind(client_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn rotate_secret(
    db: &Db,
    admin: &UserRow,
    id: Option<&str>,
    ip: &str,
) -> ApiResult<ClientView> {
    let mut tx = db.begin().await?;
    let c = load(&mut tx, id).await?;
    if !c.auth_method.is_confidential() {
        return Err(ApiError::new(
            Code::PublicClientHasNoSecret,
            "This app is public (PKCE only): it has no secret to rotate.",
        ));
    }
    let (secret, hash) = new_secret();
    let now = clock::now_ms();
    store::set_secret(&mut tx, &c.id, &hash, now).await?;
    audit::record(
        &mut tx,
        audit::Event::new("app.rotate-secret")
            .actor(&admin.id)
            .target(&c.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    let mut shown = get(db, Some(&c.id)).await?;
    shown.client_secret_expires_at = Some(0);
    shown.client_secret = Some(secret);
    Ok(shown)
}

pub async fn delete(
    db: &Db,
    admin: &UserRow,
    id: Option<&str>,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let mut tx = db.begin().await?;
    let c = load(&mut tx, id).await?;
    store::delete_client(&mut tx, &c.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("app.delete")
            .actor(&admin.id)
            .target(&c.id)
            .before(audited(&c))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(format!("{} is removed: its tokens no longer work.", c.name)),
    })
}

pub async fn connected(db: &Db, user_id: &str) -> ApiResult<Vec<ConnectedApp>> {
    Ok(store::grants_of(db, user_id)
        .await?
        .into_iter()
        .map(|g| ConnectedApp {
            sees: g
                .scopes
                .iter()
                .map(scope_noun)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
            since: clock::rfc3339(g.created_at),
            client_id: g.client_id,
            name: g.client_name,
        })
        .collect())
}

pub async fn disconnect(
    db: &Db,
    me: &UserRow,
    client_id: Option<&str>,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let client_id = required(&client_id, "clientId")?;
    let now = clock::now_ms();
    let mut tx = db.begin().await?;
    if !store::revoke_grant(&mut tx, &me.id, client_id, now).await? {
        return Err(ApiError::new(
            Code::AppNotFound,
            "You have not connected that app.",
        ));
    }
    audit::record(
        &mut tx,
        audit::Event::new("app.disconnect")
            .actor(&me.id)
            .target(client_id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(
            "Disconnected: the app can no longer use your account, and asks again next time."
                .into(),
        ),
    })
}

/// A team by its id, or by `organization-slug/team` (its name as `groups`
/// writes it, or as typed).
async fn team_id(db: &Db, key: &str) -> ApiResult<Option<String>> {
    use crate::organizations::{store as organizations, teams::store as teams};
    if let Some((slug, team)) = key.split_once('/') {
        let Some(o) = organizations::find(db.pool(), slug.trim()).await? else {
            return Ok(None);
        };
        let wanted = team_slug(team);
        return Ok(teams::for_organization(db, &o.id)
            .await?
            .into_iter()
            .find(|t| team_slug(&t.name) == wanted)
            .map(|t| t.id));
    }
    Ok(teams::find(db.pool(), key).await?.map(|t| t.id))
}

/// How the page writes the organizations and teams apps' policies name:
/// `(id, slug)` and `(id, slug/team)`.
pub async fn policy_names(db: &Db, apps: &[ClientView]) -> ApiResult<Vec<(String, String)>> {
    use crate::organizations::{store as organizations, teams::store as teams};
    let mut names: Vec<(String, String)> = Vec::new();
    for id in apps.iter().flat_map(|a| a.allowed_organizations.iter()) {
        if !names.iter().any(|(known, _)| known == id) {
            if let Some(o) = organizations::find(db.pool(), id).await? {
                names.push((o.id, o.slug));
            }
        }
    }
    for id in apps.iter().flat_map(|a| a.allowed_teams.iter()) {
        if names.iter().any(|(known, _)| known == id) {
            continue;
        }
        if let Some(t) = teams::find(db.pool(), id).await? {
            if let Some(o) = organizations::find(db.pool(), &t.organization_id).await? {
                names.push((t.id, format!("{}/{}", o.slug, team_slug(&t.name))));
            }
        }
    }
    Ok(names)
}
