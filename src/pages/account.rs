//! `/account` (issue 27, first part): the signed-in person's own account:
//! who they are, and the devices signed in to it, to sign out of any of
//! them, of every other one, or of all. Plain forms: no WebAssembly.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_query_map};

use crate::{
    accounts::{
        list_sessions,
        two_factor::{
            two_factor_status, GenerateBackupCodes, HideBackupCodes, Setup, TwoFactorDisable,
            TwoFactorEnable, TwoFactorStatus, VerifyTotp,
        },
        ChangeEmail, ChangePassword, DeleteUser, ListedSession, RevokeOtherSessions, RevokeSession,
        RevokeSessions, SessionWithUser, UpdateUser,
    },
    pages::{forms::take_flash, use_session},
    ui::{format_time, Alert, FormReturn, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

const BACK: &str = "/account";

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let devices = Resource::new(|| (), |_| list_sessions());
    let second = Resource::new(|| (), |_| two_factor_status());
    let flash = take_flash();
    let done = use_query_map().with_untracked(|q| q.get("done"));
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || match session.clone() {
                Ok(Some(s)) => view! {
                    <Account
                        session=s
                        devices=devices.get().and_then(Result::ok).unwrap_or_default()
                        second=second.get().and_then(Result::ok).unwrap_or_default()
                        error=flash.clone().map(|f| f.error.message)
                        done=done.clone()
                    />
                }.into_any(),
                Ok(None) => view! { <Redirect path="/sign-in?redirectTo=/account" /> }.into_any(),
                Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
            }}
        </Suspense>
    }
}

#[component]
fn Account(
    session: SessionWithUser,
    devices: Vec<ListedSession>,
    second: TwoFactorStatus,
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
        "two-factor" => Some("Two-factor authentication is on: signing in now asks for a code from your app."),
        "two-factor-off" => Some("Two-factor authentication is off."),
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
            <TwoFactor status=second />
            <section class="mt-8 rounded-xl border border-red-200 bg-white p-6 shadow-sm" aria-labelledby="delete-heading">
                <h2 id="delete-heading" class="font-semibold text-red-800">"Delete account"</h2>
                <p class="mt-1 text-sm text-slate-600">"Your account, your memberships and your sessions are deleted for good. We send a link to your address to confirm. The last owner of an organization or of this instance must hand it over first."</p>
                <WithPassword action=DeleteUser::PATH label="Delete account" next="/account?done=delete" id="delete-password" button="Delete my account" danger=true />
            </section>
        </div>
    }
}

/// Two-factor authentication: turn it on (the password, then the QR code,
/// the backup codes and the first code), or off (the password).
#[component]
fn TwoFactor(status: TwoFactorStatus) -> impl IntoView {
    let body = match (status.enabled, status.setup) {
        (true, _) => view! {
            <p class="mt-1 text-sm text-slate-600">
                <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"On"</span>
                {format!(" Signing in asks for a code from your authenticator app. Backup codes left: {}.", status.backup_codes_left)}
            </p>
            {if status.new_backup_codes.is_empty() {
                view! {
                    <WithPassword action=GenerateBackupCodes::PATH label="New backup codes" next="/account#two-factor" id="backup-codes-password" button="Get new backup codes" danger=false
                        back="/account#two-factor" hidden=("showOnPage", "true") />
                }.into_any()
            } else {
                view! { <NewBackupCodes codes=status.new_backup_codes /> }.into_any()
            }}
            <WithPassword action=TwoFactorDisable::PATH label="Turn off two-factor authentication" next="/account?done=two-factor-off" id="two-factor-off-password" button="Turn off" danger=true />
        }.into_any(),
        (false, Some(setup)) => view! { <FinishSetup setup /> }.into_any(),
        (false, None) => view! {
            <p class="mt-1 text-sm text-slate-600">"Add a second step to signing in: a code from an authenticator app on your phone, so a stolen password is not enough."</p>
            <WithPassword action=TwoFactorEnable::PATH label="Turn on two-factor authentication" next="/account#two-factor" id="two-factor-password" button="Set up two-factor authentication" danger=false />
        }.into_any(),
    };
    view! {
        <section id="two-factor" class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading" class="font-semibold text-slate-900">"Two-factor authentication"</h2>
            {body}
        </section>
    }
}

