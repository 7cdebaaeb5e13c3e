//! Admin enrollment and user management (SPEC §3 "Admin enrollment", §5
//! `admin/*`), on SQLite and PostgreSQL.

use crate::support::{Backend, Response, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "a password of my own";

async fn app(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    TestApp::invite_only(backend, extra).await
}

fn assert_error(res: &Response, status: u16, code: &str) {
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (status, code),
        "{}",
        res.text
    );
}

async fn create(app: &TestApp, admin: &str, body: Value) -> Response {
    app.post_with_cookie("/api/auth/admin/create-user", body, admin)
        .await
}

/// The token in the newest enrollment email to `to`.
async fn enrollment_token(app: &TestApp, to: &str) -> String {
    let text = app.emails_to(to).await.pop().expect("an enrollment email");
    let link = crate::support::link_in(&text, &app.base_url);
    assert!(link.contains("/enroll?token="), "{link}");
    crate::support::token_in(&link)
}

async fn complete(app: &TestApp, token: &str) -> Response {
    app.post(
        "/api/auth/admin/complete-enrollment",
        json!({ "token": token, "password": PASSWORD }),
    )
    .await
}

async fn set_role(app: &TestApp, cookie: &str, id: &str, role: &str) -> Response {
    app.post_with_cookie(
        "/api/auth/admin/set-role",
        json!({ "userId": id, "role": role }),
        cookie,
    )
    .await
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn credentials_of(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from credentials c join users u on u.id = c.user_id where u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn an_admin_creates_an_account_and_its_owner_completes_it(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    let res = create(
        &app,
        &admin,
        json!({ "email": "Nia@Example.com", "name": "Nia Ng", "role": "moderator" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "nia@example.com");
    assert_eq!(res.body["user"]["emailVerified"], false);
    assert_eq!(res.body["user"]["role"], "moderator");
    let created: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'user.create'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(created, 1);

    // No password yet: nobody can sign in as Nia.
    assert_error(
        &app.sign_in("nia@example.com", PASSWORD).await,
        401,
        "INVALID_EMAIL_OR_PASSWORD",
    );

    let token = enrollment_token(&app, "nia@example.com").await;
    let info = app
        .get(
            &format!("/api/auth/admin/enrollment-info?token={token}"),
            None,
        )
        .await;
    assert_eq!(
        (info.body["email"].as_str(), info.body["name"].as_str()),
        (Some("nia@example.com"), Some("Nia Ng"))
    );
    let page = app.get(&format!("/enroll?token={token}"), None).await;
    assert_eq!(page.headers["referrer-policy"], "no-referrer");

    let res = complete(&app, &token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["emailVerified"], true);
    let session = app.session(&res.session_cookie().expect("signed in")).await;
    assert_eq!(session.body["user"]["role"], "moderator");
    assert_eq!(app.sign_in("nia@example.com", PASSWORD).await.status, 200);
    // The admin's own session is untouched.
    assert_eq!(
        app.session(&admin).await.body["user"]["email"],
        "admin@example.com"
    );

    // Spent.
    assert_error(
        &complete(&app, &token).await,
        400,
        "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    );
    assert_error(
        &app.get(
            &format!("/api/auth/admin/enrollment-info?token={token}"),
            None,
        )
        .await,
        400,
        "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    );

    // Bad input, each with its own answer.
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "email": "nia@example.com", "name": "Again", "role": "user" }),
        )
        .await,
        409,
        "USER_ALREADY_EXISTS",
    );
    assert_error(&create(&app, &admin, json!({ "email": "x@example.com", "name": "X", "role": "user", "password": "hunter22" })).await, 400, "PASSWORD_NOT_ALLOWED");
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "email": "nope", "name": "X", "role": "user" }),
        )
        .await,
        400,
        "INVALID_EMAIL",
    );
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "email": "x@example.com", "name": "X", "role": "emperor" }),
        )
        .await,
        400,
        "INVALID_ROLE",
    );
    assert_error(
        &complete(&app, "not-a-token").await,
        400,
        "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    );
}

