//! An invitation's secret, for every kind: a link token or a short code,
//! read as people type it, and (on the server) drawn and hashed. Shared
//! with the browser, so the code form normalizes what people type before
//! anything is sent.

use crate::error::{ApiError, Code};
pub use crate::secret::SecretKind;

/// Crockford's base32 without the letters people confuse (I, L, O, U).
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LEN: usize = 8;
/// Link tokens are 32 random bytes in unpadded base64url.
const LINK_TOKEN_LEN: usize = 43;

/// An invitation secret as someone presented it, normalized: a link token,
/// or a code in upper case without separators. Not `Debug`: whoever holds
/// it may use the invitation, so no log line may print it.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    Link(String),
    Code(String),
}

impl Secret {
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let input = input.trim();
        if input.len() == LINK_TOKEN_LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(Secret::Link(input.to_owned()));
        }
        parse_code(input).map(Secret::Code)
    }

    pub fn kind(&self) -> SecretKind {
        match self {
            Secret::Link(_) => SecretKind::Link,
            Secret::Code(_) => SecretKind::Code,
        }
    }

    /// The form that is hashed and stored.
    pub fn as_str(&self) -> &str {
        match self {
            Secret::Link(s) | Secret::Code(s) => s,
        }
    }

    /// Whether using an invitation by this secret proves its addressee's
    /// mailbox (SPEC §3 "Accounts" 2): a link (long, sent only there) does;
    /// a short code, which can be guessed, does not.
    pub fn proves_mailbox(&self) -> bool {
        self.kind() == SecretKind::Link
    }
}

/// Reads a code as people type it: any case, with spaces or a dash between
/// the halves. Characters outside the alphabet are refused, not guessed at:
/// an `O` could be a zero or a typo, and a wrong guess would cost one of
/// the few lookups allowed.
pub fn parse_code(input: &str) -> Result<String, ApiError> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.chars().count() != CODE_LEN {
        return Err(ApiError::new(
            Code::InvalidCode,
            "An invitation code has 8 characters, like 7K3M-Q9XD.",
        ));
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !CODE_ALPHABET.contains(&(*c as u8)) || !c.is_ascii())
    {
        return Err(ApiError::new(
            Code::InvalidCode,
            format!(
                "Invitation codes never contain `{bad}`. They use the digits 0–9 and the letters A–Z without I, L, O and U."
            ),
        ));
    }
    Ok(code)
}

/// A code from 40 random bits (5 bytes).
pub fn code_from_bytes(bytes: [u8; 5]) -> String {
    let mut bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut out = [0u8; CODE_LEN];
    for slot in out.iter_mut().rev() {
        *slot = CODE_ALPHABET[(bits & 31) as usize];
        bits >>= 5;
    }
    String::from_utf8(out.to_vec()).expect("the alphabet is ASCII")
}

/// `7K3MQ9XD` as `7K3M-Q9XD`, easier to read out and type.
pub fn display_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(a), Some(b)) if code.len() == CODE_LEN => format!("{a}-{b}"),
        _ => code.to_owned(),
    }
}

#[cfg(feature = "ssr")]
pub use self::server::*;

#[cfg(feature = "ssr")]
mod server {
    use rand::{rngs::OsRng, RngCore};

    use super::{code_from_bytes, SecretKind};
    use crate::server::{crypto, secret_key::SecretKey};

    /// A new secret of this kind.
    pub fn draw(kind: SecretKind) -> String {
        match kind {
            SecretKind::Link => crypto::new_token(),
            SecretKind::Code => {
                let mut bytes = [0u8; 5];
                OsRng.fill_bytes(&mut bytes);
                code_from_bytes(bytes)
            }
        }
    }

    /// What the database keeps of an invitation secret. A link token (256
    /// bits) is safe under plain SHA-256; a code (40 bits) could be found
    /// from a plain hash by trying them all, so it is an HMAC under the
    /// instance key, which is not in the database.
    pub struct Hashes {
        pub current: String,
        /// Codes made before keyed hashing were stored as plain SHA-256;
        /// they are still found until they expire (at most
        /// `invitations.max_expiry`).
        pub legacy: Option<String>,
    }

    impl Hashes {
        pub fn of(key: &SecretKey, kind: SecretKind, secret: &str) -> Self {
            match kind {
                SecretKind::Link => Self::of_link(secret),
                SecretKind::Code => Self {
                    current: key.hash_code(secret),
                    legacy: Some(crypto::hash_token(secret)),
                },
            }
        }

        /// A link token's hash, the only kind every invitation may carry.
        pub fn of_link(secret: &str) -> Self {
            Self {
                current: crypto::hash_token(secret),
                legacy: None,
            }
        }

        /// The hash to look up besides `current` (itself when none).
        pub fn other(&self) -> &str {
            self.legacy.as_deref().unwrap_or(&self.current)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_read_in_any_case_with_separators() {
        for typed in ["7K3MQ9XD", "7k3m-q9xd", " 7K3M Q9XD ", "7k3mq9xd"] {
            assert!(
                Secret::parse(typed).unwrap() == Secret::Code("7K3MQ9XD".into()),
                "{typed:?}"
            );
        }
        assert_eq!(display_code("7K3MQ9XD"), "7K3M-Q9XD");
    }

    #[test]
    fn ambiguous_or_foreign_characters_are_refused() {
        for bad in [
            "7K3MQ9XO",
            "IK3MQ9XD",
            "LK3MQ9XD",
            "UK3MQ9XD",
            "7K3MQ9X!",
            "7K3MQ9XÉ",
            "7K3MQ9X",
            "7K3MQ9XDD",
            "",
        ] {
            let err = Secret::parse(bad).err().unwrap();
            assert_eq!(err.code, "INVALID_CODE", "{bad:?}");
        }
    }

    #[test]
    fn link_tokens_are_recognized_and_prove_the_mailbox() {
        let token = "a".repeat(43);
        let secret = Secret::parse(&token).unwrap();
        assert_eq!(secret.kind(), SecretKind::Link);
        assert!(secret.proves_mailbox());
        assert!(!Secret::parse("7K3MQ9XD").unwrap().proves_mailbox());
        let token = "Ab-_".repeat(10) + "xyz";
        assert!(Secret::parse(&token).unwrap() == Secret::Link(token.clone()));
        assert!(Secret::parse(&"a".repeat(42)).is_err());
        assert!(Secret::parse(&format!("{}=", "a".repeat(42))).is_err());
    }

    proptest! {
        #[test]
        fn every_generated_code_parses_back(bytes in any::<[u8; 5]>()) {
            let code = code_from_bytes(bytes);
            prop_assert_eq!(code.len(), CODE_LEN);
            prop_assert_eq!(parse_code(&code.to_lowercase()).unwrap(), code.clone());
            prop_assert_eq!(parse_code(&display_code(&code)).unwrap(), code);
        }

        #[test]
        fn distinct_bits_give_distinct_codes(a in any::<[u8; 5]>(), b in any::<[u8; 5]>()) {
            prop_assume!(a != b);
            prop_assert_ne!(code_from_bytes(a), code_from_bytes(b));
        }
    }
}
