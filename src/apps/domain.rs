//! The rules of apps and their sign-ins, as pure functions (SPEC §9):
//! scopes, redirect addresses, PKCE, who an app admits, and the claims a
//! token carries. No I/O here; time comes in as an argument.

use std::collections::BTreeSet;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Every scope an app can ask for, in the order they are explained.
pub const SCOPES: [&str; 6] = [
    "openid",
    "email",
    "profile",
    "roles",
    "organizations",
    "offline_access",
];

/// What an app may ask for unless its admin says otherwise.
pub const DEFAULT_SCOPES: &str = "openid email profile";

/// An authorization code lives this long (SPEC §9: at most 60 s).
pub const CODE_TTL_MS: i64 = 60 * 1000;
/// Access tokens (and ID tokens): short-lived, checked offline by apps.
pub const ACCESS_TOKEN_TTL_MS: i64 = 10 * 60 * 1000;
/// A refresh token, unless used (and so replaced) first.
pub const REFRESH_TOKEN_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// A retired signing key stays published this long: longer than any token
/// it signed lives.
pub const KEY_OVERLAP_MS: i64 = 2 * ACCESS_TOKEN_TTL_MS;

pub const MAX_REDIRECT_URIS: usize = 20;
pub const MAX_NAME_CHARS: usize = 100;

/// What a person sees on the consent page for each scope.
pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "openid" => "Who you are: your account's id",
        "email" => "Your email address",
        "profile" => "Your name",
        "roles" => "Your role on this Gatehouse",
        "organizations" => "Your organizations, with your roles and teams in them",
        "offline_access" => "Stay signed in to it while you are away",
        _ => "",
    }
}

/// What a scope shows an app, as a short noun for "Connected apps".
pub fn scope_noun(scope: &str) -> &'static str {
    match scope {
        "openid" => "account id",
        "email" => "email address",
        "profile" => "name",
        "roles" => "role",
        "organizations" => "organizations and teams",
        // `offline_access` is not something it sees; the consent page
        // says what it allows.
        _ => "",
    }
}

/// A set of known scopes, ordered as `SCOPES`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<usize>);

impl Scopes {
    /// Space-separated scopes; the first unknown one is the error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            match SCOPES.iter().position(|s| *s == word) {
                Some(i) => {
                    set.insert(i);
                }
                None => return Err(word.to_owned()),
            }
        }
        Ok(Self(set))
    }

    pub fn has(&self, scope: &str) -> bool {
        SCOPES
            .iter()
            .position(|s| *s == scope)
            .is_some_and(|i| self.0.contains(&i))
    }

    pub fn is_subset(&self, of: &Scopes) -> bool {
        self.0.is_subset(&of.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|i| SCOPES[*i])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.iter().collect::<Vec<_>>().join(" "))
    }
}

/// How an app proves itself at the token endpoint (RFC 7591 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    SecretBasic,
    SecretPost,
    /// A public app (in a browser or on a phone): no secret, PKCE instead.
    None,
}

impl AuthMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "client_secret_basic" => Some(Self::SecretBasic),
            "client_secret_post" => Some(Self::SecretPost),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretBasic => "client_secret_basic",
            Self::SecretPost => "client_secret_post",
            Self::None => "none",
        }
    }

    pub fn is_confidential(self) -> bool {
        self != Self::None
    }
}