async fn rank_rules_hold_for_create_user_and_set_role(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let admin = app.with_role("admin@example.com", "admin").await;
    let moderator = app.with_role("mod@example.com", "moderator").await;
    app.with_role("user@example.com", "user").await;
    let owner_id = user_id(&app, "owner@example.com").await;
    let user_id = user_id(&app, "user@example.com").await;

    let body = |role: &str| json!({ "email": format!("{role}-new@example.com"), "name": "New", "role": role });
    assert_error(
        &create(&app, &moderator, body("user")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &create(&app, &admin, body("owner")).await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_eq!(create(&app, &admin, body("admin")).await.status, 200);

    let res = set_role(&app, &admin, &user_id, "moderator").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["role"], "moderator");
    assert_error(
        &set_role(&app, &admin, &user_id, "owner").await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &set_role(&app, &admin, &owner_id, "user").await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &set_role(&app, &moderator, &user_id, "user").await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &set_role(&app, &admin, &user_id, "emperor").await,
        400,
        "INVALID_ROLE",
    );
    assert_error(
        &set_role(&app, &admin, "nobody", "user").await,
        404,
        "USER_NOT_FOUND",
    );

    // The last owner can be neither demoted nor disabled...
    assert_error(
        &set_role(&app, &owner, &owner_id, "admin").await,
        409,
        "CANNOT_DEMOTE_LAST_OWNER",
    );
    // A second owner who has not enrolled yet cannot sign in, so does not
    // count; once they have, the first may step down.
    assert_eq!(create(&app, &owner, body("owner")).await.status, 200);
    assert_error(
        &set_role(&app, &owner, &owner_id, "admin").await,
        409,
        "CANNOT_DEMOTE_LAST_OWNER",
    );
    let token = enrollment_token(&app, "owner-new@example.com").await;
    assert_eq!(complete(&app, &token).await.status, 200);
    assert_eq!(set_role(&app, &owner, &owner_id, "admin").await.status, 200);
    assert_eq!(
        app.session(&owner).await.body["user"]["role"],
        "admin",
        "the change shows at once"
    );
}

async fn a_password_is_never_set_twice(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    create(
        &app,
        &admin,
        json!({ "email": "ola@example.com", "name": "Ola", "role": "user" }),
    )
    .await;
    let token = enrollment_token(&app, "ola@example.com").await;
    assert_eq!(complete(&app, &token).await.status, 200);
    let id = user_id(&app, "ola@example.com").await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/resend-enrollment",
            json!({ "userId": id }),
            &admin,
        )
        .await;
    assert_error(&res, 409, "USER_ALREADY_HAS_PASSWORD");

    // Even a live token for someone who has a password sets nothing.
    let token = "a-token-slipped-in-by-hand-0000000000000000";
    sqlx::query("insert into enrollments (token_hash, user_id, expires_at, created_at) values ($1, $2, $3, 0)")
        .bind(gatehouse::server::crypto::hash_token(token))
        .bind(&id)
        .bind(i64::MAX)
        .execute(&app.db)
        .await
        .unwrap();
    assert_error(
        &complete(&app, token).await,
        409,
        "USER_ALREADY_HAS_PASSWORD",
    );
    assert_eq!(credentials_of(&app, "ola@example.com").await, 1);
}

