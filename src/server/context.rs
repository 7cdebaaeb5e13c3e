//! What a server function needs from its request: the app state, the
//! caller's address and agent, and a way to set cookies on the response.

use std::{net::SocketAddr, sync::Arc};

use axum::extract::{ConnectInfo, FromRef};
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::{use_context, LeptosOptions};
use leptos_axum::ResponseOptions;

use crate::{config::Config, error::ApiError};

use super::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub struct RequestContext {
    pub state: AppState,
    pub parts: Parts,
}

impl RequestContext {
    /// The context of the request being served. Both pieces are provided by
    /// the router for every server function and page; their absence is a
    /// wiring bug, reported as an internal error rather than a panic.
    pub fn current() -> Result<Self, ApiError> {
        let state = use_context::<AppState>();
        let parts = use_context::<Parts>();
        match (state, parts) {
            (Some(state), Some(parts)) => Ok(Self { state, parts }),
            _ => {
                tracing::error!(
                    "server function called without AppState or request Parts in context"
                );
                Err(ApiError::internal())
            }
        }
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The client's address: the socket peer, or the address our proxy saw
    /// (the last `X-Forwarded-For` entry) when the configuration says one
    /// sets it.
    pub fn ip(&self) -> String {
        client_ip(&self.parts, self.config().trust_proxy_headers)
    }

    pub fn user_agent(&self) -> Option<String> {
        self.parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect())
    }

    pub fn set_cookie(&self, cookie: &str) {
        if let (Some(options), Ok(value)) = (
            use_context::<ResponseOptions>(),
            HeaderValue::from_str(cookie),
        ) {
            options.append_header(header::SET_COOKIE, value);
        }
    }
}

pub fn client_ip(parts: &Parts, trust_proxy_headers: bool) -> String {
    if trust_proxy_headers {
        if let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            // Proxies append the peer they saw; anything before it is
            // whatever the client chose to send.
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return first.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default()
}
