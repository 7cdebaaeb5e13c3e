//! The audit log: written inside the transaction of the change it records,
//! so a change and its record are committed or lost together.

use serde_json::Value;

use super::{clock, crypto, db::Tx};
use crate::webhooks;

pub struct Event<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<&'a str>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str) -> Self {
        Self {
            actor_id: None,
            action,
            target: None,
            before: None,
            after: None,
            ip: None,
        }
    }
    pub fn actor(mut self, id: &'a str) -> Self {
        self.actor_id = Some(id);
        self
    }
    pub fn target(mut self, id: &'a str) -> Self {
        self.target = Some(id);
        self
    }
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }
    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
    pub fn ip(mut self, ip: &'a str) -> Self {
        self.ip = Some(ip);
        self
    }
}

/// Writes the event and, in the same transaction, queues its delivery to
/// every webhook that listens to it: the change, its record and its
/// webhooks are committed or lost together.
pub async fn record(tx: &mut Tx, event: Event<'_>) -> sqlx::Result<()> {
    let id = crypto::new_id();
    let now = clock::now_ms();
    sqlx::query(
        "insert into audit_events (id, actor_id, action, target, before_json, after_json, ip_address, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(event.actor_id)
    .bind(event.action)
    .bind(event.target)
    .bind(event.before.as_ref().map(Value::to_string))
    .bind(event.after.as_ref().map(Value::to_string))
    .bind(event.ip)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let listeners = webhooks::store::listeners(tx, event.action).await?;
    if listeners.is_empty() {
        return Ok(());
    }
    let payload = webhooks::domain::payload(
        &id,
        event.action,
        &clock::rfc3339(now),
        event.actor_id,
        event.target,
        event.before.as_ref(),
        event.after.as_ref(),
    );
    for webhook_id in &listeners {
        webhooks::store::enqueue(tx, webhook_id, &id, event.action, &payload, now).await?;
    }
    Ok(())
}
