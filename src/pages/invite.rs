//! The invitation pages: the public preview `/invite/{token}` with exactly
//! one next step, the code form `/invite`, and sign-up with an invitation
//! `/invite/{token}/sign-up` (SPEC §4).

use leptos::{
    prelude::*,
    server_fn::{codec::GetUrl, ServerFn},
};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use percent_encoding::utf8_percent_encode;
use serde::{Deserialize, Serialize};

use crate::{
    accounts::SignOut,
    error::ApiError,
    invitations::{
        next_step::NextStep,
        role::{ActivateInvite, InvitePreview, RejectInvite},
        secret::{parse_code, SecretKind},
    },
    organizations::invitations::{links::JoinLinkPage, JoinPreview},
    pages::{
        forms::{here, take_flash, Enhanced},
        join::{JoinPreviewCard, JoinSignUpForm},
        join_link::{JoinLinkCard, JoinLinkSignUpForm},
        sign_up::{SignUpForm, WithInvitation},
        use_page_data,
        verify_email::{verification_sent, SendVerificationButton},
    },
    secret::SecretText,
    ui::{
        Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, BUTTON, LINK,
        QUERY_VALUE,
    },
};

/// What someone signed in with another address is told.
pub const OTHER_ADDRESS: (&str, &str) = (
    "This invitation was sent to another email address",
    "Sign out to accept it with the account it was sent to.",
);

fn use_token() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("token").unwrap_or_default())
}

/// Where to go after accepting: the welcome page, then the invitation's
/// redirect (or the dashboard).
fn welcome_path(redirect: Option<&str>) -> String {
    match redirect {
        Some(next) => format!("/welcome?next={}", utf8_percent_encode(next, QUERY_VALUE)),
        None => "/welcome".to_owned(),
    }
}

/// A link's invitation, in its kind's preview: a role invitation, or one
/// into an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AnyInvitation {
    Role(InvitePreview),
    Organization(JoinPreview),
    /// Boxed: a page with a viewer's request is the largest of the three.
    JoinLink(Box<JoinLinkPage>),
}

/// What `/invite/{token}` and `/join/{token}` show: the invitations core
/// finds the invitation
/// a link belongs to, of whichever kind, and that kind's preview answers
/// (the same as `invite/get` or `gatehouse/organization-invitation`).
/// Codes are only ever role invitations' (their lookup spends from the
/// code budget); a link nobody knows gets their refusal at once. Changes
/// nothing.
#[server(name = GetInvitationPage, prefix = "/api/auth", endpoint = "gatehouse/invitation", input = GetUrl)]
pub async fn invitation_page(token: SecretText) -> Result<AnyInvitation, ApiError> {
    load(&crate::context::RequestContext::current()?, &token).await
}

/// The invitation a page's link belongs to, as its route loads it before
/// the page renders (`pages::OWN_DATA`).
pub type Loaded = Result<AnyInvitation, ApiError>;

#[cfg(feature = "ssr")]
pub async fn load(cx: &crate::context::RequestContext, token: &str) -> Loaded {
    use crate::{
        invitations::{
            role::redeem,
            secret::{Hashes, Secret},
            store::{find_link, Found},
        },
        organizations::invitations::{links::service::page_of, service::join_preview_of},
    };
    let viewer = cx.session().await?;
    let (db, config) = (cx.db(), cx.config());
    let link = match Secret::parse(token) {
        Ok(link @ Secret::Link(_)) => link,
        // A code, or something to explain: the role invitations' lookup.
        _ => {
            return redeem::preview(db, config, viewer.as_ref(), &cx.bucket(), token)
                .await
                .map(AnyInvitation::Role)
        }
    };
    match find_link(db, &Hashes::of_link(link.as_str())).await? {
        Some(Found::Organization(d)) => join_preview_of(db, viewer.as_ref(), d)
            .await
            .map(AnyInvitation::Organization),
        Some(Found::Role(row)) => redeem::preview_of(db, config, viewer.as_ref(), &link, row)
            .await
            .map(AnyInvitation::Role),
        Some(Found::JoinLink(d)) => page_of(db, viewer.as_ref(), d)
            .await
            .map(|page| AnyInvitation::JoinLink(Box::new(page))),
        // Both kinds' tables were asked already.
        None => Err(redeem::invalid_token()),
    }
}

