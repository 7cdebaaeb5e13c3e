//! `/orgs/{slug}/roles`: the built-in roles as a read-only permission
//! matrix, and the organization's custom roles as matrices of checkboxes
//! to create, change, rename and delete (SPEC §4). A box the viewer cannot
//! grant (their roles lack it) is disabled and says why.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::{
    access::statements::{built_in_organization_role, BUILT_IN_ORGANIZATION_ROLES, ORGANIZATION},
    error::ApiError,
    organizations::{
        roles::{
            list_roles, role_action, CreateRoleBody, RoleAction, RoleChanges, RoleKeyBody,
            RolesQuery, UpdateRoleBody,
        },
        OrganizationPage,
    },
    ui::{
        reload, use_hydrated, Alert, LiveFieldset, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
};

#[component]
pub fn RolesTab(page: OrganizationPage) -> impl IntoView {
    if !page.can("ac:read") {
        return view! {
            <Alert tone=Tone::Info>"Your roles in this organization do not include reading its roles."</Alert>
        }
        .into_any();
    }
    let organization_id = page.organization.id.clone();
    let roles = Resource::new(
        {
            let id = organization_id.clone();
            move || id.clone()
        },
        |id| {
            list_roles(RolesQuery {
                organization_id: Some(id),
            })
        },
    );
    let grantable = page.permissions.clone();
    let (may_create, may_update, may_delete) = (
        page.can("ac:create"),
        page.can("ac:update"),
        page.can("ac:delete"),
    );
    view! {
        <div class="flex flex-col gap-8">
            <section aria-labelledby="custom-roles">
                <h2 id="custom-roles" class="text-lg font-semibold text-slate-900">"Custom roles"</h2>
                <p class="mt-1 text-sm text-slate-600">"A custom role grants exactly the permissions ticked below. Give it to people when you invite them or from the members tab."</p>
                <div class="mt-4 grid grid-cols-1 gap-4 lg:grid-cols-2">
                    <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                        {move || {
                            let (organization_id, grantable) = (organization_id.clone(), grantable.clone());
                            roles.get().map(move |r| match r {
                                Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                                Ok(list) => view! {
                                    {list.into_iter().map(|role| view! {
                                        <div data-testid="custom-role">
                                            <RoleEditor
                                                organization_id=organization_id.clone()
                                                name=Some(role.role)
                                                granted=role.permission.pairs().map(|(r, a)| format!("{r}:{a}")).collect()
                                                grantable=grantable.clone()
                                                may_save=may_update
                                                may_delete
                                            />
                                        </div>
                                    }).collect_view()}
                                    {may_create.then(|| view! {
                                        <div data-testid="new-role">
                                            <RoleEditor
                                                organization_id=organization_id.clone()
                                                name=None
                                                granted=Vec::new()
                                                grantable=grantable.clone()
                                                may_save=true
                                                may_delete=false
                                            />
                                        </div>
                                    })}
                                }.into_any(),
                            })
                        }}
                    </Suspense>
                </div>
            </section>
            <BuiltInRoles />
        </div>
    }
    .into_any()
}

