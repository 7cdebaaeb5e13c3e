//! The server side of reading the audit log.

use serde_json::Value;

use super::{AuditEventView, AuditList, AuditPerson, AuditQuery, PAGE_SIZE};
use crate::{
    audit::{
        domain::{Group, ACTIONS},
        origin,
        store::{self, EventRow, Filter},
    },
    error::{ApiError, ApiResult, Code},
    server::{clock, db::Db},
};

fn invalid(message: String) -> ApiError {
    ApiError::new(Code::InvalidQuery, message)
}

/// Milliseconds at the start of `date` (`YYYY-MM-DD`, UTC).
fn day_start(name: &str, date: &str) -> ApiResult<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), &format)
        .map_err(|_| invalid(format!("`{name}` is a date like 2026-11-30.")))?;
    Ok(day.midnight().assume_utc().unix_timestamp() * 1000)
}

/// A person named by email, or any other id as it is.
async fn person(db: &Db, key: Option<&str>) -> ApiResult<Option<String>> {
    let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    if key.contains('@') {
        let found = store::user_id_by_email(db, &key.to_lowercase()).await?;
        // Nobody with that address: a filter nothing matches.
        Ok(Some(found.unwrap_or_else(|| format!("no user {key}"))))
    } else {
        Ok(Some(key.to_owned()))
    }
}

/// The query's filters, checked.
pub async fn filter(db: &Db, q: &AuditQuery) -> ApiResult<Filter> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let actions = match (nonempty(&q.action), nonempty(&q.group)) {
        (Some(action), _) => {
            if !ACTIONS.contains(&action.as_str()) {
                return Err(invalid(format!(
                    "`{action}` is not an action Gatehouse records."
                )));
            }
            vec![action]
        }
        (None, Some(group)) => Group::parse(&group)
            .ok_or_else(|| {
                invalid(format!(
                    "`{group}` is not a group; use one of {}.",
                    Group::ALL.map(Group::name).join(", ")
                ))
            })?
            .actions()
            .map(str::to_owned)
            .collect(),
        (None, None) => Vec::new(),
    };
    let from_ms = nonempty(&q.from)
        .map(|d| day_start("from", &d))
        .transpose()?;
    // `to` includes its whole day.
    let to_ms = nonempty(&q.to)
        .map(|d| day_start("to", &d).map(|ms| ms + 86_400_000))
        .transpose()?;
    Ok(Filter {
        actions,
        actor_id: person(db, q.actor.as_deref()).await?,
        target: person(db, q.target.as_deref()).await?,
        from_ms,
        to_ms,
    })
}

fn parsed(json: Option<String>) -> Option<Value> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

fn view(e: EventRow) -> AuditEventView {
    let person = |id: &Option<String>, name, email| match (id, name, email) {
        (Some(id), Some(name), Some(email)) => Some(AuditPerson {
            id: id.clone(),
            name,
            email,
        }),
        _ => None,
    };
    let actor = person(&e.actor_id, e.actor_name, e.actor_email);
    let impersonator = person(
        &e.impersonator_id,
        e.impersonator_name,
        e.impersonator_email,
    );
    let target_name = match (e.target_name, e.target_email, e.organization_name) {
        (Some(name), Some(email), _) => Some(format!("{name} ({email})")),
        (_, _, Some(organization)) => Some(organization),
        // A webhook shows as its URL's origin (see webhooks::service::audited).
        _ => e.webhook_url.as_deref().map(origin),
    };
    AuditEventView {
        id: e.id,
        action: e.action,
        actor_id: e.actor_id,
        actor,
        impersonator_id: e.impersonator_id,
        impersonator,
        target: e.target,
        target_name,
        before: parsed(e.before_json),
        after: parsed(e.after_json),
        ip_address: e.ip_address,
        created_at: clock::rfc3339(e.created_at),
    }
}

fn number(name: &str, value: &Option<String>) -> ApiResult<Option<i64>> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| invalid(format!("`{name}` is a whole number.")))
        })
        .transpose()
}

pub async fn list(db: &Db, q: &AuditQuery) -> ApiResult<AuditList> {
    let filter = filter(db, q).await?;
    let limit = number("limit", &q.limit)?
        .unwrap_or(i64::from(PAGE_SIZE))
        .clamp(1, 200);
    let offset = number("offset", &q.offset)?.unwrap_or(0);
    let (rows, total) = store::list(db, &filter, Some(limit), offset).await?;
    Ok(AuditList {
        events: rows.into_iter().map(view).collect(),
        total,
    })
}

/// Every matching event, newest first, one JSON object a line.
pub async fn export(db: &Db, q: &AuditQuery) -> ApiResult<String> {
    let filter = filter(db, q).await?;
    let (rows, _) = store::list(db, &filter, None, 0).await?;
    let mut out = String::new();
    for event in rows.into_iter().map(view) {
        out.push_str(&serde_json::to_string(&event).map_err(|_| ApiError::internal())?);
        out.push('\n');
    }
    Ok(out)
}
