//! `[organizations]`: who may create them, their limits, teams and custom
//! roles, verified domains (SPEC §3 "Organizations", issue 26).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{invalid, parse_duration, roles::RawRole, ConfigError};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrganizations {
    /// `"everyone"`, or the instance roles that may create organizations.
    pub(super) allow_create: AllowCreate,
    /// How many organizations one person may own; none: no limit.
    pub(super) limit_per_user: Option<u32>,
    pub(super) membership_limit: u32,
    pub(super) disable_deletion: bool,
    /// How long an organization invitation stays usable (`48h`).
    pub(super) invitation_expiry: String,
    /// Pending invitations per organization.
    pub(super) invitation_limit: u32,
    /// Inviting an address again cancels its pending invitation instead of
    /// being refused.
    pub(super) cancel_pending_on_reinvite: bool,
    pub(super) teams: TeamSettings,
    pub(super) custom_roles: CustomRoleSettings,
    pub(super) domains: RawDomains,
}

/// `[organizations.domains]`: verified email domains (issue 26).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDomains {
    /// Domains anyone can have an address at, which no organization may
    /// claim. Setting it replaces the built-in list ([`FREE_MAIL`]).
    pub(super) free_mail: Vec<String>,
    /// The DNS server (`ip` or `ip:port`) that domain checks ask; none:
    /// the system's resolver configuration (/etc/resolv.conf).
    pub(super) dns_server: Option<String>,
}

/// Free-mail providers: an address there proves nothing about a company.
pub const FREE_MAIL: &[&str] = &[
    "126.com",
    "163.com",
    "aol.com",
    "fastmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.fr",
    "icloud.com",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "outlook.com",
    "outlook.de",
    "pm.me",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "tuta.io",
    "tutanota.com",
    "web.de",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.de",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
];

/// Verified email domains (issue 26).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSettings {
    /// Lower case.
    pub free_mail: Vec<String>,
    pub dns_server: Option<std::net::SocketAddr>,
}

impl DomainSettings {
    /// Whether `domain` (lower case) is a free-mail provider's.
    pub fn is_free_mail(&self, domain: &str) -> bool {
        self.free_mail.iter().any(|d| d == domain)
    }
}

impl RawDomains {
    fn check(&self) -> Result<DomainSettings, ConfigError> {
        let mut free_mail = Vec::with_capacity(self.free_mail.len());
        for entry in &self.free_mail {
            let domain = entry.trim().trim_start_matches('@').to_ascii_lowercase();
            if !domain.contains('.') || domain.contains(['@', ' ', '/']) {
                return Err(invalid(
                    "organizations.domains.free_mail",
                    format!("`{entry}` is not a domain such as gmail.com"),
                ));
            }
            free_mail.push(domain);
        }
        let dns_server = match self.dns_server.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<std::net::SocketAddr>()
                    .or_else(|_| {
                        text.parse::<std::net::IpAddr>()
                            .map(|ip| std::net::SocketAddr::new(ip, 53))
                    })
                    .map_err(|_| {
                        invalid(
                            "organizations.domains.dns_server",
                            format!("`{text}` is not an address like 192.0.2.53 or 192.0.2.53:53"),
                        )
                    })?,
            ),
        };
        Ok(DomainSettings {
            free_mail,
            dns_server,
        })
    }
}

/// Custom organization roles (SPEC §3 "Organizations" 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRoleSettings {
    pub enabled: bool,
    /// Custom roles per organization; none: no limit.
    pub maximum_roles_per_organization: Option<u32>,
}

/// Teams inside organizations (SPEC §3 "Organizations" 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSettings {
    pub enabled: bool,
    /// Teams per organization; none: no limit.
    pub maximum_teams: Option<u32>,
    /// Members per team; none: no limit.
    pub maximum_members_per_team: Option<u32>,
    /// Whether an organization's last team may be removed.
    pub allow_removing_all_teams: bool,
}

