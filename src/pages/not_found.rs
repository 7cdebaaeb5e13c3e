use leptos::prelude::*;
use leptos_meta::Title;

use crate::ui::{Card, LINK};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <Card title="Page not found" subtitle="There is nothing at this address. The link may be mistyped or out of date.">
            <a href="/" class=LINK>"Go to your dashboard"</a>
        </Card>
    }
}
