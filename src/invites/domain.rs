//! Role invitation values, valid by construction, shared with the browser so
//! the code form can normalize what people type before anything is sent.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

/// Crockford's base32 without the letters people confuse (I, L, O, U).
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LEN: usize = 8;
/// Link tokens are 32 random bytes in unpadded base64url.
const LINK_TOKEN_LEN: usize = 43;

/// What an invitation's secret looks like.
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

/// An invitation secret as someone presented it, normalized: a link token,
/// or a code in upper case without separators.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// An invitation's status as people see it; `expired` is worked out when
/// read, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InviteStatus {
    Pending,
    Used,
    Canceled,
    Rejected,
    Expired,
}

impl InviteStatus {
    pub const ALL: [InviteStatus; 5] = [
        InviteStatus::Pending,
        InviteStatus::Used,
        InviteStatus::Canceled,
        InviteStatus::Rejected,
        InviteStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Pending => "pending",
            InviteStatus::Used => "used",
            InviteStatus::Canceled => "canceled",
            InviteStatus::Rejected => "rejected",
            InviteStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status of a stored invitation at `now`.
    pub fn at(stored: &str, expires_at: i64, uses: i64, max_uses: Option<i64>, now: i64) -> Self {
        match stored {
            "canceled" => InviteStatus::Canceled,
            "rejected" => InviteStatus::Rejected,
            "used" => InviteStatus::Used,
            _ if max_uses.is_some_and(|m| uses >= m) => InviteStatus::Used,
            _ if expires_at <= now => InviteStatus::Expired,
            _ => InviteStatus::Pending,
        }
    }

    /// Why an invitation in this status cannot be used, in words.
    pub fn refusal(self) -> Option<ApiError> {
        let (code, message) = match self {
            InviteStatus::Pending => return None,
            InviteStatus::Used => (
                Code::InvitationUsed,
                "This invitation has already been used.",
            ),
            InviteStatus::Canceled => (Code::InvitationCanceled, "This invitation was canceled."),
            InviteStatus::Rejected => (Code::InvitationRejected, "This invitation was declined."),
            InviteStatus::Expired => (Code::InvitationExpired, "This invitation has expired."),
        };
        Some(ApiError::new(code, message))
    }
}

/// "expires in 2 days", "expired 3 hours ago": how SPEC §4 wants times read.
/// Worked out by the server and sent as text, so the page the server renders
/// and the one the browser hydrates say the same.
pub fn expiry_words(expires_at_ms: i64, now_ms: i64) -> String {
    let delta = expires_at_ms - now_ms;
    let span = delta.unsigned_abs() / 1000;
    let (n, unit) = match span {
        s if s >= 2 * 86_400 => (s / 86_400, "day"),
        s if s >= 2 * 3_600 => (s / 3_600, "hour"),
        s if s >= 120 => (s / 60, "minute"),
        s if s >= 60 => (1, "minute"),
        s => (s.max(1), "second"),
    };
    let amount = format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if delta > 0 {
        format!("expires in {amount}")
    } else {
        format!("expired {amount} ago")
    }
}

/// What the preview page offers next: exactly one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NextStep {
    /// Nobody is signed in and the invitee has no account (or it is public).
    SignUp,
    /// Nobody is signed in and the invitee has an account.
    SignIn,
    /// Signed in as someone who may accept.
    Accept,
    /// Signed in with an email the private invitation is not for.
    SwitchAccount,
    /// Signed in as the addressee of a private invitation, whose email is
    /// not verified yet (SPEC §3 "Accounts" 2): verify it first.
    VerifyEmail,
    /// The signed-in person already holds this role or a higher one.
    AlreadyHasRole,
    /// Expired, used up, canceled, declined, or its inviter lost the right.
    Unusable,
}

