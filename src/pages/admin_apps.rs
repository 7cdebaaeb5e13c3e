//! `/admin/apps` (issue 25), for roles with `app:manage`: the apps people
//! sign in to with their Gatehouse account, registering one, and each
//! one's settings, secret, switch and removal.
//!
//! Entirely server-rendered: every control is a plain HTML form that posts
//! to `/admin/apps` (`apps::form`) and comes back here, so the page adds
//! nothing to the WebAssembly. A new secret comes back in a sealed cookie
//! that is read once, never in the address.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    apps::{apps_page, domain::SCOPES, form::PATH, AppFlash, AppsPage, ClientView},
    error::{ApiError, Code},
    ui::{Alert, PageHeader, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

const PRIMARY: &str = "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500";

#[component]
pub fn AdminAppsPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| apps_page());
    view! {
        <Title text="Apps" />
        <div class="mx-auto max-w-5xl">
            <PageHeader
                title="Apps"
                subtitle="People sign in to these apps with their Gatehouse account (OpenID Connect). Their tokens carry the person's role, organizations and teams, so an invitation decides what they may do in each app."
            />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => denied_or_error(e).into_any(),
                        Ok(page) => view! { <Apps page /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn denied_or_error(e: ApiError) -> impl IntoView {
    let message = match e.code {
        Code::Unauthorized => "Sign in as an admin to manage apps.".to_owned(),
        Code::Forbidden => format!("{} Apps are managed by admins (app:manage).", e.message),
        _ => e.message,
    };
    view! { <Alert tone=Tone::Error>{message}</Alert> }
}

#[component]
fn Apps(page: AppsPage) -> impl IntoView {
    let AppsPage {
        apps,
        roles,
        names,
        issuer,
        flash,
    } = page;
    let typed = flash.as_ref().map(|f| f.typed.clone()).unwrap_or_default();
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    view! {
        <FlashAlert flash />
        <section class="mb-6 rounded-xl border border-slate-200 bg-slate-50 p-4 text-sm text-slate-700" aria-label="Connection settings">
            <p>"Apps find everything from the issuer: "<code class="break-all font-mono text-slate-900">{issuer}</code></p>
            <p class="mt-1">"Discovery document: "<a class="break-all font-mono text-indigo-700 underline" href=discovery.clone()>{discovery.clone()}</a></p>
        </section>
        {if apps.is_empty() {
            view! {
                <div class="mb-8 rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">
                    "No apps yet. Register one below, or with gatehouse app add on the server."
                </div>
            }.into_any()
        } else {
            view! {
                <ul class="mb-8 space-y-4" data-testid="apps">
                    {apps.into_iter().map(|app| view! {
                        <AppCard app roles=roles.clone() names=names.clone() />
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <section class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" aria-labelledby="add-app">
            <h2 id="add-app" class="text-lg font-semibold text-slate-900">"Register an app"</h2>
            <p class="mt-1 text-sm text-slate-600">"A confidential app (a server) gets a secret, shown once. A public app (in a browser or on a phone) has none and must use PKCE."</p>
            <AppForm action="create" app=None roles typed />
        </section>
    }
}

/// What the last form did; a new secret is shown here, this once.
#[component]
fn FlashAlert(flash: Option<AppFlash>) -> impl IntoView {
    flash.map(|f| {
        let tone = if f.ok { Tone::Success } else { Tone::Error };
        let id = f.client_id.clone().unwrap_or_default();
        view! {
            <Alert tone>{f.message}</Alert>
            {f.secret.map(|secret| view! {
                <section class="mb-6 rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" aria-label="Client secret">
                    <p class="font-semibold">"Client secret — shown this once"</p>
                    <p class="mt-1">"Copy it into the app's settings now. Gatehouse keeps only a hash of it; if it is lost, make a new one."</p>
                    <dl class="mt-2 grid gap-2 sm:grid-cols-[8rem_1fr]">
                        <dt class="font-medium">"Client ID"</dt>
                        <dd><code class="block select-all break-all rounded-md bg-white px-3 py-2 font-mono text-slate-900">{id}</code></dd>
                        <dt class="font-medium">"Client secret"</dt>
                        <dd><code data-testid="client-secret" class="block select-all break-all rounded-md bg-white px-3 py-2 font-mono text-slate-900">{secret}</code></dd>
                    </dl>
                </section>
            })}
        }
    })
}

#[component]
fn AppCard(app: ClientView, roles: Vec<String>, names: Vec<(String, String)>) -> impl IntoView {
    // An organization's slug, a team's `slug/team`.
    let slug = |id: &String| {
        names
            .iter()
            .find(|(known, _)| known == id)
            .map_or_else(|| id.clone(), |(_, s)| s.clone())
    };
    let who = {
        let mut parts = Vec::new();
        if !app.allowed_roles.is_empty() {
            parts.push(format!("the roles {}", app.allowed_roles.join(", ")));
        }
        if !app.allowed_organizations.is_empty() {
            let slugs: Vec<String> = app.allowed_organizations.iter().map(slug).collect();
            parts.push(format!("members of {}", slugs.join(", ")));
        }
        if !app.allowed_teams.is_empty() {
            let teams: Vec<String> = app.allowed_teams.iter().map(slug).collect();
            parts.push(format!("the teams {}", teams.join(", ")));
        }
        if parts.is_empty() {
            "Every account".to_owned()
        } else {
            parts.join(", or ")
        }
    };
    let kind = match (app.token_endpoint_auth_method.as_str(), app.skip_consent) {
        ("none", false) => "Public (PKCE)",
        ("none", true) => "Public (PKCE) · first-party",
        (_, false) => "Confidential",
        (_, true) => "Confidential · first-party",
    };
    let (state, state_class) = if app.disabled {
        ("off", "bg-slate-200 text-slate-700")
    } else {
        ("on", "bg-emerald-100 text-emerald-800")
    };
    let id = app.client_id.clone();
    let confidential = app.token_endpoint_auth_method != "none";
    let users = match app.users {
        1 => "1 person uses it".to_owned(),
        n => format!("{n} people use it"),
    };
    let organizations_text: Vec<String> = app.allowed_organizations.iter().map(slug).collect();
    let teams_text: Vec<String> = app.allowed_teams.iter().map(slug).collect();
    let typed = vec![
        ("organizations".to_owned(), organizations_text.join(", ")),
        ("teams".to_owned(), teams_text.join(", ")),
    ];
    view! {
        <li id=format!("app-{id}") class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" data-testid="app">
            <div class="flex flex-wrap items-center gap-2">
                <h2 class="text-lg font-semibold text-slate-900">{app.client_name.clone()}</h2>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {state_class}")>{state}</span>
                <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{kind}</span>
            </div>
            <dl class="mt-3 grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[10rem_1fr]">
                <dt class="text-slate-500">"Client ID"</dt>
                <dd><code class="select-all break-all font-mono text-slate-900">{id.clone()}</code></dd>
                <dt class="text-slate-500">"Redirect URIs"</dt>
                <dd class="break-all font-mono text-xs text-slate-800">{app.redirect_uris.join(" ")}</dd>
                <dt class="text-slate-500">"Scopes"</dt>
                <dd class="text-slate-800">{app.scope.clone()}</dd>
                <dt class="text-slate-500">"Who may use it"</dt>
                <dd class="text-slate-800">{who}</dd>
                <dt class="text-slate-500">"In use"</dt>
                <dd class="text-slate-800">{users}</dd>
            </dl>
            <div class="mt-4 flex flex-wrap items-start gap-2">
                <form method="post" action=PATH>
                    <input type="hidden" name="clientId" value=id.clone() />
                    <input type="hidden" name="action" value=if app.disabled { "enable" } else { "disable" } />
                    <button type="submit" class=SMALL_BUTTON>{if app.disabled { "Turn on" } else { "Turn off" }}</button>
                </form>
                {confidential.then(|| view! {
                    <form method="post" action=PATH>
                        <input type="hidden" name="clientId" value=id.clone() />
                        <input type="hidden" name="action" value="rotate" />
                        <button type="submit" class=SMALL_BUTTON>"New secret"</button>
                    </form>
                })}
                <details class="w-full rounded-md border border-slate-200 px-3 py-2 sm:w-auto">
                    <summary class="cursor-pointer text-sm font-medium text-slate-700">"Change settings"</summary>
                    <AppForm action="update" app=Some(app.clone()) roles typed />
                </details>
                <details class="rounded-md border border-red-200 px-3 py-2">
                    <summary class="cursor-pointer text-sm font-medium text-red-700">"Remove"</summary>
                    <p class="mt-2 max-w-sm text-sm text-slate-700">"Its tokens stop working and people who use it are signed out of it. This cannot be undone."</p>
                    <form method="post" action=PATH class="mt-2">
                        <input type="hidden" name="clientId" value=id.clone() />
                        <input type="hidden" name="action" value="delete" />
                        <button type="submit" class=DANGER_BUTTON>{format!("Remove {}", app.client_name)}</button>
                    </form>
                </details>
            </div>
        </li>
    }
}

/// The register and change forms: the same fields, filled in from the app
/// (changing) or from what was typed (a refused registration).
#[component]
fn AppForm(
    action: &'static str,
    app: Option<ClientView>,
    roles: Vec<String>,
    typed: Vec<(String, String)>,
) -> impl IntoView {
    let typed_value = |name: &str| -> Vec<String> {
        typed
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let prefix = app
        .as_ref()
        .map_or_else(|| "new".to_owned(), |a| a.client_id.clone());
    let field_id = |name: &str| format!("{prefix}-{name}");
    let name = app
        .as_ref()
        .map(|a| a.client_name.clone())
        .or_else(|| typed_value("name").pop())
        .unwrap_or_default();
    let redirects = app
        .as_ref()
        .map(|a| a.redirect_uris.join("\n"))
        .or_else(|| typed_value("redirectUris").pop())
        .unwrap_or_default();
    let logouts = app
        .as_ref()
        .map(|a| a.post_logout_redirect_uris.join("\n"))
        .or_else(|| typed_value("postLogoutRedirectUris").pop())
        .unwrap_or_default();
    let organizations = typed_value("organizations").pop().unwrap_or_default();
    let teams = typed_value("teams").pop().unwrap_or_default();
    let auth = app
        .as_ref()
        .map(|a| a.token_endpoint_auth_method.clone())
        .or_else(|| typed_value("auth").pop())
        .unwrap_or_else(|| "client_secret_basic".into());
    let scopes: Vec<String> = match &app {
        Some(a) => a.scope.split(' ').map(str::to_owned).collect(),
        None if !typed.is_empty() => typed_value("scope"),
        None => vec!["email".into(), "profile".into()],
    };
    let chosen_roles: Vec<String> = app
        .as_ref()
        .map(|a| a.allowed_roles.clone())
        .unwrap_or_else(|| typed_value("roles"));
    let first_party =
        app.as_ref().is_some_and(|a| a.skip_consent) || !typed_value("firstParty").is_empty();
    let client_id = app.as_ref().map(|a| a.client_id.clone());
    let public = auth == "none";
    let methods: Vec<(&str, &str)> = match (&app, public) {
        // Public and confidential do not swap: that is a new app.
        (Some(_), true) => vec![("none", "Public: PKCE, no secret")],
        (Some(_), false) => vec![
            (
                "client_secret_basic",
                "Confidential: secret in the Authorization header (client_secret_basic)",
            ),
            (
                "client_secret_post",
                "Confidential: secret in the form (client_secret_post)",
            ),
        ],
        (None, _) => vec![
            (
                "client_secret_basic",
                "Confidential: secret in the Authorization header (client_secret_basic)",
            ),
            (
                "client_secret_post",
                "Confidential: secret in the form (client_secret_post)",
            ),
            (
                "none",
                "Public: PKCE, no secret (single-page and mobile apps)",
            ),
        ],
    };
    view! {
        <form method="post" action=PATH class="mt-4 space-y-4">
            <input type="hidden" name="action" value=action />
            {client_id.map(|id| view! { <input type="hidden" name="clientId" value=id /> })}
            <div>
                <label class=LABEL for=field_id("name")>"Name"</label>
                <input id=field_id("name") name="name" required maxlength="100" placeholder="Grafana" value=name class=INPUT />
                <p class="mt-1 text-xs text-slate-500">"People see it when they sign in."</p>
            </div>
            <div>
                <label class=LABEL for=field_id("redirects")>"Redirect URIs"</label>
                <textarea id=field_id("redirects") name="redirectUris" required rows="2" placeholder="https://grafana.example.com/login/generic_oauth" class=format!("{INPUT} font-mono text-sm")>{redirects}</textarea>
                <p class="mt-1 text-xs text-slate-500">"One per line, exactly as the app sends them: https, or http on this machine (localhost)."</p>
            </div>
            <div>
                <label class=LABEL for=field_id("logouts")>"After sign-out, back to "<span class="font-normal text-slate-500">"(optional)"</span></label>
                <textarea id=field_id("logouts") name="postLogoutRedirectUris" rows="1" placeholder="https://grafana.example.com/login" class=format!("{INPUT} font-mono text-sm")>{logouts}</textarea>
            </div>
            <fieldset>
                <legend class=LABEL>"Kind"</legend>
                {methods.into_iter().map(|(value, label)| {
                    let checked = value == auth;
                    view! {
                        <label class="mt-2 flex items-start gap-2 text-sm">
                            <input type="radio" name="auth" value=value checked=checked class="mt-0.5 h-4 w-4 border-slate-300" />
                            <span>{label}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend class=LABEL>"What it may ask for"</legend>
                <p class="mt-1 text-xs text-slate-500">"openid (who the person is) is always included."</p>
                <div class="mt-2 grid gap-1 sm:grid-cols-2">
                    {SCOPES.into_iter().filter(|s| *s != "openid").map(|s| {
                        let checked = scopes.iter().any(|c| c == s);
                        view! {
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" name="scope" value=s checked=checked class="h-4 w-4 rounded border-slate-300" />
                                <code class="font-mono text-xs">{s}</code>
                                <span class="text-slate-500">{crate::apps::domain::scope_description(s)}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend class=LABEL>"Who may use it"</legend>
                <p class="mt-1 text-xs text-slate-500">"Nothing chosen: every account. Otherwise, accounts with one of these roles, or members of one of these organizations or teams."</p>
                <div class="mt-2 flex flex-wrap gap-4">
                    {roles.into_iter().map(|r| {
                        let checked = chosen_roles.contains(&r);
                        view! {
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" name="roles" value=r.clone() checked=checked class="h-4 w-4 rounded border-slate-300" />
                                {r.clone()}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <label class=format!("{LABEL} mt-3") for=field_id("organizations")>"Organizations "<span class="font-normal text-slate-500">"(slugs, separated by commas)"</span></label>
                <input id=field_id("organizations") name="organizations" placeholder="acme, globex" value=organizations class=INPUT />
                <label class=format!("{LABEL} mt-3") for=field_id("teams")>"Teams "<span class="font-normal text-slate-500">"(organization/team, separated by commas)"</span></label>
                <input id=field_id("teams") name="teams" placeholder="acme/platform" value=teams class=INPUT />
            </fieldset>
            <label class="flex items-start gap-2 text-sm">
                <input type="checkbox" name="firstParty" value="true" checked=first_party class="mt-0.5 h-4 w-4 rounded border-slate-300" />
                <span><span class="font-medium">"First-party"</span>" — run by you: people are not asked to allow it."</span>
            </label>
            <button type="submit" class=PRIMARY>{if action == "create" { "Register app" } else { "Save" }}</button>
        </form>
    }
}
