-- Organizations and their members (SPEC §2 Organization, Member; §3
-- "Organizations"). The session's active organization and team already have
-- their columns (0001).
create table organizations (
    id text primary key,
    name text not null,
    -- [a-z0-9-], 2–48 characters; unique here, so two creations racing for
    -- one slug cannot both win.
    slug text not null unique,
    logo text,
    -- A JSON object, always (never a JSON string).
    metadata text not null default '{}',
    created_at bigint not null,
    updated_at bigint not null
);

-- One membership per (organization, user).
create table organization_members (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    unique (organization_id, user_id)
);
create index organization_members_user_id on organization_members (user_id);

-- A member holds one or several roles (built-in or, later, custom); a row
-- each, so "the members holding role X" (the owners, for the last-owner
-- guard) is one indexed query.
create table organization_member_roles (
    member_id text not null references organization_members (id) on delete cascade,
    organization_id text not null references organizations (id) on delete cascade,
    role text not null,
    primary key (member_id, role)
);
create index organization_member_roles_role on organization_member_roles (organization_id, role);
