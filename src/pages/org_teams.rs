//! `/orgs/{slug}/teams`: the organization's teams with their members.
//! Members see them and make a team of theirs their active one; with
//! `team:create`, `team:update` and `team:delete`, they create, rename and
//! remove teams and add or take out people (SPEC §4).
//!
//! Rendered on the server, every change a form the browser sends: the page
//! comes back after it, showing what is stored.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    error::Code,
    organizations::{
        teams::{
            teams_page, AddTeamMember, CreateTeam, RemoveTeam, RemoveTeamMember, SetActiveTeam,
            TeamPerson, TeamView, UpdateTeam,
        },
        OrganizationPage,
    },
    pages::forms::{take_flash, Enhanced},
    ui::{Alert, Confirm, Field, FormFlash, FormReturn, SubmitButton, Tone, INPUT, SMALL_BUTTON},
};

/// The create form, whose errors show in it.
const CREATE_FORM: &str = "create-team";
const NAME_CODES: &[Code] = &[Code::TeamAlreadyExists];

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
    let back = format!("/orgs/{}/teams", page.organization.slug);
    let (create_flash, flash) = FormFlash::split(take_flash(), CREATE_FORM);
    view! {
        // One island for every form of the tab.
        <Enhanced><div class="grid grid-cols-1 gap-8 lg:grid-cols-3">
            <section class="lg:col-span-2" aria-label="Teams">
                {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
                <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                    {move || {
                        let (me, back) = (me.clone(), back.clone());
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
                                                        team=t.team
                                                        members=t.members
                                                        candidates
                                                        me=me.clone()
                                                        active
                                                        may_update
                                                        may_delete=may_delete && !last
                                                        back=back.clone()
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
                {may_create.then(|| view! { <NewTeamForm organization_id=organization_id.clone() back=format!("/orgs/{}/teams", page.organization.slug) flash=create_flash /> })}
                <section class="rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-600 shadow-sm">
                    <h2 class="font-semibold text-slate-900">"Teams"</h2>
                    <p class="mt-2">"A team groups members of the organization. An invitation can put someone in a team, and the team you make active is the one apps see in your session."</p>
                </section>
            </aside>
        </div></Enhanced>
    }
}

#[component]
fn NewTeamForm(organization_id: String, back: String, flash: Option<FormFlash>) -> impl IntoView {
    view! {
        <form method="post" action=CreateTeam::PATH novalidate aria-label="Create a team" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <FormReturn back=back form=CREATE_FORM />
            <input type="hidden" name="organizationId" value=organization_id />
            <h2 class="font-semibold text-slate-900">"Create a team"</h2>
            {FormFlash::form_error(&flash, NAME_CODES).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            <div class="mt-4">
                <Field label="Team name" name="name" autocomplete="off" value=FormFlash::value(&flash, "name")
                    error=FormFlash::field_error(&flash, NAME_CODES) />
            </div>
            <SubmitButton label="Create team" pending_label="Creating…" />
        </form>
    }
}

/// A team with its members and what the viewer may do about it, each a
/// form the browser sends; the page comes back with what is stored.
#[component]
fn TeamCard(
    team: TeamView,
    members: Vec<TeamPerson>,
    /// Members of the organization who are not in the team.
    candidates: Vec<TeamPerson>,
    /// The viewer's user id.
    me: String,
    active: bool,
    may_update: bool,
    may_delete: bool,
    back: String,
) -> impl IntoView {
    let i_am_in = members.iter().any(|m| m.user_id == me);
    let count = members.len();
    let (id, name) = (team.id, team.name);
    let hidden_team = move || view! { <input type="hidden" name="teamId" value=id.clone() /> };
    let here = move || view! { <FormReturn back=back.clone() /> };
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
                {(i_am_in && !active).then(|| view! {
                    <form method="post" action=SetActiveTeam::PATH>
                        {here()}
                        {hidden_team()}
                        <button type="submit" class=SMALL_BUTTON data-pending="Saving…">"Make active"</button>
                    </form>
                })}
            </div>
            {(may_update || may_delete).then(|| view! {
                <div class="mt-3 flex flex-wrap items-start gap-x-4 gap-y-2">
                    {may_update.then(|| view! {
                        <details class="open:basis-full">
                            <summary class="cursor-pointer text-sm font-medium text-indigo-700 hover:text-indigo-600">"Rename"</summary>
                            <form method="post" action=UpdateTeam::PATH class="mt-2 flex flex-wrap items-end gap-2">
                                {here()}
                                {hidden_team()}
                                <label class="min-w-0 flex-1">
                                    <span class="sr-only">"New name"</span>
                                    <input name="data.name" class=INPUT value=name.clone() required autocomplete="off" />
                                </label>
                                <button type="submit" class=SMALL_BUTTON data-pending="Saving…">"Save name"</button>
                            </form>
                        </details>
                    })}
                    {may_delete.then(|| {
                        let fields = view! { {here()} {hidden_team()} };
                        view! {
                            <Confirm label="Remove" action=RemoveTeam::PATH question="Remove this team?" confirm="Remove team" pending="Removing…">
                                {fields}
                            </Confirm>
                        }
                    })}
                </div>
            })}
            <ul class="mt-3 divide-y divide-slate-100 border-t border-slate-100" aria-label=format!("Members of {name}")>
                {members.into_iter().map(|m| {
                    let is_me = m.user_id == me;
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 py-2" data-testid="team-member">
                            <span class="min-w-0">
                                <span class="block truncate text-sm font-medium text-slate-900">{m.name.clone()}{is_me.then_some(" (you)")}</span>
                                <span class="block truncate text-xs text-slate-500">{m.email.clone()}</span>
                            </span>
                            {(may_update || is_me).then(|| view! {
                                <form method="post" action=RemoveTeamMember::PATH>
                                    {here()}
                                    {hidden_team()}
                                    <input type="hidden" name="userId" value=m.user_id.clone() />
                                    <button type="submit" class=SMALL_BUTTON data-pending="Saving…">{if is_me { "Leave team" } else { "Take out" }}</button>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(may_update && !candidates.is_empty()).then(|| view! {
                <form method="post" action=AddTeamMember::PATH class="mt-3 flex flex-wrap items-end gap-2">
                    {here()}
                    {hidden_team()}
                    <label class="min-w-0 flex-1">
                        <span class="sr-only">"Member to add"</span>
                        <select name="userId" class=INPUT aria-label="Member to add" required>
                            <option value="">"Choose a member…"</option>
                            {candidates.into_iter().map(|m| view! { <option value=m.user_id>{format!("{} ({})", m.name, m.email)}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=SMALL_BUTTON data-pending="Adding…">"Add to team"</button>
                </form>
            })}
        </div>
    }
}
