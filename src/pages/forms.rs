//! Forms that work before, and without, the WebAssembly.
//!
//! Every form of the pages is a real `<form method="post">` whose
//! `action` is its server function's own path (`ui::FormReturn` adds where
//! to go), rendered on the server, and the browser sends it: with
//! JavaScript or without, the fields go urlencoded, and `adapt` makes that
//! post the JSON call of the same server function, then answers as a page
//! would: a redirect to `_next` with the function's cookies, or back to
//! `_back` with the error and what was typed in a sealed cookie, which the
//! page reads once (`take_flash`) and shows under the field it concerns.
//! One path per form: the rules, rate limits and audit events are the
//! server function's own. The one check of the adapter's own is what the
//! island checks in the browser and no endpoint sees: a new password typed
//! twice (`_repeat`) must be typed the same. A form that goes where its
//! answer says (the verification link's `callbackURL`) names that answer
//! field in `_follow`. What the next page shows once of the answer (a new
//! secret, what happened to each address) is named in `_keep` and crosses
//! the redirect sealed too (`take_kept`); `_split`, `[]` names and a
//! `{field}` in `_next` are the other conventions of the page's forms
//! (`to_json`, `fill`). The island (`Enhanced`) only improves the form: it
//! checks fields before they go and shows that the form is on its way.

use crate::ui::FormFlash;

#[cfg(feature = "hydrate")]
pub use enhanced::browser::on_submit;
pub use enhanced::{problem, Enhanced, NewPasswordFields, NEW_PASSWORD_CODES};

/// The island of the forms the browser sends, in every group's bundle.
mod enhanced {
    use leptos::prelude::*;

    use crate::{
        accounts::domain::{Email, Password, PersonName, PASSWORD_HINT},
        error::{ApiError, Code},
        invitations::secret::parse_code,
        ui::{Check, Field, FormFlash},
    };

