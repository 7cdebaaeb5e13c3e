//! Reading the audit log over HTTP (SPEC §4 `/admin/audit`, §5), on SQLite
//! and PostgreSQL.

use serde_json::{json, Value};

use crate::support::{Backend, TestApp};

/// Filters by group, action, actor, target and dates; names for ids; the
/// page and the JSON Lines export; only for `audit:read`.
async fn the_audit_log_filters_names_and_exports(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let owner = app.account("owner@example.com", "owner").await;
    app.account("ada@example.com", "user").await;
    let user = app.account("bob@example.com", "user").await;
    let ada: String = sqlx::query_scalar("select id from users where email = 'ada@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for role in ["moderator", "admin"] {
        let res = app
            .post_with_cookie(
                "/api/auth/admin/set-role",
                json!({ "userId": ada, "role": role }),
                &owner,
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let res = app
        .post_with_cookie(
            "/api/auth/organization/create",
            json!({ "name": "Acme", "slug": "acme" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let list = |query: &'static str| {
        let (app, owner) = (&app, owner.clone());
        async move {
            app.get(
                &format!("/api/auth/admin/list-audit-events?{query}"),
                Some(&owner),
            )
            .await
        }
    };
    let actions = |body: &Value| -> Vec<String> {
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };

    // One person's role changes, newest first, with names for the ids.
    let res = list("action=user.set-role&target=ADA%40example.com").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["total"], 2);
    let newest = &res.body["events"][0];
    assert_eq!(newest["before"]["role"], "moderator");
    assert_eq!(newest["after"]["role"], "admin");
    assert_eq!(newest["actor"]["email"], "owner@example.com");
    assert_eq!(newest["targetName"], "Test Person (ada@example.com)");
    // Groups, actors and dates.
    let res = list("group=organizations").await;
    assert_eq!(actions(&res.body), ["organization.create"]);
    let res = list("group=organizations").await;
    assert_eq!(res.body["events"][0]["targetName"], "Acme");
    let res = list("group=users&actor=owner%40example.com").await;
    assert_eq!(actions(&res.body), ["user.set-role", "user.set-role"]);
    let res = list("actor=nobody%40example.com").await;
    assert_eq!(res.body["total"], 0);
    let res = list("from=2000-01-01&to=2000-12-31").await;
    assert_eq!(res.body["total"], 0);
    let res = list("limit=1&offset=1&group=users").await;
    assert_eq!(res.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["total"], 2);
    for bad in [
        "group=nothing",
        "action=user.fly",
        "from=yesterday",
        "offset=-1",
    ] {
        let res = app
            .get(
                &format!("/api/auth/admin/list-audit-events?{bad}"),
                Some(&owner),
            )
            .await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (400, "INVALID_QUERY"),
            "{bad}"
        );
    }

    // Only for `audit:read`.
    let res = app
        .get("/api/auth/admin/list-audit-events", Some(&user))
        .await;
    assert_eq!(res.status, 403, "{}", res.text);
    let res = app.get("/api/auth/admin/list-audit-events", None).await;
    assert_eq!(res.status, 401);

    // The export: the filtered events, one JSON object a line.
    let res = app
        .get(
            "/api/auth/admin/export-audit-events?group=users",
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/x-ndjson"));
    let lines: Vec<Value> = res
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|e| e["action"] == "user.set-role"));
    let res = app
        .get("/api/auth/admin/export-audit-events", Some(&user))
        .await;
    assert_eq!(res.status, 403);

    // The page: filtered on the server, each row opening to its change.
    let page = app
        .get(
            "/admin/audit?what=action%3Auser.set-role&target=ada%40example.com",
            Some(&owner),
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text.matches(r#"data-testid="audit-event""#).count(), 2);
    assert!(page.text.contains("2 events"));
    // The export link carries the same filters.
    let export = page
        .text
        .split("href=\"/api/auth/admin/export-audit-events?")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an export link");
    assert!(export.starts_with("action=user%2Eset%2Drole"), "{export}");
    assert!(export.contains("target=ada%40example%2Ecom"), "{export}");
}

on_both_databases!(the_audit_log_filters_names_and_exports,);

/// Every action the code records is one the log's filter offers: an
/// action missing from `audit::domain::ACTIONS` could never be filtered on.
#[test]
fn every_recorded_action_is_listed() {
    fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("Event::new(\"").skip(1) {
                    found.push(piece.split('"').next().unwrap().to_owned());
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(found.len() > 50, "the scan finds the recorded actions");
    let missing: Vec<_> = found
        .iter()
        .filter(|a| !gatehouse::audit::domain::ACTIONS.contains(&a.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in ACTIONS: {missing:?}");
}
