//! `/sign-in/two-factor`: a sign-in's second step, for an account with
//! two-factor authentication: the code from the authenticator app, or a
//! backup code, and whether to trust this device for 30 days. Plain forms:
//! no WebAssembly.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::two_factor::{VerifyBackupCode, VerifyTotp},
    pages::forms::{here, take_flash},
    ui::{safe_next, Alert, Card, FormReturn, Tone, BUTTON, INPUT, LABEL, LINK},
};

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let next = safe_next(use_query_map().read_untracked().get("redirectTo"));
    let (back, flash) = (here(), take_flash());
    let backup = flash
        .as_ref()
        .is_some_and(|f| f.error.code == crate::error::Code::InvalidBackupCode);
    view! {
        <Title text="Two-factor authentication" />
        <Card title="Two-factor authentication" subtitle="Open your authenticator app and type the code it shows for Gatehouse.">
            {flash.map(|f| view! { <Alert tone=Tone::Error>{f.error.message}</Alert> })}
            <form method="post" action=VerifyTotp::PATH aria-label="Code from your app" class="mt-2">
                <FormReturn back=back.clone() next=next.clone() />
                <label for="totp-code" class=LABEL>"Code"</label>
                <input id="totp-code" name="code" required inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" autofocus=!backup class=format!("{INPUT} text-center font-mono text-lg tracking-widest") />
                <TrustDevice id="trust-totp" />
                <button type="submit" class=format!("mt-5 {BUTTON}")>"Verify"</button>
            </form>
            <details class="mt-6 border-t border-slate-200 pt-4" open=backup>
                <summary class="cursor-pointer text-sm font-medium text-indigo-700">"Use a backup code instead"</summary>
                <form method="post" action=VerifyBackupCode::PATH aria-label="Backup code" class="mt-3">
                    <FormReturn back next />
                    <label for="backup-code" class=LABEL>"Backup code"</label>
                    <input id="backup-code" name="code" required autocomplete="off" placeholder="xxxxx-xxxxx" class=format!("{INPUT} font-mono") />
                    <TrustDevice id="trust-backup" />
                    <button type="submit" class=format!("mt-5 {BUTTON}")>"Use backup code"</button>
                </form>
                <p class="mt-3 text-sm text-slate-600">"Each backup code works once."</p>
            </details>
            <p class="mt-6 text-center text-sm text-slate-600">"Not you? "<a href="/sign-in" class=LINK>"Sign in again"</a></p>
        </Card>
    }
}

#[component]
fn TrustDevice(id: &'static str) -> impl IntoView {
    view! {
        <label for=id class="mt-4 flex items-center gap-2 text-sm text-slate-700">
            <input id=id type="checkbox" name="trustDevice" value="true" class="h-4 w-4 rounded border-slate-300" />
            "Trust this device for 30 days"
        </label>
    }
}
