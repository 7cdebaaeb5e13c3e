//! The plain HTML forms of `/admin/apps`, which work without JavaScript:
//! each does what its endpoint does (`clients`), then sends the browser
//! back with the outcome in a sealed cookie, read once (a new client
//! secret never travels in the address). A request handler, so it reads
//! the request itself.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{clients, AppFlash, ClientMetadata, UpdateClientBody};
use crate::{
    access::roles::Permission,
    accounts::{flash::Flash, store::UserRow},
    context::{AppState, RequestContext},
    error::{ApiError, Code},
};

pub const PATH: &str = "/admin/apps";
pub const FLASH: Flash = Flash {
    cookie: "gatehouse_app_flash",
    path: PATH,
};

impl AppFlash {
    fn ok(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: message.into(),
            client_id: None,
            secret: None,
            typed: Vec::new(),
        }
    }

    fn error(e: ApiError) -> Self {
        Self {
            ok: false,
            ..Self::ok(e.message)
        }
    }
}

/// `POST /admin/apps`: one of the page's forms, done as the signed-in
/// admin, then back to the page (303).
pub async fn form_route(
    State(state): State<AppState>,
    parts: http::request::Parts,
    body: axum::body::Bytes,
) -> Response {
    let cx = RequestContext { state, parts };
    let (admin, flash) = match cx.require(Permission::AppManage).await {
        Ok(admin) => {
            let flash = act(&cx, &admin.user, &body).await;
            (Some(admin.user.id), flash)
        }
        Err(e) => (None, AppFlash::error(e)),
    };
    let anchor = flash
        .client_id
        .as_deref()
        .map(|id| format!("#app-{id}"))
        .unwrap_or_default();
    let mut response = Redirect::to(&format!("{PATH}{anchor}")).into_response();
    if let Some(cookie) = admin.and_then(|id| FLASH.set(&cx, &id, flash)) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
    response
}

async fn act(cx: &RequestContext, admin: &UserRow, body: &[u8]) -> AppFlash {
    let (db, config, ip) = (cx.db(), cx.config(), cx.ip());
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let client_id = field("clientId");
    let done = |message: String| AppFlash {
        client_id: client_id.clone(),
        ..AppFlash::ok(message)
    };
    match field("action").as_deref().unwrap_or("") {
        "create" => match clients::create(db, config, Some(admin), metadata(&fields), &ip).await {
            Ok(app) => AppFlash {
                client_id: Some(app.client_id.clone()),
                secret: app.client_secret.clone(),
                ..AppFlash::ok(format!(
                    "{} is registered. Put its client ID{} into the app's OpenID Connect settings.",
                    app.client_name,
                    if app.client_secret.is_some() {
                        " and secret"
                    } else {
                        ""
                    }
                ))
            },
            Err(e) => AppFlash {
                typed: fields
                    .iter()
                    .filter(|(k, _)| k != "action")
                    .cloned()
                    .collect(),
                ..AppFlash::error(e)
            },
        },
        "update" => {
            let body = UpdateClientBody {
                client_id: client_id.clone(),
                metadata: metadata(&fields),
                disabled: None,
            };
            match clients::update(db, config, admin, body, &ip).await {
                Ok(app) => done(format!("{} is saved.", app.client_name)),
                Err(e) => AppFlash {
                    client_id: client_id.clone(),
                    ..AppFlash::error(e)
                },
            }
        }
        action @ ("disable" | "enable") => {
            let body = UpdateClientBody {
                client_id: client_id.clone(),
                metadata: ClientMetadata::default(),
                disabled: Some(action == "disable"),
            };
            match clients::update(db, config, admin, body, &ip).await {
                Ok(app) if app.disabled => done(format!(
                    "{} is turned off: no one can sign in to it, and its sign-ins have ended.",
                    app.client_name
                )),
                Ok(app) => done(format!("{} is turned on again.", app.client_name)),
                Err(e) => AppFlash::error(e),
            }
        }
        "rotate" => match clients::rotate_secret(db, admin, client_id.as_deref(), &ip).await {
            Ok(app) => AppFlash {
                secret: app.client_secret.clone(),
                ..done(format!(
                    "{} has a new secret; the old one no longer works. Put the new one into the app now.",
                    app.client_name
                ))
            },
            Err(e) => AppFlash::error(e),
        },
        "delete" => match clients::delete(db, admin, client_id.as_deref(), &ip).await {
            Ok(done) => AppFlash::ok(done.message.unwrap_or_default()),
            Err(e) => AppFlash::error(e),
        },
        _ => AppFlash::error(ApiError::new(
            Code::UnknownAction,
            "That form sent no action this page knows.",
        )),
    }
}

/// The add and change forms' fields as the endpoint's metadata. Every
/// field is sent, so an unticked box means "none" (every role may use it).
fn metadata(fields: &[(String, String)]) -> ClientMetadata {
    let all = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let words = |name: &str| -> Vec<String> {
        all(name)
            .iter()
            .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == ','))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let one = |name: &str| all(name).into_iter().next();
    let mut scopes = vec!["openid".to_owned()];
    scopes.extend(all("scope").into_iter().filter(|s| s != "openid"));
    ClientMetadata {
        client_name: one("name"),
        redirect_uris: Some(words("redirectUris")),
        post_logout_redirect_uris: Some(words("postLogoutRedirectUris")),
        token_endpoint_auth_method: one("auth"),
        scope: Some(scopes.join(" ")),
        skip_consent: Some(one("firstParty").is_some()),
        allowed_roles: Some(all("roles")),
        allowed_organizations: Some(words("organizations")),
        allowed_teams: Some(words("teams")),
        grant_types: None,
        response_types: None,
    }
}
