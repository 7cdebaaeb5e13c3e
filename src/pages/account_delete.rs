//! `/account/delete?token=`: the link of a "delete my account" email.
//! Opening it deletes nothing (a mail scanner may open every link); the
//! person confirms with a button. A plain form: no WebAssembly.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::DeleteUserCallback,
    pages::forms::take_flash,
    ui::{Alert, Card, FormReturn, Tone, DANGER_BUTTON, LINK},
};

#[component]
pub fn AccountDeletePage() -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    let token = query.get("token").unwrap_or_default();
    let deleted = query.get("deleted").is_some();
    let flash = take_flash();
    view! {
        <Title text="Delete your account" />
        <Card title="Delete your account" subtitle="Your account, your memberships and your sessions are deleted for good.">
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
            {if deleted {
                view! {
                    <Alert tone=Tone::Success>"Your account is deleted. Thank you for having been here."</Alert>
                    <p class="mt-4 text-center text-sm"><a href="/" class=LINK>"Go to the start page"</a></p>
                }.into_any()
            } else if token.is_empty() {
                view! {
                    <Alert tone=Tone::Error>"This link is incomplete. Open the link from the email again, or ask for a new one on your account page."</Alert>
                }.into_any()
            } else {
                let back = format!("/account/delete?token={token}");
                view! {
                    <p class="text-sm text-slate-700">"This cannot be undone. If you only want a break, sign out instead."</p>
                    <form method="post" action=DeleteUserCallback::PATH aria-label="Delete account">
                        <FormReturn back next="/account/delete?deleted=1" />
                        <input type="hidden" name="token" value=token />
                        <button type="submit" class=format!("mt-5 w-full {DANGER_BUTTON}")>"Delete my account for good"</button>
                    </form>
                    <p class="mt-4 text-center text-sm"><a href="/account" class=LINK>"Keep my account"</a></p>
                }.into_any()
            }}
        </Card>
    }
}
