//! What the signed-in person may do on this instance, for the pages: the
//! header shows admin links only to roles that can use them. The API checks
//! permissions on every call regardless (`RequestContext::require`).

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    pub role: Option<String>,
    /// `resource:action` statements, e.g. `email:list`.
    pub permissions: Vec<String>,
    /// The role acts only with two-factor authentication, which the
    /// account does not use yet: until it does, `permissions` is empty.
    pub two_factor_required: bool,
}

impl Access {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[server(name = GetAccess, prefix = "/api/auth", endpoint = "gatehouse/access", input = GetUrl)]
pub async fn get_access() -> Result<Access, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let Some(current) = cx.session().await? else {
        return Ok(Access::default());
    };
    let two_factor_required =
        crate::accounts::sessions::check_two_factor(cx.config(), &current.user).is_err();
    let permissions = cx
        .config()
        .roles
        .get(&current.user.role)
        .filter(|_| !two_factor_required)
        .map(|role| {
            role.permissions
                .pairs()
                .map(|(resource, action)| format!("{resource}:{action}"))
                .collect()
        })
        .unwrap_or_default();
    Ok(Access {
        role: Some(current.user.role),
        permissions,
        two_factor_required,
    })
}
