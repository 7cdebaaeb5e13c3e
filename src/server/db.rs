//! One storage layer for SQLite and PostgreSQL, through sqlx's `Any` driver.
//!
//! Conventions that keep every query portable: `$1` placeholders (SQLite reads
//! them too), ids as TEXT, times as BIGINT milliseconds since the Unix epoch
//! (UTC), flags as BIGINT 0/1 (the Any driver cannot decode SQLite BOOLEAN),
//! JSON as TEXT.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;

use crate::error::{ApiError, Code};
use sqlx::{
    any::{install_default_drivers, AnyConnectOptions, AnyPoolOptions},
    AnyPool, Executor, Transaction,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

pub type Tx = Transaction<'static, sqlx::Any>;

/// How long a request waits for a database connection before it is told
/// the service is unavailable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects, creating the SQLite file (and its folder) when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, prepare_sqlite_url(url)?)
        } else {
            (Backend::Postgres, url.to_owned())
        };
        let options =
            AnyConnectOptions::from_str(&url).context("Failed to parse the database URL")?;
        // An in-memory SQLite database exists once per connection: it must
        // be exactly one, kept for the life of the pool.
        let in_memory = backend == Backend::Sqlite && url.contains(":memory:");
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                _ if in_memory => 1,
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .min_connections(u32::from(in_memory))
            .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
            .max_lifetime((!in_memory).then_some(Duration::from_secs(1800)))
            // With the database gone, requests fail (503) well inside 2 s
            // instead of hanging; the pool reconnects by itself once it is back.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // An SQLite connection is a file handle in this process: it
            // cannot go stale, and a test before each use would cost a
            // round trip to its worker thread for every query.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; the busy
                        // timeout makes writers queue instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("Failed to connect to the database")?;
        Ok(Self { pool, backend })
    }

    /// Applies pending migrations; the caller treats a failure as fatal.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context("Failed to apply database migrations")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes
    /// fails with SQLITE_BUSY under concurrency instead of waiting its turn.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// A consistent copy of an SQLite database in a new file at `path`,
    /// taken while the server reads and writes (`VACUUM INTO`). Never
    /// overwrites. PostgreSQL has `pg_dump` for this.
    pub async fn backup(&self, path: &Path) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            anyhow::bail!(
                "this is a PostgreSQL database: back it up with pg_dump (see the README)"
            );
        }
        if path.exists() {
            anyhow::bail!(
                "{} exists; a backup never overwrites a file",
                path.display()
            );
        }
        let target = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("the path must be valid UTF-8"))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query("select 1").execute(&self.pool).await.map(drop)
    }
}

/// Adds `mode=rwc` so SQLite creates the file, and creates its folder.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("Failed to create the database folder {}", dir.display())
            })?;
        }
    }
    Ok(if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

/// True when a query failed because the database could not be reached or is
/// not serving (down, restarting, dropped, overloaded), rather than because
/// of the query: the client should try again later (503).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| match code.len() {
            // PostgreSQL's SQLSTATE (always five characters): connection
            // exceptions (08…), shutdown and "cannot connect now" (57P0…),
            // too many connections, and a database that no longer exists.
            5 => {
                code.starts_with("08")
                    || code.starts_with("57P0")
                    || matches!(&*code, "53300" | "3D000")
            }
            // SQLite's extended result code, whose low byte is the primary
            // code: SQLITE_BUSY (5) or SQLITE_LOCKED (6) in any variant,
            // past the busy timeout.
            _ => code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)),
        }),
        _ => false,
    }
}

/// `clause` (e.g. `for update`) on PostgreSQL, nothing on SQLite: there a
/// write transaction (`BEGIN IMMEDIATE`) already holds the database's one
/// write lock, and SQLite has no row locks to ask for.
pub fn row_lock(tx: &Tx, clause: &'static str) -> &'static str {
    if tx.backend_name() == "PostgreSQL" {
        clause
    } else {
        ""
    }
}

/// True when PostgreSQL aborted the transaction to break a deadlock
/// (40P01) or for a serialization failure (40001): the same transaction,
/// run again from the start, can succeed.
pub fn is_transaction_conflict(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| c == "40P01" || c == "40001"))
}

/// An error that can say it came from a transaction conflict.
pub trait Conflict {
    fn is_transaction_conflict(&self) -> bool;
}

/// How many times in all a change whose transaction PostgreSQL aborted
/// (see `is_transaction_conflict`) is tried.
pub const ATTEMPTS: usize = 3;

/// Runs `attempt`, a whole change that begins and commits its own
/// transaction, again when PostgreSQL aborted that transaction, up to
/// [`ATTEMPTS`] times in all, after a short pause that grows. The locks
/// are taken in one order (`organizations::store::lock`), so this is the
/// net under it, not the plan.
pub async fn retrying<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: Conflict,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_transaction_conflict() && tries < ATTEMPTS => {
                tracing::info!(tries, "transaction conflict; trying again");
                tokio::time::sleep(Duration::from_millis(10 * tries as u64)).await;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// True when a query failed on a unique constraint, on either database.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

// Storage failures as the API answers them: a conflict may be retried, an
// unreachable database is a 503, anything else a 500 whose cause is logged.
impl Conflict for ApiError {
    fn is_transaction_conflict(&self) -> bool {
        self.code == Code::TransactionConflict
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if is_transaction_conflict(&e) {
            tracing::info!(error = %e, "transaction conflict");
            return Self::transaction_conflict();
        }
        if is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = %e, "database error");
        Self::internal()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        let unavailable = e
            .chain()
            .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
            .any(is_unavailable);
        if unavailable {
            tracing::warn!(error = ?e, "database unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = ?e, "internal error");
        Self::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/g.db", dir.path().display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.path().join("nested").is_dir());
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite::memory:?mode=rwc"
        );
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:?mode=ro").unwrap(),
            "sqlite::memory:?mode=ro"
        );
    }
}
