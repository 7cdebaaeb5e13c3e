//! Forms that work before, and without, the WebAssembly.
//!
//! Every form of the public flows is a real `<form method="post">` whose
//! `action` is its server function's own path (`ui::FormReturn` adds where
//! to go). Once its island is live, the island sends the form itself, as
//! JSON like every Better Auth client, and the browser never posts it.
//! Before that (JavaScript off, or a phone still fetching the code) the
//! browser posts the fields urlencoded, and `adapt` makes that post the
//! JSON call of the same server function, then answers as a page would:
//! a redirect to `_next` with the function's cookies, or back to `_back`
//! with the error and what was typed in a sealed cookie, which the page
//! reads once (`take_flash`). One path per form: the rules, rate limits
//! and audit events are the server function's own. The one check of the
//! adapter's own is what the island checks in the browser and no endpoint
//! sees: a new password typed twice (`_repeat`) must be typed the same.
//! A form that goes where its answer says (the verification link's
//! `callbackURL`) names that answer field in `_follow`.

use crate::ui::FormFlash;

/// The sealed cookie that carries a failed form back to its page.
#[cfg(feature = "ssr")]
const COOKIE: &str = "gatehouse_form";

/// A flash is read on the redirect that follows at once.
#[cfg(feature = "ssr")]
const FLASH_SECS: i64 = 120;

/// What the form's page, and only it, may read.
#[cfg(feature = "ssr")]
#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed {
    path: String,
    expires_at: i64,
    flash: FormFlash,
}

/// Fields never sent back to the page, not even sealed: a password is
/// typed again, and a token is in the page's address already.
#[cfg(feature = "ssr")]
fn echoed(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !name.starts_with('_')
        && !["password", "token", "secret"]
            .iter()
            .any(|s| name.contains(s))
}

/// The urlencoded fields as the JSON object a server function takes: one
/// string per field, a list for a name given more than once, and a dotted
/// name (`data.requireTwoFactor`) a field of a nested object. Control
/// fields (`_back`, `_next`) are the adapter's, not the endpoint's.
#[cfg(feature = "ssr")]
fn to_json(fields: &[(String, String)]) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut root = Map::new();
    for (name, value) in fields.iter().filter(|(n, _)| !n.starts_with('_')) {
        let value = Value::String(value.clone());
        let mut path = name.split('.').peekable();
        let mut object = &mut root;
        while let Some(key) = path.next() {
            if path.peek().is_some() {
                let inner = object
                    .entry(key)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !inner.is_object() {
                    // `a` and `a.b` both given: the object wins.
                    *inner = Value::Object(Map::new());
                }
                object = inner.as_object_mut().expect("made an object above");
                continue;
            }
            match object.get_mut(key) {
                None => {
                    object.insert(key.to_owned(), value);
                }
                Some(Value::Array(list)) => list.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
            }
            break;
        }
    }
    Value::Object(root)
}

#[cfg(feature = "ssr")]
fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The path of a local address, without its query: what a flash is bound to.
#[cfg(feature = "ssr")]
fn path_of(address: &str) -> &str {
    address.split(['?', '#']).next().unwrap_or(address)
}

