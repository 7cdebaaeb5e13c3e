-- Verified domains (issue 26): an organization claims an email domain, proves
-- it (a DNS TXT record or a code emailed to an address there), and sets a
-- policy for people with a verified address at it.
create table organization_domains (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    -- Lower case, ASCII.
    domain text not null,
    -- pending | verified
    status text not null default 'pending',
    -- dns | email: how the last challenge was sent.
    method text not null,
    -- The value of the `_gatehouse-challenge` TXT record to publish. Not a
    -- secret: publishing it is the proof.
    dns_token text not null,
    -- The emailed code: where it went, its keyed hash, until when it works
    -- and how many wrong tries it had.
    code_email text,
    code_hash text,
    code_expires_at bigint,
    code_attempts bigint not null default 0,
    -- manual | suggest | auto_invite | auto_join
    mode text not null default 'manual',
    -- One role or several, comma-separated, as invitations store them.
    role text not null default 'member',
    -- Whose authority grants the roles: whoever set the policy last.
    policy_by text references users (id) on delete set null,
    created_by text references users (id) on delete set null,
    verified_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index organization_domains_once on organization_domains (organization_id, domain);
-- A domain is verified by one organization at most, held by the database.
create unique index organization_domains_verified on organization_domains (domain) where status = 'verified';

-- The invitations a domain's policy issued, canceled with the policy.
alter table organization_invitations add column domain_id text references organization_domains (id) on delete set null;
create index organization_invitations_domain on organization_invitations (domain_id) where domain_id is not null;
-- A request to join made because a domain suggested it.
alter table membership_requests add column domain_id text references organization_domains (id) on delete set null;
