use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    accounts::{domain::PASSWORD_HINT, get_instance_info},
    error::Code,
    invitations::role::SignUpEmail,
    pages::forms::{here, take_flash, Enhanced},
    ui::{Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, LINK},
};

const NAME_CODES: &[Code] = &[Code::InvalidName];
// Each flow meets only its own codes: `USE_ANOTHER_EMAIL` on open sign-up,
// the recipient and `PLEASE_SIGN_IN` codes with an invitation.
const EMAIL_CODES: &[Code] = &[
    Code::InvalidEmail,
    Code::UserAlreadyExistsUseAnotherEmail,
    Code::YouAreNotTheRecipientOfTheInvitation,
];
const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
const FIELD_CODES: &[Code] = &[
    Code::InvalidName,
    Code::InvalidEmail,
    Code::UserAlreadyExistsUseAnotherEmail,
    Code::YouAreNotTheRecipientOfTheInvitation,
    Code::PasswordTooShort,
    Code::PasswordTooLong,
    // Shown as its own notice with a sign-in link, not as a form error.
    Code::UserAlreadyExistsPleaseSignIn,
];

/// Sign-up with an invitation: what `SignUpForm` needs besides the form.
#[derive(Clone)]
pub struct WithInvitation {
    pub token: String,
    pub role: String,
    /// A private invitation's address, which the form does not let change.
    pub email: Option<String>,
    /// Where to go once the account exists.
    pub next: String,
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_instance_info());
    let (back, flash) = (here(), take_flash());
    view! {
        <Title text="Create your account" />
        <Suspense fallback=|| ()>
            {move || info.get().map(|info| match info {
                Ok(info) if info.open_sign_up => view! { <SignUpForm back=back.clone() flash=flash.clone() /> }.into_any(),
                Ok(_) => view! { <InviteOnly /> }.into_any(),
                Err(e) => view! { <Card title="Create your account"><Alert tone=Tone::Error>{e.message}</Alert></Card> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn InviteOnly() -> impl IntoView {
    view! {
        <Card title="Gatehouse is invite-only" subtitle="Accounts here are created from an invitation.">
            <p class="text-sm text-slate-700">
                "If someone invited you, open the link from their invitation email to create your account."
            </p>
            <p class="mt-4 text-sm"><a href="/invite" class=LINK>"Have an invitation code? Enter it here"</a></p>
            <p class="mt-6 text-sm"><a href="/sign-in" class=LINK>"Already have an account? Sign in"</a></p>
        </Card>
    }
}

/// The sign-up form: open sign-up, or with an invitation. `back` is this
/// page, and `flash` what its last post brought back.
#[component]
pub fn SignUpForm(
    #[prop(optional)] invitation: Option<WithInvitation>,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let token = invitation.as_ref().map(|i| i.token.clone());
    let fixed_email = invitation.as_ref().and_then(|i| i.email.clone());
    let next = invitation
        .as_ref()
        .map_or_else(|| "/dashboard".to_owned(), |i| i.next.clone());
    let exists = flash
        .as_ref()
        .is_some_and(|f| f.error.code == Code::UserAlreadyExistsPleaseSignIn);
    let (subtitle, email_hint, submit) = match &invitation {
        Some(i) => (
            format!("You'll join as {}.", i.role),
            Some(if fixed_email.is_some() {
                "This invitation is for this address."
            } else {
                "You'll sign in with it."
            }),
            "Create account and join",
        ),
        None => ("It takes a minute.".to_owned(), None, "Create account"),
    };
    let open = token.is_none();
    let sign_in_href = token
        .as_ref()
        .map(|t| format!("/sign-in?redirectTo=/invite/{t}"));
    let readonly = fixed_email.is_some();
    let email = fixed_email.unwrap_or_else(|| FormFlash::value(&flash, "email"));

    view! {
        <Card title="Create your account" subtitle=subtitle>
            <Enhanced>
                <form method="post" action=SignUpEmail::PATH novalidate>
                    <FormReturn back next />
                    {token.map(|t| view! { <input type="hidden" name="inviteToken" value=t /> })}
                    {exists.then(|| view! {
                        <Alert tone=Tone::Info>
                            "An account with this email already exists. "
                            <a href=sign_in_href class=LINK>"Sign in to accept the invitation"</a>
                        </Alert>
                    })}
                    {FormFlash::form_error(&flash, FIELD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                    <Field label="Name" name="name" autocomplete="name" check=Check::Name
                        value=FormFlash::value(&flash, "name") error=FormFlash::field_error(&flash, NAME_CODES) />
                    <Field
                        label="Email"
                        name="email"
                        kind="email"
                        autocomplete="email"
                        value=email
                        readonly=readonly
                        check=Check::Email
                        hint=email_hint.unwrap_or_default()
                        error=FormFlash::field_error(&flash, EMAIL_CODES)
                    />
                    <Field
                        label="Password"
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        check=Check::Password
                        error=FormFlash::field_error(&flash, PASSWORD_CODES)
                        hint=PASSWORD_HINT
                    />
                    <SubmitButton label=submit pending_label="Creating your account…" />
                </form>
            </Enhanced>
            {open.then(|| view! {
                <p class="mt-6 text-center text-sm text-slate-600">
                    "Already have an account? "<a href="/sign-in" class=LINK>"Sign in"</a>
                </p>
            })}
        </Card>
    }
}
