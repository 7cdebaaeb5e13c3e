//! `/orgs/new`: create an organization. A form the browser sends
//! (`pages::forms`); its island (`SlugHelper`) makes the slug follow the
//! name until the person edits it, and says whether it is free while they
//! type.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::{
    error::Code,
    organizations::CreateOrganization,
    pages::{forms::take_flash, use_organizations, use_session},
    ui::{Alert, Card, Field, FormFlash, FormReturn, SubmitButton, Tone, LINK},
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
    let flash = take_flash();
    let session = use_session();
    let mine = use_organizations();
    let page = match (session, mine) {
        (Ok(None), _) => view! { <Redirect path="/sign-in?redirectTo=/orgs/new" /> }.into_any(),
        (Err(e), _) | (_, Err(e)) => view! {
            <Card title="Create an organization"><Alert tone=Tone::Error>{e.message}</Alert></Card>
        }.into_any(),
        (Ok(Some(_)), Ok(mine)) if mine.may_create => view! {
            <Card title="Create an organization" subtitle="A place for a team, a customer or a club: you will be its owner, and can add people once it exists.">
                {
                    let form = view! { <NewOrganizationForm flash /> };
                    view! { <SlugHelper>{form}</SlugHelper> }
                }
            </Card>
        }.into_any(),
        (Ok(Some(_)), Ok(_)) => view! {
            <Card title="Create an organization">
                <Alert tone=Tone::Info>"On this instance, your role cannot create organizations. An administrator can create one and add you to it."</Alert>
                <a href="/dashboard" class=LINK>"Back to your dashboard"</a>
            </Card>
        }.into_any(),
    };
    view! {
        <Title text="New organization" />
        {page}
    }
}

/// The form, rendered on the server: the slug field's status line is
/// `SlugHelper`'s to fill in.
#[component]
fn NewOrganizationForm(flash: Option<FormFlash>) -> impl IntoView {
    let slug_error = FormFlash::field_error(&flash, SLUG_CODES);
    let status_class = if slug_error.is_some() {
        "mt-1 text-sm text-red-600"
    } else {
        "mt-1 text-sm text-slate-500"
    };
    let invalid = if slug_error.is_some() {
        "true"
    } else {
        "false"
    };
    view! {
        <form method="post" action=CreateOrganization::PATH novalidate aria-label="Create an organization">
            <FormReturn back="/orgs/new" next="/orgs/{slug}" />
            {FormFlash::form_error(&flash, FIELD_CODES).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
            <Field label="Name" name="name" autocomplete="organization" value=FormFlash::value(&flash, "name")
                error=FormFlash::field_error(&flash, NAME_CODES) />
            <div class="mb-4">
                <label for="field-slug" class="block text-sm font-medium text-slate-800">"Slug"</label>
                <div class="mt-1 flex rounded-md shadow-sm">
                    <span class="inline-flex items-center rounded-l-md border border-r-0 border-slate-300 bg-slate-50 px-3 text-sm text-slate-500">"/orgs/"</span>
                    <input
                        id="field-slug" name="slug" required autocomplete="off" spellcheck="false"
                        class="block w-full min-w-0 rounded-r-md border border-slate-300 bg-white px-3 py-2 text-slate-900 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid=true]:border-red-500"
                        aria-invalid=invalid
                        aria-describedby="field-slug-status"
                        value=FormFlash::value(&flash, "slug")
                    />
                </div>
                <p id="field-slug-status" aria-live="polite" data-testid="slug-status" class=status_class>
                    {slug_error.unwrap_or_else(|| SLUG_HINT.to_owned())}
                </p>
            </div>
            <Field label="Logo URL (optional)" name="logo" kind="url" autocomplete="off" optional=true
                value=FormFlash::value(&flash, "logo") error=FormFlash::field_error(&flash, LOGO_CODES) />
            <div class="mt-6">
                <SubmitButton label="Create organization" pending_label="Creating…" />
            </div>
        </form>
    }
}

const SLUG_HINT: &str =
    "Lowercase letters, digits and dashes; it is part of the organization's address.";

/// The island of the create form, server-rendered as its child: the slug
/// follows the name until the person types one of their own, and the line
/// under it says whether it is well formed (by the server's own rule) and
/// then whether it is free (by asking the server). An answer about a slug
/// no longer in the field is dropped. It also does what `Enhanced` does
/// for the submit button. No props, no view of its own: the page's
/// WebAssembly holds the rule and one small request.
#[island]
fn SlugHelper(children: Children) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        browser::on_input(&ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        crate::pages::forms::on_submit(&ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! { <div class="contents" on:input=on_input on:submit=on_submit>{children()}</div> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;

    use wasm_bindgen::JsCast;
    use web_sys::HtmlInputElement;

    use super::SLUG_HINT;
    use crate::organizations::{check_slug, domain::Slug, CheckSlugBody};

    thread_local! {
        /// Whether the person typed a slug of their own.
        static EDITED: Cell<bool> = const { Cell::new(false) };
    }

    fn input(id: &str) -> Option<HtmlInputElement> {
        web_sys::window()?
            .document()?
            .get_element_by_id(id)?
            .dyn_into()
            .ok()
    }

    pub fn on_input(ev: &web_sys::Event) {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(slug) = input("field-slug") else {
            return;
        };
        match target.id().as_str() {
            "field-name" if !EDITED.get() => {
                let suggested = Slug::suggest(&target.value());
                slug.set_value(suggested.as_ref().map_or("", |s| s.as_str()));
            }
            "field-slug" => EDITED.set(true),
            _ => return,
        }
        check(slug);
    }

    /// Says what the slug in the field is, and asks the server whether a
    /// well-formed one is free.
    fn check(field: HtmlInputElement) {
        let typed = field.value();
        if typed.trim().is_empty() {
            return say(&field, "text-slate-500", SLUG_HINT);
        }
        let slug = match Slug::parse(&typed) {
            Err(e) => return say(&field, "text-red-600", &e.message),
            Ok(slug) => slug.as_str().to_owned(),
        };
        say(&field, "text-slate-500", "Checking…");
        leptos::task::spawn_local(async move {
            let answer = check_slug(CheckSlugBody {
                slug: Some(slug.clone()),
            })
            .await;
            if field.value() != typed {
                return;
            }
            match answer {
                Ok(_) => say(
                    &field,
                    "text-emerald-700",
                    &format!("✓ {slug} is available"),
                ),
                Err(e) => say(&field, "text-red-600", &e.message),
            }
        });
    }

    fn say(field: &HtmlInputElement, color: &str, text: &str) {
        let wrong = color == "text-red-600";
        let _ = field.set_attribute("aria-invalid", if wrong { "true" } else { "false" });
        if let Some(status) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("field-slug-status"))
        {
            let _ = status.set_attribute("class", &format!("mt-1 text-sm {color}"));
            status.set_text_content(Some(text));
        }
    }
}
