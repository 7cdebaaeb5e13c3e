//! Fixed-window rate limits kept in the database, so that every Gatehouse
//! node sharing it enforces one budget.

use crate::{config::Limit, error::ApiError};

use super::{clock, db::Db};

/// Counts one request against `key` and refuses it once the window's budget
/// is spent.
pub async fn hit(db: &Db, key: &str, limit: Limit, now_ms: i64) -> Result<(), ApiError> {
    match spend(db.pool(), key, limit, now_ms).await? {
        None => Ok(()),
        Some(wait) => {
            tracing::info!(key, "rate limit reached");
            Err(ApiError {
                message: format!("Too many attempts. Please try again in {wait}."),
                ..ApiError::too_many_requests()
            })
        }
    }
}

/// Takes one slot of `key`'s budget; returns how long to wait (as words)
/// when none is left. A single upsert does the counting, so concurrent
/// requests on any node can never both take the last slot, and inside a
/// transaction the slot is given back if the transaction rolls back.
pub async fn spend<'e, E>(
    executor: E,
    key: &str,
    limit: Limit,
    now_ms: i64,
) -> sqlx::Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let window = clock::ms(limit.window).max(1);
    let window_start = now_ms - now_ms.rem_euclid(window);
    let count: i64 = sqlx::query_scalar(
        "insert into rate_limits (key, window_start, count, expires_at) values ($1, $2, 1, $3)
         on conflict (key) do update set
             count = case when rate_limits.window_start = excluded.window_start then rate_limits.count + 1 else 1 end,
             window_start = excluded.window_start,
             expires_at = excluded.expires_at
         returning count",
    )
    .bind(key)
    .bind(window_start)
    .bind(window_start + window)
    .fetch_one(executor)
    .await?;
    Ok((count > i64::from(limit.max))
        .then(|| human_seconds((window_start + window - now_ms).max(1000) / 1000)))
}

/// Whether `key` has spent its budget for the current window, without
/// spending anything.
pub async fn exhausted(db: &Db, key: &str, limit: Limit, now_ms: i64) -> sqlx::Result<bool> {
    let window = clock::ms(limit.window).max(1);
    let window_start = now_ms - now_ms.rem_euclid(window);
    let count: Option<i64> =
        sqlx::query_scalar("select count from rate_limits where key = $1 and window_start = $2")
            .bind(key)
            .bind(window_start)
            .fetch_optional(db.pool())
            .await?;
    Ok(count.unwrap_or(0) >= i64::from(limit.max))
}

/// Drops counters whose window has passed; run now and then.
pub async fn prune(db: &Db, now_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from rate_limits where expires_at < $1")
        .bind(now_ms)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

fn human_seconds(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} second{}", if s == 1 { "" } else { "s" }),
        s => {
            let m = (s + 59) / 60;
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
    }
}
