//! The HTML shell, the router and the header shared by every page. The
//! server's alone: the browser runs only the pages' islands.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes, A},
    hooks::use_location,
    path, SsrMode,
};

use crate::{
    accounts::SignOut,
    organizations::MyOrganizations,
    pages::{
        account::AccountPage,
        account_delete::AccountDeletePage,
        admin_audit::AdminAuditPage,
        admin_emails::AdminEmailsPage,
        admin_invites::AdminInvitesPage,
        admin_user_sessions::AdminUserSessionsPage,
        admin_users::AdminUsersPage,
        admin_webhooks::{AdminWebhookPage, AdminWebhooksPage},
        dashboard::DashboardPage,
        enroll::EnrollPage,
        forgot_password::ForgotPasswordPage,
        forms::here,
        invite::{InviteCodePage, InvitePage, InviteSignUpPage},
        not_found::NotFoundPage,
        orgs::{
            OrganizationInvitationsPage, OrganizationMembersPage, OrganizationRolesPage,
            OrganizationSettingsPage, OrganizationTeamsPage,
        },
        orgs_new::NewOrganizationPage,
        qr_card::QrCardPage,
        reset_password::ResetPasswordPage,
        sign_in::SignInPage,
        sign_up::SignUpPage,
        two_factor::TwoFactorPage,
        use_frame,
        verify_email::VerifyEmailPage,
        welcome::WelcomePage,
    },
    ui::FormReturn,
    users::access::Access,
};

/// The WebAssembly bundles, one per page group (see `pages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    Public,
    Org,
    Admin,
}

impl Bundle {
    /// The file beside the binary that names the bundle's hashed files.
    /// `scripts/build.sh` writes one per bundle; a build of every island in
    /// one bundle (development, `cargo leptos watch`) writes `hash.txt`
    /// alone, and every page then loads that one, as it does when a
    /// group's build is missing.
    fn hash_file(self) -> &'static str {
        match self {
            Bundle::Public => "hash.txt",
            Bundle::Org => "hash-org.txt",
            Bundle::Admin => "hash-admin.txt",
        }
    }

    /// Whether this bundle's own build is there: its hash file, and the
    /// WebAssembly that file names in the site (a later `cargo leptos
    /// build` empties the site, and leaves an old hash file behind).
    fn built(self, options: &LeptosOptions) -> bool {
        let Some(hashes) =
            beside_binary(self.hash_file()).and_then(|path| std::fs::read_to_string(path).ok())
        else {
            return false;
        };
        hashes
            .lines()
            .find_map(|line| Some(line.strip_prefix("wasm:")?.trim().to_owned()))
            .is_some_and(|hash| {
                std::path::Path::new(&*options.site_root)
                    .join(&*options.site_pkg_dir)
                    .join(format!("{}.{hash}.wasm", options.output_name))
                    .exists()
            })
    }

    /// The options `HydrationScripts` reads this bundle's file names from.
    fn options(self, options: &LeptosOptions) -> LeptosOptions {
        static BUILT: std::sync::OnceLock<[bool; 3]> = std::sync::OnceLock::new();
        let built = BUILT
            .get_or_init(|| [Bundle::Public, Bundle::Org, Bundle::Admin].map(|b| b.built(options)));
        let mut options = options.clone();
        if built[self as usize] {
            options.hash_file = self.hash_file().into();
        }
        options
    }
}

/// A file the build writes beside the binary (the hashed names of the
/// browser's files), where Leptos looks for it.
fn beside_binary(name: &str) -> Option<std::path::PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.join(name))
}

/// The stylesheet's address, with the hash of its content in its name when
/// the build hashes names. Read once: Leptos's `HashedStylesheet` reads
/// `hash.txt` on every page.
fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| beside_binary(&options.hash_file))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|hashes| {
                hashes
                    .lines()
                    .find_map(|line| Some(line.strip_prefix("css:")?.trim().to_owned()))
            });
        let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
        match hash {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        }
    })
}

/// The bundle holding a page's islands, by the page's path. A page that
/// shows no island (a preview to someone signed out, the welcome page)
/// loads none: `without_unused_bundle` takes the loader out again.
pub fn bundle_for(path: &str) -> Bundle {
    let first = path.trim_start_matches('/').split('/').next();
    match first {
        Some("admin") => Bundle::Admin,
        Some("orgs") => Bundle::Org,
        _ => Bundle::Public,
    }
}

