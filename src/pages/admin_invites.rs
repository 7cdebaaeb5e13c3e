//! `/admin/invites`: the role invite form and the invitation list (SPEC §4).
//!
//! The list is rendered on the server: its filters, search and paging are
//! links and a GET form. Only the form, each row's controls and the panel
//! that shows a new secret run in the browser, as small islands. A new
//! invitation reloads the page, so the list shows it; its secret crosses
//! the reload in the tab's session storage (`ui::flash_and_go`), never in
//! the address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    error::{ApiError, Code},
    invitations::{
        role::{
            cancel_invite, create_invite, invite_options, list_invites, resend_invite,
            CreateInviteBody, CreateInviteResponse, IdBody, InviteOptions, InviteView, PAGE_SIZE,
        },
        secret::SecretKind,
        status::Status,
        OneOrMany,
    },
    pages::bulk_invite::BulkInviteForm,
    ui::{
        flash_and_go, format_time, split_addresses, take_flash, use_hydrated, Alert, CopyButton,
        LiveFieldset, PageHeader, PageLinks, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
};

const DAY: u64 = 86_400;
const EXPIRY_CHOICES: [(u64, &str); 6] = [
    (3_600, "1 hour"),
    (DAY, "1 day"),
    (3 * DAY, "3 days"),
    (7 * DAY, "7 days"),
    (14 * DAY, "14 days"),
    (30 * DAY, "30 days"),
];

