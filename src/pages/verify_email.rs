//! `/verify-email?token=`: the link of a verification email.
//! Opening it changes nothing (a mail scanner may open every link); the
//! person confirms with a button (SPEC §3 "Accounts" 2, §8).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{send_verification_email, verify_email, SendVerificationEmailBody, VerifyEmailBody},
    ui::{use_hydrated, Alert, Card, Tone, BUTTON, LINK},
};

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let token = query.get("token").unwrap_or_default();
    view! {
        <Title text="Confirm your email" />
        <Card title="Confirm your email" subtitle="One click, and Gatehouse knows this address is yours.">
            {if token.is_empty() {
                view! {
                    <Alert tone=Tone::Error>"This link is incomplete. Open the link from the email again, or ask for a new one from your dashboard."</Alert>
                }.into_any()
            } else {
                view! { <ConfirmEmail token /> }.into_any()
            }}
        </Card>
    }
}

#[island]
fn ConfirmEmail(token: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let confirm = Action::new(|token: &String| {
        verify_email(VerifyEmailBody {
            token: Some(token.clone().into()),
        })
    });
    view! {
        {move || match confirm.value().get() {
            Some(Ok(done)) => view! {
                <Alert tone=Tone::Success>"Thank you: "<strong>{done.user.email}</strong>" is verified."</Alert>
                // Where the person asked to go when the link was sent
                // (checked then), else home.
                <a href=done.redirect_to.unwrap_or_else(|| "/dashboard".to_owned()) class=format!("mt-4 {BUTTON}")>"Continue"</a>
            }.into_any(),
            result => view! {
                {result.and_then(Result::err).map(|e| view! { <Alert tone=Tone::Error>{e.message}</Alert> })}
                <button
                    type="button"
                    class=format!("mt-4 {BUTTON}")
                    disabled=move || !hydrated.get() || confirm.pending().get()
                    on:click={
                        let token = token.clone();
                        move |_| { confirm.dispatch(token.clone()); }
                    }
                >{move || if confirm.pending().get() { "Confirming…" } else { "Confirm my email" }}</button>
                <p class="mt-4 text-center text-sm text-slate-600">"Link expired? "<a href="/dashboard" class=LINK>"Ask for a new one from your dashboard"</a>"."</p>
            }.into_any(),
        }}
    }
}

/// "Send me a verification email", for the signed-in person whose email is
/// not verified; the link leads back to `next`.
#[island]
pub fn SendVerificationButton(email: String, next: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let send = Action::new(move |_: &()| {
        send_verification_email(SendVerificationEmailBody {
            email: Some(email.clone()),
            callback_url: Some(next.clone().into()),
        })
    });
    view! {
        {move || match send.value().get() {
            Some(Ok(done)) => view! {
                <Alert tone=Tone::Success>{done.message.unwrap_or_default()}" Open the link in it, then come back here."</Alert>
            }.into_any(),
            result => view! {
                {result.and_then(Result::err).map(|e| view! { <Alert tone=Tone::Error>{e.message}</Alert> })}
                <button
                    type="button"
                    class=format!("mt-4 {BUTTON}")
                    disabled=move || !hydrated.get() || send.pending().get()
                    on:click=move |_| { send.dispatch(()); }
                >{move || if send.pending().get() { "Sending…" } else { "Send me a verification email" }}</button>
            }.into_any(),
        }}
    }
}
