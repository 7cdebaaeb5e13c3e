//! The webhook sender: every node runs one. It claims due deliveries one at
//! a time and POSTs them, signed, to their endpoint: with a deadline, never
//! following a redirect, and never to an address the configuration did not
//! allow, whatever a name resolves to at the moment of sending (so a name
//! that resolved to a public address when it was added cannot later be
//! pointed at the database or a metadata service).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use reqwest::dns::{Name, Resolve, Resolving};

use super::store::{self, Claimed};
use crate::{
    audit::endpoint::{is_public, parse_url, Secret},
    config::WebhookSettings,
    email::sender::backoff,
    server::{clock, db::Db, secret_key::SecretKey},
};

/// Resolves names as the system does, keeping only the addresses a webhook
/// may reach. With none left, the delivery fails with the reason.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let reason = if found.is_empty() {
                    format!("{host} does not resolve to any address")
                } else {
                    format!(
                        "{host} resolves only to private, loopback or link-local addresses, \
                         which a webhook may not reach (webhooks.allow_private_networks)"
                    )
                };
                return Err(reason.into());
            }
            Ok(Box::new(allowed.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}

/// The HTTP client deliveries go through.
pub fn client(settings: &WebhookSettings) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        // A proxy from the environment would do the resolving for us, and
        // the address check with it.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private_networks,
        }))
        .user_agent(concat!("Gatehouse-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// How many deliveries one node has on the wire at once: an endpoint that
/// hangs until the timeout holds up one of them, not every other webhook.
const IN_FLIGHT: usize = 8;

/// Starts this node's sender. It stops once `stopping` says so, after the
/// deliveries in hand.
pub fn spawn(
    settings: WebhookSettings,
    key: SecretKey,
    db: Db,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = client(&settings)?;
    // A claim outlives the longest attempt, so no second node takes over a
    // delivery that is still on its way.
    let lease = clock::ms(settings.timeout.saturating_mul(2) + Duration::from_secs(30));
    let stop = crate::server::shutdown::stop_requested(stopping.clone());
    let settings = Arc::new(settings);
    Ok(tokio::spawn(async move {
        tokio::pin!(stop);
        let stopped = || *stopping.borrow();
        let mut in_flight = tokio::task::JoinSet::new();
        while !stopped() {
            let mut unreadable = false;
            // Claim what is due, up to the limit, and send it off.
            while in_flight.len() < IN_FLIGHT && !stopped() {
                match store::claim_next(&db, lease).await {
                    Ok(Some(delivery)) => {
                        let (db, client, settings, key) =
                            (db.clone(), client.clone(), settings.clone(), key.clone());
                        in_flight.spawn(async move {
                            deliver(&db, &client, &settings, &key, delivery).await
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "failed to read the webhook outbox");
                        unreadable = true;
                        break;
                    }
                }
            }
            if in_flight.len() >= IN_FLIGHT {
                tokio::select! {
                    _ = in_flight.join_next() => {}
                    _ = &mut stop => {}
                }
                continue;
            }
            // A database that cannot be read is not asked again at once.
            let due = if unreadable {
                None
            } else {
                store::next_due(&db).await.ok().flatten()
            };
            let pause = clock::pause_until(due, settings.poll_interval);
            // A finished delivery frees a place at once; otherwise wait for
            // the next one to come due.
            tokio::select! {
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = &mut stop => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }))
}

/// What one attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// Tried again later, unless `permanent`.
    Failed {
        status: Option<u16>,
        reason: String,
        permanent: bool,
    },
}

/// One attempt: the signed POST and what its answer means. Only a 2xx
/// answer is a delivery; a redirect is a failure, since following it could
/// lead anywhere.
pub async fn attempt(
    client: &reqwest::Client,
    allow_private: bool,
    key: &SecretKey,
    d: &Claimed,
) -> Outcome {
    let failed = |status, reason: String, permanent| Outcome::Failed {
        status,
        reason,
        permanent,
    };
    // Checked again here: the endpoint may have been added under settings
    // that allowed more, and a literal address never reaches the resolver.
    if let Err(e) = parse_url(&d.url, allow_private) {
        return failed(None, e.to_string(), true);
    }
    let secrets = match d.secrets(key) {
        Ok(secrets) => secrets,
        Err(reason) => return failed(None, reason, true),
    };
    let timestamp = clock::now_ms() / 1000;
    let request = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            Secret::header(&secrets, &d.event_id, timestamp, &d.payload),
        )
        .body(d.payload.clone());
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                Outcome::Delivered(status.as_u16())
            } else if status.is_redirection() {
                failed(
                    Some(status.as_u16()),
                    format!("The endpoint answered {status}: redirects are not followed; point the webhook at the final address."),
                    false,
                )
            } else {
                failed(
                    Some(status.as_u16()),
                    format!("The endpoint answered {status}."),
                    false,
                )
            }
        }
        Err(e) => failed(None, describe(e), false),
    }
}

/// A failed request in words, with the cause that says what went wrong
/// (reqwest's own message is only "error sending request").
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "The endpoint did not answer in time (webhooks.timeout).".into();
    }
    // Without the URL: a receiver's path or query may hold a token.
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn deliver(
    db: &Db,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    key: &SecretKey,
    d: Claimed,
) {
    let outcome = attempt(client, settings.allow_private_networks, key, &d).await;
    let recorded = match outcome {
        Outcome::Delivered(status) => {
            tracing::info!(id = %d.id, webhook = %d.webhook_id, status, "webhook delivered");
            store::mark_delivered(db, &d, status).await
        }
        Outcome::Failed {
            status,
            reason,
            permanent,
        } => {
            let attempts = d.attempts.saturating_add(1);
            let retry_at = (!permanent)
                .then(|| backoff(settings.retry_backoff, settings.max_attempts, attempts))
                .flatten()
                .map(|wait| clock::now_ms().saturating_add(clock::ms(wait)));
            tracing::warn!(
                id = %d.id,
                webhook = %d.webhook_id,
                attempts,
                gives_up = retry_at.is_none(),
                error = %reason,
                "webhook delivery failed"
            );
            store::mark_attempt_failed(db, &d, status, &reason, retry_at).await
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            id = %d.id,
            "the claim on this webhook delivery expired before its outcome was recorded"
        ),
        Err(e) => tracing::error!(id = %d.id, error = %e, "failed to record a webhook outcome"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name is judged by what it resolves to at the moment of sending.
    #[tokio::test]
    async fn the_resolver_keeps_private_addresses_out() {
        let refused = GuardedResolver {
            allow_private: false,
        }
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .expect("localhost is refused")
        .to_string();
        assert!(
            refused.contains("private, loopback or link-local"),
            "{refused}"
        );
        let allowed: Vec<SocketAddr> = GuardedResolver {
            allow_private: true,
        }
        .resolve("localhost".parse().unwrap())
        .await
        .expect("allowed")
        .collect();
        assert!(allowed.iter().any(|a| a.ip().is_loopback()), "{allowed:?}");
    }
}
