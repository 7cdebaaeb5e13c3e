-- Changing one's email address (issue 27): the confirmation link goes to the
-- new address as a verification link; following it moves the account to
-- that address. Nothing changes until then.
alter table email_verifications add column changes_email bigint not null default 0;
