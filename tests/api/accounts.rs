//! Accounts and sessions over HTTP (SPEC §2, §5, §8), on SQLite and PostgreSQL.

use crate::support::{link_in, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_databases!(
    sign_up_then_get_session,
    invite_only_refuses_sign_up_without_invitation,
    unknown_email_and_wrong_password_get_the_same_answer,
    sign_out_ends_the_session,
    password_reset_token_is_single_use,
    password_reset_token_expires,
    only_the_newest_reset_link_works,
    password_reset_for_unknown_email_answers_the_same_and_sends_nothing,
    cross_origin_post_is_refused,
    sign_in_is_rate_limited,
    session_cookie_flags,
    bad_input_gets_specific_codes,
    duplicate_email_is_refused,
    database_holds_no_raw_secret,
    health_and_pages,
    every_page_knows_who_is_signed_in,
    every_way_in_makes_one_account_and_says_who_made_it,
);

async fn sign_up_then_get_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let res = app
        .sign_up("Ada Lovelace", "Ada@Example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body["user"]["email"], "ada@example.com",
        "emails are stored in lower case"
    );
    assert_eq!(res.body["user"]["name"], "Ada Lovelace");
    assert_eq!(res.body["user"]["role"], "user");
    assert_eq!(res.body["user"]["emailVerified"], false);
    let token = res.body["token"].as_str().unwrap().to_owned();
    let cookie = res.session_cookie().unwrap();

    let session = app.session(&cookie).await;
    assert_eq!(session.status, 200);
    assert_eq!(session.body["user"]["email"], "ada@example.com");
    assert_eq!(session.body["session"]["userId"], res.body["user"]["id"]);
    assert_eq!(session.body["session"]["token"], token.as_str());
    assert!(session.body["session"]["expiresAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // The bearer form works for integrating apps.
    let bearer = app
        .request(
            Method::GET,
            "/api/auth/get-session",
            None,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(bearer.body["user"]["email"], "ada@example.com");

    // No cookie: `null`, as Better Auth answers.
    let anonymous = app.get("/api/auth/get-session", None).await;
    assert_eq!(anonymous.status, 200);
    assert!(anonymous.is_no_session(), "{}", anonymous.text);

    // And the new account can sign in.
    let signed_in = app
        .sign_in("ada@example.com", "correct horse battery")
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(signed_in.body["redirect"], false);
    assert_eq!(signed_in.body["user"]["email"], "ada@example.com");
}

async fn invite_only_refuses_sign_up_without_invitation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("sign_up_mode", "\"invite-only\"")]).await else {
        return;
    };
    let res = app
        .sign_up("Eve", "eve@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.code(), "SIGN_UP_REQUIRES_INVITATION");
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("invite-only"));
    assert!(res.session_cookie().is_none());
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing is written");
}

async fn unknown_email_and_wrong_password_get_the_same_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("known@example.com").await;
    let wrong_password = app.sign_in("known@example.com", "not the password").await;
    let unknown_email = app.sign_in("nobody@example.com", "not the password").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(wrong_password.code(), "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(
        wrong_password.body, unknown_email.body,
        "same code and message"
    );
    assert!(wrong_password.session_cookie().is_none() && unknown_email.session_cookie().is_none());
}

async fn sign_out_ends_the_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let cookie = app.signed_up("leaving@example.com").await;
    assert_eq!(
        app.session(&cookie).await.body["user"]["email"],
        "leaving@example.com"
    );

    let out = app
        .post_with_cookie("/api/auth/sign-out", json!({}), &cookie)
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.body, json!({ "success": true }));
    assert!(
        out.set_cookie_header().unwrap().contains("Max-Age=0"),
        "the cookie is cleared"
    );

    // Replaying the old cookie finds no session: it really ended server-side.
    let after = app.session(&cookie).await;
    assert!(after.is_no_session(), "{}", after.text);
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

/// Requests a reset for `email` and returns the token from the queued email.
async fn reset_token(app: &TestApp, email: &str) -> String {
    let before = app.emails_to(email).await.len();
    let res = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": email }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    // The reset is queued just after the answer.
    let emails = app.wait_for_emails(email, before + 1).await;
    let link = link_in(
        emails.last().expect("a reset email is queued"),
        &app.base_url,
    );
    assert!(link.contains("/reset-password?token="), "{link}");
    link.rsplit_once("token=").unwrap().1.to_owned()
}

