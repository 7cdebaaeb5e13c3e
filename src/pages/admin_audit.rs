//! `/admin/audit`: the audit log (SPEC §4), for roles with `audit:read`.
//! Filters by group or action, actor, target and dates; paging; each row
//! opens to what changed; the filtered events download as JSON Lines.
//!
//! Entirely server-rendered: the filters are a GET form, the pages links,
//! and a row opens as a `<details>` element, so no WebAssembly is needed.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    admin::audit::{list_audit_events, AuditEventView, AuditQuery, PAGE_SIZE},
    audit::domain::{diff, Group},
    error::Code,
    ui::{format_time, paged_href, Alert, PageHeader, PageLinks, Tone, INPUT, LABEL, LINK},
};

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let value = |name: &str| query.get(name).unwrap_or_default();
    // The form's one select sends `what=group:…` or `what=action:…`; links
    // (pages, export) carry `group` or `action`.
    let (group, action) = match value("what").split_once(':') {
        Some(("group", g)) => (g.to_owned(), String::new()),
        Some(("action", a)) => (String::new(), a.to_owned()),
        _ => (value("group"), value("action")),
    };
    let filters: Vec<(&'static str, String)> = vec![
        ("group", group.clone()),
        ("action", action.clone()),
        ("actor", value("actor")),
        ("target", value("target")),
        ("from", value("from")),
        ("to", value("to")),
    ];
    let offset = value("offset").parse::<u32>().unwrap_or(0);
    let asked = AuditQuery {
        group: Some(group.clone()),
        action: Some(action.clone()),
        actor: Some(value("actor")),
        target: Some(value("target")),
        from: Some(value("from")),
        to: Some(value("to")),
        limit: None,
        offset: Some(offset.to_string()),
    };
    let events = Resource::new(move || asked.clone(), list_audit_events);
    let export = paged_href("/api/auth/admin/export-audit-events", &filters, 0);
    let chosen = if action.is_empty() {
        format!("group:{group}")
    } else {
        format!("action:{action}")
    };
    view! {
        <Title text="Audit log" />
        <div class="mx-auto max-w-5xl">
            <PageHeader title="Audit log" subtitle="Every security-relevant change, who made it and when, newest first. Open a row to see what changed." />
            <form method="get" action="/admin/audit" class="mb-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5" aria-label="Filter the audit log">
                <div class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
                    <div>
                        <label for="audit-what" class=LABEL>"What"</label>
                        <select id="audit-what" name="what" class=INPUT>
                            <option value="group:" selected=chosen == "group:">"Everything"</option>
                            {Group::ALL.into_iter().map(|g| {
                                let group_value = format!("group:{}", g.name());
                                view! {
                                    <optgroup label=g.label()>
                                        <option value=group_value.clone() selected=chosen == group_value>{format!("All: {}", g.label().to_lowercase())}</option>
                                        {g.actions().map(|a| {
                                            let v = format!("action:{a}");
                                            view! { <option value=v.clone() selected=chosen == v>{a}</option> }
                                        }).collect_view()}
                                    </optgroup>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <label for="audit-actor" class=LABEL>"By"<span class="font-normal text-slate-500">" (email or id)"</span></label>
                        <input id="audit-actor" name="actor" class=INPUT value=value("actor") autocomplete="off" />
                    </div>
                    <div>
                        <label for="audit-target" class=LABEL>"About"<span class="font-normal text-slate-500">" (email or id)"</span></label>
                        <input id="audit-target" name="target" class=INPUT value=value("target") autocomplete="off" />
                    </div>
                    <div>
                        <label for="audit-from" class=LABEL>"From"</label>
                        <input id="audit-from" name="from" type="date" class=INPUT value=value("from") />
                    </div>
                    <div>
                        <label for="audit-to" class=LABEL>"To"</label>
                        <input id="audit-to" name="to" type="date" class=INPUT value=value("to") />
                    </div>
                    <div class="flex items-end gap-3">
                        <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Filter"</button>
                        <a href="/admin/audit" class=LINK>"Clear"</a>
                    </div>
                </div>
            </form>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || {
                    let (filters, export) = (filters.clone(), export.clone());
                    events.get().map(move |r| match r {
                        Err(e) if e.code == Code::Unauthorized => view! { <Alert tone=Tone::Error>"Sign in as an owner to read the audit log."</Alert> }.into_any(),
                        Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                        Ok(list) => view! {
                            <div class="mb-3 flex items-center justify-between gap-3 text-sm">
                                <span class="text-slate-600">{format!("{} events", list.total)}</span>
                                <a class=LINK href=export download>"Export as JSON Lines"</a>
                            </div>
                            {if list.events.is_empty() {
                                view! { <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">"No events match."</div> }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="audit-events">
                                        {list.events.into_iter().map(|event| view! { <EventRow event /> }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <PageLinks base="/admin/audit" query=filters offset=i64::from(offset) page_size=i64::from(PAGE_SIZE) total=list.total labels=("Newer", "Older") />
                        }.into_any(),
                    })
                }}
            </Suspense>
        </div>
    }
}

/// One event: when, what, by whom, about what; opened, what changed.
#[component]
fn EventRow(event: AuditEventView) -> impl IntoView {
    let by = event.actor.as_ref().map_or_else(
        || event.actor_id.clone().unwrap_or_else(|| "Gatehouse".into()),
        |a| format!("{} ({})", a.name, a.email),
    );
    // A change made in an impersonation session reads "by {admin} acting
    // as {person}"; the admin's own stop is theirs alone.
    let acting = event
        .impersonator
        .as_ref()
        .map_or_else(
            || event.impersonator_id.clone(),
            |a| Some(format!("{} ({})", a.name, a.email)),
        )
        .filter(|_| event.impersonator_id != event.actor_id);
    let about = event.target_name.clone().or_else(|| event.target.clone());
    let lines = diff(event.before.as_ref(), event.after.as_ref());
    view! {
        <li data-testid="audit-event">
            <details class="group">
                <summary class="flex cursor-pointer list-none flex-col gap-1 px-4 py-3 hover:bg-slate-50 sm:flex-row sm:items-baseline sm:gap-4 sm:px-5 [&::-webkit-details-marker]:hidden">
                    <span class="shrink-0 text-xs text-slate-500 sm:w-40">{format_time(&event.created_at)}</span>
                    <span class="shrink-0"><span class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800" data-testid="audit-action">{event.action.clone()}</span></span>
                    <span class="min-w-0 break-words text-sm text-slate-700 sm:truncate">
                        <span class="text-slate-500">"by "</span>
                        {acting.map(|a| view! { <span class="text-amber-800" data-testid="audit-impersonator">{a}</span><span class="text-slate-500">" acting as "</span> })}
                        {by}
                        {about.map(|t| view! { <span class="text-slate-500">" · about "</span><span>{t}</span> })}
                    </span>
                </summary>
                <div class="border-t border-slate-100 bg-slate-50 px-4 py-3 sm:px-5">
                    {if lines.is_empty() {
                        view! { <p class="text-sm text-slate-500">"No details were recorded."</p> }.into_any()
                    } else {
                        view! {
                            <table class="w-full text-left text-sm" aria-label="What changed">
                                <thead class="text-xs text-slate-500">
                                    <tr><th class="py-1 pr-4 font-medium">"Field"</th><th class="py-1 pr-4 font-medium">"Before"</th><th class="py-1 font-medium">"After"</th></tr>
                                </thead>
                                <tbody>
                                    {lines.into_iter().map(|l| {
                                        let class = if l.changed() { "bg-amber-50" } else { "" };
                                        view! {
                                            <tr class=class data-testid="audit-diff-line">
                                                <td class="py-1 pr-4 font-mono text-xs text-slate-600">{l.field.clone()}</td>
                                                <td class="break-all py-1 pr-4 text-slate-700">{l.before.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td class="break-all py-1 font-medium text-slate-900">{l.after.clone().unwrap_or_else(|| "—".into())}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <p class="mt-2 text-xs text-slate-500">
                        {format!("Event {}", event.id)}
                        {event.target.map(|t| format!(" · target {t}"))}
                        {event.ip_address.filter(|ip| !ip.is_empty()).map(|ip| format!(" · from {ip}"))}
                    </p>
                </div>
            </details>
        </li>
    }
}
