//! `/account` (issue 27, first part): the signed-in person's own account:
//! who they are, and the devices signed in to it, to sign out of any of
//! them, of every other one, or of all. Plain forms: no WebAssembly.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_query_map};

use crate::{
    accounts::{
        list_sessions, ChangeEmail, ChangePassword, DeleteUser, ListedSession, RevokeOtherSessions,
        RevokeSession, RevokeSessions, SessionWithUser, UpdateUser,
    },
    pages::{forms::take_flash, use_session},
    ui::{format_time, Alert, FormReturn, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

const BACK: &str = "/account";

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let devices = Resource::new(|| (), |_| list_sessions());
    let flash = take_flash();
    let done = use_query_map().with_untracked(|q| q.get("done"));
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || session.0.get().map(|result| match result {
                Ok(Some(s)) => view! {
                    <Account
                        session=s
                        devices=devices.get().and_then(Result::ok).unwrap_or_default()
                        error=flash.clone().map(|f| f.error.message)
                        done=done.clone()
                    />
                }.into_any(),
                Ok(None) => view! { <Redirect path="/sign-in?redirectTo=/account" /> }.into_any(),
                Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Account(
    session: SessionWithUser,
    devices: Vec<ListedSession>,
    error: Option<String>,
    done: Option<String>,
) -> impl IntoView {
    let user = session.user;
    let (profile_name, profile_image) = (user.name.clone(), user.image.clone().unwrap_or_default());
    let others = devices.iter().filter(|d| !d.current).count();
    let done = done.and_then(|d| match d.as_str() {
        "profile" => Some("Your name and picture are saved."),
        "password" => Some("Your password is changed."),
        "email" => {
            Some("A link is on its way to the new address: your address changes when you open it.")
        }
        "delete" => Some(
            "A link is on its way to your address: your account is deleted once you open it and confirm.",
        ),
        _ => None,
    });
    view! {
        <div class="mx-auto max-w-3xl">
            <h1 class="text-2xl font-semibold tracking-tight">"Your account"</h1>
            {error.map(|e| view! { <div class="mt-4"><Alert tone=Tone::Error>{e}</Alert></div> })}
            {done.map(|d| view! { <div class="mt-4"><Alert tone=Tone::Success>{d}</Alert></div> })}
            <section class="mt-6 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                <dl class="grid grid-cols-1 gap-4 sm:grid-cols-3">
                    <div class="min-w-0">
                        <dt class="text-sm text-slate-500">"Name"</dt>
                        <dd class="mt-1 truncate font-medium">{user.name}</dd>
                    </div>
                    <div class="min-w-0">
                        <dt class="text-sm text-slate-500">"Email"</dt>
                        <dd class="mt-1 truncate font-medium">{user.email}</dd>
                        <dd class="text-xs text-slate-500">{if user.email_verified { "Verified" } else { "Not verified yet" }}</dd>
                    </div>
                    <div>
                        <dt class="text-sm text-slate-500">"Role"</dt>
                        <dd class="mt-1 font-medium">{user.role}</dd>
                    </div>
                </dl>
            </section>
            <div class="mt-8 grid grid-cols-1 gap-8 md:grid-cols-2">
                <form method="post" action=UpdateUser::PATH aria-label="Profile" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                    <FormReturn back=BACK next="/account?done=profile" />
                    <h2 class="font-semibold text-slate-900">"Profile"</h2>
                    <div class="mt-4">
                        <label for="profile-name" class=LABEL>"Name"</label>
                        <input id="profile-name" name="name" required maxlength="100" autocomplete="name" value=profile_name class=INPUT />
                    </div>
                    <div class="mt-4">
                        <label for="profile-image" class=LABEL>"Picture"<span class="font-normal text-slate-500">" (an https address, optional)"</span></label>
                        <input id="profile-image" name="image" type="url" value=profile_image class=INPUT />
                    </div>
                    <button type="submit" class=format!("mt-5 {SMALL_BUTTON}")>"Save profile"</button>
                </form>
                <form method="post" action=ChangePassword::PATH aria-label="Change password" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                    <FormReturn back=BACK next="/account?done=password" />
                    <h2 class="font-semibold text-slate-900">"Change password"</h2>
                    <div class="mt-4">
                        <label for="current-password" class=LABEL>"Current password"</label>
                        <input id="current-password" name="currentPassword" type="password" required autocomplete="current-password" class=INPUT />
                    </div>
                    <div class="mt-4">
                        <label for="new-password" class=LABEL>"New password"</label>
                        <input id="new-password" name="newPassword" type="password" required minlength="8" autocomplete="new-password" class=INPUT />
                    </div>
                    <div class="mt-4">
                        <label for="repeat-password" class=LABEL>"New password, again"</label>
                        <input id="repeat-password" name="_repeat" type="password" required autocomplete="new-password" class=INPUT />
                    </div>
                    <label class="mt-4 flex items-center gap-2 text-sm text-slate-700">
                        <input type="checkbox" name="revokeOtherSessions" value="true" class="h-4 w-4 rounded border-slate-300" />
                        "Sign out my other devices"
                    </label>
                    <button type="submit" class=format!("mt-5 {SMALL_BUTTON}")>"Change password"</button>
                </form>
                <form method="post" action=ChangeEmail::PATH aria-label="Email address" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm md:col-span-2">
                    <FormReturn back=BACK next="/account?done=email" />
                    <h2 class="font-semibold text-slate-900">"Email address"</h2>
                    <p class="mt-1 text-sm text-slate-600">"We send a link to the new address, and tell the old one. Nothing changes until the link is opened."</p>
                    <div class="mt-4 flex flex-col gap-3 sm:flex-row sm:items-end">
                        <div class="min-w-0 flex-1">
                            <label for="new-email" class=LABEL>"New email address"</label>
                            <input id="new-email" name="newEmail" type="email" required autocomplete="email" class=INPUT />
                        </div>
                        <button type="submit" class=SMALL_BUTTON>"Send a confirmation link"</button>
                    </div>
                </form>
            </div>
            <section class="mt-8 rounded-xl border border-slate-200 bg-white shadow-sm" aria-labelledby="devices-heading">
                <div class="border-b border-slate-200 px-6 py-4">
                    <h2 id="devices-heading" class="font-semibold text-slate-900">"Where you are signed in"</h2>
                    <p class="mt-1 text-sm text-slate-600">"Sign out of a device you do not recognize, or no longer use. It is signed out at once."</p>
                </div>
                <ul class="divide-y divide-slate-200" data-testid="devices">
                    {devices.into_iter().map(|d| view! { <Device device=d /> }).collect_view()}
                </ul>
                <div class="flex flex-wrap gap-2 border-t border-slate-200 px-6 py-4">
                    {(others > 0).then(|| view! {
                        <form method="post" action=RevokeOtherSessions::PATH>
                            <FormReturn back=BACK next=BACK />
                            <button type="submit" class=SMALL_BUTTON>{format!("Sign out everywhere else ({others})")}</button>
                        </form>
                    })}
                    <form method="post" action=RevokeSessions::PATH>
                        <FormReturn back=BACK next="/sign-in" />
                        <button type="submit" class=DANGER_BUTTON>"Sign out everywhere"</button>
                    </form>
                </div>
            </section>
            <form method="post" action=DeleteUser::PATH aria-label="Delete account" class="mt-8 rounded-xl border border-red-200 bg-white p-6 shadow-sm">
                <FormReturn back=BACK next="/account?done=delete" />
                <h2 class="font-semibold text-red-800">"Delete account"</h2>
                <p class="mt-1 text-sm text-slate-600">"Your account, your memberships and your sessions are deleted for good. We send a link to your address to confirm. The last owner of an organization or of this instance must hand it over first."</p>
                <div class="mt-4 flex flex-col gap-3 sm:flex-row sm:items-end">
                    <div class="min-w-0 flex-1">
                        <label for="delete-password" class=LABEL>"Your password"</label>
                        <input id="delete-password" name="password" type="password" required autocomplete="current-password" class=INPUT />
                    </div>
                    <button type="submit" class=DANGER_BUTTON>"Delete my account"</button>
                </div>
            </form>
        </div>
    }
}

#[component]
fn Device(device: ListedSession) -> impl IntoView {
    let d = device;
    let place = d
        .ip_address
        .clone()
        .unwrap_or_else(|| "an unknown address".into());
    view! {
        <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-6 py-4" data-testid="device">
            <div class="min-w-0">
                <p class="flex items-center gap-2 font-medium text-slate-900">
                    {d.device.clone()}
                    {d.current.then(|| view! {
                        <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"This device"</span>
                    })}
                </p>
                <p class="text-sm text-slate-500">
                    {format!("From {place} · signed in {} · last active {}", format_time(&d.created_at), format_time(&d.updated_at))}
                </p>
            </div>
            {(!d.current).then(|| view! {
                <form method="post" action=RevokeSession::PATH>
                    <FormReturn back=BACK next=BACK />
                    <input type="hidden" name="token" value=d.id.clone() />
                    <button type="submit" class=SMALL_BUTTON aria-label=format!("Sign out {}", d.device)>"Sign out"</button>
                </form>
            })}
        </li>
    }
}
