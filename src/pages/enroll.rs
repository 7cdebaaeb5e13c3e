//! `/enroll?token=`: the person an admin made an account for chooses their
//! password, and is signed in (SPEC §3 "Admin enrollment").

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    pages::forms::{here, take_flash, Enhanced, NewPasswordFields, NEW_PASSWORD_CODES},
    ui::{Alert, Card, FormFlash, FormReturn, SubmitButton, Tone, LINK},
    users::{enrollment_info, CompleteEnrollment, EnrollmentInfo},
};

#[component]
pub fn EnrollPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let info = Resource::new(move || token().into(), enrollment_info);
    let (back, flash) = (here(), take_flash());
    view! {
        <Title text="Set up your account" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || info.get().map(|r| match r {
                Ok(info) => view! { <EnrollForm info token=token() back=back.clone() flash=flash.clone() /> }.into_any(),
                Err(e) => view! {
                    <Card title="This link can't be used">
                        <Alert tone=Tone::Error>{e.message}</Alert>
                        <p class="text-sm text-slate-700">"If you already chose a password, "<a href="/sign-in" class=LINK>"sign in"</a>"."</p>
                    </Card>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn EnrollForm(
    info: EnrollmentInfo,
    token: String,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    view! {
        <Card title="Set up your account" subtitle="Your admin created this account for you. Choose a password to finish.">
            <dl class="mb-6 rounded-lg border border-slate-200 bg-slate-50 p-4 text-sm">
                <div class="flex justify-between gap-4">
                    <dt class="text-slate-500">"Name"</dt>
                    <dd class="font-medium text-slate-900" data-testid="enroll-name">{info.name}</dd>
                </div>
                <div class="mt-2 flex justify-between gap-4">
                    <dt class="text-slate-500">"Email"</dt>
                    <dd class="min-w-0 break-all font-medium text-slate-900" data-testid="enroll-email">{info.email}</dd>
                </div>
            </dl>
            <Enhanced>
                <form method="post" action=CompleteEnrollment::PATH novalidate>
                    <FormReturn back next="/dashboard" />
                    <input type="hidden" name="token" value=token />
                    {FormFlash::form_error(&flash, NEW_PASSWORD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                    <NewPasswordFields name="password" label="Password" repeat_label="Password again" flash />
                    <SubmitButton label="Set password and sign in" pending_label="Setting up…" />
                </form>
            </Enhanced>
        </Card>
    }
}
