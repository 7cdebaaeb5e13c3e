-- Two-factor authentication (issue 27): a TOTP secret and backup codes per
-- account, the sign-ins waiting for their second step, and the devices
-- trusted to skip it for a while.

-- On once the first code from the authenticator app confirmed the secret.
alter table users add column two_factor_enabled bigint not null default 0;

create table two_factors (
    user_id text primary key references users (id) on delete cascade,
    -- Sealed under the instance's secret key, as every secret at rest.
    secret text not null,
    -- A JSON list of the hashes of the backup codes not used yet.
    backup_codes text not null,
    -- While setting up: the codes themselves, sealed, to show once on the
    -- setup page; wiped when the setup is confirmed.
    pending_codes text,
    -- The newest time step a code was accepted for: no code of it, or of
    -- an earlier step, is accepted again.
    last_step bigint not null default 0,
    created_at bigint not null
);

create table two_factor_challenges (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    failures bigint not null default 0,
    expires_at bigint not null,
    created_at bigint not null
);
create index two_factor_challenges_user_id on two_factor_challenges (user_id);

create table trusted_devices (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null,
    created_at bigint not null
);
create index trusted_devices_user_id on trusted_devices (user_id);
