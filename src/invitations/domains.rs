//! Email domains, as invitations limit who may use them: a join link's
//! allowed domains, read as people type them and matched against an
//! address exactly (a subdomain is another domain: `eu.acme.io` is not
//! `acme.io`, as its mail may be run by someone else); and an
//! organization's verified domains, whose policy (`Mode`) is a standing
//! invitation to everyone with a verified address there.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

/// The most domains one link may name.
pub const MAX_DOMAINS: usize = 20;

/// The domain of an address, after its last `@`.
pub fn of(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Whether `email` may use something limited to `domains` (empty: any).
pub fn allows(domains: &[String], email: &str) -> bool {
    domains.is_empty() || domains.iter().any(|d| d.eq_ignore_ascii_case(of(email)))
}

/// A domain as people type it (`Acme.io`, `@acme.io`, ` acme.io.`), in
/// lower case; refused unless it is a host name with at least two labels.
pub fn parse(input: &str) -> Result<String, ApiError> {
    let domain = input
        .trim()
        .trim_start_matches('@')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253
        || labels.len() < 2
        || !labels.iter().all(|l| label_ok(l))
        || labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::new(
            Code::InvalidDomain,
            format!("`{}` is not a domain such as example.com.", input.trim()),
        ));
    }
    Ok(domain)
}

/// A list of domains: each read by [`parse`], duplicates dropped, at most
/// [`MAX_DOMAINS`] (checked before reading any).
pub fn parse_list<S: AsRef<str>>(inputs: &[S]) -> Result<Vec<String>, ApiError> {
    if inputs.len() > MAX_DOMAINS {
        return Err(ApiError::new(
            Code::InvalidDomain,
            format!("Name at most {MAX_DOMAINS} domains."),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let domain = parse(input.as_ref())?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

/// What a verified domain does for people with a verified address there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing: the domain is only claimed.
    Manual,
    /// Their dashboard offers to ask to join.
    Suggest,
    /// They find a pending invitation.
    AutoInvite,
    /// They become members when they sign up or verify the address (and
    /// find a pending invitation if they had an account already).
    AutoJoin,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::Manual,
        Mode::Suggest,
        Mode::AutoInvite,
        Mode::AutoJoin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Manual => "manual",
            Mode::Suggest => "suggest",
            Mode::AutoInvite => "auto_invite",
            Mode::AutoJoin => "auto_join",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == input.trim())
            .ok_or_else(|| {
                ApiError::new(
                    Code::InvalidRequestBody,
                    "`mode` is one of manual, suggest, auto_invite or auto_join.",
                )
            })
    }

    /// Whether the domain's people get an organization invitation.
    pub fn invites(self) -> bool {
        matches!(self, Mode::AutoInvite | Mode::AutoJoin)
    }
}

/// How an organization proves that a domain is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A TXT record at [`challenge_name`] holding [`challenge_value`].
    Dns,
    /// A 6-digit code sent to an address at the domain.
    Email,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Dns => "dns",
            Method::Email => "email",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ApiError> {
        match input.trim() {
            "dns" => Ok(Method::Dns),
            "email" => Ok(Method::Email),
            _ => Err(ApiError::new(
                Code::InvalidRequestBody,
                "`method` is either dns or email.",
            )),
        }
    }
}

/// The name of the TXT record that proves `domain`.
pub fn challenge_name(domain: &str) -> String {
    format!("_gatehouse-challenge.{domain}")
}

/// The value that record holds for one domain claim.
pub fn challenge_value(token: &str) -> String {
    format!("gatehouse-verification={token}")
}

/// Whether any of a TXT lookup's strings is the expected value (spaces
/// around it forgiven: DNS panels add them).
pub fn challenge_found<S: AsRef<str>>(records: &[S], expected: &str) -> bool {
    records.iter().any(|r| r.as_ref().trim() == expected)
}

/// How long an emailed domain code works, and how many wrong tries void it.
pub const CODE_MINUTES: i64 = 15;
pub const CODE_TRIES: i64 = 5;

/// A code as people type it (`123 456`, `123-456`): its six digits.
pub fn parse_code(input: &str) -> Result<String, ApiError> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(ApiError::new(
            Code::InvalidCode,
            "The code is the 6 digits from the email.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn domains_read_as_people_type_them() {
        for typed in ["acme.io", "ACME.io", " @acme.io ", "acme.io."] {
            assert_eq!(parse(typed).unwrap(), "acme.io", "{typed:?}");
        }
        assert_eq!(
            parse("mail.eu-west.acme.co.uk").unwrap(),
            "mail.eu-west.acme.co.uk"
        );
        for bad in [
            "",
            "acme",
            "acme..io",
            "-acme.io",
            "acme-.io",
            "ac me.io",
            "a@b.io",
            "1.2.3.4",
            "acme.io/x",
            "ácme.io",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code, "INVALID_DOMAIN", "{bad:?}");
        }
        assert_eq!(
            parse_list(&["acme.io", "Acme.IO", "b.io"]).unwrap(),
            ["acme.io", "b.io"]
        );
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.io")).collect();
        assert!(parse_list(&many).is_err());
    }

    #[test]
    fn an_address_matches_its_domain_exactly() {
        let domains = ["acme.io".to_owned()];
        assert!(allows(&domains, "ann@acme.io"));
        assert!(allows(&domains, "ann@ACME.IO"));
        assert!(!allows(&domains, "ann@eu.acme.io"));
        assert!(!allows(&domains, "ann@acme.io.evil.com"));
        assert!(!allows(&domains, "acme.io@evil.com"));
        assert!(allows(&[], "anyone@anywhere.io"));
    }

    #[test]
    fn modes_and_methods_read_their_words_only() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()).unwrap(), m);
        }
        assert_eq!(Mode::parse(" suggest ").unwrap(), Mode::Suggest);
        for bad in ["", "auto-join", "AutoJoin", "invite"] {
            assert!(Mode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Mode::AutoInvite.invites() && Mode::AutoJoin.invites());
        assert!(!Mode::Manual.invites() && !Mode::Suggest.invites());
        assert_eq!(Method::parse("dns").unwrap(), Method::Dns);
        assert_eq!(Method::parse("email").unwrap(), Method::Email);
        assert!(Method::parse("http").is_err());
    }

    #[test]
    fn the_challenge_is_one_exact_record() {
        assert_eq!(challenge_name("acme.io"), "_gatehouse-challenge.acme.io");
        let want = challenge_value("abc");
        assert!(challenge_found(
            &["v=spf1 -all", " gatehouse-verification=abc "],
            &want
        ));
        assert!(!challenge_found(&["gatehouse-verification=abcd"], &want));
        assert!(!challenge_found(&["gatehouse-verification=ab"], &want));
        assert!(!challenge_found::<&str>(&[], &want));
    }

    #[test]
    fn codes_are_six_digits_as_typed() {
        for typed in ["123456", "123 456", " 123-456 "] {
            assert_eq!(parse_code(typed).unwrap(), "123456", "{typed:?}");
        }
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(parse_code(bad).unwrap_err().code, "INVALID_CODE", "{bad:?}");
        }
    }

    proptest! {
        /// Whatever is typed, what is accepted parses back to itself.
        #[test]
        fn parsed_domains_are_stable(s in "[a-zA-Z0-9.@ -]{0,30}") {
            if let Ok(d) = parse(&s) {
                prop_assert_eq!(parse(&d).unwrap(), d);
            }
        }
    }
}
