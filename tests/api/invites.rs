//! Role invitations over HTTP (SPEC §3 "Role invitations", §5 `invite/*`),
//! on SQLite and PostgreSQL.

use crate::support::{Backend, Response, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn invite_only(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    TestApp::invite_only(backend, extra).await
}

async fn sign_up_with(app: &TestApp, email: &str, token: &str) -> Response {
    app.post(
        "/api/auth/sign-up/email",
        json!({ "name": "Invited Person", "email": email, "password": PASSWORD, "inviteToken": token }),
    )
    .await
}

async fn person_with_role(app: &TestApp, email: &str, role: &str) -> String {
    app.with_role(email, role).await
}

async fn create(app: &TestApp, cookie: &str, body: Value) -> Response {
    app.post_with_cookie("/api/auth/invite/create", body, cookie)
        .await
}

async fn preview(app: &TestApp, token: &str, cookie: Option<&str>) -> Response {
    app.get(&format!("/api/auth/invite/get?token={token}"), cookie)
        .await
}

async fn activate(app: &TestApp, token: &str, cookie: &str) -> Response {
    app.post_with_cookie(
        "/api/auth/invite/activate",
        json!({ "token": token }),
        cookie,
    )
    .await
}

fn token_in(app: &TestApp, text: &str) -> String {
    let link = crate::support::link_in(text, &app.base_url);
    link.rsplit('/').next().unwrap().to_owned()
}

async fn role_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select role from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn assert_error(res: &Response, status: u16, code: &str) {
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (status, code),
        "{}",
        res.text
    );
}

