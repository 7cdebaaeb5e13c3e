//! `/orgs/{slug}`, an organization's home, and its tabs: **members**
//! (search, paging, roles, remove, leave, add an existing account) and
//! **settings** (name, slug, logo, delete after typing the slug). A tab is
//! shown to those whose roles let them use it; someone outside the
//! organization gets the same 404 page as for one that does not exist.
//!
//! The page is rendered on the server, and every change on it is a form
//! the browser sends (`pages::forms`); one island per tab only checks and
//! shows that a form is on its way.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::{
    accounts::domain::Email,
    error::Code,
    organizations::{
        organization_page, AddMember, DeleteOrganization as DeleteOrganizationFn,
        LeaveOrganization, MemberView, OrganizationPage, RemoveMember, UpdateMemberRole,
        UpdateOrganization, MEMBERS_PAGE,
    },
    pages::forms::{take_flash, Enhanced},
    pages::{
        not_found::NotFoundPage, org_domains::DomainsSection, org_invitations::InvitationsTab,
        org_requests::JoinRequests, org_roles::RolesTab, org_teams::TeamsTab,
    },
    ui::{
        format_time, Alert, Check, Confirm, Field, FormFlash, FormReturn, PageLinks, SubmitButton,
        Tone, BUTTON, INPUT, LABEL, QUERY_VALUE, SMALL_BUTTON,
    },
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Members,
    Invitations,
    Teams,
    Roles,
    Settings,
}

#[component]
pub fn OrganizationMembersPage() -> impl IntoView {
    organization_page_view(Tab::Members)
}

#[component]
pub fn OrganizationInvitationsPage() -> impl IntoView {
    organization_page_view(Tab::Invitations)
}

#[component]
pub fn OrganizationTeamsPage() -> impl IntoView {
    organization_page_view(Tab::Teams)
}

#[component]
pub fn OrganizationRolesPage() -> impl IntoView {
    organization_page_view(Tab::Roles)
}

#[component]
pub fn OrganizationSettingsPage() -> impl IntoView {
    organization_page_view(Tab::Settings)
}

fn organization_page_view(tab: Tab) -> impl IntoView {
    let slug = use_params_map()
        .read_untracked()
        .get("slug")
        .unwrap_or_default();
    let query = use_query_map();
    let query = query.read_untracked();
    let search = query.get("search").unwrap_or_default();
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    // Set by the forms when they reload the page; only an address is ever
    // shown from `added`.
    let added = query
        .get("added")
        .and_then(|e| Email::parse(&e).ok())
        .map(|e| e.as_str().to_owned());
    let saved = query.get("saved").is_some();
    let sent = query.get("sent").is_some();
    // A member row's own forms: whose roles changed, who was removed.
    let changed = query.get("changed");
    let removed = query.get("removed");
    // An invitation row's *Resend*: only an address is ever shown from it.
    let resent = query
        .get("resent")
        .and_then(|e| Email::parse(&e).ok())
        .map(|e| e.as_str().to_owned());
    let data = Resource::new(
        {
            let (slug, search) = (slug.clone(), search.clone());
            move || (slug.clone(), search.clone(), offset)
        },
        |(slug, search, offset)| organization_page(slug, Some(search), Some(offset.to_string())),
    );
    view! {
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || {
                let (slug, search, added) = (slug.clone(), search.clone(), added.clone());
                let (changed, removed, resent) = (changed.clone(), removed.clone(), resent.clone());
                data.get().map(move |r| match r {
                    Err(e) if e.code == Code::Unauthorized => {
                        let tab_path = match tab {
                            Tab::Members => "",
                            Tab::Invitations => "/invitations",
                            Tab::Teams => "/teams",
                            Tab::Roles => "/roles",
                            Tab::Settings => "/settings",
                        };
                        let back = utf8_percent_encode(&format!("/orgs/{slug}{tab_path}"), QUERY_VALUE).to_string();
                        view! { <Redirect path=format!("/sign-in?redirectTo={back}") /> }.into_any()
                    }
                    Err(e) if e.code == Code::NotFound => view! { <NotFoundPage /> }.into_any(),
                    Err(e) if e.code == Code::TwoFactorRequired => view! { <TwoFactorNeeded message=e.message /> }.into_any(),
                    Err(e) => view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
                    Ok(page) => view! {
                        <Title text=page.organization.name.clone() />
                        <div class="mx-auto max-w-5xl">
                            <OrganizationHeading page=page.clone() tab />
                            {match tab {
                                Tab::Members => view! { <MembersTab page search offset added changed removed /> }.into_any(),
                                Tab::Invitations => view! { <InvitationsTab page resent=resent.clone() sent /> }.into_any(),
                                Tab::Teams => view! { <TeamsTab page /> }.into_any(),
                                Tab::Roles => view! { <RolesTab page /> }.into_any(),
                                Tab::Settings => view! { <SettingsTab page saved /> }.into_any(),
                            }}
                        </div>
                    }.into_any(),
                })
            }}
        </Suspense>
    }
}

