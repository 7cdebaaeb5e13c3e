//! `/orgs/{slug}/roles`: the built-in roles as a read-only permission
//! matrix, and the organization's custom roles as matrices of checkboxes
//! to create, change, rename and delete (SPEC §4). A box the viewer cannot
//! grant (their roles lack it) is disabled and says why.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    access::statements::{built_in_organization_role, BUILT_IN_ORGANIZATION_ROLES, ORGANIZATION},
    organizations::{
        roles::{list_roles, CreateRole, DeleteRole, RolesQuery, UpdateRole},
        OrganizationPage,
    },
    pages::forms::{take_flash, Enhanced},
    ui::{Alert, Confirm, FormReturn, Tone, INPUT, LABEL, SMALL_BUTTON},
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
    let back = format!("/orgs/{}/roles", page.organization.slug);
    let flash = take_flash();
    view! {
        // One island for every form of the tab.
        <Enhanced><div class="flex flex-col gap-8">
            <section aria-labelledby="custom-roles">
                <h2 id="custom-roles" class="text-lg font-semibold text-slate-900">"Custom roles"</h2>
                <p class="mt-1 text-sm text-slate-600">"A custom role grants exactly the permissions ticked below. Give it to people when you invite them or from the members tab."</p>
                {flash.map(|f| view! { <div class="mt-4"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
                <div class="mt-4 grid grid-cols-1 gap-4 lg:grid-cols-2">
                    <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                        {move || {
                            let (organization_id, grantable, back) = (organization_id.clone(), grantable.clone(), back.clone());
                            roles.get().map(move |r| match r {
                                Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                                Ok(list) => view! {
                                    {list.into_iter().map(|role| view! {
                                        <div data-testid="custom-role">
                                            <RoleEditor
                                                organization_id=organization_id.clone()
                                                back=back.clone()
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
                                                back=back.clone()
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
        </div></Enhanced>
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
/// `name` none, the form that creates one. Forms the browser sends; the
/// tab comes back with what is stored.
#[component]
fn RoleEditor(
    organization_id: String,
    /// The tab's address, where every form comes back to.
    back: String,
    name: Option<String>,
    /// `resource:action` it grants now.
    granted: Vec<String>,
    /// `resource:action` the viewer's roles include.
    grantable: Vec<String>,
    may_save: bool,
    may_delete: bool,
) -> impl IntoView {
    let prefix = name.clone().unwrap_or_else(|| "new-role".into());
    let lacking = ORGANIZATION
        .resources
        .iter()
        .flat_map(|(r, actions)| actions.iter().map(move |a| format!("{r}:{a}")))
        .any(|p| !grantable.contains(&p));
    let heading = name.clone().unwrap_or_else(|| "New role".into());
    // An existing role's fields are `update-role`'s `data`.
    let (action, name_field, permission_field) = match name {
        Some(_) => (UpdateRole::PATH, "data.roleName", "data.permission"),
        None => (CreateRole::PATH, "role", "permission"),
    };
    let delete = (name.is_some() && may_delete).then(|| {
        let fields = view! {
            <FormReturn back=back.clone() />
            <input type="hidden" name="organizationId" value=organization_id.clone() />
            <input type="hidden" name="roleName" value=name.clone() />
        };
        view! { <Confirm label="Delete" action=DeleteRole::PATH confirm="Delete role" pending="Deleting…">{fields}</Confirm> }
    });
    view! {
        <div class="h-full rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <h3 class="font-semibold text-slate-900">{heading.clone()}</h3>
                {delete}
            </div>
            <form method="post" action=action novalidate aria-label=heading>
                <FormReturn back=back.clone() />
                <input type="hidden" name="organizationId" value=organization_id />
                {name.clone().map(|n| view! { <input type="hidden" name="roleName" value=n /> })}
                <div class="mt-3">
                    <label for=format!("{prefix}-name") class=LABEL>"Name"</label>
                    <input id=format!("{prefix}-name") name=name_field class=INPUT autocomplete="off" placeholder="billing"
                        required disabled=!may_save value=name.clone() />
                </div>
                <fieldset class="mt-4" disabled=!may_save>
                    <legend class=LABEL>"Permissions"</legend>
                    <div class="mt-2 divide-y divide-slate-100 rounded-lg border border-slate-200">
                        {ORGANIZATION.resources.iter().map(|(resource, actions)| {
                            let list = format!("{permission_field}.{resource}[]");
                            view! {
                                <div class="flex flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2">
                                    <span class="w-24 shrink-0 font-mono text-xs text-slate-600">{*resource}</span>
                                    // Sent even with no box ticked: the role's
                                    // whole matrix, every time.
                                    <input type="hidden" name=list.clone() value="" />
                                    {actions.iter().map(|action| {
                                        let pair = format!("{resource}:{action}");
                                        let allowed = grantable.contains(&pair);
                                        let checked = granted.contains(&pair);
                                        view! {
                                            <label class="inline-flex items-center gap-1.5 text-sm text-slate-800 has-[:disabled]:text-slate-400"
                                                title=(!allowed).then(|| format!("Your roles do not include {pair}, so you cannot grant it."))>
                                                <input type="checkbox" class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                                                    name=list.clone() value=*action aria-label=pair.clone()
                                                    disabled=!allowed checked=checked />
                                                {*action}
                                            </label>
                                            // A box the viewer cannot change is
                                            // not sent by the browser: it keeps
                                            // what the role grants.
                                            {(!allowed && checked).then(|| view! { <input type="hidden" name=list.clone() value=*action /> })}
                                        }
                                    }).collect_view()}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    {(may_save && lacking).then(|| view! {
                        <p class="mt-2 text-xs text-slate-500">"Greyed-out permissions are ones your own roles do not include, so you cannot grant them."</p>
                    })}
                </fieldset>
                {may_save.then(|| view! {
                    <button type="submit" class=format!("mt-4 {SMALL_BUTTON}") data-pending="Saving…">
                        {if name.is_some() { "Save changes" } else { "Create role" }}
                    </button>
                })}
            </form>
        </div>
    }
}