async fn password_reset_token_is_single_use(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let old_cookie = app.signed_up("forgetful@example.com").await;
    let token = reset_token(&app, "forgetful@example.com").await;

    let reset = app
        .post(
            "/api/auth/reset-password",
            json!({ "token": token, "newPassword": "a brand new password" }),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.body["status"], true);

    assert_eq!(
        app.sign_in("forgetful@example.com", "a brand new password")
            .await
            .status,
        200
    );
    assert_eq!(
        app.sign_in("forgetful@example.com", "correct horse battery")
            .await
            .status,
        401
    );
    assert!(
        app.session(&old_cookie).await.is_no_session(),
        "a password change ends existing sessions"
    );

    let again = app
        .post(
            "/api/auth/reset-password",
            json!({ "token": token, "newPassword": "yet another password" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "INVALID_TOKEN");
    assert_eq!(
        app.sign_in("forgetful@example.com", "yet another password")
            .await
            .status,
        401
    );
}

async fn only_the_newest_reset_link_works(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("twice-reset@example.com").await;
    let first = reset_token(&app, "twice-reset@example.com").await;
    let second = reset_token(&app, "twice-reset@example.com").await;
    let stale = app
        .post(
            "/api/auth/reset-password",
            json!({ "token": first, "newPassword": "from the old link" }),
        )
        .await;
    assert_eq!(
        stale.code(),
        "INVALID_TOKEN",
        "asking again retires the earlier link"
    );
    let fresh = app
        .post(
            "/api/auth/reset-password",
            json!({ "token": second, "newPassword": "from the new link" }),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    assert_eq!(
        app.sign_in("twice-reset@example.com", "from the new link")
            .await
            .status,
        200
    );
}

async fn password_reset_token_expires(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("slow@example.com").await;
    let token = reset_token(&app, "slow@example.com").await;
    sqlx::query("update password_resets set expires_at = $1")
        .bind(gatehouse::server::clock::now_ms() - 1)
        .execute(&app.db)
        .await
        .unwrap();
    let res = app
        .post(
            "/api/auth/reset-password",
            json!({ "token": token, "newPassword": "a brand new password" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.code(), "INVALID_TOKEN");
    assert_eq!(
        app.sign_in("slow@example.com", "correct horse battery")
            .await
            .status,
        200,
        "the old password still works"
    );
}

async fn password_reset_for_unknown_email_answers_the_same_and_sends_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("real@example.com").await;
    let known = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "real@example.com" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_eq!(known.status, 200);
    assert_eq!(known.body, unknown.body);
    assert_eq!(app.wait_for_emails("real@example.com", 1).await.len(), 1);
    assert!(app.emails_to("ghost@example.com").await.is_empty());
    let foreign = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "real@example.com", "redirectTo": "https://evil.example.net/" }),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert_eq!(foreign.code(), "INVALID_REDIRECT_URL");
}

async fn cross_origin_post_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let body = json!({ "name": "Mallory", "email": "mallory@example.com", "password": "correct horse battery" }).to_string();
    let foreign = app
        .request(
            Method::POST,
            "/api/auth/sign-up/email",
            Some(&body),
            &[("origin", "https://evil.example.net")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.code(), "INVALID_ORIGIN");
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0, "the refused request changed nothing");

    let fetch_metadata = app
        .request(
            Method::POST,
            "/api/auth/sign-up/email",
            Some(&body),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(fetch_metadata.status, StatusCode::FORBIDDEN);

    let own = app.base_url.clone();
    let same_origin = app
        .request(
            Method::POST,
            "/api/auth/sign-up/email",
            Some(&body),
            &[("origin", &own)],
        )
        .await;
    assert_eq!(same_origin.status, 200, "{}", same_origin.text);
}

async fn sign_in_is_rate_limited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("rate_limits.sign_in", "\"3/1h\"")]).await else {
        return;
    };
    for attempt in 1..=3 {
        let res = app.sign_in("someone@example.com", "guess number one").await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt} is within the budget"
        );
    }
    let limited = app
        .sign_in("someone@example.com", "guess number four")
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "TOO_MANY_REQUESTS");
    // The budget is kept in the database, where every node would see it.
    let count: i64 = sqlx::query_scalar("select count from rate_limits where key like 'sign-in:%'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 4);
}

