-- The audit log page filters by actor, target and action, newest first
-- (SPEC §4 `/admin/audit`).
create index audit_events_actor on audit_events (actor_id, created_at);
create index audit_events_target on audit_events (target, created_at);
create index audit_events_action on audit_events (action, created_at);
