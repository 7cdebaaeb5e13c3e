//! The first-run setup link (SPEC §7): a role invitation the instance
//! makes itself, for the highest role, when there are no accounts.

use super::create::{create_invitations_in, NewInvites};
use crate::{
    config::Config,
    email::templates,
    invitations::{secret::SecretKind, store::role as store},
    server::{
        clock,
        db::{Backend, Db},
    },
};
/// First run (SPEC §7): with no users at all, a one-time invitation for the
/// highest role goes to the log, so the first owner arrives through the same
/// flow as everyone else. Each start makes a new one and retires the last.
///
/// All of it is one transaction under a lock (SQLite's write lock, a
/// PostgreSQL advisory lock), so nodes starting together on one empty
/// database cannot both print a working link or retire each other's: a node
/// that finds a link made moments ago by another leaves it standing.
pub async fn first_run(db: &Db, config: &Config) -> anyhow::Result<()> {
    /// A link younger than this was printed by a node starting beside us.
    const FRESH_MS: i64 = 60_000;
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("select pg_advisory_xact_lock(7164029345)")
            .execute(&mut *tx)
            .await?;
    }
    if store::count_users(&mut tx).await? > 0 {
        // Someone arrived (perhaps by `gatehouse invite`): a setup link still
        // in an old log must not let in one more owner.
        store::cancel_setup_links(&mut tx).await?;
        tx.commit().await?;
        return Ok(());
    }
    let now = clock::now_ms();
    if store::newest_pending_setup_link(&mut tx)
        .await?
        .is_some_and(|at| now - at < FRESH_MS)
    {
        tx.commit().await?;
        tracing::warn!("No accounts yet. Another node printed the one-time setup link moments ago: use the link in its log.");
        return Ok(());
    }
    store::cancel_setup_links(&mut tx).await?;
    let role = config.roles.highest().name.clone();
    let spec = NewInvites {
        setup: true,
        role: role.clone(),
        emails: vec![],
        kind: SecretKind::Link,
        max_uses: Some(1),
        expires_in_ms: clock::ms(config.invitations.default_expiry),
        redirect: None,
        share_inviter_name: false,
    };
    let created = create_invitations_in(&mut tx, config, &spec, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.code))?;
    tx.commit().await?;
    for c in created {
        // The one secret Gatehouse ever writes to its log, on purpose: there
        // is no one to send it to yet (SPEC §8).
        tracing::warn!(
            "No accounts yet. SECRET one-time setup link: whoever opens it becomes the {role} (valid for {}). Do not share this log line:\n\n    {}\n",
            templates::spoken(config.invitations.default_expiry),
            c.url
        );
    }
    Ok(())
}
