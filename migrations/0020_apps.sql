-- Apps (issue 25): Gatehouse as an OpenID Connect provider. The registered
-- apps (OAuth clients), the keys that sign their tokens, what each person
-- allowed each app, and the codes and refresh tokens given out. Every
-- secret here is stored as a hash (codes, refresh tokens, client secrets)
-- or sealed under the instance's secret key (signing keys).

create table oauth_clients (
    -- The `client_id`.
    id text primary key,
    name text not null,
    -- Null for a public app (PKCE only, `token_endpoint_auth_method` none).
    secret_hash text,
    -- `client_secret_basic`, `client_secret_post` or `none`.
    auth_method text not null,
    -- JSON lists of exact URIs.
    redirect_uris text not null,
    post_logout_redirect_uris text not null,
    -- The scopes it may ask for, space-separated (`openid email …`).
    scopes text not null,
    -- First-party: no consent screen.
    skip_consent bigint not null default 0,
    -- Who may use it: JSON lists (roles, organization ids, team ids); all
    -- empty admits every account.
    allowed_roles text not null,
    allowed_organizations text not null,
    allowed_teams text not null default '[]',
    disabled bigint not null default 0,
    created_by text references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null
);

create table oauth_signing_keys (
    kid text primary key,
    alg text not null,
    -- The private key (PKCS#1 DER), sealed under the instance's key.
    private_key text not null,
    -- The public half as a JWK (JSON), published at /api/auth/jwks.
    public_jwk text not null,
    created_at bigint not null,
    -- When a newer key took over signing. The key stays published until
    -- every token it signed has expired.
    retired_at bigint
);

-- What a person allowed an app (the consent), and so the "Connected apps"
-- of their dashboard. Revoking it ends the app's refresh tokens.
create table oauth_grants (
    user_id text not null references users (id) on delete cascade,
    client_id text not null references oauth_clients (id) on delete cascade,
    scopes text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (user_id, client_id)
);
create index oauth_grants_client_id on oauth_grants (client_id);

-- One sign-in into an app: the tokens one code exchange began, refreshed
-- in turn. Its id is the tokens' `sid`. Revoked as a whole.
create table oauth_token_families (
    id text primary key,
    client_id text not null references oauth_clients (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    scopes text not null,
    auth_time bigint not null,
    created_at bigint not null,
    revoked_at bigint
);
create index oauth_token_families_user_id on oauth_token_families (user_id);
create index oauth_token_families_client_id on oauth_token_families (client_id);

create table oauth_codes (
    code_hash text primary key,
    client_id text not null references oauth_clients (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    redirect_uri text not null,
    scopes text not null,
    nonce text,
    code_challenge text,
    auth_time bigint not null,
    expires_at bigint not null,
    -- Set when exchanged: a second exchange revokes what the first began.
    family_id text,
    used_at bigint,
    created_at bigint not null
);

create table oauth_refresh_tokens (
    token_hash text primary key,
    family_id text not null references oauth_token_families (id) on delete cascade,
    expires_at bigint not null,
    -- Set when exchanged for the next one: a reuse revokes the family.
    used_at bigint,
    created_at bigint not null
);
create index oauth_refresh_tokens_family_id on oauth_refresh_tokens (family_id);
