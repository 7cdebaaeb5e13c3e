//! `/orgs/{slug}/invitations`: the organization's invite form (one or many
//! addresses, the roles the inviter may grant) and its invitations with
//! status and expiry, to resend or cancel (SPEC §4).
//!
//! The tab is rendered on the server, and its forms (invite, and each
//! row's *Resend* and *Cancel*) are sent by the browser (`pages::forms`).
//! After sending, the tab loads again so the list shows the new
//! invitations, and what happened to each address crosses that redirect
//! sealed (`_keep`).

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    error::{ApiError, Code},
    organizations::{
        invitations::{
            list_invitations, CancelInvitation, InvitationView, InviteMember, ListInvitationsQuery,
        },
        OrganizationPage,
    },
    pages::{
        bulk_invite::BulkInviteForm,
        forms::{take_flash, take_kept, Enhanced},
        org_join_links::JoinLinksSection,
        orgs::{first_role, RoleBadges, RoleCheckboxes, TeamSelect},
    },
    ui::{
        format_time, Alert, FormFlash, FormReturn, SubmitButton, Tone, DANGER_BUTTON, INPUT, LABEL,
        SMALL_BUTTON,
    },
};

/// Answered invitations shown below the pending ones; older ones are only
/// counted.
const EARLIER_SHOWN: usize = 20;

