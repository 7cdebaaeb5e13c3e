//! An audit event as a change describes it, before it is recorded.

use serde_json::Value;

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
