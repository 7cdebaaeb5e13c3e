//! `/admin/invites`: the role invite form and the invitation list (SPEC §4).
//!
//! The page is rendered on the server: its filters, search and paging are
//! links and a GET form, and the invite form and each row's *Resend* and
//! *Cancel* are forms the browser sends (`pages::forms`). The list comes
//! back after each, and a new invitation's secret crosses that redirect
//! sealed (`_keep`), to be shown once, never in the address.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    error::Code,
    invitations::{
        role::{
            invite_options, list_invites, CancelInvite, CreateInvite, InviteOptions, InviteView,
            ResendInvite, PAGE_SIZE,
        },
        secret::SecretKind,
        status::Status,
    },
    pages::{
        bulk_invite::BulkInviteForm,
        forms::{take_flash, take_kept, Enhanced},
    },
    ui::{
        format_time, Alert, CopyButton, FormFlash, FormReturn, PageHeader, PageLinks, SubmitButton,
        Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
};

const BACK: &str = "/admin/invites";

const DAY: u64 = 86_400;
const EXPIRY_CHOICES: [(u64, &str); 6] = [
    (3_600, "1 hour"),
    (DAY, "1 day"),
    (3 * DAY, "3 days"),
    (7 * DAY, "7 days"),
    (14 * DAY, "14 days"),
    (30 * DAY, "30 days"),
];

const FILTERS: [(&str, &str); 6] = [
    ("", "All"),
    ("pending", "Pending"),
    ("used", "Used"),
    ("expired", "Expired"),
    ("canceled", "Canceled"),
    ("rejected", "Declined"),
];

#[component]
pub fn AdminInvitesPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let status = query
        .get("status")
        .filter(|s| FILTERS.iter().any(|(value, _)| value == s))
        .unwrap_or_default();
    let search = query.get("search").unwrap_or_default();
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<u32>().ok())
        .unwrap_or(0);
    // Read outside the list's `Suspense`, before anything else reads the
    // request: what the last form kept, or why it was refused.
    let created = take_kept::<Created>();
    let (create_flash, flash) = FormFlash::split(take_flash(), CREATE_FORM);
    let options = Resource::new(|| (), |_| invite_options());
    let invites = Resource::new(
        {
            let (status, search) = (status.clone(), search.clone());
            move || (status.clone(), search.clone(), offset)
        },
        |(status, search, offset)| list_invites(Some(status), Some(search), None, Some(offset)),
    );
    view! {
        <Title text="Invitations" />
        <div class="mx-auto max-w-5xl">
            <PageHeader
                title="Invitations"
                subtitle="Invite people with a role. An invitation for an email address is sent to that person; one without an address is a link or code you share yourself."
            />
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
            <Enhanced>{created.map(|created| view! { <CreatedInvite created /> })}</Enhanced>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || {
                    let (status, search) = (status.clone(), search.clone());
                    let create_flash = create_flash.clone();
                    options.get().zip(invites.get()).map(move |r| match r {
                        (Ok(options), Ok(list)) => view! {
                            <div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
                                <div class="flex flex-col gap-6 lg:col-span-2">
                                    {
                                        let form = view! { <InviteForm options=options.clone() flash=create_flash.clone() /> };
                                        view! { <Enhanced>{form}</Enhanced> }
                                    }
                                    <BulkInviteForm organization_id=None roles=options.roles.iter().map(|r| r.name.clone()).collect() teams=false />
                                </div>
                                <section class="lg:col-span-3" aria-label="Invitations list">
                                    <ListFilters status=status.clone() search=search.clone() />
                                    {if list.invitations.is_empty() {
                                        view! {
                                            <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">"No invitations here."</div>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <Enhanced><ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="invites">
                                                {list.invitations.into_iter().map(|invite| view! { <InviteRow invite /> }).collect_view()}
                                            </ul></Enhanced>
                                        }.into_any()
                                    }}
                                    <PageLinks
                                        base="/admin/invites"
                                        query=vec![("status", status), ("search", search)]
                                        offset=i64::from(offset)
                                        page_size=i64::from(PAGE_SIZE)
                                        total=list.total
                                        labels=("Newer", "Older")
                                    />
                                </section>
                            </div>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) if e.code == Code::Unauthorized => view! { <Alert tone=Tone::Error>"Sign in as an admin to invite people."</Alert> }.into_any(),
                        (Err(e), _) | (_, Err(e)) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                    })
                }}
            </Suspense>
        </div>
    }
}