/// Who may create organizations (SPEC §3 "Organizations" 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AllowCreate {
    /// `"everyone"`: any signed-in person.
    Everyone(String),
    /// Only these instance roles.
    Roles(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct OrganizationSettings {
    pub allow_create: AllowCreate,
    pub limit_per_user: Option<u32>,
    pub membership_limit: u32,
    pub disable_deletion: bool,
    pub invitation_expiry: Duration,
    pub invitation_limit: u32,
    pub cancel_pending_on_reinvite: bool,
    pub teams: TeamSettings,
    pub custom_roles: CustomRoleSettings,
    pub domains: DomainSettings,
}

impl OrganizationSettings {
    pub fn invitation_expiry_ms(&self) -> i64 {
        i64::try_from(self.invitation_expiry.as_millis()).unwrap_or(i64::MAX)
    }

    pub fn may_create(&self, instance_role: &str) -> bool {
        match &self.allow_create {
            AllowCreate::Everyone(_) => true,
            AllowCreate::Roles(roles) => roles.iter().any(|r| r == instance_role),
        }
    }
}

impl Default for RawOrganizations {
    fn default() -> Self {
        Self {
            allow_create: AllowCreate::Everyone("everyone".into()),
            limit_per_user: None,
            membership_limit: 100,
            disable_deletion: false,
            invitation_expiry: "48h".into(),
            invitation_limit: 100,
            cancel_pending_on_reinvite: false,
            teams: TeamSettings {
                enabled: true,
                maximum_teams: None,
                maximum_members_per_team: None,
                allow_removing_all_teams: false,
            },
            custom_roles: CustomRoleSettings {
                enabled: true,
                maximum_roles_per_organization: None,
            },
            domains: RawDomains {
                free_mail: FREE_MAIL.iter().map(|d| (*d).to_owned()).collect(),
                dns_server: None,
            },
        }
    }
}

impl RawOrganizations {
    /// Checked against the instance roles that `allow_create` may name.
    pub(super) fn check(&self, roles: &[RawRole]) -> Result<OrganizationSettings, ConfigError> {
        let raw = self;
        match &raw.allow_create {
            AllowCreate::Everyone(word) if word != "everyone" => {
                return Err(invalid(
                    "organizations.allow_create",
                    format!("`{word}` is neither \"everyone\" nor a list of roles"),
                ))
            }
            AllowCreate::Roles(list) => {
                if let Some(unknown) = list.iter().find(|r| !roles.iter().any(|k| &k.name == *r)) {
                    return Err(invalid(
                        "organizations.allow_create",
                        format!("there is no role called `{unknown}`"),
                    ));
                }
            }
            AllowCreate::Everyone(_) => {}
        }
        if raw.membership_limit == 0 {
            return Err(invalid(
                "organizations.membership_limit",
                "must be at least 1".into(),
            ));
        }
        if raw.invitation_limit == 0 {
            return Err(invalid(
                "organizations.invitation_limit",
                "must be at least 1".into(),
            ));
        }
        let invitation_expiry =
            parse_duration("organizations.invitation_expiry", &raw.invitation_expiry)?;
        for (key, limit) in [
            ("organizations.teams.maximum_teams", raw.teams.maximum_teams),
            (
                "organizations.teams.maximum_members_per_team",
                raw.teams.maximum_members_per_team,
            ),
            (
                "organizations.custom_roles.maximum_roles_per_organization",
                raw.custom_roles.maximum_roles_per_organization,
            ),
        ] {
            if limit == Some(0) {
                return Err(invalid(
                    key,
                    "must be at least 1 (or absent for no limit)".into(),
                ));
            }
        }
        Ok(OrganizationSettings {
            allow_create: raw.allow_create.clone(),
            limit_per_user: raw.limit_per_user,
            membership_limit: raw.membership_limit,
            disable_deletion: raw.disable_deletion,
            invitation_expiry,
            invitation_limit: raw.invitation_limit,
            cancel_pending_on_reinvite: raw.cancel_pending_on_reinvite,
            teams: raw.teams.clone(),
            custom_roles: raw.custom_roles.clone(),
            domains: raw.domains.check()?,
        })
    }
}
