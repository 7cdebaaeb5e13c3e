//! Role invitations' table, and the uses taken of them.

use sqlx::{any::AnyRow, Row};

use crate::server::{
    clock, crypto,
    db::{Db, Tx},
};

#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: String,
    pub secret_kind: String,
    pub role: String,
    pub email: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub status: String,
    pub expires_at: i64,
    /// None with `by_instance` false: the creator's account is gone.
    pub created_by: Option<String>,
    /// Made by the instance itself (setup link, CLI), not by an account.
    pub by_instance: bool,
    pub redirect_after_accept: Option<String>,
    pub share_inviter_name: bool,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, secret_kind, role, email, max_uses, uses, status, expires_at, created_by, by_instance, \
     redirect_after_accept, share_inviter_name, created_at";

impl InviteRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            secret_kind: row.try_get("secret_kind")?,
            role: row.try_get("role")?,
            email: row.try_get("email")?,
            max_uses: row.try_get("max_uses")?,
            uses: row.try_get("uses")?,
            status: row.try_get("status")?,
            expires_at: row.try_get("expires_at")?,
            created_by: row.try_get("created_by")?,
            by_instance: row.try_get::<i64, _>("by_instance")? != 0,
            redirect_after_accept: row.try_get("redirect_after_accept")?,
            share_inviter_name: row.try_get::<i64, _>("share_inviter_name")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }
}

pub struct NewInvite<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub secret_kind: &'a str,
    pub role: &'a str,
    pub email: Option<&'a str>,
    pub max_uses: Option<i64>,
    pub expires_at: i64,
    /// None: made by the instance itself.
    pub created_by: Option<&'a str>,
    pub redirect_after_accept: Option<&'a str>,
    pub share_inviter_name: bool,
    pub setup: bool,
}

pub async fn insert(tx: &mut Tx, n: &NewInvite<'_>) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into role_invitations
             (id, token_hash, secret_kind, role, email, max_uses, uses, status, expires_at, created_by,
              by_instance, redirect_after_accept, share_inviter_name, setup, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, 0, 'pending', $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(n.id)
    .bind(n.token_hash)
    .bind(n.secret_kind)
    .bind(n.role)
    .bind(n.email)
    .bind(n.max_uses)
    .bind(n.expires_at)
    .bind(n.created_by)
    .bind(i64::from(n.created_by.is_none()))
    .bind(n.redirect_after_accept)
    .bind(i64::from(n.share_inviter_name))
    .bind(i64::from(n.setup))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The invitation a secret belongs to, by the hashes it may be stored
/// under; on the pool or inside a transaction (`db.pool()` or `&mut **tx`).
pub async fn find_by_hash<'e, E>(
    executor: E,
    hashes: &crate::invitations::secret::Hashes,
) -> sqlx::Result<Option<InviteRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "select {COLUMNS} from role_invitations where token_hash = $1 or token_hash = $2"
    ))
    .bind(&hashes.current)
    .bind(hashes.other())
    .fetch_optional(executor)
    .await?
    .as_ref()
    .map(InviteRow::from_row)
    .transpose()
}

