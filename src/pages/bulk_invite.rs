//! Inviting from a list: a pasted list or a CSV file (`email[,role][,team]`,
//! header optional, up to 500 rows), on the instance's invitations page and
//! on an organization's invitations tab. The form sends the list a slice at
//! a time, so a long list shows its progress; the server reads the text
//! each time, so the browser carries no parser. Every row ends in the
//! results table with what happened to it.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    error::ApiError,
    invitations::bulk::{BulkResult, BulkStatus, ListSlice, SLICE},
    organizations::invitations::invite_from_list,
    ui::{reload, use_hydrated, Alert, Submitted, Tone, BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

/// The form: its fields are rendered on the server and read when it is
/// sent (`ui::Submitted`); only sending, the progress and the results are
/// the island's.
#[component]
pub fn BulkInviteForm(
    /// The organization invited into; the instance when none.
    organization_id: Option<String>,
    /// The roles the viewer may give; rows without one take the chosen.
    roles: Vec<String>,
    /// Whether the list may name teams (organizations' lists).
    teams: bool,
) -> impl IntoView {
    let default_role = roles
        .iter()
        .find(|r| *r == "member" || *r == "user")
        .or(roles.first())
        .cloned()
        .unwrap_or_default();
    let (hint, example) = if teams {
        (
            "One person per line: email, then a role and a team if they differ. A header line (email,role,team) is fine. Up to 500 people.",
            "ada@example.com\ngrace@example.com,admin,Platform",
        )
    } else {
        (
            "One person per line: email, then a role if it differs. A header line (email,role) is fine. Up to 500 people.",
            "ada@example.com\ngrace@example.com,admin",
        )
    };
    view! {
        <ListSender organization_id>
            <h2 class="text-lg font-semibold">"Invite from a list"</h2>
            <p class="mt-1 text-sm text-slate-600">"Paste a list or choose a CSV file. Each person gets an invitation by email; sending the same list again changes nothing."</p>
            <div class="mt-4">
                <label for="bulk-list" class=LABEL>"People to invite"</label>
                <textarea id="bulk-list" name="text" rows="6" class=format!("{INPUT} font-mono text-sm") aria-describedby="bulk-list-hint" placeholder=example></textarea>
                <p id="bulk-list-hint" class="mt-1 text-xs text-slate-500">{hint}</p>
            </div>
            <div class="mt-4">
                <label for="bulk-file" class=LABEL>"Or a CSV file"</label>
                <input id="bulk-file" name="file" type="file" accept=".csv,text/csv,text/plain"
                    class="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium" />
            </div>
            <div class="mt-4">
                <label for="bulk-role" class=LABEL>"Role for rows that name none"</label>
                <select id="bulk-role" name="role" class=INPUT>
                    {roles.into_iter().map(|r| {
                        let selected = r == default_role;
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <label class="mt-4 flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" name="resend" class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
                "Send open invitations again, with a new link"
            </label>
        </ListSender>
    }
}

/// Sends the list a slice at a time: the chosen file's text, or else the
/// pasted one.
#[island]
fn ListSender(organization_id: Option<String>, children: Children) -> impl IntoView {
    let hydrated = use_hydrated();
    let error = RwSignal::new(None::<ApiError>);
    // (rows sent, rows in all) while sending.
    let progress = RwSignal::new(None::<(usize, usize)>);
    let results = RwSignal::new(Vec::<BulkResult>::new());
    let organization_id = StoredValue::new(organization_id);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if progress.get_untracked().is_some() {
            return;
        }
        error.set(None);
        results.set(Vec::new());
        progress.set(Some((0, 0)));
        let fields = Submitted::of(&ev);
        spawn_local(async move {
            let text = match fields.file_text("file").await {
                Some(text) => text,
                None => fields.text("text"),
            };
            let (role, resend) = (fields.text("role"), fields.checked("resend"));
            let organization_id = organization_id.get_value();
            let mut offset = 0;
            loop {
                let slice = ListSlice {
                    text: text.clone(),
                    role: role.clone(),
                    resend,
                    offset,
                };
                match invite_from_list(organization_id.clone(), slice).await {
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
    view! {
        <form on:submit=on_submit novalidate aria-label="Invite from a list" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            {move || error.get().map(|e| view! { <div class="mb-4"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
            {children()}
            <button type="submit" class=format!("mt-6 {BUTTON}") disabled=move || !hydrated.get() || progress.get().is_some()>
                {move || match progress.get() {
                    Some((_, 0)) => "Reading the list…".to_owned(),
                    Some((done, total)) => format!("Inviting… {done} of {total}"),
                    None => "Invite everyone on the list".to_owned(),
                }}
            </button>
            // A native bar: the page's policy allows no inline styles.
            {move || progress.get().filter(|(_, total)| *total > 0).map(|(done, total)| view! {
                <progress class="mt-3 h-2 w-full accent-indigo-600" aria-label="Invitations sent"
                    max=total.to_string() value=done.to_string()></progress>
            })}
            {move || (!results.get().is_empty()).then(|| view! { <Results results=results.get() /> })}
        </form>
    }
}

/// The table of what happened to each row, with a count per result.
#[component]
fn Results(results: Vec<BulkResult>) -> impl IntoView {
    let (sent, total) = (
        results.iter().filter(|r| r.status.sent()).count(),
        results.len(),
    );
    let mut counts: Vec<(BulkStatus, usize)> = Vec::new();
    for r in &results {
        match counts.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.status, 1)),
        }
    }
    let summary = counts
        .iter()
        .map(|(s, n)| format!("{}: {n}", s.label()))
        .collect::<Vec<_>>()
        .join(" · ");
    let tone = if sent == results.len() {
        Tone::Success
    } else {
        Tone::Info
    };
    view! {
        <div class="mt-6" data-testid="bulk-results">
            <Alert tone>
                <p class="font-medium">{format!("{sent} of {total} invited")}</p>
                <p class="mt-1 text-sm">{summary}</p>
            </Alert>
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
