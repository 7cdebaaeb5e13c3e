//! Two-factor queries. The secret and the codes shown once are sealed by
//! the caller; backup codes are kept only as hashes.

use crate::server::{clock, db::Tx};

/// An account's second factor as stored.
pub struct FactorRow {
    /// Sealed.
    pub secret: String,
    /// Hashes of the backup codes not used yet.
    pub backup_codes: Vec<String>,
    /// Sealed JSON of the codes themselves, while setting up.
    pub pending_codes: Option<String>,
    pub last_step: i64,
}

fn hashes(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn json(hashes: &[String]) -> String {
    serde_json::to_string(hashes).expect("a list of strings serializes")
}

/// The account's factor, its row locked (PostgreSQL) for the transaction.
pub async fn factor(tx: &mut Tx, user_id: &str) -> sqlx::Result<Option<FactorRow>> {
    let lock = crate::server::db::row_lock(tx, "for update");
    let row: Option<(String, String, Option<String>, i64)> = sqlx::query_as(&format!(
        "select secret, backup_codes, pending_codes, last_step from two_factors
         where user_id = $1 {lock}"
    ))
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(
        row.map(|(secret, codes, pending_codes, last_step)| FactorRow {
            secret,
            backup_codes: hashes(&codes),
            pending_codes,
            last_step,
        }),
    )
}

/// A new secret and codes, waiting for their first code; any older factor
/// is replaced.
pub async fn set_pending(
    tx: &mut Tx,
    user_id: &str,
    secret: &str,
    code_hashes: &[String],
    pending_codes: &str,
) -> sqlx::Result<()> {
    sqlx::query("delete from two_factors where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "insert into two_factors (user_id, secret, backup_codes, pending_codes, last_step, created_at)
         values ($1, $2, $3, $4, 0, $5)",
    )
    .bind(user_id)
    .bind(secret)
    .bind(json(code_hashes))
    .bind(pending_codes)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Accepts a code of `step`: false when one of it or a later step was
/// accepted first (the same code, replayed).
pub async fn spend_step(tx: &mut Tx, user_id: &str, step: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("update two_factors set last_step = $1 where user_id = $2 and last_step < $1")
            .bind(step)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_backup_codes(tx: &mut Tx, user_id: &str, hashes: &[String]) -> sqlx::Result<()> {
    sqlx::query("update two_factors set backup_codes = $1, pending_codes = null where user_id = $2")
        .bind(json(hashes))
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The backup codes `/account` shows, sealed; none stops showing them.
pub async fn set_shown_codes(tx: &mut Tx, user_id: &str, sealed: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("update two_factors set pending_codes = $1 where user_id = $2")
        .bind(sealed)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Turns the factor on or off for sign-in; off forgets it entirely, with
/// the devices trusted to skip it.
pub async fn set_enabled(tx: &mut Tx, user_id: &str, enabled: bool) -> sqlx::Result<()> {
    sqlx::query("update users set two_factor_enabled = $1, updated_at = $2 where id = $3")
        .bind(i64::from(enabled))
        .bind(clock::now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if enabled {
        sqlx::query("update two_factors set pending_codes = null where user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    } else {
        for table in ["two_factors", "trusted_devices", "two_factor_challenges"] {
            sqlx::query(&format!("delete from {table} where user_id = $1"))
                .bind(user_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

pub async fn insert_challenge(
    tx: &mut Tx,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into two_factor_challenges (token_hash, user_id, failures, expires_at, created_at)
         values ($1, $2, 0, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The account a live sign-in challenge is for, and its failures so far.
pub async fn challenge(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as(
        "select user_id, failures from two_factor_challenges
         where token_hash = $1 and expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Counts a wrong code against the challenge; past `most`, it ends.
/// Answers the failures now.
pub async fn fail_challenge(tx: &mut Tx, token_hash: &str, most: i64) -> sqlx::Result<i64> {
    let failures: i64 = sqlx::query_scalar(
        "update two_factor_challenges set failures = failures + 1 where token_hash = $1
         returning failures",
    )
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(most);
    if failures >= most {
        end_challenge(tx, token_hash).await?;
    }
    Ok(failures)
}

pub async fn end_challenge(tx: &mut Tx, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("delete from two_factor_challenges where token_hash = $1")
        .bind(token_hash)
        .execute(&mut **tx)
        .await
        .map(drop)
}

pub async fn trust_device(
    tx: &mut Tx,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into trusted_devices (token_hash, user_id, expires_at, created_at)
         values ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn is_trusted(
    tx: &mut Tx,
    user_id: &str,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let found: i64 = sqlx::query_scalar(
        "select count(*) from trusted_devices where token_hash = $1 and user_id = $2 and expires_at > $3",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(found > 0)
}
