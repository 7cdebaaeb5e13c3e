//! `/verify-email?token=`: the link of a verification email.
//! Opening it changes nothing (a mail scanner may open every link); the
//! person confirms with a button (SPEC §3 "Accounts" 2, §8).

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{SendVerificationEmail, VerifyEmail},
    pages::forms::{take_flash, Enhanced},
    ui::{Alert, Card, FormReturn, SubmitButton, Tone, LINK},
};

/// The query flag a page gets back once its verification email is sent
/// (`SendVerificationButton`).
const SENT_FLAG: &str = "verification";

/// Whether the page being rendered came back from sending a verification
/// email: what `SendVerificationButton`'s `sent` says.
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

/// A form the browser sends (`pages::forms`): it then follows the link's
/// `callbackURL` (`_follow`), where the person was going when the link was
/// sent (checked then), or goes home.
#[component]
fn ConfirmEmail(token: String) -> impl IntoView {
    let back = format!("/verify-email?token={token}");
    view! {
        <Enhanced>
            <form method="post" action=VerifyEmail::PATH>
                <FormReturn back next="/dashboard" />
                <input type="hidden" name="_follow" value="redirectTo" />
                <input type="hidden" name="token" value=token />
                <div class="mt-4">
                    <SubmitButton label="Confirm my email" pending_label="Confirming…" />
                </div>
            </form>
        </Enhanced>
        <p class="mt-4 text-center text-sm text-slate-600">"Link expired? "<a href="/dashboard" class=LINK>"Ask for a new one from your dashboard"</a>"."</p>
    }
}

/// "Send me a verification email", for the signed-in person whose email is
/// not verified, on the page `next`, where the link leads back to. A form
/// the browser sends: it comes back to `next` with `?verification=sent`,
/// which the page passes on as `sent`.
#[component]
pub fn SendVerificationButton(email: String, next: String, sent: bool) -> impl IntoView {
    if sent {
        return view! {
            <Alert tone=Tone::Success>{format!("We sent a link to {email}. Open it, then come back here.")}</Alert>
        }
        .into_any();
    }
    let separator = if next.contains('?') { '&' } else { '?' };
    let onward = format!("{next}{separator}{SENT_FLAG}=sent");
    view! {
        <Enhanced>
            <form method="post" action=SendVerificationEmail::PATH>
                <FormReturn back=next.clone() next=onward />
                <input type="hidden" name="email" value=email />
                <input type="hidden" name="callbackURL" value=next />
                <div class="mt-4">
                    <SubmitButton label="Send me a verification email" pending_label="Sending…" />
                </div>
            </form>
        </Enhanced>
    }
    .into_any()
}