/// For a member the organization's two-factor rule holds back: what to do.
#[component]
fn TwoFactorNeeded(message: String) -> impl IntoView {
    view! {
        <Title text="Two-factor authentication required" />
        <section class="mx-auto max-w-md rounded-xl border border-amber-200 bg-white p-6 shadow-sm" aria-labelledby="two-factor-needed">
            <h1 id="two-factor-needed" class="text-lg font-semibold text-slate-900">"Two-factor authentication required"</h1>
            <p class="mt-2 text-sm text-slate-600">{message}</p>
            <p class="mt-2 text-sm text-slate-600">"It takes a minute: an authenticator app on your phone, and one code from it."</p>
            <a href="/account#two-factor" class=format!("mt-5 {BUTTON}")>"Turn on two-factor authentication"</a>
        </section>
    }
}

fn may_see_invitations(page: &OrganizationPage) -> bool {
    page.can("invitation:create") || page.can("invitation:cancel")
}

fn may_see_settings(page: &OrganizationPage) -> bool {
    page.can("organization:update") || page.can("organization:delete")
}

/// The organization's name, logo and the viewer's roles, then the tabs.
#[component]
fn OrganizationHeading(page: OrganizationPage, tab: Tab) -> impl IntoView {
    let o = &page.organization;
    let base = format!("/orgs/{}", o.slug);
    let tab_class = |active: bool| {
        if active {
            "-mb-px whitespace-nowrap border-b-2 border-indigo-600 px-1 pb-3 font-semibold text-indigo-700"
        } else {
            "-mb-px whitespace-nowrap border-b-2 border-transparent px-1 pb-3 font-medium text-slate-600 hover:border-slate-300 hover:text-slate-900"
        }
    };
    let current = |active: bool| active.then_some("page");
    let initial = o
        .name
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    view! {
        <div class="mb-6 flex items-center gap-4">
            {match o.logo.clone() {
                Some(src) => view! { <img src=src alt="" referrerpolicy="no-referrer" class="h-12 w-12 shrink-0 rounded-lg border border-slate-200 bg-white object-cover" /> }.into_any(),
                None => view! { <span aria-hidden="true" class="inline-flex h-12 w-12 shrink-0 items-center justify-center rounded-lg bg-indigo-100 text-xl font-semibold text-indigo-700">{initial}</span> }.into_any(),
            }}
            <div class="min-w-0">
                <h1 class="truncate text-2xl font-semibold tracking-tight text-slate-900">{o.name.clone()}</h1>
                <p class="mt-0.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-slate-500">
                    <span>{format!("/orgs/{}", o.slug)}</span>
                    <span aria-hidden="true">"·"</span>
                    <span>"You are"</span>
                    <RoleBadges roles=roles_of(&page.me) />
                </p>
            </div>
        </div>
        <nav aria-label="Organization" class="mb-6 flex gap-6 overflow-x-auto border-b border-slate-200 text-sm">
            <a href=base.clone() class=tab_class(tab == Tab::Members) aria-current=current(tab == Tab::Members)>
                "Members " <span class="ml-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600">{page.member_count.to_string()}</span>
            </a>
            {may_see_invitations(&page).then(|| view! {
                <a href=format!("{base}/invitations") class=tab_class(tab == Tab::Invitations) aria-current=current(tab == Tab::Invitations)>"Invitations"</a>
            })}
            {page.teams_enabled.then(|| view! {
                <a href=format!("{base}/teams") class=tab_class(tab == Tab::Teams) aria-current=current(tab == Tab::Teams)>"Teams"</a>
            })}
            {(page.custom_roles_enabled && page.can("ac:read")).then(|| view! {
                <a href=format!("{base}/roles") class=tab_class(tab == Tab::Roles) aria-current=current(tab == Tab::Roles)>"Roles"</a>
            })}
            {may_see_settings(&page).then(|| view! {
                <a href=format!("{base}/settings") class=tab_class(tab == Tab::Settings) aria-current=current(tab == Tab::Settings)>"Settings"</a>
            })}
        </nav>
    }
}

