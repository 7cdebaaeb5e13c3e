//! Team queries.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock,
    db::{Db, Tx},
};

#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

const COLUMNS: &str = "t.id, t.organization_id, t.name, t.created_at, t.updated_at";

impl TeamRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct TeamMemberRow {
    pub id: String,
    pub team_id: String,
    pub user_id: String,
    pub created_at: i64,
}

impl TeamMemberRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            team_id: row.try_get("team_id")?,
            user_id: row.try_get("user_id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// A taken name surfaces as a unique violation.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    organization_id: &str,
    name: &str,
    updated: bool,
) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into organization_teams (id, organization_id, name, created_at, updated_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(organization_id)
    .bind(name)
    .bind(now)
    .bind(updated.then_some(now))
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn find<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: &str,
) -> sqlx::Result<Option<TeamRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_teams t where t.id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await?
    .map(|r| TeamRow::from_row(&r))
    .transpose()
}

pub async fn for_organization(db: &Db, organization_id: &str) -> sqlx::Result<Vec<TeamRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_teams t
         where t.organization_id = $1 order by t.created_at, t.id"
    ))
    .bind(organization_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(TeamRow::from_row)
    .collect()
}

pub async fn for_user(db: &Db, user_id: &str) -> sqlx::Result<Vec<TeamRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organization_teams t
         join organization_team_members tm on tm.team_id = t.id
         where tm.user_id = $1 order by t.created_at, t.id"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(TeamRow::from_row)
    .collect()
}

pub async fn count(tx: &mut Tx, organization_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from organization_teams where organization_id = $1")
        .bind(organization_id)
        .fetch_one(&mut **tx)
        .await
}

pub async fn rename(tx: &mut Tx, id: &str, name: &str) -> sqlx::Result<()> {
    sqlx::query("update organization_teams set name = $1, updated_at = $2 where id = $3")
        .bind(name)
        .bind(clock::now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Deletes a team with its memberships; sessions that had it active and
/// pending invitations that named it no longer do.
pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query("update sessions set active_team_id = null where active_team_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update organization_invitations set team_id = null where team_id = $1 and status = 'pending'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from organization_team_members where team_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from organization_teams where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

pub async fn members<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    team_id: &str,
) -> sqlx::Result<Vec<TeamMemberRow>> {
    sqlx::query(
        "select id, team_id, user_id, created_at from organization_team_members
         where team_id = $1 order by created_at, id",
    )
    .bind(team_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(TeamMemberRow::from_row)
    .collect()
}

pub async fn member_of(
    tx: &mut Tx,
    team_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<TeamMemberRow>> {
    sqlx::query(
        "select id, team_id, user_id, created_at from organization_team_members
         where team_id = $1 and user_id = $2",
    )
    .bind(team_id)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| TeamMemberRow::from_row(&r))
    .transpose()
}

pub async fn count_members(tx: &mut Tx, team_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from organization_team_members where team_id = $1")
        .bind(team_id)
        .fetch_one(&mut **tx)
        .await
}

/// Adds `user_id` to the team; a second add of the same person surfaces as
/// a unique violation.
pub async fn insert_member(
    tx: &mut Tx,
    team_id: &str,
    user_id: &str,
) -> sqlx::Result<TeamMemberRow> {
    let row = TeamMemberRow {
        id: crate::server::crypto::new_id(),
        team_id: team_id.to_owned(),
        user_id: user_id.to_owned(),
        created_at: clock::now_ms(),
    };
    sqlx::query(
        "insert into organization_team_members (id, team_id, user_id, created_at) values ($1, $2, $3, $4)",
    )
    .bind(&row.id)
    .bind(&row.team_id)
    .bind(&row.user_id)
    .bind(row.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(row)
}

/// Takes `user_id` out of the team; their sessions that had it active no
/// longer do.
pub async fn delete_member(tx: &mut Tx, team_id: &str, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from organization_team_members where team_id = $1 and user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update sessions set active_team_id = null where user_id = $1 and active_team_id = $2",
    )
    .bind(user_id)
    .bind(team_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Takes `user_id` out of every team of the organization (they left it or
/// were removed).
pub async fn leave_all(tx: &mut Tx, organization_id: &str, user_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "delete from organization_team_members where user_id = $1
         and team_id in (select id from organization_teams where organization_id = $2)",
    )
    .bind(user_id)
    .bind(organization_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Every team of a deleted organization, with its memberships.
pub async fn delete_all(tx: &mut Tx, organization_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "delete from organization_team_members
         where team_id in (select id from organization_teams where organization_id = $1)",
    )
    .bind(organization_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from organization_teams where organization_id = $1")
        .bind(organization_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Makes `team` (a team and its organization) the session's active one, or
/// clears the active team when none.
pub async fn set_active<'e, E>(
    executor: E,
    session_id: &str,
    team: Option<&TeamRow>,
) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let query = match team {
        Some(t) => sqlx::query(
            "update sessions set active_organization_id = $1, active_team_id = $2, updated_at = $3
             where id = $4",
        )
        .bind(t.organization_id.clone())
        .bind(t.id.clone()),
        None => {
            sqlx::query("update sessions set active_team_id = $1, updated_at = $2 where id = $3")
                .bind(None::<String>)
        }
    };
    query
        .bind(clock::now_ms())
        .bind(session_id)
        .execute(executor)
        .await
        .map(drop)
}

/// Locks the team's row for the rest of the transaction (PostgreSQL), so
/// that concurrent adds count its members one after the other.
pub async fn lock(tx: &mut Tx, team_id: &str) -> sqlx::Result<()> {
    let lock = crate::server::db::row_lock(tx, "for update");
    sqlx::query(&format!(
        "select id from organization_teams where id = $1 {lock}"
    ))
    .bind(team_id)
    .fetch_optional(&mut **tx)
    .await
    .map(drop)
}

/// `(team id, user id, name, email)` of every team member of the
/// organization, oldest membership first.
pub async fn people_in_teams(
    db: &Db,
    organization_id: &str,
) -> sqlx::Result<Vec<(String, String, String, String)>> {
    sqlx::query_as(
        "select tm.team_id, u.id, u.name, u.email from organization_team_members tm
         join organization_teams t on t.id = tm.team_id
         join users u on u.id = tm.user_id
         where t.organization_id = $1 order by tm.created_at, tm.id",
    )
    .bind(organization_id)
    .fetch_all(db.pool())
    .await
}
