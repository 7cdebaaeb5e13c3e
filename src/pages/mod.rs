//! One module per page, named after its path, and what every page reads:
//! the signed-in session and the person's organizations, loaded once per
//! page and shared by the header and the page.
//!
//! Every page is rendered on the server; only its islands run in the
//! browser. The islands are compiled into one WebAssembly bundle per page
//! group, so a person opening an invitation never downloads the admin
//! console: `public` (signing in and up, invitations, joining, the
//! dashboard), `org` (an organization's pages) and `admin` (the instance's
//! console). A page module is compiled into its group's bundle and into no
//! other (the `islands-*` features); a page without islands is the
//! server's alone. `app::bundle_for` picks the bundle by the page's path.
//! A page's islands must all be in its group's bundle: the browser tests
//! fail on an island its bundle lacks.
#[cfg(feature = "ssr")]
pub mod account;
#[cfg(feature = "ssr")]
pub mod account_delete;
#[cfg(feature = "ssr")]
pub mod admin_apps;
#[cfg(feature = "ssr")]
pub mod admin_audit;
#[cfg(any(feature = "ssr", feature = "islands-admin"))]
pub mod admin_emails;
#[cfg(any(feature = "ssr", feature = "islands-admin"))]
pub mod admin_invites;
#[cfg(feature = "ssr")]
pub mod admin_user_sessions;
#[cfg(feature = "ssr")]
pub mod admin_users;
#[cfg(feature = "ssr")]
pub mod admin_webhooks;
#[cfg(feature = "ssr")]
pub mod authorize;
#[cfg(any(feature = "ssr", feature = "islands-org", feature = "islands-admin"))]
pub mod bulk_invite;
#[cfg(feature = "ssr")]
pub mod dashboard;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod enroll;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod forgot_password;
pub mod forms;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod invite;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod join;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod join_link;
#[cfg(feature = "ssr")]
pub mod two_factor;
// Shown by the pages of every group for what they do not find.
pub mod not_found;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_domains;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_invitations;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_join_links;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_requests;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_roles;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod org_teams;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod orgs;
#[cfg(any(feature = "ssr", feature = "islands-org"))]
pub mod orgs_new;
#[cfg(feature = "ssr")]
pub mod qr_card;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod reset_password;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod sign_in;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod sign_up;
#[cfg(any(feature = "ssr", feature = "islands-public"))]
pub mod verify_email;
#[cfg(feature = "ssr")]
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
