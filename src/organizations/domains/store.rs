//! Verified domains' table.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock,
    db::{row_lock, Tx},
};

#[derive(Debug, Clone)]
pub struct DomainRow {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub domain: String,
    pub status: String,
    pub method: String,
    pub dns_token: String,
    pub code_email: Option<String>,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<i64>,
    pub code_attempts: i64,
    pub mode: String,
    pub role: String,
    pub policy_by: Option<String>,
    pub verified_at: Option<i64>,
    pub created_at: i64,
}

impl DomainRow {
    pub fn is_verified(&self) -> bool {
        self.status == "verified"
    }
}

const SELECT: &str = "select d.id, d.organization_id, o.name as organization_name,
        o.slug as organization_slug, d.domain, d.status, d.method, d.dns_token, d.code_email,
        d.code_hash, d.code_expires_at, d.code_attempts, d.mode, d.role, d.policy_by,
        d.verified_at, d.created_at
    from organization_domains d
    join organizations o on o.id = d.organization_id";

impl DomainRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            organization_name: row.try_get("organization_name")?,
            organization_slug: row.try_get("organization_slug")?,
            domain: row.try_get("domain")?,
            status: row.try_get("status")?,
            method: row.try_get("method")?,
            dns_token: row.try_get("dns_token")?,
            code_email: row.try_get("code_email")?,
            code_hash: row.try_get("code_hash")?,
            code_expires_at: row.try_get("code_expires_at")?,
            code_attempts: row.try_get("code_attempts")?,
            mode: row.try_get("mode")?,
            role: row.try_get("role")?,
            policy_by: row.try_get("policy_by")?,
            verified_at: row.try_get("verified_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// The challenge sent: by DNS (no code), or a code's hash to an address.
pub struct Challenge<'a> {
    pub method: &'a str,
    pub code_email: Option<&'a str>,
    pub code_hash: Option<&'a str>,
    pub code_expires_at: Option<i64>,
}

/// A second claim of one domain by one organization surfaces as a unique
/// violation.
pub async fn insert(
    tx: &mut Tx,
    (id, organization_id, domain): (&str, &str, &str),
    dns_token: &str,
    challenge: &Challenge<'_>,
    created_by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into organization_domains
             (id, organization_id, domain, status, method, dns_token, code_email, code_hash,
              code_expires_at, code_attempts, mode, role, created_by, created_at, updated_at)
         values ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, 0, 'manual', 'member', $9, $10, $10)",
    )
    .bind(id)
    .bind(organization_id)
    .bind(domain)
    .bind(challenge.method)
    .bind(dns_token)
    .bind(challenge.code_email)
    .bind(challenge.code_hash)
    .bind(challenge.code_expires_at)
    .bind(created_by)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// A pending claim's new challenge; the wrong tries start again.
pub async fn restart(tx: &mut Tx, id: &str, challenge: &Challenge<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_domains set method = $1, code_email = $2, code_hash = $3,
             code_expires_at = $4, code_attempts = 0, updated_at = $5
         where id = $6",
    )
    .bind(challenge.method)
    .bind(challenge.code_email)
    .bind(challenge.code_hash)
    .bind(challenge.code_expires_at)
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Counts a wrong code.
pub async fn add_attempt(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_domains set code_attempts = code_attempts + 1, updated_at = $1
         where id = $2",
    )
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Marks a claim verified and forgets its code. Another organization's
/// verification of the same domain surfaces as a unique violation.
pub async fn mark_verified(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "update organization_domains set status = 'verified', verified_at = $1, code_hash = null,
             code_expires_at = null, updated_at = $1
         where id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn set_policy(
    tx: &mut Tx,
    id: &str,
    mode: &str,
    role: &str,
    policy_by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_domains set mode = $1, role = $2, policy_by = $3, updated_at = $4
         where id = $5",
    )
    .bind(mode)
    .bind(role)
    .bind(policy_by)
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from organization_domains where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The claim, its row locked on PostgreSQL.
pub async fn find_for_update(tx: &mut Tx, id: &str) -> sqlx::Result<Option<DomainRow>> {
    let lock = row_lock(tx, "for update of d");
    sqlx::query(&format!("{SELECT} where d.id = $1 {lock}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(DomainRow::from_row)
        .transpose()
}

pub async fn find<'e, E>(executor: E, id: &str) -> sqlx::Result<Option<DomainRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("{SELECT} where d.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(DomainRow::from_row)
        .transpose()
}

/// An organization's domains, in the order they were added.
pub async fn of_organization<'e, E>(
    executor: E,
    organization_id: &str,
) -> sqlx::Result<Vec<DomainRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "{SELECT} where d.organization_id = $1 order by d.created_at, d.id"
    ))
    .bind(organization_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(DomainRow::from_row)
    .collect()
}

/// The one verified claim of `domain` (lower case), if any organization has
/// one.
pub async fn verified<'e, E>(executor: E, domain: &str) -> sqlx::Result<Option<DomainRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "{SELECT} where d.domain = $1 and d.status = 'verified'"
    ))
    .bind(domain)
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(DomainRow::from_row)
    .transpose()
}

/// People with a verified address at `domain` who are not members of the
/// organization and have no pending invitation to it, oldest accounts
/// first, at most `limit`: whom a new `auto_invite` policy invites.
pub async fn uninvited_people(
    tx: &mut Tx,
    organization_id: &str,
    domain: &str,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "select u.id, u.email from users u
         where u.email like $1 and u.email_verified = 1
           and not exists (select 1 from organization_members m
                           where m.organization_id = $2 and m.user_id = u.id)
           and not exists (select 1 from organization_invitations i
                           where i.organization_id = $2 and i.email = u.email
                             and i.status = 'pending')
         order by u.created_at, u.id
         limit $3",
    )
    .bind(format!("%@{domain}"))
    .bind(organization_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("email")?)))
        .collect()
}

/// Cancels the pending invitations a domain's policy issued; answers how
/// many.
pub async fn cancel_invitations(tx: &mut Tx, domain_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "update organization_invitations set status = 'canceled', updated_at = $1
         where domain_id = $2 and status = 'pending'",
    )
    .bind(clock::now_ms())
    .bind(domain_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