/// Picks the step. `addressee` is the private invitation's email (None for
/// public ones), `has_account` whether that email has an account,
/// `viewer_email` the signed-in person's email, and `viewer_outranks`
/// whether their role already ranks at or above the granted one, and
/// `viewer_verified` whether their email is verified.
pub fn next_step(
    usable: bool,
    addressee: Option<&str>,
    has_account: bool,
    viewer_email: Option<&str>,
    viewer_outranks: bool,
    viewer_verified: bool,
) -> NextStep {
    if !usable {
        return NextStep::Unusable;
    }
    match (viewer_email, addressee) {
        (Some(viewer), Some(to)) if viewer != to => NextStep::SwitchAccount,
        (Some(_), _) if viewer_outranks => NextStep::AlreadyHasRole,
        (Some(_), Some(_)) if !viewer_verified => NextStep::VerifyEmail,
        (Some(_), _) => NextStep::Accept,
        (None, Some(_)) if has_account => NextStep::SignIn,
        (None, _) => NextStep::SignUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_read_in_any_case_with_separators() {
        for typed in ["7K3MQ9XD", "7k3m-q9xd", " 7K3M Q9XD ", "7k3mq9xd"] {
            assert_eq!(
                Secret::parse(typed).unwrap(),
                Secret::Code("7K3MQ9XD".into()),
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
            let err = Secret::parse(bad).unwrap_err();
            assert_eq!(err.code, "INVALID_CODE", "{bad:?}");
        }
    }

    #[test]
    fn link_tokens_are_recognized() {
        let token = "a".repeat(43);
        assert_eq!(Secret::parse(&token).unwrap().kind(), SecretKind::Link);
        let token = "Ab-_".repeat(10) + "xyz";
        assert_eq!(Secret::parse(&token).unwrap(), Secret::Link(token.clone()));
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

    #[test]
    fn status_is_worked_out_at_read_time() {
        let now = 1_000;
        assert_eq!(
            InviteStatus::at("pending", 2_000, 0, None, now),
            InviteStatus::Pending
        );
        assert_eq!(
            InviteStatus::at("pending", 1_000, 0, None, now),
            InviteStatus::Expired
        );
        assert_eq!(
            InviteStatus::at("pending", 2_000, 2, Some(2), now),
            InviteStatus::Used
        );
        assert_eq!(
            InviteStatus::at("pending", 2_000, 1, Some(2), now),
            InviteStatus::Pending
        );
        assert_eq!(
            InviteStatus::at("used", 2_000, 1, Some(1), now),
            InviteStatus::Used
        );
        // A canceled invitation stays canceled after its expiry.
        assert_eq!(
            InviteStatus::at("canceled", 500, 0, None, now),
            InviteStatus::Canceled
        );
        assert_eq!(
            InviteStatus::at("rejected", 2_000, 0, None, now),
            InviteStatus::Rejected
        );
        for s in InviteStatus::ALL {
            assert_eq!(InviteStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.refusal().is_none(), s == InviteStatus::Pending);
        }
    }

    #[test]
    fn expiry_reads_as_words() {
        let h = 3_600_000;
        assert_eq!(expiry_words(2 * 24 * h, 0), "expires in 2 days");
        assert_eq!(expiry_words(7 * 24 * h + 5, 0), "expires in 7 days");
        assert_eq!(expiry_words(36 * h, 0), "expires in 36 hours");
        assert_eq!(expiry_words(90 * 60_000, 0), "expires in 90 minutes");
        assert_eq!(expiry_words(61_000, 0), "expires in 1 minute");
        assert_eq!(expiry_words(5_000, 0), "expires in 5 seconds");
        assert_eq!(expiry_words(0, 3 * h), "expired 3 hours ago");
        assert_eq!(expiry_words(0, 0), "expired 1 second ago");
    }

    #[test]
    fn exactly_one_next_step() {
        use NextStep::*;
        let cases = [
            // usable, addressee, has_account, viewer, outranks → step
            (false, None, false, Some("a@x.io"), false, Unusable),
            (true, None, false, None, false, SignUp),
            (true, Some("a@x.io"), false, None, false, SignUp),
            (true, Some("a@x.io"), true, None, false, SignIn),
            (true, Some("a@x.io"), true, Some("a@x.io"), false, Accept),
            (
                true,
                Some("u@x.io"),
                true,
                Some("u@x.io"),
                false,
                VerifyEmail,
            ),
            (true, None, false, Some("u@x.io"), false, Accept),
            (
                true,
                Some("a@x.io"),
                true,
                Some("b@x.io"),
                false,
                SwitchAccount,
            ),
            (
                true,
                Some("a@x.io"),
                true,
                Some("b@x.io"),
                true,
                SwitchAccount,
            ),
            (true, None, false, Some("b@x.io"), false, Accept),
            (true, None, false, Some("b@x.io"), true, AlreadyHasRole),
        ];
        for (usable, to, has, viewer, outranks, step) in cases {
            // "u@…" stands for a viewer whose email is not verified.
            let verified = !viewer.is_some_and(|v| v.starts_with("u@"));
            assert_eq!(
                next_step(usable, to, has, viewer, outranks, verified),
                step,
                "{usable} {to:?} {has} {viewer:?} {outranks}"
            );
        }
    }
}