#[component]
pub fn InvitationsTab(
    page: OrganizationPage,
    resent: Option<String>,
    /// Back from the invite form.
    sent: bool,
) -> impl IntoView {
    let may_invite = page.can("invitation:create");
    let may_cancel = page.can("invitation:cancel");
    if !(may_invite || may_cancel) {
        return view! {
            <Alert tone=Tone::Info>"Your roles in this organization do not include inviting people."</Alert>
        }
        .into_any();
    }
    let organization_id = page.organization.id.clone();
    let invitations = Resource::new(
        {
            let id = organization_id.clone();
            move || id.clone()
        },
        |id| {
            list_invitations(ListInvitationsQuery {
                organization_id: Some(id),
            })
        },
    );
    // Team names by id, for the rows.
    let teams: Vec<(String, String)> = page
        .teams
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    let list_class = if may_invite {
        "lg:col-span-3"
    } else {
        "lg:col-span-5"
    };
    let links = page.clone();
    let slug = page.organization.slug.clone();
    // What the invite form kept of its answer, or why a form was refused:
    // the invite form's shows in it, the rows' forms (no name) above the
    // list, and the join links' in their section.
    let outcomes = take_kept::<Vec<Outcome>>();
    let (invite_flash, flash) = FormFlash::split(take_flash(), INVITE_FORM);
    let (flash, links_flash) = match flash {
        Some(f) if f.form().is_some() => (None, Some(f)),
        rows => (rows, None),
    };
    view! {
        {resent.map(|email| view! { <Alert tone=Tone::Success>"Invitation sent again to "{email}"."</Alert> })}
        {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
        {match (outcomes, sent) {
            (Some(outcomes), _) => Some(view! { <div class="mb-6" data-testid="invitations-sent"><Outcomes outcomes /></div> }.into_any()),
            // Too many to carry back: the list shows them.
            (None, true) => Some(view! { <Alert tone=Tone::Success>"Invitations sent: they are in the list below."</Alert> }.into_any()),
            (None, false) => None,
        }}
        <div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
            {may_invite.then(|| view! {
                <div class="flex flex-col gap-6 lg:col-span-2">
                    {
                        let form = view! {
                            <InviteMembersForm
                                organization_id=organization_id.clone()
                                slug=page.organization.slug.clone()
                                roles=page.assignable_roles.clone()
                                teams=page.teams.iter().map(|t| (t.id.clone(), t.name.clone())).collect()
                                flash=invite_flash.clone()
                            />
                        };
                        view! { <Enhanced>{form}</Enhanced> }
                    }
                    <BulkInviteForm
                        organization_id=Some(organization_id.clone())
                        roles=page.assignable_roles.clone()
                        teams=page.teams_enabled
                    />
                </div>
            })}
            <section class=list_class aria-label="Invitations">
                <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                    {move || {
                        let (organization_id, slug, teams) = (organization_id.clone(), slug.clone(), teams.clone());
                        invitations.get().map(move |r| match r {
                            Ok(all) => view! { <Enhanced><InvitationList all organization_id slug teams=teams.clone() may_invite may_cancel /></Enhanced> }.into_any(),
                            Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                        })
                    }}
                </Suspense>
            </section>
        </div>
        <JoinLinksSection page=links flash=links_flash />
    }
    .into_any()
}

/// Pending invitations first, then the answered, canceled and expired ones.
#[component]
fn InvitationList(
    all: Vec<InvitationView>,
    organization_id: String,
    slug: String,
    teams: Vec<(String, String)>,
    may_invite: bool,
    may_cancel: bool,
) -> impl IntoView {
    if all.is_empty() {
        return view! {
            <div class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-slate-500">
                "No invitations yet."
                {may_invite.then_some(" Invite someone with the form.")}
            </div>
        }
        .into_any();
    }
    let (pending, earlier): (Vec<_>, Vec<_>) = all.into_iter().partition(|i| i.status == "pending");
    let older = earlier.len().saturating_sub(EARLIER_SHOWN);
    let rows = move |list: Vec<InvitationView>| {
        let (organization_id, slug) = (organization_id.clone(), slug.clone());
        let teams = teams.clone();
        view! {
            <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                {list.into_iter().map(|invitation| {
                    let team = invitation.team_id.as_ref().and_then(|id| teams.iter().find(|(t, _)| t == id)).map(|(_, name)| name.clone());
                    view! { <InvitationRow invitation team organization_id=organization_id.clone() slug=slug.clone() may_invite may_cancel /> }
                }).collect_view()}
            </ul>
        }
    };
    view! {
        <h2 class="mb-2 text-sm font-semibold text-slate-900">
            "Waiting for an answer "<span class="font-normal text-slate-500">{format!("({})", pending.len())}</span>
        </h2>
        {if pending.is_empty() {
            view! { <p class="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-500">"None."</p> }.into_any()
        } else {
            rows.clone()(pending).into_any()
        }}
        {(!earlier.is_empty()).then(|| view! {
            <h2 class="mb-2 mt-8 text-sm font-semibold text-slate-900">"Earlier"</h2>
            {rows(earlier.into_iter().take(EARLIER_SHOWN).collect())}
            {(older > 0).then(|| view! { <p class="mt-2 text-xs text-slate-500">{format!("and {older} older")}</p> })}
        })}
    }
    .into_any()
}

#[component]
fn InvitationRow(
    invitation: InvitationView,
    /// The name of the team it puts the person in.
    team: Option<String>,
    organization_id: String,
    slug: String,
    may_invite: bool,
    may_cancel: bool,
) -> impl IntoView {
    let when = match invitation.status.as_str() {
        "pending" => format!("expires {}", format_time(&invitation.expires_at)),
        "expired" => format!("expired {}", format_time(&invitation.expires_at)),
        _ => String::new(),
    };
    let sent = format!("sent {}", format_time(&invitation.created_at));
    let roles = invitation.role.split(',').map(str::to_owned).collect();
    view! {
        <li class="px-4 py-4 sm:px-5" data-testid="invitation-row">
            <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <p class="truncate font-medium text-slate-900">{invitation.email.clone()}</p>
                    <div class="mt-1 flex flex-wrap items-center gap-1.5">
                        <RoleBadges roles />
                        {team.map(|name| view! { <span class="text-xs text-slate-600" data-testid="invitation-team">"→ team "{name}</span> })}
                    </div>
                    <p class="mt-1 text-xs text-slate-500">
                        {if when.is_empty() { sent } else { format!("{sent} · {when}") }}
                    </p>
                </div>
                <div class="shrink-0">
                    <InvitationControls
                        id=invitation.id
                        organization_id
                        slug
                        email=invitation.email
                        role=invitation.role
                        team_id=invitation.team_id
                        status=invitation.status
                        may_resend=may_invite
                        may_cancel
                    />
                </div>
            </div>
        </li>
    }
}

/// A row's status, and *Resend* (a new link and expiry, by email) and
/// *Cancel* while it can still be used: forms the browser sends, and the
/// tab comes back with the row as it is now.
#[component]
#[allow(clippy::too_many_arguments)] // one row's facts
fn InvitationControls(
    id: String,
    organization_id: String,
    slug: String,
    email: String,
    role: String,
    team_id: Option<String>,
    status: String,
    may_resend: bool,
    may_cancel: bool,
) -> impl IntoView {
    let (label, class) = match status.as_str() {
        "pending" => ("pending", "bg-emerald-100 text-emerald-800"),
        "expired" => ("expired", "bg-amber-100 text-amber-900"),
        "rejected" => ("declined", "bg-slate-200 text-slate-700"),
        "accepted" => ("accepted", "bg-indigo-50 text-indigo-700"),
        _ => ("canceled", "bg-slate-200 text-slate-700"),
    };
    // An expired invitation can be sent again: the same one, a new link.
    let open = matches!(status.as_str(), "pending" | "expired");
    let back = format!("/orgs/{slug}/invitations");
    let resend = (open && may_resend).then(|| {
        let next = format!("{back}?resent={{email}}");
        view! {
            <form method="post" action=InviteMember::PATH>
                <FormReturn back=back.clone() next />
                <input type="hidden" name="organizationId" value=organization_id.clone() />
                <input type="hidden" name="email" value=email.clone() />
                {role.split(',').map(|r| view! { <input type="hidden" name="role" value=r.to_owned() /> }).collect_view()}
                {team_id.map(|t| view! { <input type="hidden" name="teamId" value=t /> })}
                <input type="hidden" name="resend" value="true" />
                <button type="submit" class=SMALL_BUTTON data-pending="Sending…">"Resend"</button>
            </form>
        }
    });
    let cancel = (status == "pending" && may_cancel).then(|| view! {
        <form method="post" action=CancelInvitation::PATH>
            <FormReturn back=back.clone() />
            <input type="hidden" name="invitationId" value=id />
            <button type="submit" class=DANGER_BUTTON data-pending="Canceling…">"Cancel"</button>
        </form>
    });
    view! {
        <div class="flex flex-wrap items-center gap-2 sm:justify-end">
            <span data-testid="invitation-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span>
            {resend}
            {cancel}
        </div>
    }
}

/// One or many addresses (separated by commas, spaces or lines) and the
/// roles to offer; each address gets its own invitation by email. The tab
/// comes back with what happened to each (`Outcomes`, from what the form
/// kept of the answer).
#[component]
fn InviteMembersForm(
    organization_id: String,
    slug: String,
    roles: Vec<String>,
    /// (id, name) of the organization's teams.
    teams: Vec<(String, String)>,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let chosen: Vec<String> = match &flash {
        Some(f) => f
            .values
            .iter()
            .filter(|(n, _)| n == "role")
            .map(|(_, v)| v.clone())
            .collect(),
        None => first_role(&roles).into_iter().collect(),
    };
    let team = FormFlash::value(&flash, "teamId");
    let back = format!("/orgs/{slug}/invitations");
    view! {
        <form method="post" action=InviteMember::PATH novalidate aria-label="Invite people" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <FormReturn back=back.clone() next=format!("{back}?sent=1") form=INVITE_FORM />
            <input type="hidden" name="_split" value="email" />
            <input type="hidden" name="_keep" value=KEEP />
            <input type="hidden" name="organizationId" value=organization_id />
            <h2 class="text-lg font-semibold">"Invite people"</h2>
            <p class="mt-1 text-sm text-slate-600">"Each address gets its own invitation by email. People without an account create one as they join."</p>
            {flash.as_ref().map(|f| f.error.message.clone()).map(|m| view! { <div class="mt-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            <div class="mt-4">
                <label for="invite-member-emails" class=LABEL>"Email addresses"</label>
                <textarea
                    id="invite-member-emails"
                    name="email"
                    rows="3"
                    class=INPUT
                    placeholder="ada@example.com, grace@example.com"
                    aria-describedby="invite-member-emails-hint"
                >{FormFlash::value(&flash, "email")}</textarea>
                <p id="invite-member-emails-hint" class="mt-1 text-xs text-slate-500">"Separate addresses with commas, spaces or new lines; up to 100 at once."</p>
            </div>
            <fieldset class="mt-5">
                <legend class=LABEL>"Roles"</legend>
                <div class="mt-2 flex flex-wrap gap-x-5 gap-y-2">
                    <RoleCheckboxes roles chosen name="role" />
                </div>
            </fieldset>
            {(!teams.is_empty()).then(|| view! {
                <div class="mt-5">
                    <label for="invite-member-team" class=LABEL>"Team"<span class="font-normal text-slate-500">" (optional)"</span></label>
                    <TeamSelect id="invite-member-team" teams chosen=team />
                    <p class="mt-1 text-xs text-slate-500">"Joining puts them in this team too."</p>
                </div>
            })}
            <div class="mt-6">
                <SubmitButton label="Send invitations" pending_label="Sending…" />
            </div>
        </form>
    }
}

/// The invite form, whose errors show in it.
const INVITE_FORM: &str = "invite-members";

/// What the next page shows of `invite-member`'s answer for a list: each
/// address, and why it was not sent.
const KEEP: &str = "*.email,*.error";

/// One address of `KEEP`, as the next page reads it.
#[derive(Debug, serde::Deserialize)]
struct Outcome {
    email: String,
    error: Option<ApiError>,
}

/// Sent to these; not sent to those, and why.
#[component]
fn Outcomes(outcomes: Vec<Outcome>) -> impl IntoView {
    let (sent, refused): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|o| o.error.is_none());
    view! {
        {(!sent.is_empty()).then(|| view! {
            <Alert tone=Tone::Success>
                "Invitation sent to "
                {sent.iter().map(|o| o.email.clone()).collect::<Vec<_>>().join(", ")}
                "."
            </Alert>
        })}
        {(!refused.is_empty()).then(|| view! {
            <Alert tone=Tone::Error>
                <p class="font-medium">"Not sent:"</p>
                <ul class="mt-1 list-disc pl-5">
                    {refused.into_iter().map(|o| view! {
                        <li>{o.email}": "{o.error.map(|e| reason(&e)).unwrap_or_default()}</li>
                    }).collect_view()}
                </ul>
            </Alert>
        })}
    }
}

/// The server's message, and what to do instead when there is something.
fn reason(e: &ApiError) -> String {
    match e.code {
        Code::UserIsAlreadyInvitedToThisOrganization => {
            format!("{}. Use Resend in the list to send it again.", e.message)
        }
        _ => e.message.clone(),
    }
}
