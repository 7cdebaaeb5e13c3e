//! `/welcome`: the role-upgraded welcome page (SPEC §4): the new role, what
//! it allows, and where to go next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_query_map};

use crate::{
    error::Code,
    invitations::role::get_welcome,
    organizations::organization_page,
    ui::{Alert, Tone},
};

/// What an organization permission lets someone do, in words; the welcome
/// page lists those the joined roles grant (built-in or custom).
fn ability(permission: &str) -> Option<&'static str> {
    Some(match permission {
        "organization:update" => "Change the organization's name, slug and logo",
        "organization:delete" => "Delete the organization",
        "member:create" => "Add members",
        "member:update" => "Change members' roles",
        "member:delete" => "Remove members",
        "invitation:create" => "Invite people",
        "invitation:cancel" => "Cancel invitations",
        "team:create" => "Create teams",
        "team:update" => "Rename teams and choose their members",
        "team:delete" => "Remove teams",
        "ac:create" => "Create custom roles",
        "ac:read" => "See the organization's roles",
        "ac:update" => "Change custom roles",
        "ac:delete" => "Delete custom roles",
        _ => return None,
    })
}

#[component]
pub fn WelcomePage() -> impl IntoView {
    let query = use_query_map();
    if let Some(slug) = query.read_untracked().get("joined") {
        return view! { <JoinedWelcome slug /> }.into_any();
    }
    let welcome = Resource::new(move || query.read().get("next"), get_welcome);
    view! {
        <Title text="Welcome" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || welcome.get().map(|result| match result {
                Ok(w) => view! {
                    <section class="mx-auto w-full max-w-lg rounded-xl border border-slate-200 bg-white p-6 text-center shadow-sm sm:p-10">
                        <div aria-hidden="true" class="mx-auto flex h-12 w-12 items-center justify-center rounded-full bg-emerald-100 text-2xl text-emerald-700">"✓"</div>
                        <h1 class="mt-4 text-2xl font-semibold tracking-tight">"Welcome, "{w.name.clone()}</h1>
                        <p class="mt-2 text-slate-600">"You are now"</p>
                        <p class="mt-1"><span data-testid="welcome-role" class="rounded-full bg-indigo-50 px-3 py-1 text-lg font-semibold text-indigo-700">{w.role.name.clone()}</span></p>
                        <p class="mt-4 text-slate-700">{w.role.description.clone()}</p>
                        {(!w.role.abilities.is_empty()).then(|| view! {
                            <div class="mt-6 rounded-lg bg-slate-50 p-4 text-left">
                                <h2 class="text-sm font-semibold text-slate-700">"What you can do now"</h2>
                                <ul class="mt-2 space-y-1.5 text-sm text-slate-700">
                                    {w.role.abilities.iter().map(|a| view! {
                                        <li class="flex gap-2"><span aria-hidden="true" class="text-emerald-600">"✓"</span>{a.clone()}</li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                        <a href=w.next.clone() class="mt-8 inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Continue"</a>
                    </section>
                }.into_any(),
                Err(e) if e.code == Code::Unauthorized => view! { <Redirect path="/sign-in?redirectTo=/welcome" /> }.into_any(),
                Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

/// "You joined {organization} as {role}", after accepting an organization
/// invitation.
#[component]
fn JoinedWelcome(slug: String) -> impl IntoView {
    let page = Resource::new(
        move || slug.clone(),
        |slug| organization_page(slug, None, None),
    );
    view! {
        <Title text="Welcome" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(p) => {
                    let roles: Vec<String> = p.me.role.split(',').map(str::to_owned).collect();
                    let abilities: Vec<&str> = std::iter::once("See the organization and its members")
                        .chain(p.permissions.iter().filter_map(|p| ability(p)))
                        .collect();
                    view! {
                        <section class="mx-auto w-full max-w-lg rounded-xl border border-slate-200 bg-white p-6 text-center shadow-sm sm:p-10">
                            <div aria-hidden="true" class="mx-auto flex h-12 w-12 items-center justify-center rounded-full bg-emerald-100 text-2xl text-emerald-700">"✓"</div>
                            <h1 class="mt-4 text-2xl font-semibold tracking-tight" data-testid="joined">{format!("You joined {}", p.organization.name)}</h1>
                            <p class="mt-2 text-slate-600">"as"</p>
                            <p class="mt-1"><span data-testid="welcome-role" class="rounded-full bg-indigo-50 px-3 py-1 text-lg font-semibold text-indigo-700">{roles.join(" and ")}</span></p>
                            <div class="mt-6 rounded-lg bg-slate-50 p-4 text-left">
                                <h2 class="text-sm font-semibold text-slate-700">"What you can do there"</h2>
                                <ul class="mt-2 space-y-1.5 text-sm text-slate-700">
                                    {abilities.into_iter().map(|a| view! {
                                        <li class="flex gap-2"><span aria-hidden="true" class="text-emerald-600">"✓"</span>{a}</li>
                                    }).collect_view()}
                                </ul>
                            </div>
                            <a href=format!("/orgs/{}", p.organization.slug) class="mt-8 inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">{format!("Go to {}", p.organization.name)}</a>
                        </section>
                    }.into_any()
                }
                Err(e) if e.code == Code::Unauthorized => view! { <Redirect path="/sign-in?redirectTo=/dashboard" /> }.into_any(),
                Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
            })}
        </Suspense>
    }
}
