//! A person's own sessions (issue 27, first part; Better Auth's
//! `list-sessions`, `revoke-session`, `revoke-other-sessions`,
//! `revoke-sessions`), on SQLite and PostgreSQL.

use serde_json::json;

use crate::support::{Backend, TestApp};

async fn sign_in(app: &TestApp, email: &str) -> String {
    let res = app.sign_in(email, "correct horse battery").await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.session_cookie().expect("a session cookie")
}

async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    !app.session(cookie).await.body.is_null()
}

async fn people_see_their_devices_and_sign_any_of_them_out(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let laptop = app.account("ada@example.com", "user").await;
    let phone = sign_in(&app, "ada@example.com").await;
    let tablet = sign_in(&app, "ada@example.com").await;
    let stranger = app.account("bob@example.com", "user").await;

    // Signed out, nothing; signed in, one's own sessions only.
    let res = app.get("/api/auth/list-sessions", None).await;
    assert_eq!(res.status, 401, "{}", res.text);
    let res = app.get("/api/auth/list-sessions", Some(&laptop)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let listed = res.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    for s in &listed {
        assert_eq!(s["token"], s["id"], "only hashes of tokens are kept");
        assert!(s["expiresAt"].is_string() && s["updatedAt"].is_string());
        assert!(s["device"].is_string());
    }
    let phone_id = app.session(&phone).await.body["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(listed.iter().any(|s| s["id"] == phone_id.as_str()));

    // Someone else's session is never found: it ends nothing.
    let bob_id = app.session(&stranger).await.body["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_with_cookie(
            "/api/auth/revoke-session",
            json!({ "token": bob_id }),
            &laptop,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(signed_in(&app, &stranger).await);

    // One device, by the id the list shows; its next request is signed out.
    let res = app
        .post_with_cookie(
            "/api/auth/revoke-session",
            json!({ "token": phone_id }),
            &laptop,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], true);
    assert!(!signed_in(&app, &phone).await);
    assert!(signed_in(&app, &laptop).await && signed_in(&app, &tablet).await);
    let res = app
        .post_with_cookie("/api/auth/revoke-session", json!({}), &laptop)
        .await;
    assert_eq!(res.code(), "MISSING_FIELD");

    // Every other one; then every one, this one too.
    let phone = sign_in(&app, "ada@example.com").await;
    let res = app
        .post_with_cookie("/api/auth/revoke-other-sessions", json!({}), &laptop)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(signed_in(&app, &laptop).await);
    assert!(!signed_in(&app, &phone).await && !signed_in(&app, &tablet).await);
    let res = app.get("/api/auth/list-sessions", Some(&laptop)).await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    let phone = sign_in(&app, "ada@example.com").await;
    let res = app
        .post_with_cookie("/api/auth/revoke-sessions", json!({}), &laptop)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res
        .set_cookie_header()
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert!(!signed_in(&app, &laptop).await && !signed_in(&app, &phone).await);
    assert!(signed_in(&app, &stranger).await, "nobody else's");

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'session.revoke%' order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "session.revoke",
            "session.revoke-others",
            "session.revoke-all"
        ]
    );
}

