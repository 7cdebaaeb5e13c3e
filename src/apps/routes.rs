//! The OpenID Connect endpoints as HTTP routes (SPEC §9). Request
//! handlers, so each reads its request itself: the protocol's answers are
//! its own (form posts in, RFC 6749 errors out), not server functions'.

use axum::{
    extract::{rejection::FormRejection, Form, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{
    authorize::{self, AuthorizeQuery, Outcome, PAGE},
    domain::{with_query, SCOPES},
    keys, store,
    tokens::{self, OAuthError, TokenForm},
};
use crate::{
    accounts::sessions,
    context::{AppState, RequestContext},
    server::{clock, security::error_response},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/api/auth/jwks", get(jwks))
        .route(authorize::PATH, get(authorize_route))
        .route("/api/auth/oauth2/consent", post(consent))
        .route("/api/auth/oauth2/token", post(token))
        .route("/api/auth/oauth2/userinfo", get(userinfo).post(userinfo))
        .route("/api/auth/oauth2/revoke", post(revoke))
        .route("/api/auth/oauth2/introspect", post(introspect))
        .route("/api/auth/oauth2/end-session", get(end_session))
}

/// Public documents any app (or its browser code) may read.
fn public_json(body: serde_json::Value) -> Response {
    let mut res = Json(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = state.config.link("");
    let at = |path: &str| format!("{issuer}{path}");
    public_json(json!({
        "issuer": issuer,
        "authorization_endpoint": at(authorize::PATH),
        "token_endpoint": at("/api/auth/oauth2/token"),
        "userinfo_endpoint": at("/api/auth/oauth2/userinfo"),
        "jwks_uri": at("/api/auth/jwks"),
        "revocation_endpoint": at("/api/auth/oauth2/revoke"),
        "introspection_endpoint": at("/api/auth/oauth2/introspect"),
        "end_session_endpoint": at("/api/auth/oauth2/end-session"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES,
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid",
            "email", "email_verified", "name", "preferred_username", "role", "organizations", "groups",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    }))
}

async fn jwks(State(state): State<AppState>) -> Response {
    match keys::published(&state.db, &state.config.secret_key, clock::now_ms()).await {
        Ok(keys) => public_json(keys),
        Err(e) => error_response(e),
    }
}

/// Sends the browser where an outcome leads; pages (consent, a refusal,
/// an error) are `/authorize`, which decides the request again.
fn follow(outcome: Outcome, q: &AuthorizeQuery) -> Response {
    match outcome {
        Outcome::ToApp(url) | Outcome::SignIn(url) => Redirect::to(&url).into_response(),
        Outcome::Ask(_) | Outcome::Denied { .. } | Outcome::Invalid(_) => {
            Redirect::to(&q.at(PAGE)).into_response()
        }
    }
}

async fn authorize_route(
    State(state): State<AppState>,
    parts: http::request::Parts,
    query: Result<Query<AuthorizeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A malformed query (a parameter given twice) leaves nothing trusted.
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let cx = RequestContext { state, parts };
    let session = match cx.session().await {
        Ok(s) => s,
        Err(e) => return error_response(e),
    };
    match authorize::evaluate(
        cx.db(),
        cx.config(),
        &q,
        session.as_ref(),
        None,
        clock::now_ms(),
    )
    .await
    {
        Ok(outcome) => follow(outcome, &q),
        Err(e) => error_response(e),
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(flatten)]
    query: AuthorizeQuery,
    decision: Option<String>,
}

/// The consent page's answer: allow or deny, then on to the app.
async fn consent(
    State(state): State<AppState>,
    parts: http::request::Parts,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return Redirect::to(PAGE).into_response();
    };
    let cx = RequestContext { state, parts };
    let session = match cx.session().await {
        Ok(s) => s,
        Err(e) => return error_response(e),
    };
    let decision = Some(form.decision.as_deref() == Some("allow"));
    match authorize::evaluate(
        cx.db(),
        cx.config(),
        &form.query,
        session.as_ref(),
        decision,
        clock::now_ms(),
    )
    .await
    {
        Ok(outcome) => follow(outcome, &form.query),
        Err(e) => error_response(e),
    }
}

/// An OAuth answer: never cached (RFC 6749 5.1).
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn oauth_error(e: OAuthError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = no_store(status, e.body());
    if e.status == 401 {
        let challenge = if e.error == "invalid_token" {
            format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                e.description
            )
        } else if e.basic {
            "Basic realm=\"gatehouse\"".to_owned()
        } else {
            String::new()
        };
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            if !challenge.is_empty() {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
    }
    res
}

fn bad_form() -> Response {
    oauth_error(OAuthError::new(
        "invalid_request",
        "The body must be application/x-www-form-urlencoded, each parameter once.",
    ))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Authenticates the app and counts the call against its budget.
async fn client_of(
    state: &AppState,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<store::ClientRow, OAuthError> {
    let credentials = tokens::credentials(authorization(headers), form)?;
    let client = tokens::authenticate(&state.db, &credentials).await?;
    crate::server::rate_limit::hit(
        &state.db,
        &format!("oauth-token:{}", client.id),
        state.config.rate_limits.oauth_token,
        clock::now_ms(),
    )
    .await?;
    Ok(client)
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result = async {
        let client = client_of(&state, &headers, &form).await?;
        tokens::token(&state.db, &state.config, &client, &form, clock::now_ms()).await
    }
    .await;
    match result {
        Ok(body) => no_store(StatusCode::OK, body),
        Err(e) => oauth_error(e),
    }
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = authorization(&headers).and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("bearer "))
    });
    match tokens::userinfo(
        &state.db,
        &state.config,
        bearer.map(str::trim),
        clock::now_ms(),
    )
    .await
    {
        Ok(body) => no_store(StatusCode::OK, body),
        Err(e) => oauth_error(e),
    }
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result = async {
        let client = client_of(&state, &headers, &form).await?;
        let token = form
            .token
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "token is required."))?;
        tokens::revoke(&state.db, &state.config, &client, token, clock::now_ms()).await
    }
    .await;
    match result {
        Ok(()) => no_store(StatusCode::OK, json!({})),
        Err(e) => oauth_error(e),
    }
}

