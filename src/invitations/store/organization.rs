//! Organization invitations' table.

use sqlx::{any::AnyRow, Row};

use crate::{
    invitations::status::Status,
    server::{
        clock,
        db::{row_lock, Db, Tx},
    },
};

#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub role: String,
    pub team_id: Option<String>,
    pub status: String,
    pub expires_at: i64,
    pub inviter_id: String,
    pub created_at: i64,
}

const COLUMNS: &str =
    "i.id, i.organization_id, i.email, i.role, i.team_id, i.status, i.expires_at, \
     i.inviter_id, i.created_at";

impl InvitationRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            email: row.try_get("email")?,
            role: row.try_get("role")?,
            team_id: row.try_get("team_id")?,
            status: row.try_get("status")?,
            expires_at: row.try_get("expires_at")?,
            inviter_id: row.try_get("inviter_id")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Pending and not yet expired.
    pub fn is_open(&self, now: i64) -> bool {
        self.status_at(now) == Status::Pending
    }

    /// The status as people see it: a pending invitation past its expiry
    /// is `expired`. An organization invitation is for one person, once.
    pub fn status_at(&self, now: i64) -> Status {
        Status::at(&self.status, self.expires_at, 0, Some(1), now)
    }
}

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub team_id: Option<&'a str>,
    pub expires_at: i64,
    pub inviter_id: &'a str,
    pub secret_hash: &'a str,
    /// The verified domain whose policy issued it, if one did.
    pub domain_id: Option<&'a str>,
}

/// A second pending invitation for the same (organization, email) surfaces
/// as a unique violation.
pub async fn insert(tx: &mut Tx, n: &NewInvitation<'_>) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into organization_invitations
             (id, organization_id, email, role, team_id, status, expires_at, inviter_id, secret_hash,
              domain_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $10)",
    )
    .bind(n.id)
    .bind(n.organization_id)
    .bind(n.email)
    .bind(n.role)
    .bind(n.team_id)
    .bind(n.expires_at)
    .bind(n.inviter_id)
    .bind(n.secret_hash)
    .bind(n.domain_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The invitation with this id or this secret hash, its row locked on
/// PostgreSQL (SQLite's write lock serializes already).
pub async fn find_for_update(
    tx: &mut Tx,
    id: &str,
    secret_hash: &str,
) -> sqlx::Result<Option<InvitationRow>> {
    let lock = row_lock(tx, "for update");
    sqlx::query(&format!(
        "select {COLUMNS} from organization_invitations i
         where i.id = $1 or i.secret_hash = $2 {lock}"
    ))
    .bind(id)
    .bind(secret_hash)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(InvitationRow::from_row)
    .transpose()
}

/// The invitation with this id or this secret hash, unlocked.
pub async fn find<'e, E>(
    executor: E,
    id: &str,
    secret_hash: &str,
) -> sqlx::Result<Option<InvitationRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "select {COLUMNS} from organization_invitations i where i.id = $1 or i.secret_hash = $2"
    ))
    .bind(id)
    .bind(secret_hash)
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(InvitationRow::from_row)
    .transpose()
}

/// An invitation with the names its pages and answers show.
pub struct Described {
    pub invitation: InvitationRow,
    pub organization_name: String,
    pub organization_slug: String,
    pub inviter_name: String,
    pub inviter_email: String,
    pub team_name: Option<String>,
}

/// The invitation with this id or this secret hash, with its organization's
/// name and slug and its inviter's name and email, in one query.
pub async fn find_described(
    db: &Db,
    id: &str,
    secret_hash: &str,
) -> sqlx::Result<Option<Described>> {
    sqlx::query(&format!(
        "select {COLUMNS}, o.name as organization_name, o.slug as organization_slug,
                u.name as inviter_name, u.email as inviter_email, t.name as team_name
         from organization_invitations i
         join organizations o on o.id = i.organization_id
         join users u on u.id = i.inviter_id
         left join organization_teams t on t.id = i.team_id
         where i.id = $1 or i.secret_hash = $2"
    ))
    .bind(id)
    .bind(secret_hash)
    .fetch_optional(db.pool())
    .await?
    .map(|r| {
        Ok(Described {
            invitation: InvitationRow::from_row(&r)?,
            organization_name: r.try_get("organization_name")?,
            organization_slug: r.try_get("organization_slug")?,
            inviter_name: r.try_get("inviter_name")?,
            inviter_email: r.try_get("inviter_email")?,
            team_name: r.try_get("team_name")?,
        })
    })
    .transpose()
}

/// The pending invitation of `email` into the organization, if any.
pub async fn pending_for(
    tx: &mut Tx,
    organization_id: &str,
    email: &str,
) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_invitations i
         where i.organization_id = $1 and i.email = $2 and i.status = 'pending'"
    ))
    .bind(organization_id)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(InvitationRow::from_row)
    .transpose()
}

/// A resend: a new secret and expiry, and the resender as the inviter, on
/// whose authority the invitation now acts (SPEC §3 "Accounts" 3).
pub async fn renew(
    tx: &mut Tx,
    id: &str,
    secret_hash: &str,
    expires_at: i64,
    inviter_id: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_invitations set secret_hash = $1, expires_at = $2, updated_at = $3,
             inviter_id = $4
         where id = $5",
    )
    .bind(secret_hash)
    .bind(expires_at)
    .bind(clock::now_ms())
    .bind(inviter_id)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn pending_ids(tx: &mut Tx, organization_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select id from organization_invitations where organization_id = $1 and status = 'pending'",
    )
    .bind(organization_id)
    .fetch_all(&mut **tx)
    .await
}

pub async fn count_pending(tx: &mut Tx, organization_id: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from organization_invitations
         where organization_id = $1 and status = 'pending' and expires_at > $2",
    )
    .bind(organization_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// An organization's invitations, newest first.
pub async fn for_organization(db: &Db, organization_id: &str) -> sqlx::Result<Vec<InvitationRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_invitations i
         where i.organization_id = $1 order by i.created_at desc, i.id"
    ))
    .bind(organization_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(InvitationRow::from_row)
    .collect()
}

/// The open invitations to `email`, with their organization's name and
/// slug.
pub async fn open_for_email(
    db: &Db,
    email: &str,
    now: i64,
) -> sqlx::Result<Vec<(InvitationRow, String, String)>> {
    sqlx::query(&format!(
        "select {COLUMNS}, o.name as organization_name, o.slug as organization_slug
         from organization_invitations i
         join organizations o on o.id = i.organization_id
         where i.email = $1 and i.status = 'pending' and i.expires_at > $2
         order by i.created_at desc, i.id"
    ))
    .bind(email)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            InvitationRow::from_row(r)?,
            r.try_get("organization_name")?,
            r.try_get("organization_slug")?,
        ))
    })
    .collect()
}
