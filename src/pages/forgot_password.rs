use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{
        domain::Email, request_password_reset, RequestPasswordReset, RequestPasswordResetBody,
    },
    error::Code,
    pages::forms::{here, take_flash},
    ui::{
        Alert, Card, Field, FormAlert, FormErrors, FormFlash, FormReturn, SubmitButton, Tone, LINK,
    },
};

/// Where the form goes once sent without JavaScript: this page, saying so.
const SENT: &str = "/forgot-password?sent";

const EMAIL_CODES: &[Code] = &[Code::InvalidEmail];

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let sent = use_query_map().read_untracked().get("sent").is_some();
    let (back, flash) = (here(), take_flash());
    view! {
        <Title text="Reset your password" />
        <Card title="Reset your password" subtitle="Enter your account's email and we'll send you a link to choose a new password.">
            <ForgotPasswordForm sent back flash />
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/sign-in" class=LINK>"Back to sign in"</a>
            </p>
        </Card>
    }
}

#[island]
fn ForgotPasswordForm(sent: bool, back: String, flash: Option<FormFlash>) -> impl IntoView {
    let email = RwSignal::new(FormFlash::value(&flash, "email"));
    let errors = FormErrors::showing(FormFlash::error(&flash));
    let action =
        Action::new(|body: &RequestPasswordResetBody| request_password_reset(body.clone()));
    let sent = move || sent || matches!(action.value().get(), Some(Ok(_)));

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
                <form method="post" action=RequestPasswordReset::PATH on:submit=on_submit novalidate>
                    <FormReturn back=back.clone() next=SENT />
                    <FormAlert message=errors.general(EMAIL_CODES) />
                    <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=errors.field(EMAIL_CODES) />
                    <SubmitButton label="Send reset link" pending_label="Sending…" pending=action.pending() native=true />
                </form>
            }
        >
            <Alert tone=Tone::Success>
                {move || {
                    // Sent without JavaScript, the address is not known here.
                    let email = email.get();
                    if email.is_empty() { "If that address".to_owned() } else { format!("If {email}") }
                }}
                " has an account, a link to reset the password is on its way. It works once and expires soon."
            </Alert>
        </Show>
    }
}