async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result = async {
        let client = client_of(&state, &headers, &form).await?;
        let token = form
            .token
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "token is required."))?;
        tokens::introspect(&state.db, &state.config, &client, token, clock::now_ms()).await
    }
    .await;
    match result {
        Ok(body) => no_store(StatusCode::OK, body),
        Err(e) => oauth_error(e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct EndSession {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

/// RP-initiated logout: the app's sign-in ends, and so does this
/// browser's Gatehouse session if it is the same person's; then back to
/// the app's registered address, or to the sign-in page. A request that
/// does not name its app by a token we signed is refused on a page: a
/// link anyone can send must not sign people out.
async fn end_session(
    State(state): State<AppState>,
    parts: http::request::Parts,
    query: Result<Query<EndSession>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let refused = |reason: &str| Redirect::to(&format!("{PAGE}?gh_error={reason}")).into_response();
    let Ok(Query(q)) = query else {
        return refused("logout");
    };
    let now = clock::now_ms();
    let issuer = state.config.link("");
    let Some(hint) = q.id_token_hint.as_deref() else {
        return refused("logout");
    };
    let Some(claims) = keys::verify(&state.db, hint, &issuer, "JWT", true, now).await else {
        return refused("logout");
    };
    let Some(client_id) = claims["aud"].as_str().map(str::to_owned) else {
        return refused("logout");
    };
    if q.client_id.as_deref().is_some_and(|c| c != client_id) {
        return refused("logout");
    }
    let client = match store::client(state.db.pool(), &client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return refused("logout"),
        Err(e) => return error_response(e.into()),
    };
    let back = match q.post_logout_redirect_uri.as_deref() {
        None => None,
        Some(uri) if client.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            Some(uri.to_owned())
        }
        Some(_) => return refused("logout-address"),
    };
    if let Some(sid) = claims["sid"].as_str() {
        if let Err(e) = store::revoke_family(state.db.pool(), sid, now).await {
            return error_response(e.into());
        }
    }
    let cx = RequestContext { state, parts };
    let mut signed_out = false;
    if let (Some(token), Ok(Some(me))) = (
        sessions::token_from(&cx.parts, cx.config()),
        cx.session().await,
    ) {
        if me.user.id == claims["sub"].as_str().unwrap_or_default() {
            if let Err(e) =
                crate::accounts::sign_in::sign_out(cx.db(), cx.config(), &token, &cx.ip()).await
            {
                return error_response(e);
            }
            signed_out = true;
        }
    }
    let to = match back {
        Some(uri) => match q.state.as_deref() {
            Some(s) => with_query(&uri, &[("state", s)]),
            None => uri,
        },
        None => "/sign-in".to_owned(),
    };
    let mut res = Redirect::to(&to).into_response();
    if signed_out {
        if let Ok(v) = HeaderValue::from_str(&sessions::clear_cookie(cx.config())) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
