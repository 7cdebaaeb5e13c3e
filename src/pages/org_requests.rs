//! The members tab's queue of requests to join (issue 26), for members who
//! may invite (`invitation:create`): who asks, through which link, with
//! their message; *Approve* with the roles chosen from those the viewer
//! may give, or *Decline* with an optional word. Plain forms, no island:
//! the forms layer (`pages::forms`) posts them and the tab loads again.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    organizations::requests::{
        list_join_requests, ApproveJoinRequest, DeclineJoinRequest, JoinRequestView,
        ListJoinRequestsQuery,
    },
    pages::{
        forms::{here, take_flash},
        orgs::first_role,
    },
    ui::{format_time, Alert, FormReturn, Tone, DANGER_BUTTON, INPUT, SMALL_BUTTON},
};

/// Answered requests shown under the open ones.
const ANSWERED_SHOWN: usize = 5;

#[component]
pub fn JoinRequests(organization_id: String, roles: Vec<String>) -> impl IntoView {
    let requests = Resource::new(
        move || organization_id.clone(),
        |id| {
            list_join_requests(ListJoinRequestsQuery {
                organization_id: Some(id),
            })
        },
    );
    let (back, flash) = (here(), take_flash());
    view! {
        {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
        <Suspense fallback=|| ()>
            {move || {
                let (back, roles) = (back.clone(), roles.clone());
                requests.get().map(move |r| match r {
                    Ok(all) if all.is_empty() => ().into_any(),
                    Ok(all) => {
                        let (open, answered): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| r.status == "pending");
                        view! {
                            <section class="rounded-xl border border-amber-200 bg-amber-50/40 p-4 sm:p-5" aria-label="Requests to join" data-testid="join-requests">
                                <h2 class="font-semibold text-slate-900">
                                    "Requests to join "<span class="font-normal text-slate-500">{format!("({})", open.len())}</span>
                                </h2>
                                {open.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-600">"None waiting."</p> })}
                                <ul class="mt-3 flex flex-col gap-3">
                                    {open.into_iter().map(|r| view! { <OpenRequest request=r roles=roles.clone() back=back.clone() /> }).collect_view()}
                                </ul>
                                {(!answered.is_empty()).then(|| view! {
                                    <p class="mt-3 text-xs text-slate-500">
                                        "Answered lately: "
                                        {answered.iter().take(ANSWERED_SHOWN).map(|r| format!("{} ({})", r.name, r.status)).collect::<Vec<_>>().join(", ")}
                                    </p>
                                })}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn OpenRequest(request: JoinRequestView, roles: Vec<String>, back: String) -> impl IntoView {
    let r = request;
    let default_role = first_role(&roles).unwrap_or_default();
    let role_id = format!("request-role-{}", r.id);
    let note_id = format!("request-note-{}", r.id);
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-testid="join-request">
            <div class="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                <div class="min-w-0">
                    <p class="truncate font-medium text-slate-900">{r.name.clone()}</p>
                    <p class="truncate text-sm text-slate-600">{r.email.clone()}</p>
                </div>
                <p class="text-xs text-slate-500">
                    {format!("asked {}", format_time(&r.created_at))}
                    {r.join_link_name.clone().map(|n| format!(" · through “{n}”"))}
                </p>
            </div>
            {r.message.clone().map(|m| view! { <blockquote class="mt-2 whitespace-pre-line border-l-2 border-slate-200 pl-3 text-sm text-slate-700">{m}</blockquote> })}
            <div class="mt-3 flex flex-col gap-3 sm:flex-row sm:items-end">
                <form method="post" action=ApproveJoinRequest::PATH class="flex items-end gap-2">
                    <FormReturn back=back.clone() next=back.clone() />
                    <input type="hidden" name="requestId" value=r.id.clone() />
                    <div>
                        <label for=role_id.clone() class="block text-xs font-medium text-slate-700">"As"</label>
                        <select id=role_id name="role" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm">
                            {roles.into_iter().map(|x| {
                                let selected = x == default_role;
                                view! { <option value=x.clone() selected=selected>{x.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class=SMALL_BUTTON>"Approve"</button>
                </form>
                <form method="post" action=DeclineJoinRequest::PATH class="flex min-w-0 flex-1 items-end gap-2">
                    <FormReturn back=back.clone() next=back />
                    <input type="hidden" name="requestId" value=r.id.clone() />
                    <div class="min-w-0 flex-1">
                        <label for=note_id.clone() class="block text-xs font-medium text-slate-700">"Why not"<span class="font-normal text-slate-500">" (optional)"</span></label>
                        <input id=note_id name="message" maxlength="500" class=INPUT />
                    </div>
                    <button type="submit" class=DANGER_BUTTON>"Decline"</button>
                </form>
            </div>
        </li>
    }
}
