//! What the two outboxes (emails, webhook deliveries) share: a sender
//! claims a queued row for a lease, and only the holder of the claim
//! records how the attempt went. Each outbox says which row comes next and
//! what an attempt changes; the claiming and the recording are here.

use sqlx::any::AnyRow;

use super::{
    clock, crypto,
    db::{row_lock, Db, Tx},
};

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Which row a sender takes next, in SQL over `table`. In `pick` and
/// `still`, `$3` is the time now; `pick` ends with `{lock}`, where
/// PostgreSQL's `lock` clause (skip what another node is claiming) goes.
pub struct Next<'a> {
    pub table: &'a str,
    /// A select of the one id to claim, the most overdue first.
    pub pick: &'a str,
    /// PostgreSQL's row lock for `pick`, e.g. `for update skip locked`.
    pub lock: &'static str,
    /// What the row must still be when it is claimed, besides queued and
    /// due.
    pub still: Option<&'a str>,
    /// The columns to answer with.
    pub returning: &'a str,
}

/// Claims the next row, if any, inside `tx` (the caller commits, perhaps
/// after reading what the row needs): the claim pushes its due time out by
/// `lease_ms`, so no other sender sees it while this one works on it, and
/// a sender that dies mid-way only delays it by the lease. PostgreSQL skips
/// rows another node is claiming; SQLite's write lock (`BEGIN IMMEDIATE`)
/// makes the select-and-update atomic. Answers the claim and the row.
pub async fn claim(
    tx: &mut Tx,
    next: Next<'_>,
    lease_ms: i64,
    now: i64,
) -> sqlx::Result<Option<(String, AnyRow)>> {
    let claim = crypto::new_id();
    let Next {
        table,
        pick,
        lock,
        still,
        returning,
    } = next;
    let pick = pick.replace("{lock}", row_lock(tx, lock));
    let still = still.map(|s| format!("and {s}")).unwrap_or_default();
    let row = sqlx::query(&format!(
        "update {table} set claim_token = $1, next_attempt_at = $2, updated_at = $3
         where id = ({pick})
           and status = 'queued' and next_attempt_at <= $3 {still}
         returning {returning}"
    ))
    .bind(&claim)
    .bind(now.saturating_add(lease_ms))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|row| (claim, row)))
}

/// The statement that records how a claimed attempt went: `set` assigns
/// columns, with `$3` onwards for its values (`$1` and `$2` are the row and
/// its claim), and the claim is released.
pub fn recording(table: &str, set: &str) -> String {
    format!(
        "update {table} set {set}, claim_token = null
         where id = $1 and claim_token = $2 and status = 'queued'"
    )
}

/// Runs a `recording` statement, `bind` adding its values. Answers whether
/// the claim still held: only its holder records, so an attempt is counted
/// once.
pub async fn record<'q>(
    db: &Db,
    sql: &'q str,
    (id, claim): (&'q str, &'q str),
    bind: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
) -> sqlx::Result<bool> {
    let done = bind(sqlx::query(sql).bind(id).bind(claim))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The statement that records a failed attempt: `status`, its next due
/// time and the count (`$3` to `$5`), and what `also` assigns from `$6` on.
pub fn failure(table: &str, also: &str) -> String {
    recording(
        table,
        &format!(
            "status = $3, next_attempt_at = $4, updated_at = $5, attempts = attempts + 1, {also}"
        ),
    )
}

/// Runs a `failure` statement: queued again at `retry_at`, or `failed` for
/// good when there is no retry left; `bind` adds the values of `also`.
pub async fn record_failure<'q>(
    db: &Db,
    sql: &'q str,
    lease: (&'q str, &'q str),
    retry_at: Option<i64>,
    bind: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
) -> sqlx::Result<bool> {
    let now = clock::now_ms();
    let (status, due) = after_failure(retry_at, now);
    record(db, sql, lease, |q| bind(q.bind(status).bind(due).bind(now))).await
}

/// A failed attempt's next state: queued again at `retry_at`, or `failed`
/// for good (now) when there is no retry left.
fn after_failure(retry_at: Option<i64>, now: i64) -> (&'static str, i64) {
    match retry_at {
        Some(at) => ("queued", at),
        None => ("failed", now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_retried_or_final() {
        assert_eq!(after_failure(Some(50), 10), ("queued", 50));
        assert_eq!(after_failure(None, 10), ("failed", 10));
    }
}
