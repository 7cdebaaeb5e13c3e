-- Role invitations (SPEC §2, §3). One row per invitation: a public one has
-- no email; a private one is for exactly one address (creating one for
-- several addresses makes one invitation each, each with its own secret).
-- `created_by` is null for invitations the instance made itself (the
-- first-run setup link, `gatehouse invite`).
create table role_invitations (
    id text primary key,
    token_hash text not null unique,
    secret_kind text not null,
    role text not null,
    email text,
    max_uses bigint,
    uses bigint not null default 0,
    status text not null default 'pending',
    expires_at bigint not null,
    created_by text references users (id) on delete set null,
    redirect_after_accept text,
    share_inviter_name bigint not null default 1,
    -- 1 for a first-run setup link: a later start with still no users
    -- retires it and prints a new one.
    setup bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
create index role_invitations_created_at on role_invitations (created_at);
create index role_invitations_email on role_invitations (email);

-- Every use: who, when, and the role before and after. One use per person
-- per invitation.
create table role_invitation_uses (
    id text primary key,
    invitation_id text not null references role_invitations (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    previous_role text,
    new_role text not null,
    created_at bigint not null,
    unique (invitation_id, user_id)
);
