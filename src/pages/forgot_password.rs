use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    accounts::{domain::Email, request_password_reset, RequestPasswordResetBody},
    error::Code,
    ui::{Alert, Card, Field, FormAlert, FormErrors, SubmitButton, Tone, LINK},
};

const EMAIL_CODES: &[Code] = &[Code::InvalidEmail];

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! {
        <Title text="Reset your password" />
        <Card title="Reset your password" subtitle="Enter your account's email and we'll send you a link to choose a new password.">
            <ForgotPasswordForm />
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/sign-in" class=LINK>"Back to sign in"</a>
            </p>
        </Card>
    }
}

#[island]
fn ForgotPasswordForm() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action =
        Action::new(|body: &RequestPasswordResetBody| request_password_reset(body.clone()));
    let sent = move || matches!(action.value().get(), Some(Ok(_)));

    Effect::new(move |_| {
        if let Some(Err(e)) = action.value().get() {
            errors.error.set(Some(e));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Email::parse(&email.get()) {
            Err(e) => errors.error.set(Some(e)),
            Ok(_) => {
                errors.error.set(None);
                action.dispatch(RequestPasswordResetBody {
                    email: Some(email.get()),
                    redirect_to: None,
                });
            }
        }
    };

    view! {
        <Show
            when=sent
            fallback=move || view! {
                <form on:submit=on_submit novalidate>
                    <FormAlert message=errors.general(EMAIL_CODES) />
                    <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=errors.field(EMAIL_CODES) />
                    <SubmitButton label="Send reset link" pending_label="Sending…" pending=action.pending() />
                </form>
            }
        >
            <Alert tone=Tone::Success>
                "If " <strong>{move || email.get()}</strong>
                " has an account, a link to reset the password is on its way. It works once and expires soon."
            </Alert>
        </Show>
    }
}
