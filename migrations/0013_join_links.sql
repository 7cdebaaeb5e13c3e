-- Join links (issue 26): a shareable link into an organization, a kind of
-- invitation that is for anyone holding it rather than for one address. Only
-- the SHA-256 of its secret is kept, like every invitation's.
create table join_links (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    name text not null,
    -- One role or several, comma-separated, as organization invitations
    -- store them.
    role text not null,
    team_id text,
    token_hash text not null unique,
    -- Null is unlimited. `uses` only grows, by one guarded update per join,
    -- so two joins racing for the last use make one.
    max_uses bigint,
    uses bigint not null default 0,
    -- Lower-case domains, comma-separated; null lets any address join.
    allowed_domains text,
    -- pending | revoked; `expired` and `used` are worked out when
    -- read, as for every invitation.
    status text not null default 'pending',
    expires_at bigint not null,
    created_by text not null references users (id) on delete cascade,
    created_at bigint not null,
    updated_at bigint not null
);
create index join_links_organization on join_links (organization_id, created_at);

-- Who joined through a link, once each.
create table join_link_uses (
    join_link_id text not null references join_links (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (join_link_id, user_id)
);