/// A redirect address an app may register: absolute, no fragment, and
/// https, except on this machine (`http://127.0.0.1`, `http://localhost`,
/// as RFC 8252 allows native apps). Compared byte for byte afterwards.
pub fn check_redirect_uri(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not an address: {e}"))?;
    if url.fragment().is_some() {
        return Err(format!(
            "`{text}` has a fragment (#…), which a redirect address may not have"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{text}` carries a user name or password"));
    }
    let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
        || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "`{text}` is plain http: only https, or http on this machine (localhost, 127.0.0.1), may receive codes"
        )),
        other => Err(format!("`{text}` uses `{other}:`; use an https address")),
    }
}

/// PKCE (RFC 7636) with S256: the verifier is 43 to 128 unreserved
/// characters, and its SHA-256, base64url, is the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && constant_time_eq(s256(verifier).as_bytes(), challenge.as_bytes())
}

pub fn s256(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

/// OpenID Connect's `at_hash`: the left half of the access token's
/// SHA-256, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `prompt` (OpenID Connect Core 3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        let mut p = Prompt::default();
        for word in text
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
        {
            match word {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                // One account per browser: there is nothing to choose.
                "select_account" => {}
                other => return Err(format!("prompt `{other}` is not known")),
            }
        }
        if p.none && (p.login || p.consent) {
            return Err("prompt `none` cannot be combined with another value".into());
        }
        Ok(p)
    }
}

/// Who may sign in to an app. Every list empty: every account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Instance roles; an account with one of them is admitted.
    pub roles: Vec<String>,
    /// Organization ids; a member of one of them is admitted.
    pub organizations: Vec<String>,
    /// Team ids; a member of one of them is admitted.
    pub teams: Vec<String>,
}

impl Policy {
    pub fn is_open(&self) -> bool {
        self.roles.is_empty() && self.organizations.is_empty() && self.teams.is_empty()
    }

    pub fn admits(&self, role: &str, organization_ids: &[&str], team_ids: &[&str]) -> bool {
        self.is_open()
            || self.roles.iter().any(|r| r == role)
            || self
                .organizations
                .iter()
                .any(|o| organization_ids.contains(&o.as_str()))
            || self.teams.iter().any(|t| team_ids.contains(&t.as_str()))
    }
}

/// One membership as tokens carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationClaim {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub roles: Vec<String>,
    /// Team names.
    pub teams: Vec<String>,
}

/// The flat list that oauth2-proxy, Grafana and the like match on: each
/// organization's slug, `slug:role` for each role, and `slug/team` for
/// each team (its name lowercased, spaces as dashes).
pub fn groups(organizations: &[OrganizationClaim]) -> Vec<String> {
    let mut out = Vec::new();
    for o in organizations {
        out.push(o.slug.clone());
        out.extend(o.roles.iter().map(|r| format!("{}:{r}", o.slug)));
        out.extend(
            o.teams
                .iter()
                .map(|t| format!("{}/{}", o.slug, team_slug(t))),
        );
    }
    out
}

/// A team as `groups` and policies write it: its name lowercased, spaces
/// as dashes.
pub fn team_slug(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

/// The person as the claims describe them.
#[derive(Debug, Clone)]
pub struct Person<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub name: &'a str,
    pub role: &'a str,
}

/// The claims of `scopes` about a person: what the ID token adds to its
/// standard claims, and what userinfo answers beside `sub`.
pub fn user_claims(
    person: &Person<'_>,
    organizations: &[OrganizationClaim],
    scopes: &Scopes,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{json, Value};
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), json!(person.id));
    if scopes.has("email") {
        claims.insert("email".into(), json!(person.email));
        claims.insert("email_verified".into(), json!(person.email_verified));
    }
    if scopes.has("profile") {
        claims.insert("name".into(), json!(person.name));
        claims.insert("preferred_username".into(), json!(person.email));
    }
    if scopes.has("roles") {
        claims.insert("role".into(), json!(person.role));
    }
    if scopes.has("organizations") {
        claims.insert(
            "organizations".into(),
            serde_json::to_value(organizations).unwrap_or(Value::Null),
        );
        claims.insert("groups".into(), json!(groups(organizations)));
    }
    claims
}

/// Whether a sign-in made at `auth_time` is recent enough for `max_age`
/// (seconds).
pub fn fresh_enough(auth_time_ms: i64, max_age_secs: Option<i64>, now_ms: i64) -> bool {
    max_age_secs.is_none_or(|max| now_ms - auth_time_ms <= max.saturating_mul(1000))
}

/// An address with the query parameters added (after any it has).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(base) {
        Ok(url) => url,
        Err(_) => return base.to_owned(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scopes_parse_known_words_and_name_the_first_unknown() {
        let s = Scopes::parse("openid  email organizations").unwrap();
        assert!(s.has("openid") && s.has("email") && s.has("organizations"));
        assert!(!s.has("profile"));
        assert_eq!(s.to_string(), "openid email organizations");
        assert_eq!(Scopes::parse("openid admin x").unwrap_err(), "admin");
        assert!(Scopes::parse("").unwrap().is_empty());
        let all = Scopes::parse(&SCOPES.join(" ")).unwrap();
        assert!(s.is_subset(&all) && !all.is_subset(&s));
    }

    #[test]
    fn redirect_uris_are_https_or_this_machine() {
        for ok in [
            "https://grafana.example.com/login/generic_oauth",
            "http://127.0.0.1:8080/callback",
            "http://localhost:3000/cb?x=1",
            "http://[::1]:9000/cb",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://grafana.example.com/cb",
            "https://app.example.com/cb#frag",
            "javascript:alert(1)",
            "/relative",
            "https://user:pw@app.example.com/cb",
            "ftp://x.example.com/",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_example() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches("short", &s256("short")));
        let spaced = format!("{verifier} ");
        assert!(!pkce_matches(&spaced, &s256(&spaced)));
    }

    #[test]
    fn prompt_values() {
        assert_eq!(Prompt::parse(None).unwrap(), Prompt::default());
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
        assert!(Prompt::parse(Some("none")).unwrap().none);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        assert_eq!(
            Prompt::parse(Some("select_account")).unwrap(),
            Prompt::default()
        );
    }

    #[test]
    fn policies_admit_by_role_or_organization() {
        let open = Policy::default();
        assert!(open.admits("user", &[], &[]));
        let admins = Policy {
            roles: vec!["admin".into(), "owner".into()],
            ..Policy::default()
        };
        assert!(admins.admits("owner", &[], &[]));
        assert!(!admins.admits("user", &["acme"], &["t1"]));
        let acme = Policy {
            organizations: vec!["org1".into()],
            ..Policy::default()
        };
        assert!(acme.admits("user", &["org2", "org1"], &[]));
        assert!(!acme.admits("admin", &["org2"], &[]));
        let platform = Policy {
            teams: vec!["t1".into()],
            ..Policy::default()
        };
        assert!(platform.admits("user", &["org1"], &["t2", "t1"]));
        assert!(!platform.admits("user", &["org1"], &["t2"]));
        let either = Policy {
            roles: vec!["admin".into()],
            organizations: vec!["org1".into()],
            teams: vec![],
        };
        assert!(either.admits("admin", &[], &[]) && either.admits("user", &["org1"], &[]));
        assert!(!either.admits("user", &[], &[]));
    }

    fn acme() -> OrganizationClaim {
        OrganizationClaim {
            id: "o1".into(),
            slug: "acme".into(),
            name: "Acme".into(),
            roles: vec!["admin".into(), "member".into()],
            teams: vec!["Platform".into(), "Site Reliability".into()],
        }
    }

    #[test]
    fn groups_are_slug_roles_and_teams() {
        assert_eq!(
            groups(&[acme()]),
            [
                "acme",
                "acme:admin",
                "acme:member",
                "acme/platform",
                "acme/site-reliability"
            ]
        );
        assert!(groups(&[]).is_empty());
    }

    #[test]
    fn claims_follow_the_scopes() {
        let person = Person {
            id: "u1",
            email: "ada@example.com",
            email_verified: true,
            name: "Ada",
            role: "admin",
        };
        let only_openid = user_claims(&person, &[acme()], &Scopes::parse("openid").unwrap());
        assert_eq!(only_openid.keys().collect::<Vec<_>>(), ["sub"]);
        let all = user_claims(
            &person,
            &[acme()],
            &Scopes::parse(&SCOPES.join(" ")).unwrap(),
        );
        assert_eq!(all["email"], "ada@example.com");
        assert_eq!(all["email_verified"], true);
        assert_eq!(all["name"], "Ada");
        assert_eq!(all["preferred_username"], "ada@example.com");
        assert_eq!(all["role"], "admin");
        assert_eq!(all["organizations"][0]["slug"], "acme");
        assert_eq!(all["organizations"][0]["teams"][1], "Site Reliability");
        assert_eq!(all["groups"][0], "acme");
    }

    #[test]
    fn max_age_compares_in_seconds() {
        assert!(fresh_enough(1_000, None, 10_000_000));
        assert!(fresh_enough(1_000, Some(5), 6_000));
        assert!(!fresh_enough(1_000, Some(5), 6_001));
        assert!(!fresh_enough(1_000, Some(0), 1_001));
    }

    #[test]
    fn query_parameters_are_appended_and_encoded() {
        assert_eq!(
            with_query(
                "https://app.example.com/cb?x=1",
                &[("code", "a b"), ("state", "s&t")]
            ),
            "https://app.example.com/cb?x=1&code=a+b&state=s%26t"
        );
    }

    proptest! {
        #[test]
        fn a_verifier_matches_its_own_challenge_only(v in "[A-Za-z0-9._~-]{43,128}", w in "[A-Za-z0-9._~-]{43,128}") {
            prop_assert!(pkce_matches(&v, &s256(&v)));
            prop_assert_eq!(pkce_matches(&v, &s256(&w)), v == w);
        }

        #[test]
        fn scopes_round_trip(mask in 0u8..64) {
            let words: Vec<&str> = SCOPES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| *s).collect();
            let parsed = Scopes::parse(&words.join(" ")).unwrap();
            prop_assert_eq!(Scopes::parse(&parsed.to_string()).unwrap(), parsed.clone());
            prop_assert_eq!(parsed.iter().count(), words.len());
        }
    }
}
