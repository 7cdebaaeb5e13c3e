//! Organization values that are valid by construction: slugs and the roles
//! a member holds (SPEC §2, §3 "Organizations" 1–2). Shared with the
//! browser, so the create form checks a slug as the server will.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

/// An organization's display name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let name = input.trim();
        let invalid = |why: &str| ApiError::new(Code::InvalidOrganizationName, why);
        if name.is_empty() {
            return Err(invalid("Give the organization a name."));
        }
        if name.chars().count() > 100 {
            return Err(invalid(
                "Use at most 100 characters for the organization's name.",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid(
                "The organization's name cannot contain line breaks or control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role's name: up to 32 of `[a-z0-9_-]`, starting with a letter (no
/// commas: several roles travel as one comma-separated string).
fn is_role_name(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A custom role's name, as given, in lower case (Better Auth lowers
/// `Auditor` to `auditor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let name = input.trim().to_lowercase();
        if is_role_name(&name) {
            Ok(Self(name))
        } else {
            Err(ApiError::new(
                Code::InvalidRoleName,
                "A role's name is up to 32 letters, digits, `-` or `_`, starting with a letter.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A team's name: 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let name = input.trim();
        let invalid = |why: &str| ApiError::new(Code::InvalidTeamName, why);
        if name.is_empty() {
            return Err(invalid("Give the team a name."));
        }
        if name.chars().count() > 64 {
            return Err(invalid("Use at most 64 characters for the team's name."));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid(
                "The team's name cannot contain line breaks or control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// An organization's first team is named after it; organization names
    /// may be longer than team names.
    pub fn first_of(organization: &OrganizationName) -> Self {
        Self(
            organization
                .as_str()
                .chars()
                .take(64)
                .collect::<String>()
                .trim()
                .to_owned(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 48;
/// Slugs that name pages under `/orgs/` rather than an organization.
const RESERVED_SLUGS: [&str; 1] = ["new"];

/// `[a-z0-9-]`, 2–48 characters, no leading or trailing dash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let slug = input.trim();
        let invalid = |why: &str| {
            ApiError::new(
                Code::InvalidSlug,
                format!("The slug `{slug}` {why}. Use 2–48 lowercase letters, digits and dashes, like acme-labs."),
            )
        };
        if slug.len() < SLUG_MIN || slug.len() > SLUG_MAX {
            return Err(invalid("has the wrong length"));
        }
        if let Some(c) = slug
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-'))
        {
            return Err(invalid(&format!("contains `{c}`")));
        }
        if slug.starts_with('-') || slug.ends_with('-') {
            return Err(invalid("starts or ends with a dash"));
        }
        if RESERVED_SLUGS.contains(&slug) {
            return Err(invalid("is the name of a page (`/orgs/new`)"));
        }
        Ok(Self(slug.to_owned()))
    }

    /// A slug made from an organization's name, for the create form to
    /// suggest: lowercase ASCII letters and digits, runs of anything else
    /// as one dash. None when the name has nothing usable.
    pub fn suggest(name: &str) -> Option<Self> {
        let mut out = String::new();
        // ASCII folding only: anything else becomes a dash anyway, and
        // Unicode's case tables would weigh on the browser's download.
        for c in name.chars().map(|c| c.to_ascii_lowercase()) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= SLUG_MAX {
                break;
            }
        }
        let out = out.trim_matches('-');
        Self::parse(out).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = ApiError;
    fn try_from(s: String) -> Result<Self, ApiError> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

/// The most roles one member holds, and one request may name.
pub const MAX_ROLES: usize = 32;
/// The longest role name a request may carry at all (names are checked
/// for their form, at most 32 characters, after this).
pub const MAX_ROLE_NAME: usize = 64;

/// The roles a member holds: at least one, at most [`MAX_ROLES`], each a
/// role name, no repeats, in the order given. Better Auth writes several
/// as one comma-separated string (`"admin,member"`) and accepts a string
/// or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRoles(Vec<String>);

impl MemberRoles {
    /// From Better Auth's `role: string | string[]`; a string may hold
    /// several names separated by commas. The caps come before any other
    /// work, so a huge list costs no more than reading it once.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        let mut given: Vec<&str> = Vec::new();
        for name in names.into_iter().flat_map(|n| n.split(',')) {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            if given.len() == MAX_ROLES {
                return Err(ApiError::new(
                    Code::TooManyMemberRoles,
                    format!("A member holds at most {MAX_ROLES} roles."),
                ));
            }
            if name.len() > MAX_ROLE_NAME {
                return Err(ApiError::new(
                    Code::RoleNameTooLong,
                    format!("A role's name has at most {MAX_ROLE_NAME} characters."),
                ));
            }
            given.push(name);
        }
        let mut seen = std::collections::HashSet::with_capacity(given.len());
        let mut roles = Vec::with_capacity(given.len());
        for name in given {
            if !is_role_name(name) {
                return Err(ApiError::new(
                    Code::RoleNotFound,
                    format!("`{name}` is not a role name."),
                ));
            }
            if seen.insert(name) {
                roles.push(name.to_owned());
            }
        }
        if roles.is_empty() {
            return Err(ApiError::new(
                Code::MissingField,
                "At least one role is required.",
            ));
        }
        Ok(Self(roles))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn contains(&self, role: &str) -> bool {
        self.0.iter().any(|r| r == role)
    }

    /// As Better Auth answers it: `"owner"`, or `"admin,member"`.
    pub fn joined(&self) -> String {
        self.0.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_are_checked_and_name_the_problem() {
        for good in ["ab", "acme", "acme-labs-2", &"a".repeat(48)] {
            assert_eq!(Slug::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(Slug::parse("  acme ").unwrap().as_str(), "acme");
        for (bad, says) in [
            ("", "wrong length"),
            ("a", "wrong length"),
            (&"a".repeat(49), "wrong length"),
            ("Acme", "contains `A`"),
            ("acme labs", "contains ` `"),
            ("acme_labs", "contains `_`"),
            ("-acme", "dash"),
            ("acme-", "dash"),
            ("bücher", "contains `ü`"),
            ("new", "name of a page"),
        ] {
            let err = Slug::parse(bad).unwrap_err();
            assert_eq!(err.code, "INVALID_SLUG", "{bad}");
            assert!(err.message.contains(says), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn organization_names_are_checked() {
        assert_eq!(OrganizationName::parse("  Acme ").unwrap().as_str(), "Acme");
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert_eq!(
                OrganizationName::parse(bad).unwrap_err().code,
                "INVALID_ORGANIZATION_NAME",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn role_names_are_lowered_and_checked() {
        assert_eq!(RoleName::parse(" Auditor ").unwrap().as_str(), "auditor");
        assert_eq!(
            RoleName::parse("billing_2-x").unwrap().as_str(),
            "billing_2-x"
        );
        for bad in ["", "2fa", "a,b", "bill ing", "ünicode", &"x".repeat(33)] {
            assert_eq!(
                RoleName::parse(bad).unwrap_err().code,
                "INVALID_ROLE_NAME",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn team_names_are_checked_and_a_first_team_fits() {
        assert_eq!(TeamName::parse(" Design ").unwrap().as_str(), "Design");
        for bad in ["", "  ", "a\tb", &"x".repeat(65)] {
            assert_eq!(
                TeamName::parse(bad).unwrap_err().code,
                "INVALID_TEAM_NAME",
                "{bad:?}"
            );
        }
        let long = OrganizationName::parse(&format!("{} tail", "y".repeat(63))).unwrap();
        let first = TeamName::first_of(&long);
        assert_eq!(first.as_str(), "y".repeat(63), "cut to 64, then trimmed");
        assert!(TeamName::parse(first.as_str()).is_ok());
    }

    #[test]
    fn names_suggest_slugs() {
        assert_eq!(Slug::suggest("Acme Labs").unwrap().as_str(), "acme-labs");
        assert_eq!(
            Slug::suggest("  The  A-Team!! ").unwrap().as_str(),
            "the-a-team"
        );
        assert_eq!(Slug::suggest("Café 2000").unwrap().as_str(), "caf-2000");
        assert_eq!(Slug::suggest("!!!"), None);
        assert_eq!(Slug::suggest("x"), None, "too short to be a slug");
    }

    #[test]
    fn member_roles_take_strings_lists_and_commas() {
        let r = MemberRoles::parse(["admin,member", "admin", " owner "]).unwrap();
        assert_eq!(r.iter().collect::<Vec<_>>(), ["admin", "member", "owner"]);
        assert_eq!(r.joined(), "admin,member,owner");
        assert!(r.contains("member") && !r.contains("guest"));
        assert_eq!(MemberRoles::parse([""]).unwrap_err().code, "MISSING_FIELD");
        assert_eq!(
            MemberRoles::parse(["Admin"]).unwrap_err().code,
            "ROLE_NOT_FOUND"
        );
    }

    #[test]
    fn member_roles_are_capped_before_anything_else() {
        let names: Vec<String> = (0..MAX_ROLES).map(|i| format!("r{i}")).collect();
        let most = names.join(",");
        assert_eq!(
            MemberRoles::parse([most.as_str()]).unwrap().iter().count(),
            MAX_ROLES
        );
        let over = format!("{most},one-more");
        assert_eq!(
            MemberRoles::parse([over.as_str()]).unwrap_err().code,
            "TOO_MANY_MEMBER_ROLES"
        );
        // Repeats count against the cap: it comes before deduplication.
        let repeated = vec!["admin"; MAX_ROLES + 1];
        assert_eq!(
            MemberRoles::parse(repeated).unwrap_err().code,
            "TOO_MANY_MEMBER_ROLES"
        );
        let long = "a".repeat(MAX_ROLE_NAME + 1);
        assert_eq!(
            MemberRoles::parse([long.as_str()]).unwrap_err().code,
            "ROLE_NAME_TOO_LONG"
        );
        // 2 MiB of names is refused at the 33rd, not read to the end
        // and compared pairwise.
        let huge = "x,".repeat(1 << 20);
        assert_eq!(
            MemberRoles::parse([huge.as_str()]).unwrap_err().code,
            "TOO_MANY_MEMBER_ROLES"
        );
    }

    proptest! {
        #[test]
        fn parsed_roles_are_the_distinct_names_in_order(
            names in proptest::collection::vec("[a-c][0-2]?", 1..=MAX_ROLES),
        ) {
            let parsed = MemberRoles::parse(names.iter().map(String::as_str)).unwrap();
            let mut distinct: Vec<&str> = Vec::new();
            for n in &names {
                if !distinct.contains(&n.as_str()) {
                    distinct.push(n);
                }
            }
            prop_assert_eq!(parsed.iter().collect::<Vec<_>>(), distinct);
        }

        #[test]
        fn a_suggested_slug_always_parses(name in "\\PC{0,80}") {
            if let Some(slug) = Slug::suggest(&name) {
                prop_assert_eq!(Slug::parse(slug.as_str()).unwrap(), slug);
            }
        }

        #[test]
        fn parsing_is_idempotent(s in "[a-z0-9-]{0,60}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert_eq!(Slug::parse(slug.as_str()).unwrap(), slug.clone());
                prop_assert!(!slug.as_str().starts_with('-') && !slug.as_str().ends_with('-'));
            }
        }
    }
}