async fn session_cookie_flags(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let res = app
        .sign_up(
            "Cookie Monster",
            "cookie@example.com",
            "correct horse battery",
        )
        .await;
    let cookie = res.set_cookie_header().expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(flag), "`{cookie}` lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "no Secure flag on plain http");

    // Behind https (as configured by the base URL) the cookie is Secure.
    let Some(https) = TestApp::spawn(backend, &[("base_url", "\"https://id.example.com\"")]).await
    else {
        return;
    };
    let body = json!({ "name": "Secure", "email": "secure@example.com", "password": "correct horse battery" }).to_string();
    let res = https
        .request(
            Method::POST,
            "/api/auth/sign-up/email",
            Some(&body),
            &[("origin", "https://id.example.com")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.set_cookie_header().unwrap().contains("; Secure"));
}

async fn bad_input_gets_specific_codes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "/api/auth/sign-up/email",
            "{not json",
            "INVALID_REQUEST_BODY",
        ),
        (
            "/api/auth/sign-up/email",
            r#"{"name": 5, "email": "a@example.com", "password": "correct horse"}"#,
            "INVALID_REQUEST_BODY",
        ),
        (
            "/api/auth/sign-up/email",
            r#"{"email": "a@example.com", "password": "correct horse"}"#,
            "MISSING_FIELD",
        ),
        (
            "/api/auth/sign-up/email",
            r#"{"name": "A", "email": "not-an-email", "password": "correct horse"}"#,
            "INVALID_EMAIL",
        ),
        (
            "/api/auth/sign-up/email",
            r#"{"name": "A", "email": "a@example.com", "password": "short"}"#,
            "PASSWORD_TOO_SHORT",
        ),
        (
            "/api/auth/sign-up/email",
            r#"{"name": "   ", "email": "a@example.com", "password": "correct horse"}"#,
            "INVALID_NAME",
        ),
        (
            "/api/auth/sign-in/email",
            r#"{"email": "a@example.com"}"#,
            "MISSING_FIELD",
        ),
        (
            "/api/auth/sign-in/email",
            r#"{"email": "a@", "password": "whatever1"}"#,
            "INVALID_EMAIL",
        ),
        ("/api/auth/request-password-reset", r#"{}"#, "MISSING_FIELD"),
        (
            "/api/auth/reset-password",
            r#"{"token": "x", "newPassword": "short"}"#,
            "PASSWORD_TOO_SHORT",
        ),
        (
            "/api/auth/reset-password",
            r#"{"token": "nope", "newPassword": "long enough pw"}"#,
            "INVALID_TOKEN",
        ),
    ];
    for (path, body, code) in cases {
        let res = app.request(Method::POST, path, Some(body), &[]).await;
        assert!(
            res.status.is_client_error(),
            "{path} {body}: status {}",
            res.status
        );
        assert_eq!(res.code(), *code, "{path} {body}: {}", res.text);
        assert!(
            !res.body["message"].as_str().unwrap_or_default().is_empty(),
            "{path} {body}: a human message"
        );
    }
    let missing = app
        .request(
            Method::POST,
            "/api/auth/sign-up/email",
            Some(r#"{"email": "a@example.com", "password": "correct horse"}"#),
            &[],
        )
        .await;
    assert!(
        missing.body["message"].as_str().unwrap().contains("name"),
        "the missing field is named"
    );
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing half-written");
}

async fn duplicate_email_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("twice@example.com").await;
    let again = app
        .sign_up("Twice Again", "TWICE@example.com", "another password")
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    assert_eq!(
        app.sign_in("twice@example.com", "correct horse battery")
            .await
            .status,
        200,
        "the first account is untouched"
    );
}

async fn database_holds_no_raw_secret(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let res = app
        .sign_up(
            "Secret Keeper",
            "keeper@example.com",
            "correct horse battery",
        )
        .await;
    let token = res.body["token"].as_str().unwrap().to_owned();
    let hashes: Vec<String> = sqlx::query_scalar("select token_hash from sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], token);
    assert_eq!(hashes[0], gatehouse::server::crypto::hash_token(&token));
    let stored: String = sqlx::query_scalar("select password_hash from credentials")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    let reset = reset_token(&app, "keeper@example.com").await;
    let reset_hashes: Vec<String> = sqlx::query_scalar("select token_hash from password_resets")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        reset_hashes,
        vec![gatehouse::server::crypto::hash_token(&reset)]
    );
}

