//! Secrets and password hashing. Secrets are 256 random bits from the OS
//! CSPRNG; only their SHA-256 is ever stored.

use std::sync::{LazyLock, Mutex, OnceLock};

use anyhow::Context;
use argon2::{
    password_hash::{self, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

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
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters")
}

/// The most memory one verification may ask for. Hashes are ours, so this
/// only guards against a stored hash with absurd parameters.
const MAX_BLOCKS: usize = 256 * 1024;

/// Password hashing runs at most one hash per core at a time, each in a
/// memory area that is allocated once and then reused. Allocating 19 MiB per
/// hash on whichever blocking thread ran it let the allocator keep hundreds
/// of megabytes after a burst of sign-ins; with reuse the hashing memory is
/// fixed at (cores × 19 MiB) however many requests arrive. A server that has
/// hashed nothing since it started (the dummy hash aside) holds none.
struct Hasher {
    /// One permit per core: more concurrent hashes would only share the CPU.
    permits: tokio::sync::Semaphore,
    /// Memory areas not in use right now; there are never more than permits.
    idle: Mutex<Vec<Vec<Block>>>,
}

static HASHER: LazyLock<Hasher> = LazyLock::new(|| Hasher {
    permits: tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    ),
    idle: Mutex::new(Vec::new()),
});

impl Hasher {
    /// Runs `work` on the blocking pool with a memory area of its own.
    async fn run<T: Send + 'static>(
        &'static self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("The password hashing limiter closed")?;
        let mut memory = self.take();
        let (result, memory) = tokio::task::spawn_blocking(move || {
            let result = work(&mut memory);
            (result, memory)
        })
        .await
        .context("The password hashing task failed")?;
        self.give_back(memory);
        Ok(result)
    }

    fn take(&self) -> Vec<Block> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give_back(&self, memory: Vec<Block>) {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(memory);
    }
}

/// Gives the hashing memory no hash is using back: the next hash allocates
/// its area again.
fn release_idle_memory() {
    HASHER
        .idle
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clear();
    // mimalloc, the server's allocator (main.rs), would otherwise return
    // the freed areas to the system lazily, on an allocation some time
    // later, which an idle server never makes: 19 MiB stayed resident.
    // SAFETY: `mi_collect` takes no pointers and may run on any thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// argon2id of `password` under `params`, computed in `memory` (grown to
/// the size the parameters need, never shrunk).
fn argon2_into(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> argon2::Result<()> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password,
        salt,
        out,
        &mut memory[..blocks],
    )
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), the format
/// `argon2`'s own `hash_password` writes.
fn hash_with(password: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let params = params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("Failed to read a fresh salt: {e}"))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2_into(&params, password, salt_raw, out, memory).map_err(password_hash::Error::from)
    })
    .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("Failed to encode argon2 parameters: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// True when `candidate` hashes to the stored PHC string. Parameters come
/// from the string, so hashes made under other settings still verify.
fn verify_with(phc: &str, candidate: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<bool> {
    let hash = PasswordHash::new(phc)
        .map_err(|e| anyhow::anyhow!("Stored password hash is malformed: {e}"))?;
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        anyhow::bail!("Stored password hash has no salt or output");
    };
    if hash.algorithm != Algorithm::Argon2id.ident() {
        anyhow::bail!("Stored password hash is not argon2id");
    }
    // `argon2_into` computes version 0x13 only; an older version would
    // otherwise read as a wrong password instead of a bad hash.
    if hash.version.is_some_and(|v| v != u32::from(Version::V0x13)) {
        anyhow::bail!("Stored password hash is not argon2 version 19");
    }
    let params = Params::try_from(&hash)
        .map_err(|e| anyhow::anyhow!("Stored password hash has bad parameters: {e}"))?;
    if params.block_count() > MAX_BLOCKS {
        anyhow::bail!("Stored password hash asks for more memory than allowed");
    }
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("Stored password hash has a bad salt: {e}"))?;
    let computed = Output::init_with(expected.len(), |out| {
        argon2_into(&params, candidate, salt_raw, out, memory).map_err(password_hash::Error::from)
    })
    .map_err(|e| anyhow::anyhow!("Failed to verify a password: {e}"))?;
    // `Output`'s equality is constant-time.
    Ok(computed == expected)
}

/// Verifying against this when the email is unknown makes that answer take
/// as long as a wrong password does.
static DUMMY_HASH: OnceLock<String> = OnceLock::new();

/// Builds the dummy hash now, so the first unknown-email sign-in does not
/// pay for it and stand out by its timing.
pub async fn warm_up() -> anyhow::Result<()> {
    if DUMMY_HASH.get().is_none() {
        let phc = HASHER
            .run(|memory| hash_with(b"gatehouse-dummy-password", memory))
            .await??;
        let _ = DUMMY_HASH.set(phc);
        // Nobody is signing in yet: an idle server keeps no 19 MiB area.
        release_idle_memory();
    }
    Ok(())
}

/// Hashes a password on the blocking pool: argon2 takes tens of
/// milliseconds of CPU, which must not stall the async executor.
pub async fn hash_password(password: SecretString) -> anyhow::Result<String> {
    HASHER
        .run(move |memory| hash_with(password.expose_secret().as_bytes(), memory))
        .await?
}

/// Checks a password against a stored PHC string, or against a dummy hash
/// when there is none, so both paths cost the same.
pub async fn verify_password(stored: Option<String>, candidate: String) -> anyhow::Result<bool> {
    warm_up().await?;
    HASHER
        .run(move |memory| {
            let known = stored.is_some();
            let phc = match stored {
                Some(phc) => phc,
                None => DUMMY_HASH.get().cloned().unwrap_or_default(),
            };
            let matches = verify_with(&phc, candidate.as_bytes(), memory)?;
            Ok(known && matches)
        })
        .await?
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
        let hash = hash_password("correct horse".into()).await.unwrap();
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

    /// Hashes written before memory reuse (by `argon2`'s own hasher) still
    /// verify, and ours verify with `argon2`'s own verifier.
    #[test]
    fn compatible_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2.hash_password(b"pw one", &salt).unwrap().to_string();
        let mut memory = Vec::new();
        assert!(verify_with(&theirs, b"pw one", &mut memory).unwrap());
        assert!(!verify_with(&theirs, b"pw two", &mut memory).unwrap());

        let ours = hash_with(b"pw one", &mut memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2.verify_password(b"pw one", &parsed).is_ok());
        assert!(argon2.verify_password(b"pw two", &parsed).is_err());

        // Other parameters (a smaller, older hash) verify in the same memory.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let old = small.hash_password(b"pw one", &salt).unwrap().to_string();
        assert!(verify_with(&old, b"pw one", &mut memory).unwrap());
        assert_eq!(
            memory.len(),
            params().block_count(),
            "memory is reused, not regrown"
        );
    }

    #[test]
    fn refuses_hashes_it_should_not_run() {
        let mut memory = Vec::new();
        assert!(verify_with("not a hash", b"x", &mut memory).is_err());
        let argon2i =
            "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(verify_with(argon2i, b"x", &mut memory).is_err());
        let v16 = "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(verify_with(v16, b"x", &mut memory).is_err());
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(verify_with(huge, b"x", &mut memory).is_err());
        assert!(memory.is_empty(), "nothing allocated for refused hashes");
    }
}