    /// The island of every form the browser sends itself: it improves the
    /// form, server-rendered as its child, without taking it over. Before the
    /// form goes, it checks the fields that carry a `Check` by the server's own
    /// rules and says what is wrong under each one, keeping the form from
    /// going; once it goes, its submit button says so (`data-pending`) and
    /// takes no second click. It also works the copy buttons inside it
    /// (`ui::CopyButton`). The post itself, its redirect and its error are
    /// the same with JavaScript as without (`adapt`), so there is one path to
    /// test. It takes no props: the WebAssembly decodes nothing, and every
    /// form the browser sends shares this one island.
    #[island]
    pub fn Enhanced(children: Children) -> impl IntoView {
        let root = NodeRef::<leptos::html::Div>::new();
        // For tests and the benchmark: the form's island is live.
        Effect::new(move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(root) = root.get() {
                browser::mark_live(&root);
            }
        });
        let on_submit = move |ev: leptos::ev::SubmitEvent| {
            #[cfg(feature = "hydrate")]
            browser::on_submit(&ev);
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        };
        let on_click = move |ev: leptos::ev::MouseEvent| {
            #[cfg(feature = "hydrate")]
            browser::on_click(&ev);
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        };
        view! { <div class="contents" node_ref=root on:submit=on_submit on:click=on_click>{children()}</div> }
    }

    const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
    const REPEAT_CODES: &[Code] = &[Code::PasswordsDoNotMatch];

    /// Every code `NewPasswordFields` shows under one of its fields.
    pub const NEW_PASSWORD_CODES: &[Code] = &[
        Code::PasswordTooShort,
        Code::PasswordTooLong,
        Code::PasswordsDoNotMatch,
    ];

    /// A new password, `name`d as its endpoint takes it, and the same
    /// again: the two go together, since the second's check (`Repeat`)
    /// compares it with the form's `Password` field, and `adapt` compares
    /// `_repeat` with the password it is sent.
    #[component]
    pub fn NewPasswordFields(
        name: &'static str,
        label: &'static str,
        repeat_label: &'static str,
        flash: Option<FormFlash>,
    ) -> impl IntoView {
        view! {
            <Field label=label name=name kind="password" autocomplete="new-password" check=Check::Password
                error=FormFlash::field_error(&flash, PASSWORD_CODES) hint=PASSWORD_HINT />
            <Field label=repeat_label name="_repeat" kind="password" autocomplete="new-password" check=Check::Repeat
                error=FormFlash::field_error(&flash, REPEAT_CODES) />
        }
    }

    /// What is wrong with `value`, typed into a field checked for `check`, in
    /// the words the server would use; `password` is what the same form's
    /// password field holds. Nothing when it would pass.
    pub fn problem(check: Check, value: &str, password: &str) -> Option<String> {
        let checked = match check {
            Check::Name => PersonName::parse(value).map(drop),
            Check::Email => Email::parse(value).map(drop),
            Check::Password => Password::parse(value).map(drop),
            Check::Repeat if value == password => Ok(()),
            Check::Repeat => Err(passwords_differ()),
            Check::InvitationCode => parse_code(value).map(drop),
        };
        checked.err().map(|e| e.message)
    }

    pub(super) fn passwords_differ() -> ApiError {
        ApiError::new(
            Code::PasswordsDoNotMatch,
            "The two passwords are not the same.",
        )
    }

    /// What `Enhanced` does in the page, on the elements the server rendered.
    #[cfg(feature = "hydrate")]
    pub mod browser {
        use wasm_bindgen::JsCast;
        use web_sys::{Element, HtmlElement, HtmlFormElement, HtmlInputElement};

        use crate::ui::Check;

        fn all<T: JsCast>(root: &Element, selector: &str) -> Vec<T> {
            let Ok(list) = root.query_selector_all(selector) else {
                return Vec::new();
            };
            (0..list.length())
                .filter_map(|i| list.item(i)?.dyn_into::<T>().ok())
                .collect()
        }

        pub fn mark_live(root: &Element) {
            for button in all::<Element>(root, "button[type=submit]") {
                let _ = button.set_attribute("data-hydrated", "true");
            }
            // A page the browser brings back from its back-forward cache is
            // as it was left: a form sent from it would still say it is on
            // its way, and take no click.
            let root = root.clone();
            let restore = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                for form in all::<Element>(&root, "form[aria-busy=true]") {
                    let _ = form.remove_attribute("aria-busy");
                }
                for button in all::<HtmlElement>(&root, "button[data-label]") {
                    let _ = button.remove_attribute("disabled");
                    button.set_text_content(button.get_attribute("data-label").as_deref());
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window
                    .add_event_listener_with_callback("pageshow", restore.as_ref().unchecked_ref());
            }
            // Lives as long as the page.
            restore.forget();
        }

        pub fn on_submit(ev: &web_sys::SubmitEvent) {
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            else {
                return;
            };
            // On its way already: a second click would post it twice.
            if form.get_attribute("aria-busy").as_deref() == Some("true") {
                ev.prevent_default();
                return;
            }
            let password = form
                .query_selector("input[data-check=password]")
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<HtmlInputElement>().ok())
                .map(|input| input.value())
                .unwrap_or_default();
            let mut first_wrong: Option<HtmlInputElement> = None;
            for input in all::<HtmlInputElement>(&form, "input[data-check]") {
                let Some(check) = input
                    .get_attribute("data-check")
                    .and_then(|c| Check::from_attr(&c))
                else {
                    continue;
                };
                let problem = super::problem(check, &input.value(), &password);
                say(&input, problem.as_deref());
                if problem.is_some() && first_wrong.is_none() {
                    first_wrong = Some(input);
                }
            }
            if let Some(input) = first_wrong {
                ev.prevent_default();
                let _ = input.focus();
                return;
            }
            let _ = form.set_attribute("aria-busy", "true");
            for button in all::<HtmlElement>(&form, "button[type=submit][data-pending]") {
                let _ = button.set_attribute("disabled", "");
                let label = button.text_content().unwrap_or_default();
                let _ = button.set_attribute("data-label", &label);
                button.set_text_content(button.get_attribute("data-pending").as_deref());
            }
        }

        /// A `ui::CopyButton`: its text to the clipboard, and it says so.
        pub fn on_click(ev: &web_sys::MouseEvent) {
            let Some(button) = ev
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.closest("button[data-copy]").ok().flatten())
            else {
                return;
            };
            if let (Some(text), Some(window)) =
                (button.get_attribute("data-copy"), web_sys::window())
            {
                // The promise settles on its own; a refusal leaves the text
                // on screen.
                let _ = window.navigator().clipboard().write_text(&text);
                button.set_text_content(Some("Copied"));
            }
        }

        /// Shows `problem` in the field's error paragraph (`ui::Field`), or
        /// clears it, and points the field at what describes it now.
        fn say(input: &HtmlInputElement, problem: Option<&str>) {
            let (error_id, hint_id) = (
                format!("{}-error", input.id()),
                format!("{}-hint", input.id()),
            );
            let document = web_sys::window().and_then(|w| w.document());
            let find = |id: &str| document.as_ref().and_then(|d| d.get_element_by_id(id));
            if let Some(paragraph) = find(&error_id) {
                paragraph.set_text_content(problem);
            }
            let _ = input.set_attribute(
                "aria-invalid",
                if problem.is_some() { "true" } else { "false" },
            );
            match (problem, find(&hint_id)) {
                (Some(_), _) => drop(input.set_attribute("aria-describedby", &error_id)),
                (None, Some(_)) => drop(input.set_attribute("aria-describedby", &hint_id)),
                (None, None) => drop(input.remove_attribute("aria-describedby")),
            }
        }
    }
}

