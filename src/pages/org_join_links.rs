//! The join links section of `/orgs/{slug}/invitations`: making a
//! shareable link (name, role, team, expiry, uses, domains), the link just
//! made with its QR code (shown once: only its hash is kept), and every
//! link with its uses and who used it, to revoke.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    organizations::{
        invitations::links::{
            list_join_links, CreateJoinLink, JoinLinkView, ListJoinLinksQuery, RevokeJoinLink,
        },
        OrganizationPage,
    },
    pages::{
        forms::{take_kept, Enhanced},
        orgs::{first_role, RoleBadges, TeamSelect},
    },
    ui::{
        format_time, Alert, CopyButton, FormFlash, FormReturn, SubmitButton, Tone, DANGER_BUTTON,
        INPUT, LABEL, LINK,
    },
};

/// What the next page shows of `create-join-link`'s answer.
const KEEP: &str = "url,token,name";

/// `KEEP` of the answer, as the next page reads it.
#[derive(serde::Deserialize)]
struct Made {
    url: String,
    token: String,
    name: String,
}

/// The join links section's forms, whose errors show above the links.
const MAKE_FORM: &str = "join-link";
const REVOKE_FORM: &str = "revoke-join-link";

#[component]
pub fn JoinLinksSection(
    page: OrganizationPage,
    /// The tab's flash, when one of this section's forms was refused.
    flash: Option<FormFlash>,
) -> impl IntoView {
    let may_create = page.can("invitation:create");
    let may_revoke = page.can("invitation:cancel");
    let organization_id = page.organization.id.clone();
    let links = Resource::new(
        {
            let id = organization_id.clone();
            move || id.clone()
        },
        |id| {
            list_join_links(ListJoinLinksQuery {
                organization_id: Some(id),
            })
        },
    );
    let teams: Vec<(String, String)> = page
        .teams
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    let me = page.me.user_id.clone();
    // A link just made, or why making or revoking one was refused.
    let made = take_kept::<Made>();
    let back = format!("/orgs/{}/invitations#join-links", page.organization.slug);
    let flash = flash.filter(|f| matches!(f.form(), Some(MAKE_FORM | REVOKE_FORM)));
    let typed = flash.clone().filter(|f| f.form() == Some(MAKE_FORM));
    view! {
        <section id="join-links" class="mt-12 border-t border-slate-200 pt-8" aria-labelledby="join-links-heading">
            <h2 id="join-links-heading" class="text-lg font-semibold text-slate-900">"Join links"</h2>
            <p class="mt-1 max-w-3xl text-sm text-slate-600">"A link anyone can open to join, without an invitation by email: post it in a chat, or print its QR code for a room. Each person joins once."</p>
            {flash.map(|f| view! { <div class="mt-4"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
            <Enhanced>
            {made.map(|made| view! { <CreatedLink made /> })}
            <div class="mt-6 grid grid-cols-1 gap-8 lg:grid-cols-5">
                {may_create.then(|| view! {
                    <div class="lg:col-span-2">
                        <NewJoinLinkForm organization_id=organization_id.clone() roles=page.assignable_roles.clone() teams=teams.clone() back=back.clone() flash=typed />
                    </div>
                })}
                <div class=if may_create { "lg:col-span-3" } else { "lg:col-span-5" }>
                    <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                        {move || {
                            let (teams, me, back) = (teams.clone(), me.clone(), back.clone());
                            links.get().map(move |r| match r {
                                Ok(all) if all.is_empty() => view! {
                                    <p class="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-500">"No join links yet."</p>
                                }.into_any(),
                                Ok(all) => view! {
                                    <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" aria-label="Join links">
                                        {all.into_iter().map(|link| {
                                            let team = link.team_id.as_ref().and_then(|id| teams.iter().find(|(t, _)| t == id)).map(|(_, n)| n.clone());
                                            let may = may_revoke || (may_create && link.created_by == me);
                                            view! { <LinkRow link team may_revoke=may back=back.clone() /> }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                                Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                            })
                        }}
                    </Suspense>
                </div>
            </div>
            </Enhanced>
        </section>
    }
}

#[component]
fn LinkRow(
    link: JoinLinkView,
    team: Option<String>,
    may_revoke: bool,
    /// This page, where revoking comes back to.
    back: String,
) -> impl IntoView {
    let uses = match link.max_uses {
        Some(max) => format!("{} of {max} uses", link.uses),
        None if link.uses == 1 => "1 use".to_owned(),
        None => format!("{} uses", link.uses),
    };
    let when = match link.status.as_str() {
        "pending" => format!("expires {}", format_time(&link.expires_at)),
        "expired" => format!("expired {}", format_time(&link.expires_at)),
        _ => format!("made {}", format_time(&link.created_at)),
    };
    let roles = link.role.split(',').map(str::to_owned).collect();
    let used_by = link.used_by.clone();
    view! {
        <li class="px-4 py-4 sm:px-5" data-testid="join-link-row">
            <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <p class="truncate font-medium text-slate-900">{link.name.clone()}</p>
                    <div class="mt-1 flex flex-wrap items-center gap-1.5">
                        <RoleBadges roles />
                        {team.map(|name| view! { <span class="text-xs text-slate-600">"→ team "{name}</span> })}
                    </div>
                    <p class="mt-1 text-xs text-slate-500">
                        <span data-testid="join-link-uses">{uses}</span>" · "{when}
                        {(!link.allowed_domains.is_empty()).then(|| format!(" · only {}", link.allowed_domains.join(", ")))}
                        {link.require_approval.then_some(" · needs approval")}
                    </p>
                    {(!used_by.is_empty()).then(|| view! {
                        <details class="mt-2 text-sm">
                            <summary class="cursor-pointer text-slate-700">{format!("Who joined ({})", used_by.len())}</summary>
                            <ul class="mt-1 space-y-0.5 pl-4 text-slate-600" data-testid="join-link-used-by">
                                {used_by.into_iter().map(|u| view! { <li>{format!("{} ({}), {}", u.name, u.email, format_time(&u.joined_at))}</li> }).collect_view()}
                            </ul>
                        </details>
                    })}
                </div>
                <div class="shrink-0">
                    <LinkControls id=link.id status=link.status may_revoke back />
                </div>
            </div>
        </li>
    }
}

/// A link's status and, while it is open, *Revoke*: a form the browser
/// sends (`pages::forms` makes its post the `revoke-join-link` call and
/// loads the tab again, with the refusal above the links if there is one).
#[component]
fn LinkControls(id: String, status: String, may_revoke: bool, back: String) -> impl IntoView {
    let (label, class) = match status.as_str() {
        "pending" => ("open", "bg-emerald-100 text-emerald-800"),
        "expired" => ("expired", "bg-amber-100 text-amber-900"),
        "used" => ("used up", "bg-indigo-50 text-indigo-700"),
        _ => ("revoked", "bg-slate-200 text-slate-700"),
    };
    view! {
        <div class="flex flex-wrap items-center gap-2 sm:justify-end">
            <span data-testid="join-link-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span>
            {(may_revoke && status == "pending").then(|| view! {
                <form method="post" action=RevokeJoinLink::PATH>
                    <FormReturn back=back.clone() next=back.clone() form=REVOKE_FORM />
                    <input type="hidden" name="joinLinkId" value=id />
                    <button type="submit" class=DANGER_BUTTON data-pending="Revoking…">"Revoke"</button>
                </form>
            })}
        </div>
    }
}

/// Expiry choices, in seconds: a week unless changed, at most 30 days.
const EXPIRY: [(i64, &str); 4] = [
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (14 * 86_400, "14 days"),
    (30 * 86_400, "30 days"),
];

/// The form, sent by the browser; the tab comes back with the new link
/// above the list (`CreatedLink`).
#[component]
fn NewJoinLinkForm(
    organization_id: String,
    roles: Vec<String>,
    /// (id, name) of the organization's teams.
    teams: Vec<(String, String)>,
    back: String,
    /// Its last post, refused: what was typed comes back.
    flash: Option<FormFlash>,
) -> impl IntoView {
    let typed = |name: &str| FormFlash::value(&flash, name);
    let chosen_role = Some(typed("role"))
        .filter(|r| roles.contains(r))
        .or_else(|| first_role(&roles))
        .unwrap_or_default();
    let expiry = typed("expiresIn").parse().unwrap_or(7 * 86_400);
    let team = typed("teamId");
    view! {
        <form method="post" action=CreateJoinLink::PATH novalidate aria-label="Make a join link" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <FormReturn back=back.clone() next=back form=MAKE_FORM />
            <input type="hidden" name="_keep" value=KEEP />
            <input type="hidden" name="_split" value="allowedDomains" />
            <input type="hidden" name="organizationId" value=organization_id />
            <h3 class="font-semibold text-slate-900">"Make a join link"</h3>
            <div class="mt-4">
                <label for="join-link-name" class=LABEL>"Link name"</label>
                <input id="join-link-name" name="name" class=INPUT placeholder="Spring cohort" autocomplete="off" value=typed("name") />
            </div>
            <div class="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-2">
                <div>
                    <label for="join-link-role" class=LABEL>"Joins as"</label>
                    <select id="join-link-role" name="role" class=INPUT>
                        {roles.into_iter().map(|r| {
                            let selected = r == chosen_role;
                            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="join-link-expiry" class=LABEL>"Works for"</label>
                    <select id="join-link-expiry" name="expiresIn" class=INPUT>
                        {EXPIRY.iter().map(|(secs, label)| view! {
                            <option value=secs.to_string() selected=*secs == expiry>{*label}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            {(!teams.is_empty()).then(|| view! {
                <div class="mt-4">
                    <label for="join-link-team" class=LABEL>"Puts them in the team"<span class="font-normal text-slate-500">" (optional)"</span></label>
                    <TeamSelect id="join-link-team" teams chosen=team />
                </div>
            })}
            <div class="mt-4">
                <label for="join-link-max-uses" class=LABEL>"Most people who may join"<span class="font-normal text-slate-500">" (optional)"</span></label>
                <input id="join-link-max-uses" name="maxUses" type="number" min="1" class=INPUT inputmode="numeric" placeholder="No limit" value=typed("maxUses") />
            </div>
            <div class="mt-4">
                <label for="join-link-domains" class=LABEL>"Only addresses at"<span class="font-normal text-slate-500">" (optional)"</span></label>
                <input id="join-link-domains" name="allowedDomains" class=INPUT placeholder="acme.com" autocomplete="off" aria-describedby="join-link-domains-hint" value=typed("allowedDomains") />
                <p id="join-link-domains-hint" class="mt-1 text-xs text-slate-500">"Separate domains with commas. People must confirm an address there before they join."</p>
            </div>
            <div class="mt-4 flex items-start gap-2">
                <input id="join-link-approval" type="checkbox" name="requireApproval" value="true" aria-describedby="join-link-approval-hint" checked=typed("requireApproval") == "true"
                    class="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600" />
                <div>
                    <label for="join-link-approval" class="text-sm text-slate-800">"An admin approves each person"</label>
                    <p id="join-link-approval-hint" class="text-xs text-slate-500">"People who use the link ask to join; their requests wait on the Members tab."</p>
                </div>
            </div>
            <div class="mt-6">
                <SubmitButton label="Make join link" pending_label="Making the link…" />
            </div>
        </form>
    }
}

/// The link just made, with its QR code: shown once, on the load after the
/// form, from what the form kept of the answer (`KEEP`).
#[component]
fn CreatedLink(made: Made) -> impl IntoView {
    let token = made.token.clone();
    view! {
        <div class="mt-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5" data-testid="join-link-created">
            <p class="font-medium text-emerald-900">{format!("“{}” is ready. Share the link or its QR code: they are shown only now.", made.name)}</p>
            <div class="mt-4 flex flex-col gap-5 sm:flex-row sm:items-start">
                <img src=format!("/join/{token}/qr.svg") alt="QR code of the join link" width="160" height="160"
                    class="h-40 w-40 shrink-0 rounded-md border border-emerald-200 bg-white p-2" data-testid="join-link-qr" />
                <div class="min-w-0 flex-1">
                    <div class="flex items-center gap-3">
                        <code data-testid="join-link-url" class="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-sm">{made.url.clone()}</code>
                        <CopyButton text=made.url.clone() label="Copy link" />
                    </div>
                    <p class="mt-3 text-sm">
                        <a href=format!("/join/{token}/qr") class=LINK target="_blank">"Open a printable card"</a>
                    </p>
                </div>
            </div>
        </div>
    }
}