/// Takes the island loader out of a page that shows no island, so the
/// browser fetches no WebAssembly for it. Which islands a page shows is
/// known only once it is rendered (the invitation page shows a form to
/// someone signed in and links to someone signed out), after the shell
/// has written its head; the page is rendered whole (`SsrMode::Async`),
/// so looking at it costs a scan of its bytes.
pub async fn without_unused_bundle(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::{
        body::{to_bytes, Body},
        response::IntoResponse,
    };

    let res = next.run(req).await;
    let html = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(page) = to_bytes(body, usize::MAX).await else {
        return (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "The page failed to render.",
        )
            .into_response();
    };
    let Some(loader) = memchr::memmem::find(&page, b"<leptos-island")
        .is_none()
        .then(|| island_loader(&page))
        .flatten()
    else {
        return axum::response::Response::from_parts(parts, Body::from(page));
    };
    let without = [&page[..loader.start], &page[loader.end..]].concat();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, Body::from(without))
}

/// Where `HydrationScripts` wrote the loader: its two preloads and its
/// module script, in that order.
fn island_loader(page: &[u8]) -> Option<std::ops::Range<usize>> {
    use memchr::memmem::find;
    let start = find(page, b"<link rel=\"modulepreload\"")?;
    let script = start + find(&page[start..], b"<script type=\"module\"")?;
    let end = script + find(&page[script..], b"</script>")? + "</script>".len();
    Some(start..end)
}

