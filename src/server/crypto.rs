//! Secrets and password hashing. Secrets are 256 random bits from the OS
//! CSPRNG; only their SHA-256 is ever stored.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::accounts::domain::Password;

/// A fresh secret for a cookie or a link: 32 random bytes, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh opaque id: 16 random bytes, base64url (22 characters).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a secret.
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verifying against this when the email is unknown makes that answer take
/// as long as a wrong password does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"gatehouse-dummy-password", &salt)
        .expect("hashing a constant")
        .to_string()
});

/// Each argon2 run holds 19 MiB; a burst of sign-ins must queue here rather
/// than fill the blocking pool (hundreds of threads) and the memory with them.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)
});

/// Builds the dummy hash now, so the first unknown-email sign-in does not
/// pay for it and stand out by its timing.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// Hashes a password on the blocking pool: argon2 takes tens of
/// milliseconds of CPU, which must not stall the async executor.
pub async fn hash_password(password: Password) -> anyhow::Result<String> {
    let _permit = HASHING
        .acquire()
        .await
        .context("The password hashing limiter closed")?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
    })
    .await
    .context("The password hashing task failed")?
}

/// Checks a password against a stored PHC string, or against a dummy hash
/// when there is none, so both paths cost the same.
pub async fn verify_password(stored: Option<String>, candidate: String) -> anyhow::Result<bool> {
    let _permit = HASHING
        .acquire()
        .await
        .context("The password hashing limiter closed")?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let hash = PasswordHash::new(&phc)
            .map_err(|e| anyhow::anyhow!("Stored password hash is malformed: {e}"))?;
        let matches = argon2()
            .verify_password(candidate.as_bytes(), &hash)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .context("The password verification task failed")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(new_id().len(), 22);
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn password_round_trip() {
        let hash = hash_password(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Some(hash.clone()), "correct horse".into())
            .await
            .unwrap());
        assert!(!verify_password(Some(hash), "wrong horse".into())
            .await
            .unwrap());
        assert!(!verify_password(None, "gatehouse-dummy-password".into())
            .await
            .unwrap());
    }
}
