use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{domain::Email, get_instance_info, sign_in_email, SignInBody, SignInEmail},
    error::Code,
    pages::forms::{here, take_flash},
    ui::{
        go_to, safe_next, Card, Field, FormAlert, FormErrors, FormFlash, FormReturn, SubmitButton,
        LINK,
    },
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
#[island]
fn SignInForm(next: String, back: String, flash: Option<FormFlash>) -> impl IntoView {
    let email = RwSignal::new(FormFlash::value(&flash, "email"));
    let password = RwSignal::new(String::new());
    let errors = FormErrors::showing(FormFlash::error(&flash));
    let action = Action::new(|body: &SignInBody| sign_in_email(body.clone()));
    let onward = next.clone();
    let callback = next.clone();

    Effect::new(move |_| match action.value().get() {
        // The account asks for a code from its app first, or is in.
        Some(Ok(answer)) => go_to(answer.two_factor_url.as_deref().unwrap_or(&onward)),
        Some(Err(e)) => errors.error.set(Some(e)),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Email::parse(&email.get()) {
            Err(e) => errors.error.set(Some(e)),
            Ok(_) => {
                errors.error.set(None);
                action.dispatch(SignInBody {
                    email: Some(email.get()),
                    password: Some(password.get().into()),
                    callback_url: Some(callback.clone()),
                });
            }
        }
    };

    view! {
        <form method="post" action=SignInEmail::PATH on:submit=on_submit novalidate>
            <FormReturn back next=next.clone() />
            // Without JavaScript too: a second step goes to its page.
            <input type="hidden" name="callbackURL" value=next.clone() />
            <input type="hidden" name="_follow" value="twoFactorUrl" />
            <FormAlert message=errors.general(EMAIL_CODES) />
            <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=errors.field(EMAIL_CODES) />
            <Field label="Password" name="password" kind="password" autocomplete="current-password" value=password />
            <div class="mb-6 -mt-2 text-right text-sm">
                <a href="/forgot-password" class=LINK>"Forgot your password?"</a>
            </div>
            <SubmitButton label="Sign in" pending_label="Signing in…" pending=action.pending() native=true />
        </form>
    }
}
