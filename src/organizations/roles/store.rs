//! Custom role queries.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock,
    db::{row_lock, Db, Tx},
};

#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    /// A JSON object of statements.
    pub permission: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

const COLUMNS: &str = "id, organization_id, name, permission, created_at, updated_at";

impl RoleRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            permission: row.try_get("permission")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A taken name surfaces as a unique violation.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    organization_id: &str,
    name: &str,
    permission: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into organization_roles (id, organization_id, name, permission, created_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(organization_id)
    .bind(name)
    .bind(permission)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The organization's role named `key` (or with that id), its row locked
/// (PostgreSQL) so that assigning it and deleting it are taken one after
/// the other.
pub async fn find(tx: &mut Tx, organization_id: &str, key: &str) -> sqlx::Result<Option<RoleRow>> {
    let lock = row_lock(tx, "for update");
    sqlx::query(&format!(
        "select {COLUMNS} from organization_roles
         where organization_id = $1 and (name = $2 or id = $2) {lock}"
    ))
    .bind(organization_id)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| RoleRow::from_row(&r))
    .transpose()
}

/// The organization's role named `key` (or with that id), read without a
/// transaction.
pub async fn get(db: &Db, organization_id: &str, key: &str) -> sqlx::Result<Option<RoleRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_roles
         where organization_id = $1 and (name = $2 or id = $2)"
    ))
    .bind(organization_id)
    .bind(key)
    .fetch_optional(db.pool())
    .await?
    .map(|r| RoleRow::from_row(&r))
    .transpose()
}

pub async fn for_organization(db: &Db, organization_id: &str) -> sqlx::Result<Vec<RoleRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_roles where organization_id = $1 order by name"
    ))
    .bind(organization_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(RoleRow::from_row)
    .collect()
}

pub async fn count(tx: &mut Tx, organization_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from organization_roles where organization_id = $1")
        .bind(organization_id)
        .fetch_one(&mut **tx)
        .await
}

/// A taken name surfaces as a unique violation.
pub async fn update(tx: &mut Tx, id: &str, name: &str, permission: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_roles set name = $1, permission = $2, updated_at = $3 where id = $4",
    )
    .bind(name)
    .bind(permission)
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from organization_roles where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// How many members hold the role.
pub async fn holders(tx: &mut Tx, organization_id: &str, name: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from organization_member_roles where organization_id = $1 and role = $2",
    )
    .bind(organization_id)
    .bind(name)
    .fetch_one(&mut **tx)
    .await
}

/// The members holding `old` hold `new` instead.
pub async fn rename_holders(
    tx: &mut Tx,
    organization_id: &str,
    old: &str,
    new: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update organization_member_roles set role = $1 where organization_id = $2 and role = $3",
    )
    .bind(new)
    .bind(organization_id)
    .bind(old)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The pending invitations of the organization that offer `name`: their
/// ids and role lists (comma-separated).
pub async fn pending_offering(
    tx: &mut Tx,
    organization_id: &str,
    name: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select id, role from organization_invitations
         where organization_id = $1 and status = 'pending'",
    )
    .bind(organization_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, roles)| roles.split(',').any(|r| r == name))
        .collect())
}

pub async fn set_invitation_roles(tx: &mut Tx, id: &str, roles: &str) -> sqlx::Result<()> {
    sqlx::query("update organization_invitations set role = $1 where id = $2")
        .bind(roles)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}
