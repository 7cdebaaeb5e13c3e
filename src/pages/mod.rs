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

use std::{any::Any, sync::Arc};

use leptos::prelude::*;

use crate::{
    accounts::SessionWithUser, error::ApiError, organizations::MyOrganizations,
    users::access::Access,
};

/// What every page reads: the signed-in session, the person's
/// organizations and what their role may do. The header shows them, and
/// pages read them rather than asking again.
#[derive(Debug, Clone)]
pub struct Frame {
    pub session: Result<Option<SessionWithUser>, ApiError>,
    pub organizations: Result<MyOrganizations, ApiError>,
    pub access: Access,
}

impl Default for Frame {
    /// Nobody signed in.
    fn default() -> Self {
        Self {
            session: Ok(None),
            organizations: Ok(MyOrganizations::default()),
            access: Access::default(),
        }
    }
}

/// A page's data, loaded before its render starts (`startup::page`): the
/// frame for every page, and for the pages in `OWN_DATA` what they show.
/// The render then waits on nothing: a `Resource` costs a spawned task and
/// wake-ups across threads, which on a page as small as an invitation's
/// preview were most of its time. Pages not in `OWN_DATA` still load their
/// own data through resources.
#[derive(Clone, Default)]
pub struct PageData {
    frame: Arc<Frame>,
    own: Option<Arc<dyn Any + Send + Sync>>,
}

/// The page's frame. Outside a page loaded by `startup::page` (the
/// browser never renders pages, only islands) nobody is signed in.
pub fn use_frame() -> Arc<Frame> {
    use_context::<PageData>().unwrap_or_default().frame
}

pub fn use_session() -> Result<Option<SessionWithUser>, ApiError> {
    use_frame().session.clone()
}

pub fn use_organizations() -> Result<MyOrganizations, ApiError> {
    use_frame().organizations.clone()
}

/// The data of type `T` that the page's route loaded (see `OWN_DATA`).
pub fn use_page_data<T: Clone + 'static>() -> Option<T> {
    use_context::<PageData>()?.own?.downcast_ref::<T>().cloned()
}

/// What a page loads of its own before rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Own {
    /// The invitation a link or code belongs to (`invite::Loaded`).
    Invitation,
}

/// The routes whose pages load their own data before rendering, as the
/// router names them.
pub const OWN_DATA: &[(&str, Own)] = &[
    ("/invite/{token}", Own::Invitation),
    ("/invite/{token}/sign-up", Own::Invitation),
    ("/join/{token}", Own::Invitation),
    ("/join/{token}/sign-up", Own::Invitation),
    ("/invite/{token}/qr", Own::Invitation),
    ("/join/{token}/qr", Own::Invitation),
];

/// Loads the page data of the page at `route` (none for the "not found"
/// page), with the route's `params`.
#[cfg(feature = "ssr")]
pub async fn load(
    cx: &crate::context::RequestContext,
    route: Option<&str>,
    params: &[(String, String)],
) -> PageData {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    };
    let own = async {
        match OWN_DATA.iter().find(|(r, _)| Some(*r) == route) {
            Some((_, Own::Invitation)) => {
                Some(Arc::new(invite::load(cx, param("token")).await) as Arc<dyn Any + Send + Sync>)
            }
            None => None,
        }
    };
    let (frame, own) = tokio::join!(load_frame(cx), own);
    PageData {
        frame: Arc::new(frame),
        own,
    }
}

/// The frame, from one lookup of the session.
#[cfg(feature = "ssr")]
async fn load_frame(cx: &crate::context::RequestContext) -> Frame {
    use crate::{accounts::sign_in::session_view, organizations::organizations_of, users::access};
    let me = match cx.session().await {
        Ok(Some(me)) => me,
        Ok(None) => return Frame::default(),
        Err(e) => {
            return Frame {
                session: Err(e.clone()),
                organizations: Err(e),
                access: Access::default(),
            }
        }
    };
    Frame {
        session: Ok(Some(session_view(&me))),
        organizations: organizations_of(cx.db(), cx.config(), &me).await,
        access: access::of(cx.config(), &me),
    }
}
