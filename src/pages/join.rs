//! `/invite/{token}` and `/invite/{token}/sign-up` for an organization
//! invitation: who invites, into which organization, with which role(s),
//! until when, and the one next step that fits (SPEC §4). The role
//! invitation pages hand over here when the link is an organization's.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    error::Code,
    invitations::next_step::NextStep,
    organizations::invitations::{
        accept_invitation, reject_invitation, sign_up_with_invitation, AcceptInvitation,
        InvitationIdBody, JoinPreview, RejectInvitation, SignUpWithInvitation,
        SignUpWithInvitationBody,
    },
    pages::invite::{SwitchAccount, OTHER_ADDRESS},
    ui::{
        format_time, go_to, Alert, Card, Field, FormAlert, FormErrors, FormFlash, FormReturn,
        SubmitButton, Tone, BUTTON, LINK, SMALL_BUTTON,
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
/// that posts without JavaScript too (`pages::forms`), back to `back`.
#[island]
pub fn JoinButtons(
    token: String,
    slug: String,
    viewer: String,
    compact: bool,
    back: String,
) -> impl IntoView {
    // true: accept; false: decline.
    let act = Action::new(|(token, accept): &(String, bool)| {
        let body = InvitationIdBody {
            invitation_id: Some(token.clone()),
        };
        let accept = *accept;
        async move {
            if accept {
                accept_invitation(body).await.map(|_| true)
            } else {
                reject_invitation(body).await.map(|_| false)
            }
        }
    });
    let joined = welcome(&slug);
    let onward = joined.clone();
    Effect::new(move |_| {
        if let Some(Ok(true)) = act.value().get() {
            go_to(&onward);
        }
    });
    let declined = move || matches!(act.value().get(), Some(Ok(false)));
    // One button: a form of its own, with the invitation's id.
    let button = move |accept: bool,
                       class: &'static str,
                       label: Signal<&'static str>,
                       wrapper: &'static str| {
        let (token, back, joined) = (token.clone(), back.clone(), joined.clone());
        let on_submit = {
            let token = token.clone();
            move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                act.dispatch((token.clone(), accept));
            }
        };
        let action = if accept {
            AcceptInvitation::PATH
        } else {
            RejectInvitation::PATH
        };
        view! {
            <form method="post" action=action on:submit=on_submit class=wrapper>
                <FormReturn back=back.clone() next=if accept { joined } else { back } />
                <input type="hidden" name="invitationId" value=token />
                <button type="submit" class=class disabled=move || act.pending().get()>{label}</button>
            </form>
        }
    };
    const PRIMARY_SMALL: &str = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60";
    const QUIET: &str = "font-medium text-slate-600 underline-offset-2 hover:text-slate-900 hover:underline disabled:opacity-60";
    let buttons = if compact {
        view! {
            <div class="flex gap-2">
                {button(true, PRIMARY_SMALL, Signal::stored("Accept"), "")}
                {button(false, SMALL_BUTTON, Signal::stored("Decline"), "")}
            </div>
        }
        .into_any()
    } else {
        let joining = Signal::derive(move || {
            if act.pending().get() {
                "Joining…"
            } else {
                "Accept and join"
            }
        });
        view! {
            <p class="mb-4 text-sm text-slate-700">"Signed in as "<strong>{viewer}</strong>"."</p>
            {button(true, BUTTON, joining, "")}
            {button(false, QUIET, Signal::stored("Decline this invitation"), "mt-4 text-center text-sm")}
        }
        .into_any()
    };
    view! {
        {move || match act.value().get() {
            Some(Ok(false)) => view! { <Alert tone=Tone::Success>"You declined this invitation."</Alert> }.into_any(),
            Some(Err(e)) => view! { <Alert tone=Tone::Error>{e.message}</Alert> }.into_any(),
            _ => ().into_any(),
        }}
        <div class:hidden=declined>{buttons}</div>
    }
}

/// `/invite/{token}/sign-up` for an organization invitation: name and
/// password; the address is the invitation's.
#[island]
pub fn JoinSignUpForm(
    token: String,
    email: String,
    organization: String,
    slug: String,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let name = RwSignal::new(FormFlash::value(&flash, "name"));
    let password = RwSignal::new(String::new());
    let errors = FormErrors::showing(FormFlash::error(&flash));
    let shown_email = RwSignal::new(email);
    let sign_up =
        Action::new(|body: &SignUpWithInvitationBody| sign_up_with_invitation(body.clone()));
    let joined = welcome(&slug);
    let onward = joined.clone();
    Effect::new(move |_| match sign_up.value().get() {
        Some(Ok(_)) => go_to(&onward),
        Some(Err(e)) => errors.error.set(Some(e)),
        None => {}
    });
    let invitation_id = token.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        errors.error.set(None);
        sign_up.dispatch(SignUpWithInvitationBody {
            invitation_id: Some(invitation_id.clone()),
            name: Some(name.get()),
            password: Some(password.get().into()),
        });
    };
    const FIELD_CODES: &[Code] = &[
        Code::InvalidName,
        Code::PasswordTooShort,
        Code::PasswordTooLong,
    ];
    view! {
        <form method="post" action=SignUpWithInvitation::PATH on:submit=on_submit novalidate aria-label=format!("Create your account and join {organization}")>
            <FormReturn back next=joined />
            <input type="hidden" name="invitationId" value=token />
            <FormAlert message=errors.general(FIELD_CODES) />
            <Field label="Name" name="name" autocomplete="name" value=name error=errors.field(&[Code::InvalidName]) />
            <Field label="Email" name="email" kind="email" autocomplete="email" value=shown_email readonly=true hint="The invitation was sent to this address." />
            <Field label="Password" name="password" kind="password" autocomplete="new-password" value=password
                error=errors.field(&[Code::PasswordTooShort, Code::PasswordTooLong]) hint=crate::accounts::domain::PASSWORD_HINT />
            <SubmitButton label="Create account and join" pending_label="Creating your account…" pending=sign_up.pending() native=true />
        </form>
    }
}