/// Where a created or resent invitation waits for the reload that shows it.
const CREATED: &str = "gatehouse.invite-created";

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
            <CreatedInvite />
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || {
                    let (status, search) = (status.clone(), search.clone());
                    options.get().zip(invites.get()).map(move |r| match r {
                        (Ok(options), Ok(list)) => view! {
                            <div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
                                <div class="flex flex-col gap-6 lg:col-span-2">
                                    <InviteForm options=options.clone() />
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
                                            <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="invites">
                                                {list.invitations.into_iter().map(|invite| view! { <InviteRow invite /> }).collect_view()}
                                            </ul>
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

/// Creates the invitation, then reloads the list (on its first page, where
/// the new one is) with the result waiting to be shown above it.
#[island]
fn InviteForm(options: InviteOptions) -> impl IntoView {
    let hydrated = use_hydrated();
    let default_role = options
        .roles
        .first()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let emails = RwSignal::new(String::new());
    let role = RwSignal::new(default_role);
    let kind = RwSignal::new(options.default_token_type);
    let expires_in = RwSignal::new(options.default_expires_in);
    let max_uses = RwSignal::new(String::new());
    let redirect = RwSignal::new(String::new());
    let share_name = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let create = Action::new(|body: &CreateInviteBody| create_invite(body.clone()));
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => flash_and_go(CREATED, &created, Some("/admin/invites")),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let public = Signal::derive(move || emails.get().trim().is_empty());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list = split_addresses(&emails.get());
        let max = max_uses.get();
        let max_uses = match max.trim() {
            "" => None,
            n => match n.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    error.set(Some(ApiError::new(
                        Code::InvalidMaxUses,
                        "Max uses is a whole number, at least 1 (or empty for no limit).",
                    )));
                    return;
                }
            },
        };
        create.dispatch(CreateInviteBody {
            role: Some(role.get()),
            email: Some(OneOrMany::Many(list.clone())),
            // Invitations sent by email always carry a link.
            token_type: list.is_empty().then(|| kind.get().as_str().to_owned()),
            max_uses: if list.is_empty() { max_uses } else { None },
            expires_in: i64::try_from(expires_in.get()).ok(),
            redirect_to_after_upgrade: Some(redirect.get()).filter(|r| !r.trim().is_empty()),
            share_inviter_name: Some(share_name.get()),
        });
    };
    let field_error = move |codes: &'static [Code]| {
        move || {
            error.get().filter(|e| codes.contains(&e.code)).map(
                |e| view! { <p class="mt-1 text-sm text-red-600" role="alert">{e.message}</p> },
            )
        }
    };
    const EMAIL_CODES: &[Code] = &[Code::InvalidEmail, Code::TooManyEmails];
    const OTHER_FIELDS: &[Code] = &[
        Code::InvalidEmail,
        Code::TooManyEmails,
        Code::InvalidMaxUses,
        Code::InvalidRedirectUrl,
    ];
    view! {
        <form on:submit=on_submit novalidate class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6" aria-label="Invite someone">
            <LiveFieldset hydrated>
                <h2 class="text-lg font-semibold">"Invite someone"</h2>
                {move || error.get().filter(|e| !OTHER_FIELDS.contains(&e.code)).map(|e| view! { <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
                <div class="mt-4">
                    <label for="invite-emails" class=LABEL>"Email addresses"<span class="font-normal text-slate-500">" (optional)"</span></label>
                    <textarea
                        id="invite-emails"
                        name="emails"
                        rows="2"
                        class=INPUT
                        placeholder="ada@example.com, grace@example.com"
                        aria-describedby="invite-emails-hint"
                        prop:value=move || emails.get()
                        on:input=move |ev| emails.set(event_target_value(&ev))
                    ></textarea>
                    <p id="invite-emails-hint" class="mt-1 text-xs text-slate-500">
                        {move || if public.get() {
                            "Empty: a public invitation that anyone with the link or code can use."
                        } else {
                            "Each address gets its own invitation by email, usable once by that person."
                        }}
                    </p>
                    {field_error(EMAIL_CODES)}
                </div>
                <fieldset class="mt-5">
                    <legend class=LABEL>"Role"</legend>
                    <div class="mt-2 space-y-2">
                        {options.roles.iter().map(|r| {
                            let name = r.name.clone();
                            let checked = { let name = name.clone(); move || role.get() == name };
                            let id = format!("role-{}", r.name);
                            view! {
                                <label for=id.clone() class="flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50">
                                    <input
                                        id=id.clone()
                                        type="radio"
                                        name="role"
                                        value=name.clone()
                                        class="mt-1"
                                        prop:checked=checked
                                        on:change={ let name = name.clone(); move |_| role.set(name.clone()) }
                                    />
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
                    <legend class=LABEL>"Share as"</legend>
                    <div class="mt-2 flex gap-4 text-sm">
                        <label class="flex items-center gap-2">
                            <input type="radio" name="kind" value="link" prop:checked=move || !public.get() || kind.get() == SecretKind::Link on:change=move |_| kind.set(SecretKind::Link) />
                            "Link"
                        </label>
                        <label class="flex items-center gap-2 has-[:disabled]:text-slate-400">
                            <input type="radio" name="kind" value="code" disabled=move || !public.get() prop:checked=move || public.get() && kind.get() == SecretKind::Code on:change=move |_| kind.set(SecretKind::Code) />
                            "8-character code"
                        </label>
                    </div>
                    {move || (!public.get()).then(|| view! { <p class="mt-1 text-xs text-slate-500">"An invitation sent by email always carries a link."</p> })}
                </fieldset>
                <div class="mt-5 grid grid-cols-2 gap-4">
                    <div>
                        <label for="invite-expiry" class=LABEL>"Expires after"</label>
                        <select
                            id="invite-expiry"
                            name="expires"
                            class=INPUT
                            on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { expires_in.set(v) } }
                        >
                            {expiry_choices(options.default_expires_in, options.max_expires_in).into_iter().map(|(secs, label)| view! {
                                <option value=secs.to_string() selected=move || expires_in.get_untracked() == secs>{label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <label for="invite-max-uses" class=LABEL>"Max uses"</label>
                        <input
                            id="invite-max-uses"
                            name="max-uses"
                            type="number"
                            min="1"
                            inputmode="numeric"
                            class=INPUT
                            placeholder=move || if public.get() { "No limit" } else { "1 per person" }
                            disabled=move || !public.get()
                            prop:value=move || max_uses.get()
                            on:input=move |ev| max_uses.set(event_target_value(&ev))
                        />
                        {field_error(&[Code::InvalidMaxUses])}
                    </div>
                </div>
                <div class="mt-5">
                    <label for="invite-redirect" class=LABEL>"After accepting, go to"<span class="font-normal text-slate-500">" (optional)"</span></label>
                    <input
                        id="invite-redirect"
                        name="redirect"
                        class=INPUT
                        placeholder="/dashboard"
                        prop:value=move || redirect.get()
                        on:input=move |ev| redirect.set(event_target_value(&ev))
                    />
                    {field_error(&[Code::InvalidRedirectUrl])}
                </div>
                <label class="mt-5 flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" name="share-name" prop:checked=move || share_name.get() on:change=move |ev| share_name.set(event_target_checked(&ev)) />
                    "Show my name on the invitation"
                </label>
                <button
                    type="submit"
                    class="mt-6 inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:cursor-not-allowed disabled:opacity-60"
                    disabled=move || !hydrated.get() || create.pending().get()
                >
                    {move || if create.pending().get() { "Creating…" } else if public.get() { "Create invitation" } else { "Send invitation" }}
                </button>
            </LiveFieldset>
        </form>
    }
}

/// The invitation just created or resent, with its secret: shown once, on
/// the load after the form or a row's *Resend* kept it.
#[island]
fn CreatedInvite() -> impl IntoView {
    let result = RwSignal::new(None::<CreateInviteResponse>);
    Effect::new(move |_| result.set(take_flash(CREATED)));
    move || {
        result.get().map(|r| {
            let body = match (&r.url, &r.code) {
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
                        {r.message.clone()}": "
                        {r.invitations.iter().filter_map(|i| i.email.clone()).collect::<Vec<_>>().join(", ")}
                        "."
                    </p>
                }.into_any(),
            };
            view! {
                <section role="status" aria-label="Invitation created" class="mb-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5">
                    <div class="flex items-start justify-between gap-4">
                        <h2 class="font-semibold text-emerald-900">"Invitation ready"</h2>
                        <button type="button" class="text-sm text-emerald-800 hover:underline" on:click=move |_| result.set(None)>"Dismiss"</button>
                    </div>
                    <div class="mt-2 flex flex-col gap-5 sm:flex-row sm:items-start">
                        <div class="min-w-0 flex-1">{body}</div>
                        {r.url.clone().map(|url| view! {
                            <div class="shrink-0 text-center">
                                <img src=format!("{url}/qr.svg") alt="QR code of the invitation" width="144" height="144"
                                    class="mx-auto h-36 w-36 rounded-md border border-emerald-200 bg-white p-2" data-testid="invite-qr" />
                                <a href=format!("{url}/qr") target="_blank" class="mt-2 inline-block text-sm font-medium text-emerald-800 hover:underline">"Printable card"</a>
                            </div>
                        })}
                    </div>
                </section>
            }
        })
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

/// A row's status and its *Resend* and *Cancel*. Canceling updates the row
/// in place; resending reloads the page with the new secret at the top.
#[island]
fn InviteControls(id: String, status: Status) -> impl IntoView {
    let hydrated = use_hydrated();
    let status = RwSignal::new(status);
    let cancel = Action::new(|id: &String| {
        cancel_invite(IdBody {
            id: Some(id.clone()),
        })
    });
    let resend = Action::new(|id: &String| {
        resend_invite(IdBody {
            id: Some(id.clone()),
        })
    });
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => status.set(Status::Canceled),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match resend.value().get() {
        Some(Ok(sent)) => flash_and_go(CREATED, &sent, None),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let badge = move || {
        let (label, class) = match status.get() {
            Status::Pending => ("pending", "bg-emerald-100 text-emerald-800"),
            Status::Used => ("used", "bg-slate-200 text-slate-700"),
            Status::Canceled => ("canceled", "bg-slate-200 text-slate-700"),
            Status::Rejected => ("declined", "bg-slate-200 text-slate-700"),
            Status::Expired => ("expired", "bg-amber-100 text-amber-900"),
        };
        view! { <span data-testid="invite-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span> }
    };
    let open = move || matches!(status.get(), Status::Pending | Status::Expired);
    let (cancel_id, resend_id) = (id.clone(), id);
    view! {
        <div class="flex flex-col gap-2 sm:items-end">
            <div class="flex flex-wrap items-center gap-2" aria-live="polite">
                {badge}
                {move || open().then(|| {
                    let (cancel_id, resend_id) = (cancel_id.clone(), resend_id.clone());
                    view! {
                        <button
                            type="button"
                            class=SMALL_BUTTON
                            disabled=move || !hydrated.get() || resend.pending().get()
                            on:click=move |_| { resend.dispatch(resend_id.clone()); }
                        >"Resend"</button>
                        <button
                            type="button"
                            class=DANGER_BUTTON
                            disabled=move || !hydrated.get() || cancel.pending().get()
                            on:click=move |_| { cancel.dispatch(cancel_id.clone()); }
                        >"Cancel"</button>
                    }
                })}
            </div>
            {move || error.get().map(|e| view! { <p class="text-sm text-red-700" role="alert">{e.message}</p> })}
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
