//! `/admin/emails`: every message Gatehouse queued, with its delivery status,
//! a status filter, paging, the text of a message, retry, and the one-time
//! reveal of a waiting message's link (SPEC §6).

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::{
    admin::emails::{
        get_email, list_emails, reveal_email, EmailDetail, EmailIdBody, EmailView, RetryEmail,
        PAGE_SIZE,
    },
    error::ApiError,
    error::Code,
    pages::forms::{take_flash, Enhanced},
    ui::{format_time, use_hydrated, Alert, FormReturn, PageHeader, PageLinks, StatusLinks, Tone},
};

const FILTERS: [(&str, &str); 4] = [
    ("", "All"),
    ("queued", "Queued"),
    ("failed", "Failed"),
    ("sent", "Sent"),
];

#[component]
pub fn AdminEmailsPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let status = query.get("status").unwrap_or_default();
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<u32>().ok())
        .unwrap_or(0);
    let viewing = query.get("view").filter(|id| !id.is_empty());
    let emails = Resource::new(
        {
            let status = status.clone();
            move || (status.clone(), offset)
        },
        |(status, offset)| list_emails(Some(status), None, Some(offset)),
    );
    let detail = Resource::new(
        move || viewing.clone(),
        |id| async move {
            match id {
                Some(id) => get_email(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let here = Address {
        status: status.clone(),
        offset,
    };
    let list_here = here.clone();
    // A retry the server refused.
    let flash = take_flash();

    view! {
        <Title text="Outgoing email" />
        <div class="mx-auto max-w-5xl">
            <PageHeader
                title="Outgoing email"
                subtitle="Every message Gatehouse sends, newest first. Failed deliveries are retried on their own; you can also send one again."
            />
            <StatusLinks
                filters=&FILTERS
                current=status.clone()
                href=|value: &str| Address { status: value.to_owned(), offset: 0 }.href(None)
                class="mb-4 gap-2"
            />
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
            <Suspense fallback=|| ()>
                {
                    let here = here.clone();
                    move || detail.get().map(|r| match r {
                        Ok(None) => ().into_any(),
                        Ok(Some(detail)) => view! { <MessageText detail close=here.href(None) /> }.into_any(),
                        Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                    })
                }
            </Suspense>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || emails.get().map(|result| match result {
                    Err(e) => denied_or_error(e).into_any(),
                    Ok(list) => view! {
                        {(!list.smtp_configured).then(|| view! {
                            <Alert tone=Tone::Info>
                                "No SMTP server is configured, so messages are not sent: they wait here. To pass an invitation on by hand, open its text and reveal the link once, or run "
                                <code class="font-mono">"gatehouse outbox show"</code>" on the server. Set "
                                <code class="font-mono">"smtp_url"</code>" to deliver them."
                            </Alert>
                        })}
                        <EmailTable emails=list.emails.clone() here=list_here.clone() />
                        <PageLinks base="/admin/emails" query=vec![("status", list_here.status.clone())] offset=i64::from(list_here.offset) page_size=i64::from(PAGE_SIZE) total=list.total labels=("Newer", "Older") />
                    }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

/// Where the page is: its filter and page, both in the address, so every
/// view of the list is a link of its own and the list is rendered on the
/// server (only the reveal runs in the browser).
#[derive(Clone)]
struct Address {
    status: String,
    offset: u32,
}

impl Address {
    /// This view of the list, showing the text of message `view`.
    fn href(&self, view: Option<&str>) -> String {
        let mut q = vec![];
        if !self.status.is_empty() {
            q.push(format!("status={}", self.status));
        }
        if self.offset > 0 {
            q.push(format!("offset={}", self.offset));
        }
        if let Some(id) = view {
            q.push(format!(
                "view={}",
                utf8_percent_encode(id, NON_ALPHANUMERIC)
            ));
        }
        if q.is_empty() {
            "/admin/emails".to_owned()
        } else {
            format!("/admin/emails?{}", q.join("&"))
        }
    }
}

fn denied_or_error(e: ApiError) -> impl IntoView {
    let message = match e.code {
        Code::Unauthorized => "Sign in as an admin to see outgoing email.".to_owned(),
        _ => e.message,
    };
    view! { <Alert tone=Tone::Error>{message}</Alert> }
}

#[component]
fn EmailTable(emails: Vec<EmailView>, here: Address) -> impl IntoView {
    if emails.is_empty() {
        return view! {
            <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-12 text-center text-slate-500">
                "No messages here yet."
            </div>
        }
        .into_any();
    }
    view! {
        <Enhanced><ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="emails">
            {emails.into_iter().map(|e| {
                let retryable = e.retryable();
                let label = if e.status == "failed" { "Retry" } else { "Send now" };
                view! {
                    <li class="flex flex-col gap-3 px-4 py-4 sm:flex-row sm:items-start sm:justify-between sm:px-6" data-testid="email-row">
                        <div class="min-w-0 flex-1">
                            <div class="flex flex-wrap items-center gap-2">
                                <StatusBadge email=e.clone() />
                                <span class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-600">{e.kind.clone()}</span>
                            </div>
                            <p class="mt-2 truncate font-medium text-slate-900">{e.subject.clone()}</p>
                            <p class="truncate text-sm text-slate-600">"To "{e.recipient.clone()}</p>
                            <p class="mt-1 text-xs text-slate-500">{timeline(&e)}</p>
                            {e.last_error.clone().map(|err| view! {
                                <p class="mt-2 break-words rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900">{err}</p>
                            })}
                        </div>
                        <div class="flex shrink-0 items-start gap-2">
                            <a
                                href=here.href(Some(&e.id))
                                class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
                            >"View text"</a>
                            {retryable.then(|| view! { <SendButton id=e.id.clone() label here=here.href(None) /> })}
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul></Enhanced>
    }
    .into_any()
}

/// Retry, or "Send now" for a held message: a form the browser sends, and
/// the list comes back with the message's new state (or the refusal above).
#[component]
fn SendButton(id: String, label: &'static str, here: String) -> impl IntoView {
    view! {
        <form method="post" action=RetryEmail::PATH>
            <FormReturn back=here.clone() next=here />
            <input type="hidden" name="id" value=id />
            <button
                type="submit"
                class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60"
                data-pending="Sending…"
            >{label}</button>
        </form>
    }
}

/// Shows the message with its link, once, for passing it on by hand while
/// no mail server is configured. The server records who revealed it.
#[island]
fn RevealButton(id: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let reveal = Action::new(|id: &String| {
        reveal_email(EmailIdBody {
            id: Some(id.clone()),
        })
    });
    view! {
        <div class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
            {move || match reveal.value().get() {
                Some(Ok(shown)) => view! {
                    <p class="font-medium">"The message as it would be delivered. It is shown this once, and the reveal is in the audit log:"</p>
                    <pre data-testid="revealed" class="mt-2 whitespace-pre-wrap break-words rounded-md bg-white p-3 font-mono text-sm text-slate-800">{shown.text}</pre>
                }.into_any(),
                result => view! {
                    <p>"You can reveal the link once, to pass it on yourself. The reveal is recorded in the audit log."</p>
                    <button
                        type="button"
                        class="mt-2 rounded-md bg-amber-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-amber-500 disabled:opacity-60"
                        disabled=move || !hydrated.get() || reveal.pending().get()
                        on:click={
                            let id = id.clone();
                            move |_| { reveal.dispatch(id.clone()); }
                        }
                    >"Reveal the link once"</button>
                    {result.and_then(Result::err).map(|e| view! {
                        <p role="alert" class="mt-2 text-red-700">{e.message}</p>
                    })}
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn StatusBadge(email: EmailView) -> impl IntoView {
    let (label, classes) = match (email.status.as_str(), email.sending) {
        (_, true) => ("sending", "bg-sky-100 text-sky-800"),
        ("sent", _) => ("sent", "bg-emerald-100 text-emerald-800"),
        ("failed", _) => ("failed", "bg-red-100 text-red-800"),
        _ if email.next_attempt_at.is_none() => ("not delivered", "bg-amber-100 text-amber-900"),
        _ => ("queued", "bg-slate-200 text-slate-800"),
    };
    view! { <span data-testid="status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {classes}")>{label}</span> }
}

fn timeline(e: &EmailView) -> String {
    let attempts = match e.attempts {
        0 => "no attempts yet".to_owned(),
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let mut parts = vec![format!("Queued {}", format_time(&e.created_at)), attempts];
    if let Some(sent) = &e.sent_at {
        parts.push(format!("sent {}", format_time(sent)));
    } else if let Some(next) = &e.next_attempt_at {
        parts.push(format!("next try {}", format_time(next)));
    }
    parts.join(" · ")
}

/// The text of the message opened with *View text*, links and codes hidden.
#[component]
fn MessageText(detail: EmailDetail, close: String) -> impl IntoView {
    view! {
        <section class="mb-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" aria-label="Message text">
            <div class="flex items-start justify-between gap-4">
                <div class="min-w-0">
                    <p class="truncate font-medium">{detail.email.subject.clone()}</p>
                    <p class="truncate text-sm text-slate-600">"To "{detail.email.recipient.clone()}</p>
                </div>
                <a href=close class="text-sm font-medium text-slate-600 hover:text-slate-900">"Close"</a>
            </div>
            <pre class="mt-4 whitespace-pre-wrap break-words rounded-md bg-slate-50 p-3 font-mono text-sm text-slate-800">{detail.text}</pre>
            <p class="mt-2 text-xs text-slate-500">"Links and codes are hidden: they belong to the recipient."</p>
            {detail.email.revealable.then(|| view! { <RevealButton id=detail.email.id.clone() /> })}
        </section>
    }
}