pub async fn find_by_id(tx: &mut Tx, id: &str) -> sqlx::Result<Option<InviteRow>> {
    sqlx::query(&format!(
        "select {COLUMNS} from role_invitations where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(InviteRow::from_row)
    .transpose()
}

/// The newest open invitation sent to `email` (of any role), if any.
pub async fn open_for_email(db: &Db, email: &str, now: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select id from role_invitations
         where email = $1 and status = 'pending' and expires_at > $2
           and (max_uses is null or uses < max_uses)
         order by created_at desc, id limit 1",
    )
    .bind(email)
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Takes one use, if one is left: the check and the count are one UPDATE,
/// so concurrent acceptances can never take more uses than there are (the
/// row lock on PostgreSQL, the write lock on SQLite). The last use marks the
/// invitation `used`.
pub async fn take_use(tx: &mut Tx, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update role_invitations
         set uses = uses + 1,
             status = case when max_uses is not null and uses + 1 >= max_uses then 'used' else status end,
             updated_at = $1
         where id = $2 and status = 'pending' and expires_at > $1
           and (max_uses is null or uses < max_uses)",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn record_use(
    tx: &mut Tx,
    invitation_id: &str,
    user_id: &str,
    previous_role: Option<&str>,
    new_role: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into role_invitation_uses (id, invitation_id, user_id, previous_role, new_role, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crypto::new_id())
    .bind(invitation_id)
    .bind(user_id)
    .bind(previous_role)
    .bind(new_role)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Gives a pending invitation a new secret and expiry, and makes the
/// resender its creator: the old secret stops working at once, and the
/// invitation now acts with the resender's authority.
pub async fn replace_secret(
    tx: &mut Tx,
    id: &str,
    token_hash: &str,
    expires_at: i64,
    resender: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update role_invitations set token_hash = $1, expires_at = $2, updated_at = $3,
             created_by = $4, by_instance = 0
         where id = $5 and status = 'pending'",
    )
    .bind(token_hash)
    .bind(expires_at)
    .bind(clock::now_ms())
    .bind(resender)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct UseRow {
    pub invitation_id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub previous_role: Option<String>,
    pub new_role: String,
    pub created_at: i64,
}

/// The filter of the list: which computed status, and an email fragment.
pub struct ListFilter<'a> {
    pub status: Option<&'a str>,
    pub search: &'a str,
}

/// A page of invitations, newest first, the total, and the uses of those
/// on the page.
pub async fn list(
    db: &Db,
    filter: ListFilter<'_>,
    limit: i64,
    offset: i64,
    now: i64,
) -> sqlx::Result<(Vec<InviteRow>, i64, Vec<UseRow>)> {
    // `expired` is computed, so each status is a condition over stored ones.
    let status_sql = match filter.status {
        Some("pending") => "status = 'pending' and expires_at > $1",
        Some("expired") => "status = 'pending' and expires_at <= $1",
        Some("used") => "status = 'used' and $1 = $1",
        Some("canceled") => "status = 'canceled' and $1 = $1",
        Some("rejected") => "status = 'rejected' and $1 = $1",
        _ => "$1 = $1",
    };
    let search = format!(
        "%{}%",
        filter
            .search
            .trim()
            .to_lowercase()
            .replace(['%', '_', '\\'], "")
    );
    let where_sql = format!("where {status_sql} and coalesce(email, '') like $2");
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from role_invitations {where_sql}
         order by created_at desc, id limit $3 offset $4"
    ))
    .bind(now)
    .bind(&search)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(InviteRow::from_row)
    .collect::<sqlx::Result<Vec<_>>>()?;
    let total: i64 = sqlx::query_scalar(&format!(
        "select count(*) from role_invitations {where_sql}"
    ))
    .bind(now)
    .bind(&search)
    .fetch_one(db.pool())
    .await?;
    let uses = if rows.is_empty() {
        Vec::new()
    } else {
        let placeholders: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "select x.invitation_id, x.user_id, u.name, u.email, x.previous_role, x.new_role, x.created_at
             from role_invitation_uses x join users u on u.id = x.user_id
             where x.invitation_id in ({}) order by x.created_at",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in &rows {
            query = query.bind(&row.id);
        }
        query
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(UseRow {
                    invitation_id: r.try_get("invitation_id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    previous_role: r.try_get("previous_role")?,
                    new_role: r.try_get("new_role")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<sqlx::Result<_>>()?
    };
    Ok((rows, total, uses))
}

pub async fn count_users(tx: &mut Tx) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from users")
        .fetch_one(&mut **tx)
        .await
}

/// When the newest first-run link that still waits was made.
pub async fn newest_pending_setup_link(tx: &mut Tx) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select max(created_at) from role_invitations where setup = 1 and status = 'pending'",
    )
    .fetch_one(&mut **tx)
    .await
}

/// Retires earlier first-run links, so only the newest one works.
pub async fn cancel_setup_links(tx: &mut Tx) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "update role_invitations set status = 'canceled', updated_at = $1
         where setup = 1 and status = 'pending'",
    )
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
