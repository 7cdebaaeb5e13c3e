-- Invitations into an organization (SPEC §3 "Organizations" 4–8). The `id`
-- is what the organization's admins see and use; the emailed link carries a
-- separate secret, of which only the SHA-256 is kept.
create table organization_invitations (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    -- Lower case.
    email text not null,
    -- One role or several, comma-separated, as Better Auth stores them.
    role text not null,
    team_id text,
    -- pending | accepted | rejected | canceled | expired
    status text not null,
    expires_at bigint not null,
    inviter_id text not null references users (id) on delete cascade,
    secret_hash text not null unique,
    created_at bigint not null,
    updated_at bigint not null
);
-- At most one pending invitation per (organization, email), held by the
-- database so that two invitations racing for one address make one.
create unique index organization_invitations_one_pending
    on organization_invitations (organization_id, email) where status = 'pending';
create index organization_invitations_organization on organization_invitations (organization_id, status);
create index organization_invitations_email on organization_invitations (email, status);