/// The status filters as links, and the search as a GET form that keeps
/// the filter.
#[component]
fn ListFilters(status: String, search: String) -> impl IntoView {
    view! {
        <div class="mb-3 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
            <crate::ui::StatusLinks
                filters=&FILTERS
                current=status.clone()
                href={
                    let search = search.clone();
                    move |value: &str| crate::ui::paged_href("/admin/invites", &[("status", value.to_owned()), ("search", search.clone())], 0)
                }
                class="gap-1.5"
            />
            <form method="get" action="/admin/invites" role="search">
                {(!status.is_empty()).then(|| view! { <input type="hidden" name="status" value=status.clone() /> })}
                <label class="sr-only" for="invite-search">"Search by email"</label>
                <input
                    id="invite-search"
                    name="search"
                    type="search"
                    placeholder="Search by email"
                    value=search
                    class="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm sm:w-56"
                />
            </form>
        </div>
    }
}

/// The usual choices up to the instance's maximum, plus the configured
/// default when it is not one of them, so the form always starts on it.
fn expiry_choices(default: u64, max: u64) -> Vec<(u64, String)> {
    let mut choices: Vec<(u64, String)> = EXPIRY_CHOICES
        .iter()
        .filter(|(secs, _)| *secs <= max)
        .map(|(secs, label)| (*secs, (*label).to_owned()))
        .collect();
    if !choices.iter().any(|(secs, _)| *secs == default) {
        let label = match default {
            s if s % DAY == 0 => format!("{} days", s / DAY),
            s if s % 3_600 == 0 => format!("{} hours", s / 3_600),
            s => format!("{} minutes", s.div_ceil(60)),
        };
        choices.push((default, label));
        choices.sort_by_key(|(secs, _)| *secs);
    }
    choices
}

