//! `/admin/users/{id}/sessions`: where one person is signed in (device,
//! address, when signed in and last active, whether an admin is acting as
//! them), with "Sign out" for each and "Sign out everywhere". Read on the
//! server; plain forms, so no script.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    accounts::{ListedSession, UserView},
    error::Code,
    pages::forms::take_flash,
    ui::{format_time, Alert, FormReturn, PageHeader, Tone, DANGER_BUTTON, SMALL_BUTTON},
    users::{get_user, list_user_sessions, RevokeUserSession, RevokeUserSessions, UserIdBody},
};

#[component]
pub fn AdminUserSessionsPage() -> impl IntoView {
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .unwrap_or_default();
    let flash = take_flash().map(|f| f.error.message);
    let found = Resource::new(
        {
            let id = id.clone();
            move || id.clone()
        },
        |id| async move {
            let user = get_user(Some(id.clone())).await?;
            let sessions = list_user_sessions(UserIdBody { user_id: Some(id) }).await?;
            Ok::<_, crate::error::ApiError>((user, sessions.sessions))
        },
    );
    view! {
        <Title text="Sessions" />
        <div class="mx-auto max-w-3xl">
            {flash.map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || found.get().map(|r| match r {
                    Err(e) if e.code == Code::Unauthorized => view! {
                        <Alert tone=Tone::Error>"Sign in as an admin to see where people are signed in."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                    Ok((user, sessions)) => view! { <Sessions user sessions /> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn Sessions(user: UserView, sessions: Vec<ListedSession>) -> impl IntoView {
    let back = format!("/admin/users/{}/sessions", user.id);
    let count = sessions.len();
    view! {
        <PageHeader
            title=format!("Where {} is signed in", user.name)
            subtitle=format!("{} · {}", user.email, match count { 0 => "no live session".to_owned(), 1 => "1 live session".to_owned(), n => format!("{n} live sessions") })
        />
        <p class="mb-4 text-sm"><a href="/admin/users" class="font-medium text-indigo-600 hover:text-indigo-500">"← All users"</a></p>
        <section class="rounded-xl border border-slate-200 bg-white shadow-sm" aria-label="Sessions">
            {if sessions.is_empty() {
                view! { <p class="px-6 py-8 text-center text-sm text-slate-500">"They are not signed in anywhere."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200" data-testid="sessions">
                        {sessions.into_iter().map(|s| {
                            let place = s.ip_address.clone().unwrap_or_else(|| "an unknown address".into());
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-6 py-4" data-testid="session">
                                    <div class="min-w-0">
                                        <p class="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                                            {s.device.clone()}
                                            {s.impersonated_by.is_some().then(|| view! {
                                                <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">"An admin acting as them"</span>
                                            })}
                                        </p>
                                        <p class="text-sm text-slate-500">
                                            {format!("From {place} · signed in {} · last active {} · ends {}", format_time(&s.created_at), format_time(&s.updated_at), format_time(&s.expires_at))}
                                        </p>
                                    </div>
                                    <form method="post" action=RevokeUserSession::PATH>
                                        <FormReturn back=back.clone() next=back.clone() />
                                        <input type="hidden" name="sessionToken" value=s.id.clone() />
                                        <button type="submit" class=SMALL_BUTTON aria-label=format!("Sign out {}", s.device)>"Sign out"</button>
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <div class="border-t border-slate-200 px-6 py-4">
                        <form method="post" action=RevokeUserSessions::PATH>
                            <FormReturn back=back.clone() next=back.clone() />
                            <input type="hidden" name="userId" value=user.id.clone() />
                            <button type="submit" class=DANGER_BUTTON>"Sign out everywhere"</button>
                        </form>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
