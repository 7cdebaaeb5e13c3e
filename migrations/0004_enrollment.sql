-- Admin enrollment (SPEC §3 "Admin enrollment"): an account made by an admin
-- without a password, and a single-use token that lets its owner choose one.
-- A new token for a user retires the older ones (used_at is set).
create table enrollments (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null,
    used_at bigint,
    created_by text references users (id) on delete set null,
    created_at bigint not null
);
create index enrollments_user_id on enrollments (user_id);
