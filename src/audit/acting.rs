//! Who is really behind a request made in an impersonation session (issue
//! 27): every change recorded while an admin acts as someone else names
//! that admin. The session is read deep in each feature, and the changes it
//! makes are recorded in dozens of places; rather than thread the admin
//! through all of them, each request carries one slot (`scope`, a
//! middleware around every request) that reading the session fills and
//! `record` reads. Outside a request (background jobs) there is no slot,
//! and no impersonator.

use std::cell::RefCell;

use axum::{extract::Request, middleware::Next, response::Response};

tokio::task_local! {
    static IMPERSONATOR: RefCell<Option<String>>;
}

/// Middleware: gives the request its empty slot.
pub async fn scope(request: Request, next: Next) -> Response {
    IMPERSONATOR
        .scope(RefCell::new(None), next.run(request))
        .await
}

/// Notes that this request acts in `admin_id`'s impersonation session.
pub fn impersonated_by(admin_id: &str) {
    // No slot (not inside a request): nothing to note.
    let _ = IMPERSONATOR.try_with(|slot| *slot.borrow_mut() = Some(admin_id.to_owned()));
}

/// The admin behind the current request, if it impersonates someone.
pub(super) fn impersonator() -> Option<String> {
    IMPERSONATOR
        .try_with(|slot| slot.borrow().clone())
        .ok()
        .flatten()
}
