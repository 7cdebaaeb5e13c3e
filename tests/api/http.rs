//! The HTTP surface's defences (SPEC §8): host-only session cookies on
//! https, CORS for trusted origins only, foreign-origin POSTs refused, and
//! password resets that answer alike for every address.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;

use crate::support::{Backend, TestApp};

/// On https the session cookie is `__Host-` prefixed, and a plain-named
/// cookie (as a sibling subdomain could plant) is not a session.
async fn https_sessions_use_host_cookies(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("base_url", "\"https://id.example.com\"")]).await
    else {
        return;
    };
    let res = app
        .sign_up("Hal", "hal@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200);
    let set_cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-gatehouse.session_token="))
        .expect("a __Host- cookie")
        .to_owned();
    assert!(set_cookie.contains("; Secure") && set_cookie.contains("Path=/"));
    assert!(!set_cookie.to_lowercase().contains("domain="));
    let token = res.body["token"].as_str().unwrap();
    let host = app
        .session(&format!("__Host-gatehouse.session_token={token}"))
        .await;
    assert_eq!(host.body["user"]["email"], "hal@example.com");
    let planted = app
        .session(&format!("gatehouse.session_token={token}"))
        .await;
    assert!(planted.is_no_session(), "{}", planted.text);
}

/// CORS with credentials for trusted origins only.
async fn cors_answers_trusted_origins_only(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[("trusted_origins", "[\"https://app.example.com\"]")],
    )
    .await
    else {
        return;
    };
    for (origin, allowed) in [
        ("https://app.example.com", true),
        ("https://evil.example.net", false),
    ] {
        let preflight = app
            .request(
                Method::OPTIONS,
                "/api/auth/sign-in/email",
                None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
            )
            .await;
        let allow = preflight
            .headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        let credentials = preflight
            .headers
            .get("access-control-allow-credentials")
            .is_some();
        if allowed {
            assert_eq!(allow.as_deref(), Some(origin));
            assert!(credentials);
        } else {
            assert_eq!(allow, None, "{origin}");
        }
        let session = app
            .request(
                Method::GET,
                "/api/auth/get-session",
                None,
                &[("origin", origin)],
            )
            .await;
        assert_eq!(
            session.headers.get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}

/// A password reset answers the same, and at once, for known and unknown
/// addresses; the work happens after the answer. Strangers' reset requests
/// cannot spend the budget of an admin's invitations.
async fn resets_answer_alike_and_do_not_spend_admin_budgets(backend: Backend) {
    let Some(app) = TestApp::invite_only(
        backend,
        &[
            ("rate_limits.email_per_recipient", "\"2/1h\""),
            ("rate_limits.email_per_recipient_admin", "\"2/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    app.with_role("bob@example.com", "user").await;
    let known = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "bob@example.com" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    app.wait_for_emails("bob@example.com", 1).await;
    for _ in 0..3 {
        app.post(
            "/api/auth/request-password-reset",
            json!({ "email": "bob@example.com" }),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.emails_to("bob@example.com").await.len(),
        2,
        "the public budget"
    );
    // The admin's invitation to bob still goes out.
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "admin", "email": "bob@example.com" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.emails_to("bob@example.com").await.len(), 3);
}

/// Every registered POST endpoint refuses a request from a foreign origin,
/// before it does anything.
#[tokio::test]
async fn every_post_route_refuses_a_foreign_origin() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await.unwrap();
    let routes: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method == Method::POST)
        .map(|(path, _)| path.to_owned())
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    let audited = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from audit_events")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let before = audited().await;
    for path in &routes {
        let res = app
            .request(
                Method::POST,
                path,
                Some("{}"),
                &[
                    ("origin", "https://evil.example.net"),
                    ("sec-fetch-site", "cross-site"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{path}: {}", res.text);
        assert_eq!(res.code(), "INVALID_ORIGIN", "{path}");
    }
    assert_eq!(audited().await, before, "nothing was done");
}

on_both_databases!(
    https_sessions_use_host_cookies,
    cors_answers_trusted_origins_only,
    resets_answer_alike_and_do_not_spend_admin_budgets,
);