/// The sealed cookie that carries a failed form back to its page.
const COOKIE: &str = "gatehouse_form";

/// The sealed cookie that carries what a form kept of its answer to the
/// page it goes to next.
const KEPT_COOKIE: &str = "gatehouse_kept";

/// Browsers keep a cookie of up to 4 KB; a kept answer, sealed and with
/// its attributes, stays well inside.
#[cfg(feature = "ssr")]
const KEPT_MAX: usize = 3_000;

/// A flash is read on the redirect that follows at once.
#[cfg(feature = "ssr")]
const FLASH_SECS: i64 = 120;

/// What the form's page, and only it, may read.
#[cfg(feature = "ssr")]
#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed<T> {
    path: String,
    expires_at: i64,
    flash: T,
}

/// Fields never sent back to the page, not even sealed: a password is
/// typed again, and a token is in the page's address already.
#[cfg(feature = "ssr")]
fn echoed(name: &str) -> bool {
    if name == crate::ui::FORM_FIELD {
        return true;
    }
    let name = name.to_ascii_lowercase();
    !name.starts_with('_')
        && !["password", "token", "secret"]
            .iter()
            .any(|s| name.contains(s))
}

/// The urlencoded fields as the JSON object a server function takes: one
/// string per field, a list for a name given more than once, and a dotted
/// name (`data.requireTwoFactor`) a field of a nested object. A name that
/// ends in `[]` is always a list, of its values that are not empty: a
/// hidden empty one makes the list even when no box of it is ticked. A
/// field named in `_split` is a list of the words typed into it (split at
/// commas, semicolons and spaces: addresses, domains). Control fields
/// (`_back`, `_next`) are the adapter's, not the endpoint's.
#[cfg(feature = "ssr")]
fn to_json(fields: &[(String, String)]) -> serde_json::Value {
    use serde_json::{Map, Value};
    let split: Vec<&str> = field(fields, "_split")
        .map(|names| names.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut root = Map::new();
    for (name, value) in fields.iter().filter(|(n, _)| !n.starts_with('_')) {
        let value = if split.contains(&name.as_str()) {
            Value::Array(
                crate::ui::split_addresses(value)
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            )
        } else {
            Value::String(value.clone())
        };
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
            if let Some(key) = key.strip_suffix("[]") {
                let list = object
                    .entry(key)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(vec![list.take()]);
                }
                if let (Value::Array(list), false) = (list, value.as_str() == Some("")) {
                    list.push(value);
                }
                break;
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

/// `next` with each `{name}` in it replaced by what was typed into the
/// field `name`, trimmed as the endpoints trim it and encoded for a path
/// or a query; a field never echoed (a password, a token) is left out, so
/// it never lands in an address.
#[cfg(feature = "ssr")]
fn fill(next: &str, fields: &[(String, String)]) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    // Safe in a path segment and a query value alike.
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut filled = String::with_capacity(next.len());
    let mut rest = next;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        filled.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        if echoed(name) {
            let value = field(fields, name).unwrap_or_default().trim();
            filled.extend(utf8_percent_encode(value, VALUE));
        }
        rest = &rest[close + 1..];
    }
    filled.push_str(rest);
    filled
}

/// The parts of `answer` that `paths` name, in its shape: each path is
/// dotted (`link.name`), and `*` stands for every item of a list
/// (`invitations.*.email`). What no path names is left out.
#[cfg(feature = "ssr")]
fn project(answer: &serde_json::Value, paths: &[Vec<&str>]) -> Option<serde_json::Value> {
    use serde_json::{Map, Value};
    if paths.iter().any(Vec::is_empty) {
        return Some(answer.clone());
    }
    match answer {
        Value::Array(items) if paths.iter().all(|p| p[0] == "*") => {
            let rest: Vec<Vec<&str>> = paths.iter().map(|p| p[1..].to_vec()).collect();
            Some(Value::Array(
                items.iter().filter_map(|i| project(i, &rest)).collect(),
            ))
        }
        Value::Object(object) => {
            let mut kept = Map::new();
            for (key, value) in object {
                let rest: Vec<Vec<&str>> = paths
                    .iter()
                    .filter(|p| p[0] == key)
                    .map(|p| p[1..].to_vec())
                    .collect();
                if let Some(value) = (!rest.is_empty()).then(|| project(value, &rest)).flatten() {
                    kept.insert(key.clone(), value);
                }
            }
            Some(Value::Object(kept))
        }
        Value::Null => Some(Value::Null),
        _ => None,
    }
}

/// What a form's `_keep` names of the endpoint's answer, sealed for the
/// page at `to`; nothing when it would not fit in a cookie.
#[cfg(feature = "ssr")]
fn kept_cookie(
    state: &crate::context::AppState,
    keep: &str,
    answer: &serde_json::Value,
    to: &str,
) -> Option<String> {
    let paths: Vec<Vec<&str>> = keep
        .split(',')
        .map(|p| p.trim().split('.').collect())
        .collect();
    sealed_cookie(state, KEPT_COOKIE, to, project(answer, &paths)?).filter(|c| c.len() <= KEPT_MAX)
}

/// The cookie `name` holding `value` sealed for the page at `to` only, for
/// `FLASH_SECS`.
#[cfg(feature = "ssr")]
fn sealed_cookie<T: serde::Serialize>(
    state: &crate::context::AppState,
    name: &str,
    to: &str,
    value: T,
) -> Option<String> {
    let sealed = Sealed {
        path: path_of(to).to_owned(),
        expires_at: crate::server::clock::now_ms() + FLASH_SECS * 1000,
        flash: value,
    };
    let config = &state.config;
    let sealed = config.secret_key.seal(&serde_json::to_vec(&sealed).ok()?);
    Some(cookie(name, config.secure_cookies(), &sealed, FLASH_SECS))
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
fn cookie(name: &str, secure: bool, value: &str, max_age: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
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

    use crate::{error::ApiError, ui::is_local_path};

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
            return back_with(&state, &back, enhanced::passwords_differ(), fields);
        }
    }
    let onward = field(&fields, "_next")
        .map(|next| fill(next, &fields))
        .filter(|p| is_local_path(p))
        .unwrap_or_else(|| back.clone());

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
        let (follow, keep) = (field(&fields, "_follow"), field(&fields, "_keep"));
        let json = match follow.or(keep) {
            Some(_) => to_bytes(answer.into_body(), MAX_BODY)
                .await
                .ok()
                .and_then(|body| serde_json::from_slice::<serde_json::Value>(&body).ok()),
            None => None,
        };
        // `_follow`: where the answer itself says to go, when that is here.
        let followed = follow.zip(json.as_ref()).and_then(|(key, answer)| {
            // The answer's address may be absolute; this site's own is
            // followed, by its path.
            let to = answer.get(key)?.as_str()?;
            let path = to.strip_prefix(&state.config.origin()).unwrap_or(to);
            is_local_path(path).then(|| path.to_owned())
        });
        let to = followed.unwrap_or(onward);
        let mut response = Redirect::to(&to).into_response();
        // `_keep`: what of the answer the next page shows, once.
        if let Some(kept) = keep
            .zip(json.as_ref())
            .and_then(|(keep, answer)| kept_cookie(&state, keep, answer, &to))
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            response.headers_mut().append(header::SET_COOKIE, kept);
        }
        response
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

    let flash = FormFlash {
        error,
        values: fields
            .into_iter()
            .filter(|(name, _)| echoed(name))
            .collect(),
    };
    let mut response = Redirect::to(back).into_response();
    if let Some(value) =
        sealed_cookie(state, COOKIE, back, flash).and_then(|c| HeaderValue::from_str(&c).ok())
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
    take(COOKIE)
}

