-- Retention (SPEC §7): each prune finds its rows by an index.
create index outbound_emails_sent on outbound_emails (status, sent_at);
create index password_resets_expires_at on password_resets (expires_at);
create index password_resets_used_at on password_resets (used_at);
create index email_verifications_expires_at on email_verifications (expires_at);
create index email_verifications_used_at on email_verifications (used_at);
create index sessions_expires_at on sessions (expires_at);
