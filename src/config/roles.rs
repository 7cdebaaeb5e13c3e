//! `[[roles]]`: the instance's roles, lowest rank first, each permission
//! checked against the instance's catalog.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};
use crate::{
    access::roles::{Role, Roles},
    access::statements::{Statements, INSTANCE},
};

/// One `[[roles]]` entry; the list runs from the lowest rank to the highest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) abilities: Vec<String>,
    /// `resource = ["action", ...]`, e.g. `invite = ["create", "list"]`.
    #[serde(default)]
    pub(super) permissions: BTreeMap<String, Vec<String>>,
}

impl From<&Role> for RawRole {
    fn from(role: &Role) -> Self {
        let mut permissions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (resource, action) in role.permissions.pairs() {
            permissions
                .entry(resource.into())
                .or_default()
                .push(action.into());
        }
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            abilities: role.abilities.clone(),
            permissions,
        }
    }
}

pub(super) fn parse_roles(raw: Vec<RawRole>) -> Result<Roles, ConfigError> {
    let mut roles = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let mut permissions = Statements::new();
        for (resource, actions) in &r.permissions {
            for action in actions {
                permissions.insert(resource, action);
            }
            let one = Statements::of(&[(
                resource,
                &actions.iter().map(String::as_str).collect::<Vec<_>>(),
            )]);
            INSTANCE.check(&one).map_err(|e| {
                invalid(format!("roles[{i}].permissions.{resource}"), e.to_string())
            })?;
        }
        roles.push(Role {
            name: r.name,
            description: r.description,
            abilities: r.abilities,
            permissions,
        });
    }
    Roles::new(roles).map_err(|e| invalid("roles", e.to_string()))
}
