//! `/orgs/new`: create an organization. The slug follows the name until
//! the person edits it, and says whether it is free while they type.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::{
    error::Code,
    organizations::{
        check_slug, create_organization, domain::Slug, CheckSlugBody, CreateOrganizationBody,
    },
    pages::{use_organizations, use_session},
    ui::{go_to, Alert, Card, FormAlert, FormErrors, IslandSubmitButton, Tone, INPUT, LABEL, LINK},
};

const NAME_CODES: &[Code] = &[Code::InvalidOrganizationName];
const SLUG_CODES: &[Code] = &[Code::InvalidSlug, Code::OrganizationSlugAlreadyTaken];
const LOGO_CODES: &[Code] = &[Code::InvalidLogo];
const FIELD_CODES: &[Code] = &[
    Code::InvalidOrganizationName,
    Code::InvalidSlug,
    Code::OrganizationSlugAlreadyTaken,
    Code::InvalidLogo,
];

#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let session = use_session();
    let mine = use_organizations().0;
    view! {
        <Title text="New organization" />
        <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
            {move || match (session.0.get(), mine.get()) {
                (Some(Ok(None)), _) => Some(view! { <Redirect path="/sign-in?redirectTo=/orgs/new" /> }.into_any()),
                (Some(Err(e)), _) | (_, Some(Err(e))) => Some(view! {
                    <Card title="Create an organization"><Alert tone=Tone::Error>{e.message}</Alert></Card>
                }.into_any()),
                (Some(Ok(Some(_))), Some(Ok(mine))) if mine.may_create => Some(view! {
                    <Card title="Create an organization" subtitle="A place for a team, a customer or a club: you will be its owner, and can add people once it exists.">
                        <NewOrganizationForm />
                    </Card>
                }.into_any()),
                (Some(Ok(Some(_))), Some(Ok(_))) => Some(view! {
                    <Card title="Create an organization">
                        <Alert tone=Tone::Info>"On this instance, your role cannot create organizations. An administrator can create one and add you to it."</Alert>
                        <a href="/dashboard" class=LINK>"Back to your dashboard"</a>
                    </Card>
                }.into_any()),
                _ => None,
            }}
        </Suspense>
    }
}

/// What the slug field says about the slug typed so far.
#[derive(Clone, PartialEq)]
enum SlugState {
    Empty,
    Checking,
    Free(String),
    Refused(String),
}

