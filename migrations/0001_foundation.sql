-- Accounts, sessions, password resets, rate limits, audit log and the email
-- outbox. Portable SQL: this one file runs on SQLite and PostgreSQL (see
-- migrations/README.md for the conventions).

create table users (
    id text primary key,
    email text not null unique,
    name text not null,
    email_verified bigint not null default 0,
    role text not null,
    disabled bigint not null default 0,
    image text,
    created_at bigint not null,
    updated_at bigint not null
);

-- Kept apart from users so a user row can never carry a password hash into
-- a query result by accident.
create table credentials (
    user_id text primary key references users (id) on delete cascade,
    password_hash text not null,
    created_at bigint not null,
    updated_at bigint not null
);

create table sessions (
    id text primary key,
    token_hash text not null unique,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    ip_address text,
    user_agent text,
    active_organization_id text,
    active_team_id text
);
create index sessions_user_id on sessions (user_id);

create table password_resets (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null
);
create index password_resets_user_id on password_resets (user_id);

-- Fixed-window counters shared by every node that uses this database.
create table rate_limits (
    key text primary key,
    window_start bigint not null,
    count bigint not null,
    expires_at bigint not null
);

create table audit_events (
    id text primary key,
    actor_id text,
    action text not null,
    target text,
    before_json text,
    after_json text,
    ip_address text,
    created_at bigint not null
);
create index audit_events_created_at on audit_events (created_at);

create table outbound_emails (
    id text primary key,
    recipient text not null,
    subject text not null,
    text_body text not null,
    html_body text not null,
    kind text not null,
    related_id text,
    status text not null default 'queued',
    attempts bigint not null default 0,
    last_error text,
    next_attempt_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    sent_at bigint
);
create index outbound_emails_status on outbound_emails (status, next_attempt_at);
