//! `/authorize` (issue 25): where signing in to an app stops to ask the
//! person (the consent page), to tell them the app is not open to them,
//! or to say that the app's request cannot be answered. The request comes
//! along in the address and is decided again here (`apps::authorize`),
//! so nothing on this page is trusted for itself.
//!
//! Server-rendered with plain forms: no WebAssembly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    apps::{
        authorization_for_page,
        authorize::{AuthorizeQuery, Consent, Outcome},
        logout_for_page,
        tokens::EndSession,
    },
    ui::{Card, BUTTON, LINK, SMALL_BUTTON},
};

#[component]
pub fn AuthorizePage() -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let get = |k: &str| query.get(k);
    let q = AuthorizeQuery::from_lookup(get);
    // A sign-out request from an app that did not prove itself.
    if let Some(reason) = get("gh_error") {
        return logout_refused(&reason).into_any();
    }
    if get("gh_logout").is_some() {
        let request = EndSession {
            id_token_hint: get("id_token_hint"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
            client_id: get("client_id"),
        };
        return view! { <LogoutCard request /> }.into_any();
    }
    let fields = q.pairs();
    let outcome = Resource::new(move || q.clone(), authorization_for_page);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let fields = fields.clone();
                Suspend::new(async move {
                    match outcome.await {
                        Ok(Outcome::ToApp(to) | Outcome::SignIn(to)) => {
                            leptos_axum::redirect(&to);
                            ().into_any()
                        }
                        Ok(Outcome::Ask(consent)) => view! { <ConsentCard consent fields /> }.into_any(),
                        Ok(Outcome::Denied { app, back }) => {
                            status(http::StatusCode::FORBIDDEN);
                            view! {
                                <Title text=format!("{app} is not open to you") />
                                <Card title=format!("{app} is not open to your account") subtitle="The app is open only to some roles or organizations on this Gatehouse, and your account is not among them.">
                                    <p class="text-sm text-slate-700">"If you need it, ask an admin of your organization to add you, then try again."</p>
                                    <div class="mt-6 flex flex-wrap gap-3">
                                        <a href=back rel="noreferrer" class=SMALL_BUTTON>{format!("Back to {app}")}</a>
                                        <a href="/dashboard" class=SMALL_BUTTON>"Go to your dashboard"</a>
                                    </div>
                                </Card>
                            }
                            .into_any()
                        }
                        Ok(Outcome::Invalid(message)) => {
                            status(http::StatusCode::BAD_REQUEST);
                            view! {
                                <Title text="This sign-in link does not work" />
                                <Card title="This sign-in link does not work" subtitle=message>
                                    <p class="text-sm text-slate-700">"Nothing was sent to the app. Go back to it and try again, or tell whoever runs it."</p>
                                    <a href="/dashboard" class=format!("mt-6 inline-block {LINK}")>"Go to your dashboard"</a>
                                </Card>
                            }
                            .into_any()
                        }
                        Err(e) => view! {
                            <Card title="Something went wrong" subtitle=e.message>
                                <a href="/dashboard" class=LINK>"Go to your dashboard"</a>
                            </Card>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// Lets this page's form lead to `origin`: browsers hold a form's
/// redirects to the page's `form-action` too, and the answer goes on to
/// the app.
fn allow_form_to(origin: &str) {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let csp = crate::server::security::page_csp(&nonce.to_string()).replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        );
        if let Ok(value) = http::HeaderValue::from_str(&csp) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// An app asks to sign the person out: they confirm, with a form (a link
/// alone must not sign anyone out).
#[component]
fn LogoutCard(request: EndSession) -> impl IntoView {
    let prompt = Resource::new(move || request.clone(), logout_for_page);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let request = prompt.await;
                match request {
                    Ok(Some((app, origin))) => {
                        if let Some(origin) = origin.as_deref() {
                            allow_form_to(origin);
                        }
                        view! { <LogoutForm app /> }.into_any()
                    }
                    Ok(None) => logout_refused("logout").into_any(),
                    Err(e) => view! { <Card title="Something went wrong" subtitle=e.message><a href="/dashboard" class=LINK>"Go to your dashboard"</a></Card> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LogoutForm(app: String) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let fields: Vec<(&'static str, String)> = [
        "id_token_hint",
        "post_logout_redirect_uri",
        "state",
        "client_id",
    ]
    .into_iter()
    .filter_map(|k| query.get(k).map(|v| (k, v)))
    .collect();
    view! {
        <Title text=format!("Sign out of {app}") />
        <Card title=format!("Sign out of {app}?") subtitle=format!("{app} asks to sign you out. This signs you out of Gatehouse on this device too.")>
            <form method="post" action="/api/auth/oauth2/end-session" class="space-y-3">
                {fields.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                <button type="submit" class=BUTTON>"Sign out"</button>
            </form>
            <a href="/dashboard" class=format!("mt-3 block w-full text-center {SMALL_BUTTON}")>"Stay signed in"</a>
        </Card>
    }
}

/// A sign-out request that did not hold up: nothing was done.
fn logout_refused(reason: &str) -> impl IntoView {
    status(http::StatusCode::BAD_REQUEST);
    let message = if reason == "logout-address" {
        "The app asked to send you to an address after signing out that is not registered for it. You are still signed in."
    } else {
        "This sign-out link did not come with proof of which app sent it, so nothing was done. You are still signed in."
    };
    view! {
        <Title text="Sign-out not done" />
        <Card title="Sign-out not done" subtitle=message>
            <a href="/dashboard" class=LINK>"Go to your dashboard"</a>
        </Card>
    }
}

fn status(code: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(code);
    }
}

/// Asks the person. The form sends the request back with the answer; the
/// answer sends the browser on to the app, so this page's `form-action`
/// names the app's origin (browsers apply it to a form's redirects).
#[component]
fn ConsentCard(consent: Consent, fields: Vec<(&'static str, String)>) -> impl IntoView {
    allow_form_to(&consent.redirect_origin);
    let Consent {
        app,
        name,
        email,
        sees,
        ..
    } = consent;
    // Signing in as someone else: the request again, asking for a sign-in.
    let switch = AuthorizeQuery {
        prompt: Some("login".into()),
        gh_fresh: None,
        ..AuthorizeQuery::from_lookup(|k| {
            fields.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
    }
    .at(crate::apps::authorize::PATH);
    view! {
        <Title text=format!("Sign in to {app}") />
        <Card title=format!("Sign in to {app} with Gatehouse") subtitle=format!("{app} wants to use your Gatehouse account.")>
            <p class="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
                "Signed in as "<strong class="font-semibold text-slate-900">{name}</strong>" ("{email}"). "
                <a href=switch class=LINK>"Not you?"</a>
            </p>
            <h2 class="mt-6 text-sm font-semibold text-slate-900">{format!("{app} will see:")}</h2>
            <ul class="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-700">
                {sees.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
            </ul>
            <form method="post" action="/api/auth/oauth2/consent" class="mt-6 space-y-3">
                {fields.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                <button type="submit" name="decision" value="allow" class=BUTTON>"Allow"</button>
                <button type="submit" name="decision" value="deny" class=format!("w-full {SMALL_BUTTON}")>"Cancel"</button>
            </form>
            <p class="mt-4 text-xs text-slate-500">"You can disconnect it at any time from your dashboard."</p>
        </Card>
    }
}
