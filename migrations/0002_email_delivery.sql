-- Email delivery (SPEC §6). A sender claims a due message by writing a fresh
-- claim token and pushing next_attempt_at past a lease; only the holder of
-- the token may record the outcome. The redacted bodies are the message with
-- its secret link or code hidden: they are what the admin view shows, and
-- they replace the deliverable bodies once the message is sent, so a sent
-- link lives on only in the recipient's mailbox.
alter table outbound_emails add column claim_token text;
alter table outbound_emails add column redacted_text_body text;
alter table outbound_emails add column redacted_html_body text;
create index outbound_emails_created_at on outbound_emails (created_at);

-- Until now nothing was sent: queued messages were only written to the log.
-- Hold them, so configuring a mail server does not suddenly deliver old
-- reset links; an admin can still send any of them from /admin/emails.
update outbound_emails
set next_attempt_at = 9223372036854775807,
    last_error = 'Not delivered: no SMTP server is configured. The message was written to the server log.'
where status = 'queued';