async fn rank_rules_decide_who_may_invite_whom(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let user = person_with_role(&app, "user@example.com", "user").await;
    let moderator = person_with_role(&app, "mod@example.com", "moderator").await;
    let admin = person_with_role(&app, "admin@example.com", "admin").await;

    assert_error(
        &create(&app, &user, json!({ "role": "admin" })).await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &create(&app, &user, json!({ "role": "user" })).await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &create(&app, &moderator, json!({ "role": "admin" })).await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &create(&app, &admin, json!({ "role": "owner" })).await,
        403,
        "INSUFFICIENT_PERMISSIONS",
    );
    assert_error(
        &create(&app, &admin, json!({ "role": "wizard" })).await,
        400,
        "INVALID_ROLE",
    );
    assert_error(&create(&app, &admin, json!({})).await, 400, "MISSING_FIELD");
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "role": "user", "tokenType": "carrier-pigeon" }),
        )
        .await,
        400,
        "INVALID_TOKEN_TYPE",
    );
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "role": "user", "expiresIn": 999_999_999 }),
        )
        .await,
        400,
        "INVALID_EXPIRY",
    );
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "role": "user", "redirectToAfterUpgrade": "https://evil.example/x" }),
        )
        .await,
        400,
        "INVALID_REDIRECT_URL",
    );
    assert_error(
        &create(
            &app,
            &admin,
            json!({ "role": "user", "email": "x@example.com", "maxUses": 3 }),
        )
        .await,
        400,
        "INVALID_MAX_USES",
    );
    assert_error(
        &app.post("/api/auth/invite/create", json!({ "role": "user" }))
            .await,
        401,
        "UNAUTHORIZED",
    );

    let res = create(&app, &moderator, json!({ "role": "moderator" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = create(
        &app,
        &admin,
        json!({ "role": "admin", "tokenType": "code" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["message"].as_str().unwrap().len(), 8, "a code");

    // The form offers exactly the roles this person may grant.
    let res = app.get("/api/auth/invite/options", Some(&moderator)).await;
    let names: Vec<_> = res.body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["user", "moderator"]);
}

async fn a_public_invite_signs_people_up_in_invite_only_mode(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    // Without an invitation the door is shut.
    let res = app.sign_up("Nobody", "nobody@example.com", PASSWORD).await;
    assert_error(&res, 403, "SIGN_UP_REQUIRES_INVITATION");

    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let res = create(&app, &admin, json!({ "role": "moderator", "maxUses": 2 })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let token = res.body["message"].as_str().unwrap().to_owned();
    assert_eq!(res.body["url"], format!("{}/invite/{token}", app.base_url));

    let res = preview(&app, &token, None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["nextStep"], "sign-up");
    assert_eq!(res.body["inviter"]["name"], "Invited Person");
    assert_eq!(res.body["invitation"]["role"], "moderator");
    assert_eq!(
        res.body["invitation"]["roleDescription"],
        "Helps bring people in."
    );
    assert_eq!(res.body["invitation"]["status"], "pending");
    assert!(res.body["invitation"]["newAccount"].is_null());

    let res = sign_up_with(&app, "grace@example.com", &token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["role"], "moderator");
    assert_eq!(
        res.body["user"]["emailVerified"], false,
        "a public link proves no address"
    );
    let session = app.session(&res.session_cookie().unwrap()).await;
    assert_eq!(session.body["user"]["role"], "moderator");

    // An address with an account is sent to sign in.
    let res = sign_up_with(&app, "grace@example.com", &token).await;
    assert_error(&res, 422, "USER_ALREADY_EXISTS_PLEASE_SIGN_IN");

    let list = app.get("/api/auth/invite/list", Some(&admin)).await;
    let invite = list.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["role"] == "moderator")
        .unwrap()
        .clone();
    assert_eq!(invite["uses"], 1);
    assert_eq!(invite["usedBy"][0]["user"]["email"], "grace@example.com");
    assert!(invite["usedBy"][0]["previousRole"].is_null());
    assert_eq!(invite["usedBy"][0]["newRole"], "moderator");
    assert_eq!(invite["createdBy"]["email"], "admin@example.com");
}

async fn a_private_invite_is_only_for_its_address(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let carol = person_with_role(&app, "carol@example.com", "user").await;
    let res = create(
        &app,
        &admin,
        json!({ "role": "moderator", "email": "Bob@Example.com" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["message"], "The invitation was sent");
    assert!(
        res.body["url"].is_null(),
        "a private secret goes only by email"
    );

    let emails = app.emails_to("bob@example.com").await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0].contains("Create your account"), "{}", emails[0]);
    let token = token_in(&app, &emails[0]);

    // Someone else, signed in, is told it is not theirs.
    let res = preview(&app, &token, Some(&carol)).await;
    assert_eq!(res.body["nextStep"], "switch-account");
    assert!(
        res.body["invitation"]["email"].is_null(),
        "not told whose it is: {}",
        res.text
    );
    assert!(res.body["invitation"]["newAccount"].is_null());
    assert_error(
        &activate(&app, &token, &carol).await,
        403,
        "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
    );
    assert_error(
        &sign_up_with(&app, "mallory@example.com", &token).await,
        403,
        "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
    );

    let res = preview(&app, &token, None).await;
    assert_eq!(res.body["nextStep"], "sign-up");
    assert_eq!(res.body["invitation"]["newAccount"], true);
    assert_eq!(res.body["invitation"]["emails"], json!(["bob@example.com"]));
    let res = sign_up_with(&app, "bob@example.com", &token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["role"], "moderator");
    assert_eq!(
        res.body["user"]["emailVerified"], true,
        "the link reached this mailbox"
    );
    assert_eq!(
        preview(&app, &token, None).await.body["invitation"]["status"],
        "used"
    );
}

async fn an_existing_user_accepts_an_upgrade(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let dave = person_with_role(&app, "dave@example.com", "user").await;
    let res = create(
        &app,
        &admin,
        json!({ "role": "admin", "email": "dave@example.com", "redirectToAfterUpgrade": "/dashboard?from=invite" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let emails = app.emails_to("dave@example.com").await;
    assert!(
        emails[0].contains("upgraded") || emails[0].contains("new role"),
        "{}",
        emails[0]
    );
    let token = token_in(&app, &emails[0]);

    let res = preview(&app, &token, None).await;
    assert_eq!(res.body["nextStep"], "sign-in");
    assert_eq!(res.body["invitation"]["newAccount"], false);
    let res = preview(&app, &token, Some(&dave)).await;
    assert_eq!(res.body["nextStep"], "accept");

    let res = activate(&app, &token, &dave).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["role"], "admin");
    assert_eq!(res.body["previousRole"], "user");
    assert_eq!(res.body["redirectTo"], "/dashboard?from=invite");
    // The same session sees the new role at once.
    assert_eq!(app.session(&dave).await.body["user"]["role"], "admin");
    let accepted: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'invite.accept'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(accepted >= 1);

    // Used once, it cannot be used again.
    assert_error(
        &activate(&app, &token, &dave).await,
        409,
        "ROLE_ALREADY_GRANTED",
    );
    let res = app
        .get("/api/auth/gatehouse/welcome?next=/dashboard", Some(&dave))
        .await;
    assert_eq!(res.body["role"]["name"], "admin");
    assert!(!res.body["role"]["abilities"].as_array().unwrap().is_empty());
}

async fn roles_are_never_lowered_and_demoted_inviters_void_their_invites(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let owner = person_with_role(&app, "owner@example.com", "owner").await;
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let erin = person_with_role(&app, "erin@example.com", "user").await;
    let res = create(&app, &owner, json!({ "role": "moderator" })).await;
    let token = res.body["message"].as_str().unwrap().to_owned();
    assert_error(
        &activate(&app, &token, &admin).await,
        409,
        "ROLE_WOULD_BE_LOWERED",
    );
    assert_eq!(role_of(&app, "admin@example.com").await, "admin");
    assert_eq!(
        preview(&app, &token, Some(&admin)).await.body["nextStep"],
        "already-has-role"
    );

    // Two invitations accepted at once never leave the lower role standing
    // over the higher one.
    let zed = person_with_role(&app, "zed@example.com", "user").await;
    let low = create(&app, &owner, json!({ "role": "moderator" }))
        .await
        .body["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let high = create(&app, &owner, json!({ "role": "admin" })).await.body["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let (to_low, to_high) = tokio::join!(activate(&app, &low, &zed), activate(&app, &high, &zed));
    let final_role = role_of(&app, "zed@example.com").await;
    if to_high.status == 200 {
        assert_eq!(final_role, "admin", "{} / {}", to_low.text, to_high.text);
    } else {
        assert_eq!(
            final_role, "moderator",
            "{} / {}",
            to_low.text, to_high.text
        );
    }

    // The admin invites someone as admin, then is demoted: the invite dies.
    let res = create(&app, &admin, json!({ "role": "admin" })).await;
    let token = res.body["message"].as_str().unwrap().to_owned();
    app.set_role("admin@example.com", "moderator").await;
    assert_error(
        &activate(&app, &token, &erin).await,
        410,
        "INVITER_NO_LONGER_ALLOWED",
    );
    assert_eq!(
        preview(&app, &token, None).await.body["nextStep"],
        "unusable"
    );
    assert_eq!(role_of(&app, "erin@example.com").await, "user");
}

async fn expired_canceled_and_rejected_invites_are_refused(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let moderator = person_with_role(&app, "mod@example.com", "moderator").await;
    let frank = person_with_role(&app, "frank@example.com", "user").await;

    let res = create(&app, &admin, json!({ "role": "moderator", "expiresIn": 1 })).await;
    let expiring = res.body["message"].as_str().unwrap().to_owned();
    let res = create(&app, &admin, json!({ "role": "moderator" })).await;
    let canceled = res.body["message"].as_str().unwrap().to_owned();
    let canceled_id = res.body["invitations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Only the creator or someone with invite:cancel cancels.
    let res = app
        .post_with_cookie(
            "/api/auth/invite/cancel",
            json!({ "id": canceled_id }),
            &moderator,
        )
        .await;
    assert_error(&res, 403, "FORBIDDEN");
    let res = app
        .post_with_cookie(
            "/api/auth/invite/cancel",
            json!({ "id": canceled_id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app
        .post_with_cookie(
            "/api/auth/invite/cancel",
            json!({ "id": canceled_id }),
            &admin,
        )
        .await;
    assert_error(&res, 409, "INVITATION_NOT_PENDING");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_error(
        &activate(&app, &expiring, &frank).await,
        410,
        "INVITATION_EXPIRED",
    );
    assert_error(
        &activate(&app, &canceled, &frank).await,
        410,
        "INVITATION_CANCELED",
    );
    let res = preview(&app, &expiring, None).await;
    assert_eq!(res.body["invitation"]["status"], "expired");
    assert_eq!(res.body["nextStep"], "unusable");
    assert_eq!(res.body["reason"], "This invitation has expired.");

    // A private invitation's addressee may decline it; then it is refused.
    create(
        &app,
        &admin,
        json!({ "role": "moderator", "email": "gina@example.com" }),
    )
    .await;
    let token = token_in(&app, &app.emails_to("gina@example.com").await[0]);
    let res = app
        .post_with_cookie("/api/auth/invite/reject", json!({ "token": token }), &frank)
        .await;
    assert_error(&res, 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION");
    let res = app
        .post("/api/auth/invite/reject", json!({ "token": token }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_error(
        &sign_up_with(&app, "gina@example.com", &token).await,
        410,
        "INVITATION_REJECTED",
    );
    assert_eq!(role_of(&app, "frank@example.com").await, "user");

    // /admin/invites filters on the server: each status is a link of its
    // own, and the search keeps it.
    let rows = |text: &str| text.matches(r#"data-testid="invite-row""#).count();
    let all = app.get("/admin/invites", Some(&admin)).await;
    assert_eq!(all.status, 200);
    assert!(all
        .text
        .contains(r#"href="/admin/invites?status=canceled""#));
    let canceled = app
        .get("/admin/invites?status=canceled", Some(&admin))
        .await;
    assert_eq!(rows(&canceled.text), 1);
    assert!(rows(&all.text) > 1);
    assert!(canceled
        .text
        .contains(r#"<input type="hidden" name="status" value="canceled""#));
    let declined = app
        .get("/admin/invites?status=rejected&search=GINA", Some(&admin))
        .await;
    assert_eq!(rows(&declined.text), 1);
    assert!(declined.text.contains("gina@example.com"));
    let nobody = app
        .get("/admin/invites?status=rejected&search=frank", Some(&admin))
        .await;
    assert!(nobody.text.contains("No invitations here."));
}

async fn concurrent_acceptances_never_exceed_max_uses(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let owner = person_with_role(&app, "owner@example.com", "owner").await;
    // Fifty people with accounts, signed in.
    let mut cookies = Vec::new();
    for i in 0..50 {
        cookies.push(person_with_role(&app, &format!("p{i}@example.com"), "user").await);
    }
    for (role, max_uses) in [("moderator", 1), ("admin", 5)] {
        let res = create(&app, &owner, json!({ "role": role, "maxUses": max_uses })).await;
        let token = res.body["message"].as_str().unwrap().to_owned();
        let id = res.body["invitations"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // All requests are in flight before any answers.
        let results =
            futures::future::join_all(cookies.iter().map(|c| activate(&app, &token, c))).await;
        let wins = results.iter().filter(|r| r.status == 200).count();
        assert_eq!(
            wins,
            max_uses,
            "{role}: {:?}",
            results
                .iter()
                .map(|r| r.code().to_owned())
                .collect::<Vec<_>>()
        );
        for r in results.iter().filter(|r| r.status != 200) {
            assert!(
                matches!(
                    r.code(),
                    "INVITATION_USED" | "ROLE_WOULD_BE_LOWERED" | "ROLE_ALREADY_GRANTED"
                ),
                "{}",
                r.text
            );
        }
        let (uses, recorded): (i64, i64) = sqlx::query_as(
            "select uses, (select count(*) from role_invitation_uses where invitation_id = $1) from role_invitations where id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(
            (uses, recorded),
            (max_uses as i64, max_uses as i64),
            "{role}"
        );
        let granted: i64 = sqlx::query_scalar("select count(*) from users where role = $1")
            .bind(role)
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(granted, max_uses as i64, "{role}");
    }
}

async fn secrets_are_stored_only_as_hashes_and_previews_change_nothing(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let link = create(&app, &admin, json!({ "role": "user" })).await.body["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = create(&app, &admin, json!({ "role": "user", "tokenType": "code" }))
        .await
        .body["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for table in ["role_invitations", "audit_events", "role_invitation_uses"] {
        let dump: Vec<String> = sqlx::query_scalar(&format!(
            "select concat_ws('|', {}) from {table}",
            match table {
                "role_invitations" => "id, token_hash, secret_kind, role, coalesce(email, '')",
                "audit_events" => "id, action, coalesce(target, ''), coalesce(after_json, '')",
                _ => "id, invitation_id, user_id",
            }
        ))
        .fetch_all(&app.db)
        .await
        .unwrap();
        for row in dump {
            assert!(
                !row.contains(&link) && !row.contains(&code),
                "{table} holds a raw secret: {row}"
            );
        }
    }

    let snapshot = || async {
        let rows: Vec<(String, String, i64, i64)> =
            sqlx::query_as("select id, status, uses, updated_at from role_invitations order by id")
                .fetch_all(&app.db)
                .await
                .unwrap();
        let audit: i64 = sqlx::query_scalar("select count(*) from audit_events")
            .fetch_one(&app.db)
            .await
            .unwrap();
        (rows, audit)
    };
    let before = snapshot().await;
    for _ in 0..3 {
        assert_eq!(preview(&app, &link, None).await.status, 200);
        assert_eq!(preview(&app, &link, Some(&admin)).await.status, 200);
        let page = app.get(&format!("/invite/{link}"), None).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.headers["referrer-policy"], "no-referrer",
            "the URL holds a secret"
        );
    }
    assert_eq!(snapshot().await, before, "a GET changed an invitation");
}

async fn code_lookups_are_rate_limited_and_give_nothing_away(backend: Backend) {
    let Some(app) = invite_only(backend, &[("rate_limits.invite_code", "\"8/1m\"")]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let code = |res: Response| res.body["message"].as_str().unwrap().to_owned();
    let live = code(create(&app, &admin, json!({ "role": "user", "tokenType": "code" })).await);
    let expired = code(
        create(
            &app,
            &admin,
            json!({ "role": "user", "tokenType": "code", "expiresIn": 1 }),
        )
        .await,
    );
    let canceled = code(create(&app, &admin, json!({ "role": "user", "tokenType": "code" })).await);
    let id = sqlx::query_scalar::<_, String>(
        "select id from role_invitations order by created_at desc limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    app.post_with_cookie("/api/auth/invite/cancel", json!({ "id": id }), &admin)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Typed loosely, the live code works.
    let typed = format!("{}-{}", &live[..4], &live[4..]).to_lowercase();
    assert_eq!(preview(&app, &typed, None).await.status, 200);
    let unknown = if live.starts_with('2') {
        "3333-3333"
    } else {
        "2222-2222"
    };
    let answers: Vec<(u16, String)> = {
        let mut v = Vec::new();
        for c in [unknown, expired.as_str(), canceled.as_str()] {
            let r = preview(&app, c, None).await;
            v.push((r.status.as_u16(), r.text));
        }
        v
    };
    assert_eq!(answers[0].0, 404);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let res = preview(&app, "7K3O-Q9XD", None).await;
    assert_error(&res, 400, "INVALID_CODE");

    // Only misses spend the budget (8 per minute; 3 spent above), so the
    // holder of a good code is never held up...
    for _ in 0..5 {
        assert_eq!(preview(&app, &live, None).await.status, 200);
    }
    for _ in 0..5 {
        assert_error(&preview(&app, unknown, None).await, 404, "INVALID_TOKEN");
    }
    // ...and once a guesser has spent it, every code gets the same refusal,
    // the good one included.
    assert_error(
        &preview(&app, unknown, None).await,
        429,
        "TOO_MANY_REQUESTS",
    );
    assert_error(&preview(&app, &live, None).await, 429, "TOO_MANY_REQUESTS");
}

async fn resend_replaces_the_secret(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let admin = person_with_role(&app, "admin@example.com", "admin").await;
    let res = create(
        &app,
        &admin,
        json!({ "role": "user", "email": "hal@example.com" }),
    )
    .await;
    let id = res.body["invitations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = token_in(&app, &app.emails_to("hal@example.com").await[0]);
    let res = app
        .post_with_cookie("/api/auth/invite/resend", json!({ "id": id }), &admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let emails = app.emails_to("hal@example.com").await;
    assert_eq!(emails.len(), 2);
    let new = token_in(&app, &emails[1]);
    assert_ne!(old, new);
    assert_error(&preview(&app, &old, None).await, 404, "INVALID_TOKEN");
    assert_eq!(
        sign_up_with(&app, "hal@example.com", &new).await.status,
        200
    );

    // The list: search by address, filter by status, page.
    for i in 0..3 {
        create(
            &app,
            &admin,
            json!({ "role": "user", "email": format!("list{i}@example.com") }),
        )
        .await;
    }
    let res = app
        .get("/api/auth/invite/list?search=LIST&limit=2", Some(&admin))
        .await;
    assert_eq!(
        (
            res.body["total"].as_i64(),
            res.body["invitations"].as_array().unwrap().len()
        ),
        (Some(3), 2)
    );
    let res = app
        .get("/api/auth/invite/list?status=used&search=hal", Some(&admin))
        .await;
    assert_eq!(res.body["total"], 1);
    assert_eq!(res.body["invitations"][0]["email"], "hal@example.com");
    assert_error(
        &app.get("/api/auth/invite/list?status=lost", Some(&admin))
            .await,
        400,
        "INVALID_STATUS",
    );
    let user = person_with_role(&app, "ivy@example.com", "user").await;
    assert_error(
        &app.get("/api/auth/invite/list", Some(&user)).await,
        403,
        "FORBIDDEN",
    );
}

async fn first_run_prints_one_setup_link(backend: Backend) {
    let Some(app) = invite_only(backend, &[]).await else {
        return;
    };
    let pending = "select count(*) from role_invitations where setup = 1 and role = 'owner' and status = 'pending'";
    let db = app.db.clone();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(pending).await, 1, "the first start made a setup link");
    // Starting again with still no users replaces it rather than adding one.
    let _again = app
        .another_node(&[("sign_up_mode", "\"invite-only\"")])
        .await;
    assert_eq!(count(pending).await, 1);
    // Once someone exists (here through another invitation), no new link,
    // and the one still in the log stops working.
    person_with_role(&app, "owner@example.com", "owner").await;
    let _third = app.another_node(&[]).await;
    assert_eq!(count(pending).await, 0);
}

on_both_databases!(
    rank_rules_decide_who_may_invite_whom,
    a_public_invite_signs_people_up_in_invite_only_mode,
    a_private_invite_is_only_for_its_address,
    an_existing_user_accepts_an_upgrade,
    roles_are_never_lowered_and_demoted_inviters_void_their_invites,
    expired_canceled_and_rejected_invites_are_refused,
    concurrent_acceptances_never_exceed_max_uses,
    secrets_are_stored_only_as_hashes_and_previews_change_nothing,
    code_lookups_are_rate_limited_and_give_nothing_away,
    resend_replaces_the_secret,
    first_run_prints_one_setup_link,
);

/// `gatehouse invite` prints the invitation URL as its last line, and the
/// link works on a server started on that database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_prints_a_working_invitation_url() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}/cli.db", dir.path().display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "invite",
            "--role",
            "owner",
            "--max-uses",
            "1",
            "--expires-in",
            "2d",
        ])
        .env("GATEHOUSE_DATABASE_URL", &database_url)
        .env(
            "GATEHOUSE_SECRET_KEY",
            crate::support::TEST_SECRET_KEY.trim_matches('"'),
        )
        .env("GATEHOUSE_BASE_URL", "http://gatehouse.test")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let url = stdout.lines().last().unwrap().trim();
    let token = url
        .strip_prefix("http://gatehouse.test/invite/")
        .expect(url);

    let app = TestApp::on_database(&database_url, &[("sign_up_mode", "\"invite-only\"")]).await;
    let res = preview(&app, token, None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["invitation"]["role"], "owner");
    let res = sign_up_with(&app, "root@example.com", token).await;
    assert_eq!(res.body["user"]["role"], "owner");

    // Bad arguments are named.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["invite", "--role", "emperor"])
        .env("GATEHOUSE_DATABASE_URL", &database_url)
        .env(
            "GATEHOUSE_SECRET_KEY",
            crate::support::TEST_SECRET_KEY.trim_matches('"'),
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("emperor"));
}