/// Creates the invitation; the list comes back on its first page, where
/// the new one is, with what the answer kept (`KEEP`) shown above it.
#[component]
fn InviteForm(options: InviteOptions, flash: Option<FormFlash>) -> impl IntoView {
    let typed = |name: &str| FormFlash::value(&flash, name);
    let role = Some(typed("role"))
        .filter(|r| options.roles.iter().any(|o| o.name == *r))
        .or_else(|| options.roles.first().map(|r| r.name.clone()))
        .unwrap_or_default();
    let kind = match typed("tokenType").as_str() {
        "code" => SecretKind::Code,
        "token" => SecretKind::Link,
        _ => options.default_token_type,
    };
    let expires = typed("expiresIn")
        .parse()
        .unwrap_or(options.default_expires_in);
    // Unticked only when the refused post said so.
    let share_name = flash.is_none() || typed("shareInviterName") == "true";
    let field_error = |codes: &'static [Code]| {
        FormFlash::field_error(&flash, codes)
            .map(|m| view! { <p class="mt-1 text-sm text-red-600" role="alert">{m}</p> })
    };
    view! {
        <form method="post" action=CreateInvite::PATH novalidate class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6" aria-label="Invite someone">
            <FormReturn back=BACK next=BACK form=CREATE_FORM />
            <input type="hidden" name="_split" value="email" />
            <input type="hidden" name="_keep" value=KEEP />
            <h2 class="text-lg font-semibold">"Invite someone"</h2>
            {FormFlash::form_error(&flash, FIELD_CODES).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            <div class="mt-4">
                <label for="invite-emails" class=LABEL>"Email addresses"<span class="font-normal text-slate-500">" (optional)"</span></label>
                <textarea
                    id="invite-emails"
                    name="email"
                    rows="2"
                    class=INPUT
                    placeholder="ada@example.com, grace@example.com"
                    aria-describedby="invite-emails-hint"
                >{typed("email")}</textarea>
                <p id="invite-emails-hint" class="mt-1 text-xs text-slate-500">
                    "Each address gets its own invitation by email, usable once by that person. Leave it empty for a public invitation that anyone with the link or code can use."
                </p>
                {field_error(EMAIL_CODES)}
            </div>
            <fieldset class="mt-5">
                <legend class=LABEL>"Role"</legend>
                <div class="mt-2 space-y-2">
                    {options.roles.iter().map(|r| {
                        let id = format!("role-{}", r.name);
                        view! {
                            <label for=id.clone() class="flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50">
                                <input id=id.clone() type="radio" name="role" value=r.name.clone() class="mt-1" checked=r.name == role />
                                <span>
                                    <span class="block font-medium text-slate-900">{r.name.clone()}</span>
                                    <span class="block text-sm text-slate-600">{r.description.clone()}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset class="mt-5">
                <legend class=LABEL>"A public invitation is shared as"</legend>
                <div class="mt-2 flex gap-4 text-sm">
                    <label class="flex items-center gap-2">
                        <input type="radio" name="tokenType" value="token" checked=kind == SecretKind::Link />
                        "Link"
                    </label>
                    <label class="flex items-center gap-2">
                        <input type="radio" name="tokenType" value="code" checked=kind == SecretKind::Code />
                        "8-character code"
                    </label>
                </div>
                <p class="mt-1 text-xs text-slate-500">"An invitation sent by email always carries a link."</p>
                {field_error(&[Code::InvalidTokenType])}
            </fieldset>
            <div class="mt-5 grid grid-cols-2 gap-4">
                <div>
                    <label for="invite-expiry" class=LABEL>"Expires after"</label>
                    <select id="invite-expiry" name="expiresIn" class=INPUT>
                        {expiry_choices(options.default_expires_in, options.max_expires_in).into_iter().map(|(secs, label)| view! {
                            <option value=secs.to_string() selected=secs == expires>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="invite-max-uses" class=LABEL>"Max uses"</label>
                    <input
                        id="invite-max-uses"
                        name="maxUses"
                        type="number"
                        min="1"
                        inputmode="numeric"
                        class=INPUT
                        placeholder="No limit"
                        aria-describedby="invite-max-uses-hint"
                        value=typed("maxUses")
                    />
                    <p id="invite-max-uses-hint" class="mt-1 text-xs text-slate-500">"For a public invitation; one sent by email is used once."</p>
                    {field_error(&[Code::InvalidMaxUses])}
                </div>
            </div>
            <div class="mt-5">
                <label for="invite-redirect" class=LABEL>"After accepting, go to"<span class="font-normal text-slate-500">" (optional)"</span></label>
                <input id="invite-redirect" name="redirectToAfterUpgrade" class=INPUT placeholder="/dashboard" value=typed("redirectToAfterUpgrade") />
                {field_error(&[Code::InvalidRedirectUrl])}
            </div>
            <label class="mt-5 flex items-center gap-2 text-sm text-slate-700">
                // Unticked, the hidden `false` is what goes (`ui::form_bool`).
                <input type="hidden" name="shareInviterName" value="false" />
                <input type="checkbox" name="shareInviterName" value="true" checked=share_name />
                "Show my name on the invitation"
            </label>
            <div class="mt-6">
                <SubmitButton label="Create invitation" pending_label="Creating…" />
            </div>
        </form>
    }
}

/// The invite form, whose errors show in it.
const CREATE_FORM: &str = "invite";
const EMAIL_CODES: &[Code] = &[Code::InvalidEmail, Code::TooManyEmails];
const FIELD_CODES: &[Code] = &[
    Code::InvalidEmail,
    Code::TooManyEmails,
    Code::InvalidTokenType,
    Code::InvalidMaxUses,
    Code::InvalidRedirectUrl,
];

/// What the next page shows of `invite/create`'s and `invite/resend`'s
/// answer: the secret of a public invitation, or who was sent one.
const KEEP: &str = "url,code,message,invitations.*.email";

/// `KEEP` of an answer, as the next page reads it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Created {
    message: String,
    url: Option<String>,
    code: Option<String>,
    invitations: Vec<Sent>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Sent {
    email: Option<String>,
}

/// The invitation just created or resent, with its secret: shown once, on
/// the load after the form or a row's *Resend*, and never again.
#[component]
fn CreatedInvite(created: Created) -> impl IntoView {
    let body = match (&created.url, &created.code) {
        (Some(url), Some(code)) => view! {
            <p class="text-sm text-emerald-900">"Share this code. It is shown only now."</p>
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <code data-testid="invite-code" class="rounded-md bg-white px-3 py-2 font-mono text-2xl font-semibold tracking-widest">{code.clone()}</code>
                <CopyButton text=code.clone() label="Copy code" />
            </div>
            <p class="mt-3 text-sm text-emerald-900">"People enter it at "<span class="font-mono">"/invite"</span>", or open:"</p>
            <div class="mt-1 flex items-center gap-3">
                <code class="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-sm">{url.clone()}</code>
                <CopyButton text=url.clone() label="Copy link" />
            </div>
        }.into_any(),
        (Some(url), None) => view! {
            <p class="text-sm text-emerald-900">"Share this link. It is shown only now."</p>
            <div class="mt-3 flex items-center gap-3">
                <code data-testid="invite-link" class="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-sm">{url.clone()}</code>
                <CopyButton text=url.clone() label="Copy link" />
            </div>
        }.into_any(),
        _ => view! {
            <p class="text-sm text-emerald-900">
                {created.message.clone()}": "
                {created.invitations.iter().filter_map(|i| i.email.clone()).collect::<Vec<_>>().join(", ")}
                "."
            </p>
        }.into_any(),
    };
    view! {
        <section role="status" aria-label="Invitation created" class="mb-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5">
            <div class="flex items-start justify-between gap-4">
                <h2 class="font-semibold text-emerald-900">"Invitation ready"</h2>
                <a href=BACK class="text-sm text-emerald-800 hover:underline">"Dismiss"</a>
            </div>
            <div class="mt-2 flex flex-col gap-5 sm:flex-row sm:items-start">
                <div class="min-w-0 flex-1">{body}</div>
                {created.url.clone().map(|url| view! {
                    <div class="shrink-0 text-center">
                        <img src=format!("{url}/qr.svg") alt="QR code of the invitation" width="144" height="144"
                            class="mx-auto h-36 w-36 rounded-md border border-emerald-200 bg-white p-2" data-testid="invite-qr" />
                        <a href=format!("{url}/qr") target="_blank" class="mt-2 inline-block text-sm font-medium text-emerald-800 hover:underline">"Printable card"</a>
                    </div>
                })}
            </div>
        </section>
    }
}

#[component]
fn InviteRow(invite: InviteView) -> impl IntoView {
    let who = invite
        .email
        .clone()
        .unwrap_or_else(|| match invite.token_type {
            SecretKind::Code => "Public code".into(),
            SecretKind::Link => "Public link".into(),
        });
    let uses = match invite.max_uses {
        Some(max) => format!("{} of {max} used", invite.uses),
        None => format!("{} used, no limit", invite.uses),
    };
    let by = invite
        .created_by
        .as_ref()
        .map(|p| format!("by {}", p.name))
        .unwrap_or_else(|| "by Gatehouse".into());
    view! {
        <li class="px-4 py-4 sm:px-5" data-testid="invite-row">
            <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <div class="flex flex-wrap items-center gap-2">
                        <span class="truncate font-medium text-slate-900">{who}</span>
                        <span class="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">{invite.role.clone()}</span>
                    </div>
                    <p class="mt-1 text-xs text-slate-500">
                        {format!("{uses} · {} · created {} {by}", invite.expires_in, format_time(&invite.created_at))}
                    </p>
                    {(!invite.used_by.is_empty()).then(|| view! {
                        <ul class="mt-2 space-y-0.5 text-xs text-slate-600">
                            {invite.used_by.iter().map(|u| view! {
                                <li>{format!("{} ({}) · {} → {} · {}", u.user.name, u.user.email, u.previous_role.clone().unwrap_or_else(|| "new account".into()), u.new_role, format_time(&u.used_at))}</li>
                            }).collect_view()}
                        </ul>
                    })}
                </div>
                <div class="shrink-0"><InviteControls id=invite.id status=invite.status /></div>
            </div>
        </li>
    }
}

/// A row's status and its *Resend* and *Cancel*, forms the browser sends:
/// the list comes back with the row as it is now, and after *Resend* the
/// new secret above it.
#[component]
fn InviteControls(id: String, status: Status) -> impl IntoView {
    let (label, class) = match status {
        Status::Pending => ("pending", "bg-emerald-100 text-emerald-800"),
        Status::Used => ("used", "bg-slate-200 text-slate-700"),
        Status::Canceled => ("canceled", "bg-slate-200 text-slate-700"),
        Status::Rejected => ("declined", "bg-slate-200 text-slate-700"),
        Status::Expired => ("expired", "bg-amber-100 text-amber-900"),
    };
    let open = matches!(status, Status::Pending | Status::Expired);
    view! {
        <div class="flex flex-wrap items-center gap-2 sm:justify-end">
            <span data-testid="invite-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span>
            {open.then(|| view! {
                <form method="post" action=ResendInvite::PATH>
                    <FormReturn back=BACK />
                    <input type="hidden" name="_keep" value=KEEP />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class=SMALL_BUTTON data-pending="Sending…">"Resend"</button>
                </form>
                <form method="post" action=CancelInvite::PATH>
                    <FormReturn back=BACK />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class=DANGER_BUTTON data-pending="Canceling…">"Cancel"</button>
                </form>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_choices_respect_the_maximum_and_include_the_default() {
        let secs: Vec<u64> = expiry_choices(7 * DAY, 30 * DAY)
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(secs, [3_600, DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY]);
        let short = expiry_choices(2 * DAY, 3 * DAY);
        let labels: Vec<&str> = short.iter().map(|c| c.1.as_str()).collect();
        assert_eq!(labels, ["1 hour", "1 day", "2 days", "3 days"]);
    }
}
