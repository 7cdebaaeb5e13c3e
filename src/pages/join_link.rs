//! `/join/{token}` and `/join/{token}/sign-up`: a join link's public
//! preview with its one next step, and creating an account with it. The
//! invitation pages (`pages::invite`) render these when the link is a join
//! link's.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    error::Code,
    invitations::next_step::NextStep,
    organizations::invitations::links::{JoinLinkPage, JoinWithLink, SignUpWithJoinLink},
    pages::{
        forms::Enhanced,
        invite::SwitchAccount,
        join::welcome,
        verify_email::{verification_sent, SendVerificationButton},
    },
    ui::{
        format_time, Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, BUTTON,
        INPUT, LABEL, LINK,
    },
};

/// "acme.io" or "acme.io and acme.dev".
fn domain_words(domains: &[String]) -> String {
    match domains {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[component]
pub fn JoinLinkCard(page: JoinLinkPage, token: String) -> impl IntoView {
    let p = page.preview.clone();
    let title = match page.step {
        NextStep::Unusable => "This link can no longer be used".to_owned(),
        NextStep::AlreadyMember => format!("You are already in {}", p.organization_name),
        _ => format!("Join {}", p.organization_name),
    };
    let (status_label, status_class) = match p.status.as_str() {
        "pending" if page.step == NextStep::Unusable => ("Void", "bg-amber-100 text-amber-900"),
        "pending" => ("Open", "bg-emerald-100 text-emerald-800"),
        "used" => ("Used up", "bg-slate-200 text-slate-700"),
        "revoked" => ("Revoked", "bg-slate-200 text-slate-700"),
        _ => ("Expired", "bg-amber-100 text-amber-900"),
    };
    let for_whom = if p.allowed_domains.is_empty() {
        "Anyone with this link".to_owned()
    } else {
        format!("Addresses at {}", domain_words(&p.allowed_domains))
    };
    view! {
        <Card title=title>
            <div class="rounded-lg border border-slate-200 bg-slate-50 p-4" data-testid="join-link">
                <p class="text-sm text-slate-600">{format!("{} invites you to join", p.inviter_name)}</p>
                <p class="mt-1 flex flex-wrap items-center gap-2">
                    <span class="text-xl font-semibold text-slate-900" data-testid="invite-organization">{p.organization_name.clone()}</span>
                    <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {status_class}")>{status_label}</span>
                </p>
                <p class="mt-1 text-sm text-slate-700">
                    "as "<strong data-testid="invite-role">{p.role.replace(',', " and ")}</strong>
                    {p.team_name.clone().map(|t| view! { " in the team "<strong>{t}</strong> })}
                </p>
                <dl class="mt-4 grid grid-cols-1 gap-2 border-t border-slate-200 pt-3 text-sm sm:grid-cols-2">
                    <div class="min-w-0">
                        <dt class="text-slate-500">"For"</dt>
                        <dd class="font-medium text-slate-800 break-words" data-testid="join-link-for">{for_whom}</dd>
                    </div>
                    <div>
                        <dt class="text-slate-500">"Valid until"</dt>
                        <dd class="font-medium text-slate-800">{format_time(&p.expires_at)}</dd>
                    </div>
                </dl>
            </div>
            <div class="mt-6">{next_step(page, token)}</div>
        </Card>
    }
}

fn next_step(page: JoinLinkPage, token: String) -> AnyView {
    let p = page.preview;
    let back = format!("/join/{token}");
    let domains = domain_words(&p.allowed_domains);
    match page.step {
        NextStep::SignUp | NextStep::SignIn => view! {
            <a href=format!("/join/{token}/sign-up") class=BUTTON>"Create your account and join"</a>
            <p class="mt-4 text-center text-sm text-slate-600">
                "Already have an account? "
                <a href=format!("/sign-in?redirectTo=/join/{token}") class=LINK>"Sign in to join"</a>
            </p>
        }
        .into_any(),
        NextStep::Accept if page.request.is_some() => view! {
            <div data-testid="join-request-pending">
                <Alert tone=Tone::Info>{format!("You asked to join {}. Its admins will answer; we email you either way.", p.organization_name)}</Alert>
            </div>
        }
        .into_any(),
        NextStep::Accept => view! {
            <p class="mb-4 text-sm text-slate-700">"Signed in as "<strong>{page.viewer_email.unwrap_or_default()}</strong>"."</p>
            <JoinLinkButton token slug=p.organization_slug organization=p.organization_name back approval=p.require_approval />
        }
        .into_any(),
        NextStep::VerifyEmail => {
            let email = page.viewer_email.unwrap_or_default();
            view! {
                <Alert tone=Tone::Info>{format!("This link is for verified addresses at {domains}. Confirm that {email} is yours, then come back to join.")}</Alert>
                <SendVerificationButton email next=back sent=verification_sent() />
            }
            .into_any()
        }
        NextStep::SwitchAccount => view! {
            <SwitchAccount
                viewer=page.viewer_email.unwrap_or_default()
                for_whom=format!("This link is for addresses at {domains}")
                to_do="Sign out to join with an address there.".to_owned()
                back
            />
        }
        .into_any(),
        NextStep::AlreadyMember | NextStep::AlreadyHasRole => view! {
            <a href=format!("/orgs/{}", p.organization_slug) class=BUTTON>"Go to the organization"</a>
        }
        .into_any(),
        NextStep::Unusable => view! {
            <Alert tone=Tone::Error>{page.reason.unwrap_or_default()}</Alert>
            <p class="text-sm text-slate-700">"Ask the person who shared it for a new link."</p>
        }
        .into_any(),
    }
}

/// Joining, signed in: a form the browser sends. The forms layer
/// (`pages::forms`) makes its post the `organization/join` call and goes
/// on to the welcome page, or back here with the refusal, which the page
/// shows above the link.
///
/// Through a link that needs approval, it asks instead, with a message
/// for the admins, and comes back to the link, which then says so.
#[component]
fn JoinLinkButton(
    token: String,
    slug: String,
    organization: String,
    back: String,
    approval: bool,
) -> impl IntoView {
    let next = if approval {
        back.clone()
    } else {
        welcome(&slug)
    };
    view! {
        <Enhanced>
            <form method="post" action=JoinWithLink::PATH>
                <FormReturn back next />
                <input type="hidden" name="token" value=token />
                {approval.then(|| view! {
                    <p class="mb-3 text-sm text-slate-700">"The organization's admins approve each person who asks."</p>
                    <label for="join-message" class=LABEL>"A word for them"<span class="font-normal text-slate-500">" (optional)"</span></label>
                    <textarea id="join-message" name="message" rows="3" maxlength="500" class=format!("{INPUT} mb-4")></textarea>
                })}
                <SubmitButton
                    label=if approval { format!("Ask to join {organization}") } else { format!("Join {organization}") }
                    pending_label=if approval { "Asking…" } else { "Joining…" }
                />
            </form>
        </Enhanced>
    }
}

/// `/join/{token}/sign-up`: name, address and password.
#[component]
pub fn JoinLinkSignUpForm(
    token: String,
    organization: String,
    slug: String,
    /// The domains the address must be at; empty for any.
    domains: Vec<String>,
    /// The link needs an admin's approval: signing up asks to join.
    approval: bool,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    // With domains, the address is verified first: the verification
    // email's link comes back to the join link.
    let next = if !domains.is_empty() {
        format!("/join/{token}?verification=sent")
    } else if approval {
        format!("/join/{token}")
    } else {
        welcome(&slug)
    };
    const EMAIL_CODES: &[Code] = &[Code::InvalidEmail, Code::EmailDomainNotAllowed];
    const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
    const FIELD_CODES: &[Code] = &[
        Code::InvalidName,
        Code::InvalidEmail,
        Code::EmailDomainNotAllowed,
        Code::PasswordTooShort,
        Code::PasswordTooLong,
    ];
    let email_hint = if domains.is_empty() {
        String::new()
    } else {
        format!(
            "An address at {}; we'll ask you to confirm it.",
            domain_words(&domains)
        )
    };
    view! {
        <Enhanced>
            <form method="post" action=SignUpWithJoinLink::PATH novalidate aria-label=format!("Create your account and join {organization}")>
                <FormReturn back next />
                <input type="hidden" name="token" value=token />
                {FormFlash::form_error(&flash, FIELD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <Field label="Name" name="name" autocomplete="name" check=Check::Name
                    value=FormFlash::value(&flash, "name") error=FormFlash::field_error(&flash, &[Code::InvalidName]) />
                <Field label="Email" name="email" kind="email" autocomplete="email" check=Check::Email
                    value=FormFlash::value(&flash, "email") error=FormFlash::field_error(&flash, EMAIL_CODES) hint=email_hint />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" check=Check::Password
                    error=FormFlash::field_error(&flash, PASSWORD_CODES) hint=crate::accounts::domain::PASSWORD_HINT />
                <SubmitButton label="Create account and join" pending_label="Creating your account…" />
            </form>
        </Enhanced>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_read_as_a_list() {
        let d =
            |list: &[&str]| domain_words(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(d(&["acme.io"]), "acme.io");
        assert_eq!(d(&["acme.io", "acme.dev"]), "acme.io and acme.dev");
        assert_eq!(d(&["a.io", "b.io", "c.io"]), "a.io, b.io and c.io");
    }
}
