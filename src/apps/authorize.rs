//! The authorization endpoint (SPEC §9): one function decides what an
//! authorization request leads to, for the endpoint itself, for the page
//! that asks the person (`/authorize`) and for that page's answer. The
//! request is checked again at each step, so nothing a page carries
//! between them is trusted.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    domain::{fresh_enough, scope_description, with_query, Prompt, Scopes, CODE_TTL_MS},
    store::{self, ClientRow},
    tokens::admitted,
};
use crate::{
    accounts::sessions::Current,
    audit,
    config::Config,
    error::ApiResult,
    server::{crypto, db::Db},
};

/// The endpoint's path (Better Auth's oauth-provider's).
pub const PATH: &str = "/api/auth/oauth2/authorize";
/// The page that asks the person, or tells them why not.
pub const PAGE: &str = "/authorize";

/// An authorization request's parameters, as sent: each is checked by
/// `evaluate`. `gh_fresh` is Gatehouse's own: set on the way to the
/// sign-in page (a time and a MAC of it under the instance key), it says a
/// sign-in after that moment counts as fresh, so `prompt=login` and
/// `max_age` do not send the person round again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizeQuery {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub response_mode: Option<String>,
    pub gh_fresh: Option<String>,
}

impl AuthorizeQuery {
    /// From a page's query, or a form's fields.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            response_type: get("response_type"),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            scope: get("scope"),
            state: get("state"),
            nonce: get("nonce"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            prompt: get("prompt"),
            max_age: get("max_age"),
            response_mode: get("response_mode"),
            gh_fresh: get("gh_fresh"),
        }
    }

    /// The parameters given, as name and value.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
            ("response_mode", &self.response_mode),
            ("gh_fresh", &self.gh_fresh),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }

    /// `path?` and the parameters, encoded.
    pub fn at(&self, path: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(k, &v);
        }
        format!("{path}?{}", q.finish())
    }
}

/// What the person is asked on the consent page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    pub app: String,
    /// The account signing in.
    pub name: String,
    pub email: String,
    /// What the app will see, in words.
    pub sees: Vec<String>,
    /// Where the code goes: the consent page's form may send the browser
    /// there (its `form-action`).
    pub redirect_origin: String,
}

/// What an authorization request leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Back to the app: with a code, or with an error (RFC 6749 4.1.2.1).
    ToApp(String),
    /// To the sign-in page, which comes back here.
    SignIn(String),
    /// The consent page.
    Ask(Consent),
    /// The app's policy does not admit this person: a page that says so,
    /// and a way back to the app, which learns `access_denied`.
    Denied { app: String, back: String },
    /// Nothing can go back to the app (it is unknown, or the address it
    /// gave is not its own): a page that says what is wrong.
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> Outcome {
    Outcome::Invalid(message.into())
}

