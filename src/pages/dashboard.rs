use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::{
    accounts::SessionWithUser,
    apps::{list_connected_apps, ConnectedApp, RevokeConnectedApp},
    organizations::{
        domains::{domain_suggestion, DomainSuggestion, RequestToJoin},
        invitations::{list_user_invitations, UserInvitation, UserInvitationsQuery},
        requests::{list_my_join_requests, JoinRequestView},
        MyOrganizations,
    },
    pages::{
        forms::take_flash,
        join::JoinButtons,
        orgs::RoleBadges,
        verify_email::{verification_sent, SendVerificationButton},
    },
    pages::{use_organizations, use_session},
    ui::format_time,
    ui::{Alert, FormReturn, Tone, BUTTON, INPUT, LINK},
};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    let organizations = use_organizations().unwrap_or_default();
    let inbox = Resource::new(
        || (),
        |_| list_user_invitations(UserInvitationsQuery::default()),
    );
    let requests = Resource::new(|| (), |_| list_my_join_requests());
    let suggested = Resource::new(|| (), |_| domain_suggestion());
    let connected = Resource::new(|| (), |_| list_connected_apps());
    // What a form of this page (accept, decline, verify) posted without
    // JavaScript brought back.
    let flash = take_flash();
    view! {
        <Title text="Dashboard" />
        {flash.map(|f| view! { <div class="mx-auto max-w-3xl"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || match session.clone() {
                Ok(Some(s)) => view! {
                    <Dashboard
                        session=s
                        organizations=organizations.clone()
                        // Unverified addresses see no inbox: the banner asks to verify first.
                        inbox=inbox.get().and_then(Result::ok).unwrap_or_default()
                        requests=requests.get().and_then(Result::ok).unwrap_or_default()
                        suggested=suggested.get().and_then(Result::ok).flatten()
                        connected=connected.get().and_then(Result::ok).unwrap_or_default()
                    />
                }.into_any(),
                Ok(None) => view! { <Redirect path="/sign-in?redirectTo=/dashboard" /> }.into_any(),
                Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
            }}
        </Suspense>
    }
}

#[component]
fn Dashboard(
    session: SessionWithUser,
    organizations: MyOrganizations,
    inbox: Vec<UserInvitation>,
    requests: Vec<JoinRequestView>,
    suggested: Option<DomainSuggestion>,
    connected: Vec<ConnectedApp>,
) -> impl IntoView {
    let user = session.user;
    let user_email = user.email.clone();
    let since = user.created_at.get(..10).unwrap_or_default().to_owned();
    let unverified = (!user.email_verified).then(|| user.email.clone());
    view! {
        <div class="mx-auto max-w-3xl">
            <h1 class="text-2xl font-semibold tracking-tight">"Hello, " {user.name.clone()}</h1>
            <p class="mt-1 text-slate-600">"This is your Gatehouse home."</p>
            {unverified.map(|email| view! {
                <section class="mt-6 rounded-xl border border-sky-200 bg-sky-50 p-5 text-sm text-sky-950" data-testid="verify-email">
                    <p class="font-medium">"Please confirm your email address"</p>
                    <p class="mt-1">"Invitations sent to "<strong>{email.clone()}</strong>" appear here once you have shown that this address is yours. The link in an invitation's email works already: it came to that mailbox."</p>
                    <div class="max-w-xs"><SendVerificationButton email next="/dashboard".to_owned() sent=verification_sent() /></div>
                </section>
            })}
            <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500">"Your account"</h2>
                <dl class="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-3">
                    <div>
                        <dt class="text-sm text-slate-500">"Role"</dt>
                        <dd class="mt-1"><span data-testid="role" class="rounded-full bg-indigo-50 px-2.5 py-1 text-sm font-medium text-indigo-700">{user.role}</span></dd>
                    </div>
                    <div class="min-w-0">
                        <dt class="text-sm text-slate-500">"Email"</dt>
                        <dd class="mt-1 truncate font-medium" data-testid="email">{user.email}</dd>
                        <dd class="text-xs text-slate-500">{if user.email_verified { "Verified" } else { "Not verified yet" }}</dd>
                    </div>
                    <div>
                        <dt class="text-sm text-slate-500">"Member since"</dt>
                        <dd class="mt-1 font-medium">{since}</dd>
                    </div>
                </dl>
            </section>
            <Inbox invitations=inbox email=user_email />
            {suggested.map(|s| view! { <Suggested suggestion=s /> })}
            <MyRequests requests />
            <Organizations mine=organizations />
            <ConnectedApps apps=connected />
        </div>
    }
}

/// The apps the person signed in to with this account, each with what it
/// sees and a way to take that back: its sign-ins end at once.
#[component]
fn ConnectedApps(apps: Vec<ConnectedApp>) -> impl IntoView {
    (!apps.is_empty()).then(|| view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white shadow-sm" aria-labelledby="apps-heading" data-testid="connected-apps">
            <h2 id="apps-heading" class="border-b border-slate-200 px-6 py-4 text-sm font-semibold uppercase tracking-wide text-slate-500">"Connected apps"</h2>
            <ul class="divide-y divide-slate-200">
                {apps.into_iter().map(|app| view! {
                    <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-6 py-4">
                        <div class="min-w-0">
                            <p class="font-medium text-slate-900">{app.name.clone()}</p>
                            <p class="text-sm text-slate-500">{format!("Sees your {}. Since {}.", app.sees.join(", "), format_time(&app.since))}</p>
                        </div>
                        <form method="post" action=RevokeConnectedApp::PATH>
                            <FormReturn back="/dashboard" next="/dashboard" />
                            <input type="hidden" name="clientId" value=app.client_id />
                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">{format!("Disconnect {}", app.name)}</button>
                        </form>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    })
}

/// An organization whose verified domain is the person's suggests they
/// ask to join it; its admins answer.
#[component]
fn Suggested(suggestion: DomainSuggestion) -> impl IntoView {
    let s = suggestion;
    view! {
        <section class="mt-8 rounded-xl border border-indigo-200 bg-indigo-50/40 p-6" aria-labelledby="suggested-heading" data-testid="domain-suggestion">
            <h2 id="suggested-heading" class="font-semibold text-slate-900">{format!("Request to join {}", s.organization_name)}</h2>
            <p class="mt-1 text-sm text-slate-600">
                {format!("{} verified {}, the domain of your email address. Ask to join, and its admins will answer.", s.organization_name, s.domain)}
            </p>
            <form method="post" action=RequestToJoin::PATH class="mt-4 flex flex-col gap-2 sm:flex-row sm:items-end">
                <FormReturn back="/dashboard" next="/dashboard" />
                <input type="hidden" name="organizationId" value=s.organization_id />
                <div class="min-w-0 flex-1">
                    <label for="request-message" class="block text-sm font-medium text-slate-800">
                        "A word for the admins"<span class="font-normal text-slate-500">" (optional)"</span>
                    </label>
                    <input id="request-message" name="message" maxlength="500" class=INPUT />
                </div>
                <button type="submit" class=format!("{BUTTON} sm:w-auto")>{format!("Request to join {}", s.organization_name)}</button>
            </form>
        </section>
    }
}

/// The person's requests to join, open ones and those answered in the
/// last weeks (the answer came by email too).
#[component]
fn MyRequests(requests: Vec<JoinRequestView>) -> impl IntoView {
    const SHOWN: usize = 5;
    (!requests.is_empty()).then(|| {
        view! {
            <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="requests-heading" data-testid="my-join-requests">
                <h2 id="requests-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-500">"Your requests to join"</h2>
                <ul class="mt-3 divide-y divide-slate-100 text-sm">
                    {requests.into_iter().take(SHOWN).map(|r| {
                        let (label, class) = match r.status.as_str() {
                            "pending" => ("waiting for an answer", "bg-amber-100 text-amber-900"),
                            "approved" => ("approved", "bg-emerald-100 text-emerald-800"),
                            _ => ("declined", "bg-slate-200 text-slate-700"),
                        };
                        view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                                <span class="font-medium text-slate-900">{r.organization_name}</span>
                                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Organizations(mine: MyOrganizations) -> impl IntoView {
    let create = mine.may_create.then(|| view! {
        <a href="/orgs/new" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"New organization"</a>
    });
    let empty = mine.organizations.is_empty();
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white shadow-sm" aria-labelledby="organizations-heading">
            <div class="flex items-center justify-between gap-4 border-b border-slate-200 px-6 py-4">
                <h2 id="organizations-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-500">"Your organizations"</h2>
                {create}
            </div>
            {if empty {
                view! {
                    <p class="px-6 py-6 text-sm text-slate-600">
                        {if mine.may_create {
                            "You are not in any organization yet. Create one for your team, or wait for an invitation."
                        } else {
                            "You are not in any organization yet. When someone adds you to one, it shows up here."
                        }}
                    </p>
                }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200" data-testid="organizations">
                        {mine.organizations.into_iter().map(|o| view! {
                            <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 px-6 py-4">
                                <div class="min-w-0">
                                    <a href=format!("/orgs/{}", o.slug) class=LINK>{o.name}</a>
                                    <p class="text-sm text-slate-500">{format!("/orgs/{}", o.slug)}</p>
                                </div>
                                <div class="flex flex-wrap gap-1.5">
                                    {o.two_factor_needed.then(|| view! {
                                        <a href="/account#two-factor" class="inline-flex items-center rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-medium text-amber-900 hover:bg-amber-200">"Needs two-factor"</a>
                                    })}
                                    <RoleBadges roles=o.roles />
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The person's pending organization invitations, to accept or decline
/// here.
#[component]
fn Inbox(invitations: Vec<UserInvitation>, email: String) -> impl IntoView {
    (!invitations.is_empty()).then(|| {
        view! {
            <section class="mt-8 rounded-xl border border-indigo-200 bg-white shadow-sm" aria-labelledby="inbox-heading">
                <h2 id="inbox-heading" class="border-b border-slate-200 px-6 py-4 text-sm font-semibold uppercase tracking-wide text-slate-500">"Invitations for you"</h2>
                <ul class="divide-y divide-slate-200" data-testid="inbox">
                    {invitations.into_iter().map(|i| view! {
                        <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-6 py-4">
                            <div class="min-w-0">
                                <p class="font-medium text-slate-900">{format!("Join {} as {}", i.organization_name, i.invitation.role.replace(',', " and "))}</p>
                                <p class="text-sm text-slate-500">"Until "{format_time(&i.invitation.expires_at)}</p>
                            </div>
                            <JoinButtons back="/dashboard".to_owned() token=i.invitation.id slug=i.organization_slug viewer=email.clone() compact=true />
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