/// Owner, admin and member: what each may do, read-only.
#[component]
fn BuiltInRoles() -> impl IntoView {
    let roles: Vec<_> = BUILT_IN_ORGANIZATION_ROLES
        .iter()
        .map(|r| (*r, built_in_organization_role(r).unwrap_or_default()))
        .collect();
    view! {
        <section aria-labelledby="built-in-roles">
            <h2 id="built-in-roles" class="text-lg font-semibold text-slate-900">"Built-in roles"</h2>
            <p class="mt-1 text-sm text-slate-600">"These come with every organization and cannot be changed."</p>
            <div class="mt-4 overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
                <table class="min-w-full text-sm">
                    <thead class="bg-slate-50 text-left text-slate-600">
                        <tr>
                            <th scope="col" class="px-4 py-2 font-medium">"Permission"</th>
                            {roles.iter().map(|(r, _)| view! { <th scope="col" class="px-4 py-2 text-center font-medium">{*r}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {ORGANIZATION.resources.iter().flat_map(|(resource, actions)| actions.iter().map(move |action| (*resource, *action))).map(|(resource, action)| view! {
                            <tr>
                                <th scope="row" class="whitespace-nowrap px-4 py-1.5 text-left font-mono text-xs font-normal text-slate-700">{format!("{resource}:{action}")}</th>
                                {roles.iter().map(|(_, s)| {
                                    let yes = s.allows(resource, action);
                                    view! {
                                        <td class="px-4 py-1.5 text-center">
                                            {if yes { view! { <span class="text-emerald-700" aria-label="yes">"✓"</span> }.into_any() } else { view! { <span class="text-slate-300" aria-label="no">"—"</span> }.into_any() }}
                                        </td>
                                    }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// A custom role's permissions as a matrix of resources × actions; with
/// `name` none, the form that creates one. Loads the page again after a
/// change.
#[island]
fn RoleEditor(
    organization_id: String,
    name: Option<String>,
    /// `resource:action` it grants now.
    granted: Vec<String>,
    /// `resource:action` the viewer's roles include.
    grantable: Vec<String>,
    may_save: bool,
    may_delete: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let existing = name.clone();
    let title = RwSignal::new(name.clone().unwrap_or_default());
    let checked = RwSignal::new(granted.clone());
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let act = Action::new(|change: &RoleAction| role_action(change.clone()));
    Effect::new(move |_| match act.value().get() {
        Some(Ok(())) => reload(),
        Some(Err(e)) => {
            confirming.set(false);
            error.set(Some(e));
        }
        None => {}
    });
    let busy = move || !hydrated.get() || act.pending().get();
    let permission = move || {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in checked.get() {
            if let Some((r, a)) = pair.split_once(':') {
                map.entry(r.to_owned()).or_default().push(a.to_owned());
            }
        }
        map
    };
    let org = StoredValue::new(organization_id);
    let on_submit = {
        let existing = existing.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            error.set(None);
            act.dispatch(match &existing {
                None => RoleAction::Create(CreateRoleBody {
                    organization_id: Some(org.get_value()),
                    role: Some(title.get()),
                    permission: Some(permission()),
                }),
                Some(old) => RoleAction::Update(UpdateRoleBody {
                    organization_id: Some(org.get_value()),
                    role_name: Some(old.clone()),
                    role_id: None,
                    data: Some(RoleChanges {
                        permission: Some(permission()),
                        role_name: Some(title.get()).filter(|t| t != old),
                    }),
                }),
            });
        }
    };
    let prefix = existing.clone().unwrap_or_else(|| "new-role".into());
    let lacking = ORGANIZATION
        .resources
        .iter()
        .flat_map(|(r, actions)| actions.iter().map(move |a| format!("{r}:{a}")))
        .any(|p| !grantable.contains(&p));
    let heading = existing.clone().unwrap_or_else(|| "New role".into());
    let label = heading.clone();
    view! {
        <form on:submit=on_submit novalidate aria-label=label class="h-full rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <LiveFieldset hydrated>
                <div class="flex flex-wrap items-center justify-between gap-3">
                    <h3 class="font-semibold text-slate-900">{heading}</h3>
                    {(existing.is_some() && may_delete).then(|| view! {
                        {move || if confirming.get() {
                            view! {
                                <span class="flex items-center gap-2">
                                    <button type="button" class=DANGER_BUTTON disabled=busy on:click={
                                        let existing = existing.clone();
                                        move |_| {
                                            error.set(None);
                                            act.dispatch(RoleAction::Delete(RoleKeyBody {
                                                organization_id: Some(org.get_value()),
                                                role_name: existing.clone(),
                                                role_id: None,
                                            }));
                                        }
                                    }>"Delete role"</button>
                                    <button type="button" class=SMALL_BUTTON on:click=move |_| confirming.set(false)>"Keep"</button>
                                </span>
                            }.into_any()
                        } else {
                            view! { <button type="button" class=DANGER_BUTTON disabled=busy on:click=move |_| confirming.set(true)>"Delete"</button> }.into_any()
                        }}
                    })}
                </div>
                {move || error.get().map(|e| view! { <div class="mt-3"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
                <div class="mt-3">
                    <label for=format!("{prefix}-name") class=LABEL>"Name"</label>
                    <input id=format!("{prefix}-name") class=INPUT autocomplete="off" placeholder="billing" disabled=!may_save
                        prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
                </div>
                <fieldset class="mt-4" disabled=move || !may_save || !hydrated.get()>
                    <legend class=LABEL>"Permissions"</legend>
                    <div class="mt-2 divide-y divide-slate-100 rounded-lg border border-slate-200">
                        {ORGANIZATION.resources.iter().map(|(resource, actions)| view! {
                            <div class="flex flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2">
                                <span class="w-24 shrink-0 font-mono text-xs text-slate-600">{*resource}</span>
                                {actions.iter().map(|action| {
                                    let pair = format!("{resource}:{action}");
                                    let allowed = grantable.contains(&pair);
                                    let (p1, p2) = (pair.clone(), pair.clone());
                                    view! {
                                        <label class="inline-flex items-center gap-1.5 text-sm text-slate-800 has-[:disabled]:text-slate-400"
                                            title=(!allowed).then(|| format!("Your roles do not include {pair}, so you cannot grant it."))>
                                            <input type="checkbox" class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                                                aria-label=pair.clone()
                                                disabled=!allowed
                                                prop:checked=move || checked.get().contains(&p1)
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    checked.update(|c| {
                                                        c.retain(|x| *x != p2);
                                                        if on { c.push(p2.clone()); }
                                                    });
                                                }
                                            />
                                            {*action}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        }).collect_view()}
                    </div>
                    {(may_save && lacking).then(|| view! {
                        <p class="mt-2 text-xs text-slate-500">"Greyed-out permissions are ones your own roles do not include, so you cannot grant them."</p>
                    })}
                </fieldset>
                {may_save.then(|| view! {
                    <button type="submit" class=format!("mt-4 {SMALL_BUTTON}") disabled=move || busy() || checked.get().is_empty() || title.get().trim().is_empty()>
                        {if name.is_some() { "Save changes" } else { "Create role" }}
                    </button>
                })}
            </LiveFieldset>
        </form>
    }
}
