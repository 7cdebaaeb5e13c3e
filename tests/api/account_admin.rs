//! Deleting an account, and what admins do to other people's accounts
//! (issue 27: Better Auth's `delete-user` and admin plugin), on SQLite and
//! PostgreSQL.

use serde_json::{json, Value};

use crate::support::{link_in, orgs, token_in, Backend, TestApp};

async fn user_id(app: &TestApp, cookie: &str) -> String {
    app.session(cookie).await.body["user"]["id"]
        .as_str()
        .expect("a signed-in session")
        .to_owned()
}

async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    !app.session(cookie).await.body.is_null()
}

async fn actions(app: &TestApp, pattern: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_events where action like $1 order by created_at, id",
    )
    .bind(pattern)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn exists(app: &TestApp, email: &str) -> bool {
    sqlx::query_scalar::<_, i64>("select count(*) from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
        == 1
}

async fn people_delete_their_account_once_the_mailbox_confirms(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.account("ada@example.com", "user").await;
    let delete = |body: Value| {
        let (app, ada) = (&app, ada.clone());
        async move {
            app.post_with_cookie("/api/auth/delete-user", body, &ada)
                .await
        }
    };
    assert_eq!(
        app.post("/api/auth/delete-user", json!({ "password": "x" }))
            .await
            .status,
        401
    );
    assert_eq!(delete(json!({})).await.code(), "MISSING_FIELD");
    let res = delete(json!({ "password": "guess" })).await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "INVALID_PASSWORD"));
    assert!(app.emails_to("ada@example.com").await.is_empty());

    let res = delete(json!({ "password": "correct horse battery" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body,
        json!({ "success": true, "message": "Verification email sent" })
    );
    // Nothing is deleted until the mailbox confirms.
    assert!(exists(&app, "ada@example.com").await && signed_in(&app, &ada).await);
    let emails = app.emails_to("ada@example.com").await;
    assert_eq!(emails.len(), 1);
    let link = link_in(&emails[0], &app.base_url);
    assert!(link.contains("/account/delete?token="), "{link}");
    let token = token_in(&link);

    let confirm = |token: &str| {
        let (app, body) = (&app, json!({ "token": token }));
        async move { app.post("/api/auth/delete-user/callback", body).await }
    };
    assert_eq!(confirm("not-a-token").await.code(), "INVALID_TOKEN");
    let res = confirm(&token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body,
        json!({ "success": true, "message": "User deleted" })
    );
    assert!(!exists(&app, "ada@example.com").await);
    assert!(!signed_in(&app, &ada).await, "its sessions went with it");
    assert_eq!(
        app.sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        401
    );
    assert_eq!(confirm(&token).await.code(), "INVALID_TOKEN", "single use");
    assert_eq!(
        actions(&app, "user.delete%").await,
        ["user.delete-requested", "user.delete"]
    );

    // The last owner of the instance, or of an organization, is told what
    // to do first, before any email.
    let owner = app.account("root@example.com", "owner").await;
    let res = app
        .post_with_cookie(
            "/api/auth/delete-user",
            json!({ "password": "correct horse battery" }),
            &owner,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "CANNOT_DELETE_LAST_OWNER")
    );
    let (_, org_owner, _, member) = orgs::acme(&app).await;
    let res = app
        .post_with_cookie(
            "/api/auth/delete-user",
            json!({ "password": "correct horse battery" }),
            &org_owner,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "LAST_OWNER_OF_ORGANIZATION")
    );
    assert!(res.body["message"].as_str().unwrap().contains("Acme"));
    let sent: i64 = sqlx::query_scalar(
        "select count(*) from outbound_emails where kind = 'account-deletion' and recipient <> 'ada@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(sent, 0, "a refused deletion sends nothing");

    // A link asked for while deleting was allowed is refused once the
    // account became an organization's only owner meanwhile.
    let res = app
        .post_with_cookie(
            "/api/auth/delete-user",
            json!({ "password": "correct horse battery" }),
            &member,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let member_token = token_in(&link_in(
        app.emails_to("member@example.com").await.last().unwrap(),
        &app.base_url,
    ));
    let org = orgs::post(
        &app,
        &member,
        "create",
        json!({ "name": "Beta", "slug": "beta" }),
    )
    .await;
    assert_eq!(org.status, 200, "{}", org.text);
    let res = confirm(&member_token).await;
    assert_eq!(res.code(), "LAST_OWNER_OF_ORGANIZATION");
    assert!(exists(&app, "member@example.com").await);
}

async fn admins_ban_with_a_reason_and_an_end(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let admin = app.account("admin@example.com", "admin").await;
    let ada_session = app.account("ada@example.com", "user").await;
    let ada = user_id(&app, &ada_session).await;
    let peer = app.account("peer@example.com", "admin").await;
    let moderator = app.account("mod@example.com", "moderator").await;
    let ban = |who: &str, body: Value| {
        let (app, who) = (&app, who.to_owned());
        async move {
            app.post_with_cookie("/api/auth/admin/ban-user", body, &who)
                .await
        }
    };

    let res = ban(&moderator, json!({ "userId": ada })).await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "FORBIDDEN"));
    let res = ban(&admin, json!({ "userId": user_id(&app, &peer).await })).await;
    assert_eq!(res.code(), "INSUFFICIENT_PERMISSIONS", "equal rank");
    let res = ban(&admin, json!({ "userId": user_id(&app, &admin).await })).await;
    assert_eq!(res.code(), "YOU_CANNOT_BAN_YOURSELF");
    for bad in [json!(0), json!(-5), json!("soon")] {
        let res = ban(&admin, json!({ "userId": ada, "banExpiresIn": bad })).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text);
        assert!(signed_in(&app, &ada_session).await, "{bad}");
    }
    assert_eq!(
        ban(&admin, json!({ "userId": "nobody" })).await.code(),
        "USER_NOT_FOUND"
    );

    let res = ban(
        &admin,
        json!({ "userId": ada, "banReason": "  spam  ", "banExpiresIn": 3600 }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let user = &res.body["user"];
    assert_eq!(user["banned"], true);
    assert_eq!(user["banReason"], "spam");
    assert!(user["banExpires"].is_string());
    assert!(!signed_in(&app, &ada_session).await, "its sessions end");
    let res = app
        .sign_in("ada@example.com", "correct horse battery")
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "BANNED_USER"));
    assert!(res.body["message"].as_str().unwrap().contains("spam"));
    // A wrong password says nothing of the ban.
    let res = app.sign_in("ada@example.com", "wrong password").await;
    assert_eq!(res.code(), "INVALID_EMAIL_OR_PASSWORD");

    // Once its end has passed, the next sign-in lifts it.
    sqlx::query("update users set ban_expires = 1 where id = $1")
        .bind(&ada)
        .execute(&app.db)
        .await
        .unwrap();
    let res = app
        .sign_in("ada@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["banned"], false);
    assert!(res.body["user"]["banReason"].is_null());

    // Without an end it lasts until an admin lifts it.
    let res = ban(&admin, json!({ "userId": ada })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body["user"]["banExpires"].is_null());
    let res = app
        .post_with_cookie(
            "/api/auth/admin/unban-user",
            json!({ "userId": ada }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["banned"], false);
    let res = app
        .sign_in("ada@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        actions(&app, "user.%ban").await,
        ["user.ban", "user.unban", "user.ban", "user.unban"]
    );
}

async fn admins_see_and_end_a_persons_sessions(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let admin = app.account("admin@example.com", "admin").await;
    let laptop = app.account("ada@example.com", "user").await;
    let phone = app
        .sign_in("ada@example.com", "correct horse battery")
        .await
        .session_cookie()
        .unwrap();
    let ada = user_id(&app, &laptop).await;
    let owner = app.account("root@example.com", "owner").await;
    let user = app.account("bob@example.com", "user").await;
    let list = |who: &str, id: &str| {
        let (app, who, body) = (&app, who.to_owned(), json!({ "userId": id }));
        async move {
            app.post_with_cookie("/api/auth/admin/list-user-sessions", body, &who)
                .await
        }
    };

    // The person, bare, as Better Auth's `admin/get-user` answers.
    let res = app
        .get(&format!("/api/auth/admin/get-user?id={ada}"), Some(&admin))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        (&res.body["id"], &res.body["email"]),
        (&json!(ada), &json!("ada@example.com"))
    );
    let res = app
        .get("/api/auth/admin/get-user?id=nobody", Some(&admin))
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (404, "USER_NOT_FOUND"));
    let res = app
        .get(&format!("/api/auth/admin/get-user?id={ada}"), Some(&user))
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let res = list(&admin, &ada).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let sessions = res.body["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert!(sessions
        .iter()
        .all(|s| s["userId"] == ada.as_str() && s["impersonatedBy"].is_null()));
    assert_eq!(
        list(&user, &ada).await.code(),
        "FORBIDDEN",
        "a user's role lists nobody's sessions"
    );
    assert_eq!(
        list(&admin, &user_id(&app, &owner).await).await.code(),
        "INSUFFICIENT_PERMISSIONS",
        "nor an admin an owner's"
    );

    let phone_id = app.session(&phone).await.body["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.post_with_cookie("/api/auth/admin/revoke-user-session", body, &admin)
                .await
        }
    };
    assert_eq!(
        revoke(json!({ "sessionToken": "nope" })).await.code(),
        "SESSION_NOT_FOUND"
    );
    let res = revoke(json!({ "sessionToken": phone_id })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body, json!({ "success": true }));
    assert!(
        !signed_in(&app, &phone).await,
        "its next request is signed out"
    );
    assert!(signed_in(&app, &laptop).await);

    let res = app
        .post_with_cookie(
            "/api/auth/admin/revoke-user-sessions",
            json!({ "userId": ada }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(!signed_in(&app, &laptop).await);
    assert!(signed_in(&app, &user).await, "nobody else's");
    assert_eq!(
        list(&admin, &ada).await.body["sessions"],
        json!([]),
        "none left"
    );
    assert_eq!(
        actions(&app, "user.sessions-revoke").await,
        ["user.sessions-revoke", "user.sessions-revoke"]
    );
}

async fn admins_update_and_remove_accounts_but_never_set_passwords(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let admin = app.account("boss@example.com", "admin").await;
    let ada_session = app.account("ada@example.com", "user").await;
    let ada = user_id(&app, &ada_session).await;
    let update = |data: Value| {
        let (app, admin, body) = (&app, admin.clone(), json!({ "userId": ada, "data": data }));
        async move {
            app.post_with_cookie("/api/auth/admin/update-user", body, &admin)
                .await
        }
    };
    let res = update(json!({ "name": "Ada Lovelace", "image": "https://example.com/a.png" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["name"], "Ada Lovelace");
    assert_eq!(res.body["image"], "https://example.com/a.png");
    assert_eq!(res.body["email"], "ada@example.com");
    assert_eq!(
        update(json!({ "emailVerified": true })).await.code(),
        "CANNOT_SET_EMAIL_VERIFIED"
    );
    assert_eq!(
        update(json!({ "role": "admin" })).await.code(),
        "ROLE_CHANGES_USE_SET_ROLE"
    );
    assert_eq!(
        update(json!({ "email": "x@example.com" })).await.code(),
        "EMAIL_CAN_NOT_BE_UPDATED"
    );
    assert_eq!(update(json!({})).await.code(), "INVALID_REQUEST_BODY");

    let res = app
        .post_with_cookie(
            "/api/auth/admin/set-user-password",
            json!({ "userId": ada, "newPassword": "chosen by an admin" }),
            &admin,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD")
    );
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("password reset"));
    let res = app
        .post(
            "/api/auth/admin/set-user-password",
            json!({ "userId": ada }),
        )
        .await;
    assert_eq!(res.status, 401, "signed out: {}", res.text);

    let remove = |id: &str| {
        let (app, admin, body) = (&app, admin.clone(), json!({ "userId": id }));
        async move {
            app.post_with_cookie("/api/auth/admin/remove-user", body, &admin)
                .await
        }
    };
    assert_eq!(
        remove(&user_id(&app, &admin).await).await.code(),
        "YOU_CANNOT_REMOVE_YOURSELF"
    );
    let (_, org_owner, _, _) = orgs::acme(&app).await;
    let res = remove(&user_id(&app, &org_owner).await).await;
    assert_eq!(res.code(), "LAST_OWNER_OF_ORGANIZATION");
    assert!(exists(&app, "owner@example.com").await);
    let res = remove(&ada).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body, json!({ "success": true }));
    assert!(!exists(&app, "ada@example.com").await);
    assert!(!signed_in(&app, &ada_session).await);
    assert_eq!(remove(&ada).await.code(), "USER_NOT_FOUND");
    assert_eq!(
        actions(&app, "user.%")
            .await
            .iter()
            .filter(|a| ["user.admin-update", "user.remove"].contains(&a.as_str()))
            .collect::<Vec<_>>(),
        ["user.admin-update", "user.remove"]
    );
}

async fn impersonation_needs_a_reason_a_higher_rank_and_is_recorded(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let admin = app.account("admin@example.com", "admin").await;
    let admin_id = user_id(&app, &admin).await;
    let ada_session = app.account("ada@example.com", "user").await;
    let ada = user_id(&app, &ada_session).await;
    let peer = app.account("peer@example.com", "admin").await;
    let owner = app.account("root@example.com", "owner").await;
    let act = |who: &str, body: Value| {
        let (app, who) = (&app, who.to_owned());
        async move {
            app.post_with_cookie("/api/auth/admin/impersonate-user", body, &who)
                .await
        }
    };

    let res = act(&admin, json!({ "userId": ada })).await;
    assert_eq!(res.code(), "IMPERSONATION_REASON_REQUIRED");
    let res = act(&admin, json!({ "userId": ada, "reason": "   " })).await;
    assert_eq!(res.code(), "IMPERSONATION_REASON_REQUIRED");
    for higher in [&peer, &owner] {
        let target = user_id(&app, higher).await;
        let res = act(&admin, json!({ "userId": target, "reason": "support" })).await;
        assert_eq!(
            res.code(),
            "INSUFFICIENT_PERMISSIONS",
            "equal or higher rank"
        );
    }
    let res = act(&admin, json!({ "userId": admin_id, "reason": "support" })).await;
    assert_eq!(res.code(), "YOU_CANNOT_IMPERSONATE_YOURSELF");
    let res = act(&ada_session, json!({ "userId": admin_id, "reason": "x" })).await;
    assert_eq!(res.code(), "FORBIDDEN");

    let res = act(
        &admin,
        json!({ "userId": ada, "reason": "ticket 42: cannot see invitations" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "ada@example.com");
    assert_eq!(res.body["session"]["impersonatedBy"], admin_id.as_str());
    let as_ada = res.session_cookie().expect("the impersonation session");
    let admin_cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gatehouse.admin_session="))
        .expect("the admin's own session kept aside")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        admin_cookie,
        admin.replace("session_token", "admin_session")
    );
    // Capped at an hour, and never renewed past it.
    let expires = sqlx::query_scalar::<_, i64>(
        "select expires_at - created_at from sessions where impersonated_by = $1",
    )
    .bind(&admin_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(expires, 3600 * 1000);
    let session = app.session(&as_ada).await;
    assert_eq!(session.body["session"]["impersonatedBy"], admin_id.as_str());

    // What is done meanwhile names the admin behind it.
    let res = app
        .post_with_cookie(
            "/api/auth/update-user",
            json!({ "name": "Changed by support" }),
            &as_ada,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    // The account itself stays the person's.
    for (endpoint, body) in [
        ("change-email", json!({ "newEmail": "taken@example.com" })),
        (
            "change-password",
            json!({ "currentPassword": "x", "newPassword": "long enough now" }),
        ),
        (
            "delete-user",
            json!({ "password": "correct horse battery" }),
        ),
    ] {
        let res = app
            .post_with_cookie(&format!("/api/auth/{endpoint}"), body, &as_ada)
            .await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (403, "NOT_ALLOWED_WHILE_IMPERSONATING"),
            "{endpoint}"
        );
    }
    let log = app
        .get(
            "/api/auth/admin/list-audit-events?action=user.update",
            Some(&admin),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert_eq!(
        log.body["events"][0]["impersonator"]["email"],
        "admin@example.com"
    );
    let (actor, impersonator): (Option<String>, Option<String>) = sqlx::query_as(
        "select actor_id, impersonator_id from audit_events where action = 'user.update'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(actor.as_deref(), Some(ada.as_str()));
    assert_eq!(impersonator.as_deref(), Some(admin_id.as_str()));
    let (plain,): (Option<String>,) = sqlx::query_as(
        "select impersonator_id from audit_events where action = 'user.impersonate'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(plain, None, "the admin's own request is not impersonated");

    assert_eq!(
        app.post_with_cookie("/api/auth/admin/stop-impersonating", json!({}), &admin)
            .await
            .code(),
        "NOT_IMPERSONATING"
    );
    let res = app
        .post_with_cookie(
            "/api/auth/admin/stop-impersonating",
            json!({}),
            &format!("{as_ada}; {admin_cookie}"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "admin@example.com");
    assert_eq!(res.session_cookie().as_deref(), Some(admin.as_str()));
    assert!(!signed_in(&app, &as_ada).await, "the impersonation ended");
    assert!(
        signed_in(&app, &ada_session).await,
        "the person's own did not"
    );
    let (reason,): (String,) =
        sqlx::query_as("select after_json from audit_events where action = 'user.impersonate'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(reason.contains("ticket 42"), "{reason}");
    assert_eq!(
        actions(&app, "user.impersonate%").await,
        ["user.impersonate", "user.impersonate-stop"]
    );

    // An admin whose role changes stops acting as anyone at once.
    let res = act(&admin, json!({ "userId": ada, "reason": "ticket 43" })).await;
    let as_ada = res.session_cookie().expect("a second impersonation");
    assert!(signed_in(&app, &as_ada).await);
    let res = app
        .post_with_cookie(
            "/api/auth/admin/set-role",
            json!({ "userId": admin_id, "role": "moderator" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(!signed_in(&app, &as_ada).await, "the role change ended it");
    assert!(signed_in(&app, &ada_session).await);
    assert!(signed_in(&app, &admin).await, "their own session stays");
}

on_both_databases!(
    people_delete_their_account_once_the_mailbox_confirms,
    admins_ban_with_a_reason_and_an_end,
    admins_see_and_end_a_persons_sessions,
    admins_update_and_remove_accounts_but_never_set_passwords,
    impersonation_needs_a_reason_a_higher_rank_and_is_recorded,
);
