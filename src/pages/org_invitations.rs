//! `/orgs/{slug}/invitations`: the organization's invite form (one or many
//! addresses, the roles the inviter may grant) and its invitations with
//! status and expiry, to resend or cancel (SPEC §4).
//!
//! The list is rendered on the server. The form and each row's controls
//! are islands; after sending, the page loads again so the list shows the
//! new invitations, and what happened to each address crosses that reload
//! in the tab's session storage (`ui::flash_and_go`).

use leptos::prelude::*;

use crate::{
    error::{ApiError, Code},
    invitations::OneOrMany,
    organizations::{
        invitations::{
            cancel_invitation, invite_member, list_invitations, InvitationIdBody, InvitationView,
            InviteMemberBody, InviteMemberResponse, InviteOutcome, ListInvitationsQuery,
        },
        OrganizationPage,
    },
    pages::{
        bulk_invite::BulkInviteForm,
        org_join_links::JoinLinksSection,
        orgs::{RoleBadges, RoleCheckboxes},
    },
    ui::{
        flash_and_go, format_time, split_addresses, take_flash, use_hydrated, Alert, LiveFieldset,
        Tone, BUTTON, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON,
    },
};

/// Where the outcome of sending waits for the reload that shows it.
const SENT: &str = "gatehouse.organization-invitations-sent";
/// Answered invitations shown below the pending ones; older ones are only
/// counted.
const EARLIER_SHOWN: usize = 20;

