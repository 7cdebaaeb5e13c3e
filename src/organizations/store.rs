//! Organization queries. Member roles live one per row, so they are read
//! back grouped by member, in the order they were given.

use std::collections::HashMap;

use sqlx::{any::AnyRow, Row};

use crate::{
    access::statements::{built_in_organization_role, Statements},
    server::{
        clock,
        db::{row_lock, Db, Tx},
    },
};

/// What the role `name` grants: a built-in role's statements, else the
/// custom role's stored `permission` (none when it no longer exists).
fn grants_of(name: &str, permission: Option<&str>) -> Statements {
    built_in_organization_role(name)
        .or_else(|| permission.and_then(|p| serde_json::from_str(p).ok()))
        .unwrap_or_default()
}

/// A member's role rows, with the permission of the custom ones.
const ROLE_ROWS: &str = "select mr.member_id, mr.role, cr.permission
     from organization_member_roles mr
     left join organization_roles cr on cr.organization_id = mr.organization_id and cr.name = mr.role";

#[derive(Debug, Clone)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub logo: Option<String>,
    /// A JSON object, as text.
    pub metadata: String,
    pub created_at: i64,
    /// Members act in it only once their account uses two-factor
    /// authentication (issue 27).
    pub require_two_factor: bool,
}

const COLUMNS: &str =
    "o.id, o.name, o.slug, o.logo, o.metadata, o.created_at, o.require_two_factor";

impl OrganizationRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            slug: row.try_get("slug")?,
            logo: row.try_get("logo")?,
            metadata: row.try_get("metadata")?,
            created_at: row.try_get("created_at")?,
            require_two_factor: row.try_get::<i64, _>("require_two_factor")? != 0,
        })
    }
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    /// Sorted by name; never empty.
    pub roles: Vec<String>,
    /// What each role grants, in the order of `roles`: a built-in role's
    /// statements, a custom role's stored ones.
    pub grants: Vec<Statements>,
    pub created_at: i64,
    pub user_name: String,
    pub user_email: String,
    pub user_image: Option<String>,
    /// Whether the member's account uses two-factor authentication.
    pub user_two_factor: bool,
}

pub struct NewOrganization<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub logo: Option<&'a str>,
    pub metadata: &'a str,
}

/// Inserts an organization; a taken slug surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, o: &NewOrganization<'_>) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into organizations (id, name, slug, logo, metadata, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(o.id)
    .bind(o.name)
    .bind(o.slug)
    .bind(o.logo)
    .bind(o.metadata)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Adds a member with its roles; a second membership of the same person
/// surfaces as a unique violation.
pub async fn insert_member(
    tx: &mut Tx,
    id: &str,
    organization_id: &str,
    user_id: &str,
    roles: &[&str],
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into organization_members (id, organization_id, user_id, created_at)
         values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(organization_id)
    .bind(user_id)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await?;
    for role in roles {
        sqlx::query(
            "insert into organization_member_roles (member_id, organization_id, role) values ($1, $2, $3)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(*role)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn slug_taken(db: &Db, slug: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("select count(*) from organizations where slug = $1")
        .bind(slug)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// An organization by id or by slug; on the pool or inside a transaction.
pub async fn find<'e, E>(executor: E, id_or_slug: &str) -> sqlx::Result<Option<OrganizationRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "select {COLUMNS} from organizations o where o.id = $1 or o.slug = $1"
    ))
    .bind(id_or_slug)
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(OrganizationRow::from_row)
    .transpose()
}

/// The organizations `user_id` is a member of, oldest first.
pub async fn list_for_user(db: &Db, user_id: &str) -> sqlx::Result<Vec<OrganizationRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from organizations o
         join organization_members m on m.organization_id = o.id
         where m.user_id = $1 order by o.created_at, o.id"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(OrganizationRow::from_row)
    .collect()
}

