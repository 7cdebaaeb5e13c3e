//! `/admin/users`: the users list (search, paging), creating an account by
//! enrollment, changing roles, disabling, and resending enrollment.
//!
//! The page is rendered on the server and every form on it is sent by the
//! browser (`pages::forms`), so it all works before any script runs; the
//! create form's island only checks its fields first and shows that it is
//! on its way.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{domain::Email, RequestPasswordReset, UserView},
    error::Code,
    pages::{
        forms::{take_flash, Enhanced},
        use_frame, use_session,
    },
    ui::{
        format_time, Alert, Check, Field, FormFlash, FormReturn, PageHeader, PageLinks,
        SubmitButton, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
    users::{
        access::Access, list_users, BanUser, CreateUser, DisableUser, EnableUser, ImpersonateUser,
        ListedUser, RemoveUser, ResendEnrollment, RevokeUserSessions, SetRole, PAGE_SIZE,
    },
};

const BACK: &str = "/admin/users";
/// The create form, whose errors show in it rather than above the list.
const CREATE_FORM: &str = "create";
const NAME_CODES: &[Code] = &[Code::InvalidName];
const EMAIL_CODES: &[Code] = &[Code::InvalidEmail, Code::UserAlreadyExists];
const CREATE_FIELD_CODES: &[Code] = &[
    Code::InvalidName,
    Code::InvalidEmail,
    Code::UserAlreadyExists,
];

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
    // A row's own form says what it changed in that row.
    let row_done = query
        .get("done")
        .and_then(|d| RowDone::parse(&d))
        .zip(query.get("user"))
        .map(|(what, user)| (user, what));
    let (create_flash, flash) = FormFlash::split(take_flash(), CREATE_FORM);
    let session = use_session();
    let access = use_frame().access.clone();
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
                    let me = session.clone().ok().flatten().map(|s| s.user.id);
                    let access = access.clone();
                    let search = search.clone();
                    let create_flash = create_flash.clone();
                    let row_done = row_done.clone();
                    users.get().map(move |r| match r {
                        Err(e) if e.code == Code::Unauthorized => view! { <Alert tone=Tone::Error>"Sign in as an admin to manage users."</Alert> }.into_any(),
                        Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                        Ok(list) => {
                            let roles = list.assignable_roles.clone();
                            // One island for every form of the page.
                            view! {
                                <Enhanced><div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
                                    <div class="lg:col-span-2">
                                        <CreateUserForm roles=roles.clone() flash=create_flash.clone() />
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
                                                let done = row_done.as_ref().filter(|(user, _)| *user == u.user.id).map(|(_, what)| *what);
                                                view! { <UserRow listed=u roles=roles.clone() is_me access=access.clone() done /> }
                                            }).collect_view()}
                                        </ul>
                                        <PageLinks base="/admin/users" query=vec![("search", search.clone())] offset=i64::from(offset) page_size=i64::from(PAGE_SIZE) total=list.total labels=("Newer", "Older") />
                                    </section>
                                </div></Enhanced>
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// Creates the account; the page loads again with it in the list, and
/// says so.
#[component]
fn CreateUserForm(roles: Vec<String>, flash: Option<FormFlash>) -> impl IntoView {
    let chosen = Some(FormFlash::value(&flash, "role")).filter(|r| !r.is_empty());
    view! {
        <form method="post" action=CreateUser::PATH novalidate aria-label="Create an account" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
                <FormReturn back=BACK next="/admin/users?created={email}" form=CREATE_FORM />
                <h2 class="text-lg font-semibold">"Create an account"</h2>
                <p class="mt-1 text-sm text-slate-600">"The person gets an email to choose their password."</p>
                {FormFlash::form_error(&flash, CREATE_FIELD_CODES).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
                <div class="mt-4">
                    <Field label="Name" name="name" autocomplete="off" check=Check::Name
                        value=FormFlash::value(&flash, "name") error=FormFlash::field_error(&flash, NAME_CODES) />
                    <Field label="Email" name="email" kind="email" autocomplete="off" check=Check::Email
                        value=FormFlash::value(&flash, "email") error=FormFlash::field_error(&flash, EMAIL_CODES) />
                    <label for="new-user-role" class=LABEL>"Role"</label>
                    <select id="new-user-role" name="role" class=INPUT>
                        {roles.into_iter().enumerate().map(|(i, r)| {
                            let selected = chosen.as_ref().map_or(i == 0, |c| *c == r);
                            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="mt-6">
                    <SubmitButton label="Create account" pending_label="Creating…" />
                </div>
            </form>
    }
}

#[component]
fn UserRow(
    listed: ListedUser,
    roles: Vec<String>,
    is_me: bool,
    access: Access,
    done: Option<RowDone>,
) -> impl IntoView {
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
                user
                enrollment_pending=listed.enrollment_pending
                manageable=listed.manageable
                is_me
                roles
                done
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

/// A row's state and controls, as plain forms: change the role, resend
/// enrollment, disable or enable. Each comes back to the list, where the
/// row says what changed (`RowDone`).
#[component]
fn UserControls(
    user: UserView,
    enrollment_pending: bool,
    manageable: bool,
    is_me: bool,
    roles: Vec<String>,
    done: Option<RowDone>,
) -> impl IntoView {
    let id = user.id.clone();
    let next = |what: &str| format!("{BACK}?done={what}&user={id}");
    let said = done.map(|done| match done {
        RowDone::Role => format!("{} is now {}.", user.name, user.role),
        RowDone::Disabled => format!("{} is disabled; their sessions have ended.", user.name),
        RowDone::Enabled => format!("{} is enabled again.", user.name),
        RowDone::Enrollment => format!(
            "A new enrollment link is on its way to {}; the old one no longer works.",
            user.email
        ),
    });
    let select_id = format!("role-of-{id}");
    view! {
        <div class="mt-1 flex flex-wrap gap-1.5 text-xs">
            <span class="rounded-full bg-indigo-50 px-2 py-0.5 font-medium text-indigo-700">{user.role.clone()}</span>
            {enrollment_pending.then(|| view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 font-medium text-amber-900">"enrollment pending"</span> })}
            {(!enrollment_pending && !user.email_verified).then(|| view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-slate-600">"email not verified"</span> })}
            {user.banned.then(|| view! { <span class="rounded-full bg-red-100 px-2 py-0.5 font-medium text-red-800">"disabled"</span> })}
        </div>
        {(!manageable && !is_me).then(|| view! {
            <p class="mt-1 text-xs text-slate-500">"Only someone with a higher role can change this account."</p>
        })}
        {said.map(|m| view! { <div class="mt-3"><Alert tone=Tone::Success>{m}</Alert></div> })}
        {manageable.then(|| view! {
            <div class="mt-3 flex flex-wrap items-center gap-2">
                <form method="post" action=SetRole::PATH class="flex flex-wrap items-center gap-2">
                    <FormReturn back=BACK next=next("role") />
                    <input type="hidden" name="userId" value=id.clone() />
                    <label class="sr-only" for=select_id.clone()>{format!("Role of {}", user.email)}</label>
                    <select id=select_id name="role" class="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm">
                        {roles.iter().map(|r| view! { <option value=r.clone() selected=*r == user.role>{r.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class=SMALL_BUTTON data-pending="Changing…">"Change role"</button>
                </form>
                {enrollment_pending.then(|| view! {
                    <form method="post" action=ResendEnrollment::PATH>
                        <FormReturn back=BACK next=next("enrollment") />
                        <input type="hidden" name="userId" value=id.clone() />
                        <button type="submit" class=SMALL_BUTTON data-pending="Sending…">"Resend enrollment"</button>
                    </form>
                })}
                // Nobody disables themselves (the server refuses it too).
                {(!is_me).then(|| {
                    let (action, what, label, class) = if user.banned {
                        (EnableUser::PATH, "enabled", "Enable", SMALL_BUTTON)
                    } else {
                        (DisableUser::PATH, "disabled", "Disable", DANGER_BUTTON)
                    };
                    view! {
                        <form method="post" action=action>
                            <FormReturn back=BACK next=next(what) />
                            <input type="hidden" name="userId" value=id.clone() />
                            <button type="submit" class=class data-pending="Saving…">{label}</button>
                        </form>
                    }
                })}
            </div>
        })}
    }
}

/// What a row's own form just changed, said in that row after the reload.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RowDone {
    Role,
    Disabled,
    Enabled,
    Enrollment,
}

impl RowDone {
    fn parse(done: &str) -> Option<Self> {
        Some(match done {
            "role" => Self::Role,
            "disabled" => Self::Disabled,
            "enabled" => Self::Enabled,
            "enrollment" => Self::Enrollment,
            _ => return None,
        })
    }
}
