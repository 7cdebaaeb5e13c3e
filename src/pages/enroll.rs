//! `/enroll?token=`: the person an admin made an account for chooses their
//! password, and is signed in (SPEC §3 "Admin enrollment").

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::domain::{Password, PASSWORD_HINT},
    error::{ApiError, Code},
    pages::forms::{here, take_flash},
    ui::{
        go_to, Alert, Card, Field, FormAlert, FormErrors, FormFlash, FormReturn, SubmitButton,
        Tone, LINK,
    },
    users::{
        complete_enrollment, enrollment_info, CompleteEnrollment, CompleteEnrollmentBody,
        EnrollmentInfo,
    },
};

const PASSWORD_CODES: &[Code] = &[Code::PasswordTooShort, Code::PasswordTooLong];
const CONFIRM_CODES: &[Code] = &[Code::PasswordsDoNotMatch];

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

#[island]
fn EnrollForm(
    info: EnrollmentInfo,
    token: String,
    back: String,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::showing(FormFlash::error(&flash));
    let field_token = token.clone();
    let action = Action::new(|body: &CompleteEnrollmentBody| complete_enrollment(body.clone()));
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => go_to("/dashboard"),
        Some(Err(e)) => errors.error.set(Some(e)),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = Password::parse(&password.get()) {
            errors.error.set(Some(e));
        } else if password.get() != confirm.get() {
            errors.error.set(Some(ApiError::new(
                Code::PasswordsDoNotMatch,
                "The two passwords are not the same.",
            )));
        } else {
            errors.error.set(None);
            action.dispatch(CompleteEnrollmentBody {
                token: Some(token.clone().into()),
                password: Some(password.get().into()),
            });
        }
    };
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
            <form method="post" action=CompleteEnrollment::PATH on:submit=on_submit novalidate>
                <FormReturn back next="/dashboard" />
                <input type="hidden" name="token" value=field_token />
                <FormAlert message=errors.general(&[Code::PasswordTooShort, Code::PasswordTooLong, Code::PasswordsDoNotMatch]) />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" value=password error=errors.field(PASSWORD_CODES) hint=PASSWORD_HINT />
                <Field label="Password again" name="_repeat" kind="password" autocomplete="new-password" value=confirm error=errors.field(CONFIRM_CODES) />
                <SubmitButton label="Set password and sign in" pending_label="Setting up…" pending=action.pending() native=true />
            </form>
        </Card>
    }
}
