-- Membership requests (issue 26): a person asks to join an organization
-- (through a join link that needs an admin's approval) and its admins
-- approve, choosing the roles, or decline, perhaps saying why.
alter table join_links add column require_approval bigint not null default 0;

create table membership_requests (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    message text,
    -- pending | approved | declined
    status text not null default 'pending',
    join_link_id text references join_links (id) on delete set null,
    decided_by text references users (id) on delete set null,
    decision_message text,
    created_at bigint not null,
    updated_at bigint not null
);
-- One open request per person and organization, held by the database.
create unique index membership_requests_one_open
    on membership_requests (organization_id, user_id) where status = 'pending';
create index membership_requests_organization on membership_requests (organization_id, status, created_at);
create index membership_requests_user on membership_requests (user_id, created_at);