fn roles_of(member: &MemberView) -> Vec<String> {
    member.role.split(',').map(str::to_owned).collect()
}

/// An organization member's roles, each as a badge.
#[component]
pub fn RoleBadges(roles: Vec<String>) -> impl IntoView {
    roles
        .into_iter()
        .map(|r| {
            let tone = match r.as_str() {
                "owner" => "bg-amber-100 text-amber-900",
                "admin" => "bg-indigo-50 text-indigo-700",
                _ => "bg-slate-100 text-slate-700",
            };
            view! { <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {tone}") data-testid="member-role">{r}</span> }
        })
        .collect_view()
}

/// A checkbox for each role, ticked for those in `chosen`; for the member
/// row and the invite form alike.
#[component]
pub fn RoleCheckboxes(
    roles: Vec<String>,
    chosen: Vec<String>,
    #[prop(into)] name: String,
) -> impl IntoView {
    roles
        .into_iter()
        .map(|r| {
            let checked = chosen.contains(&r);
            view! {
                <label class="inline-flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" name=name.clone() value=r.clone() checked=checked
                        class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
                    {r}
                </label>
            }
        })
        .collect_view()
}

/// The role a form offers first: `member`, else the first of those the
/// viewer may grant.
pub fn first_role(roles: &[String]) -> Option<String> {
    roles
        .iter()
        .find(|r| *r == "member")
        .or(roles.first())
        .cloned()
}

/// The team a form puts people in (`teamId`): none, or one of `teams`
/// (id, name), `chosen` selected.
#[component]
pub fn TeamSelect(id: &'static str, teams: Vec<(String, String)>, chosen: String) -> impl IntoView {
    view! {
        <select id=id name="teamId" class=INPUT>
            <option value="">"No team"</option>
            {teams.into_iter().map(|(id, name)| {
                let selected = id == chosen;
                view! { <option value=id selected=selected>{name}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
fn MembersTab(
    page: OrganizationPage,
    search: String,
    offset: usize,
    added: Option<String>,
    /// The member whose roles were just changed.
    changed: Option<String>,
    /// The name of the member just removed.
    removed: Option<String>,
) -> impl IntoView {
    let slug = page.organization.slug.clone();
    let organization_id = page.organization.id.clone();
    let (add_flash, flash) = FormFlash::split(take_flash(), ADD_MEMBER_FORM);
    let i_am_owner = page.is_owner(&page.me);
    let sole_owner = i_am_owner && page.owners.len() == 1;
    let rows = page
        .members
        .iter()
        .map(|m| {
            let is_me = m.id == page.me.id;
            let owner_row = page.is_owner(m);
            // Only owners act on owners (the server holds to it too).
            let within_reach = !owner_row || i_am_owner;
            let user = m.user.clone();
            let (name, email) = user
                .map(|u| (u.name, u.email))
                .unwrap_or_default();
            view! {
                <li class="px-4 py-4 sm:px-5" data-testid="member-row">
                    <div class="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                        <div class="min-w-0">
                            <p class="truncate font-medium text-slate-900">
                                {name.clone()}
                                {is_me.then(|| view! { <span class="ml-1 text-sm font-normal text-slate-500">"(you)"</span> })}
                            </p>
                            <p class="truncate text-sm text-slate-600">{email.clone()}</p>
                        </div>
                        <p class="text-xs text-slate-500">"Joined " {format_time(&m.created_at)}</p>
                    </div>
                    <MemberControls
                        member=MemberRow {
                            organization_id: organization_id.clone(),
                            slug: slug.clone(),
                            member_id: m.id.clone(),
                            name,
                            roles: roles_of(m),
                        }
                        done=changed.as_deref() == Some(m.id.as_str())
                        assignable=page.assignable_roles.clone()
                        can_change=page.can("member:update") && within_reach
                        can_remove=page.can("member:delete") && within_reach && !is_me
                        is_me
                        sole_owner=is_me && sole_owner
                    />
                </li>
            }
        })
        .collect_view();
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let page_size = i64::try_from(MEMBERS_PAGE).unwrap_or(i64::MAX);
    let total = page.total;
    view! {
        {added.map(|email| view! {
            <Alert tone=Tone::Success>{email}" is now a member."</Alert>
        })}
        {removed.map(|name| view! {
            <Alert tone=Tone::Success>{name}" was removed from the organization."</Alert>
        })}
        {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
        {page.can("invitation:create").then(|| view! {
            <div class="mb-6">
                <JoinRequests organization_id=page.organization.id.clone() roles=page.assignable_roles.clone() />
            </div>
        })}
        // One island for every form of the tab.
        <Enhanced><div class="grid grid-cols-1 gap-8 lg:grid-cols-3">
            <section class="lg:col-span-2" aria-label="Members">
                <form method="get" action=format!("/orgs/{slug}") class="mb-3" role="search">
                    <label class="sr-only" for="member-search">"Search members"</label>
                    <input
                        id="member-search" name="search" type="search"
                        placeholder="Search by name or email"
                        class="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
                        value=search.clone()
                    />
                </form>
                {if total == 0 {
                    view! { <p class="rounded-xl border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">"No member matches “"{search.clone()}"”."</p> }.into_any()
                } else {
                    view! {
                        <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="members">
                            {rows}
                        </ul>
                        <PageLinks base=format!("/orgs/{slug}") query=vec![("search", search.clone())] offset page_size total labels=("Previous", "Next") />
                    }.into_any()
                }}
            </section>
            // A column with gaps rather than `space-y`: islands are inline
            // elements, which take no margin.
            <aside class="flex flex-col gap-6">
                {page.may_add_accounts.then(|| view! {
                    <AddMemberForm organization_id=page.organization.id.clone() slug=slug.clone() roles=page.assignable_roles.clone() flash=add_flash.clone() />
                })}
                <RolesExplained />
            </aside>
        </div></Enhanced>
    }
}

/// What each built-in role may do, in a sentence each.
#[component]
fn RolesExplained() -> impl IntoView {
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5 text-sm shadow-sm">
            <h2 class="font-semibold text-slate-900">"Roles"</h2>
            <dl class="mt-3 space-y-2 text-slate-600">
                <div><dt class="inline font-medium text-slate-800">"owner"</dt><dd class="inline">" — everything, including deleting the organization and managing owners."</dd></div>
                <div><dt class="inline font-medium text-slate-800">"admin"</dt><dd class="inline">" — settings, members, invitations and teams; not owners, not deletion."</dd></div>
                <div><dt class="inline font-medium text-slate-800">"member"</dt><dd class="inline">" — belongs to the organization and sees its roles."</dd></div>
            </dl>
        </section>
    }
}

/// A member's roles, and what the viewer may do about them: change their
/// roles, remove them, or (on their own row) leave. Each is a form the
/// browser sends; the ones that cannot be undone ask first, in a
/// disclosure. The list comes back with the row saying what changed.
#[component]
fn MemberControls(
    member: MemberRow,
    assignable: Vec<String>,
    can_change: bool,
    can_remove: bool,
    is_me: bool,
    sole_owner: bool,
    done: bool,
) -> impl IntoView {
    let MemberRow {
        organization_id,
        slug,
        member_id,
        name,
        roles,
    } = member;
    let back = format!("/orgs/{slug}");
    let said = done.then(|| format!("{name} is now {}.", roles.join(" and ")));
    let leave_or_remove = if is_me && sole_owner {
        Some(view! { <span class="text-xs text-slate-500">"You are the only owner: make someone else owner before you leave."</span> }.into_any())
    } else if is_me {
        let fields = view! {
            <FormReturn back=back.clone() next="/dashboard" />
            <input type="hidden" name="organizationId" value=organization_id.clone() />
        };
        Some(view! {
            <Confirm label="Leave organization" action=LeaveOrganization::PATH question="Leave this organization?" confirm="Yes, leave" pending="Leaving…">
                {fields}
            </Confirm>
        }.into_any())
    } else if can_remove {
        let next = format!(
            "{back}?removed={}",
            utf8_percent_encode(&name, NON_ALPHANUMERIC)
        );
        let fields = view! {
            <FormReturn back=back.clone() next />
            <input type="hidden" name="organizationId" value=organization_id.clone() />
            <input type="hidden" name="memberIdOrEmail" value=member_id.clone() />
        };
        Some(view! {
            <Confirm label="Remove" action=RemoveMember::PATH question="Remove this member?" confirm="Yes, remove" pending="Removing…">
                {fields}
            </Confirm>
        }.into_any())
    } else {
        None
    };
    let change = can_change.then(|| {
        let next = format!("{back}?changed={member_id}");
        view! {
            <details class="open:basis-full">
                <summary class="cursor-pointer text-sm font-medium text-indigo-700 hover:text-indigo-600">"Change roles"</summary>
                <form method="post" action=UpdateMemberRole::PATH class="mt-2">
                    <FormReturn back=back.clone() next />
                    <input type="hidden" name="organizationId" value=organization_id.clone() />
                    <input type="hidden" name="memberId" value=member_id.clone() />
                    <fieldset class="rounded-lg border border-slate-200 bg-slate-50 p-3">
                        <legend class="px-1 text-sm font-medium text-slate-800">{format!("Roles of {name}")}</legend>
                        <div class="flex flex-wrap gap-x-5 gap-y-2">
                            <RoleCheckboxes roles=assignable chosen=roles.clone() name="role" />
                        </div>
                        <button type="submit" class=format!("mt-3 {SMALL_BUTTON}") data-pending="Saving…">"Save roles"</button>
                    </fieldset>
                </form>
            </details>
        }
    });
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-1.5" data-testid="member-roles">
            <RoleBadges roles />
        </div>
        {said.map(|m| view! { <div class="mt-3"><Alert tone=Tone::Success>{m}</Alert></div> })}
        {(change.is_some() || leave_or_remove.is_some()).then(|| view! {
            <div class="mt-3 flex flex-wrap items-start gap-x-4 gap-y-2">
                {change}
                {leave_or_remove}
            </div>
        })}
    }
}

/// Who a member row is about, for its forms.
#[derive(Clone)]
struct MemberRow {
    organization_id: String,
    slug: String,
    member_id: String,
    name: String,
    roles: Vec<String>,
}

/// For instance admins (`user:create`): add someone who has an account.
#[component]
fn AddMemberForm(
    organization_id: String,
    slug: String,
    roles: Vec<String>,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let typed_role = FormFlash::value(&flash, "role");
    let chosen = if roles.contains(&typed_role) {
        typed_role
    } else {
        first_role(&roles).unwrap_or_default()
    };
    view! {
        <form method="post" action=AddMember::PATH novalidate aria-label="Add an existing account" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <FormReturn back=format!("/orgs/{slug}") next=format!("/orgs/{slug}?added={{email}}") form=ADD_MEMBER_FORM />
            <input type="hidden" name="organizationId" value=organization_id />
            <h2 class="font-semibold text-slate-900">"Add an existing account"</h2>
            <p class="mt-1 text-sm text-slate-600">"As an instance administrator you can add someone who already has an account here."</p>
            {FormFlash::form_error(&flash, EMAIL_CODES).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            <div class="mt-4">
                <Field label="Email" name="email" kind="email" autocomplete="off" check=Check::Email
                    value=FormFlash::value(&flash, "email") error=FormFlash::field_error(&flash, EMAIL_CODES) />
                <label for="add-member-role" class=LABEL>"Role"</label>
                <select id="add-member-role" name="role" class=INPUT>
                    {roles.into_iter().map(|r| {
                        let selected = r == chosen;
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="mt-5">
                <SubmitButton label="Add member" pending_label="Adding…" />
            </div>
        </form>
    }
}

/// The add-member form, whose errors show in it.
const ADD_MEMBER_FORM: &str = "add-member";
const EMAIL_CODES: &[Code] = &[
    Code::InvalidEmail,
    Code::NoAccountToAdd,
    Code::YouCannotAddYourselfToAnOrganization,
    Code::UserIsAlreadyAMemberOfThisOrganization,
];

#[component]
fn SettingsTab(page: OrganizationPage, saved: bool) -> impl IntoView {
    if !may_see_settings(&page) {
        return view! {
            <Alert tone=Tone::Info>"Only owners and admins can change this organization's settings."</Alert>
        }
        .into_any();
    }
    let o = page.organization.clone();
    let owner = roles_of(&page.me).iter().any(|r| r == "owner");
    let (settings_flash, flash) = FormFlash::split(take_flash(), SETTINGS_FORM);
    let (delete_flash, _) = FormFlash::split(flash, DELETE_FORM);
    view! {
        {saved.then(|| view! { <Alert tone=Tone::Success>"Settings saved."</Alert> })}
        // One island for every form of the tab.
        <Enhanced><div class="grid grid-cols-1 gap-8 lg:grid-cols-2">
            {if page.can("organization:update") {
                view! { <SettingsForm organization_id=o.id.clone() name=o.name.clone() slug=o.slug.clone() logo=o.logo.clone().unwrap_or_default() flash=settings_flash /> }.into_any()
            } else {
                view! { <p class="text-sm text-slate-600">"Your roles do not let you change the name, slug or logo."</p> }.into_any()
            }}
            {page.can("organization:delete").then(|| if page.deletion_disabled {
                view! {
                    <section class="rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-600 shadow-sm">
                        <h2 class="font-semibold text-slate-900">"Delete organization"</h2>
                        <p class="mt-1">"Deleting organizations is turned off on this instance."</p>
                    </section>
                }.into_any()
            } else {
                view! { <DeleteOrganization organization_id=o.id.clone() name=o.name.clone() slug=o.slug.clone() members=page.member_count flash=delete_flash /> }.into_any()
            })}
            {page.can("organization:update").then(|| view! { <TwoFactorPolicy page=page.clone() owner /> })}
            {page.can("organization:update").then(|| view! {
                <DomainsSection
                    organization_id=o.id.clone()
                    slug=o.slug.clone()
                    owner
                    roles=page.assignable_roles.clone()
                />
            })}
        </div></Enhanced>
    }
    .into_any()
}

/// The settings tab's forms whose errors show in them.
const SETTINGS_FORM: &str = "settings";
const DELETE_FORM: &str = "delete";

/// The two-factor form's field, as `organization/update` takes it.
pub const TWO_FACTOR_FIELD: &str = "data.requireTwoFactor";

/// Whether members must use two-factor authentication: who would be held
/// back, before an owner turns it on. A plain form, so no script.
#[component]
fn TwoFactorPolicy(page: OrganizationPage, owner: bool) -> impl IntoView {
    let o = page.organization.clone();
    let on = o.require_two_factor;
    let held_back = page.without_two_factor.len();
    let people = if held_back == 1 {
        "1 member does".to_owned()
    } else {
        format!("{held_back} members do")
    };
    // The settings tab's other plain forms read the same flash: this one's
    // carries its field.
    let flash = take_flash().filter(|f| f.values.iter().any(|(n, _)| n == TWO_FACTOR_FIELD));
    let change = match (owner, on, page.my_two_factor) {
        (false, _, _) => view! { <p class="mt-4 text-sm text-slate-500">"Only an owner can change this."</p> }.into_any(),
        (true, false, false) => view! {
            <p class="mt-4 text-sm text-slate-600">
                "To require it, first "<a href="/account#two-factor" class="font-medium text-indigo-600 hover:text-indigo-500">"turn on two-factor authentication for your own account"</a>"."
            </p>
        }.into_any(),
        (true, _, _) => view! {
            <form method="post" action=crate::organizations::UpdateOrganization::PATH class="mt-4">
                <FormReturn back=format!("/orgs/{}/settings", o.slug) next=format!("/orgs/{}/settings?saved=1", o.slug) />
                <input type="hidden" name="organizationId" value=o.id.clone() />
                <input type="hidden" name=TWO_FACTOR_FIELD value=(!on).to_string() />
                <button type="submit" class=if on { SMALL_BUTTON } else { BUTTON }>
                    {if on { "Stop requiring two-factor" } else { "Require two-factor authentication" }}
                </button>
            </form>
        }.into_any(),
    };
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="two-factor-policy">
            <h2 id="two-factor-policy" class="font-semibold text-slate-900">"Two-factor authentication"</h2>
            {flash.map(|f| view! { <div class="mt-3"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
            <p class="mt-1 text-sm text-slate-600">
                {if on {
                    "Members must use two-factor authentication. Those who do not can only leave until they turn it on."
                } else {
                    "Require every member to use two-factor authentication. Those who do not can only leave until they turn it on."
                }}
            </p>
            {if held_back == 0 {
                view! { <p class="mt-3 text-sm text-emerald-700">"Every member uses two-factor authentication."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-950" data-testid="without-two-factor">
                        <p class="font-medium">{people}" not use two-factor authentication"{if on { ", and cannot act here:" } else { " yet:" }}</p>
                        <ul class="mt-1 list-inside list-disc">
                            {page.without_two_factor.iter().take(20).map(|u| view! {
                                <li class="truncate">{u.name.clone()}" "<span class="text-amber-800">"("{u.email.clone()}")"</span></li>
                            }).collect_view()}
                        </ul>
                        {(held_back > 20).then(|| view! { <p class="mt-1">"and "{held_back - 20}" more."</p> })}
                    </div>
                }.into_any()
            }}
            {change}
        </section>
    }
}

#[component]
fn SettingsForm(
    organization_id: String,
    name: String,
    slug: String,
    logo: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    // What was typed, when the last save was refused; else what is stored.
    let typed = |field: &str, stored: String| {
        if flash.is_some() {
            FormFlash::value(&flash, field)
        } else {
            stored
        }
    };
    let field = |id: &'static str,
                 name: &'static str,
                 label: &'static str,
                 value: String,
                 hint: &'static str| {
        view! {
            <div class="mt-4">
                <label for=id class=LABEL>{label}</label>
                <input id=id name=name class=INPUT autocomplete="off" value=value />
                {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
            </div>
        }
    };
    view! {
        <form method="post" action=UpdateOrganization::PATH novalidate aria-label="Organization settings" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <FormReturn back=format!("/orgs/{slug}/settings") next="/orgs/{data.slug}/settings?saved=1" form=SETTINGS_FORM />
            <input type="hidden" name="organizationId" value=organization_id />
            <h2 class="font-semibold text-slate-900">"Settings"</h2>
            {flash.as_ref().map(|f| f.error.message.clone()).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            {field("org-name", "data.name", "Name", typed("data.name", name.clone()), "")}
            // Empty removes the logo.
            {field("org-slug", "data.slug", "Slug", typed("data.slug", slug.clone()), "Changing it changes the organization's address.")}
            {field("org-logo", "data.logo", "Logo URL", typed("data.logo", logo.clone()), "An https address of an image; leave empty for none.")}
            <div class="mt-5">
                <SubmitButton label="Save settings" pending_label="Saving…" />
            </div>
        </form>
    }
}

/// Deleting asks for the slug, typed out, so it is never a slip: the
/// browser holds the form back until it matches.
#[component]
fn DeleteOrganization(
    organization_id: String,
    name: String,
    slug: String,
    members: i64,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let people = if members == 1 {
        "its 1 member".to_owned()
    } else {
        format!("its {members} members")
    };
    view! {
        <section class="rounded-xl border border-red-200 bg-white p-5 shadow-sm" aria-labelledby="delete-heading">
            <h2 id="delete-heading" class="font-semibold text-red-800">"Delete organization"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "This deletes "<strong>{name}</strong>" with "{people}" and everything in it, at once. It cannot be undone."
            </p>
            {flash.map(|f| view! { <div class="mt-4"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
            <form method="post" action=DeleteOrganizationFn::PATH>
                <FormReturn back=format!("/orgs/{slug}/settings") next="/dashboard" form=DELETE_FORM />
                <input type="hidden" name="organizationId" value=organization_id />
                <div class="mt-4">
                    <label for="confirm-slug" class=LABEL>"Type "<code class="rounded bg-slate-100 px-1">{slug.clone()}</code>" to confirm"</label>
                    // A slug is lowercase letters, digits and dashes: as a
                    // pattern it matches only itself.
                    <input id="confirm-slug" name="_confirm" class=INPUT autocomplete="off" spellcheck="false"
                        required pattern=slug.clone() title=format!("Type {slug} to confirm") />
                </div>
                <button type="submit" data-pending="Deleting…"
                    class="mt-5 inline-flex w-full items-center justify-center rounded-md bg-red-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-red-500 disabled:cursor-not-allowed disabled:opacity-50"
                >"Delete this organization"</button>
            </form>
        </section>
    }
}
