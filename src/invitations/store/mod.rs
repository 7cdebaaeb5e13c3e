//! The invitations store: each kind's table (`role`, `organization`) and
//! what every kind shares, a lookup by secret across them and the one way
//! a pending invitation is closed. Secrets arrive here already hashed.

pub mod organization;
pub mod role;

use super::{secret::Hashes, status::Status, Kind};
use crate::server::{clock, db::Tx};

fn table(kind: Kind) -> &'static str {
    match kind {
        Kind::Role => "role_invitations",
        Kind::Organization => "organization_invitations",
    }
}

/// Which kind of invitation a secret belongs to, if any: one query over
/// every kind's table, so a link opens whatever it was made for.
pub async fn kind_of<'e, E>(executor: E, hashes: &Hashes) -> sqlx::Result<Option<Kind>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<String> = sqlx::query_scalar(
        "select kind from (
             select 'role' as kind from role_invitations where token_hash = $1 or token_hash = $2
             union all
             select 'organization' as kind from organization_invitations where secret_hash = $1
         ) found limit 1",
    )
    .bind(&hashes.current)
    .bind(hashes.other())
    .fetch_optional(executor)
    .await?;
    Ok(found.map(|k| match k.as_str() {
        "organization" => Kind::Organization,
        _ => Kind::Role,
    }))
}

/// Moves a pending invitation to a final `status`; false when it was no
/// longer pending (someone else got there first).
pub async fn close(tx: &mut Tx, kind: Kind, id: &str, status: Status) -> sqlx::Result<bool> {
    let done = sqlx::query(&format!(
        "update {} set status = $1, updated_at = $2 where id = $3 and status = 'pending'",
        table(kind)
    ))
    .bind(status.word(kind))
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
