-- Webhooks (issue 14): every audit event is a webhook event. Endpoints come
-- from gatehouse.toml (`source = 'config'`, kept in step at each start) or
-- are added by an owner at /admin/webhooks (`source = 'admin'`). The signing
-- secret is sealed under the instance key, as a waiting email's link is:
-- every node must sign, and the database alone does not give it away.
create table webhooks (
    id text primary key,
    url text not null,
    description text not null default '',
    sealed_secret text not null,
    -- After a rotation the old secret signs too, beside the new one, until
    -- this time: receivers switch over without a delivery failing its check.
    previous_sealed_secret text,
    previous_secret_until bigint,
    paused bigint not null default 0,
    source text not null,
    created_by text references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null
);

-- What each endpoint listens to: `*`, a prefix such as `organization.*`, or
-- one event type. A row per pattern lets the audit log find the listeners
-- of an event with one indexed query inside its transaction.
create table webhook_events (
    webhook_id text not null references webhooks (id) on delete cascade,
    event text not null,
    primary key (webhook_id, event)
);
create index webhook_events_event on webhook_events (event);

-- The durable outbox of deliveries, as for email: queued in the transaction
-- of the change, claimed by one node (claim_token and a lease in
-- next_attempt_at), retried with backoff, `failed` after the limit. The
-- payload is fixed when queued, so every attempt and replay sends the same
-- bytes under the same `webhook-id` (the event's id).
create table webhook_deliveries (
    id text primary key,
    webhook_id text not null references webhooks (id) on delete cascade,
    event_id text not null,
    event_type text not null,
    payload text not null,
    status text not null default 'queued',
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    claim_token text,
    response_status bigint,
    last_error text,
    replay_of text,
    created_at bigint not null,
    updated_at bigint not null,
    delivered_at bigint
);
create index webhook_deliveries_due on webhook_deliveries (status, next_attempt_at);
create index webhook_deliveries_by_webhook on webhook_deliveries (webhook_id, created_at);
-- Retention prunes finished ones (delivered or failed) by their last attempt.
create index webhook_deliveries_finished on webhook_deliveries (status, updated_at);