/// Each organization `user_id` belongs to, oldest first, with the roles
/// they hold in it.
pub async fn memberships_of(
    db: &Db,
    user_id: &str,
) -> sqlx::Result<Vec<(OrganizationRow, Vec<String>)>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS}, r.role from organizations o
         join organization_members m on m.organization_id = o.id
         join organization_member_roles r on r.member_id = m.id
         where m.user_id = $1 order by o.created_at, o.id, r.role"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<(OrganizationRow, Vec<String>)> = Vec::new();
    for row in &rows {
        let role: String = row.try_get("role")?;
        let id: String = row.try_get("id")?;
        match out.last_mut() {
            Some((o, roles)) if o.id == id => roles.push(role),
            _ => out.push((OrganizationRow::from_row(row)?, vec![role])),
        }
    }
    Ok(out)
}

/// The members of an organization, with their users and roles, oldest
/// first; with `user_id`, only that person's membership.
pub async fn members(
    db: &Db,
    organization_id: &str,
    user_id: Option<&str>,
) -> sqlx::Result<Vec<MemberRow>> {
    let rows = sqlx::query(
        "select m.id, m.organization_id, m.user_id, m.created_at,
                u.name as user_name, u.email as user_email, u.image as user_image,
                u.two_factor_enabled as user_two_factor
         from organization_members m join users u on u.id = m.user_id
         where m.organization_id = $1 and ($2 = '' or m.user_id = $2)
         order by m.created_at, m.id",
    )
    .bind(organization_id)
    .bind(user_id.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    // Role rows are few per member: one query reads all of them.
    let role_rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
        "{ROLE_ROWS} where mr.organization_id = $1 order by mr.member_id, mr.role"
    ))
    .bind(organization_id)
    .fetch_all(db.pool())
    .await?;
    let mut roles: HashMap<String, (Vec<String>, Vec<Statements>)> = HashMap::new();
    for (member, role, permission) in role_rows {
        let entry = roles.entry(member).or_default();
        entry.1.push(grants_of(&role, permission.as_deref()));
        entry.0.push(role);
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let (roles, grants) = roles.remove(&id).unwrap_or_default();
            Ok(MemberRow {
                roles,
                grants,
                id,
                organization_id: r.try_get("organization_id")?,
                user_id: r.try_get("user_id")?,
                created_at: r.try_get("created_at")?,
                user_name: r.try_get("user_name")?,
                user_email: r.try_get("user_email")?,
                user_image: r.try_get("user_image")?,
                user_two_factor: r.try_get::<i64, _>("user_two_factor")? != 0,
            })
        })
        .collect()
}

/// Makes `organization_id` (or none) the session's active organization;
/// the active team goes with it. On the pool or inside a transaction.
pub async fn set_active<'e, E>(
    executor: E,
    session_id: &str,
    organization_id: Option<&str>,
) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "update sessions set active_organization_id = $1, active_team_id = null, updated_at = $2
         where id = $3",
    )
    .bind(organization_id)
    .bind(clock::now_ms())
    .bind(session_id)
    .execute(executor)
    .await
    .map(drop)
}

/// One member of `organization_id`, by member id or by the user's email,
/// read inside a transaction (its row locked on PostgreSQL).
pub async fn member_in(
    tx: &mut Tx,
    organization_id: &str,
    id_or_email: &str,
) -> sqlx::Result<Option<MemberRow>> {
    let lock = row_lock(tx, "for update of m");
    let row = sqlx::query(&format!(
        "select m.id, m.organization_id, m.user_id, m.created_at,
                u.name as user_name, u.email as user_email, u.image as user_image,
                u.two_factor_enabled as user_two_factor
         from organization_members m join users u on u.id = m.user_id
         where m.organization_id = $1 and (m.id = $2 or u.email = $3 or m.user_id = $2) {lock}"
    ))
    .bind(organization_id)
    .bind(id_or_email)
    .bind(id_or_email.trim().to_lowercase())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let id: String = r.try_get("id")?;
    let role_rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
        "{ROLE_ROWS} where mr.member_id = $1 order by mr.role"
    ))
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?;
    let grants = role_rows
        .iter()
        .map(|(_, role, permission)| grants_of(role, permission.as_deref()))
        .collect();
    Ok(Some(MemberRow {
        id,
        organization_id: r.try_get("organization_id")?,
        user_id: r.try_get("user_id")?,
        roles: role_rows.into_iter().map(|(_, role, _)| role).collect(),
        grants,
        created_at: r.try_get("created_at")?,
        user_name: r.try_get("user_name")?,
        user_email: r.try_get("user_email")?,
        user_image: r.try_get("user_image")?,
        user_two_factor: r.try_get::<i64, _>("user_two_factor")? != 0,
    }))
}