/// What the form that led here kept of its endpoint's answer (`_keep`), in
/// the shape `T` reads: a secret shown once, what happened to each
/// address. Reading it removes it; like `take_flash`, only on the server.
pub fn take_kept<T: serde::de::DeserializeOwned>() -> Option<T> {
    take(KEPT_COOKIE)
}

/// Opens a sealed cookie bound to this page, and removes it.
fn take<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    #[cfg(feature = "ssr")]
    {
        let cx = crate::context::RequestContext::current().ok()?;
        let sealed = crate::context::cookie(&cx.parts, name)?;
        let config = cx.config();
        cx.set_cookie(&cookie(name, config.secure_cookies(), "", 0));
        let sealed: Sealed<T> = serde_json::from_slice(&config.secret_key.open(&sealed)?).ok()?;
        (sealed.path == cx.parts.uri.path() && sealed.expires_at > crate::server::clock::now_ms())
            .then_some(sealed.flash)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
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
    fn a_name_ending_in_brackets_is_always_a_list() {
        let fields = pairs(&[
            ("permission.member[]", ""),
            ("permission.member[]", "create"),
            ("permission.team[]", ""),
            ("permission.invitation[]", "create"),
            ("permission.invitation[]", "cancel"),
        ]);
        assert_eq!(
            to_json(&fields),
            serde_json::json!({ "permission": {
                "member": ["create"],
                "team": [],
                "invitation": ["create", "cancel"],
            } })
        );
    }

    #[test]
    fn a_field_named_in_split_is_a_list_of_its_words() {
        let fields = pairs(&[
            ("_split", "email, allowedDomains"),
            (
                "email",
                " ada@example.com,grace@example.com;\n  kim@example.com ",
            ),
            ("allowedDomains", ""),
            ("name", "a, b"),
        ]);
        assert_eq!(
            to_json(&fields),
            serde_json::json!({
                "email": ["ada@example.com", "grace@example.com", "kim@example.com"],
                "allowedDomains": [],
                "name": "a, b",
            })
        );
    }

    #[test]
    fn keep_projects_the_answer_onto_the_named_paths() {
        let answer = serde_json::json!({
            "url": "https://g.example/invite/t",
            "code": null,
            "message": "Sent",
            "invitations": [
                { "id": "1", "email": "a@example.com", "role": "user" },
                { "id": "2", "email": "b@example.com", "role": "user" },
            ],
            "link": { "name": "Launch", "token": "secret" },
        });
        fn paths(keep: &str) -> Vec<Vec<&str>> {
            keep.split(',').map(|p| p.split('.').collect()).collect()
        }
        assert_eq!(
            project(&answer, &paths("url,code,invitations.*.email,link.name")),
            Some(serde_json::json!({
                "url": "https://g.example/invite/t",
                "code": null,
                "invitations": [{ "email": "a@example.com" }, { "email": "b@example.com" }],
                "link": { "name": "Launch" },
            }))
        );
        let list = serde_json::json!([
            { "email": "a@example.com", "invitation": { "id": "1" }, "error": null },
            { "email": "b@example.com", "invitation": null, "error": { "code": "X", "message": "No." } },
        ]);
        assert_eq!(
            project(&list, &paths("*.email,*.error.message")),
            Some(serde_json::json!([
                { "email": "a@example.com", "error": null },
                { "email": "b@example.com", "error": { "message": "No." } },
            ]))
        );
        assert_eq!(
            project(&answer, &paths("missing")),
            Some(serde_json::json!({}))
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
    fn where_to_go_next_carries_what_was_typed_but_never_a_secret() {
        let fields = pairs(&[
            ("email", "ada+1@example.com"),
            ("name", "Ada & Co"),
            ("slug", " acme-labs "),
            ("evil", "//evil.example"),
            ("password", "hunter22"),
        ]);
        for (next, filled) in [
            (
                "/admin/users?created={email}",
                "/admin/users?created=ada%2B1%40example.com",
            ),
            (
                "/a?n={name}&e={email}",
                "/a?n=Ada%20%26%20Co&e=ada%2B1%40example.com",
            ),
            ("/orgs/{slug}/settings", "/orgs/acme-labs/settings"),
            ("/orgs/{evil}/x", "/orgs/%2F%2Fevil.example/x"),
            ("/a?p={password}", "/a?p="),
            ("/a?x={missing}", "/a?x="),
            ("/plain", "/plain"),
            ("/open{brace", "/open{brace"),
        ] {
            assert_eq!(fill(next, &fields), filled, "{next}");
        }
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
    fn the_browser_checks_a_field_by_the_servers_rule() {
        use crate::{accounts::domain, ui::Check};
        let said = |r: Result<(), crate::error::ApiError>| r.err().map(|e| e.message);
        for (check, good, bad, server) in [
            (
                Check::Name,
                "Ada Lovelace",
                "  ",
                said(domain::PersonName::parse("  ").map(drop)),
            ),
            (
                Check::Email,
                "ada@example.com",
                "ada@",
                said(domain::Email::parse("ada@").map(drop)),
            ),
            (
                Check::Password,
                "correct horse",
                "short",
                said(domain::Password::parse("short").map(drop)),
            ),
            (
                Check::InvitationCode,
                "7k3m-q9xd",
                "7K3M",
                said(crate::invitations::secret::parse_code("7K3M").map(drop)),
            ),
        ] {
            assert_eq!(problem(check, good, ""), None, "{check:?} {good}");
            let wrong = problem(check, bad, "");
            assert!(wrong.is_some(), "{check:?} {bad}");
            assert_eq!(wrong, server, "{check:?}: the server's own words");
        }
        assert_eq!(problem(Check::Repeat, "same words", "same words"), None);
        assert_eq!(
            problem(Check::Repeat, "same words", "other words").as_deref(),
            Some("The two passwords are not the same.")
        );
    }

    #[test]
    fn a_check_is_read_back_from_its_attribute() {
        use crate::ui::Check;
        for check in [
            Check::Name,
            Check::Email,
            Check::Password,
            Check::Repeat,
            Check::InvitationCode,
        ] {
            assert_eq!(Check::from_attr(check.as_str()), Some(check));
        }
        assert_eq!(Check::from_attr("phone"), None);
    }

    #[test]
    fn a_flash_belongs_to_a_path_not_its_query() {
        assert_eq!(path_of("/sign-in?redirectTo=/invite/x"), "/sign-in");
        assert_eq!(path_of("/invite/abc/sign-up"), "/invite/abc/sign-up");
        assert_eq!(path_of("/a#b"), "/a");
    }
}
