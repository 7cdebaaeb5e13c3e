//! One module per page, named after its path, and what every page reads:
//! the signed-in session and the person's organizations, loaded once per
//! page and shared by the header and the page.

pub mod admin_audit;
pub mod admin_emails;
pub mod admin_invites;
pub mod admin_users;
pub mod admin_webhooks;
pub mod dashboard;
pub mod enroll;
pub mod forgot_password;
pub mod forms;
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

use leptos::prelude::*;

use crate::{
    accounts::{get_session, SessionWithUser},
    error::ApiError,
    organizations::{my_organizations, MyOrganizations},
};

/// The signed-in session, loaded once per page and shared by the header and
/// the page.
#[derive(Clone, Copy)]
pub struct SessionResource(pub Resource<Result<Option<SessionWithUser>, ApiError>>);

pub fn use_session() -> SessionResource {
    use_context::<SessionResource>().expect("App provides the session resource")
}

/// The signed-in person's organizations, loaded once per page and shared
/// by the header's switcher and the pages that list them.
#[derive(Clone, Copy)]
pub struct OrganizationsResource(pub Resource<Result<MyOrganizations, ApiError>>);

pub fn use_organizations() -> OrganizationsResource {
    use_context::<OrganizationsResource>().expect("App provides the organizations resource")
}

/// Loads what every page reads; the app's root calls it once per page.
pub fn provide_page_data() {
    provide_context(SessionResource(Resource::new(|| (), |_| get_session())));
    provide_context(OrganizationsResource(Resource::new(
        || (),
        |_| my_organizations(),
    )));
}
