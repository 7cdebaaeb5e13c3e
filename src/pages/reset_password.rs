use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::ResetPassword,
    pages::forms::{here, take_flash, Enhanced, NewPasswordFields, NEW_PASSWORD_CODES},
    ui::{Alert, Card, FormFlash, FormReturn, SubmitButton, Tone, LINK},
};

/// Where the form goes once it worked.
const DONE: &str = "/reset-password?done";

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

#[component]
fn ResetForm(token: String, back: String, flash: Option<FormFlash>) -> impl IntoView {
    view! {
        <Enhanced>
            <form method="post" action=ResetPassword::PATH novalidate>
                <FormReturn back next=DONE />
                <input type="hidden" name="token" value=token />
                {FormFlash::form_error(&flash, NEW_PASSWORD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <NewPasswordFields name="newPassword" label="New password" repeat_label="Repeat the new password" flash />
                <SubmitButton label="Change password" pending_label="Changing…" />
            </form>
        </Enhanced>
    }
}