#[component]
pub fn InvitationsTab(page: OrganizationPage) -> impl IntoView {
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
    view! {
        <SentInvitations />
        <div class="grid grid-cols-1 gap-8 lg:grid-cols-5">
            {may_invite.then(|| view! {
                <div class="flex flex-col gap-6 lg:col-span-2">
                    <InviteMembersForm
                        organization_id=organization_id.clone()
                        slug=page.organization.slug.clone()
                        roles=page.assignable_roles.clone()
                        teams=page.teams.iter().map(|t| (t.id.clone(), t.name.clone())).collect()
                    />
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
                        let (organization_id, teams) = (organization_id.clone(), teams.clone());
                        invitations.get().map(move |r| match r {
                            Ok(all) => view! { <InvitationList all organization_id teams=teams.clone() may_invite may_cancel /> }.into_any(),
                            Err(e) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
                        })
                    }}
                </Suspense>
            </section>
        </div>
        <JoinLinksSection page=links />
    }
    .into_any()
}

/// Pending invitations first, then the answered, canceled and expired ones.
#[component]
fn InvitationList(
    all: Vec<InvitationView>,
    organization_id: String,
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
        let organization_id = organization_id.clone();
        let teams = teams.clone();
        view! {
            <ul class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                {list.into_iter().map(|invitation| {
                    let team = invitation.team_id.as_ref().and_then(|id| teams.iter().find(|(t, _)| t == id)).map(|(_, name)| name.clone());
                    view! { <InvitationRow invitation team organization_id=organization_id.clone() may_invite may_cancel /> }
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
                // An island is an inline element: this keeps it from shrinking.
                <div class="shrink-0">
                    <InvitationControls
                        id=invitation.id
                        organization_id
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
/// *Cancel* while it can still be used. Canceling updates the row in
/// place; resending loads the page again, with the new expiry.
#[island]
#[allow(clippy::too_many_arguments)] // an island's props are its arguments
fn InvitationControls(
    id: String,
    organization_id: String,
    email: String,
    role: String,
    team_id: Option<String>,
    status: String,
    may_resend: bool,
    may_cancel: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let status = RwSignal::new(status);
    let error = RwSignal::new(None::<ApiError>);
    let cancel = Action::new(|id: &String| {
        cancel_invitation(InvitationIdBody {
            invitation_id: Some(id.clone()),
        })
    });
    let resend = Action::new(|body: &InviteMemberBody| invite_member(body.clone()));
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => status.set("canceled".into()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match resend.value().get() {
        Some(Ok(InviteMemberResponse::One(invitation))) => flash_and_go(
            SENT,
            &[InviteOutcome {
                email: invitation.email.clone(),
                invitation: Some(invitation),
                error: None,
            }],
            None,
        ),
        Some(Ok(InviteMemberResponse::Many(_))) | None => {}
        Some(Err(e)) => error.set(Some(e)),
    });
    let badge = move || {
        let (label, class) = match status.get().as_str() {
            "pending" => ("pending", "bg-emerald-100 text-emerald-800"),
            "expired" => ("expired", "bg-amber-100 text-amber-900"),
            "rejected" => ("declined", "bg-slate-200 text-slate-700"),
            "accepted" => ("accepted", "bg-indigo-50 text-indigo-700"),
            _ => ("canceled", "bg-slate-200 text-slate-700"),
        };
        view! { <span data-testid="invitation-status" class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span> }
    };
    // An expired invitation can be sent again: the same one, a new link.
    let open = move || matches!(status.get().as_str(), "pending" | "expired");
    let busy = move || !hydrated.get() || cancel.pending().get() || resend.pending().get();
    let on_resend = move |_| {
        error.set(None);
        resend.dispatch(InviteMemberBody {
            email: Some(OneOrMany::One(email.clone())),
            role: Some(OneOrMany::Many(
                role.split(',').map(str::to_owned).collect(),
            )),
            organization_id: Some(organization_id.clone()),
            resend: Some(true),
            team_id: team_id.clone(),
        });
    };
    let on_cancel = move |_| {
        error.set(None);
        cancel.dispatch(id.clone());
    };
    view! {
        <div class="flex flex-col gap-2 sm:items-end">
            <div class="flex flex-wrap items-center gap-2" aria-live="polite">
                {badge}
                {move || (open() && may_resend).then(|| {
                    let on_resend = on_resend.clone();
                    view! { <button type="button" class=SMALL_BUTTON disabled=busy on:click=on_resend>"Resend"</button> }
                })}
                {move || (open() && may_cancel && status.get() == "pending").then(|| {
                    let on_cancel = on_cancel.clone();
                    view! { <button type="button" class=DANGER_BUTTON disabled=busy on:click=on_cancel>"Cancel"</button> }
                })}
            </div>
            {move || error.get().map(|e| view! { <p class="text-sm text-red-700" role="alert">{e.message}</p> })}
        </div>
    }
}

/// One or many addresses (separated by commas, spaces or lines) and the
/// roles to offer; each address gets its own invitation by email.
#[island]
fn InviteMembersForm(
    organization_id: String,
    slug: String,
    roles: Vec<String>,
    /// (id, name) of the organization's teams.
    teams: Vec<(String, String)>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let emails = RwSignal::new(String::new());
    let chosen = RwSignal::new(
        roles
            .iter()
            .find(|r| *r == "member")
            .or(roles.first())
            .cloned()
            .into_iter()
            .collect::<Vec<_>>(),
    );
    let team = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    // Addresses refused when none could be sent: nothing changed, so the
    // page stays as it is and says why.
    let refused = RwSignal::new(Vec::<InviteOutcome>::new());
    let send = Action::new(|body: &InviteMemberBody| invite_member(body.clone()));
    let here = format!("/orgs/{slug}/invitations");
    Effect::new(move |_| match send.value().get() {
        Some(Ok(InviteMemberResponse::Many(outcomes))) => {
            if outcomes.iter().any(|o| o.invitation.is_some()) {
                flash_and_go(SENT, &outcomes, Some(&here));
            } else {
                refused.set(outcomes);
            }
        }
        Some(Ok(InviteMemberResponse::One(_))) | None => {}
        Some(Err(e)) => error.set(Some(e)),
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        refused.set(Vec::new());
        let list = split_addresses(&emails.get());
        if list.is_empty() {
            error.set(Some(ApiError::new(
                Code::InvalidEmail,
                "Enter at least one email address.",
            )));
            return;
        }
        send.dispatch(InviteMemberBody {
            email: Some(OneOrMany::Many(list)),
            role: Some(OneOrMany::Many(chosen.get())),
            organization_id: Some(organization_id.clone()),
            resend: None,
            team_id: Some(team.get()).filter(|t| !t.is_empty()),
        });
    };
    view! {
        <form on:submit=on_submit novalidate aria-label="Invite people" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <LiveFieldset hydrated>
                <h2 class="text-lg font-semibold">"Invite people"</h2>
                <p class="mt-1 text-sm text-slate-600">"Each address gets its own invitation by email. People without an account create one as they join."</p>
                {move || error.get().map(|e| view! { <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div> })}
                {move || (!refused.get().is_empty()).then(|| view! {
                    <div class="mt-4"><Outcomes outcomes=refused.get() /></div>
                })}
                <div class="mt-4">
                    <label for="invite-member-emails" class=LABEL>"Email addresses"</label>
                    <textarea
                        id="invite-member-emails"
                        name="emails"
                        rows="3"
                        class=INPUT
                        placeholder="ada@example.com, grace@example.com"
                        aria-describedby="invite-member-emails-hint"
                        prop:value=move || emails.get()
                        on:input=move |ev| emails.set(event_target_value(&ev))
                    ></textarea>
                    <p id="invite-member-emails-hint" class="mt-1 text-xs text-slate-500">"Separate addresses with commas, spaces or new lines; up to 100 at once."</p>
                </div>
                <fieldset class="mt-5">
                    <legend class=LABEL>"Roles"</legend>
                    <div class="mt-2 flex flex-wrap gap-x-5 gap-y-2">
                        <RoleCheckboxes roles chosen name="roles" />
                    </div>
                </fieldset>
                {(!teams.is_empty()).then(|| view! {
                    <div class="mt-5">
                        <label for="invite-member-team" class=LABEL>"Team"<span class="font-normal text-slate-500">" (optional)"</span></label>
                        <select id="invite-member-team" name="team" class=INPUT on:change=move |ev| team.set(event_target_value(&ev))>
                            <option value="">"No team"</option>
                            {teams.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                        </select>
                        <p class="mt-1 text-xs text-slate-500">"Joining puts them in this team too."</p>
                    </div>
                })}
                <button
                    type="submit"
                    class=format!("mt-6 {BUTTON}")
                    disabled=move || !hydrated.get() || send.pending().get() || chosen.get().is_empty()
                >
                    {move || if send.pending().get() { "Sending…" } else { "Send invitations" }}
                </button>
            </LiveFieldset>
        </form>
    }
}

/// What happened to each address just sent, shown once after the reload.
#[island]
fn SentInvitations() -> impl IntoView {
    let outcomes = RwSignal::new(Vec::<InviteOutcome>::new());
    Effect::new(move |_| outcomes.set(take_flash(SENT).unwrap_or_default()));
    move || {
        (!outcomes.get().is_empty()).then(|| {
            view! {
                <div class="mb-6" data-testid="invitations-sent">
                    <Outcomes outcomes=outcomes.get() />
                </div>
            }
        })
    }
}

/// Sent to these; not sent to those, and why.
#[component]
fn Outcomes(outcomes: Vec<InviteOutcome>) -> impl IntoView {
    let (sent, refused): (Vec<_>, Vec<_>) =
        outcomes.into_iter().partition(|o| o.invitation.is_some());
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
