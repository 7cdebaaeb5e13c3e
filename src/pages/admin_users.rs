//! `/admin/users`: the users list (search, paging), creating an account by
//! enrollment, changing roles, disabling, and resending enrollment.
//!
//! The list is rendered on the server (search and paging are plain links
//! and a GET form, so they work before any script runs); only the create
//! form and each row's controls run in the browser, as small islands. That
//! keeps the WebAssembly the browser downloads small.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::{
    accounts::{domain::Email, RequestPasswordReset, StatusResponse},
    error::ApiError,
    error::Code,
    pages::{forms::take_flash, use_session},
    ui::{
        format_time, go_to, use_hydrated, Alert, FormReturn, LiveFieldset, PageHeader, PageLinks,
        Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
    users::{
        access::{get_access, Access},
        create_user, disable_user, enable_user, list_users, resend_enrollment, set_role, BanUser,
        CreateUserBody, ImpersonateUser, ListedUser, RemoveUser, RevokeUserSessions, SetRoleBody,
        UserIdBody, PAGE_SIZE,
    },
};

const BACK: &str = "/admin/users";

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let search = query.get("search").unwrap_or_default();
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<u32>().ok())
        .unwrap_or(0);
    // Set by the create form when it reloads the page; only an address is
    // ever shown from it.
    let created = query
        .get("created")
        .and_then(|e| Email::parse(&e).ok())
        .map(|e| e.as_str().to_owned());
    let done = query.get("done").and_then(|d| match d.as_str() {
        "ban" => Some("The account is disabled and every session of it has ended."),
        "sessions" => Some("Every session of the account has ended."),
        "reset" => {
            Some("A password reset email is on its way, if the address can receive one now.")
        }
        "remove" => Some("The account is deleted."),
        _ => None,
    });
    let flash = take_flash();
    let session = use_session();
    let access = Resource::new(|| (), |_| get_access());
    let users = Resource::new(
        {
            let search = search.clone();
            move || (search.clone(), offset)
        },
        |(search, offset)| list_users(Some(search), None, Some(offset)),
    );
    view! {
        <Title text="Users" />
        <div class="mx-auto max-w-5xl">
            <PageHeader title="Users" subtitle="Everyone with an account. Create an account for someone and they choose their own password from the email they get." />
            {created.map(|email| view! {
                <Alert tone=Tone::Success>"Account created for "{email}". An email with a link to choose a password is on its way."</Alert>
            })}
            {done.map(|d| view! { <Alert tone=Tone::Success>{d}</Alert> })}
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || {
                    let me = session.0.get().and_then(|s| s.ok().flatten()).map(|s| s.user.id);
                    let access = access.get().and_then(Result::ok).unwrap_or_default();
                    let search = search.clone();
                    users.get().map(move |r| match r {
                        Err(e) if e.code == Code::Unauthorized => view! { <Alert tone=Tone::Error>"Sign in as an admin to manage users."</Alert> }.into_any(),
                        Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                        Ok(list) => {
                            let roles = list.assignable_roles.clone();
                            view! {
                                <div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
                                    <div class="lg:col-span-2">
                                        <CreateUserForm roles=roles.clone() />
                                    </div>
                                    <section class="lg:col-span-3" aria-label="Users list">
                                        <form method="get" action="/admin/users" class="mb-3" role="search">
                                            <label class="sr-only" for="user-search">"Search users"</label>
                                            <input
                                                id="user-search"
                                                name="search"
                                                type="search"
                                                placeholder="Search by name or email"
                                                class="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
                                                value=search.clone()
                                            />
                                        </form>
                                        <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="users">
                                            {list.users.into_iter().map(|u| {
                                                let is_me = me.as_deref() == Some(u.user.id.as_str());
                                                view! { <UserRow listed=u roles=roles.clone() is_me access=access.clone() /> }
                                            }).collect_view()}
                                        </ul>
                                        <PageLinks base="/admin/users" query=vec![("search", search.clone())] offset=i64::from(offset) page_size=i64::from(PAGE_SIZE) total=list.total labels=("Newer", "Older") />
                                    </section>
                                </div>
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// Creates the account, then reloads the page so the list shows it.
#[island]
fn CreateUserForm(roles: Vec<String>) -> impl IntoView {
    let hydrated = use_hydrated();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(roles.first().cloned().unwrap_or_default());
    let create = Action::new(|body: &CreateUserBody| create_user(body.clone()));
    Effect::new(move |_| {
        if let Some(Ok(done)) = create.value().get() {
            go_to(&format!(
                "/admin/users?created={}",
                utf8_percent_encode(&done.user.email, NON_ALPHANUMERIC)
            ));
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
            <LiveFieldset hydrated>
                <h2 class="text-lg font-semibold">"Create an account"</h2>
                <p class="mt-1 text-sm text-slate-600">"The person gets an email to choose their password."</p>
                {move || create.value().get().and_then(Result::err).map(|e| view! {
                    <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div>
                })}
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
            </LiveFieldset>
        </form>
    }
}

#[component]
fn UserRow(listed: ListedUser, roles: Vec<String>, is_me: bool, access: Access) -> impl IntoView {
    let user = listed.user;
    let ban = user.banned.then(|| {
        let until = user.ban_expires.as_deref().map_or_else(
            || "until lifted".to_owned(),
            |t| format!("until {}", format_time(t)),
        );
        match user.ban_reason.as_deref() {
            Some(reason) => format!("Disabled {until}: {reason}"),
            None => format!("Disabled {until}."),
        }
    });
    let manage = (listed.manageable && !is_me).then(|| {
        view! {
            <Manage
                id=user.id.clone()
                name=user.name.clone()
                email=user.email.clone()
                banned=user.banned
                access
            />
        }
    });
    view! {
        <li class="px-4 py-4 sm:px-5" data-testid="user-row">
            <div class="min-w-0">
                <p class="truncate font-medium text-slate-900">
                    {user.name.clone()}
                    {is_me.then(|| view! { <span class="ml-1 text-sm font-normal text-slate-500">"(you)"</span> })}
                </p>
                <p class="truncate text-sm text-slate-600">{user.email.clone()}</p>
                {ban.map(|b| view! { <p class="text-sm text-red-800" data-testid="ban">{b}</p> })}
            </div>
            <UserControls
                id=user.id
                email=user.email
                role=user.role
                disabled=user.banned
                verified=user.email_verified
                enrollment_pending=listed.enrollment_pending
                manageable=listed.manageable
                is_me
                roles
            />
            {manage}
        </li>
    }
}

/// A row's other actions, as plain forms that work without the
/// WebAssembly: ban with a reason and an end, end every session, send a
/// password reset (an admin never sets a password), act as the person with
/// a reason, delete the account. Each shows only when the role allows it.
#[component]
fn Manage(id: String, name: String, email: String, banned: bool, access: Access) -> impl IntoView {
    let field = |what: &str| format!("{what}-{id}");
    let (reason_id, until_id, why_id, confirm_id) = (
        field("ban-reason"),
        field("ban-until"),
        field("act-reason"),
        field("remove-confirm"),
    );
    view! {
        <details class="group mt-3" data-testid="manage">
            <summary class="cursor-pointer text-sm font-medium text-indigo-700 hover:text-indigo-600">{format!("More for {name}")}</summary>
            <div class="mt-3 grid grid-cols-1 gap-4 rounded-lg border border-slate-200 bg-slate-50 p-4 sm:grid-cols-2">
                {(access.can("user:disable") && !banned).then(|| view! {
                    <form method="post" action=BanUser::PATH aria-label=format!("Ban {email}") class="sm:col-span-2">
                        <FormReturn back=BACK next="/admin/users?done=ban" />
                        <input type="hidden" name="userId" value=id.clone() />
                        <div class="grid grid-cols-1 gap-3 sm:grid-cols-3 sm:items-end">
                            <div class="sm:col-span-2">
                                <label for=reason_id.clone() class=LABEL>"Reason"<span class="font-normal text-slate-500">" (the person is told)"</span></label>
                                <input id=reason_id name="banReason" maxlength="500" class=INPUT />
                            </div>
                            <div>
                                <label for=until_id.clone() class=LABEL>"For"</label>
                                <select id=until_id name="banExpiresIn" class=INPUT>
                                    <option value="86400">"1 day"</option>
                                    <option value="604800">"7 days"</option>
                                    <option value="2592000">"30 days"</option>
                                    <option value="" selected>"Until lifted"</option>
                                </select>
                            </div>
                        </div>
                        <button type="submit" class=format!("mt-3 {DANGER_BUTTON}")>"Ban and sign out"</button>
                    </form>
                })}
                {access.can("session:list").then(|| view! {
                    <div><a href=format!("/admin/users/{id}/sessions") class=SMALL_BUTTON>"Where they are signed in"</a></div>
                })}
                {access.can("session:revoke").then(|| view! {
                    <form method="post" action=RevokeUserSessions::PATH>
                        <FormReturn back=BACK next="/admin/users?done=sessions" />
                        <input type="hidden" name="userId" value=id.clone() />
                        <button type="submit" class=SMALL_BUTTON>"Sign out everywhere"</button>
                    </form>
                })}
                <form method="post" action=RequestPasswordReset::PATH>
                    <FormReturn back=BACK next="/admin/users?done=reset" />
                    <input type="hidden" name="email" value=email.clone() />
                    <button type="submit" class=SMALL_BUTTON>"Send a password reset email"</button>
                </form>
                {(access.can("user:impersonate") && !banned).then(|| view! {
                    <form method="post" action=ImpersonateUser::PATH aria-label=format!("Act as {email}") class="sm:col-span-2">
                        <FormReturn back=BACK next="/dashboard" />
                        <input type="hidden" name="userId" value=id.clone() />
                        <label for=why_id.clone() class=LABEL>"Act as them, for support: why?"</label>
                        <div class="mt-1 flex flex-col gap-2 sm:flex-row">
                            <input id=why_id name="reason" required maxlength="500" placeholder="e.g. ticket #123: cannot see the invitations page" class=format!("{INPUT} !mt-0") />
                            <button type="submit" class=format!("shrink-0 {SMALL_BUTTON}")>"Act as them"</button>
                        </div>
                    </form>
                })}
                {access.can("user:delete").then(|| view! {
                    <form method="post" action=RemoveUser::PATH aria-label=format!("Delete {email}") class="sm:col-span-2">
                        <FormReturn back=BACK next="/admin/users?done=remove" />
                        <input type="hidden" name="userId" value=id.clone() />
                        <label class="flex items-center gap-2 text-sm text-slate-700">
                            <input id=confirm_id type="checkbox" name="_confirm" required class="h-4 w-4 rounded border-slate-300" />
                            {format!("Delete {email} and everything of theirs, for good")}
                        </label>
                        <button type="submit" class=format!("mt-2 {DANGER_BUTTON}")>"Delete account"</button>
                    </form>
                })}
            </div>
        </details>
    }
}

/// A row's state and controls: the role badge and the flags update in
/// place after a change, and the change is announced.
#[island]
fn UserControls(
    id: String,
    email: String,
    role: String,
    disabled: bool,
    verified: bool,
    enrollment_pending: bool,
    manageable: bool,
    is_me: bool,
    roles: Vec<String>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let role_now = RwSignal::new(role.clone());
    let disabled_now = RwSignal::new(disabled);
    let chosen = RwSignal::new(role);
    let said: RwSignal<Option<Result<String, ApiError>>> = RwSignal::new(None);
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
            said.set(Some(r.map(|u| {
                role_now.set(u.user.role.clone());
                format!("{} is now {}.", u.user.name, u.user.role)
            })));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = toggle.value().get() {
            said.set(Some(r.map(|u| {
                disabled_now.set(u.user.banned);
                format!(
                    "{} is {}.",
                    u.user.name,
                    if u.user.banned {
                        "disabled; their sessions have ended"
                    } else {
                        "enabled again"
                    }
                )
            })));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = resend.value().get() {
            said.set(Some(
                r.map(|s: StatusResponse| s.message.unwrap_or_default()),
            ));
        }
    });
    let (id_role, id_toggle, id_resend) = (id.clone(), id.clone(), id.clone());
    view! {
        <div class="mt-1 flex flex-wrap gap-1.5 text-xs">
            <span class="rounded-full bg-indigo-50 px-2 py-0.5 font-medium text-indigo-700">{move || role_now.get()}</span>
            {enrollment_pending.then(|| view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 font-medium text-amber-900">"enrollment pending"</span> })}
            {(!enrollment_pending && !verified).then(|| view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-slate-600">"email not verified"</span> })}
            {move || disabled_now.get().then(|| view! { <span class="rounded-full bg-red-100 px-2 py-0.5 font-medium text-red-800">"disabled"</span> })}
        </div>
        {(!manageable && !is_me).then(|| view! {
            <p class="mt-1 text-xs text-slate-500">"Only someone with a higher role can change this account."</p>
        })}
        {move || said.get().map(|r| match r {
            Ok(m) => view! { <div class="mt-3"><Alert tone=Tone::Success>{m}</Alert></div> }.into_any(),
            Err(e) => view! { <div class="mt-3"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
        })}
        {manageable.then(|| view! {
            <div class="mt-3 flex flex-wrap items-center gap-2">
                <label class="sr-only" for=format!("role-of-{id}")>{format!("Role of {email}")}</label>
                <select id=format!("role-of-{id}") class="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm" on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {roles.iter().map(|r| {
                        let current = r.clone();
                        view! { <option value=r.clone() selected=move || role_now.get_untracked() == current>{r.clone()}</option> }
                    }).collect_view()}
                </select>
                <button type="button" class=SMALL_BUTTON
                    disabled=move || !hydrated.get() || change_role.pending().get() || chosen.get() == role_now.get()
                    on:click=move |_| { change_role.dispatch(SetRoleBody { user_id: Some(id_role.clone()), role: Some(chosen.get()) }); }
                >"Change role"</button>
                {enrollment_pending.then(|| view! {
                    <button type="button" class=SMALL_BUTTON
                        disabled=move || !hydrated.get() || resend.pending().get()
                        on:click=move |_| { resend.dispatch(id_resend.clone()); }
                    >"Resend enrollment"</button>
                })}
                // Nobody disables themselves (the server refuses it too).
                {(!is_me).then(|| view! {
                    <button type="button"
                        class=move || if disabled_now.get() { SMALL_BUTTON } else { DANGER_BUTTON }
                        disabled=move || !hydrated.get() || toggle.pending().get()
                        on:click=move |_| { toggle.dispatch((id_toggle.clone(), !disabled_now.get())); }
                    >{move || if disabled_now.get() { "Enable" } else { "Disable" }}</button>
                })}
            </div>
        })}
    }
}
