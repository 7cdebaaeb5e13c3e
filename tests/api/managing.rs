//! Who may manage whom (SPEC §3 "Accounts" 1): ranks, the last owner,
//! searching accounts, and stored addresses kept in the form people sign in
//! with.

use serde_json::json;

use crate::secrets::user_id;
use crate::support::{Backend, TestApp};

async fn set_role(
    app: &TestApp,
    cookie: &str,
    email: &str,
    role: &str,
) -> crate::support::Response {
    let id = user_id(app, email).await;
    app.post_with_cookie(
        "/api/auth/admin/set-role",
        json!({ "userId": id, "role": role }),
        cookie,
    )
    .await
}

async fn disable(app: &TestApp, cookie: &str, email: &str) -> crate::support::Response {
    let id = user_id(app, email).await;
    app.post_with_cookie(
        "/api/auth/admin/disable-user",
        json!({ "userId": id }),
        cookie,
    )
    .await
}

/// SPEC §3 "Accounts" 1: granting goes up to one's own rank; acting on an
/// account needs a rank above it; owners act on owners, but the last one
/// stays.
async fn only_a_higher_rank_acts_on_an_account(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let ada = app.with_role("ada@example.com", "admin").await;
    app.with_role("bob@example.com", "admin").await;
    app.with_role("mel@example.com", "user").await;

    // One admin cannot demote or disable another.
    for res in [
        set_role(&app, &ada, "bob@example.com", "user").await,
        disable(&app, &ada, "bob@example.com").await,
    ] {
        assert_eq!(res.status, 403, "{}", res.text);
        assert_eq!(res.code(), "INSUFFICIENT_PERMISSIONS");
    }
    // Nor demote themselves.
    assert_eq!(
        set_role(&app, &ada, "ada@example.com", "user").await.status,
        403
    );
    // But an admin may grant up to their own rank to someone below them.
    let res = set_role(&app, &ada, "mel@example.com", "admin").await;
    assert_eq!(res.status, 200, "{}", res.text);
    // An owner acts on admins.
    assert_eq!(
        set_role(&app, &owner, "bob@example.com", "user")
            .await
            .status,
        200
    );
    // The list says which accounts the caller may act on.
    let list = app.get("/api/auth/admin/list-users", Some(&ada)).await;
    let manageable: Vec<(String, bool)> = list.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_owned(),
                u["manageable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        manageable.contains(&("bob@example.com".into(), true)),
        "{manageable:?}"
    );
    assert!(
        manageable.contains(&("mel@example.com".into(), false)),
        "{manageable:?}"
    );
    assert!(
        manageable.contains(&("owner@example.com".into(), false)),
        "{manageable:?}"
    );

    // The last owner can neither step down nor be disabled; with a second
    // owner, either may step down.
    let res = set_role(&app, &owner, "owner@example.com", "admin").await;
    assert_eq!(res.code(), "CANNOT_DEMOTE_LAST_OWNER", "{}", res.text);
    let second = app.with_role("second@example.com", "owner").await;
    assert_eq!(
        disable(&app, &second, "owner@example.com").await.status,
        200
    );
    let res = set_role(&app, &second, "second@example.com", "admin").await;
    assert_eq!(
        res.code(),
        "CANNOT_DEMOTE_LAST_OWNER",
        "a disabled owner does not count"
    );
}

/// Two owners demote each other at the same moment: one wins, the other is
/// refused, and an owner remains, whichever order the database picks.
async fn two_owners_demoting_each_other_leave_one(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    for round in 0..5 {
        let a_email = format!("a{round}@example.com");
        let b_email = format!("b{round}@example.com");
        let a = app.with_role(&a_email, "owner").await;
        let b = app.with_role(&b_email, "owner").await;
        // Only these two are owners this round.
        sqlx::query(
            "update users set role = 'admin' where role = 'owner' and email not in ($1, $2)",
        )
        .bind(&a_email)
        .bind(&b_email)
        .execute(&app.db)
        .await
        .unwrap();
        let (ra, rb) = tokio::join!(
            set_role(&app, &a, &b_email, "admin"),
            set_role(&app, &b, &a_email, "admin"),
        );
        let ok = [ra.status.as_u16(), rb.status.as_u16()];
        assert_eq!(
            ok.iter().filter(|s| **s == 200).count(),
            1,
            "{} / {}",
            ra.text,
            rb.text
        );
        assert!(
            ok.iter().all(|s| *s == 200 || *s == 403 || *s == 409),
            "{ok:?}"
        );
        let owners: i64 =
            sqlx::query_scalar("select count(*) from users where role = 'owner' and disabled = 0")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(owners, 1, "round {round}");
    }
}

/// `%` and `_` in a search are searched for, not wildcards.
async fn user_search_takes_wildcards_literally(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    app.signed_up("o_neil@example.com").await;
    app.signed_up("oxneil@example.com").await;
    app.signed_up("hundred%@example.com").await;
    for (search, expected) in [
        ("o_n", vec!["o_neil@example.com"]),
        ("d%", vec!["hundred%@example.com"]),
        ("neil", vec!["o_neil@example.com", "oxneil@example.com"]),
    ] {
        let res = app
            .get(
                &format!("/api/auth/admin/list-users?search={}", urlencode(search)),
                Some(&owner),
            )
            .await;
        let mut found: Vec<&str> = res.body["users"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", res.text))
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        found.sort();
        assert_eq!(found, expected, "{search}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Addresses stored before domains were kept in their ASCII form are
/// rewritten at start, so their owners still sign in with what they type.
async fn stored_unicode_domains_are_brought_to_ascii(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("ana@xn--bcher-kva.example").await;
    sqlx::query(
        "update users set email = 'ana@bücher.example' where email = 'ana@xn--bcher-kva.example'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // As a database from before the rewrite: it has not run there yet.
    sqlx::query("delete from instance_settings where name = 'emails-ascii-v1'")
        .execute(&app.db)
        .await
        .unwrap();
    let restarted = app.another_node(&[]).await;
    let stored: String = sqlx::query_scalar("select email from users where name = 'Test Person'")
        .fetch_one(&restarted.db)
        .await
        .unwrap();
    assert_eq!(stored, "ana@xn--bcher-kva.example");
    let res = restarted
        .sign_in("ana@Bücher.example", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

on_both_databases!(
    only_a_higher_rank_acts_on_an_account,
    two_owners_demoting_each_other_leave_one,
    user_search_takes_wildcards_literally,
    stored_unicode_domains_are_brought_to_ascii,
);
