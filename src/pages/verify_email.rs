//! `/verify-email?token=`: the link of a verification email.
//! Opening it changes nothing (a mail scanner may open every link); the
//! person confirms with a button (SPEC §3 "Accounts" 2, §8).

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{
        send_verification_email, verify_email, SendVerificationEmail, SendVerificationEmailBody,
        VerifyEmail, VerifyEmailBody,
    },
    pages::forms::take_flash,
    ui::{Alert, Card, FormReturn, Tone, BUTTON, LINK},
};

/// The query flag a page gets back once its verification email is sent
/// without JavaScript (`SendVerificationButton`).
const SENT_FLAG: &str = "verification";

/// Whether the page being rendered came back from sending a verification
/// email without JavaScript: what `SendVerificationButton`'s `sent` says.
pub fn verification_sent() -> bool {
    use_query_map().read_untracked().get(SENT_FLAG).is_some()
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let token = query.get("token").unwrap_or_default();
    let flash = take_flash();
    view! {
        <Title text="Confirm your email" />
        <Card title="Confirm your email" subtitle="One click, and Gatehouse knows this address is yours.">
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
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

/// A form that posts without JavaScript too (`pages::forms`): it then
/// follows the link's `callbackURL` (`_follow`), or goes home.
#[island]
fn ConfirmEmail(token: String) -> impl IntoView {
    let back = format!("/verify-email?token={token}");
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
                <form method="post" action=VerifyEmail::PATH on:submit={
                    let token = token.clone();
                    move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); confirm.dispatch(token.clone()); }
                }>
                    <FormReturn back=back.clone() next="/dashboard" />
                    <input type="hidden" name="_follow" value="redirectTo" />
                    <input type="hidden" name="token" value=token.clone() />
                    <button
                        type="submit"
                        class=format!("mt-4 {BUTTON}")
                        disabled=move || confirm.pending().get()
                    >{move || if confirm.pending().get() { "Confirming…" } else { "Confirm my email" }}</button>
                </form>
                <p class="mt-4 text-center text-sm text-slate-600">"Link expired? "<a href="/dashboard" class=LINK>"Ask for a new one from your dashboard"</a>"."</p>
            }.into_any(),
        }}
    }
}

/// "Send me a verification email", for the signed-in person whose email is
/// not verified, on the page `next`, where the link leads back to. A form
/// that posts without JavaScript too: it comes back to `next` with
/// `?verification=sent`, which the page passes on as `sent`.
#[island]
pub fn SendVerificationButton(email: String, next: String, sent: bool) -> impl IntoView {
    let sent_note = format!("We sent a link to {email}. Open it, then come back here.");
    let (address, callback) = (email.clone(), next.clone());
    let send = Action::new(move |_: &()| {
        send_verification_email(SendVerificationEmailBody {
            email: Some(address.clone()),
            callback_url: Some(callback.clone().into()),
        })
    });
    let separator = if next.contains('?') { '&' } else { '?' };
    let onward = format!("{next}{separator}{SENT_FLAG}=sent");
    view! {
        {move || match send.value().get() {
            Some(Ok(done)) => view! {
                <Alert tone=Tone::Success>{done.message.unwrap_or_default()}" Open the link in it, then come back here."</Alert>
            }.into_any(),
            None if sent => {
                let note = sent_note.clone();
                view! { <Alert tone=Tone::Success>{note}</Alert> }.into_any()
            }
            result => view! {
                {result.and_then(Result::err).map(|e| view! { <Alert tone=Tone::Error>{e.message}</Alert> })}
                <form method="post" action=SendVerificationEmail::PATH on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send.dispatch(()); }>
                    <FormReturn back=next.clone() next=onward.clone() />
                    <input type="hidden" name="email" value=email.clone() />
                    <input type="hidden" name="callbackURL" value=next.clone() />
                    <button
                        type="submit"
                        class=format!("mt-4 {BUTTON}")
                        disabled=move || send.pending().get()
                    >{move || if send.pending().get() { "Sending…" } else { "Send me a verification email" }}</button>
                </form>
            }.into_any(),
        }}
    }
}
