//! `GET /metrics`: what the recorder holds (`server::metrics`), and the
//! gauges read when scraped: the database pool and both outboxes.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, StatusCode};
use secrecy::ExposeSecret;

use crate::{context::AppState, server::metrics, webhooks};

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| metrics::same_token(g, token.expose_secret())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "A bearer token (metrics_token) is needed.\n",
        )
            .into_response();
    }
    let pool = state.db.pool();
    let idle = pool.num_idle() as f64;
    ::metrics::gauge!("gatehouse_db_pool_connections", "state" => "idle").set(idle);
    ::metrics::gauge!("gatehouse_db_pool_connections", "state" => "in_use")
        .set(f64::from(pool.size()) - idle);
    let outbox: Result<Vec<(String, String, i64)>, _> =
        sqlx::query_as("select kind, status, count(*) from outbound_emails group by kind, status")
            .fetch_all(pool)
            .await;
    match outbox {
        Ok(rows) => {
            for (kind, status, n) in rows {
                ::metrics::gauge!("gatehouse_outbox_messages", "queue" => "email", "kind" => kind, "status" => status)
                    .set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox could not be counted"),
    }
    match webhooks::store::count_by_status(&state.db).await {
        Ok(rows) => {
            // Every status, so one that emptied reads 0 rather than its last count.
            for status in webhooks::STATUSES {
                let n = rows
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                ::metrics::gauge!("gatehouse_outbox_messages", "queue" => "webhook", "kind" => "event", "status" => status)
                    .set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the webhook outbox could not be counted"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::render(),
    )
        .into_response()
}
