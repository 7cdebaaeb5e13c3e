//! Rate limits kept in the database, so that every Gatehouse node sharing
//! it enforces one budget: fixed windows per key, and progressive delays for
//! failed sign-ins to one account.

use std::time::Duration;

use crate::error::{ApiError, Code};

use super::{clock, db::Db};

/// A request budget: at most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Counts one request against `key` and refuses it once the window's budget
/// is spent.
pub async fn hit(db: &Db, key: &str, limit: Limit, now_ms: i64) -> Result<(), ApiError> {
    match spend(db.pool(), key, limit, now_ms).await? {
        None => Ok(()),
        Some(wait) => {
            tracing::info!(key, "rate limit reached");
            // The bucket's name, without the address after its colon.
            let bucket = key.split(':').next().unwrap_or_default().to_owned();
            metrics::counter!("gatehouse_rate_limit_refusals_total", "bucket" => bucket)
                .increment(1);
            Err(ApiError::too_many(
                Code::TooManyRequests,
                format!("Too many attempts. Please try again in {wait}."),
                wait.seconds(),
            ))
        }
    }
}

/// How long to wait before a budget has room again; shown as people say it
/// ("40 seconds", "3 minutes") and sent as `Retry-After` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(i64);

impl Wait {
    pub fn seconds(self) -> u64 {
        u64::try_from(self.0.max(1)).unwrap_or(1)
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&human_seconds(self.0))
    }
}

/// Takes one slot of `key`'s budget; returns how long to wait when none is
/// left. A window opens with the first request after the last
/// one closed and lasts `limit.window`, so a burst is counted whole rather
/// than split by a clock boundary. A single upsert does the counting, so
/// concurrent requests on any node can never both take the last slot, and
/// inside a transaction the slot is given back if the transaction rolls back.
pub async fn spend<'e, E>(
    executor: E,
    key: &str,
    limit: Limit,
    now_ms: i64,
) -> sqlx::Result<Option<Wait>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let window = clock::ms(limit.window).max(1);
    let (count, closes_at): (i64, i64) = sqlx::query_as(
        "insert into rate_limits (key, window_start, count, expires_at) values ($1, $2, 1, $3)
         on conflict (key) do update set
             count = case when rate_limits.expires_at > excluded.window_start
                          then rate_limits.count + 1 else 1 end,
             window_start = case when rate_limits.expires_at > excluded.window_start
                                 then rate_limits.window_start else excluded.window_start end,
             expires_at = case when rate_limits.expires_at > excluded.window_start
                               then rate_limits.expires_at else excluded.expires_at end
         returning count, expires_at",
    )
    .bind(key)
    .bind(now_ms)
    .bind(now_ms + window)
    .fetch_one(executor)
    .await?;
    Ok((count > i64::from(limit.max)).then(|| Wait((closes_at - now_ms).max(1000) / 1000)))
}

/// Drops counters whose window has passed; run now and then.
pub async fn prune(db: &Db, now_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from rate_limits where expires_at < $1")
        .bind(now_ms)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Failed sign-ins to one account before it must wait between attempts.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait, however many attempts failed: a guesser is slowed to
/// a crawl, and the owner is never locked out for good.
const MAX_DELAY_MS: i64 = 15 * 60 * 1000;
/// A quiet day forgets the failures.
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// How long an account must wait after its `failures`-th failed sign-in in
/// a row: nothing for the first few, then 1 s, doubling up to 15 minutes.
pub fn failure_delay_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(20);
    (1000i64 << doublings).min(MAX_DELAY_MS)
}

/// `failure_delay_ms(count)` as SQL over the stored count, for the one
/// statement in `take_sign_in_turn`.
fn delay_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let mut cases = String::from("case");
        let mut n = FREE_FAILURES;
        while failure_delay_ms(n) < MAX_DELAY_MS {
            cases.push_str(&format!(
                " when rate_limits.count = {n} then {}",
                failure_delay_ms(n)
            ));
            n += 1;
        }
        cases.push_str(&format!(
            " when rate_limits.count < {FREE_FAILURES} then 0 else {MAX_DELAY_MS} end"
        ));
        cases
    })
}

/// Takes the account's turn to try a password: None when it may, or the
/// wait. The attempt is counted up front (a success `clear`s the
/// count), in one conditional upsert, so a burst of parallel guesses gets
/// the turns the delays allow and no more. Kept in `rate_limits` as (last
/// attempt, attempts in a row); a quiet day forgets them. The free attempts
/// are counted, not timed: concurrent requests read the clock a moment
/// apart, and one must not be refused for another's later timestamp.
pub async fn take_sign_in_turn(db: &Db, key: &str, now_ms: i64) -> sqlx::Result<Option<Wait>> {
    let taken = sqlx::query(&format!(
        "insert into rate_limits (key, window_start, count, expires_at) values ($1, $2, 1, $3)
         on conflict (key) do update set
             count = case when rate_limits.expires_at <= $2 then 1 else rate_limits.count + 1 end,
             window_start = $2,
             expires_at = $3
         where rate_limits.expires_at <= $2 or rate_limits.count < {FREE_FAILURES}
            or rate_limits.window_start + ({}) <= $2",
        delay_sql()
    ))
    .bind(key)
    .bind(now_ms)
    .bind(now_ms + FORGET_AFTER_MS)
    .execute(db.pool())
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(None);
    }
    // The row may be gone already (a sign-in that succeeded meanwhile
    // cleared it): then a moment's wait is all there is.
    let row: Option<(i64, i64)> =
        sqlx::query_as("select window_start, count from rate_limits where key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?;
    let wait_ms = row.map_or(1, |(last, count)| {
        last.saturating_add(failure_delay_ms(count)) - now_ms
    });
    Ok(Some(Wait((wait_ms.max(1) + 999) / 1000)))
}

/// Gives back one slot of `key`'s current window (a lookup that turned out
/// not to count against the budget).
pub async fn refund(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("update rate_limits set count = count - 1 where key = $1 and count > 0")
        .bind(key)
        .execute(db.pool())
        .await
        .map(drop)
}

pub async fn clear(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("delete from rate_limits where key = $1")
        .bind(key)
        .execute(db.pool())
        .await
        .map(drop)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_sql_delays_match_the_rule() {
        let sql = delay_sql();
        assert!(
            sql.contains("when rate_limits.count = 5 then 1000"),
            "{sql}"
        );
        assert!(
            sql.contains("when rate_limits.count = 14 then 512000"),
            "{sql}"
        );
        assert!(sql.ends_with("else 900000 end"), "{sql}");
    }

    #[test]
    fn the_first_failures_are_free_then_waits_double() {
        let waits: Vec<_> = (0..9).map(failure_delay_ms).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1000, 2000, 4000, 8000]);
        assert_eq!(failure_delay_ms(1_000_000), MAX_DELAY_MS);
    }

    proptest! {
        #[test]
        fn waits_never_shrink_and_stay_capped(n in 0i64..10_000) {
            prop_assert!(failure_delay_ms(n + 1) >= failure_delay_ms(n));
            prop_assert!(failure_delay_ms(n) <= MAX_DELAY_MS);
        }
    }
}
