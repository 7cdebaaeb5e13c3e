//! Join links' tables: the links, and who joined through each.

use sqlx::{any::AnyRow, Row};

use crate::{
    invitations::status::Status,
    server::{clock, db::Tx},
};

#[derive(Debug, Clone)]
pub struct JoinLinkRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub role: String,
    pub team_id: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    /// Lower case; empty lets any address join.
    pub allowed_domains: Vec<String>,
    /// Using it asks the organization's admins instead of joining.
    pub require_approval: bool,
    pub status: String,
    pub expires_at: i64,
    pub created_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "l.id, l.organization_id, l.name, l.role, l.team_id, l.max_uses, l.uses, \
     l.allowed_domains, l.require_approval, l.status, l.expires_at, l.created_by, l.created_at";

impl JoinLinkRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        let domains: Option<String> = row.try_get("allowed_domains")?;
        Ok(Self {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            role: row.try_get("role")?,
            team_id: row.try_get("team_id")?,
            max_uses: row.try_get("max_uses")?,
            uses: row.try_get("uses")?,
            allowed_domains: domains
                .map(|d| d.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            require_approval: row.try_get::<i64, _>("require_approval")? != 0,
            status: row.try_get("status")?,
            expires_at: row.try_get("expires_at")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// The status as people see it: expired past its expiry, `used` once
    /// its uses are taken, `revoked` once an admin ended it.
    pub fn status_at(&self, now: i64) -> Status {
        Status::at(&self.status, self.expires_at, self.uses, self.max_uses, now)
    }
}

pub struct NewJoinLink<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub team_id: Option<&'a str>,
    pub token_hash: &'a str,
    pub max_uses: Option<i64>,
    pub allowed_domains: &'a [String],
    pub require_approval: bool,
    pub expires_at: i64,
    pub created_by: &'a str,
}

pub async fn insert(tx: &mut Tx, n: &NewJoinLink<'_>) -> sqlx::Result<()> {
    let now = clock::now_ms();
    let domains = (!n.allowed_domains.is_empty()).then(|| n.allowed_domains.join(","));
    sqlx::query(
        "insert into join_links
             (id, organization_id, name, role, team_id, token_hash, max_uses, allowed_domains,
              require_approval, expires_at, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(n.id)
    .bind(n.organization_id)
    .bind(n.name)
    .bind(n.role)
    .bind(n.team_id)
    .bind(n.token_hash)
    .bind(n.max_uses)
    .bind(domains)
    .bind(i64::from(n.require_approval))
    .bind(n.expires_at)
    .bind(n.created_by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// A join link with the names its preview shows.
pub struct Described {
    pub link: JoinLinkRow,
    pub organization_name: String,
    pub organization_slug: String,
    pub creator_name: String,
    pub team_name: Option<String>,
}

/// The link with this id or this secret hash, with its organization's name
/// and slug, its creator's name and its team's, in one query.
pub async fn find_described<'e, E>(
    executor: E,
    id: &str,
    token_hash: &str,
) -> sqlx::Result<Option<Described>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "select {COLUMNS}, o.name as organization_name, o.slug as organization_slug,
                u.name as creator_name, t.name as team_name
         from join_links l
         join organizations o on o.id = l.organization_id
         join users u on u.id = l.created_by
         left join organization_teams t on t.id = l.team_id
         where l.id = $1 or l.token_hash = $2"
    ))
    .bind(id)
    .bind(token_hash)
    .fetch_optional(executor)
    .await?
    .map(|r| {
        Ok(Described {
            link: JoinLinkRow::from_row(&r)?,
            organization_name: r.try_get("organization_name")?,
            organization_slug: r.try_get("organization_slug")?,
            creator_name: r.try_get("creator_name")?,
            team_name: r.try_get("team_name")?,
        })
    })
    .transpose()
}

/// The link with this id or secret hash, inside `tx`.
pub async fn find(tx: &mut Tx, id: &str, token_hash: &str) -> sqlx::Result<Option<JoinLinkRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from join_links l where l.id = $1 or l.token_hash = $2"
    ))
    .bind(id)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(JoinLinkRow::from_row)
    .transpose()
}

/// Takes one use of an open link: false when it is revoked, expired or
/// used up by now. One guarded update, so of joins racing for the last use
/// exactly one gets it, on either database.
pub async fn take_use(tx: &mut Tx, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update join_links set uses = uses + 1, updated_at = $1
         where id = $2 and status = 'pending' and expires_at > $1
           and (max_uses is null or uses < max_uses)",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records who joined: false when this person joined through the link
/// before.
pub async fn record_use(tx: &mut Tx, id: &str, user_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into join_link_uses (join_link_id, user_id, created_at) values ($1, $2, $3)
         on conflict do nothing",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count_open(tx: &mut Tx, organization_id: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from join_links
         where organization_id = $1 and status = 'pending' and expires_at > $2
           and (max_uses is null or uses < max_uses)",
    )
    .bind(organization_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// An organization's links, newest first.
pub async fn for_organization<'e, E>(
    executor: E,
    organization_id: &str,
) -> sqlx::Result<Vec<JoinLinkRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "select {COLUMNS} from join_links l
         where l.organization_id = $1 order by l.created_at desc, l.id"
    ))
    .bind(organization_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(JoinLinkRow::from_row)
    .collect()
}

/// Someone who joined through a link.
pub struct UseRow {
    pub join_link_id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub created_at: i64,
}

/// Who joined through an organization's links, first joiners first.
pub async fn uses_in<'e, E>(executor: E, organization_id: &str) -> sqlx::Result<Vec<UseRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "select u.join_link_id, u.user_id, p.name, p.email, u.created_at
         from join_link_uses u
         join join_links l on l.id = u.join_link_id
         join users p on p.id = u.user_id
         where l.organization_id = $1
         order by u.created_at, u.user_id",
    )
    .bind(organization_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(|r| {
        Ok(UseRow {
            join_link_id: r.try_get("join_link_id")?,
            user_id: r.try_get("user_id")?,
            name: r.try_get("name")?,
            email: r.try_get("email")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .collect()
}
