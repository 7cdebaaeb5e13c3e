use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{
        domain::{Password, PASSWORD_HINT},
        reset_password, ResetPassword, ResetPasswordBody,
    },
    error::{ApiError, Code},
    pages::forms::{here, take_flash},
    ui::{
        Alert, Card, Field, FormAlert, FormErrors, FormFlash, FormReturn, SubmitButton, Tone, LINK,
    },
};

/// Where the form goes once it worked without JavaScript.
const DONE: &str = "/reset-password?done";

const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
const CONFIRM_CODES: &[Code] = &[Code::PasswordsDoNotMatch];
const FIELD_CODES: &[Code] = &[
    Code::PasswordTooShort,
    Code::PasswordTooLong,
    Code::PasswordsDoNotMatch,
];

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").filter(|t| !t.is_empty());
    let done = query.read_untracked().get("done").is_some();
    let (back, flash) = (here(), take_flash());

    view! {
        <Title text="Choose a new password" />
        {move || match token() {
            Some(token) => {
                let (back, flash) = (back.clone(), flash.clone());
                view! {
                    <Card title="Choose a new password" subtitle="You'll be signed out everywhere and can sign in with the new password.">
                        <ResetForm token back flash />
                    </Card>
                }.into_any()
            }
            None if done => view! {
                <Card title="Your password has been changed">
                    <Alert tone=Tone::Success>"You were signed out everywhere."</Alert>
                    <a href="/sign-in" class=LINK>"Sign in with your new password"</a>
                </Card>
            }.into_any(),
            None => view! {
                <Card title="This link is incomplete">
                    <p class="text-sm text-slate-700">"The password reset link is missing its token. Copy the whole link from the email, or ask for a new one."</p>
                    <p class="mt-6 text-sm"><a href="/forgot-password" class=LINK>"Ask for a new link"</a></p>
                </Card>
            }.into_any(),

        }}
    }
}

#[island]
fn ResetForm(token: String, back: String, flash: Option<FormFlash>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::showing(FormFlash::error(&flash));
    let field_token = token.clone();
    let action = Action::new(|body: &ResetPasswordBody| reset_password(body.clone()));
    let done = move || matches!(action.value().get(), Some(Ok(_)));

    Effect::new(move |_| {
        if let Some(Err(e)) = action.value().get() {
            errors.error.set(Some(e));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked = Password::parse(&password.get()).and_then(|_| {
            if password.get() == confirm.get() {
                Ok(())
            } else {
                Err(ApiError::new(
                    Code::PasswordsDoNotMatch,
                    "The two passwords are not the same.",
                ))
            }
        });
        match checked {
            Err(e) => errors.error.set(Some(e)),
            Ok(()) => {
                errors.error.set(None);
                action.dispatch(ResetPasswordBody {
                    new_password: Some(password.get().into()),
                    token: Some(token.clone().into()),
                });
            }
        }
    };

    view! {
        <Show
            when=done
            fallback=move || view! {
                <form method="post" action=ResetPassword::PATH on:submit=on_submit.clone() novalidate>
                    <FormReturn back=back.clone() next=DONE />
                    <input type="hidden" name="token" value=field_token.clone() />
                    <FormAlert message=errors.general(FIELD_CODES) />
                    <Field label="New password" name="newPassword" kind="password" autocomplete="new-password"
                        value=password error=errors.field(PASSWORD_CODES) hint=PASSWORD_HINT />
                    <Field label="Repeat the new password" name="_repeat" kind="password" autocomplete="new-password"
                        value=confirm error=errors.field(CONFIRM_CODES) />
                    <SubmitButton label="Change password" pending_label="Changing…" pending=action.pending() native=true />
                </form>
            }
        >
            <Alert tone=Tone::Success>"Your password has been changed."</Alert>
            <a href="/sign-in" class=LINK>"Sign in with your new password"</a>
        </Show>
    }
}