#[island]
fn NewOrganizationForm() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let slug = RwSignal::new(String::new());
    // Once the person types a slug of their own, the name stops changing it.
    let slug_edited = RwSignal::new(false);
    let logo = RwSignal::new(String::new());
    let errors = FormErrors::new();
    // Checked in the browser first; only a well-formed slug is sent to
    // the server, which knows whether it is taken. An answer about a slug
    // that is no longer in the field is ignored.
    let check = Action::new(|typed: &String| {
        let typed = typed.clone();
        async move {
            let state = match Slug::parse(&typed) {
                Err(e) => SlugState::Refused(e.message),
                Ok(slug) => match check_slug(CheckSlugBody {
                    slug: Some(slug.as_str().to_owned()),
                })
                .await
                {
                    Ok(_) => SlugState::Free(slug.as_str().to_owned()),
                    Err(e) => SlugState::Refused(e.message),
                },
            };
            (typed, state)
        }
    });
    let set_slug = move |typed: String| {
        if !typed.trim().is_empty() {
            check.dispatch(typed.clone());
        }
        slug.set(typed);
    };
    let slug_state = Signal::derive(move || {
        let typed = slug.get();
        if typed.trim().is_empty() {
            return SlugState::Empty;
        }
        match check.value().get() {
            Some((checked, state)) if checked == typed => state,
            _ => SlugState::Checking,
        }
    });
    let create = Action::new(|body: &CreateOrganizationBody| create_organization(body.clone()));
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => go_to(&format!("/orgs/{}", created.organization.slug)),
        Some(Err(e)) => errors.error.set(Some(e)),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        errors.error.set(None);
        create.dispatch(CreateOrganizationBody {
            name: Some(name.get()),
            slug: Some(slug.get()),
            logo: Some(logo.get()).filter(|l| !l.trim().is_empty()),
            ..Default::default()
        });
    };
    let name_error = errors.field(NAME_CODES);
    let logo_error = errors.field(LOGO_CODES);
    // A refusal from the last submit, else what the live check says.
    let slug_error = Signal::derive(move || {
        errors.field(SLUG_CODES).get().or(match slug_state.get() {
            SlugState::Refused(why) => Some(why),
            _ => None,
        })
    });
    view! {
        <form on:submit=on_submit novalidate aria-label="Create an organization">
            <FormAlert message=errors.general(FIELD_CODES) />
            <div class="mb-4">
                <label for="org-name" class=LABEL>"Name"</label>
                <input
                    id="org-name" name="name" class=INPUT autocomplete="organization" required
                    aria-invalid=move || name_error.get().is_some().to_string()
                    aria-describedby="org-name-error"
                    prop:value=move || name.get()
                    on:input=move |ev| {
                        let typed = event_target_value(&ev);
                        if !slug_edited.get_untracked() {
                            set_slug(Slug::suggest(&typed).map(|s| s.as_str().to_owned()).unwrap_or_default());
                        }
                        name.set(typed);
                    }
                />
                <p id="org-name-error" class="mt-1 text-sm text-red-600" role="alert">{move || name_error.get()}</p>
            </div>
            <div class="mb-4">
                <label for="org-slug" class=LABEL>"Slug"</label>
                <div class="mt-1 flex rounded-md shadow-sm">
                    <span class="inline-flex items-center rounded-l-md border border-r-0 border-slate-300 bg-slate-50 px-3 text-sm text-slate-500">"/orgs/"</span>
                    <input
                        id="org-slug" name="slug" required autocomplete="off" spellcheck="false"
                        class="block w-full min-w-0 rounded-r-md border border-slate-300 bg-white px-3 py-2 text-slate-900 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid=true]:border-red-500"
                        aria-invalid=move || slug_error.get().is_some().to_string()
                        aria-describedby="org-slug-status"
                        prop:value=move || slug.get()
                        on:input=move |ev| {
                            slug_edited.set(true);
                            set_slug(event_target_value(&ev));
                        }
                    />
                </div>
                <p id="org-slug-status" class="mt-1 text-sm" aria-live="polite" data-testid="slug-status">
                    {move || match (slug_error.get(), slug_state.get()) {
                        (Some(why), _) => view! { <span class="text-red-600">{why}</span> }.into_any(),
                        (None, SlugState::Free(s)) => view! { <span class="text-emerald-700">{format!("✓ {s} is available")}</span> }.into_any(),
                        (None, SlugState::Checking) => view! { <span class="text-slate-500">"Checking…"</span> }.into_any(),
                        _ => view! { <span class="text-slate-500">"Lowercase letters, digits and dashes; it is part of the organization's address."</span> }.into_any(),
                    }}
                </p>
            </div>
            <div class="mb-6">
                <label for="org-logo" class=LABEL>"Logo URL " <span class="font-normal text-slate-500">"(optional)"</span></label>
                <input
                    id="org-logo" name="logo" type="url" class=INPUT autocomplete="off" placeholder="https://…"
                    aria-invalid=move || logo_error.get().is_some().to_string()
                    aria-describedby="org-logo-error"
                    prop:value=move || logo.get()
                    on:input=move |ev| logo.set(event_target_value(&ev))
                />
                <p id="org-logo-error" class="mt-1 text-sm text-red-600" role="alert">{move || logo_error.get()}</p>
            </div>
            <IslandSubmitButton label="Create organization" pending_label="Creating…" pending=create.pending() />
        </form>
    }
}