/// Decides one authorization request for the person of `session`.
/// `decision` is the consent page's answer (`Some(true)`: allow).
pub async fn evaluate(
    db: &Db,
    config: &Config,
    q: &AuthorizeQuery,
    session: Option<&Current>,
    decision: Option<bool>,
    now: i64,
) -> ApiResult<Outcome> {
    // Until the app and its address are known good, nothing is sent to it.
    let Some(client_id) = q.client_id.as_deref() else {
        return Ok(invalid(
            "The app sent no client_id: it is not set up correctly.",
        ));
    };
    let Some(client) = store::client(db.pool(), client_id).await? else {
        return Ok(invalid(
            "No app with this client_id is registered here. Ask an admin to register it at /admin/apps.",
        ));
    };
    if client.disabled {
        return Ok(invalid(format!(
            "{} is turned off on this Gatehouse. Ask an admin if you need it.",
            client.name
        )));
    }
    let Some(redirect_uri) = q.redirect_uri.as_deref() else {
        return Ok(invalid(format!(
            "{} sent no redirect_uri, so there is nowhere to send you back to.",
            client.name
        )));
    };
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Ok(invalid(format!(
            "{} asked to send you to an address that is not registered for it. \
             If you run it, add the address under its redirect URIs at /admin/apps.",
            client.name
        )));
    }
    let issuer = config.link("");
    let error = |code: &str, description: &str| {
        let mut params = vec![("error", code), ("error_description", description)];
        if let Some(state) = q.state.as_deref() {
            params.push(("state", state));
        }
        params.push(("iss", &issuer));
        Outcome::ToApp(with_query(redirect_uri, &params))
    };

    if q.response_type.as_deref() != Some("code") {
        return Ok(error(
            "unsupported_response_type",
            "Only the authorization code flow (response_type=code) is supported.",
        ));
    }
    if q.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Ok(error(
            "invalid_request",
            "Only response_mode=query is supported.",
        ));
    }
    let scopes = match Scopes::parse(q.scope.as_deref().unwrap_or_default()) {
        Ok(s) if s.has("openid") => s,
        Ok(_) => return Ok(error("invalid_scope", "The scope must include openid.")),
        Err(word) => {
            return Ok(error(
                "invalid_scope",
                &format!("The scope `{word}` is not known."),
            ))
        }
    };
    if !scopes.is_subset(&client.scopes) {
        return Ok(error(
            "invalid_scope",
            &format!("This app may ask only for: {}.", client.scopes),
        ));
    }
    match (
        q.code_challenge.as_deref(),
        q.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256"))
            if c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {}
        (Some(_), Some("S256")) => {
            return Ok(error(
                "invalid_request",
                "code_challenge is not a base64url SHA-256.",
            ))
        }
        (Some(_), _) => {
            return Ok(error(
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ))
        }
        (None, Some(_)) => {
            return Ok(error(
                "invalid_request",
                "code_challenge_method without code_challenge.",
            ))
        }
        (None, None) if !client.auth_method.is_confidential() => {
            return Ok(error(
                "invalid_request",
                "A public app must use PKCE (code_challenge with S256).",
            ))
        }
        (None, None) => {}
    }
    let prompt = match Prompt::parse(q.prompt.as_deref()) {
        Ok(p) => p,
        Err(e) => return Ok(error("invalid_request", &e)),
    };
    let max_age = match q.max_age.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => {
            return Ok(error(
                "invalid_request",
                "max_age must be a number of seconds.",
            ))
        }
    };

    let sign_in_again = || {
        let again = AuthorizeQuery {
            gh_fresh: Some(fresh_marker(config, &client.id, now)),
            ..q.clone()
        };
        Outcome::SignIn(sign_in_page(&again))
    };
    let Some(me) = session else {
        return Ok(if prompt.none {
            error(
                "login_required",
                "The person is not signed in to Gatehouse.",
            )
        } else {
            sign_in_again()
        });
    };
    if me.session.impersonated_by.is_some() {
        return Ok(error(
            "access_denied",
            "An admin acting as this person cannot sign in to apps as them.",
        ));
    }
    let auth_time = me.session.created_at;
    let fresh_sign_in = q
        .gh_fresh
        .as_deref()
        .and_then(|m| fresh_since(config, &client.id, m, now))
        .is_some_and(|since| auth_time >= since);
    if !fresh_sign_in && (prompt.login || !fresh_enough(auth_time, max_age, now)) {
        return Ok(if prompt.none {
            error("login_required", "The app asks for a fresh sign-in.")
        } else {
            sign_in_again()
        });
    }

    if !admitted(db, config, &client, &me.user).await? {
        let description = "This account may not use this app.";
        return Ok(match (prompt.none, error("access_denied", description)) {
            (true, back) => back,
            (false, Outcome::ToApp(back)) => Outcome::Denied {
                app: client.name.clone(),
                back,
            },
            (false, other) => other,
        });
    }

    if decision == Some(false) {
        return Ok(error("access_denied", "The person did not allow the app."));
    }
    let granted = store::grant(db, &me.user.id, &client.id).await?;
    let covered = granted.as_ref().is_some_and(|g| scopes.is_subset(g));
    let must_ask = !client.skip_consent && (prompt.consent || !covered);
    if must_ask && decision != Some(true) {
        return Ok(if prompt.none {
            error(
                "consent_required",
                "The person has not allowed this app yet.",
            )
        } else {
            Outcome::Ask(consent(&client, me, &scopes, redirect_uri))
        });
    }
    if !covered {
        // Remembered for first-party apps too, so that the person sees
        // every app their account is used by, and can disconnect it.
        record_grant(db, &client, me, &scopes, granted.as_ref(), now).await?;
    }

    let code = crypto::new_token();
    store::insert_code(
        db,
        &store::NewCode {
            code_hash: &crypto::hash_token(&code),
            client_id: &client.id,
            user_id: &me.user.id,
            redirect_uri,
            scopes: &scopes,
            nonce: q.nonce.as_deref(),
            code_challenge: q.code_challenge.as_deref(),
            auth_time,
            expires_at: now + CODE_TTL_MS,
            now,
        },
    )
    .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = q.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", &issuer));
    Ok(Outcome::ToApp(with_query(redirect_uri, &params)))
}

