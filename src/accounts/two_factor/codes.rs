//! The second factor's rules, pure (the time is passed in): RFC 6238 TOTP
//! codes as authenticator apps make them (SHA-1, 6 digits, 30 seconds),
//! one step of clock skew either way, never a step twice; and backup codes.

use rand::Rng;
use totp_rs::{Algorithm, TOTP};

pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
pub const BACKUP_CODES: usize = 10;
/// Two groups of five: `k3x9q-7mz2w`.
const BACKUP_HALF: usize = 5;
/// No `0`/`o`, `1`/`l`/`i`: a code read off paper is typed right.
const BACKUP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// One account's authenticator: its secret, and how apps label it.
pub struct Authenticator(TOTP);

impl Authenticator {
    /// None for a secret shorter than 128 bits (never one of ours).
    pub fn new(secret: Vec<u8>, issuer: &str, account: &str) -> Option<Self> {
        // A colon separates issuer and account in the app's label.
        let (issuer, account) = (issuer.replace(':', " "), account.replace(':', " "));
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS,
            secret,
            Some(issuer),
            account,
        )
        .ok()
        .map(Self)
    }

    /// A fresh random secret.
    pub fn new_secret() -> Vec<u8> {
        let mut secret = vec![0u8; SECRET_BYTES];
        rand::thread_rng().fill(&mut secret[..]);
        secret
    }

    /// The `otpauth://totp/…` URI an app scans from the QR code.
    pub fn uri(&self) -> String {
        self.0.get_url()
    }

    /// The secret as apps take it typed in (base32).
    pub fn key(&self) -> String {
        self.0.get_secret_base32()
    }

    /// The code an app shows at `secs` (Unix time).
    pub fn code_at(&self, secs: u64) -> String {
        self.0.generate(secs)
    }

    /// The time step whose code `code` is, within one step of `now_secs`
    /// either way (a phone's clock is rarely exact), or None.
    pub fn step_of(&self, code: &str, now_secs: u64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = now_secs / STEP_SECONDS;
        [now.saturating_sub(1), now, now + 1]
            .into_iter()
            .find(|step| self.0.check(&code, step * STEP_SECONDS))
            .and_then(|step| i64::try_from(step).ok())
    }
}

/// Whether a code of `step` may be accepted after one of `last_step`: no
/// code is accepted twice, nor one older than the newest accepted.
pub fn fresh(step: i64, last_step: i64) -> bool {
    step > last_step
}

/// Ten new backup codes, as the person is shown them.
pub fn new_backup_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    let mut half = || -> String {
        (0..BACKUP_HALF)
            .map(|_| char::from(BACKUP_ALPHABET[rng.gen_range(0..BACKUP_ALPHABET.len())]))
            .collect()
    };
    (0..BACKUP_CODES)
        .map(|_| format!("{}-{}", half(), half()))
        .collect()
}

/// A backup code as typed, in the one form that is hashed: lower case,
/// without the dash or spaces. None when it cannot be one.
pub fn normalized_backup(code: &str) -> Option<String> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == 2 * BACKUP_HALF && code.bytes().all(|b| BACKUP_ALPHABET.contains(&b)))
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn app() -> Authenticator {
        Authenticator::new(
            b"12345678901234567890".to_vec(),
            "Gatehouse (x)",
            "ada@example.com",
        )
        .unwrap()
    }

    #[test]
    fn codes_match_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, the last six digits.
        let app = app();
        for (secs, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(app.code_at(secs), code);
        }
    }

    #[test]
    fn a_step_of_skew_either_way_and_no_more() {
        let app = app();
        let now = 1_111_111_109;
        let step = (now / STEP_SECONDS) as i64;
        assert_eq!(app.step_of(&app.code_at(now), now), Some(step));
        assert_eq!(app.step_of(&app.code_at(now - 30), now), Some(step - 1));
        assert_eq!(app.step_of(&app.code_at(now + 30), now), Some(step + 1));
        assert_eq!(app.step_of(&app.code_at(now - 60), now), None);
        assert_eq!(app.step_of(&app.code_at(now + 60), now), None);
        let spaced = format!("{} {}", &app.code_at(now)[..3], &app.code_at(now)[3..]);
        assert_eq!(app.step_of(&spaced, now), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "12345a"] {
            assert_eq!(app.step_of(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn the_uri_is_what_apps_scan() {
        let uri = app().uri();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Gatehouse"), "{uri}");
        assert!(
            Authenticator::new(vec![1; 8], "x", "y").is_none(),
            "too short"
        );
    }

    #[test]
    fn backup_codes_are_ten_distinct_and_read_back() {
        let codes = new_backup_codes();
        assert_eq!(codes.len(), BACKUP_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), BACKUP_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            let typed = format!(" {} ", code.to_uppercase());
            assert_eq!(normalized_backup(&typed), Some(code.replace('-', "")));
        }
        assert_eq!(normalized_backup("short"), None);
        assert_eq!(normalized_backup("abcde-fghi0"), None, "no zero");
    }

    proptest! {
        /// A code is accepted for a step only once: never again, never
        /// an older one.
        #[test]
        fn no_step_twice(last in 0i64..1_000_000, step in 0i64..1_000_000) {
            prop_assert_eq!(fresh(step, last), step > last);
            prop_assert!(!fresh(last, last));
        }

        /// The code of any moment is accepted at that moment.
        #[test]
        fn an_apps_code_is_accepted_when_shown(secs in 30u64..4_000_000_000) {
            let app = app();
            prop_assert_eq!(app.step_of(&app.code_at(secs), secs), Some((secs / STEP_SECONDS) as i64));
        }
    }
}
