//! The audit log: written inside the transaction of the change it records,
//! so a change and its record are committed or lost together.

use serde_json::Value;

use super::event::Event;
use crate::server::{clock, crypto, db::Tx};

/// Writes the event and, in the same transaction, queues its delivery to
/// every webhook that listens to it: the change, its record and its
/// webhooks are committed or lost together.
pub async fn record(tx: &mut Tx, event: Event<'_>) -> sqlx::Result<()> {
    let id = crypto::new_id();
    let now = clock::now_ms();
    let impersonator = super::acting::impersonator();
    sqlx::query(
        "insert into audit_events (id, actor_id, action, target, before_json, after_json, ip_address, created_at, impersonator_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(event.actor_id)
    .bind(event.action)
    .bind(event.target)
    .bind(event.before.as_ref().map(Value::to_string))
    .bind(event.after.as_ref().map(Value::to_string))
    .bind(event.ip)
    .bind(now)
    .bind(&impersonator)
    .execute(&mut **tx)
    .await?;
    super::publish::publish(tx, &id, &event, impersonator.as_deref(), now).await
}
