-- Security review (SPEC §3 "Accounts", §6, §8).

-- §6: a waiting message keeps only its redacted bodies in the clear; the
-- deliverable copy is sealed under the instance's secret key, which is not
-- in the database, and is wiped once the message is sent, fails, or its
-- secret is spent or expires. `secret_expires_at` is when the secret inside
-- stops working (null: the message carries none).
alter table outbound_emails add column sealed_body text;
alter table outbound_emails add column secret_expires_at bigint;
-- An admin's one-time reveal of a waiting message (audited as well).
alter table outbound_emails add column revealed_at bigint;

-- Messages written before this held their live links in the clear and
-- cannot be sealed here (SQL has no key): they are failed, with their links
-- removed; the invitation or reset they belong to can be sent again.
update outbound_emails
set status = 'failed',
    last_error = 'Its link was removed when Gatehouse began encrypting secrets at rest. Send the invitation, enrollment or reset again.',
    claim_token = null,
    secret_expires_at = created_at
where status <> 'sent' and redacted_text_body is not null;
-- Older still (queued before 0002 and held since): no redacted copy at all.
update outbound_emails
set status = 'failed',
    last_error = 'Its link was removed when Gatehouse began encrypting secrets at rest. Send the invitation, enrollment or reset again.',
    claim_token = null,
    secret_expires_at = created_at,
    text_body = '(This message held a live link and was removed.)',
    html_body = '<p>(This message held a live link and was removed.)</p>'
where status <> 'sent' and redacted_text_body is null;
update outbound_emails
set text_body = coalesce(redacted_text_body, text_body),
    html_body = coalesce(redacted_html_body, html_body);
alter table outbound_emails drop column redacted_text_body;
alter table outbound_emails drop column redacted_html_body;

-- §3 "Accounts" 3: an invitation made by the instance itself (setup link,
-- CLI) says so; a null creator on any other invitation means its creator is
-- gone, and the invitation is void. Until now only the instance made
-- invitations without a creator (accounts are never deleted).
alter table role_invitations add column by_instance bigint not null default 0;
update role_invitations set by_instance = 1 where created_by is null;

-- §3 "Accounts" 2: email verification links. A new link retires the older
-- ones; `email` is the address the link proves, so a changed address is
-- not verified by an old link. `callback_url` is where the person goes
-- next (checked when the link was made), sealed under the instance key:
-- it may itself hold a secret (an invitation's page), so it is in neither
-- the link nor the clear.
create table email_verifications (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    email text not null,
    callback_url text,
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null
);
create index email_verifications_user_id on email_verifications (user_id);

-- Facts about the instance itself, e.g. the fingerprint of the secret key
-- that every node must share.
create table instance_settings (
    name text primary key,
    value text not null
);
