//! Every audit event is published: a delivery is queued, in the event's own
//! transaction, for each webhook that listens to it and is not paused. The
//! deliveries table is the queue between the audit log and the webhook
//! sender (`webhooks::sender`), so the log hands its events on without
//! importing the webhooks feature, which stands above it.

use serde_json::Value;

use crate::server::{clock, crypto, db::Tx};

use super::event::Event;

/// Queues the delivery of a just-recorded event to every listener.
pub(super) async fn publish(
    tx: &mut Tx,
    id: &str,
    event: &Event<'_>,
    impersonator: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    let listeners = listeners(tx, event.action).await?;
    if listeners.is_empty() {
        return Ok(());
    }
    let payload = payload(id, &clock::rfc3339(now), event, impersonator);
    for webhook_id in &listeners {
        insert_delivery(tx, webhook_id, id, event.action, &payload, None, now).await?;
    }
    Ok(())
}

/// The patterns that listen to `event`: `*`, each of its prefixes with
/// `.*`, and itself (`organization.member.add` → `*`, `organization.*`,
/// `organization.member.*`, `organization.member.add`).
pub fn listeners_of(event: &str) -> Vec<String> {
    let mut out = vec!["*".to_owned()];
    out.extend(
        event
            .match_indices('.')
            .map(|(i, _)| format!("{}.*", &event[..i])),
    );
    out.push(event.to_owned());
    out
}

/// The body a receiver gets for an audit event: `type`, `id` (also the
/// `webhook-id` header, the same on every attempt and replay), `timestamp`
/// (RFC 3339) and `data`, in that order. Its shape is the contract with
/// receivers.
fn payload(id: &str, timestamp: &str, event: &Event<'_>, impersonator_id: Option<&str>) -> String {
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        r#type: &'a str,
        id: &'a str,
        timestamp: &'a str,
        data: Data<'a>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Data<'a> {
        actor_id: Option<&'a str>,
        /// The admin acting as the actor, in an impersonation session.
        #[serde(skip_serializing_if = "Option::is_none")]
        impersonator_id: Option<&'a str>,
        target_id: Option<&'a str>,
        before: Option<&'a Value>,
        after: Option<&'a Value>,
    }
    serde_json::to_string(&Payload {
        r#type: event.action,
        id,
        timestamp,
        data: Data {
            actor_id: event.actor_id,
            impersonator_id,
            target_id: event.target,
            before: event.before.as_ref(),
            after: event.after.as_ref(),
        },
    })
    .expect("a payload of strings and JSON values serializes")
}

/// The endpoints that listen to `event_type` and are not paused.
async fn listeners(tx: &mut Tx, event_type: &str) -> sqlx::Result<Vec<String>> {
    let patterns = listeners_of(event_type);
    let placeholders: Vec<String> = (1..=patterns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select distinct w.id from webhooks w join webhook_events e on e.webhook_id = w.id
         where w.paused = 0 and e.event in ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for p in &patterns {
        query = query.bind(p);
    }
    query.fetch_all(&mut **tx).await
}

/// A delivery due now; `replay_of` names the delivery a replay repeats.
pub async fn insert_delivery(
    tx: &mut Tx,
    webhook_id: &str,
    event_id: &str,
    event_type: &str,
    payload: &str,
    replay_of: Option<&str>,
    now: i64,
) -> sqlx::Result<String> {
    let id = crypto::new_id();
    sqlx::query(
        "insert into webhook_deliveries
             (id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at,
              replay_of, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $6, $6)",
    )
    .bind(&id)
    .bind(webhook_id)
    .bind(event_id)
    .bind(event_type)
    .bind(payload)
    .bind(now)
    .bind(replay_of)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_are_every_prefix() {
        assert_eq!(
            listeners_of("organization.member.add"),
            [
                "*",
                "organization.*",
                "organization.member.*",
                "organization.member.add"
            ]
        );
        assert_eq!(listeners_of("x"), ["*", "x"]);
    }

    #[test]
    fn the_payload_reads_in_its_documented_order() {
        let event = Event::new("user.set-role")
            .actor("a")
            .after(serde_json::json!({ "role": "admin" }));
        let body = payload("e1", "2026-11-30T00:00:00Z", &event, None);
        assert_eq!(
            body,
            r#"{"type":"user.set-role","id":"e1","timestamp":"2026-11-30T00:00:00Z","data":{"actorId":"a","targetId":null,"before":null,"after":{"role":"admin"}}}"#
        );
        // Only a change made while impersonating names the admin behind it.
        let acted = payload("e2", "t", &Event::new("user.update").actor("u"), Some("a"));
        assert!(
            acted.contains(r#""actorId":"u","impersonatorId":"a","targetId":null"#),
            "{acted}"
        );
    }
}
