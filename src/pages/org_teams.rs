//! `/orgs/{slug}/teams`: the organization's teams with their members.
//! Members see them and make a team of theirs their active one; with
//! `team:create`, `team:update` and `team:delete`, they create, rename and
//! remove teams and add or take out people (SPEC §4).
//!
//! Rendered on the server; each team card and the create form are islands
//! that load the page again after a change, so it always shows what is
//! stored.

use leptos::prelude::*;

use crate::{
    error::ApiError,
    organizations::{
        teams::{
            team_action, teams_page, CreateTeamBody, RemoveTeamBody, SetActiveTeamBody, TeamAction,
            TeamChanges, TeamMemberBody, TeamPerson, UpdateTeamBody,
        },
        OrganizationPage,
    },
    ui::{
        reload, use_hydrated, Alert, LiveFieldset, Tone, BUTTON, DANGER_BUTTON, INPUT, LABEL,
        SMALL_BUTTON,
    },
};

#[component]
pub fn TeamsTab(page: OrganizationPage) -> impl IntoView {
    let organization_id = page.organization.id.clone();
    let data = Resource::new(
        {
            let id = organization_id.clone();
            move || id.clone()
        },
        teams_page,
    );
    let may_create = page.can("team:create");
    let may_update = page.can("team:update");
    let may_delete = page.can("team:delete");
    let me = page.me.user_id.clone();
    view! {
        <div class="grid grid-cols-1 gap-8 lg:grid-cols-3">
            <section class="lg:col-span-2" aria-label="Teams">
                <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                    {move || {
                        let me = me.clone();
                        data.get().map(move |r| match r {
                            Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                            Ok(p) if p.teams.is_empty() => view! {
                                <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">"No teams yet."</div>
                            }.into_any(),
                            Ok(p) => {
                                let last = p.teams.len() == 1 && !p.allow_removing_all_teams;
                                view! {
                                    <ul class="flex flex-col gap-4">
                                        {p.teams.into_iter().map(|t| {
                                            let in_team: Vec<String> = t.members.iter().map(|m| m.user_id.clone()).collect();
                                            let candidates: Vec<TeamPerson> = p.people.iter().filter(|m| !in_team.contains(&m.user_id)).cloned().collect();
                                            let active = p.active_team_id.as_deref() == Some(t.team.id.as_str());
                                            view! {
                                                <li data-testid="team">
                                                    <TeamCard
                                                        id=t.team.id
                                                        name=t.team.name
                                                        members=t.members
                                                        candidates
                                                        me=me.clone()
                                                        active
                                                        may_update
                                                        may_delete=may_delete && !last
                                                    />
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                        })
                    }}
                </Suspense>
            </section>
            <aside class="flex flex-col gap-6">
                {may_create.then(|| view! { <NewTeamForm organization_id=organization_id.clone() /> })}
                <section class="rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-600 shadow-sm">
                    <h2 class="font-semibold text-slate-900">"Teams"</h2>
                    <p class="mt-2">"A team groups members of the organization. An invitation can put someone in a team, and the team you make active is the one apps see in your session."</p>
                </section>
            </aside>
        </div>
    }
}

#[island]
fn NewTeamForm(organization_id: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let name = RwSignal::new(String::new());
    let create = Action::new(|body: &CreateTeamBody| team_action(TeamAction::Create(body.clone())));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            reload();
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateTeamBody {
            name: Some(name.get()),
            organization_id: Some(organization_id.clone()),
        });
    };
    view! {
        <form on:submit=on_submit novalidate aria-label="Create a team" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <LiveFieldset hydrated>
                <h2 class="font-semibold text-slate-900">"Create a team"</h2>
                {move || create.value().get().and_then(Result::err).map(|e| view! {
                    <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div>
                })}
                <div class="mt-4">
                    <label for="new-team-name" class=LABEL>"Team name"</label>
                    <input id="new-team-name" name="name" class=INPUT autocomplete="off" placeholder="Platform"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class=format!("mt-5 {BUTTON}") disabled=move || !hydrated.get() || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create team" }}
                </button>
            </LiveFieldset>
        </form>
    }
}

/// A team with its members and what the viewer may do about it. Every
/// change goes through `team_action`; after one, the page loads again.
#[island]
#[allow(clippy::too_many_arguments)] // an island's props are its arguments
fn TeamCard(
    id: String,
    name: String,
    members: Vec<TeamPerson>,
    /// Members of the organization who are not in the team.
    candidates: Vec<TeamPerson>,
    /// The viewer's user id.
    me: String,
    active: bool,
    may_update: bool,
    may_delete: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let act = Action::new(|change: &TeamAction| team_action(change.clone()));
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match act.value().get() {
        Some(Ok(())) => reload(),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let busy = move || !hydrated.get() || act.pending().get();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let new_name = RwSignal::new(name.clone());
    let chosen = RwSignal::new(String::new());
    // Someone quick may pick a member before the island wakes: read what
    // the list shows then, or the button stays disabled with a choice made.
    let picker = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        if let Some(select) = picker.get() {
            chosen.set(select.value());
        }
    });
    let i_am_in = members.iter().any(|m| m.user_id == me);
    let count = members.len();
    let team = StoredValue::new(id);
    let dispatch = move |change: TeamAction| {
        error.set(None);
        act.dispatch(change);
    };
    let member_body = move |user_id: String| TeamMemberBody {
        team_id: Some(team.get_value()),
        user_id: Some(user_id),
    };
    view! {
        <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <h3 class="flex flex-wrap items-center gap-2 font-semibold text-slate-900">
                        <span class="truncate" data-testid="team-name">{name.clone()}</span>
                        {active.then(|| view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800" data-testid="active-team">"your active team"</span> })}
                    </h3>
                    <p class="mt-0.5 text-sm text-slate-500">{if count == 1 { "1 member".to_owned() } else { format!("{count} members") }}</p>
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    {(i_am_in && !active).then(|| view! {
                        <button type="button" class=SMALL_BUTTON disabled=busy
                            on:click=move |_| dispatch(TeamAction::Activate(SetActiveTeamBody { team_id: Some(team.get_value()) }))
                        >"Make active"</button>
                    })}
                    {may_update.then(|| view! {
                        <button type="button" class=SMALL_BUTTON disabled=busy on:click=move |_| renaming.update(|r| *r = !*r)>"Rename"</button>
                    })}
                    {may_delete.then(|| view! {
                        {move || if confirming.get() {
                            view! {
                                <span class="text-sm text-slate-700">"Remove this team?"</span>
                                <button type="button" class=DANGER_BUTTON disabled=busy
                                    on:click=move |_| dispatch(TeamAction::Remove(RemoveTeamBody { team_id: Some(team.get_value()), organization_id: None }))
                                >"Remove team"</button>
                                <button type="button" class=SMALL_BUTTON on:click=move |_| confirming.set(false)>"Keep"</button>
                            }.into_any()
                        } else {
                            view! { <button type="button" class=DANGER_BUTTON disabled=busy on:click=move |_| confirming.set(true)>"Remove"</button> }.into_any()
                        }}
                    })}
                </div>
            </div>
            {move || error.get().map(|e| view! { <div class="mt-3"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
            {move || renaming.get().then(|| view! {
                <form class="mt-3 flex flex-wrap items-end gap-2" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    dispatch(TeamAction::Rename(UpdateTeamBody { team_id: Some(team.get_value()), data: Some(TeamChanges { name: Some(new_name.get()) }) }));
                }>
                    <label class="min-w-0 flex-1">
                        <span class="sr-only">"New name"</span>
                        <input class=INPUT prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class=SMALL_BUTTON disabled=busy>"Save name"</button>
                </form>
            })}
            <ul class="mt-3 divide-y divide-slate-100 border-t border-slate-100" aria-label=format!("Members of {name}")>
                {members.into_iter().map(|m| {
                    let is_me = m.user_id == me;
                    let user_id = m.user_id.clone();
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 py-2" data-testid="team-member">
                            <span class="min-w-0">
                                <span class="block truncate text-sm font-medium text-slate-900">{m.name.clone()}{is_me.then_some(" (you)")}</span>
                                <span class="block truncate text-xs text-slate-500">{m.email.clone()}</span>
                            </span>
                            {(may_update || is_me).then(|| view! {
                                <button type="button" class=SMALL_BUTTON disabled=busy
                                    on:click=move |_| dispatch(TeamAction::TakeOut(member_body(user_id.clone())))
                                >{if is_me { "Leave team" } else { "Take out" }}</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(may_update && !candidates.is_empty()).then(|| view! {
                <form class="mt-3 flex flex-wrap items-end gap-2" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let user_id = chosen.get();
                    if !user_id.is_empty() {
                        dispatch(TeamAction::Add(member_body(user_id)));
                    }
                }>
                    <label class="min-w-0 flex-1">
                        <span class="sr-only">"Member to add"</span>
                        <select node_ref=picker class=INPUT aria-label="Member to add" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            <option value="">"Choose a member…"</option>
                            {candidates.into_iter().map(|m| view! { <option value=m.user_id>{format!("{} ({})", m.name, m.email)}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=SMALL_BUTTON disabled=move || busy() || chosen.get().is_empty()>"Add to team"</button>
                </form>
            })}
        </div>
    }
}
