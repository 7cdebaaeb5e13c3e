-- Organization MFA policy (issue 27, part 4): an owner can require every
-- member to use two-factor authentication before acting in the organization.
alter table organizations add column require_two_factor bigint not null default 0;