/// What `HydrationScripts` writes for `bundle`, rendered once per bundle.
/// Leptos's component looks up the bundle's hash file on disk for every
/// page (a `readlink`, a `stat` and a read: 4 % of the invitation page's
/// time under load, by `perf`), while what it writes changes only with
/// the page's nonce: the copy is made under a nonce of its own, which each
/// page's replaces. (It would also provide the context of a split build;
/// Gatehouse does not split its bundles.)
fn island_scripts(bundle: Bundle, options: &LeptosOptions) -> impl IntoView {
    use leptos::{
        nonce::{provide_nonce, use_nonce},
        tachys::html::InertElement,
    };
    use std::sync::OnceLock;

    static RENDERED: [OnceLock<(String, String)>; 3] = [const { OnceLock::new() }; 3];
    // What the component does on every page in islands mode: the data of
    // what is not an island stays out of the page.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let Some(nonce) = use_nonce() else {
        // Never on a page `leptos_axum` renders: it always makes a nonce.
        return view! { <HydrationScripts options=bundle.options(options) islands=true /> }
            .into_any();
    };
    let (own, html) = RENDERED[bundle as usize].get_or_init(|| {
        Owner::new().with(|| {
            provide_nonce();
            let own = use_nonce().map(|n| n.to_string()).unwrap_or_default();
            let html = view! { <HydrationScripts options=bundle.options(options) islands=true /> }
                .to_html();
            (own, html)
        })
    });
    InertElement::new(html.replace(own.as_str(), &nonce)).into_any()
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let parts = use_context::<http::request::Parts>();
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(csp) = http::HeaderValue::from_str(&crate::server::security::page_csp(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    let bundle = bundle_for(parts.as_ref().map_or("/", |p| p.uri.path()));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                {island_scripts(bundle, &options)}
                // Named after a hash of its content when the build hashes
                // file names (release), so it can be cached for good.
                <link id="leptos" rel="stylesheet" href=stylesheet_href(&options) />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Title formatter=|page: String| if page.is_empty() { "Gatehouse".to_owned() } else { format!("{page} · Gatehouse") } />
        <Router>
            <Header />
            <main class="px-4 py-10 sm:py-16">
                // Every page waits for its data and goes out complete in one
                // piece (`SsrMode::Async`): it reads fully without JavaScript
                // (link unfurlers, mail scanners, text browsers, slow phones)
                // and needs no streaming scripts. Its data is a few indexed
                // queries, so waiting costs next to nothing.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=|| view! { <Redirect path="/dashboard" /> } ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in/two-factor") view=TwoFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-up") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/delete") view=AccountDeletePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/emails") view=AdminEmailsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/invites") view=AdminInvitesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id/sessions") view=AdminUserSessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/apps") view=crate::pages::admin_apps::AdminAppsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/webhooks") view=AdminWebhooksPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/webhooks/:id") view=AdminWebhookPage ssr=SsrMode::Async />
                    <Route path=path!("/enroll") view=EnrollPage ssr=SsrMode::Async />
                    <Route path=path!("/invite") view=InviteCodePage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token/sign-up") view=InviteSignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token/qr") view=QrCardPage ssr=SsrMode::Async />
                    <Route path=path!("/join/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/join/:token/qr") view=QrCardPage ssr=SsrMode::Async />
                    <Route path=path!("/join/:token/sign-up") view=InviteSignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/welcome") view=WelcomePage ssr=SsrMode::Async />
                    <Route path=path!("/authorize") view=crate::pages::authorize::AuthorizePage ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/new") view=NewOrganizationPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug") view=OrganizationMembersPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/invitations") view=OrganizationInvitationsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/teams") view=OrganizationTeamsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/roles") view=OrganizationRolesPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/settings") view=OrganizationSettingsPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let frame = use_frame();
    let back = here();
    // On an organization's page, the switcher names that organization
    // (the page makes it the active one as it loads).
    let viewing = use_location()
        .pathname
        .get_untracked()
        .strip_prefix("/orgs/")
        .and_then(|rest| rest.split('/').next())
        .filter(|slug| !slug.is_empty() && *slug != "new")
        .map(str::to_owned);
    let signed_in = frame.session.clone().ok().flatten();
    let mine = frame
        .organizations
        .clone()
        .ok()
        .filter(|m| !m.organizations.is_empty());
    let access = frame.access.clone();
    let acting = signed_in
        .as_ref()
        .filter(|s| s.session.impersonated_by.is_some())
        .map(|s| (s.user.clone(), s.session.expires_at.clone()));
    // What holds the person back until they turn on two-factor.
    let mut needs_two_factor: Vec<String> = mine
        .iter()
        .flat_map(|m| m.organizations.iter())
        .filter(|o| o.two_factor_needed)
        .map(|o| o.name.clone())
        .collect();
    if access.two_factor_required {
        needs_two_factor.insert(
            0,
            format!("your role ({})", access.role.clone().unwrap_or_default()),
        );
    }
    view! {
        <header class="border-b border-slate-200 bg-white print:hidden">
            {acting.map(|(user, ends)| view! { <ActingBanner user ends back=back.clone() /> })}
            {(!needs_two_factor.is_empty()).then(|| view! { <TwoFactorBanner by=needs_two_factor /> })}
            <div class="mx-auto flex min-h-14 max-w-5xl flex-wrap items-center justify-between gap-x-6 gap-y-1 px-4 py-2">
                <div class="flex min-w-0 items-center gap-3">
                    <a href="/" class="flex items-center gap-2 font-semibold text-slate-900">
                        <span aria-hidden="true" class="inline-flex h-7 w-7 items-center justify-center rounded-md bg-indigo-600 text-sm text-white">"G"</span>
                        // On a phone the switcher takes the name's place.
                        <span class=mine.is_some().then_some("sr-only sm:not-sr-only")>"Gatehouse"</span>
                    </a>
                    {mine.map(|mine| view! { <OrganizationSwitcher mine viewing /> })}
                </div>
                {match signed_in {
                    // `contents`: on a phone the admin links drop to a
                    // row of their own below the logo and user menu.
                    Some(s) => view! {
                        <div class="contents">
                            <AdminNav access />
                            <UserMenu name=s.user.name role=s.user.role back=back.clone() />
                        </div>
                    }.into_any(),
                    None => view! {
                        <a href="/sign-in" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"Sign in"</a>
                    }.into_any(),
                }}
            </div>
        </header>
    }
}

/// Shown on every page while an admin acts as someone else: whom, until
/// when, and "stop", which brings the admin's own session back.
#[component]
fn ActingBanner(user: crate::accounts::UserView, ends: String, back: String) -> impl IntoView {
    view! {
        <div role="status" data-testid="impersonation-banner" class="bg-amber-100 text-amber-950">
            <div class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-2 text-sm">
                <p>
                    "You are acting as "<strong>{user.name}</strong>" ("{user.email}") until "{crate::ui::format_time(&ends)}
                    ". Everything you do is recorded in the audit log under your name."
                </p>
                <form method="post" action=crate::users::StopImpersonating::PATH>
                    <FormReturn back next="/admin/users" />
                    <button type="submit" class="rounded-md bg-amber-900 px-3 py-1.5 font-semibold text-white hover:bg-amber-800">"Stop acting as them"</button>
                </form>
            </div>
        </div>
    }
}