/// The page's invitation, loaded with the page.
pub fn use_invitation() -> Loaded {
    use_page_data::<Loaded>().unwrap_or_else(|| Err(ApiError::internal()))
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = use_token().get_untracked();
    // The page's buttons have no fields: what a post without JavaScript
    // brought back is said above the invitation.
    let flash = take_flash();
    let invitation = match use_invitation() {
        Ok(AnyInvitation::Role(p)) => view! { <Preview preview=p token /> }.into_any(),
        Ok(AnyInvitation::Organization(join)) => {
            view! { <JoinPreviewCard join token /> }.into_any()
        }
        Ok(AnyInvitation::JoinLink(page)) => view! { <JoinLinkCard page=*page token /> }.into_any(),
        Err(e) => view! { <NotValid error=e /> }.into_any(),
    };
    view! {
        <Title text="Invitation" />
        {flash.map(|f| view! { <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
        {invitation}
    }
}

#[component]
fn NotValid(error: ApiError) -> impl IntoView {
    view! {
        <Card title="This invitation can't be opened">
            <Alert tone=Tone::Error>{error.message}</Alert>
            <p class="text-sm text-slate-700">
                "Check that the whole link was copied, or ask the person who invited you for a new one."
            </p>
            <p class="mt-6 text-sm"><a href="/invite" class=LINK>"Have an invitation code? Enter it here"</a></p>
        </Card>
    }
}

#[component]
fn Preview(preview: InvitePreview, token: String) -> impl IntoView {
    let inv = preview.invitation.clone();
    let title = if preview.next_step == NextStep::Unusable {
        "This invitation can no longer be used".to_owned()
    } else if preview.next_step == NextStep::AlreadyHasRole {
        "You already have this access".to_owned()
    } else if inv.new_account == Some(false) && preview.viewer_email.is_some() {
        format!("Become {}", inv.role)
    } else {
        "You're invited to Gatehouse".to_owned()
    };
    let lead = match &preview.inviter {
        Some(who) => format!("{} invited you to join as", who.name),
        None => "You are invited to join as".to_owned(),
    };
    let (status_label, status_class) = match inv.status.as_str() {
        "pending" => ("Pending", "bg-emerald-100 text-emerald-800"),
        "used" => ("Used", "bg-slate-200 text-slate-700"),
        "canceled" => ("Canceled", "bg-slate-200 text-slate-700"),
        "rejected" => ("Declined", "bg-slate-200 text-slate-700"),
        _ => ("Expired", "bg-amber-100 text-amber-900"),
    };
    // Someone else signed in is not told the address (see `invitations::role::redeem::preview`).
    let for_whom = match (&inv.email, preview.next_step) {
        (Some(email), _) => email.clone(),
        (None, NextStep::SwitchAccount) => "Another email address".to_owned(),
        (None, _) if inv.token_type == SecretKind::Code => "Anyone with this code".to_owned(),
        (None, _) => "Anyone with this link".to_owned(),
    };
    view! {
        <Card title=title>
            <div class="rounded-lg border border-slate-200 bg-slate-50 p-4" data-testid="invitation">
                <p class="text-sm text-slate-600">{lead}</p>
                <p class="mt-1 flex flex-wrap items-center gap-2">
                    <span class="text-xl font-semibold text-slate-900" data-testid="invite-role">{inv.role.clone()}</span>
                    <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {status_class}")>{status_label}</span>
                </p>
                <p class="mt-2 text-sm text-slate-700">{inv.role_description.clone()}</p>
                {(!inv.abilities.is_empty()).then(|| view! {
                    <ul class="mt-3 space-y-1 text-sm text-slate-700">
                        {inv.abilities.iter().map(|a| view! {
                            <li class="flex gap-2"><span aria-hidden="true" class="text-emerald-600">"✓"</span>{a.clone()}</li>
                        }).collect_view()}
                    </ul>
                })}
                <dl class="mt-4 grid grid-cols-1 gap-2 border-t border-slate-200 pt-3 text-sm sm:grid-cols-2">
                    <div>
                        <dt class="text-slate-500">"For"</dt>
                        <dd class="font-medium text-slate-800 break-all">{for_whom}</dd>
                    </div>
                    <div>
                        <dt class="text-slate-500">"Validity"</dt>
                        <dd class="font-medium text-slate-800">{capitalize(&inv.expires_in)}</dd>
                    </div>
                </dl>
            </div>
            <div class="mt-6">
                <NextStepView preview=preview token />
            </div>
        </Card>
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[component]
fn NextStepView(preview: InvitePreview, token: String) -> impl IntoView {
    let inv = preview.invitation.clone();
    let sign_in_href = format!("/sign-in?redirectTo=/invite/{token}");
    let private = inv.email.is_some();
    match preview.next_step {
        NextStep::SignUp => view! {
            <a href=format!("/invite/{token}/sign-up") class=BUTTON>"Create your account"</a>
            <p class="mt-4 text-center text-sm text-slate-600">
                {if private { "Already have an account? " } else { "Have an account already? " }}
                <a href=sign_in_href class=LINK>"Sign in to accept"</a>
            </p>
            {private.then(|| view! { <DeclineButton token=token.clone() /> })}
        }
        .into_any(),
        NextStep::SignIn => view! {
            <p class="mb-4 text-sm text-slate-700">
                "There is already an account for "<strong>{inv.email.clone()}</strong>". Sign in, and you'll come back here to accept."
            </p>
            <a href=sign_in_href class=BUTTON>"Sign in to accept"</a>
            <DeclineButton token=token.clone() />
        }
        .into_any(),
        NextStep::Accept => view! {
            <AcceptButton
                token=token.clone()
                role=inv.role.clone()
                viewer=preview.viewer_email.clone().unwrap_or_default()
                next=welcome_path(inv.redirect_to.as_deref())
            />
            {private.then(|| view! { <DeclineButton token=token.clone() /> })}
        }
        .into_any(),
        NextStep::VerifyEmail => {
            let viewer = preview.viewer_email.clone().unwrap_or_default();
            let shown = viewer.clone();
            view! {
            <Alert tone=Tone::Info>
                "Before this invitation can change your account, confirm that "<strong>{shown}</strong>
                " is yours: we send a link to that address."
            </Alert>
            <SendVerificationButton email=viewer next=format!("/invite/{token}") sent=verification_sent() />
            <DeclineButton token=token.clone() />
            }
            .into_any()
        }
        NextStep::SwitchAccount => view! { <SwitchAccount viewer=preview.viewer_email.clone().unwrap_or_default() for_whom=OTHER_ADDRESS.0.to_owned() to_do=OTHER_ADDRESS.1.to_owned() back=format!("/invite/{token}") /> }.into_any(),
        // A role invitation's preview never says `already-member`.
        NextStep::AlreadyHasRole | NextStep::AlreadyMember => view! {
            <Alert tone=Tone::Info>
                "You are "{preview.viewer_role.clone().unwrap_or_default()}", which already ranks at or above "{inv.role.clone()}". You keep your role."
            </Alert>
            <a href="/dashboard" class=LINK>"Go to your dashboard"</a>
        }
        .into_any(),
        NextStep::Unusable => view! {
            <Alert tone=Tone::Error>{preview.reason.clone().unwrap_or_default()}</Alert>
            <p class="text-sm text-slate-700">"Ask the person who invited you for a new invitation."</p>
        }
        .into_any(),
    }
}

/// The buttons below are forms the browser sends (see `pages::forms`).
#[component]
fn AcceptButton(token: String, role: String, viewer: String, next: String) -> impl IntoView {
    let back = format!("/invite/{token}");
    view! {
        <p class="mb-4 text-sm text-slate-700">"Signed in as "<strong>{viewer}</strong>"."</p>
        <Enhanced>
            <form method="post" action=ActivateInvite::PATH>
                <FormReturn back next />
                <input type="hidden" name="token" value=token />
                <SubmitButton label=format!("Accept and become {role}") pending_label="Accepting…" />
            </form>
        </Enhanced>
    }
}

/// Declining comes back to the invitation, which then says it was declined.
#[component]
fn DeclineButton(token: String) -> impl IntoView {
    let back = format!("/invite/{token}");
    view! {
        <Enhanced>
            <form method="post" action=RejectInvite::PATH class="mt-4 text-center text-sm">
                <FormReturn back />
                <input type="hidden" name="token" value=token />
                <button
                    type="submit"
                    data-pending="Declining…"
                    class="font-medium text-slate-600 underline-offset-2 hover:text-slate-900 hover:underline disabled:opacity-60"
                >"Decline this invitation"</button>
            </form>
        </Enhanced>
    }
}

/// Signed in as someone the invitation is not for: `for_whom` says who it
/// is for, `to_do` what signing out is for; it comes back to `back`.
#[component]
pub fn SwitchAccount(
    viewer: String,
    for_whom: String,
    to_do: String,
    back: String,
) -> impl IntoView {
    view! {
        <Alert tone=Tone::Info>
            {for_whom}", and you are signed in as "<strong>{viewer}</strong>". "{to_do}
        </Alert>
        <Enhanced>
            <form method="post" action=SignOut::PATH>
                <FormReturn back />
                <SubmitButton label="Sign out and continue" pending_label="Signing out…" />
            </form>
        </Enhanced>
    }
}

/// `/invite`: "Have an invite code?" The form asks this same page
/// (`?code=`), so it works without JavaScript: a code that reads right is
/// sent on to its invitation, anything else comes back with the error.
#[component]
pub fn InviteCodePage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let typed = query.read_untracked().get("code");
    let error = match typed.as_deref().map(parse_code) {
        Some(Ok(code)) => {
            #[cfg(feature = "ssr")]
            leptos_axum::redirect(&format!("/invite/{code}"));
            #[cfg(not(feature = "ssr"))]
            let _ = code;
            None
        }
        Some(Err(e)) => Some(e),
        None => None,
    };
    view! {
        <Title text="Enter an invitation code" />
        <Card title="Have an invitation code?" subtitle="Enter the 8-character code you were given. Upper or lower case, with or without the dash.">
            <InviteCodeForm typed=typed.unwrap_or_default() error />
            <p class="mt-6 text-center text-sm text-slate-600">"Got a link instead? Just open it."</p>
        </Card>
    }
}

#[component]
fn InviteCodeForm(typed: String, error: Option<ApiError>) -> impl IntoView {
    view! {
        <Enhanced>
            <form method="get" action="/invite" novalidate>
                <Field label="Invitation code" name="code" value=typed autocomplete="off" check=Check::InvitationCode
                    error=error.map(|e| e.message) hint="Like 7K3M-Q9XD" />
                <SubmitButton label="Continue" pending_label="Opening…" />
            </form>
        </Enhanced>
    }
}

/// `/invite/{token}/sign-up`: create an account with the invitation.
#[component]
pub fn InviteSignUpPage() -> impl IntoView {
    let token = use_token().get_untracked();
    let (back, flash) = (here(), take_flash());
    let page = match use_invitation() {
        Ok(AnyInvitation::Role(p)) if p.next_step == NextStep::SignUp => {
            view! { <InviteSignUpForm preview=p token back flash /> }.into_any()
        }
        // Signed in, used up, or for someone with an account: the
        // preview says what to do instead.
        Ok(AnyInvitation::Role(p)) => view! { <Preview preview=p token /> }.into_any(),
        Ok(AnyInvitation::Organization(join)) if join.step == NextStep::SignUp => {
            let p = join.preview;
            let form = view! {
                <JoinSignUpForm
                    token=token.clone()
                    email=join.email.unwrap_or_default()
                    organization=p.organization_name.clone()
                    slug=p.organization_slug
                    back
                    flash
                />
            };
            view! {
                <JoinSignUpCard organization=p.organization_name role=p.role sign_in=format!("/sign-in?redirectTo=/invite/{token}") sign_in_label="Sign in to accept">
                    {form}
                </JoinSignUpCard>
            }.into_any()
        }
        Ok(AnyInvitation::Organization(join)) => {
            view! { <JoinPreviewCard join token /> }.into_any()
        }
        Ok(AnyInvitation::JoinLink(page)) if page.step == NextStep::SignUp => {
            let p = page.preview;
            let form = view! {
                <JoinLinkSignUpForm
                    token=token.clone()
                    organization=p.organization_name.clone()
                    slug=p.organization_slug
                    domains=p.allowed_domains
                    approval=p.require_approval
                    back
                    flash
                />
            };
            view! {
                <JoinSignUpCard organization=p.organization_name role=p.role sign_in=format!("/sign-in?redirectTo=/join/{token}") sign_in_label="Sign in to join">
                    {form}
                </JoinSignUpCard>
            }.into_any()
        }
        Ok(AnyInvitation::JoinLink(page)) => view! { <JoinLinkCard page=*page token /> }.into_any(),
        Err(e) => view! { <NotValid error=e /> }.into_any(),
    };
    view! {
        <Title text="Create your account" />
        {page}
    }
}

/// Sign-up into an organization, by invitation or join link: the form,
/// and a way in for someone who has an account already.
#[component]
fn JoinSignUpCard(
    organization: String,
    role: String,
    sign_in: String,
    sign_in_label: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Card title=format!("Join {organization}") subtitle=format!("Create your account; you'll join as {}.", role.replace(',', " and "))>
            {children()}
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already have an account? "
                <a href=sign_in class=LINK>{sign_in_label}</a>
            </p>
        </Card>
    }
}

#[component]
fn InviteSignUpForm(
    preview: InvitePreview,
    token: String,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let inv = preview.invitation;
    let invitation = WithInvitation {
        next: welcome_path(inv.redirect_to.as_deref()),
        token,
        role: inv.role,
        email: inv.email,
    };
    view! { <SignUpForm invitation back flash /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcome_carries_the_redirect_encoded() {
        assert_eq!(welcome_path(None), "/welcome");
        assert_eq!(welcome_path(Some("/dashboard")), "/welcome?next=/dashboard");
        assert_eq!(
            welcome_path(Some("/x?a=1&b=2")),
            "/welcome?next=/x%3Fa%3D1%26b%3D2"
        );
        assert_eq!(
            welcome_path(Some("https://app.example.com/p")),
            "/welcome?next=https%3A//app.example.com/p"
        );
    }
}
