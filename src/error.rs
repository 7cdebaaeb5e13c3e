//! The one error every API endpoint answers with: `{ "code", "message" }`, as
//! Better Auth does, carried with the HTTP status that fits it.

use leptos::server_fn::{
    self,
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// The `resource:action` permissions a caller lacked for what they
    /// tried to grant (a custom role's), as Better Auth names them.
    #[serde(
        rename = "missingPermissions",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub missing_permissions: Option<Vec<String>>,
    /// Not part of the body: the status goes on the response line.
    #[serde(skip, default = "default_status")]
    pub status: u16,
    /// Seconds until a refused request may succeed: the `Retry-After`
    /// header of a 429.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

fn default_status() -> u16 {
    500
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            missing_permissions: None,
            status,
            retry_after: None,
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        Self::new(401, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            429,
            "TOO_MANY_REQUESTS",
            "Too many requests. Please try again later.",
        )
    }

    /// A 429 saying what was spent, and when to come back.
    pub fn too_many(code: &str, message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(429, code, message)
        }
    }

    pub fn unauthenticated() -> Self {
        Self::unauthorized("UNAUTHORIZED", "You need to sign in first.")
    }

    /// The database is out of reach; the request may succeed later.
    pub fn unavailable() -> Self {
        Self::new(
            503,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please try again in a moment.",
        )
    }

    /// A transaction the database aborted to break a deadlock, after every
    /// retry (`server::db::retrying`): the request may succeed if sent again.
    pub fn transaction_conflict() -> Self {
        Self::new(
            503,
            TRANSACTION_CONFLICT,
            "Another change got in the way. Please try again.",
        )
    }

    /// What the client sees for any failure of ours; the cause goes to the log.
    pub fn internal() -> Self {
        Self::new(
            500,
            "INTERNAL_SERVER_ERROR",
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server, failing to deserialize can only concern the
            // request: its body or query did not fit the endpoint's input.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(reason) | ServerFnErrorErr::Deserialization(reason) => {
                Self::bad_request(
                    "INVALID_REQUEST_BODY",
                    format!("The request body is not valid for this endpoint: {reason}"),
                )
            }
            ServerFnErrorErr::MissingArg(field) => {
                Self::bad_request("MISSING_FIELD", format!("The field `{field}` is required."))
            }
            ServerFnErrorErr::Request(reason) => Self::new(
                0,
                "NETWORK_ERROR",
                format!("Could not reach the server: {reason}"),
            ),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                Self::internal()
            }
        }
    }

    /// Runs on the server while the response is being built, inside the
    /// request's reactive owner: the one place where an error's status is put
    /// on the response, for errors of ours and the framework's alike.
    fn ser(&self) -> server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            let status = http::StatusCode::from_u16(self.status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            options.set_status(status);
            if let Some(secs) = self.retry_after {
                options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
        serde_json::to_vec(self).unwrap_or_default().into()
    }

    fn de(data: server_fn::Bytes) -> Self {
        serde_json::from_slice(&data).unwrap_or_else(|_| {
            Self::new(
                500,
                "UNEXPECTED_RESPONSE",
                String::from_utf8_lossy(&data).into_owned(),
            )
        })
    }
}

const TRANSACTION_CONFLICT: &str = "TRANSACTION_CONFLICT";

#[cfg(feature = "ssr")]
impl crate::server::db::Conflict for ApiError {
    fn is_transaction_conflict(&self) -> bool {
        self.code == TRANSACTION_CONFLICT
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::server::db::is_transaction_conflict(&e) {
            tracing::info!(error = %e, "transaction conflict");
            return Self::transaction_conflict();
        }
        if crate::server::db::is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = %e, "database error");
        Self::internal()
    }
}

#[cfg(feature = "ssr")]
impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        let unavailable = e
            .chain()
            .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
            .any(crate::server::db::is_unavailable);
        if unavailable {
            tracing::warn!(error = ?e, "database unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = ?e, "internal error");
        Self::internal()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
