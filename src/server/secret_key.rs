//! The instance's secret key (SPEC §6). It lives outside the database
//! (`GATEHOUSE_SECRET_KEY`, or a key file beside the configuration), so a
//! copy of the database alone gives up no usable secret:
//!
//! - the secret inside a message waiting for delivery is sealed with it
//!   (XChaCha20-Poly1305, an authenticated cipher: a tampered row fails to
//!   open rather than decrypting to something else);
//! - short invitation codes (40 bits, few enough to try them all against a
//!   plain hash) are stored as an HMAC under it.
//!
//! Each use gets its own subkey, derived by HMAC with a fixed label, so the
//! same bytes never serve two purposes.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD},
    Engine,
};
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct SecretKey {
    seal: Arc<XChaCha20Poly1305>,
    code_hash: Arc<[u8; KEY_LEN]>,
    check: Arc<str>,
}

/// Never prints the key, whatever derives `Debug` around it.
impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("must be 32 bytes in base64 (e.g. the output of `openssl rand -base64 32`)")]
    Malformed,
}

impl SecretKey {
    fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let sub = |label: &str| -> [u8; KEY_LEN] {
            let mut mac =
                <HmacSha256 as Mac>::new_from_slice(bytes).expect("HMAC takes any key length");
            mac.update(label.as_bytes());
            mac.finalize().into_bytes().into()
        };
        let check: String = sub("gatehouse/key-check/v1")[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            seal: Arc::new(XChaCha20Poly1305::new(&sub("gatehouse/outbox/v1").into())),
            code_hash: Arc::new(sub("gatehouse/invitation-code/v1")),
            check: check.into(),
        }
    }

    /// Reads a key written in base64 (standard or URL-safe, padded or not).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = [
            STANDARD.decode(text),
            URL_SAFE.decode(text),
            URL_SAFE_NO_PAD.decode(text),
        ]
        .into_iter()
        .find_map(Result::ok)
        .ok_or(KeyError::Malformed)?;
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// A fresh key and its text form.
    pub fn generate() -> (Self, String) {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        (Self::from_bytes(&bytes), STANDARD.encode(bytes))
    }

    /// Reads the key file at `path`, or creates it (mode 0600, never
    /// overwriting one that appears meanwhile) when there is none. Answers
    /// whether it was created, so the start can say so once.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                refuse_loose_permissions(path)?;
                Self::parse(&text)
                    .map(|key| (key, false))
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (key, text) = Self::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(format!("{text}\n").as_bytes())
                            .and_then(|()| file.sync_all())
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        Ok((key, true))
                    }
                    // Another process (a second node starting beside this
                    // one) made it first: use theirs, once it is written.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        for _ in 0..50 {
                            if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
                                break;
                            }
                            std::thread::sleep(std::time::Duration::from_millis(20));
                        }
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(format!("cannot create {}: {e}", path.display())),
                }
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Seals `plaintext`: base64 of a random 192-bit nonce and the
    /// ciphertext with its tag. Random nonces of this size never repeat in
    /// practice, so no counter has to be kept across nodes.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .seal
            .encrypt(&nonce, plaintext)
            .expect("sealing in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens what `seal` made with this same key; None for anything else
    /// (another key, a changed byte).
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.seal
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .ok()
    }

    /// What the database keeps of a short code: HMAC-SHA256 under this key.
    pub fn hash_code(&self, code: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&*self.code_hash).expect("any key length");
        mac.update(code.as_bytes());
        format!("{:x}", mac.finalize().into_bytes())
    }

    /// A short fingerprint of the key, kept in the database so that a node
    /// started with another key is stopped before it seals anything the
    /// others cannot open. An HMAC output: it gives up nothing about the key.
    pub fn check_value(&self) -> &str {
        &self.check
    }
}

/// Records this key's fingerprint in a new database, or stops the start when
/// the database was set up under another key: messages it sealed and codes
/// it hashed would not open, and two nodes with different keys would each
/// break the other's.
pub async fn check(db: &super::db::Db, key: &SecretKey) -> anyhow::Result<()> {
    sqlx::query(
        "insert into instance_settings (name, value) values ('secret_key_check', $1)
         on conflict (name) do nothing",
    )
    .bind(key.check_value())
    .execute(db.pool())
    .await?;
    let stored: String =
        sqlx::query_scalar("select value from instance_settings where name = 'secret_key_check'")
            .fetch_one(db.pool())
            .await?;
    anyhow::ensure!(
        stored == key.check_value(),
        "This database was set up with another secret key. Every node must use the same one \
         (GATEHOUSE_SECRET_KEY, or the same key file), and restoring a backup needs the key \
         that was in use with it."
    );
    Ok(())
}

#[cfg(unix)]
fn refuse_loose_permissions(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} can be read by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_loose_permissions(_: &Path) -> Result<(), String> {
    Ok(())
}

/// Where the key file lives when the configuration names none: beside the
/// configuration file.
pub fn default_key_file(config_path: &Path) -> PathBuf {
    config_path
        .parent()
        .unwrap_or(Path::new(""))
        .join("gatehouse.key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key() {
        let (key, _) = SecretKey::generate();
        let (other, _) = SecretKey::generate();
        let sealed = key.seal(b"https://id.example.com/invite/tok");
        assert!(!sealed.contains("tok"));
        assert_eq!(
            key.open(&sealed).unwrap(),
            b"https://id.example.com/invite/tok"
        );
        assert_eq!(other.open(&sealed), None);
        assert_ne!(key.seal(b"x"), key.seal(b"x"), "a fresh nonce each time");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            key.open(&URL_SAFE_NO_PAD.encode(bytes)),
            None,
            "tampering is caught"
        );
        assert_eq!(key.open("short"), None);
    }

    #[test]
    fn keys_parse_from_base64_and_nothing_else() {
        let (key, text) = SecretKey::generate();
        let again = SecretKey::parse(&format!(" {text}\n")).unwrap();
        assert_eq!(again.hash_code("ABCD1234"), key.hash_code("ABCD1234"));
        assert_eq!(again.check_value(), key.check_value());
        for bad in [
            "",
            "abc",
            &STANDARD.encode([0u8; 31]),
            &STANDARD.encode([0u8; 33]),
        ] {
            assert_eq!(
                SecretKey::parse(bad).unwrap_err(),
                KeyError::Malformed,
                "{bad}"
            );
        }
        assert!(!format!("{key:?}").contains(&text));
    }

    #[test]
    fn code_hashes_depend_on_the_key() {
        let (a, _) = SecretKey::generate();
        let (b, _) = SecretKey::generate();
        assert_eq!(a.hash_code("K3M9Q2XW").len(), 64);
        assert_ne!(a.hash_code("K3M9Q2XW"), b.hash_code("K3M9Q2XW"));
        assert_ne!(
            a.hash_code("K3M9Q2XW"),
            crate::server::crypto::hash_token("K3M9Q2XW")
        );
        assert_ne!(a.check_value(), b.check_value());
    }

    #[test]
    fn the_key_file_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/gatehouse.key");
        let (first, created) = SecretKey::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(SecretKey::load_or_create(&path)
                .unwrap_err()
                .contains("chmod 600"));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let (second, created) = SecretKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(first.check_value(), second.check_value());
        std::fs::write(&path, "nonsense").unwrap();
        assert!(SecretKey::load_or_create(&path)
            .unwrap_err()
            .contains("32 bytes"));
    }
}