#[cfg(feature = "ssr")]
fn flash_cookie(secure: bool, value: &str, max_age: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The layer that answers a page's form post (see the module's text).
/// Anything else, a client's JSON or a urlencoded body without `_back`,
/// reaches the endpoint untouched.
#[cfg(feature = "ssr")]
pub async fn adapt(
    axum::extract::State(state): axum::extract::State<crate::context::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::{
        body::{to_bytes, Body},
        response::{IntoResponse, Redirect},
    };
    use http::{header, HeaderValue, Method, StatusCode};

    use crate::{
        error::{ApiError, Code},
        ui::is_local_path,
    };

    /// Far more than any form of ours sends; a bigger post is refused
    /// before it is read.
    const MAX_BODY: usize = 64 * 1024;

    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if req.method() != Method::POST || !urlencoded || !req.uri().path().starts_with("/api/auth/") {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form sent more than a form can.",
        )
            .into_response();
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let Some(back) = field(&fields, "_back")
        .filter(|p| is_local_path(p))
        .map(str::to_owned)
    else {
        return next
            .run(axum::extract::Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    if let Some(repeated) = field(&fields, "_repeat") {
        let typed = field(&fields, "newPassword").or_else(|| field(&fields, "password"));
        if typed != Some(repeated) {
            let error = ApiError::new(
                Code::PasswordsDoNotMatch,
                "The two passwords are not the same.",
            );
            return back_with(&state, &back, error, fields);
        }
    }
    let onward = field(&fields, "_next")
        .filter(|p| is_local_path(p))
        .map_or_else(|| back.clone(), str::to_owned);

    let json = serde_json::to_vec(&to_json(&fields)).unwrap_or_default();
    let headers = &mut parts.headers;
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Not `text/html`: Leptos would answer that itself, with a redirect
    // to the Referer and the error in its query.
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(json.len()));
    let answer = next
        .run(axum::extract::Request::from_parts(parts, Body::from(json)))
        .await;

    let cookies: Vec<HeaderValue> = answer
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let mut response = if answer.status().is_success() {
        // `_follow`: where the answer itself says to go, when that is here.
        let followed = match field(&fields, "_follow") {
            Some(key) => to_bytes(answer.into_body(), MAX_BODY)
                .await
                .ok()
                .and_then(|body| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .and_then(|answer| {
                    // The answer's address may be absolute; this site's
                    // own is followed, by its path.
                    let to = answer.get(key)?.as_str()?;
                    let path = to.strip_prefix(&state.config.origin()).unwrap_or(to);
                    is_local_path(path).then(|| path.to_owned())
                }),
            None => None,
        };
        Redirect::to(followed.as_deref().unwrap_or(&onward)).into_response()
    } else {
        let error = match to_bytes(answer.into_body(), MAX_BODY).await {
            Ok(body) => {
                serde_json::from_slice::<ApiError>(&body).unwrap_or_else(|_| ApiError::internal())
            }
            Err(_) => ApiError::internal(),
        };
        back_with(&state, &back, error, fields)
    };
    // The endpoint's cookies: a session made, or one ended.
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A redirect to `back` that carries `error` and what was typed (but no
/// password or token) sealed in the form cookie, for the page to show.
#[cfg(feature = "ssr")]
fn back_with(
    state: &crate::context::AppState,
    back: &str,
    error: crate::error::ApiError,
    fields: Vec<(String, String)>,
) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    use http::{header, HeaderValue};

    let sealed = Sealed {
        path: path_of(back).to_owned(),
        expires_at: crate::server::clock::now_ms() + FLASH_SECS * 1000,
        flash: FormFlash {
            error,
            values: fields
                .into_iter()
                .filter(|(name, _)| echoed(name))
                .collect(),
        },
    };
    let config = &state.config;
    let sealed = config
        .secret_key
        .seal(&serde_json::to_vec(&sealed).unwrap_or_default());
    let mut response = Redirect::to(back).into_response();
    if let Ok(value) =
        HeaderValue::from_str(&flash_cookie(config.secure_cookies(), &sealed, FLASH_SECS))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the last post of a form on this page brought back, if it failed:
/// the error and the fields to fill in again. Reading it removes it. Only
/// on the server, where pages are rendered; call it at the top of a page,
/// outside any `Suspense`, and pass it to the form's island.
pub fn take_flash() -> Option<FormFlash> {
    #[cfg(feature = "ssr")]
    {
        let cx = crate::context::RequestContext::current().ok()?;
        let sealed = crate::context::cookie(&cx.parts, COOKIE)?;
        let config = cx.config();
        cx.set_cookie(&flash_cookie(config.secure_cookies(), "", 0));
        let sealed: Sealed = serde_json::from_slice(&config.secret_key.open(&sealed)?).ok()?;
        (sealed.path == cx.parts.uri.path() && sealed.expires_at > crate::server::clock::now_ms())
            .then_some(sealed.flash)
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The address of the page being rendered, with its query: where a form
/// comes back to.
pub fn here() -> String {
    use leptos::prelude::GetUntracked;
    let location = leptos_router::hooks::use_location();
    let (path, query) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.trim_start_matches('?'))
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_json_its_endpoint_takes() {
        let fields = pairs(&[
            ("_back", "/sign-up"),
            ("name", "Ada"),
            ("events", "a"),
            ("events", "b"),
            ("events", "c"),
            ("inviteToken", "t"),
        ]);
        assert_eq!(
            to_json(&fields),
            serde_json::json!({ "name": "Ada", "events": ["a", "b", "c"], "inviteToken": "t" })
        );
    }

    #[test]
    fn a_dotted_name_is_a_field_of_a_nested_object() {
        let fields = pairs(&[
            ("_back", "/orgs/acme/settings"),
            ("organizationId", "o1"),
            ("data.requireTwoFactor", "true"),
            ("data.name", "Acme"),
        ]);
        assert_eq!(
            to_json(&fields),
            serde_json::json!({
                "organizationId": "o1",
                "data": { "requireTwoFactor": "true", "name": "Acme" },
            })
        );
    }

    #[test]
    fn passwords_and_tokens_are_never_echoed() {
        for name in [
            "password",
            "newPassword",
            "inviteToken",
            "token",
            "_back",
            "_next",
            "clientSecret",
        ] {
            assert!(!echoed(name), "{name}");
        }
        for name in ["name", "email", "code"] {
            assert!(echoed(name), "{name}");
        }
    }

    #[test]
    fn a_flash_belongs_to_a_path_not_its_query() {
        assert_eq!(path_of("/sign-in?redirectTo=/invite/x"), "/sign-in");
        assert_eq!(path_of("/invite/abc/sign-up"), "/invite/abc/sign-up");
        assert_eq!(path_of("/a#b"), "/a");
    }
}
