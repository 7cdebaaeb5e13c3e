//! Membership requests' table.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock,
    db::{row_lock, Tx},
};

#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub message: Option<String>,
    pub status: String,
    pub join_link_id: Option<String>,
    pub join_link_name: Option<String>,
    pub domain_id: Option<String>,
    pub decided_by: Option<String>,
    pub decision_message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "select r.id, r.organization_id, o.name as organization_name,
        o.slug as organization_slug, r.user_id, u.name, u.email, r.message, r.status,
        r.join_link_id, l.name as join_link_name, r.domain_id, r.decided_by, r.decision_message,
        r.created_at, r.updated_at
    from membership_requests r
    join organizations o on o.id = r.organization_id
    join users u on u.id = r.user_id
    left join join_links l on l.id = r.join_link_id";

impl RequestRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            organization_name: row.try_get("organization_name")?,
            organization_slug: row.try_get("organization_slug")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            message: row.try_get("message")?,
            status: row.try_get("status")?,
            join_link_id: row.try_get("join_link_id")?,
            join_link_name: row.try_get("join_link_name")?,
            domain_id: row.try_get("domain_id")?,
            decided_by: row.try_get("decided_by")?,
            decision_message: row.try_get("decision_message")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A second open request of one person to one organization surfaces as a
/// unique violation.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    organization_id: &str,
    user_id: &str,
    message: Option<&str>,
    (join_link_id, domain_id): (Option<&str>, Option<&str>),
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into membership_requests
             (id, organization_id, user_id, message, status, join_link_id, domain_id,
              created_at, updated_at)
         values ($1, $2, $3, $4, 'pending', $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(organization_id)
    .bind(user_id)
    .bind(message)
    .bind(join_link_id)
    .bind(domain_id)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The request, its row locked on PostgreSQL.
pub async fn find_for_update(tx: &mut Tx, id: &str) -> sqlx::Result<Option<RequestRow>> {
    let lock = row_lock(tx, "for update of r");
    sqlx::query(&format!("{SELECT} where r.id = $1 {lock}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(RequestRow::from_row)
        .transpose()
}

pub async fn find<'e, E>(executor: E, id: &str) -> sqlx::Result<Option<RequestRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("{SELECT} where r.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(RequestRow::from_row)
        .transpose()
}

/// Settles a pending request; false when it was settled already.
pub async fn decide(
    tx: &mut Tx,
    id: &str,
    status: &str,
    decided_by: &str,
    message: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update membership_requests set status = $1, decided_by = $2, decision_message = $3,
             updated_at = $4
         where id = $5 and status = 'pending'",
    )
    .bind(status)
    .bind(decided_by)
    .bind(message)
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An organization's requests: the open ones first, oldest first, then
/// the answered ones, newest first.
pub async fn for_organization<'e, E>(
    executor: E,
    organization_id: &str,
) -> sqlx::Result<Vec<RequestRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "{SELECT} where r.organization_id = $1
         order by case when r.status = 'pending' then 0 else 1 end,
                  case when r.status = 'pending' then r.created_at else -r.updated_at end, r.id"
    ))
    .bind(organization_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(RequestRow::from_row)
    .collect()
}

/// `user_id`'s open request to join the organization, if any.
pub async fn pending_of<'e, E>(
    executor: E,
    organization_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<RequestRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "{SELECT} where r.organization_id = $1 and r.user_id = $2 and r.status = 'pending'"
    ))
    .bind(organization_id)
    .bind(user_id)
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(RequestRow::from_row)
    .transpose()
}

/// Someone's requests, newest first.
pub async fn for_user<'e, E>(executor: E, user_id: &str) -> sqlx::Result<Vec<RequestRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "{SELECT} where r.user_id = $1 order by r.created_at desc, r.id"
    ))
    .bind(user_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(RequestRow::from_row)
    .collect()
}
