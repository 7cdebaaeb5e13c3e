//! Enrollment tokens and the queries behind the users list.

use sqlx::Row;

use crate::{
    accounts::store::UserRow,
    server::{
        clock,
        db::{Db, Tx},
    },
};

pub async fn insert_enrollment(
    tx: &mut Tx,
    token_hash: &str,
    user_id: &str,
    expires_at: i64,
    created_by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into enrollments (token_hash, user_id, expires_at, created_by, created_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .bind(created_by)
    .bind(clock::now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Retires every live enrollment token of a user.
pub async fn retire_enrollments(tx: &mut Tx, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("update enrollments set used_at = $1 where user_id = $2 and used_at is null")
        .bind(clock::now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Spends a live token and returns its user. One UPDATE does the check and
/// the spending, so of two concurrent completions only one gets the user.
pub async fn consume_enrollment(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "update enrollments set used_at = $1
         where token_hash = $2 and used_at is null and expires_at > $1
         returning user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

/// The user a live token belongs to, without spending it.
pub async fn enrollment_user(db: &Db, token_hash: &str, now: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(&format!(
        "select {} from enrollments e join users u on u.id = e.user_id
         where e.token_hash = $1 and e.used_at is null and e.expires_at > $2",
        UserRow::COLUMNS_AS_U
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(UserRow::from_row)
    .transpose()
}

pub async fn has_password(tx: &mut Tx, user_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("select count(*) from credentials where user_id = $1")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

pub async fn set_disabled(tx: &mut Tx, user_id: &str, disabled: bool) -> sqlx::Result<()> {
    sqlx::query("update users set disabled = $1, updated_at = $2 where id = $3")
        .bind(i64::from(disabled))
        .bind(clock::now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// A page of users, newest first, matching an email or name fragment, with
/// whether each still waits for enrollment (no password yet).
pub async fn list(
    db: &Db,
    search: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<(UserRow, bool)>, i64)> {
    let pattern = format!("%{}%", like_escaped(&search.trim().to_lowercase()));
    // `escape` is spelled out: PostgreSQL's default is a backslash, SQLite has none.
    let filter = "where lower(u.email) like $1 escape '\\' or lower(u.name) like $1 escape '\\'";
    let rows = sqlx::query(&format!(
        "select {}, (select count(*) from credentials c where c.user_id = u.id) as has_password
         from users u {filter} order by u.created_at desc, u.id limit $2 offset $3",
        UserRow::COLUMNS_AS_U
    ))
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            UserRow::from_row(r)?,
            r.try_get::<i64, _>("has_password")? == 0,
        ))
    })
    .collect::<sqlx::Result<Vec<_>>>()?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from users u {filter}"))
        .bind(&pattern)
        .fetch_one(db.pool())
        .await?;
    Ok((rows, total))
}

/// `text` as a LIKE pattern that matches it literally: `%` and `_` are
/// searched for, not wildcards (`o_neil` finds only "o_neil").
pub fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::like_escaped;

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(like_escaped("o_neil"), "o\\_neil");
        assert_eq!(like_escaped("100%"), "100\\%");
        assert_eq!(like_escaped("a\\b"), "a\\\\b");
        assert_eq!(like_escaped("plain"), "plain");
    }
}