/// A failure between the steps of completion (the credential insert fails)
/// leaves nothing half-done, and the same link then works.
async fn a_completion_retried_after_a_failure_succeeds(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    create(
        &app,
        &admin,
        json!({ "email": "pia@example.com", "name": "Pia", "role": "user" }),
    )
    .await;
    let token = enrollment_token(&app, "pia@example.com").await;

    let (install, remove): (&[&str], &[&str]) = match backend {
        Backend::Sqlite => (
            &["create trigger fail_credentials before insert on credentials begin select raise(abort, 'simulated failure'); end"],
            &["drop trigger fail_credentials"],
        ),
        Backend::Postgres => (
            &[
                "create function fail_credentials() returns trigger as $$ begin raise exception 'simulated failure'; end $$ language plpgsql",
                "create trigger fail_credentials before insert on credentials for each row execute function fail_credentials()",
            ],
            &["drop trigger fail_credentials on credentials", "drop function fail_credentials()"],
        ),
    };
    for sql in install {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let res = complete(&app, &token).await;
    assert_error(&res, 500, "INTERNAL_SERVER_ERROR");
    // Nothing stuck: no password, not verified, token still live.
    assert_eq!(credentials_of(&app, "pia@example.com").await, 0);
    let verified: i64 =
        sqlx::query_scalar("select email_verified from users where email = 'pia@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(verified, 0);
    for sql in remove {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let res = complete(&app, &token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(credentials_of(&app, "pia@example.com").await, 1);
}

async fn two_concurrent_completions_one_wins(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    create(
        &app,
        &admin,
        json!({ "email": "quin@example.com", "name": "Quin", "role": "user" }),
    )
    .await;
    let token = enrollment_token(&app, "quin@example.com").await;
    let (a, b) = tokio::join!(complete(&app, &token), complete(&app, &token));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{} / {}", a.text, b.text);
    assert_eq!(credentials_of(&app, "quin@example.com").await, 1);
}

async fn resending_enrollment_kills_the_old_link(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    create(
        &app,
        &admin,
        json!({ "email": "rex@example.com", "name": "Rex", "role": "user" }),
    )
    .await;
    let old = enrollment_token(&app, "rex@example.com").await;
    let id = user_id(&app, "rex@example.com").await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/resend-enrollment",
            json!({ "userId": id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let new = enrollment_token(&app, "rex@example.com").await;
    assert_ne!(old, new);
    assert_error(
        &complete(&app, &old).await,
        400,
        "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    );
    assert_eq!(complete(&app, &new).await.status, 200);
}

async fn an_expired_enrollment_link_is_refused(backend: Backend) {
    let Some(app) = app(backend, &[("enrollment_ttl", "\"1s\"")]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    create(
        &app,
        &admin,
        json!({ "email": "sal@example.com", "name": "Sal", "role": "user" }),
    )
    .await;
    let token = enrollment_token(&app, "sal@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_error(
        &complete(&app, &token).await,
        400,
        "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    );
}

async fn disabling_ends_sessions_and_refuses_sign_in(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let admin = app.with_role("admin@example.com", "admin").await;
    let tess = app.with_role("tess@example.com", "user").await;
    let other_tess_session = app
        .sign_in("tess@example.com", "correct horse battery")
        .await
        .session_cookie()
        .unwrap();
    let id = user_id(&app, "tess@example.com").await;

    let res = app
        .post_with_cookie(
            "/api/auth/admin/disable-user",
            json!({ "userId": id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["banned"], true);
    assert!(app.session(&tess).await.is_no_session());
    assert!(app.session(&other_tess_session).await.is_no_session());
    assert_error(
        &app.sign_in("tess@example.com", "correct horse battery")
            .await,
        403,
        "BANNED_USER",
    );

    let res = app
        .post_with_cookie(
            "/api/auth/admin/enable-user",
            json!({ "userId": id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        app.sign_in("tess@example.com", "correct horse battery")
            .await
            .status,
        200
    );

    // Not oneself, not someone ranked above, not the last owner.
    let admin_id = user_id(&app, "admin@example.com").await;
    let owner_id = user_id(&app, "owner@example.com").await;
    assert_error(
        &app.post_with_cookie(
            "/api/auth/admin/disable-user",
            json!({ "userId": admin_id }),
            &admin,
        )
        .await,
        403,
        "CANNOT_DISABLE_YOURSELF",
    );
    assert_error(
        &app.post_with_cookie(
            "/api/auth/admin/disable-user",
            json!({ "userId": owner_id }),
            &admin,
        )
        .await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    let res = app
        .post_with_cookie(
            "/api/auth/admin/disable-user",
            json!({ "userId": admin_id }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "the owner may disable an admin");
}

async fn the_list_and_permission_checks(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("admin@example.com", "admin").await;
    let user = app.with_role("user@example.com", "user").await;
    for i in 0..3 {
        create(&app, &admin, json!({ "email": format!("staff{i}@example.com"), "name": format!("Staff {i}"), "role": "user" })).await;
    }
    let res = app
        .get(
            "/api/auth/admin/list-users?search=STAFF&limit=2",
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["total"], 3);
    assert_eq!(res.body["users"].as_array().unwrap().len(), 2);
    assert_eq!(res.body["users"][0]["enrollmentPending"], true);
    assert_eq!(
        res.body["assignableRoles"],
        json!(["user", "moderator", "admin"])
    );
    let res = app
        .get("/api/auth/admin/list-users?search=user@", Some(&admin))
        .await;
    assert_eq!(res.body["users"][0]["enrollmentPending"], false);
    assert_error(
        &app.get("/api/auth/admin/list-users", Some(&user)).await,
        403,
        "FORBIDDEN",
    );

    let ask = |cookie: &'static str, perms: Value| {
        let cookie = match cookie {
            "admin" => admin.clone(),
            _ => user.clone(),
        };
        let app = &app;
        async move {
            app.post_with_cookie(
                "/api/auth/admin/has-permission",
                json!({ "permissions": perms }),
                &cookie,
            )
            .await
        }
    };
    assert_eq!(
        ask("admin", json!({ "user": ["create", "set-role"] }))
            .await
            .body["success"],
        true
    );
    assert_eq!(
        ask("user", json!({ "user": ["create"] })).await.body["success"],
        false
    );
    assert_eq!(
        ask("admin", json!({ "user": ["teleport"] })).await.body["success"],
        false
    );
    assert_error(
        &app.post(
            "/api/auth/admin/has-permission",
            json!({ "permissions": {} }),
        )
        .await,
        401,
        "UNAUTHORIZED",
    );
}

on_both_databases!(
    an_admin_creates_an_account_and_its_owner_completes_it,
    rank_rules_hold_for_create_user_and_set_role,
    a_password_is_never_set_twice,
    a_completion_retried_after_a_failure_succeeds,
    two_concurrent_completions_one_wins,
    resending_enrollment_kills_the_old_link,
    an_expired_enrollment_link_is_refused,
    disabling_ends_sessions_and_refuses_sign_in,
    the_list_and_permission_checks,
);
