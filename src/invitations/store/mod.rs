//! The invitations store: each kind's table (`role`, `organization`) and
//! what every kind shares, a lookup by secret across them and the one way
//! a pending invitation is closed. Secrets arrive here already hashed.

pub mod join_link;
pub mod organization;
pub mod role;

use super::{secret::Hashes, status::Status, Kind};
use crate::server::{
    clock,
    db::{Db, Tx},
};

fn table(kind: Kind) -> &'static str {
    match kind {
        Kind::Role => "role_invitations",
        Kind::Organization => "organization_invitations",
        Kind::JoinLink => "join_links",
    }
}

/// An invitation found by a link's secret, of whichever kind.
pub enum Found {
    Role(role::InviteRow),
    Organization(organization::Described),
    JoinLink(join_link::Described),
}

/// The invitation a link's secret belongs to, looked up in each kind's
/// table in turn (role invitations first: theirs are the links most
/// opened), so a link opens whatever it was made for at the cost of one
/// indexed lookup for the common case.
pub async fn find_link(db: &Db, hashes: &Hashes) -> sqlx::Result<Option<Found>> {
    if let Some(row) = role::find_by_hash(db.pool(), hashes).await? {
        return Ok(Some(Found::Role(row)));
    }
    if let Some(d) = organization::find_described(db, "", &hashes.current).await? {
        return Ok(Some(Found::Organization(d)));
    }
    Ok(join_link::find_described(db.pool(), "", &hashes.current)
        .await?
        .map(Found::JoinLink))
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
