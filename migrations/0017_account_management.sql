-- Account management (issue 27): deletion confirmed by email, bans with a
-- reason and an end, and impersonation.

-- A ban is the disabled flag with a reason and, optionally, an end: once
-- `ban_expires` has passed, the next sign-in lifts it.
alter table users add column ban_reason text;
alter table users add column ban_expires bigint;

-- An admin's session as another account: whose it really is. It ends with
-- the admin's account.
alter table sessions add column impersonated_by text references users (id) on delete cascade;

-- Every change made while impersonating names the admin behind it.
alter table audit_events add column impersonator_id text;

-- "Delete my account" links: the password was given, the mailbox confirms.
create table account_deletions (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null,
    created_at bigint not null
);
create index account_deletions_user_id on account_deletions (user_id);
