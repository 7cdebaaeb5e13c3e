//! Request guards and response headers that apply to every route (SPEC §8).

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use http::{header, HeaderValue, Method, StatusCode};

use crate::error::{ApiError, Code};

use super::db::Db;

/// What the guard needs to know of the instance.
#[derive(Debug, Clone)]
pub struct Origins {
    /// The instance's own origin (`base_url`'s).
    pub own: String,
    /// `trusted_origins`: apps that call the API from their own pages.
    pub trusted: Vec<String>,
    /// Served over https: responses then carry HSTS.
    pub secure: bool,
}

/// The OpenID Connect endpoints apps call with their own credentials (a
/// client secret, PKCE, a bearer token), never a cookie: an app's page on
/// another origin (a single-page app) may call them, so the origin guard
/// lets them through and CORS answers any origin (SPEC §9), and the
/// documents every app reads.
const OPEN_TO_APPS: [&str; 6] = [
    "/api/auth/oauth2/token",
    "/api/auth/oauth2/revoke",
    "/api/auth/oauth2/introspect",
    "/api/auth/oauth2/userinfo",
    "/api/auth/jwks",
    "/.well-known/openid-configuration",
];

/// Refuses state-changing requests that a browser sent from another site.
/// Browsers always send `Origin` on cross-site POSTs; clients that are not
/// browsers (curl, server-side SDKs) send none and are let through, since
/// they carry no ambient cookies to abuse.
pub async fn guard(
    State(origins): State<std::sync::Arc<Origins>>,
    req: Request,
    next: Next,
) -> Response {
    let open_to_apps = OPEN_TO_APPS.contains(&req.uri().path());
    if !open_to_apps && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("invalid"));
        let fetch_site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok());
        let allowed = match origin {
            // A page under `Referrer-Policy: no-referrer` (the invitation
            // and enrollment pages) posts its forms with `Origin: null`;
            // the browser's own `Sec-Fetch-Site`, which no script can set,
            // still tells a same-origin post from a sandboxed frame's.
            Some("null") => fetch_site == Some("same-origin"),
            Some(origin) => origin == origins.own || origins.trusted.iter().any(|o| o == origin),
            None => fetch_site != Some("cross-site"),
        };
        if !allowed {
            tracing::warn!(origin = ?origin, path = %req.uri().path(), "refused a cross-origin request");
            return error_response(ApiError::new(
                Code::InvalidOrigin,
                "Requests from other sites are not allowed.",
            ));
        }
    }

    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let set = |headers: &mut http::HeaderMap, name: &'static str, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    // Pages carry secrets in their URLs here; never leak them as a referrer.
    let secret_in_url = ["/invite", "/enroll", "/reset-password", "/verify-email"]
        .iter()
        .any(|p| path.starts_with(p));
    set(
        headers,
        "referrer-policy",
        if secret_in_url {
            "no-referrer"
        } else {
            "strict-origin-when-cross-origin"
        },
    );
    // HTML pages set a policy with their script nonce (see `app::shell`);
    // everything else (JSON, files) gets the strictest one.
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    );
    if origins.secure {
        set(
            headers,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// SPEC §8: browsers on `trusted_origins` (an app using Better Auth's
/// client from its own origin) may call the API with credentials; no other
/// origin gets CORS headers, so its scripts cannot read any answer, except
/// from the endpoints open to apps, which read no cookie. The instance's
/// own pages are same-origin and need none.
pub fn cors(trusted_origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = trusted_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            origins.contains(origin) || OPEN_TO_APPS.contains(&parts.uri.path())
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(std::time::Duration::from_secs(600))
}

pub fn error_response(err: ApiError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(err)).into_response()
}

/// The policy for an HTML page: scripts only from here or with this
/// response's nonce, WebAssembly allowed, nothing may frame us.
/// Images may come from any https address: organization logos are URLs
/// their owners chose (shown with `referrerpolicy="no-referrer"`).
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data: https:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
}

pub async fn healthz(State(db): State<Db>) -> Response {
    // A database that hangs rather than refusing counts as down too.
    let ping = tokio::time::timeout(super::db::ACQUIRE_TIMEOUT, db.ping()).await;
    match ping {
        Ok(Ok(())) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: database unreachable");
            unavailable()
        }
        Err(_) => {
            tracing::error!("health check: the database did not answer in time");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "unavailable", "database": "unreachable" })),
    )
        .into_response()
}
