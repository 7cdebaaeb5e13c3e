-- Teams inside an organization and their members (SPEC §3 "Organizations"
-- 9). A team's name is unique in its organization, so two creations racing
-- for one name cannot both win.
create table organization_teams (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    name text not null,
    created_at bigint not null,
    -- Null until renamed, as Better Auth answers for a new organization's
    -- first team.
    updated_at bigint,
    unique (organization_id, name)
);

-- One row per (team, user); the person must be a member of the team's
-- organization (checked in the same transaction that adds them).
create table organization_team_members (
    id text primary key,
    team_id text not null references organization_teams (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    unique (team_id, user_id)
);
create index organization_team_members_user_id on organization_team_members (user_id);
