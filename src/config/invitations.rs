//! `[invitations]`: role invitations' expiry, kind and rank rule (SPEC §3).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{invalid, parse_duration, ConfigError};
use crate::{access::ranks::RankRule, secret::SecretKind};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInvitations {
    pub(super) default_expiry: String,
    pub(super) max_expiry: String,
    pub(super) default_kind: SecretKind,
    pub(super) rank_rule: RankRule,
}

#[derive(Debug, Clone)]
pub struct InvitationSettings {
    pub default_expiry: Duration,
    /// No invitation may live longer; public ones always expire.
    pub max_expiry: Duration,
    pub default_kind: SecretKind,
    pub rank_rule: RankRule,
}

impl Default for RawInvitations {
    fn default() -> Self {
        Self {
            default_expiry: "7d".into(),
            max_expiry: "30d".into(),
            default_kind: SecretKind::Link,
            rank_rule: RankRule::AtMostOwn,
        }
    }
}

impl RawInvitations {
    pub(super) fn check(&self) -> Result<InvitationSettings, ConfigError> {
        let default_expiry = parse_duration("invitations.default_expiry", &self.default_expiry)?;
        let max_expiry = parse_duration("invitations.max_expiry", &self.max_expiry)?;
        if default_expiry > max_expiry {
            return Err(invalid(
                "invitations.default_expiry",
                "must not be longer than invitations.max_expiry".into(),
            ));
        }
        Ok(InvitationSettings {
            default_expiry,
            max_expiry,
            default_kind: self.default_kind,
            rank_rule: self.rank_rule,
        })
    }
}
