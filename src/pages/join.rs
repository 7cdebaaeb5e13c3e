//! `/invite/{token}` and `/invite/{token}/sign-up` for an organization
//! invitation: who invites, into which organization, with which role(s),
//! until when, and the one next step that fits (SPEC §4). The role
//! invitation pages hand over here when the link is an organization's.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    error::Code,
    invitations::next_step::NextStep,
    organizations::invitations::{
        AcceptInvitation, JoinPreview, RejectInvitation, SignUpWithInvitation,
    },
    pages::{
        forms::Enhanced,
        invite::{SwitchAccount, OTHER_ADDRESS},
    },
    ui::{
        format_time, Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, BUTTON,
        LINK, SMALL_BUTTON,
    },
};

/// Where a new member lands.
pub(crate) fn welcome(slug: &str) -> String {
    format!("/welcome?joined={slug}")
}

#[component]
pub fn JoinPreviewCard(join: JoinPreview, token: String) -> impl IntoView {
    let p = join.preview.clone();
    let title = match join.step {
        NextStep::Unusable => "This invitation can no longer be used".to_owned(),
        NextStep::AlreadyMember => format!("You are already in {}", p.organization_name),
        _ => format!("Join {}", p.organization_name),
    };
    let (status_label, status_class) = match p.status.as_str() {
        // Pending, but its inviter can no longer grant it.
        "pending" if join.step == NextStep::Unusable => ("Void", "bg-amber-100 text-amber-900"),
        "pending" => ("Pending", "bg-emerald-100 text-emerald-800"),
        "accepted" => ("Accepted", "bg-slate-200 text-slate-700"),
        "canceled" => ("Canceled", "bg-slate-200 text-slate-700"),
        "rejected" => ("Declined", "bg-slate-200 text-slate-700"),
        _ => ("Expired", "bg-amber-100 text-amber-900"),
    };
    let roles = p.role.replace(',', " and ");
    view! {
        <Card title=title>
            <div class="rounded-lg border border-slate-200 bg-slate-50 p-4" data-testid="invitation">
                <p class="text-sm text-slate-600">{format!("{} invited you to join", p.inviter_name)}</p>
                <p class="mt-1 flex flex-wrap items-center gap-2">
                    <span class="text-xl font-semibold text-slate-900" data-testid="invite-organization">{p.organization_name.clone()}</span>
                    <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {status_class}")>{status_label}</span>
                </p>
                <p class="mt-1 text-sm text-slate-700">"as "<strong data-testid="invite-role">{roles}</strong></p>
                <dl class="mt-4 grid grid-cols-1 gap-2 border-t border-slate-200 pt-3 text-sm sm:grid-cols-2">
                    <div class="min-w-0">
                        <dt class="text-slate-500">"For"</dt>
                        <dd class="font-medium text-slate-800 break-all">{join.email.clone().unwrap_or_else(|| "Another email address".to_owned())}</dd>
                    </div>
                    <div>
                        <dt class="text-slate-500">"Valid until"</dt>
                        <dd class="font-medium text-slate-800">{format_time(&p.expires_at)}</dd>
                    </div>
                </dl>
            </div>
            <div class="mt-6">{next_step(join, token)}</div>
        </Card>
    }
}

fn next_step(join: JoinPreview, token: String) -> AnyView {
    let slug = join.preview.organization_slug.clone();
    match join.step {
        // An organization's preview never says `sign-in` (it does not tell
        // whether the address has an account) nor `verify-email` (its link
        // proves the mailbox); they read as their nearest step.
        NextStep::SignUp | NextStep::SignIn => view! {
            <a href=format!("/invite/{token}/sign-up") class=BUTTON>"Create your account and join"</a>
            <p class="mt-4 text-center text-sm text-slate-600">
                "Already have an account? "
                <a href=format!("/sign-in?redirectTo=/invite/{token}") class=LINK>"Sign in to accept"</a>
            </p>
        }
        .into_any(),
        NextStep::Accept | NextStep::VerifyEmail => view! {
            <JoinButtons back=format!("/invite/{token}") token slug viewer=join.viewer_email.unwrap_or_default() compact=false />
        }
        .into_any(),
        NextStep::SwitchAccount => view! {
            <SwitchAccount viewer=join.viewer_email.unwrap_or_default() for_whom=OTHER_ADDRESS.0.to_owned() to_do=OTHER_ADDRESS.1.to_owned() back=format!("/invite/{token}") />
        }
        .into_any(),
        NextStep::AlreadyMember | NextStep::AlreadyHasRole => view! {
            <a href=format!("/orgs/{slug}") class=BUTTON>"Go to the organization"</a>
        }
        .into_any(),
        NextStep::Unusable => view! {
            <Alert tone=Tone::Error>{join.reason.unwrap_or_default()}</Alert>
            <p class="text-sm text-slate-700">"Ask the person who invited you for a new invitation."</p>
        }
        .into_any(),
    }
}

