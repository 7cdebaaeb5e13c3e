//! What a server function needs from its request: the app state, the
//! caller's address and agent, and a way to set cookies on the response.

use std::{net::SocketAddr, sync::Arc};

use axum::extract::{ConnectInfo, FromRef};
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::{use_context, LeptosOptions};
use leptos_axum::ResponseOptions;

use crate::{config::Config, email::sender::Wake, error::ApiError, roles::Permission};

use super::{
    clock,
    db::Db,
    rate_limit,
    sessions::{self, Current},
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
    /// Wakes this node's email sender after a message was queued.
    pub mail: Wake,
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

    /// Counts this request against the caller's address in `bucket`.
    pub async fn rate_limit(
        &self,
        bucket: &str,
        limit: crate::config::Limit,
    ) -> Result<(), ApiError> {
        rate_limit::hit(
            self.db(),
            &format!("{bucket}:{}", self.ip()),
            limit,
            clock::now_ms(),
        )
        .await
    }

    /// The caller's live session, if any; a renewed session re-sends its cookie.
    pub async fn session(&self) -> Result<Option<Current>, ApiError> {
        let Some(token) = sessions::token_from(&self.parts) else {
            return Ok(None);
        };
        let current = sessions::lookup(self.db(), self.config(), &token).await?;
        if current.as_ref().is_some_and(|c| c.renewed) {
            self.set_cookie(&sessions::cookie(self.config(), &token));
        }
        Ok(current)
    }

    /// The caller's session, or 401 `UNAUTHORIZED`.
    pub async fn signed_in(&self) -> Result<Current, ApiError> {
        self.session().await?.ok_or_else(ApiError::unauthenticated)
    }

    /// The caller's session when their role grants `permission`; 401 when
    /// signed out, 403 `FORBIDDEN` when the role falls short. Every guarded
    /// endpoint starts here.
    pub async fn require(&self, permission: Permission) -> Result<Current, ApiError> {
        let current = self.signed_in().await?;
        if self.config().roles.allows(&current.user.role, permission) {
            Ok(current)
        } else {
            tracing::info!(user = %current.user.id, %permission, "permission refused");
            Err(ApiError::forbidden(
                "FORBIDDEN",
                format!(
                    "Your role ({}) does not allow this ({permission}).",
                    current.user.role
                ),
            ))
        }
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