async fn health_and_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");

    let page = app.get("/sign-in", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Sign in"), "{}", page.text);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");

    let reset_page = app.get("/reset-password?token=abc", None).await;
    assert_eq!(reset_page.headers["referrer-policy"], "no-referrer");

    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("Page not found"));

    let dashboard = app
        .request(Method::GET, "/dashboard", None, &[("accept", "text/html")])
        .await;
    assert_eq!(
        dashboard.status,
        StatusCode::FOUND,
        "signed-out visitors are sent to sign in"
    );
    assert!(dashboard.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/sign-in"));
}

/// Every page, the "not found" one included, is rendered with the
/// signed-in person loaded first (`pages::PageData`): the header names
/// them, and a session due for renewal gets its fresh cookie even on a page
/// that reads nothing else of it.
async fn every_page_knows_who_is_signed_in(backend: Backend) {
    // The header's link for someone signed out.
    const SIGN_IN_LINK: &str = "<a href=\"/sign-in\"";
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let cookie = app.signed_up("ada@example.com").await;
    for path in ["/invite", "/welcome", "/no/such/page"] {
        let page = app.get(path, Some(&cookie)).await;
        assert!(page.text.contains("Test Person"), "{path}: {}", page.text);
        assert!(!page.text.contains(SIGN_IN_LINK), "{path}: {}", page.text);
        assert!(
            page.session_cookie().is_none(),
            "{path}: nothing to renew yet"
        );
    }
    let missing = app.get("/no/such/page", Some(&cookie)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A day-old session is renewed by the next page it opens.
    sqlx::query("update sessions set updated_at = updated_at - 86400001")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/invite", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.session_cookie().as_deref(), Some(cookie.as_str()));
    let renewed = page.set_cookie_header().unwrap_or_default();
    assert!(renewed.contains("Max-Age="), "{renewed}");

    let signed_out = app.get("/invite", None).await;
    assert!(
        signed_out.text.contains(SIGN_IN_LINK),
        "{}",
        signed_out.text
    );
}

/// Open sign-up, sign-up with a role invitation, an admin's create-user and
/// sign-up with an organization invitation all make their account through
/// `accounts::create::create_account`: one row, a password credential except
/// for an admin's account (its owner sets one at enrollment), and one audit
/// event that names who made it.
async fn every_way_in_makes_one_account_and_says_who_made_it(backend: Backend) {
    use crate::support::orgs;

    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let password = "correct horse battery";
    let res = app.sign_up("Ada", "ada@example.com", password).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let secret = app.instance_invite("moderator").await;
    let res = app
        .post(
            "/api/auth/sign-up/email",
            json!({ "name": "Bo", "email": "bo@example.com", "password": password, "inviteToken": secret }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let admin = app.account("admin@example.com", "admin").await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/create-user",
            json!({ "email": "cy@example.com", "name": "Cy", "role": "user" }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let owner = app.account("owner@example.com", "user").await;
    let org = orgs::post(
        &app,
        &owner,
        "create",
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    assert_eq!(org.status, 200, "{}", org.text);
    let invited = orgs::post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "dee@example.com", "role": "member", "organizationId": org.body["id"] }),
    )
    .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    let link = orgs::secret_sent_to(&app, "dee@example.com").await;
    let res = app
        .post(
            "/api/auth/organization/signup-with-invitation",
            json!({ "invitationId": link, "name": "Dee", "password": password }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let id_of = |email: &'static str| {
        let db = &app.db;
        async move {
            sqlx::query_scalar::<_, String>("select id from users where email = $1")
                .bind(email)
                .fetch_one(db)
                .await
                .unwrap()
        }
    };
    let admin_id = id_of("admin@example.com").await;
    for (email, action, by_admin, has_password) in [
        ("ada@example.com", "user.sign-up", false, true),
        ("bo@example.com", "user.sign-up", false, true),
        ("cy@example.com", "user.create", true, false),
        ("dee@example.com", "user.sign-up", false, true),
    ] {
        let id = id_of(email).await;
        let events: Vec<(String, Option<String>)> = sqlx::query_as(
            "select action, actor_id from audit_events
             where target = $1 and action in ('user.sign-up', 'user.create')",
        )
        .bind(&id)
        .fetch_all(&app.db)
        .await
        .unwrap();
        let actor = if by_admin { &admin_id } else { &id };
        assert_eq!(
            events,
            [(action.to_owned(), Some(actor.clone()))],
            "{email}"
        );
        let credentials: i64 =
            sqlx::query_scalar("select count(*) from credentials where user_id = $1")
                .bind(&id)
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(credentials, i64::from(has_password), "{email}");
    }
}