/// Accept, or decline, as the signed-in recipient: full width on the
/// invitation's page, a row of small buttons in the dashboard's inbox
/// (`compact`, where `token` is the invitation's id). Each button is a form
/// the browser sends (`pages::forms`): accepting goes to the welcome page,
/// declining back to `back`, where the invitation then says so (or, in the
/// inbox, is gone).
#[component]
pub fn JoinButtons(
    token: String,
    slug: String,
    viewer: String,
    compact: bool,
    back: String,
) -> impl IntoView {
    let joined = welcome(&slug);
    // One button: a form of its own, with the invitation's id.
    let button = move |accept: bool,
                       class: &'static str,
                       label: &'static str,
                       pending: &'static str,
                       wrapper: &'static str| {
        let (token, back) = (token.clone(), back.clone());
        let (action, next) = if accept {
            (AcceptInvitation::PATH, joined.clone())
        } else {
            (RejectInvitation::PATH, back.clone())
        };
        view! {
            <Enhanced>
                <form method="post" action=action class=wrapper>
                    <FormReturn back=back.clone() next />
                    <input type="hidden" name="invitationId" value=token.clone() />
                    <button type="submit" class=class data-pending=pending>{label}</button>
                </form>
            </Enhanced>
        }
    };
    const PRIMARY_SMALL: &str = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60";
    const QUIET: &str = "font-medium text-slate-600 underline-offset-2 hover:text-slate-900 hover:underline disabled:opacity-60";
    if compact {
        view! {
            <div class="flex gap-2">
                {button(true, PRIMARY_SMALL, "Accept", "Joining…", "")}
                {button(false, SMALL_BUTTON, "Decline", "Declining…", "")}
            </div>
        }
        .into_any()
    } else {
        view! {
            <p class="mb-4 text-sm text-slate-700">"Signed in as "<strong>{viewer}</strong>"."</p>
            {button(true, BUTTON, "Accept and join", "Joining…", "")}
            {button(false, QUIET, "Decline this invitation", "Declining…", "mt-4 text-center text-sm")}
        }
        .into_any()
    }
}

/// `/invite/{token}/sign-up` for an organization invitation: name and
/// password; the address is the invitation's.
#[component]
pub fn JoinSignUpForm(
    token: String,
    email: String,
    organization: String,
    slug: String,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
    const FIELD_CODES: &[Code] = &[
        Code::InvalidName,
        Code::PasswordTooShort,
        Code::PasswordTooLong,
    ];
    view! {
        <Enhanced>
            <form method="post" action=SignUpWithInvitation::PATH novalidate aria-label=format!("Create your account and join {organization}")>
                <FormReturn back next=welcome(&slug) />
                <input type="hidden" name="invitationId" value=token />
                {FormFlash::form_error(&flash, FIELD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <Field label="Name" name="name" autocomplete="name" check=Check::Name
                    value=FormFlash::value(&flash, "name") error=FormFlash::field_error(&flash, &[Code::InvalidName]) />
                <Field label="Email" name="email" kind="email" autocomplete="email" value=email readonly=true hint="The invitation was sent to this address." />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" check=Check::Password
                    error=FormFlash::field_error(&flash, PASSWORD_CODES) hint=crate::accounts::domain::PASSWORD_HINT />
                <SubmitButton label="Create account and join" pending_label="Creating your account…" />
            </form>
        </Enhanced>
    }
}
