//! Gatehouse: a self-hosted onboarding and access server.
// Leptos views are deeply nested types; the invite page goes past the default.
#![recursion_limit = "256"]

pub mod access;
pub mod accounts;
pub mod admin;
#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod apps;
pub mod audit;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod context;
pub mod email;
pub mod error;
pub mod invitations;
pub mod organizations;
pub mod pages;
pub mod secret;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;
pub mod ui;
pub mod users;
pub mod webhooks;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Only the islands (the `#[island]` components) come alive; the rest of
    // each page stays the HTML the server sent.
    leptos::mount::hydrate_islands();
}
