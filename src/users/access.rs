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
    Ok(match cx.session().await? {
        Some(current) => of(cx.config(), &current),
        None => Access::default(),
    })
}

/// What `current`'s role may do on this instance.
#[cfg(feature = "ssr")]
pub fn of(config: &crate::config::Config, current: &crate::accounts::sessions::Current) -> Access {
    let two_factor_required =
        crate::accounts::sessions::check_two_factor(config, &current.user).is_err();
    let permissions = config
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
    Access {
        role: Some(current.user.role.clone()),
        permissions,
        two_factor_required,
    }
}
