//! `/admin/users`: the users list (search, paging), creating an account by
//! enrollment, changing roles, disabling, and resending enrollment.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    accounts::StatusResponse,
    app::use_session,
    error::ApiError,
    ui::{use_hydrated, Alert, PageHeader, Pager, Tone},
    users::{
        create_user, disable_user, enable_user, list_users, resend_enrollment, set_role,
        CreateUserBody, CreateUserResponse, ListedUser, SetRoleBody, UserIdBody, PAGE_SIZE,
    },
};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm \
     focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";
const LABEL: &str = "block text-sm font-medium text-slate-800";
const SMALL_BUTTON: &str = "rounded-md border border-slate-300 px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-60";

/// What the last action on the page said.
type Said = RwSignal<Option<Result<String, ApiError>>>;

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Users" />
        <div class="mx-auto max-w-5xl">
            <PageHeader title="Users" subtitle="Everyone with an account. Create an account for someone and they choose their own password from the email they get." />
            <Suspense fallback=|| ()>
                {move || session.0.get().map(|s| {
                    let me = s.ok().flatten().map(|s| s.user.id);
                    view! { <UsersAdmin me /> }
                })}
            </Suspense>
        </div>
    }
}

/// The form and the list; `me` is the signed-in person's id, whose row
/// offers no way to disable oneself.
#[island]
fn UsersAdmin(me: Option<String>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let changed = RwSignal::new(0u32);
    let said: Said = RwSignal::new(None);
    let users = Resource::new(
        move || (search.get(), offset.get(), changed.get()),
        |(search, offset, _)| list_users(Some(search), None, Some(offset)),
    );
    view! {
        {move || said.get().map(|r| match r {
            Ok(m) => view! { <Alert tone=Tone::Success>{m}</Alert> }.into_any(),
            Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || users.get().map(|r| match r {
                Err(e) if e.code == "UNAUTHORIZED" => view! { <Alert tone=Tone::Error>"Sign in as an admin to manage users."</Alert> }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                Ok(list) => {
                    let total = list.total;
                    let my_id = me.clone();
                    let roles = list.assignable_roles.clone();
                    view! {
                        <div class="grid gap-8 lg:grid-cols-5">
                            <div class="lg:col-span-2">
                                <CreateUserForm roles=roles.clone() changed said />
                            </div>
                            <section class="lg:col-span-3" aria-label="Users list">
                                <label class="sr-only" for="user-search">"Search users"</label>
                                <input
                                    id="user-search"
                                    type="search"
                                    placeholder="Search by name or email"
                                    class="mb-3 w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
                                    prop:value=move || search.get_untracked()
                                    on:change=move |ev| { search.set(event_target_value(&ev)); offset.set(0); }
                                />
                                <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="users">
                                    {list.users.into_iter().map(|u| {
                                        let is_me = my_id.as_deref() == Some(u.user.id.as_str());
                                        view! { <UserRow listed=u roles=roles.clone() is_me changed said /> }
                                    }).collect_view()}
                                </ul>
                                <Pager total offset page_size=PAGE_SIZE />
                            </section>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn CreateUserForm(roles: Vec<String>, changed: RwSignal<u32>, said: Said) -> impl IntoView {
    let hydrated = use_hydrated();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(roles.first().cloned().unwrap_or_default());
    let create = Action::new(|body: &CreateUserBody| create_user(body.clone()));
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            said.set(Some(r.map(|done: CreateUserResponse| {
                name.set(String::new());
                email.set(String::new());
                changed.update(|n| *n += 1);
                format!("Account created for {}. An email with a link to choose a password is on its way.", done.user.email)
            })));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUserBody {
            email: Some(email.get()),
            name: Some(name.get()),
            role: Some(role.get()),
            password: None,
        });
    };
    view! {
        <form on:submit=on_submit novalidate aria-label="Create an account" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <h2 class="text-lg font-semibold">"Create an account"</h2>
            <p class="mt-1 text-sm text-slate-600">"The person gets an email to choose their password."</p>
            <div class="mt-4">
                <label for="new-user-name" class=LABEL>"Name"</label>
                <input id="new-user-name" name="name" class=INPUT autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <div class="mt-4">
                <label for="new-user-email" class=LABEL>"Email"</label>
                <input id="new-user-email" name="email" type="email" class=INPUT autocomplete="off" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            </div>
            <div class="mt-4">
                <label for="new-user-role" class=LABEL>"Role"</label>
                <select id="new-user-role" name="role" class=INPUT on:change=move |ev| role.set(event_target_value(&ev))>
                    {roles.into_iter().map(|r| view! { <option value=r.clone() selected={ let r = r.clone(); move || role.get_untracked() == r }>{r.clone()}</option> }).collect_view()}
                </select>
            </div>
            <button
                type="submit"
                class="mt-6 inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:cursor-not-allowed disabled:opacity-60"
                disabled=move || !hydrated.get() || create.pending().get()
            >{move || if create.pending().get() { "Creating…" } else { "Create account" }}</button>
        </form>
    }
}

#[component]
fn UserRow(
    listed: ListedUser,
    roles: Vec<String>,
    is_me: bool,
    changed: RwSignal<u32>,
    said: Said,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let user = listed.user.clone();
    let id = user.id.clone();
    let chosen = RwSignal::new(user.role.clone());
    let done = move |r: Result<String, ApiError>| {
        if r.is_ok() {
            changed.update(|n| *n += 1);
        }
        said.set(Some(r));
    };
    let change_role = Action::new(|b: &SetRoleBody| set_role(b.clone()));
    let toggle = Action::new(|(id, disable): &(String, bool)| {
        let body = UserIdBody {
            user_id: Some(id.clone()),
        };
        let disable = *disable;
        async move {
            if disable {
                disable_user(body).await
            } else {
                enable_user(body).await
            }
        }
    });
    let resend = Action::new(|id: &String| {
        resend_enrollment(UserIdBody {
            user_id: Some(id.clone()),
        })
    });
    Effect::new(move |_| {
        if let Some(r) = change_role.value().get() {
            done(r.map(|u| format!("{} is now {}.", u.user.name, u.user.role)));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = toggle.value().get() {
            done(r.map(|u| {
                format!(
                    "{} is {}.",
                    u.user.name,
                    if u.user.banned {
                        "disabled; their sessions have ended"
                    } else {
                        "enabled again"
                    }
                )
            }));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = resend.value().get() {
            done(r.map(|s: StatusResponse| s.message.unwrap_or_default()));
        }
    });
    let can_change = listed.manageable;
    let current_role = user.role.clone();
    let (id_role, id_toggle, id_resend) = (id.clone(), id.clone(), id.clone());
    let disabled = user.banned;
    view! {
        <li class="px-4 py-4 sm:px-5" data-testid="user-row">
            <div class="flex flex-col gap-3">
                <div class="min-w-0">
                    <p class="truncate font-medium text-slate-900">
                        {user.name.clone()}
                        {is_me.then(|| view! { <span class="ml-1 text-sm font-normal text-slate-500">"(you)"</span> })}
                    </p>
                    <p class="truncate text-sm text-slate-600">{user.email.clone()}</p>
                    <div class="mt-1 flex flex-wrap gap-1.5 text-xs">
                        <span class="rounded-full bg-indigo-50 px-2 py-0.5 font-medium text-indigo-700">{user.role.clone()}</span>
                        {listed.enrollment_pending.then(|| view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 font-medium text-amber-900">"enrollment pending"</span> })}
                        {(!listed.enrollment_pending && !user.email_verified).then(|| view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-slate-600">"email not verified"</span> })}
                        {disabled.then(|| view! { <span class="rounded-full bg-red-100 px-2 py-0.5 font-medium text-red-800">"disabled"</span> })}
                    </div>
                    {(!can_change && !is_me).then(|| view! {
                        <p class="mt-1 text-xs text-slate-500">"Only someone with a higher role can change this account."</p>
                    })}
                </div>
                {can_change.then(|| view! {
                    <div class="flex flex-wrap items-center gap-2">
                        <label class="sr-only" for=format!("role-of-{id}")>{format!("Role of {}", user.email)}</label>
                        <select id=format!("role-of-{id}") class="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            {roles.iter().map(|r| view! { <option value=r.clone() selected=*r == current_role>{r.clone()}</option> }).collect_view()}
                        </select>
                        <button type="button" class=SMALL_BUTTON
                            disabled=move || !hydrated.get() || change_role.pending().get() || chosen.get() == user.role
                            on:click=move |_| { change_role.dispatch(SetRoleBody { user_id: Some(id_role.clone()), role: Some(chosen.get()) }); }
                        >"Change role"</button>
                        {listed.enrollment_pending.then(|| view! {
                            <button type="button" class=SMALL_BUTTON
                                disabled=move || !hydrated.get() || resend.pending().get()
                                on:click=move |_| { resend.dispatch(id_resend.clone()); }
                            >"Resend enrollment"</button>
                        })}
                        // Nobody disables themselves (the server refuses it too).
                        {(!is_me).then(|| view! {
                            <button type="button"
                                class=if disabled { SMALL_BUTTON } else { "rounded-md border border-red-200 px-2.5 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60" }
                                disabled=move || !hydrated.get() || toggle.pending().get()
                                on:click=move |_| { toggle.dispatch((id_toggle.clone(), !disabled)); }
                            >{if disabled { "Enable" } else { "Disable" }}</button>
                        })}
                    </div>
                })}
            </div>
        </li>
    }
}
