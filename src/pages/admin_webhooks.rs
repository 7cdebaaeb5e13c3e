//! `/admin/webhooks` and `/admin/webhooks/{id}` (issue 14), for roles with
//! `webhook:manage` (owners): the endpoints, adding one, and each one's
//! deliveries with pause, rotate, remove and replay.
//!
//! Entirely server-rendered: every control is a plain HTML form that posts
//! to `/admin/webhooks` and comes back here (`webhooks::service::form_route`),
//! so the page adds nothing to the WebAssembly. A new secret comes back in
//! a sealed cookie that is read once, never in the address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    audit::domain::Group,
    error::ApiError,
    error::Code,
    ui::{
        format_time, paged_href, Alert, PageHeader, PageLinks, StatusLinks, Tone, DANGER_BUTTON,
        INPUT, LABEL, LINK, SMALL_BUTTON,
    },
    webhooks::{
        get_webhook, list_webhook_deliveries, list_webhooks, take_webhook_flash, DeliveriesQuery,
        DeliveryView, Flash, WebhookQuery, WebhookView, PAGE_SIZE,
    },
};

const FORM: &str = "/admin/webhooks";

#[component]
pub fn AdminWebhooksPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_webhooks());
    let flash = Resource::new(|| (), |_| take_webhook_flash());
    view! {
        <Title text="Webhooks" />
        <div class="mx-auto max-w-5xl">
            <PageHeader
                title="Webhooks"
                subtitle="Gatehouse sends the events you choose to your app as signed HTTP POSTs: when someone joins, a role changes, an invitation is accepted. A delivery your endpoint does not answer with a 2xx status is tried again, waiting longer each time, up to a limit."
            />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    let typed = flash
                        .as_ref()
                        .map(|f| (f.url.clone().unwrap_or_default(), f.description.clone().unwrap_or_default()))
                        .unwrap_or_default();
                    match list.await {
                        Err(e) => denied_or_error(e).into_any(),
                        Ok(list) => view! {
                            <FlashAlert flash />
                            <WebhookCards webhooks=list.webhooks />
                            <AddWebhookForm event_types=list.event_types typed />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn denied_or_error(e: ApiError) -> impl IntoView {
    let message = match e.code {
        Code::Unauthorized => "Sign in as an owner to manage webhooks.".to_owned(),
        Code::Forbidden => format!(
            "{} Webhooks are managed by owners (webhook:manage).",
            e.message
        ),
        _ => e.message,
    };
    view! { <Alert tone=Tone::Error>{message}</Alert> }
}

/// What the last form did; a new secret is shown here, this once.
#[component]
fn FlashAlert(flash: Option<Flash>) -> impl IntoView {
    flash.map(|f| {
        let tone = if f.ok { Tone::Success } else { Tone::Error };
        view! {
            <Alert tone>{f.message}</Alert>
            {f.secret.map(|secret| view! {
                <section class="mb-6 rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" aria-label="Signing secret">
                    <p class="font-semibold">"Signing secret — shown this once"</p>
                    <p class="mt-1">"Copy it into your receiver now. Gatehouse signs every delivery with it; if it is lost, rotate it for a new one."</p>
                    <code data-testid="webhook-secret" class="mt-2 block select-all break-all rounded-md bg-white px-3 py-2 font-mono text-sm text-slate-900">{secret}</code>
                </section>
            })}
        }
    })
}

#[component]
fn StateBadge(paused: bool) -> impl IntoView {
    let (label, classes) = if paused {
        ("paused", "bg-amber-100 text-amber-900")
    } else {
        ("active", "bg-emerald-100 text-emerald-800")
    };
    view! { <span data-testid="webhook-state" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {classes}")>{label}</span> }
}

fn events_text(events: &[String]) -> String {
    if events.iter().any(|e| e == "*") {
        "All events".to_owned()
    } else {
        events.join(", ")
    }
}

#[component]
fn WebhookCards(webhooks: Vec<WebhookView>) -> impl IntoView {
    if webhooks.is_empty() {
        return view! {
            <div class="mb-8 rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">
                "No webhooks yet. Add one below, or list them in gatehouse.toml under [[webhooks]]."
            </div>
        }
        .into_any();
    }
    view! {
        <ul class="mb-8 divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="webhooks">
            {webhooks.into_iter().map(|w| {
                let href = format!("/admin/webhooks/{}", w.id);
                view! {
                    <li class="flex flex-col gap-3 px-4 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-6" data-testid="webhook-row">
                        <div class="min-w-0 flex-1">
                            <div class="flex flex-wrap items-center gap-2">
                                <StateBadge paused=w.paused />
                                {(w.source == "config").then(|| view! {
                                    <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">"from gatehouse.toml"</span>
                                })}
                            </div>
                            <p class="mt-2 break-all font-mono text-sm font-medium text-slate-900">{w.url.clone()}</p>
                            {(!w.description.is_empty()).then(|| view! { <p class="text-sm text-slate-600">{w.description.clone()}</p> })}
                            <p class="mt-1 text-xs text-slate-500">{format!(
                                "{} · {} delivered · {} waiting · {} failed",
                                events_text(&w.events), w.deliveries.delivered, w.deliveries.queued, w.deliveries.failed
                            )}</p>
                        </div>
                        <a href=href class=SMALL_BUTTON>"Deliveries and settings"</a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The event checkboxes: all, or by group, or one by one.
#[component]
fn EventChoices(event_types: Vec<String>, chosen: Vec<String>) -> impl IntoView {
    let all = chosen.is_empty() || chosen.iter().any(|e| e == "*");
    let is = move |v: &str| chosen.iter().any(|e| e == v);
    view! {
        <fieldset class="mt-4">
            <legend class=LABEL>"Events"</legend>
            <label class="mt-2 flex items-center gap-2 text-sm">
                <input type="checkbox" name="events" value="*" checked=all class="h-4 w-4 rounded border-slate-300" />
                <span class="font-medium">"All events"</span>
                <span class="text-slate-500">"(and those added in later versions)"</span>
            </label>
            <p class="mt-1 text-xs text-slate-500">"Or untick that and choose:"</p>
            <div class="mt-2 grid grid-cols-1 items-start gap-2 lg:grid-cols-2">
                {Group::ALL.into_iter().map(|group| {
                    let types: Vec<String> = event_types.iter().filter(|t| Group::of(t) == group).cloned().collect();
                    let prefixes: Vec<String> = {
                        let mut p: Vec<String> = types.iter().filter_map(|t| t.split_once('.').map(|(h, _)| format!("{h}.*"))).collect();
                        p.sort();
                        p.dedup();
                        p
                    };
                    let is = is.clone();
                    view! {
                        <details class="rounded-md border border-slate-200 px-3 py-2">
                            <summary class="cursor-pointer text-sm font-medium text-slate-800">{group.label()}</summary>
                            <div class="mt-2 space-y-1">
                                {(group != Group::Users && group != Group::Accounts).then(|| prefixes.into_iter().map(|p| {
                                    let checked = is(&p);
                                    view! {
                                        <label class="flex items-center gap-2 text-sm">
                                            <input type="checkbox" name="events" value=p.clone() checked=checked class="h-4 w-4 rounded border-slate-300" />
                                            <span>"Every "<code class="font-mono text-xs">{p.clone()}</code>" event"</span>
                                        </label>
                                    }
                                }).collect_view())}
                                {types.into_iter().map(|t| {
                                    let checked = is(&t);
                                    view! {
                                        <label class="flex items-center gap-2 text-sm">
                                            <input type="checkbox" name="events" value=t.clone() checked=checked class="h-4 w-4 rounded border-slate-300" />
                                            <code class="font-mono text-xs">{t.clone()}</code>
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        </details>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

#[component]
fn AddWebhookForm(event_types: Vec<String>, typed: (String, String)) -> impl IntoView {
    let (typed_url, typed_description) = typed;
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" aria-labelledby="add-webhook">
            <h2 id="add-webhook" class="text-lg font-semibold text-slate-900">"Add a webhook"</h2>
            <p class="mt-1 text-sm text-slate-600">"A secret is made for it and shown once. Addresses on this host or a private network are refused unless webhooks.allow_private_networks is set."</p>
            <form method="post" action=FORM class="mt-4">
                <input type="hidden" name="action" value="create" />
                <label class=LABEL for="webhook-url">"Endpoint URL"</label>
                <input id="webhook-url" name="url" type="url" required placeholder="https://app.example.com/hooks/gatehouse" value=typed_url class=INPUT />
                <label class=format!("{LABEL} mt-4") for="webhook-description">"Description "<span class="font-normal text-slate-500">"(optional)"</span></label>
                <input id="webhook-description" name="description" maxlength="200" placeholder="Provision new members in the billing app" value=typed_description class=INPUT />
                <EventChoices event_types chosen=vec![] />
                <button type="submit" class="mt-6 rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Add webhook"</button>
            </form>
        </section>
    }
}

const FILTERS: [(&str, &str); 4] = [
    ("", "All"),
    ("queued", "Waiting"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
];

#[component]
pub fn AdminWebhookPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let query = use_query_map();
    let query = query.read_untracked();
    let status = query.get("status").unwrap_or_default();
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<u32>().ok())
        .unwrap_or(0);
    let webhook = Resource::new(
        {
            let id = id.clone();
            move || id.clone()
        },
        |webhook_id| get_webhook(WebhookQuery { webhook_id }),
    );
    let deliveries = Resource::new(
        {
            let (id, status) = (id.clone(), status.clone());
            move || (id.clone(), status.clone(), offset)
        },
        |(webhook_id, status, offset)| {
            list_webhook_deliveries(DeliveriesQuery {
                webhook_id,
                status: Some(status),
                limit: None,
                offset: Some(offset),
            })
        },
    );
    let flash = Resource::new(|| (), |_| take_webhook_flash());
    let base = format!("/admin/webhooks/{id}");
    view! {
        <Title text="Webhook" />
        <div class="mx-auto max-w-5xl">
            <a href="/admin/webhooks" class=format!("{LINK} text-sm")>"← All webhooks"</a>
            <Suspense fallback=|| ()>
                {move || {
                    let (base, status) = (base.clone(), status.clone());
                    Suspend::new(async move {
                        let flash = flash.await.ok().flatten();
                        let webhook = match webhook.await {
                            Ok(w) => w,
                            // A flash is for whoever may see the webhook.
                            Err(e) => return view! { <div class="mt-4">{denied_or_error(e)}</div> }.into_any(),
                        };
                        let list = deliveries.await;
                        view! {
                            <div class="mt-4"><FlashAlert flash /></div>
                            <WebhookHeader webhook=webhook.clone() />
                            <section class="mt-8" aria-labelledby="deliveries">
                                <h2 id="deliveries" class="text-lg font-semibold text-slate-900">"Deliveries"</h2>
                                <StatusLinks
                                    filters=&FILTERS
                                    current=status.clone()
                                    href={
                                        let base = base.clone();
                                        move |value: &str| paged_href(&base, &[("status", value.to_owned())], 0)
                                    }
                                    class="my-3 gap-2"
                                />
                                {match list {
                                    Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                                    Ok(list) => view! {
                                        <DeliveryRows deliveries=list.deliveries webhook_id=webhook.id.clone() />
                                        <PageLinks base=base.clone() query=vec![("status", status.clone())] offset=i64::from(offset) page_size=i64::from(PAGE_SIZE) total=list.total labels=("Newer", "Older") />
                                    }.into_any(),
                                }}
                            </section>
                        }.into_any()
                    })
                }}
            </Suspense>
        </div>
    }
}

/// A form of one button that posts `action` for this webhook.
#[component]
fn ActionButton(
    webhook_id: String,
    action: &'static str,
    label: &'static str,
    #[prop(optional)] delivery_id: Option<String>,
    #[prop(default = SMALL_BUTTON)] class: &'static str,
) -> impl IntoView {
    view! {
        <form method="post" action=FORM class="inline">
            <input type="hidden" name="action" value=action />
            <input type="hidden" name="webhookId" value=webhook_id />
            {delivery_id.map(|d| view! { <input type="hidden" name="deliveryId" value=d /> })}
            <button type="submit" class=class>{label}</button>
        </form>
    }
}

#[component]
fn WebhookHeader(webhook: WebhookView) -> impl IntoView {
    let from_admin = webhook.source == "admin";
    let id = webhook.id.clone();
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6">
            <div class="flex flex-wrap items-center gap-2">
                <StateBadge paused=webhook.paused />
                {(!from_admin).then(|| view! { <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">"from gatehouse.toml"</span> })}
            </div>
            <h1 class="mt-2 break-all font-mono text-lg font-semibold text-slate-900">{webhook.url.clone()}</h1>
            {(!webhook.description.is_empty()).then(|| view! { <p class="text-slate-600">{webhook.description.clone()}</p> })}
            <dl class="mt-3 grid grid-cols-1 gap-x-6 gap-y-1 text-sm lg:grid-cols-2">
                <div><dt class="inline text-slate-500">"Events: "</dt><dd class="inline">{events_text(&webhook.events)}</dd></div>
                <div><dt class="inline text-slate-500">"Added: "</dt><dd class="inline">{format_time(&webhook.created_at)}</dd></div>
                <div><dt class="inline text-slate-500">"Delivered: "</dt><dd class="inline">{webhook.deliveries.delivered}</dd></div>
                <div><dt class="inline text-slate-500">"Waiting / failed: "</dt><dd class="inline">{format!("{} / {}", webhook.deliveries.queued, webhook.deliveries.failed)}</dd></div>
            </dl>
            <div class="mt-4 flex flex-wrap items-start gap-2">
                {if webhook.paused {
                    view! { <ActionButton webhook_id=id.clone() action="resume" label="Resume" /> }.into_any()
                } else {
                    view! { <ActionButton webhook_id=id.clone() action="pause" label="Pause" /> }.into_any()
                }}
                {from_admin.then(|| view! {
                    <ActionButton webhook_id=id.clone() action="rotate" label="Rotate secret" />
                    <details class="inline-block">
                        <summary class=format!("{DANGER_BUTTON} cursor-pointer list-none")>"Remove…"</summary>
                        <div class="mt-2 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
                            <p>"Its deliveries go with it. Nothing more is sent to this URL."</p>
                            <div class="mt-2"><ActionButton webhook_id=id.clone() action="delete" label="Remove this webhook" class=DANGER_BUTTON /></div>
                        </div>
                    </details>
                })}
            </div>
            {(!from_admin).then(|| view! {
                <p class="mt-3 text-xs text-slate-500">"Its URL, events and secret are set in gatehouse.toml; change them there and restart."</p>
            })}
            <details class="mt-4 text-sm text-slate-700">
                <summary class="cursor-pointer font-medium text-slate-800">"How your receiver checks a delivery"</summary>
                <p class="mt-2">"Each delivery is a POST of JSON "<code class="font-mono text-xs">"{type, id, timestamp, data}"</code>" with three headers, as the Standard Webhooks specification says: "
                    <code class="font-mono text-xs">"webhook-id"</code>" (the event's id, the same on every retry and replay), "
                    <code class="font-mono text-xs">"webhook-timestamp"</code>" (Unix seconds) and "
                    <code class="font-mono text-xs">"webhook-signature"</code>": "<code class="font-mono text-xs">"v1,"</code>" and the base64 HMAC-SHA256 of "
                    <code class="font-mono text-xs">"id.timestamp.body"</code>", keyed with the secret (the base64 after "<code class="font-mono text-xs">"whsec_"</code>"). Any Standard Webhooks library verifies it."</p>
            </details>
        </section>
    }
}

#[component]
fn DeliveryBadge(status: String) -> impl IntoView {
    let classes = match status.as_str() {
        "delivered" => "bg-emerald-100 text-emerald-800",
        "failed" => "bg-red-100 text-red-800",
        _ => "bg-slate-200 text-slate-800",
    };
    let label = if status == "queued" {
        "waiting".to_owned()
    } else {
        status
    };
    view! { <span data-testid="delivery-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {classes}")>{label}</span> }
}

fn delivery_line(d: &DeliveryView) -> String {
    let attempts = match d.attempts {
        0 => "not tried yet".to_owned(),
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let mut parts = vec![format_time(&d.created_at), attempts];
    if let Some(code) = d.response_status {
        parts.push(format!("answered {code}"));
    }
    if d.sending {
        parts.push("sending now".to_owned());
    } else if let Some(next) = &d.next_attempt_at {
        parts.push(format!("next try {}", format_time(next)));
    }
    if d.replay_of.is_some() {
        parts.push("replay".to_owned());
    }
    parts.join(" · ")
}

#[component]
fn DeliveryRows(deliveries: Vec<DeliveryView>, webhook_id: String) -> impl IntoView {
    if deliveries.is_empty() {
        return view! {
            <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">
                "No deliveries here yet. They appear as events happen."
            </div>
        }
        .into_any();
    }
    view! {
        <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="deliveries">
            {deliveries.into_iter().map(|d| {
                let line = delivery_line(&d);
                let pretty = serde_json::from_str::<serde_json::Value>(&d.payload)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| d.payload.clone());
                view! {
                    <li data-testid="delivery-row">
                        <details class="group px-4 py-3 sm:px-6">
                            <summary class="flex cursor-pointer list-none flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
                                <span class="flex items-center gap-2">
                                    <DeliveryBadge status=d.status.clone() />
                                    <code class="font-mono text-sm text-slate-900">{d.event_type.clone()}</code>
                                </span>
                                <span class="text-xs text-slate-500 sm:ml-auto">{line}</span>
                            </summary>
                            <div class="mt-3 space-y-2 text-sm">
                                {d.last_error.clone().map(|err| view! {
                                    <p class="break-words rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900">{err}</p>
                                })}
                                <p class="text-xs text-slate-500">"Event "<code class="font-mono">{d.event_id.clone()}</code>" · delivery "<code class="font-mono">{d.id.clone()}</code></p>
                                <pre class="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded-md bg-slate-50 p-3 font-mono text-xs text-slate-800">{pretty}</pre>
                                {(d.status != "queued").then(|| view! {
                                    <ActionButton webhook_id=webhook_id.clone() action="replay" label="Replay" delivery_id=d.id.clone() />
                                })}
                            </div>
                        </details>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
