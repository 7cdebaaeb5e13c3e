use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{get_instance_info, SignInEmail},
    error::Code,
    pages::forms::{here, take_flash, Enhanced},
    ui::{safe_next, Alert, Card, Check, Field, FormFlash, FormReturn, SubmitButton, Tone, LINK},
};

const EMAIL_CODES: &[Code] = &[Code::InvalidEmail];

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = safe_next(query.read_untracked().get("redirectTo"));
    let info = Resource::new(|| (), |_| get_instance_info());
    let (back, flash) = (here(), take_flash());
    view! {
        <Title text="Sign in" />
        <Card title="Sign in" subtitle="Welcome back. Sign in to your Gatehouse account.">
            <SignInForm next back flash />
            <Suspense fallback=|| ()>
                {move || info.get().and_then(Result::ok).map(|info| if info.open_sign_up {
                    view! { <p class="mt-6 text-center text-sm text-slate-600">"New here? "<a href="/sign-up" class=LINK>"Create an account"</a></p> }.into_any()
                } else {
                    view! { <p class="mt-6 text-center text-sm text-slate-600">"New here? Accounts are created from an invitation link."</p> }.into_any()
                })}
            </Suspense>
        </Card>
    }
}

/// The form; `next` is where a successful sign-in goes, `back` this page.
#[component]
fn SignInForm(next: String, back: String, flash: Option<FormFlash>) -> impl IntoView {
    view! {
        <Enhanced>
            <form method="post" action=SignInEmail::PATH novalidate>
                <FormReturn back next=next.clone() />
                // A second step (two-factor) goes to its page.
                <input type="hidden" name="callbackURL" value=next />
                <input type="hidden" name="_follow" value="twoFactorUrl" />
                {FormFlash::form_error(&flash, EMAIL_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <Field label="Email" name="email" kind="email" autocomplete="email" check=Check::Email
                    value=FormFlash::value(&flash, "email") error=FormFlash::field_error(&flash, EMAIL_CODES) />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" />
                <div class="mb-6 -mt-2 text-right text-sm">
                    <a href="/forgot-password" class=LINK>"Forgot your password?"</a>
                </div>
                <SubmitButton label="Sign in" pending_label="Signing in…" />
            </form>
        </Enhanced>
    }
}
