//! Inviting from a list: a pasted list or a CSV file (`email[,role][,team]`,
//! header optional, up to 500 rows), on the instance's invitations page and
//! on an organization's invitations tab. The form sends the list a slice at
//! a time, so a long list shows its progress; the server reads the text
//! each time, so the browser carries no parser. Every row ends in the
//! results table with what happened to it.

use leptos::{prelude::*, task::spawn_local};
use serde::{Deserialize, Serialize};

use crate::{
    error::ApiError,
    invitations::{
        bulk::{BulkResult, BulkStatus, ListSlice, SliceResults, SLICE},
        role::invite_from_list,
    },
    organizations::invitations::organization_invite_list,
    ui::{reload, use_hydrated, Alert, LiveFieldset, Tone, BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

/// Who the list invites people into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BulkTarget {
    Instance,
    Organization { id: String },
}

async fn send(target: &BulkTarget, slice: ListSlice) -> Result<SliceResults, ApiError> {
    match target {
        BulkTarget::Instance => invite_from_list(slice).await,
        BulkTarget::Organization { id } => organization_invite_list(id.clone(), slice).await,
    }
}

/// The text of the file chosen in `input`, if any.
#[cfg(feature = "hydrate")]
async fn file_text(input: web_sys::HtmlInputElement) -> Option<String> {
    let file = input.files()?.get(0)?;
    wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()?
        .as_string()
}

#[island]
pub fn BulkInviteForm(
    target: BulkTarget,
    /// The roles the viewer may give; rows without one take the chosen.
    roles: Vec<String>,
    /// Whether the list may name teams (organizations' lists).
    teams: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let text = RwSignal::new(String::new());
    let default_role = roles
        .iter()
        .find(|r| *r == "member" || *r == "user")
        .or(roles.first())
        .cloned()
        .unwrap_or_default();
    let role = RwSignal::new(default_role.clone());
    let resend = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // (rows sent, rows in all) while sending.
    let progress = RwSignal::new(None::<(usize, usize)>);
    let results = RwSignal::new(Vec::<BulkResult>::new());
    let target = StoredValue::new(target);
    let busy = move || !hydrated.get() || progress.get().is_some();

    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                spawn_local(async move {
                    match file_text(input).await {
                        Some(content) => text.set(content),
                        None => error.set(Some(ApiError::new(
                            crate::error::Code::InvalidRequestBody,
                            "That file could not be read as text. Save it as CSV and try again.",
                        ))),
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        results.set(Vec::new());
        let (list, chosen, again) = (text.get(), role.get(), resend.get());
        progress.set(Some((0, 0)));
        spawn_local(async move {
            let target = target.get_value();
            let mut offset = 0;
            loop {
                let slice = ListSlice {
                    text: list.clone(),
                    role: chosen.clone(),
                    resend: again,
                    offset,
                };
                match send(&target, slice).await {
                    Ok(done) => {
                        offset += SLICE;
                        progress.set(Some((offset.min(done.total), done.total)));
                        results.update(|r| r.extend(done.results));
                        if offset >= done.total {
                            break;
                        }
                    }
                    Err(e) => {
                        error.set(Some(e));
                        break;
                    }
                }
            }
            progress.set(None);
        });
    };

    let hint = if teams {
        "One person per line: email, then a role and a team if they differ. A header line (email,role,team) is fine. Up to 500 people."
    } else {
        "One person per line: email, then a role if it differs. A header line (email,role) is fine. Up to 500 people."
    };
    view! {
        <form on:submit=on_submit novalidate aria-label="Invite from a list" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <LiveFieldset hydrated>
                <h2 class="text-lg font-semibold">"Invite from a list"</h2>
                <p class="mt-1 text-sm text-slate-600">"Paste a list or choose a CSV file. Each person gets an invitation by email; sending the same list again changes nothing."</p>
                {move || error.get().map(|e| view! { <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
                <div class="mt-4">
                    <label for="bulk-list" class=LABEL>"People to invite"</label>
                    <textarea id="bulk-list" rows="6" class=format!("{INPUT} font-mono text-sm") aria-describedby="bulk-list-hint"
                        placeholder=if teams { "ada@example.com\ngrace@example.com,admin,Platform" } else { "ada@example.com\ngrace@example.com,admin" }
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <p id="bulk-list-hint" class="mt-1 text-xs text-slate-500">{hint}</p>
                </div>
                <div class="mt-4">
                    <label for="bulk-file" class=LABEL>"Or a CSV file"</label>
                    <input id="bulk-file" type="file" accept=".csv,text/csv,text/plain" on:change=on_file
                        class="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium" />
                </div>
                <div class="mt-4">
                    <label for="bulk-role" class=LABEL>"Role for rows that name none"</label>
                    <select id="bulk-role" class=INPUT on:change=move |ev| role.set(event_target_value(&ev))>
                        {roles.into_iter().map(|r| {
                            let selected = r == default_role;
                            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <label class="mt-4 flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                        prop:checked=move || resend.get() on:change=move |ev| resend.set(event_target_checked(&ev)) />
                    "Send open invitations again, with a new link"
                </label>
                <button type="submit" class=format!("mt-6 {BUTTON}") disabled=move || busy() || text.get().trim().is_empty()>
                    {move || match progress.get() {
                        Some((_, 0)) => "Reading the list…".to_owned(),
                        Some((done, total)) => format!("Inviting… {done} of {total}"),
                        None => "Invite everyone on the list".to_owned(),
                    }}
                </button>
                {move || progress.get().filter(|(_, total)| *total > 0).map(|(done, total)| view! {
                    <div class="mt-3 h-2 overflow-hidden rounded-full bg-slate-100" role="progressbar"
                        aria-label="Invitations sent" aria-valuemin="0" aria-valuemax=total.to_string() aria-valuenow=done.to_string()>
                        <div class="h-full bg-indigo-600 transition-all" style=format!("width: {}%", done * 100 / total.max(1))></div>
                    </div>
                })}
            </LiveFieldset>
            {move || (!results.get().is_empty()).then(|| view! { <Results results=results.get() /> })}
        </form>
    }
}

/// The table of what happened to each row, with a count per result.
#[component]
fn Results(results: Vec<BulkResult>) -> impl IntoView {
    let sent = results.iter().filter(|r| r.status.sent()).count();
    let mut counts: Vec<(BulkStatus, usize)> = Vec::new();
    for r in &results {
        match counts.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.status, 1)),
        }
    }
    let summary = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.label().to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let tone = if sent == results.len() {
        Tone::Success
    } else {
        Tone::Info
    };
    view! {
        <div class="mt-6" data-testid="bulk-results">
            <Alert tone>{format!("{} of {} invited: {summary}.", sent, results.len())}</Alert>
            <div class="mt-3 max-h-96 overflow-auto rounded-lg border border-slate-200">
                <table class="w-full text-left text-sm">
                    <thead class="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                        <tr><th class="px-3 py-2">"Email"</th><th class="px-3 py-2">"Result"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {results.into_iter().map(|r| {
                            let class = if r.status.sent() { "text-emerald-700" } else { "text-slate-700" };
                            view! {
                                <tr data-testid="bulk-row" data-status=r.status.word()>
                                    <td class="break-all px-3 py-2 font-mono text-xs">{if r.email.is_empty() { "(empty)".to_owned() } else { r.email.clone() }}</td>
                                    <td class=format!("px-3 py-2 {class}")>
                                        <span class="font-medium">{r.status.label()}</span>
                                        {r.message.map(|m| view! { <span class="block text-xs text-slate-500">{m}</span> })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <button type="button" class=format!("mt-3 {SMALL_BUTTON}") on:click=move |_| reload()>"Done: show the invitations"</button>
        </div>
    }
}