/// The organization's name when it requires two-factor authentication;
/// on the pool or inside the transaction that acts in it.
pub async fn requiring_two_factor<'e, E>(executor: E, id: &str) -> sqlx::Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar("select name from organizations where id = $1 and require_two_factor = 1")
        .bind(id)
        .fetch_optional(executor)
        .await
}

/// `user_id`'s own membership of the organization, as `member_in` reads
/// it (which also matches member ids and emails, so the match is checked).
pub async fn membership_of(
    tx: &mut Tx,
    organization_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<MemberRow>> {
    Ok(member_in(tx, organization_id, user_id)
        .await?
        .filter(|m| m.user_id == user_id))
}

/// The member ids holding `owner`, their rows locked in id order on
/// PostgreSQL (SQLite's write lock serializes already), so two owners
/// acting on each other at once are taken one after the other.
pub async fn lock_owners(tx: &mut Tx, organization_id: &str) -> sqlx::Result<Vec<String>> {
    let lock = row_lock(tx, "for update");
    sqlx::query_scalar(&format!(
        "select member_id from organization_member_roles
         where organization_id = $1 and role = 'owner' order by member_id {lock}"
    ))
    .bind(organization_id)
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_member_roles(
    tx: &mut Tx,
    member_id: &str,
    organization_id: &str,
    roles: &[&str],
) -> sqlx::Result<()> {
    sqlx::query("delete from organization_member_roles where member_id = $1")
        .bind(member_id)
        .execute(&mut **tx)
        .await?;
    for role in roles {
        sqlx::query(
            "insert into organization_member_roles (member_id, organization_id, role) values ($1, $2, $3)",
        )
        .bind(member_id)
        .bind(organization_id)
        .bind(*role)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Removes a membership and the person's places in the organization's
/// teams; their sessions that had the organization active no longer do.
pub async fn delete_member(tx: &mut Tx, member: &MemberRow) -> sqlx::Result<()> {
    super::teams::store::leave_all(tx, &member.organization_id, &member.user_id).await?;
    sqlx::query("delete from organization_members where id = $1")
        .bind(&member.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update sessions set active_organization_id = null, active_team_id = null
         where user_id = $1 and active_organization_id = $2",
    )
    .bind(&member.user_id)
    .bind(&member.organization_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub struct OrganizationChange<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub logo: Option<&'a str>,
    pub metadata: &'a str,
    pub require_two_factor: bool,
}

/// A taken slug surfaces as a unique violation.
pub async fn update(tx: &mut Tx, id: &str, c: &OrganizationChange<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "update organizations set name = $1, slug = $2, logo = $3, metadata = $4,
             require_two_factor = $5, updated_at = $6
         where id = $7",
    )
    .bind(c.name)
    .bind(c.slug)
    .bind(c.logo)
    .bind(c.metadata)
    .bind(i64::from(c.require_two_factor))
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Deletes an organization with everything in it (the foreign keys
/// cascade), and clears it from every session that had it active.
pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update sessions set active_organization_id = null, active_team_id = null
         where active_organization_id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from organization_invitations where organization_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    super::teams::store::delete_all(tx, id).await?;
    sqlx::query("delete from organization_roles where organization_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from organization_member_roles where organization_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from organization_members where organization_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from organizations where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The names of the organizations whose only owner is `user_id`. First the
/// owner rows of every organization they own are locked (PostgreSQL), so
/// that two owners leaving at once cannot each count on the other.
pub async fn solely_owned(tx: &mut Tx, user_id: &str) -> sqlx::Result<Vec<String>> {
    let lock = row_lock(tx, "for update");
    sqlx::query_scalar::<_, String>(&format!(
        "select r.member_id from organization_member_roles r
         where r.role = 'owner' and r.organization_id in (
             select m.organization_id from organization_members m
             join organization_member_roles mine on mine.member_id = m.id and mine.role = 'owner'
             where m.user_id = $1)
         order by r.member_id {lock}"
    ))
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query_scalar(
        "select o.name from organizations o
         join organization_members m on m.organization_id = o.id and m.user_id = $1
         join organization_member_roles r on r.member_id = m.id and r.role = 'owner'
         where not exists (
             select 1 from organization_member_roles other
             where other.organization_id = o.id and other.role = 'owner' and other.member_id <> m.id)
         order by o.name",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await
}

/// How many organizations `user_id` owns (the per-user limit counts them).
pub async fn count_owned(tx: &mut Tx, user_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from organization_member_roles r
         join organization_members m on m.id = r.member_id
         where m.user_id = $1 and r.role = 'owner'",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn count_members(tx: &mut Tx, organization_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from organization_members where organization_id = $1")
        .bind(organization_id)
        .fetch_one(&mut **tx)
        .await
}

/// Locks the organization's row for the rest of the transaction
/// (PostgreSQL; SQLite's write lock does it already), so that checks of
/// its limits and the writes they allow are not interleaved.
///
/// The one order of locks in an organization's changes: this row first,
/// before any invitation, team, member or role row of the organization.
/// Every writing transaction about an organization takes it so, so those
/// rows are only ever locked by the one transaction holding this lock, and
/// two changes never wait for each other in a circle (an accept racing a
/// resend, a role change racing a role's deletion): the second waits for
/// the first.
pub async fn lock(tx: &mut Tx, organization_id: &str) -> sqlx::Result<()> {
    let lock = row_lock(tx, "for update");
    sqlx::query(&format!(
        "select id from organizations where id = $1 {lock}"
    ))
    .bind(organization_id)
    .fetch_optional(&mut **tx)
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_grant_their_statements_and_custom_ones_what_they_store() {
        assert_eq!(
            grants_of("owner", None),
            built_in_organization_role("owner").unwrap()
        );
        // A custom role cannot shadow a built-in one.
        assert_eq!(
            grants_of("member", Some(r#"{"organization":["delete"]}"#)),
            built_in_organization_role("member").unwrap()
        );
        let billing = grants_of(
            "billing",
            Some(r#"{"member":["update"],"team":["create"]}"#),
        );
        assert!(billing.allows("member", "update") && billing.allows("team", "create"));
        assert!(!billing.allows("member", "delete"));
        // A role that no longer exists grants nothing.
        assert!(grants_of("gone", None).is_empty());
    }

    #[test]
    fn a_built_in_and_a_custom_role_pass_when_either_allows() {
        use crate::access::statements::authorizes;
        let grants = [
            grants_of("member", None),
            grants_of("billing", Some(r#"{"invitation":["create"]}"#)),
        ];
        let ask = |pairs: &[(&str, &[&str])]| authorizes(grants.iter(), &Statements::of(pairs));
        assert!(ask(&[("ac", &["read"])]), "the built-in one");
        assert!(ask(&[("invitation", &["create"])]), "the custom one");
        // Better Auth's rule: one role must grant the whole request.
        assert!(!ask(&[("ac", &["read"]), ("invitation", &["create"])]));
        assert!(!ask(&[("invitation", &["cancel"])]));
    }
}
