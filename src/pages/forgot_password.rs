use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::RequestPasswordReset,
    error::Code,
    pages::forms::{here, take_flash, Enhanced},
    ui::{Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, LINK},
};

/// Where the form goes once sent: this page, saying so.
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

#[component]
fn ForgotPasswordForm(sent: bool, back: String, flash: Option<FormFlash>) -> impl IntoView {
    if sent {
        return view! {
            <Alert tone=Tone::Success>
                "If that address has an account, a link to reset the password is on its way. It works once and expires soon."
            </Alert>
        }
        .into_any();
    }
    view! {
        <Enhanced>
            <form method="post" action=RequestPasswordReset::PATH novalidate>
                <FormReturn back next=SENT />
                {FormFlash::form_error(&flash, EMAIL_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <Field label="Email" name="email" kind="email" autocomplete="email" check=Check::Email
                    value=FormFlash::value(&flash, "email") error=FormFlash::field_error(&flash, EMAIL_CODES) />
                <SubmitButton label="Send reset link" pending_label="Sending…" />
            </form>
        </Enhanced>
    }
    .into_any()
}
