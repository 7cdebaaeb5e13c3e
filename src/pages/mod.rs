//! One module per page, named after its path.

pub mod admin_audit;
pub mod admin_emails;
pub mod admin_invites;
pub mod admin_users;
pub mod admin_webhooks;
pub mod dashboard;
pub mod enroll;
pub mod forgot_password;
pub mod invite;
pub mod join;
pub mod not_found;
pub mod org_invitations;
pub mod org_roles;
pub mod org_teams;
pub mod orgs;
pub mod orgs_new;
pub mod reset_password;
pub mod sign_in;
pub mod sign_up;
pub mod verify_email;
pub mod welcome;
