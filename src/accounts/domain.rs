//! Account values that are valid by construction. These run in the browser
//! too, so a form can point at a bad field before anything is sent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// The hint shown under every new-password field.
pub const PASSWORD_HINT: &str =
    "At least 8 characters. A long phrase is easier to remember than symbols.";
const EMAIL_MAX_LEN: usize = 254;
const NAME_MAX_CHARS: usize = 100;

/// A syntactically valid email address, stored and compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let email = input.trim().to_lowercase();
        let invalid = || {
            ApiError::new(
                Code::InvalidEmail,
                format!("`{}` is not a valid email address.", input.trim()),
            )
        };
        if email.is_empty() {
            return Err(ApiError::new(Code::InvalidEmail, "Enter an email address."));
        }
        if email.len() > EMAIL_MAX_LEN || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        // An ASCII local part: a Unicode one would let two addresses look
        // alike (Cyrillic "а" for Latin "a") and few mail servers take it.
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.chars().all(|c| c.is_ascii_graphic())
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains(['"', '(', ')', ',', ':', ';', '<', '>', '[', '\\', ']', '@']);
        if !local_ok {
            return Err(invalid());
        }
        let domain = ascii_domain(domain).ok_or_else(invalid)?;
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if domain_ok {
            Ok(Self(format!("{local}@{domain}")))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The domain in its ASCII (IDNA, "xn--") form, so that one mailbox has one
/// spelling: `bücher.example` and `xn--bcher-kva.example` are one account.
/// The browser leaves this to the server (the IDNA tables would weigh on
/// every page's WebAssembly) and checks only the shape.
#[cfg(feature = "ssr")]
fn ascii_domain(domain: &str) -> Option<String> {
    idna::domain_to_ascii_strict(domain).ok()
}

#[cfg(not(feature = "ssr"))]
fn ascii_domain(domain: &str) -> Option<String> {
    Some(domain.to_owned())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ApiError;
    fn try_from(s: String) -> Result<Self, ApiError> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// A password that meets the length rules (NIST 800-63B: length only, no
/// composition rules). Deliberately neither `Serialize` nor `Debug`-printable.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            Err(ApiError::new(
                Code::PasswordTooShort,
                format!("Use at least {PASSWORD_MIN_CHARS} characters for your password."),
            ))
        } else if chars > PASSWORD_MAX_CHARS {
            Err(ApiError::new(
                Code::PasswordTooLong,
                format!("Use at most {PASSWORD_MAX_CHARS} characters for your password."),
            ))
        } else {
            Ok(Self(input.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The password for hashing (`server::crypto::hash_password`), which
    /// knows secrets, not the rules a password meets.
    #[cfg(feature = "ssr")]
    pub fn into_secret(self) -> secrecy::SecretString {
        self.0.into()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A person's display name: trimmed, non-empty, at most 100 characters, and
/// without control characters (it ends up in email subjects and headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(ApiError::new(Code::InvalidName, "Enter your name."));
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(ApiError::new(
                Code::InvalidName,
                format!("Use at most {NAME_MAX_CHARS} characters for the name."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ApiError::new(
                Code::InvalidName,
                "The name cannot contain line breaks or control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = ApiError;
    fn try_from(s: String) -> Result<Self, ApiError> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_emails_are_lowercased_and_trimmed() {
        for (input, stored) in [
            ("Ada@Example.COM", "ada@example.com"),
            ("  ada@example.com\t", "ada@example.com"),
            ("a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"),
            ("o'neil@example.ie", "o'neil@example.ie"),
            ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
            // One mailbox, one spelling: the domain is stored as IDNA ASCII.
            ("x@Bücher.example", "x@xn--bcher-kva.example"),
            ("x@bücher.example", "x@xn--bcher-kva.example"),
        ] {
            assert_eq!(Email::parse(input).unwrap().as_str(), stored, "{input}");
        }
    }

    #[test]
    fn invalid_emails_are_refused_with_a_code() {
        for input in [
            "",
            "   ",
            "plain",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@example-.com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@example.com\r\nBcc: x@y.z",
            "<ada>@example.com",
            "ada\"@example.com",
            // Unicode local parts can pass for ASCII ones (Cyrillic a).
            "\u{0430}da@example.com",
            "jörg@example.com",
            "ada@exa_mple.com",
        ] {
            let err = Email::parse(input).unwrap_err();
            assert_eq!(err.code, "INVALID_EMAIL", "{input:?}");
            assert_eq!(err.status(), 400);
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_length_bounds() {
        assert_eq!(
            Password::parse("1234567").unwrap_err().code,
            "PASSWORD_TOO_SHORT"
        );
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(129)).unwrap_err().code,
            "PASSWORD_TOO_LONG"
        );
        // Characters, not bytes: eight accented letters are eight characters.
        assert!(Password::parse("éééééééé").is_ok());
        // No composition rules.
        assert!(Password::parse("aaaaaaaa").is_ok());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("hunter22-secret").unwrap();
        assert!(!format!("{p:?}").contains("hunter"));
    }

    #[test]
    fn names() {
        assert_eq!(
            PersonName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert_eq!(PersonName::parse("").unwrap_err().code, "INVALID_NAME");
        assert_eq!(
            PersonName::parse("Ada\r\nBcc: x").unwrap_err().code,
            "INVALID_NAME"
        );
        assert!(PersonName::parse(&"n".repeat(101)).is_err());
    }

    proptest! {
        #[test]
        fn email_parse_is_idempotent(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-zA-Z0-9]{1,10}\\.[a-z]{2,6}") {
            if let Ok(email) = Email::parse(&format!("{local}@{domain}")) {
                let again = Email::parse(email.as_str()).unwrap();
                prop_assert_eq!(&again, &email);
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
            }
        }

        #[test]
        fn password_accepts_exactly_8_to_128_chars(s in "\\PC{0,140}") {
            let n = s.chars().count();
            prop_assert_eq!(Password::parse(&s).is_ok(), (8..=128).contains(&n));
        }

        #[test]
        fn parsed_names_have_no_control_chars(s in "\\PC{0,120}|.*[\r\n].*") {
            if let Ok(name) = PersonName::parse(&s) {
                prop_assert!(!name.as_str().chars().any(char::is_control));
                prop_assert!(!name.as_str().is_empty());
            }
        }
    }
}
