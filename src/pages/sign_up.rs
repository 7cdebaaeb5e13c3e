use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    accounts::{
        domain::{Email, Password, PersonName, PASSWORD_HINT},
        get_instance_info, sign_up_email, SignUpBody,
    },
    ui::{go_to, Alert, Card, Field, FormAlert, FormErrors, SubmitButton, Tone, LINK},
};

const NAME_CODES: &[&str] = &["INVALID_NAME"];
const EMAIL_CODES: &[&str] = &["INVALID_EMAIL", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"];
const PASSWORD_CODES: &[&str] = &["PASSWORD_TOO_SHORT", "PASSWORD_TOO_LONG"];
const FIELD_CODES: &[&str] = &[
    "INVALID_NAME",
    "INVALID_EMAIL",
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    "PASSWORD_TOO_SHORT",
    "PASSWORD_TOO_LONG",
];

#[component]
pub fn SignUpPage() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_instance_info());
    view! {
        <Title text="Create your account" />
        <Suspense fallback=|| ()>
            {move || info.get().map(|info| match info {
                Ok(info) if info.open_sign_up => view! { <SignUpForm /> }.into_any(),
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

#[component]
fn SignUpForm() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = Action::new(|body: &SignUpBody| sign_up_email(body.clone()));

    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => go_to("/dashboard"),
        Some(Err(e)) => errors.error.set(Some(e)),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked = PersonName::parse(&name.get())
            .and_then(|_| Email::parse(&email.get()))
            .and_then(|_| Password::parse(&password.get()));
        match checked {
            Err(e) => errors.error.set(Some(e)),
            Ok(_) => {
                errors.error.set(None);
                action.dispatch(SignUpBody {
                    name: Some(name.get()),
                    email: Some(email.get()),
                    password: Some(password.get()),
                    invite_token: None,
                });
            }
        }
    };

    view! {
        <Card title="Create your account" subtitle="It takes a minute.">
            <form on:submit=on_submit novalidate>
                <FormAlert message=errors.general(FIELD_CODES) />
                <Field label="Name" name="name" autocomplete="name" value=name error=errors.field(NAME_CODES) />
                <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=errors.field(EMAIL_CODES) />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    value=password
                    error=errors.field(PASSWORD_CODES)
                    hint=PASSWORD_HINT
                />
                <SubmitButton label="Create account" pending_label="Creating your account…" pending=action.pending() />
            </form>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already have an account? "<a href="/sign-in" class=LINK>"Sign in"</a>
            </p>
        </Card>
    }
}
