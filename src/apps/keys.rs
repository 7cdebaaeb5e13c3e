//! The keys that sign ID and access tokens (SPEC §9): RSA 2048, RS256.
//! Private halves are sealed under the instance's secret key; public
//! halves are published at `/api/auth/jwks` with their `kid`. The newest
//! key signs; `gatehouse keys rotate` makes a new one and retires the old,
//! which stays published until every token it signed has expired.
//!
//! The first key is made on first use, so an instance that never signs
//! anyone into an app never spends the time.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, RwLock},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use sqlx::Row;

use super::domain::KEY_OVERLAP_MS;
use crate::{
    error::ApiError,
    server::{crypto, db::Db, secret_key::SecretKey},
};

/// A key that signs: its id and its private half, ready to use.
pub struct SigningKey {
    pub kid: String,
    key: EncodingKey,
}

impl SigningKey {
    /// A JWT of `claims`, with `typ` (`JWT` for ID tokens, `at+jwt` for
    /// access tokens, RFC 9068).
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| {
            tracing::error!(error = %e, "failed to sign a token");
            ApiError::internal()
        })
    }
}

/// Parsed keys by `kid`: a private key is opened and parsed once per
/// process, not once per token.
static SIGNING: LazyLock<RwLock<HashMap<String, Arc<SigningKey>>>> =
    LazyLock::new(Default::default);
/// Public keys by `kid`, with when each was looked up: kept a few minutes
/// only, so a key retired and dropped (`prune`, perhaps by another node)
/// stops verifying soon after.
type Cached = (Arc<DecodingKey>, std::time::Instant);
static PUBLIC: LazyLock<RwLock<HashMap<String, Cached>>> = LazyLock::new(Default::default);
const PUBLIC_CACHED: std::time::Duration = std::time::Duration::from_secs(300);
/// One key made at a time in this process.
static MAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The key that signs now, made if there is none yet.
pub async fn signing(db: &Db, secret: &SecretKey) -> Result<Arc<SigningKey>, ApiError> {
    let kid = match current_kid(db).await? {
        Some(kid) => kid,
        None => {
            let _one = MAKING.lock().await;
            match current_kid(db).await? {
                Some(kid) => kid,
                None => insert_new(db, secret, false).await?,
            }
        }
    };
    if let Some(key) = SIGNING.read().expect("key cache").get(&kid) {
        return Ok(key.clone());
    }
    let sealed: String = sqlx::query("select private_key from oauth_signing_keys where kid = $1")
        .bind(&kid)
        .fetch_one(db.pool())
        .await?
        .try_get("private_key")?;
    let der = secret.open(&sealed).ok_or_else(|| {
        tracing::error!(
            kid,
            "a signing key does not open with this instance's secret key"
        );
        ApiError::internal()
    })?;
    let key = Arc::new(SigningKey {
        kid: kid.clone(),
        key: EncodingKey::from_rsa_der(&der),
    });
    SIGNING.write().expect("key cache").insert(kid, key.clone());
    Ok(key)
}

async fn current_kid(db: &Db) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "select kid from oauth_signing_keys where retired_at is null
         order by created_at desc, kid limit 1",
    )
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get("kid"))
    .transpose()
}