async fn people_change_their_password_name_and_picture(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let here = app.account("ada@example.com", "user").await;
    let elsewhere = sign_in(&app, "ada@example.com").await;
    let change = |body: serde_json::Value| {
        let (app, here) = (&app, here.clone());
        async move {
            app.post_with_cookie("/api/auth/change-password", body, &here)
                .await
        }
    };

    let res =
        change(json!({ "currentPassword": "guess", "newPassword": "a new long password" })).await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "INVALID_PASSWORD"));
    let res =
        change(json!({ "currentPassword": "correct horse battery", "newPassword": "short" })).await;
    assert_eq!(res.code(), "PASSWORD_TOO_SHORT");
    let res = change(json!({ "newPassword": "a new long password" })).await;
    assert_eq!(res.code(), "MISSING_FIELD");
    assert_eq!(
        app.sign_in("ada@example.com", "a new long password")
            .await
            .status,
        401
    );

    // A plain form's checkbox says "true".
    let res = change(json!({
        "currentPassword": "correct horse battery",
        "newPassword": "a new long password",
        "revokeOtherSessions": "true",
    }))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "ada@example.com");
    assert!(res.body["token"].is_string());
    assert!(signed_in(&app, &here).await, "this session stays");
    assert!(!signed_in(&app, &elsewhere).await, "the others end");
    assert_eq!(
        app.sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        401
    );
    let res = app.sign_in("ada@example.com", "a new long password").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = change(json!({
        "currentPassword": "a new long password",
        "newPassword": "another long password",
    }))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body["token"].is_null());

    // Name and picture; the address changes elsewhere.
    let update = |body: serde_json::Value| {
        let (app, here) = (&app, here.clone());
        async move {
            app.post_with_cookie("/api/auth/update-user", body, &here)
                .await
        }
    };
    let res =
        update(json!({ "name": "  Ada King ", "image": "https://example.com/ada.png" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body, json!({ "status": true }));
    let user = &app.session(&here).await.body["user"];
    assert_eq!(user["name"], "Ada King");
    assert_eq!(user["image"], "https://example.com/ada.png");
    let res = update(json!({ "image": "" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let user = &app.session(&here).await.body["user"];
    assert!(user["image"].is_null());
    assert_eq!(user["name"], "Ada King");
    assert_eq!(
        update(json!({ "image": "javascript:alert(1)" }))
            .await
            .code(),
        "INVALID_IMAGE"
    );
    assert_eq!(update(json!({ "name": " " })).await.code(), "INVALID_NAME");
    assert_eq!(update(json!({})).await.code(), "INVALID_REQUEST_BODY");
    let res = update(json!({ "email": "someone@else.io" })).await;
    assert_eq!(res.code(), "EMAIL_CAN_NOT_BE_UPDATED");

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action in ('user.password-change', 'user.update') order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.password-change",
            "user.password-change",
            "user.update",
            "user.update"
        ]
    );
}

async fn a_new_address_counts_once_it_confirms(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let me = app.account("ada@example.com", "user").await;
    app.account("taken@example.com", "user").await;
    let change = |body: serde_json::Value| {
        let (app, me) = (&app, me.clone());
        async move {
            app.post_with_cookie("/api/auth/change-email", body, &me)
                .await
        }
    };
    assert_eq!(
        change(json!({ "newEmail": "ADA@example.com" }))
            .await
            .code(),
        "EMAIL_IS_THE_SAME"
    );
    assert_eq!(
        change(json!({ "newEmail": "taken@example.com" }))
            .await
            .code(),
        "USER_ALREADY_EXISTS"
    );
    assert_eq!(
        change(json!({ "newEmail": "not an address" })).await.code(),
        "INVALID_EMAIL"
    );

    let res = change(json!({ "newEmail": "Ada@Lovelace.io" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], true);
    // The old address hears of it; the new one gets the link. Until it is
    // followed, nothing changes.
    let old = app.emails_to("ada@example.com").await;
    assert!(old.last().unwrap().contains("ada@lovelace.io"), "{old:?}");
    assert!(
        !old.last().unwrap().contains("http"),
        "no link to the old address"
    );
    assert_eq!(
        app.session(&me).await.body["user"]["email"],
        "ada@example.com"
    );
    assert_eq!(
        app.sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        200
    );
    let link = crate::support::link_in(&app.emails_to("ada@lovelace.io").await[0], &app.base_url);
    let token = crate::support::token_in(&link);

    let res = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "ada@lovelace.io");
    assert_eq!(res.body["user"]["emailVerified"], true);
    let user = &app.session(&me).await.body["user"];
    assert_eq!(user["email"], "ada@lovelace.io");
    assert_eq!(
        app.sign_in("ada@lovelace.io", "correct horse battery")
            .await
            .status,
        200
    );
    assert_eq!(
        app.sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        401
    );
    let res = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(res.code(), "INVALID_TOKEN", "a link works once");

    // An address taken between asking and confirming stays with its owner.
    let res = change(json!({ "newEmail": "late@example.com" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let link = crate::support::link_in(&app.emails_to("late@example.com").await[0], &app.base_url);
    app.account("late@example.com", "user").await;
    let res = app
        .post(
            "/api/auth/verify-email",
            json!({ "token": crate::support::token_in(&link) }),
        )
        .await;
    assert_eq!(res.code(), "USER_ALREADY_EXISTS");
    assert_eq!(
        app.session(&me).await.body["user"]["email"],
        "ada@lovelace.io"
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'user.email-change%' order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.email-change-requested",
            "user.email-change",
            "user.email-change-requested"
        ]
    );
}

on_both_databases!(
    a_new_address_counts_once_it_confirms,
    people_see_their_devices_and_sign_any_of_them_out,
    people_change_their_password_name_and_picture,
);
