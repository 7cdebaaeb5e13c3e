//! The audit log: written inside the transaction of the change it records,
//! so a change and its record are committed or lost together.

use serde_json::Value;

use super::{clock, crypto, db::Tx};

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

pub async fn record(tx: &mut Tx, event: Event<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into audit_events (id, actor_id, action, target, before_json, after_json, ip_address, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crypto::new_id())
    .bind(event.actor_id)
    .bind(event.action)
    .bind(event.target)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(event.ip)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}