/// New backup codes, shown until the person says they saved them; the
/// old ones no longer work.
#[component]
fn NewBackupCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="mt-4 rounded-lg border border-amber-200 bg-amber-50 p-4">
            <p class="text-sm font-medium text-amber-950">"Your new backup codes. Keep them somewhere safe: the old ones no longer work, and these are not shown again."</p>
            <ul class="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 rounded-lg bg-white p-3 font-mono text-sm text-slate-900 sm:grid-cols-5" data-testid="new-backup-codes">
                {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
            </ul>
            <form method="post" action=HideBackupCodes::PATH class="mt-3">
                <FormReturn back=format!("{BACK}#two-factor") next="/account#two-factor" />
                <button type="submit" class=SMALL_BUTTON>"I have saved them"</button>
            </form>
        </div>
    }
}

/// A change that asks for the password again: the field and one button;
/// `back` where an error returns to (the page), `hidden` one more field.
#[component]
fn WithPassword(
    action: &'static str,
    label: &'static str,
    next: &'static str,
    id: &'static str,
    button: &'static str,
    danger: bool,
    #[prop(optional)] back: Option<&'static str>,
    #[prop(optional)] hidden: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <form method="post" action=action aria-label=label class="mt-4 flex flex-col gap-3 sm:flex-row sm:items-end">
            <FormReturn back=back.unwrap_or(BACK) next=next />
            {hidden.map(|(name, value)| view! { <input type="hidden" name=name value=value /> })}
            <div class="min-w-0 flex-1">
                <label for=id class=LABEL>"Your password"</label>
                <input id=id name="password" type="password" required autocomplete="current-password" class=INPUT />
            </div>
            <button type="submit" class=if danger { DANGER_BUTTON } else { SMALL_BUTTON }>{button}</button>
        </form>
    }
}

/// A setup waiting for its first code: the QR code to scan (or the key to
/// type), the backup codes to keep, and the code.
#[component]
fn FinishSetup(setup: Setup) -> impl IntoView {
    // The SVG the server drew, without its XML declaration.
    let qr = crate::invitations::qr::svg(&setup.totp_uri)
        .and_then(|svg| svg.find("<svg").map(|at| svg[at..].to_owned()))
        .unwrap_or_default();
    let key = setup
        .key
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <ol class="mt-4 grid grid-cols-1 gap-6 md:grid-cols-2">
            <li>
                <p class="text-sm font-medium text-slate-900">"1. Scan this code with your authenticator app"</p>
                <div class="mt-3 w-48 max-w-full [&>svg]:h-auto [&>svg]:w-full" role="img" aria-label="QR code of your two-factor secret" data-testid="totp-qr" inner_html=qr></div>
                <p class="mt-3 text-sm text-slate-600">"Cannot scan? Type this key:"</p>
                <p class="mt-1 break-all font-mono text-sm text-slate-900" data-testid="totp-key">{key}</p>
            </li>
            <li>
                <p class="text-sm font-medium text-slate-900">"2. Keep these backup codes somewhere safe"</p>
                <p class="mt-1 text-sm text-slate-600">"If you lose your phone, each one signs you in once. They are not shown again after this step."</p>
                <ul class="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 rounded-lg bg-slate-50 p-3 font-mono text-sm text-slate-900" data-testid="backup-codes">
                    {setup.backup_codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                </ul>
            </li>
        </ol>
        <form method="post" action=VerifyTotp::PATH aria-label="Confirm two-factor authentication" class="mt-6 flex flex-col gap-3 sm:flex-row sm:items-end">
            <FormReturn back=format!("{BACK}#two-factor") next="/account?done=two-factor" />
            <div class="min-w-0 flex-1">
                <label for="two-factor-code" class=LABEL>"3. The code your app shows now"</label>
                <input id="two-factor-code" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="7" class=format!("{INPUT} font-mono tracking-widest") />
            </div>
            <button type="submit" class=SMALL_BUTTON>"Turn on"</button>
        </form>
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
