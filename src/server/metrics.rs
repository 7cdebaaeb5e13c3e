//! `GET /metrics` in Prometheus text: requests by route *pattern* (a raw
//! path can carry a secret) and status, their latency, sign-in outcomes,
//! rate-limit refusals, the outbox by kind and status, and the database
//! pool. Counters are recorded where things happen; the outbox and the pool
//! are read when scraped. Only for the configured bearer token.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, StatusCode};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::context::AppState;

/// Upper bounds of the latency buckets, in seconds: from a cached page to
/// an argon2 sign-in on a busy machine.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's one recorder (tests start several servers in one process;
/// they share it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Installs the recorder, so what happens before the first scrape counts.
pub fn init() {
    handle();
}

/// Counts and times every routed request by its route pattern.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("gatehouse_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Compares digests, so the time taken says nothing about the token.
fn same(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same(g, token.expose_secret())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "A bearer token (metrics_token) is needed.\n",
        )
            .into_response();
    }
    let pool = state.db.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "in_use")
        .set(f64::from(pool.size()) - idle);
    let outbox: Result<Vec<(String, String, i64)>, _> =
        sqlx::query_as("select kind, status, count(*) from outbound_emails group by kind, status")
            .fetch_all(pool)
            .await;
    match outbox {
        Ok(rows) => {
            for (kind, status, n) in rows {
                metrics::gauge!("gatehouse_outbox_messages", "queue" => "email", "kind" => kind, "status" => status)
                    .set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox could not be counted"),
    }
    match crate::webhooks::store::count_by_status(&state.db).await {
        Ok(rows) => {
            // Every status, so one that emptied reads 0 rather than its last count.
            for status in crate::webhooks::STATUSES {
                let n = rows
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!("gatehouse_outbox_messages", "queue" => "webhook", "kind" => "event", "status" => status)
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
        handle().render(),
    )
        .into_response()
}