/// Shown on every page while an organization, or the person's instance
/// role, requires two-factor authentication their account does not use:
/// what it holds back, and where to turn it on.
#[component]
fn TwoFactorBanner(by: Vec<String>) -> impl IntoView {
    let by = match by.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    view! {
        <div role="status" data-testid="two-factor-banner" class="bg-amber-100 text-amber-950">
            <div class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-2 text-sm">
                <p>"Two-factor authentication is required by "<strong>{by}</strong>". Until you turn it on, you cannot act there."</p>
                <a href="/account#two-factor" class="rounded-md bg-amber-900 px-3 py-1.5 font-semibold text-white hover:bg-amber-800">"Turn on two-factor"</a>
            </div>
        </div>
    }
}

/// The person's organizations as a menu. Choosing one posts to
/// `/orgs/switch`, which makes it the active organization and opens it. A
/// `<details>` element and plain forms, so it needs no script.
#[component]
fn OrganizationSwitcher(mine: MyOrganizations, viewing: Option<String>) -> impl IntoView {
    let current = viewing
        .as_deref()
        .and_then(|slug| mine.organizations.iter().find(|o| o.slug == slug))
        .or_else(|| {
            let active = mine.active_organization_id.as_deref()?;
            mine.organizations.iter().find(|o| o.id == active)
        })
        .map(|o| o.id.clone());
    let label = current
        .as_deref()
        .and_then(|id| mine.organizations.iter().find(|o| o.id == id))
        .map_or_else(|| "Organizations".to_owned(), |o| o.name.clone());
    let active_team = mine.active_team.clone();
    // The active team, when it is the shown organization's and not just
    // its first team, named after it.
    let team = mine
        .active_team
        .as_ref()
        .filter(|t| current.as_deref() == Some(t.organization_id.as_str()) && t.name != label)
        .map(|t| t.name.clone());
    view! {
        <details class="group relative" data-testid="organization-switcher">
            <summary class="flex max-w-[12rem] cursor-pointer list-none items-center gap-1.5 rounded-md border border-slate-300 px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50 sm:max-w-[16rem] [&::-webkit-details-marker]:hidden">
                <span class="sr-only">"Organization: "</span>
                <span class="truncate">{label}</span>
                {team.map(|t| view! {
                    <span class="hidden truncate font-normal text-slate-500 sm:inline" data-testid="header-team"><span class="sr-only">", team "</span><span aria-hidden="true">"· "</span>{t}</span>
                })}
                <svg aria-hidden="true" viewBox="0 0 20 20" class="h-4 w-4 shrink-0 text-slate-500 transition group-open:rotate-180"><path fill="currentColor" d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4z" /></svg>
            </summary>
            <div class="absolute left-0 z-20 mt-1 w-64 rounded-lg sm:w-72 border border-slate-200 bg-white p-1 shadow-lg">
                <p class="px-3 pb-1 pt-2 text-xs font-semibold uppercase tracking-wide text-slate-500">"Your organizations"</p>
                <ul>
                    {mine.organizations.into_iter().map(|o| {
                        let here = current.as_deref() == Some(o.id.as_str());
                        let team = active_team.as_ref().filter(|t| t.organization_id == o.id).map(|t| t.name.clone());
                        view! {
                            <li>
                                // A form, not a link: switching writes the
                                // session, and a GET never writes.
                                <form method="post" action="/orgs/switch">
                                    <input type="hidden" name="organizationId" value=o.id.clone() />
                                    <button type="submit" aria-current=here.then_some("true")
                                        class="flex w-full items-center justify-between gap-3 rounded-md px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-50 aria-[current=true]:bg-indigo-50 aria-[current=true]:text-indigo-800">
                                        <span class="min-w-0">
                                            <span class="block truncate font-medium">{o.name}</span>
                                            {team.map(|t| view! { <span class="block truncate text-xs text-slate-500">"Active team: "{t}</span> })}
                                        </span>
                                        <span class="shrink-0 text-xs text-slate-500">{o.roles.join(", ")}</span>
                                    </button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {mine.may_create.then(|| view! {
                    <a href="/orgs/new" class="mt-1 block rounded-md border-t border-slate-100 px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-slate-50">"+ New organization"</a>
                })}
            </div>
        </details>
    }
}

/// Links to the admin pages the signed-in role may use.
#[component]
fn AdminNav(access: Access) -> impl IntoView {
    const PAGES: [(&str, &str, &str); 6] = [
        ("invite:create", "/admin/invites", "Invitations"),
        ("user:list", "/admin/users", "Users"),
        ("email:list", "/admin/emails", "Emails"),
        ("audit:read", "/admin/audit", "Audit"),
        ("webhook:manage", "/admin/webhooks", "Webhooks"),
        ("app:manage", "/admin/apps", "Apps"),
    ];
    view! {
        <nav aria-label="Administration" class="order-last flex w-full items-center gap-4 pb-1 text-sm sm:order-none sm:ml-auto sm:w-auto sm:pb-0">
            {PAGES.into_iter().filter(|(p, _, _)| access.can(p)).map(|(_, href, label)| view! {
                <A href=href attr:class="font-medium text-slate-600 hover:text-slate-900 aria-[current=page]:text-indigo-700">{label}</A>
            }).collect_view()}
        </nav>
    }
}

/// Who is signed in, and "Sign out": a plain form, so the header needs no
/// WebAssembly on any page.
#[component]
fn UserMenu(name: String, role: String, back: String) -> impl IntoView {
    view! {
        <div class="flex items-center gap-3 text-sm">
            <span class="hidden text-slate-700 sm:inline" data-testid="user-name">{name}</span>
            <a href="/account" class="font-medium text-slate-600 hover:text-slate-900">"Account"</a>
            <span class="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">{role}</span>
            <form method="post" action=SignOut::PATH>
                <FormReturn back next="/sign-in" />
                <button
                    type="submit"
                    class="rounded-md border border-slate-300 px-3 py-1.5 font-medium text-slate-700 hover:bg-slate-50"
                >
                    "Sign out"
                </button>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_load_their_groups_bundle() {
        for (path, bundle) in [
            ("/", Bundle::Public),
            ("/invite/ABCD1234", Bundle::Public),
            ("/invite/x/sign-up", Bundle::Public),
            ("/dashboard", Bundle::Public),
            ("/orgs/new", Bundle::Org),
            ("/orgs/acme/roles", Bundle::Org),
            ("/admin/users", Bundle::Admin),
            ("/admin/webhooks/abc", Bundle::Admin),
            ("/administrator", Bundle::Public),
            ("/organs", Bundle::Public),
        ] {
            assert_eq!(bundle_for(path), bundle, "{path}");
        }
    }

    #[test]
    fn the_island_scripts_are_leptos_own_under_the_pages_nonce() {
        let options = LeptosOptions::builder().output_name("gatehouse").build();
        // The first page renders the copy, the next ones reuse it.
        for _ in 0..2 {
            let (ours, leptos) = Owner::new().with(|| {
                leptos::nonce::provide_nonce();
                let ours = island_scripts(Bundle::Public, &options).to_html();
                let leptos =
                    view! { <HydrationScripts options=options.clone() islands=true /> }.to_html();
                (ours, leptos)
            });
            assert_eq!(ours, leptos);
            assert!(ours.contains("<script type=\"module\" nonce="), "{ours}");
        }
    }

    #[test]
    fn the_loader_is_the_preloads_and_the_module_script() {
        let page = concat!(
            "<head><meta charset=\"utf-8\">",
            "<link rel=\"modulepreload\" href=\"/pkg/g.1.js\">",
            "<link rel=\"preload\" href=\"/pkg/g.1.wasm\" as=\"fetch\">",
            "<script type=\"module\" nonce=\"n\">((a) => {})(\"/pkg\")</script>",
            "<link rel=\"stylesheet\" href=\"/pkg/g.1.css\"></head>"
        );
        let loader = island_loader(page.as_bytes()).expect("a loader");
        let rest = [&page[..loader.start], &page[loader.end..]].concat();
        assert_eq!(
            rest,
            "<head><meta charset=\"utf-8\"><link rel=\"stylesheet\" href=\"/pkg/g.1.css\"></head>"
        );
        assert_eq!(island_loader(b"<head></head>"), None);
        // A preload without its script is not taken apart.
        assert_eq!(
            island_loader(b"<link rel=\"modulepreload\" href=\"x\">"),
            None
        );
    }
}
