//! Audit log queries.

use sqlx::{any::AnyRow, Row};

use crate::server::db::Db;

/// The id of the account with this (stored, lowercase) address: the audit
/// log is filtered by a person's email.
pub async fn user_id_by_email(db: &Db, email: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_optional(db.pool())
        .await
}

/// What the filters became: each `None` matches everything.
#[derive(Debug, Default)]
pub struct Filter {
    /// `like` patterns, any of which the action must match.
    pub actions: Vec<String>,
    pub actor_id: Option<String>,
    pub target: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

pub struct EventRow {
    pub id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// The admin behind the actor, in an impersonation session.
    pub impersonator_id: Option<String>,
    pub impersonator_name: Option<String>,
    pub impersonator_email: Option<String>,
    pub target: Option<String>,
    pub target_name: Option<String>,
    pub target_email: Option<String>,
    pub organization_name: Option<String>,
    pub webhook_url: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: i64,
}

impl EventRow {
    fn from_row(r: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            action: r.try_get("action")?,
            actor_id: r.try_get("actor_id")?,
            actor_name: r.try_get("actor_name")?,
            actor_email: r.try_get("actor_email")?,
            impersonator_id: r.try_get("impersonator_id")?,
            impersonator_name: r.try_get("impersonator_name")?,
            impersonator_email: r.try_get("impersonator_email")?,
            target: r.try_get("target")?,
            target_name: r.try_get("target_name")?,
            target_email: r.try_get("target_email")?,
            organization_name: r.try_get("organization_name")?,
            webhook_url: r.try_get("webhook_url")?,
            before_json: r.try_get("before_json")?,
            after_json: r.try_get("after_json")?,
            ip_address: r.try_get("ip_address")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// The `where` clause of `filter`, its placeholders numbered from 1, and
/// the values to bind in order.
fn clause(filter: &Filter) -> (String, Vec<String>, Vec<i64>) {
    let mut parts = Vec::new();
    let mut texts = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if !filter.actions.is_empty() {
        let any: Vec<String> = filter
            .actions
            .iter()
            .map(|a| {
                texts.push(a.clone());
                format!("e.action like {}", next())
            })
            .collect();
        parts.push(format!("({})", any.join(" or ")));
    }
    if let Some(actor) = &filter.actor_id {
        texts.push(actor.clone());
        parts.push(format!("e.actor_id = {}", next()));
    }
    if let Some(target) = &filter.target {
        texts.push(target.clone());
        parts.push(format!("e.target = {}", next()));
    }
    let mut numbers = Vec::new();
    if let Some(from) = filter.from_ms {
        numbers.push(from);
        parts.push(format!("e.created_at >= {}", next()));
    }
    if let Some(to) = filter.to_ms {
        numbers.push(to);
        parts.push(format!("e.created_at < {}", next()));
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!("where {}", parts.join(" and "))
    };
    (clause, texts, numbers)
}

/// A page of events, newest first, with the names their ids stand for, and
/// how many match in all. `limit` none: every match (the export).
pub async fn list(
    db: &Db,
    filter: &Filter,
    limit: Option<i64>,
    offset: i64,
) -> sqlx::Result<(Vec<EventRow>, i64)> {
    let (clause, texts, numbers) = clause(filter);
    let page = match limit {
        Some(limit) => format!("limit {limit} offset {offset}"),
        None => String::new(),
    };
    let sql = format!(
        "select e.id, e.action, e.actor_id, e.target, e.before_json, e.after_json, e.ip_address,
                e.created_at, a.name as actor_name, a.email as actor_email, e.impersonator_id,
                i.name as impersonator_name, i.email as impersonator_email,
                t.name as target_name, t.email as target_email,
                o.name as organization_name, w.url as webhook_url
         from audit_events e
         left join users a on a.id = e.actor_id
         left join users i on i.id = e.impersonator_id
         left join users t on t.id = e.target
         left join organizations o on o.id = e.target
         left join webhooks w on w.id = e.target
         {clause}
         order by e.created_at desc, e.id desc {page}"
    );
    let mut query = sqlx::query(&sql);
    for t in &texts {
        query = query.bind(t.clone());
    }
    for n in &numbers {
        query = query.bind(*n);
    }
    let rows = query
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(EventRow::from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    let count_sql = format!("select count(*) from audit_events e {clause}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for t in &texts {
        count = count.bind(t.clone());
    }
    for n in &numbers {
        count = count.bind(*n);
    }
    let total = count.fetch_one(db.pool()).await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clause_numbers_its_placeholders_in_bind_order() {
        let (sql, texts, numbers) = clause(&Filter {
            actions: vec!["user.%".into(), "session.%".into()],
            actor_id: Some("a".into()),
            target: None,
            from_ms: Some(1),
            to_ms: Some(2),
        });
        assert_eq!(
            sql,
            "where (e.action like $1 or e.action like $2) and e.actor_id = $3 and e.created_at >= $4 and e.created_at < $5"
        );
        assert_eq!(texts, ["user.%", "session.%", "a"]);
        assert_eq!(numbers, [1, 2]);
        assert_eq!(clause(&Filter::default()).0, "");
    }
}
