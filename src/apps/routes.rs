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
    tokens::{self, EndSession, OAuthError, TokenForm},
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
        .route(
            "/api/auth/oauth2/end-session",
            get(end_session).post(end_session_confirmed),
        )
}

/// Public documents any app (or its browser code, `server::security`'s
/// CORS) may read.
fn public_json(body: serde_json::Value) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
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

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// The endpoints an app calls with its credentials: the form read, the
/// caller's address and then the app counted against their budgets (the
/// address first, so guessing a secret is limited too; a public app's
/// budget is not its own, anyone may spend it), then `act`.
async fn as_client<F, Fut>(
    state: AppState,
    parts: http::request::Parts,
    form: Result<Form<TokenForm>, FormRejection>,
    act: F,
) -> Response
where
    F: FnOnce(AppState, store::ClientRow, TokenForm) -> Fut,
    Fut: std::future::Future<Output = Result<serde_json::Value, OAuthError>>,
{
    let Ok(Form(form)) = form else {
        return oauth_error(OAuthError::new(
            "invalid_request",
            "The body must be application/x-www-form-urlencoded, each parameter once.",
        ));
    };
    let cx = RequestContext { state, parts };
    let limit = cx.config().rate_limits.oauth_token;
    let result = async {
        cx.rate_limit("oauth-token-address", limit).await?;
        let credentials = tokens::credentials(authorization(&cx.parts.headers), &form)?;
        let client = tokens::authenticate(cx.db(), &credentials).await?;
        if client.auth_method.is_confidential() {
            let key = format!("oauth-token:{}", client.id);
            crate::server::rate_limit::hit(cx.db(), &key, limit, clock::now_ms()).await?;
        }
        Ok::<_, OAuthError>(client)
    }
    .await;
    match result {
        Ok(client) => match act(cx.state, client, form).await {
            Ok(body) => no_store(StatusCode::OK, body),
            Err(e) => oauth_error(e),
        },
        Err(e) => oauth_error(e),
    }
}

fn token_of(form: &TokenForm) -> Result<&str, OAuthError> {
    form.token
        .as_deref()
        .ok_or_else(|| OAuthError::new("invalid_request", "token is required."))
}

async fn token(
    State(state): State<AppState>,
    parts: http::request::Parts,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    as_client(state, parts, form, |state, client, form| async move {
        tokens::token(&state.db, &state.config, &client, &form, clock::now_ms()).await
    })
    .await
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
    parts: http::request::Parts,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    as_client(state, parts, form, |state, client, form| async move {
        let token = token_of(&form)?;
        tokens::revoke(&state.db, &state.config, &client, token, clock::now_ms()).await?;
        Ok(json!({}))
    })
    .await
}

async fn introspect(
    State(state): State<AppState>,
    parts: http::request::Parts,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    as_client(state, parts, form, |state, client, form| async move {
        let token = token_of(&form)?;
        tokens::introspect(&state.db, &state.config, &client, token, clock::now_ms()).await
    })
    .await
}

/// RP-initiated logout. The app's request (a GET, often a link) leads to
/// a page that asks the person; their answer (a POST) ends the app's
/// sign-in, and this browser's Gatehouse session if it is the same
/// person's, then goes back to the app's registered address, or to the
/// sign-in page. A request that does not prove its app with an ID token we
/// signed is refused on a page: a link anyone can send must not sign
/// people out.
async fn end_session(
    State(state): State<AppState>,
    query: Result<Query<EndSession>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return refused("logout");
    };
    match tokens::logout(&state.db, &state.config, &q, clock::now_ms()).await {
        Ok(Ok(_)) => Redirect::to(&q.at(PAGE, &[("gh_logout", "1")])).into_response(),
        Ok(Err(reason)) => refused(reason),
        Err(e) => error_response(e),
    }
}

fn refused(reason: &str) -> Response {
    Redirect::to(&format!("{PAGE}?gh_error={reason}")).into_response()
}

/// The person's "Sign out" on that page.
async fn end_session_confirmed(
    State(state): State<AppState>,
    parts: http::request::Parts,
    form: Result<Form<EndSession>, FormRejection>,
) -> Response {
    let Ok(Form(q)) = form else {
        return refused("logout");
    };
    let now = clock::now_ms();
    let logout = match tokens::logout(&state.db, &state.config, &q, now).await {
        Ok(Ok(logout)) => logout,
        Ok(Err(reason)) => return refused(reason),
        Err(e) => return error_response(e),
    };
    if let Some(sid) = logout.sid.as_deref() {
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
        if me.user.id == logout.user_id {
            if let Err(e) =
                crate::accounts::sign_in::sign_out(cx.db(), cx.config(), &token, &cx.ip()).await
            {
                return error_response(e);
            }
            signed_out = true;
        }
    }
    let to = match logout.back {
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
