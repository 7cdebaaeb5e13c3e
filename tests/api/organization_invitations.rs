//! Organization invitations over HTTP (SPEC §3 "Organizations" 4–8), in
//! Better Auth's shapes, on SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::support::{
    orgs::{acme as organization, refusal as code, secret_sent_to},
    Backend, Response, TestApp,
};

async fn invite(app: &TestApp, cookie: &str, org: &str, email: Value, role: Value) -> Response {
    app.post_with_cookie(
        "/api/auth/organization/invite-member",
        json!({ "email": email, "role": role, "organizationId": org }),
        cookie,
    )
    .await
}

async fn accept(app: &TestApp, cookie: &str, key: &str) -> Response {
    app.post_with_cookie(
        "/api/auth/organization/accept-invitation",
        json!({ "invitationId": key }),
        cookie,
    )
    .await
}

async fn inviting_answers_in_better_auths_shape_with_its_refusals(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let res = invite(
        &app,
        &admin,
        &org,
        json!("Zoe@Example.com"),
        json!("member"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let i = &res.body;
    assert_eq!(i["email"], "zoe@example.com");
    assert_eq!(i["role"], "member");
    assert_eq!(i["status"], "pending");
    assert_eq!(i["organizationId"], org.as_str());
    assert!(i["teamId"].is_null());
    for field in ["id", "expiresAt", "createdAt", "inviterId"] {
        assert!(i[field].is_string(), "{field}");
    }
    let id = i["id"].as_str().unwrap().to_owned();

    // The email carries a secret link, which is not the id.
    let emails = app.emails_to("zoe@example.com").await;
    assert_eq!(emails.len(), 1);
    assert!(
        emails[0].contains("Create your account and join"),
        "{}",
        emails[0]
    );
    let secret = secret_sent_to(&app, "zoe@example.com").await;
    assert_ne!(secret, id);
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from organization_invitations where secret_hash = $1 or id = $1",
    )
    .bind(&secret)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 0, "only the secret's hash is stored");

    // The public preview, by the secret or the id, without a session.
    for key in [&secret, &id] {
        let res = app
            .get(
                &format!("/api/auth/organization/get-invitation-preview?id={key}"),
                None,
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
        let p = &res.body;
        assert_eq!(p["organizationName"], "Acme");
        assert_eq!(p["organizationSlug"], "acme");
        assert_eq!(p["inviterName"], "Test Person");
        assert_eq!(p["role"], "member");
        assert_eq!(p["status"], "pending");
        assert!(p.get("email").is_none(), "nothing about the address");
    }
    let res = app
        .get(
            "/api/auth/organization/get-invitation-preview?id=nope",
            None,
        )
        .await;
    assert_eq!(code(&res), (400, "INVITATION_NOT_FOUND"));

    // Again: refused, unless resent (same invitation, a new link).
    let again = invite(
        &app,
        &owner,
        &org,
        json!("zoe@example.com"),
        json!("member"),
    )
    .await;
    assert_eq!(
        code(&again),
        (400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
    );
    let resent = app
        .post_with_cookie(
            "/api/auth/organization/invite-member",
            json!({ "email": "zoe@example.com", "role": "member", "organizationId": org, "resend": true }),
            &owner,
        )
        .await;
    assert_eq!(resent.status, 200, "{}", resent.text);
    assert_eq!(resent.body["id"], id.as_str());
    let new_secret = secret_sent_to(&app, "zoe@example.com").await;
    assert_ne!(new_secret, secret, "a new link");
    let zoe = app.account("zoe@example.com", "user").await;
    assert_eq!(
        code(&accept(&app, &zoe, &secret).await),
        (400, "INVITATION_NOT_FOUND"),
        "the old link is dead"
    );

    for (cookie, email, role, expected) in [
        (
            &admin,
            "x@example.com",
            "owner",
            (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"),
        ),
        (
            &member,
            "x@example.com",
            "member",
            (
                403,
                "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
            ),
        ),
        (
            &owner,
            "x@example.com",
            "superhero",
            (400, "ROLE_NOT_FOUND"),
        ),
        (&owner, "not-an-email", "member", (400, "INVALID_EMAIL")),
        (
            &owner,
            "member@example.com",
            "member",
            (400, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION"),
        ),
    ] {
        let res = invite(&app, cookie, &org, json!(email), json!(role)).await;
        assert_eq!(code(&res), expected, "{email} as {role}: {}", res.text);
    }
    let outsider = app.account("out@example.com", "user").await;
    let res = invite(
        &app,
        &outsider,
        &org,
        json!("x@example.com"),
        json!("member"),
    )
    .await;
    assert_eq!(code(&res), (400, "MEMBER_NOT_FOUND"));

    // A list: each address its own result; the good ones are made.
    let res = invite(
        &app,
        &owner,
        &org,
        json!([
            "a@example.com",
            "bad",
            "member@example.com",
            "b@example.com"
        ]),
        json!(["admin", "member"]),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let outcomes = res.body.as_array().unwrap();
    assert_eq!(outcomes.len(), 4);
    assert_eq!(outcomes[0]["invitation"]["role"], "admin,member");
    assert_eq!(outcomes[1]["error"]["code"], "INVALID_EMAIL");
    assert_eq!(
        outcomes[2]["error"]["code"],
        "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION"
    );
    assert_eq!(outcomes[3]["invitation"]["email"], "b@example.com");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'organization.invitation.create'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 5, "two setup invitations, zoe, a and b");
}

async fn recipients_accept_reject_and_admins_cancel(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let bob = app.account("bob@example.com", "user").await;
    let res = invite(&app, &owner, &org, json!("bob@example.com"), json!("admin")).await;
    let id = res.body["id"].as_str().unwrap().to_owned();
    assert!(app.emails_to("bob@example.com").await[0].contains("Join Acme"));

    // get-invitation: for its recipient only.
    let get = |cookie: Option<&str>, key: &str| {
        let app = &app;
        let path = format!("/api/auth/organization/get-invitation?id={key}");
        let cookie = cookie.map(str::to_owned);
        async move { app.get(&path, cookie.as_deref()).await }
    };
    let res = get(Some(&bob), &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["organizationName"], "Acme");
    assert_eq!(res.body["organizationSlug"], "acme");
    assert_eq!(res.body["inviterEmail"], "owner@example.com");
    assert_eq!(
        code(&get(Some(&member), &id).await),
        (403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    );
    assert_eq!(get(None, &id).await.status, 401);
    assert_eq!(
        code(&get(Some(&bob), "nope").await),
        (400, "INVITATION_NOT_FOUND")
    );

    // Only the recipient accepts, with a verified address.
    assert_eq!(
        code(&accept(&app, &member, &id).await),
        (403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    );
    sqlx::query("update users set email_verified = 0 where email = 'bob@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        code(&accept(&app, &bob, &id).await),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );
    app.verified("bob@example.com").await;
    // By the secret from the email, as the preview page does.
    let secret = secret_sent_to(&app, "bob@example.com").await;
    let res = accept(&app, &bob, &secret).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["invitation"]["status"], "accepted");
    assert_eq!(res.body["member"]["role"], "admin");
    assert_eq!(res.body["member"]["organizationId"], org.as_str());
    assert_eq!(
        app.session(&bob).await.body["session"]["activeOrganizationId"],
        org.as_str()
    );
    assert_eq!(
        code(&accept(&app, &bob, &id).await),
        (400, "INVITATION_NOT_FOUND")
    );
    assert_eq!(
        code(&get(Some(&bob), &id).await),
        (400, "INVITATION_NOT_FOUND")
    );

    // Reject: the recipient, once.
    let cy = app.account("cy@example.com", "user").await;
    let cy_id = invite(&app, &owner, &org, json!("cy@example.com"), json!("member"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reject = |cookie: String, key: String| {
        let app = &app;
        async move {
            app.post_with_cookie(
                "/api/auth/organization/reject-invitation",
                json!({ "invitationId": key }),
                &cookie,
            )
            .await
        }
    };
    assert_eq!(
        code(&reject(member.clone(), cy_id.clone()).await),
        (403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    );
    let res = reject(cy.clone(), cy_id.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["invitation"]["status"], "rejected");
    assert!(res.body["member"].is_null());
    assert_eq!(
        code(&reject(cy.clone(), cy_id.clone()).await),
        (400, "INVITATION_NOT_FOUND")
    );
    assert_eq!(
        code(&accept(&app, &cy, &cy_id).await),
        (400, "INVITATION_NOT_FOUND")
    );
    // A rejected invitation does not block a new one.
    let again = invite(&app, &owner, &org, json!("cy@example.com"), json!("member")).await;
    assert_eq!(again.status, 200, "{}", again.text);

    // Cancel: needs invitation:cancel.
    let erin_id = invite(
        &app,
        &owner,
        &org,
        json!("erin@example.com"),
        json!("member"),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel = |cookie: String| {
        let (app, erin_id) = (&app, erin_id.clone());
        async move {
            app.post_with_cookie(
                "/api/auth/organization/cancel-invitation",
                json!({ "invitationId": erin_id }),
                &cookie,
            )
            .await
        }
    };
    assert_eq!(
        code(&cancel(member.clone()).await),
        (403, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION")
    );
    let res = cancel(admin.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "canceled");
    let erin = app.account("erin@example.com", "user").await;
    assert_eq!(
        code(&accept(&app, &erin, &erin_id).await),
        (400, "INVITATION_NOT_FOUND")
    );

    // list-invitations: for those who may invite; newest first.
    let list = |cookie: String| {
        let app = &app;
        let path = format!("/api/auth/organization/list-invitations?organizationId={org}");
        async move { app.get(&path, Some(&cookie)).await }
    };
    let res = list(admin.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let statuses: Vec<&str> = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["canceled", "pending", "rejected", "accepted", "accepted", "accepted"]
    );
    // get-full-organization carries them too (create's answer does not).
    let full = app
        .get(
            &format!("/api/auth/organization/get-full-organization?organizationId={org}"),
            Some(&owner),
        )
        .await;
    assert_eq!(
        full.body["invitations"].as_array().map(Vec::len),
        Some(6),
        "{}",
        full.text
    );
    assert_eq!(
        code(&list(member.clone()).await),
        (403, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS")
    );
    assert_eq!(list(erin.clone()).await.status, 403);

    // list-user-invitations: one's own pending ones, verified only.
    let res = app
        .get("/api/auth/organization/list-user-invitations", Some(&cy))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let mine = res.body.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["organizationName"], "Acme");
    assert_eq!(mine[0]["email"], "cy@example.com");
    let res = app
        .get(
            "/api/auth/organization/list-user-invitations?email=cy%40example.com",
            Some(&cy),
        )
        .await;
    assert_eq!(res.status, 400);
    sqlx::query("update users set email_verified = 0 where email = 'cy@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let res = app
        .get("/api/auth/organization/list-user-invitations", Some(&cy))
        .await;
    assert_eq!(
        code(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );

    // Deleting the organization takes its invitations.
    let res = app
        .post_with_cookie(
            "/api/auth/organization/delete",
            json!({ "organizationId": org }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let left: i64 = sqlx::query_scalar("select count(*) from organization_invitations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// The database holds one pending invitation per address, however many
/// `invite-member` calls race; and of 20 accepts at once, one joins.
async fn races_make_one_invitation_and_one_membership(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let invites = (0..10).map(|_| {
        invite(
            &app,
            &owner,
            &org,
            json!("zed@example.com"),
            json!("member"),
        )
    });
    let results = futures::future::join_all(invites).await;
    let made = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(made, 1);
    for r in results.iter().filter(|r| r.status != 200) {
        assert_eq!(
            code(r),
            (400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION"),
            "{}",
            r.text
        );
    }
    let id = results.iter().find(|r| r.status == 200).unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let zed = app.account("zed@example.com", "user").await;
    let accepts = (0..20).map(|_| accept(&app, &zed, &id));
    let results = futures::future::join_all(accepts).await;
    assert!(results.iter().all(|r| r.status.as_u16() < 500), "no 5xx");
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
    let members: i64 = sqlx::query_scalar(
        "select count(*) from organization_members m join users u on u.id = m.user_id
         where u.email = 'zed@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(members, 1);
}

async fn sign_up(app: &TestApp, key: &str, name: &str) -> Response {
    app.post(
        "/api/auth/organization/signup-with-invitation",
        json!({ "invitationId": key, "name": name, "password": "correct horse battery" }),
    )
    .await
}

/// SPEC §3 "Organizations" 7, in invite-only mode: the link's secret (not
/// the id an admin sees) creates the account and the membership at once,
/// signed in; an address with an account writes nothing; a failure part-way
/// leaves nothing behind and the invitation usable.
async fn new_people_sign_up_with_the_invitation(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let id = invite(
        &app,
        &owner,
        &org,
        json!("nia@example.com"),
        json!(["admin", "member"]),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = secret_sent_to(&app, "nia@example.com").await;

    // The id alone, as an admin reads it in the list, is not enough.
    assert_eq!(
        code(&sign_up(&app, &id, "Mallory").await),
        (400, "INVITATION_NOT_FOUND")
    );
    assert_eq!(
        code(&sign_up(&app, &secret, "").await),
        (400, "INVALID_NAME")
    );

    // A failure part-way (the membership insert) leaves nothing written.
    let (install, remove): (&[&str], &[&str]) = match backend {
        Backend::Sqlite => (
            &["create trigger fail_members before insert on organization_members begin select raise(abort, 'simulated failure'); end"],
            &["drop trigger fail_members"],
        ),
        Backend::Postgres => (
            &[
                "create function fail_members() returns trigger as $$ begin raise exception 'simulated failure'; end $$ language plpgsql",
                "create trigger fail_members before insert on organization_members for each row execute function fail_members()",
            ],
            &["drop trigger fail_members on organization_members", "drop function fail_members()"],
        ),
    };
    for sql in install {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let res = sign_up(&app, &secret, "Nia").await;
    assert_eq!(res.status, 500, "{}", res.text);
    for sql in remove {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let users: i64 =
        sqlx::query_scalar("select count(*) from users where email = 'nia@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(users, 0, "no account was left behind");

    let res = sign_up(&app, &secret, "Nia").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "nia@example.com");
    assert_eq!(res.body["user"]["emailVerified"], true);
    assert_eq!(
        res.body["user"]["role"], "user",
        "the instance's lowest role"
    );
    assert_eq!(res.body["member"]["role"], "admin,member");
    let cookie = res.session_cookie().expect("signed in");
    let session = app.session(&cookie).await;
    assert_eq!(
        session.body["session"]["activeOrganizationId"],
        org.as_str()
    );
    assert_eq!(
        code(&sign_up(&app, &secret, "Nia").await),
        (400, "INVITATION_NOT_FOUND")
    );
    let listed = app
        .get(
            &format!("/api/auth/organization/list-invitations?organizationId={org}"),
            Some(&owner),
        )
        .await;
    assert_eq!(listed.body[0]["status"], "accepted");

    // An address that has an account is told to sign in; nothing changes.
    invite(
        &app,
        &owner,
        &org,
        json!("owner2@example.com"),
        json!("member"),
    )
    .await;
    app.account("owner2@example.com", "user").await;
    let secret = secret_sent_to(&app, "owner2@example.com").await;
    let res = sign_up(&app, &secret, "Someone").await;
    assert_eq!(code(&res), (422, "USER_ALREADY_EXISTS_PLEASE_SIGN_IN"));
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from organization_invitations where email = 'owner2@example.com' and status = 'pending'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(pending, 1);
}

/// Accepts of different invitations at once never take an organization
/// past its membership limit.
async fn the_membership_limit_holds_under_concurrent_accepts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("organizations.membership_limit", "4")]).await
    else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let mut people = Vec::new();
    for n in 0..4 {
        let email = format!("p{n}@example.com");
        let id = invite(&app, &owner, &org, json!(email), json!("member"))
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        people.push((app.account(&email, "user").await, id));
    }
    let accepts = people.iter().map(|(cookie, id)| accept(&app, cookie, id));
    let results = futures::future::join_all(accepts).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
    for r in results.iter().filter(|r| r.status != 200) {
        assert_eq!(
            code(r),
            (403, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED"),
            "{}",
            r.text
        );
    }
    let members: i64 =
        sqlx::query_scalar("select count(*) from organization_members where organization_id = $1")
            .bind(&org)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(members, 4);
}

/// The invitations tab: rendered on the server for members who may invite
/// or cancel, with pending invitations before the answered ones; a tab
/// link only for them; signed-out people sign in and come back to it.
async fn the_invitations_tab_lists_them_for_those_who_may_invite(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let res = invite(
        &app,
        &owner,
        &org,
        json!("waiting@example.com"),
        json!(["admin", "member"]),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let gone = invite(
        &app,
        &admin,
        &org,
        json!("gone@example.com"),
        json!("member"),
    )
    .await;
    let res = app
        .post_with_cookie(
            "/api/auth/organization/cancel-invitation",
            json!({ "invitationId": gone.body["id"] }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    for cookie in [&owner, &admin] {
        let page = app.get("/orgs/acme/invitations", Some(cookie)).await;
        assert_eq!(page.status, 200);
        let text = &page.text;
        let waiting = text.find("waiting@example.com").expect("pending is listed");
        let canceled = text.find("gone@example.com").expect("canceled is listed");
        assert!(waiting < canceled, "pending first");
        assert!(text.contains("Waiting for an answer"));
        assert!(text.contains("Send invitations"), "the form is there");
        // Admins may not offer `owner`; owners may.
        assert_eq!(
            text.contains(r#"name="role" value="owner""#),
            cookie == &owner
        );
        // The list shows ids, never a link's secret.
        assert!(!text.contains(&secret_sent_to(&app, "waiting@example.com").await));
    }
    let tab_link = r#"href="/orgs/acme/invitations""#;
    assert!(app
        .get("/orgs/acme", Some(&owner))
        .await
        .text
        .contains(tab_link));
    let members_view = app.get("/orgs/acme", Some(&member)).await;
    assert!(!members_view.text.contains(tab_link), "members have no tab");
    let page = app.get("/orgs/acme/invitations", Some(&member)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("do not include inviting people"));
    assert!(!page.text.contains("waiting@example.com"));

    let outsider = app.account("eve@example.com", "user").await;
    assert_eq!(
        app.get("/orgs/acme/invitations", Some(&outsider))
            .await
            .status,
        404
    );
    let page = app
        .request(
            reqwest::Method::GET,
            "/orgs/acme/invitations",
            None,
            &[("accept", "text/html")],
        )
        .await;
    assert_eq!(page.status, 302);
    assert_eq!(
        page.headers["location"],
        "/sign-in?redirectTo=/orgs/acme/invitations"
    );
}

/// `/invite/{token}` asks the invitations core which kind a secret is
/// (`gatehouse/invitation`): an organization's link opens its preview, a
/// role invitation's link or code opens theirs, and a secret nobody knows
/// gets the role invitations' refusal, whichever form it has. Nothing is
/// matched by an error's code.
async fn one_page_opens_every_kind_of_invitation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let page = |token: String| {
        let app = &app;
        async move {
            app.get(
                &format!("/api/auth/gatehouse/invitation?token={token}"),
                None,
            )
            .await
        }
    };
    let (org, owner, _, _) = organization(&app).await;
    let res = invite(
        &app,
        &owner,
        &org,
        json!("nia@example.com"),
        json!("member"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = page(secret_sent_to(&app, "nia@example.com").await).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let join = &res.body["Organization"];
    assert_eq!(join["preview"]["organizationSlug"], "acme", "{}", res.text);
    assert_eq!(join["preview"]["status"], "pending");
    assert_eq!(join["step"], "sign-up");
    assert!(res.body.get("Role").is_none());

    let res = page(app.instance_invite("moderator").await).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["Role"]["invitation"]["role"], "moderator");
    assert_eq!(res.body["Role"]["nextStep"], "sign-up");

    let admin = app.account("root@example.com", "admin").await;
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "tokenType": "code" }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let typed = res.body["code"].as_str().unwrap().to_lowercase();
    let res = page(typed).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["Role"]["invitation"]["tokenType"], "code");

    for unknown in [
        "a".repeat(43),
        "7K3M-Q9XD".into(),
        "this-is-not-a-secret".into(),
    ] {
        let res = page(unknown.clone()).await;
        assert_eq!(
            code(&res),
            (404, "INVALID_TOKEN"),
            "{unknown}: {}",
            res.text
        );
    }
}

on_both_databases!(
    one_page_opens_every_kind_of_invitation,
    the_invitations_tab_lists_them_for_those_who_may_invite,
    the_membership_limit_holds_under_concurrent_accepts,
    new_people_sign_up_with_the_invitation,
    inviting_answers_in_better_auths_shape_with_its_refusals,
    recipients_accept_reject_and_admins_cancel,
    races_make_one_invitation_and_one_membership,
);