/// How long the way through the sign-in page may take.
const FRESH_MS: i64 = 15 * 60 * 1000;

/// "A sign-in after `since` counts as fresh", for this app: the time and
/// a MAC of it, so no one can write one into a link.
fn fresh_marker(config: &Config, client_id: &str, since: i64) -> String {
    let mac = config
        .secret_key
        .hash_code(&format!("oauth2-fresh:{client_id}:{since}"));
    format!("{since}.{}", &mac[..32])
}

/// The moment a marker vouches for, if it is ours, for this app, and recent.
fn fresh_since(config: &Config, client_id: &str, marker: &str, now: i64) -> Option<i64> {
    let since: i64 = marker.split_once('.')?.0.parse().ok()?;
    let ours = super::domain::constant_time_eq(
        fresh_marker(config, client_id, since).as_bytes(),
        marker.as_bytes(),
    );
    (ours && now - since <= FRESH_MS && since <= now).then_some(since)
}

/// The sign-in page, coming back to this request afterwards.
fn sign_in_page(q: &AuthorizeQuery) -> String {
    let back = q.at(PATH);
    format!(
        "/sign-in?redirectTo={}",
        percent_encoding::utf8_percent_encode(&back, percent_encoding::NON_ALPHANUMERIC)
    )
}

fn consent(client: &ClientRow, me: &Current, scopes: &Scopes, redirect_uri: &str) -> Consent {
    Consent {
        app: client.name.clone(),
        name: me.user.name.clone(),
        email: me.user.email.clone(),
        sees: scopes
            .iter()
            .map(scope_description)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect(),
        redirect_origin: url::Url::parse(redirect_uri)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
    }
}

/// What the person allowed, widened by what they allow now, with its
/// audit event in the same transaction.
async fn record_grant(
    db: &Db,
    client: &ClientRow,
    me: &Current,
    scopes: &Scopes,
    before: Option<&Scopes>,
    now: i64,
) -> ApiResult<()> {
    let all = match before {
        Some(b) => Scopes::parse(&format!("{b} {scopes}")).unwrap_or_else(|_| scopes.clone()),
        None => scopes.clone(),
    };
    let mut tx = db.begin().await?;
    store::save_grant(&mut tx, &me.user.id, &client.id, &all, now).await?;
    audit::record(
        &mut tx,
        audit::Event::new("app.consent")
            .actor(&me.user.id)
            .target(&client.id)
            .before(json!({ "scope": before.map(|b| b.to_string()) }))
            .after(json!({ "scope": all.to_string(), "app": client.name, "firstParty": client.skip_consent })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
