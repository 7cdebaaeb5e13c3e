//! Passwords and tokens as request bodies carry them (SPEC §8: no secret in
//! a log line). Request types derive `Debug` (server functions require it),
//! and a derived `Debug` would print a plain `String` field; this one prints
//! `[REDACTED]`, and the text is wiped from memory when dropped.
//!
//! Not `secrecy::SecretString`: a server function's body must also
//! serialize, in the browser that sends it, and secrecy refuses `Serialize`
//! for strings by design.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SecretText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretText {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for SecretText {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What an invitation's secret looks like. It lives with the secret values
/// because the settings (`invitations.default_kind`) name it too, and they
/// sit below the invitations core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// A long token inside a link; unguessable.
    Link,
    /// Eight characters to type; about 40 bits, so lookups are rate limited.
    Code,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Link => "link",
            SecretKind::Code => "code",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        if s == "code" {
            SecretKind::Code
        } else {
            SecretKind::Link
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_text() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Body {
            password: Option<SecretText>,
        }
        let body = Body {
            password: Some("hunter2-correct-horse".into()),
        };
        let shown = format!("{body:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
        let json: SecretText = serde_json::from_str("\"tok\"").unwrap();
        assert_eq!(json.expose(), "tok");
        assert_eq!(serde_json::to_string(&json).unwrap(), "\"tok\"");
    }
}
