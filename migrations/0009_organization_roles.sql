-- Custom organization roles (SPEC §3 "Organizations" 10): a name unique in
-- its organization (never a built-in one's) and its permission statements
-- as a JSON object `{resource: [actions]}`.
create table organization_roles (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    name text not null,
    permission text not null,
    created_at bigint not null,
    -- Null until the role is changed, as Better Auth answers.
    updated_at bigint,
    unique (organization_id, name)
);