/// Makes a key and stores it; with `retire`, the keys signing until now
/// step back in the same transaction. Returns the new `kid`.
async fn insert_new(db: &Db, secret: &SecretKey, retire: bool) -> Result<String, ApiError> {
    let (der, jwk_n, jwk_e) = tokio::task::spawn_blocking(generate)
        .await
        .map_err(|_| ApiError::internal())??;
    let kid = crypto::new_id();
    let jwk = json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": jwk_n, "e": jwk_e,
    });
    let now = crate::server::clock::now_ms();
    let mut tx = db.begin().await?;
    if retire {
        sqlx::query("update oauth_signing_keys set retired_at = $1 where retired_at is null")
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "insert into oauth_signing_keys (kid, alg, private_key, public_jwk, created_at)
         values ($1, 'RS256', $2, $3, $4)",
    )
    .bind(&kid)
    .bind(secret.seal(&der))
    .bind(jwk.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if retire {
        crate::audit::record(
            &mut tx,
            crate::audit::Event::new("app.keys-rotate")
                .target(&kid)
                .after(json!({ "kid": kid, "alg": "RS256" })),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(kid, "made a new token signing key");
    Ok(kid)
}

/// A new RSA 2048 key: its PKCS#1 DER and its public `n` and `e`, base64url.
fn generate() -> Result<(Vec<u8>, String, String), ApiError> {
    use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts, RsaPrivateKey};
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| {
        tracing::error!(error = %e, "failed to make an RSA key");
        ApiError::internal()
    })?;
    let der = key.to_pkcs1_der().map_err(|e| {
        tracing::error!(error = %e, "failed to encode an RSA key");
        ApiError::internal()
    })?;
    Ok((
        der.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    ))
}

/// `gatehouse keys rotate`: a new key signs from now on; the old one stays
/// published until every token it signed has expired.
pub async fn rotate(db: &Db, secret: &SecretKey) -> Result<String, ApiError> {
    let _one = MAKING.lock().await;
    insert_new(db, secret, true).await
}

/// The JWKS: every key that signs or signed a token still alive.
pub async fn published(db: &Db, secret: &SecretKey, now: i64) -> Result<Value, ApiError> {
    // The first app to read the keys finds one.
    signing(db, secret).await?;
    let keys: Vec<Value> = sqlx::query(
        "select public_jwk from oauth_signing_keys where retired_at is null or retired_at > $1
         order by created_at desc",
    )
    .bind(now - KEY_OVERLAP_MS)
    .fetch_all(db.pool())
    .await?
    .iter()
    .filter_map(|r| r.try_get::<String, _>("public_jwk").ok())
    .filter_map(|j| serde_json::from_str(&j).ok())
    .collect();
    Ok(json!({ "keys": keys }))
}

/// Drops retired keys no token can need any more.
pub async fn prune(db: &Db, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "delete from oauth_signing_keys where retired_at is not null and retired_at <= $1",
    )
    .bind(now - KEY_OVERLAP_MS)
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// The claims of a token this instance signed with a key it still
/// publishes, checked for issuer, `typ` and (unless `allow_expired`, as an
/// `id_token_hint` may be) expiry. Audience is the caller's to check.
pub async fn verify(
    db: &Db,
    token: &str,
    issuer: &str,
    typ: &str,
    allow_expired: bool,
    now: i64,
) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if header.alg != Algorithm::RS256
        || !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ))
    {
        return None;
    }
    let key = decoding_key(db, header.kid.as_deref()?, now).await?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    validation.validate_exp = !allow_expired;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

async fn decoding_key(db: &Db, kid: &str, now: i64) -> Option<Arc<DecodingKey>> {
    if let Some((key, _)) = PUBLIC
        .read()
        .expect("key cache")
        .get(kid)
        .filter(|(_, at)| at.elapsed() < PUBLIC_CACHED)
    {
        return Some(key.clone());
    }
    let jwk: String = sqlx::query(
        "select public_jwk from oauth_signing_keys where kid = $1 and (retired_at is null or retired_at > $2)",
    )
    .bind(kid)
    .bind(now - KEY_OVERLAP_MS)
    .fetch_optional(db.pool())
    .await
    .ok()??
    .try_get("public_jwk")
    .ok()?;
    let jwk: Value = serde_json::from_str(&jwk).ok()?;
    let key =
        Arc::new(DecodingKey::from_rsa_components(jwk["n"].as_str()?, jwk["e"].as_str()?).ok()?);
    PUBLIC
        .write()
        .expect("key cache")
        .insert(kid.to_owned(), (key.clone(), std::time::Instant::now()));
    Some(key)
}
