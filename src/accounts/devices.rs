//! A person's own sessions (Better Auth's `list-sessions`, `revoke-session`,
//! `revoke-other-sessions`, `revoke-sessions`): the devices signed in to
//! their account, and ending any of them. Each ending is audited.

use serde_json::json;

use super::{
    sessions::{self, Current, SessionRow},
    ListedSession,
};
use crate::{
    audit,
    error::ApiResult,
    server::{clock, db::Db},
};

/// A browser and system in a few words ("Firefox on Linux"), read from a
/// user agent; what the account page shows people to tell devices apart.
pub fn describe(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|u| !u.is_empty()) else {
        return "Unknown device".to_owned();
    };
    // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("node", "Node.js"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => ua.chars().take(40).collect(),
    }
}

/// A session as `list-sessions` and `admin/list-user-sessions` show it;
/// `current` is the id of the session asking.
pub fn listed(s: SessionRow, current: Option<&str>) -> ListedSession {
    ListedSession {
        token: s.id.clone(),
        current: current == Some(s.id.as_str()),
        device: describe(s.user_agent.as_deref()),
        id: s.id,
        user_id: s.user_id,
        expires_at: clock::rfc3339(s.expires_at),
        created_at: clock::rfc3339(s.created_at),
        updated_at: clock::rfc3339(s.updated_at),
        ip_address: s.ip_address,
        user_agent: s.user_agent,
        impersonated_by: s.impersonated_by,
    }
}

pub async fn list(db: &Db, me: &Current) -> ApiResult<Vec<ListedSession>> {
    let mut rows = sessions::for_user(db, &me.user.id, clock::now_ms()).await?;
    // This device first, then the most recently used.
    rows.sort_by_key(|s| s.id != me.session.id);
    Ok(rows
        .into_iter()
        .map(|s| listed(s, Some(&me.session.id)))
        .collect())
}

/// Ends one of the caller's sessions, by its token or its id. Someone
/// else's, or one gone already, ends nothing, as in Better Auth.
pub async fn revoke(db: &Db, me: &Current, token_or_id: &str, ip: &str) -> ApiResult<bool> {
    let mut tx = db.begin().await?;
    let ended = sessions::delete_mine(&mut tx, &me.user.id, token_or_id.trim()).await?;
    if ended {
        audit::record(
            &mut tx,
            audit::Event::new("session.revoke")
                .actor(&me.user.id)
                .target(&me.user.id)
                .after(json!({ "sessions": 1 }))
                .ip(ip),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// Ends every session of the caller's but this one (`all: false`), or
/// every one (`all: true`). Answers how many ended.
pub async fn revoke_many(db: &Db, me: &Current, all: bool, ip: &str) -> ApiResult<u64> {
    let mut tx = db.begin().await?;
    let ended = if all {
        sessions::delete_all_for_user(&mut tx, &me.user.id).await?
    } else {
        sessions::delete_others(&mut tx, &me.user.id, &me.session.id).await?
    };
    let action = if all {
        "session.revoke-all"
    } else {
        "session.revoke-others"
    };
    audit::record(
        &mut tx,
        audit::Event::new(action)
            .actor(&me.user.id)
            .target(&me.user.id)
            .after(json!({ "sessions": ended }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn devices_are_told_apart_in_a_few_words() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
            ("curl/8.5.0", "curl"),
            ("node", "Node.js"),
            ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
            ("SomethingElse/1.0", "SomethingElse/1.0"),
        ];
        for (ua, want) in cases {
            assert_eq!(describe(Some(ua)), want, "{ua}");
        }
        assert_eq!(describe(None), "Unknown device");
        assert_eq!(describe(Some("  ")), "Unknown device");
        assert_eq!(describe(Some(&"x".repeat(100))).chars().count(), 40);
    }
}
