//! Rate limits that hold against a determined caller (SPEC §8): forged
//! client addresses, repeated sign-ins to one account, code guesses from
//! many addresses.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;

use crate::support::{Backend, TestApp};

/// Behind trusted proxies, the client is the first address from the right
/// that is not one of them: a forged `X-Forwarded-For` entry does not buy a
/// fresh rate-limit bucket. Without trusted proxies the header is ignored.
async fn forged_forwarded_for_does_not_escape_the_limit(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.sign_in", "\"3/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let sign_in = |forwarded: String| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(&json!({ "email": format!("x{}@example.com", forwarded.len()), "password": "whatever it is" }).to_string()),
                &[("x-forwarded-for", forwarded.as_str())],
            )
            .await
        }
    };
    for i in 0..3 {
        let res = sign_in(format!("10.{i}.{i}.{i}, 198.51.100.7")).await;
        assert_eq!(res.status, 401, "{}", res.text);
    }
    let res = sign_in("10.9.9.9, 198.51.100.7".into()).await;
    assert_eq!(
        res.status, 429,
        "the forged first entry bought a new bucket"
    );
    // Another client behind the same proxy has its own budget.
    let res = sign_in("198.51.100.8".into()).await;
    assert_eq!(res.status, 401, "{}", res.text);

    let Some(plain) = TestApp::spawn(backend, &[("rate_limits.sign_in", "\"2/1h\"")]).await else {
        return;
    };
    for (i, expected) in [(1, 401), (2, 401), (3, 429)] {
        let res = plain
            .request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(
                    &json!({ "email": "y@example.com", "password": "whatever it is" }).to_string(),
                ),
                &[("x-forwarded-for", format!("203.0.113.{i}").as_str())],
            )
            .await;
        assert_eq!(res.status, expected, "untrusted X-Forwarded-For is ignored");
    }
}

/// Failed sign-ins to one account slow down every further attempt to it,
/// from any address, for a while: never a lockout for good.
async fn failed_sign_ins_to_one_account_are_slowed(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.sign_in", "\"1000/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    app.signed_up("victim@example.com").await;
    let attempt = |password: &str, from: String| {
        let app = &app;
        let body = json!({ "email": "victim@example.com", "password": password }).to_string();
        async move {
            app.request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(&body),
                &[("x-forwarded-for", from.as_str())],
            )
            .await
        }
    };
    for i in 0..5 {
        let res = attempt("wrong password!", format!("198.51.100.{i}")).await;
        assert_eq!(res.status, 401, "{}", res.text);
    }
    // Right after the fifth failure, even the right password waits.
    let res = attempt("correct horse battery", "203.0.113.50".into()).await;
    assert_eq!(res.status, 429, "{}", res.text);
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("this account"));
    // Other accounts are not affected.
    app.signed_up("bystander@example.com").await;
    let other = app
        .sign_in("bystander@example.com", "correct horse battery")
        .await;
    assert_eq!(other.status, 200);
    // After the wait (1 s after five failures), a burst of parallel guesses
    // gets one turn between them, not one each.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let burst = futures::future::join_all(
        (0..4).map(|i| attempt("wrong password!", format!("198.51.100.{}", 20 + i))),
    )
    .await;
    let mut statuses: Vec<u16> = burst.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [401, 429, 429, 429]);
    // Six in a row: 2 s. Then the owner gets in, and the count starts over.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = attempt("correct horse battery", "203.0.113.50".into()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = attempt("wrong password!", "203.0.113.50".into()).await;
    assert_eq!(res.status, 401, "a success starts the count over");
}

/// A budget of failed code lookups for all addresses together: many
/// addresses cannot add up to a brute-force pass.
async fn code_guesses_from_many_addresses_share_one_budget(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.invite_code", "\"100/1h\""),
            ("rate_limits.invite_code_global", "\"3/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let public = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "tokenType": "code" }),
            &owner,
        )
        .await;
    let good = public.body["message"].as_str().unwrap().to_owned();
    let lookup = |code: &str, from: String| {
        let app = &app;
        let path = format!("/api/auth/invite/get?token={code}");
        async move {
            app.request(
                Method::GET,
                &path,
                None,
                &[("x-forwarded-for", from.as_str())],
            )
            .await
        }
    };
    assert_eq!(lookup(&good, "198.51.100.1".into()).await.status, 200);
    for i in 0..3 {
        let res = lookup("ABCD-EFGH", format!("198.51.100.{}", 10 + i)).await;
        assert_eq!(res.status, 404, "{}", res.text);
    }
    let res = lookup("ABCD-EFGH", "198.51.100.99".into()).await;
    assert_eq!(res.status, 429, "{}", res.text);
    let res = lookup(&good, "198.51.100.100".into()).await;
    assert_eq!(res.status, 429, "while the budget is spent, codes wait");
}

on_both_databases!(
    forged_forwarded_for_does_not_escape_the_limit,
    failed_sign_ins_to_one_account_are_slowed,
    code_guesses_from_many_addresses_share_one_budget,
);
