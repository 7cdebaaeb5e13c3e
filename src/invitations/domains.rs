//! Email domains, as invitations limit who may use them: a join link's
//! allowed domains, read as people type them and matched against an
//! address exactly (a subdomain is another domain: `eu.acme.io` is not
//! `acme.io`, as its mail may be run by someone else).

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
