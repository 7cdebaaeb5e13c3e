//! Ways in for whole teams (issue 26, SPEC §5 "joining"): join links with
//! their QR codes and bulk invitations, on SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::support::{
    orgs::{acme as organization, get, post, refusal as code},
    Backend, Response, TestApp,
};

async fn make_link(app: &TestApp, cookie: &str, body: Value) -> Response {
    post(app, cookie, "create-join-link", body).await
}

/// A link's token from `create-join-link`'s answer, checked against its url.
fn token_of(res: &Response) -> String {
    assert_eq!(res.status, 200, "{}", res.text);
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert!(res.body["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/join/{token}")));
    token
}

async fn join(app: &TestApp, cookie: &str, token: &str) -> Response {
    post(app, cookie, "join", json!({ "token": token })).await
}

async fn members(app: &TestApp, org: &str) -> i64 {
    sqlx::query_scalar("select count(*) from organization_members where organization_id = $1")
        .bind(org)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn join_links_are_made_shared_used_once_and_revoked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let res = make_link(
        &app,
        &admin,
        json!({ "organizationId": org, "name": "Spring cohort", "maxUses": 3 }),
    )
    .await;
    let token = token_of(&res);
    let link = &res.body;
    assert_eq!(link["name"], "Spring cohort");
    assert_eq!(link["role"], "member");
    assert_eq!(link["status"], "pending");
    assert_eq!(link["maxUses"], 3);
    assert_eq!(link["uses"], 0);
    assert_eq!(link["allowedDomains"], json!([]));
    let id = link["id"].as_str().unwrap().to_owned();
    let stored: i64 = sqlx::query_scalar("select count(*) from join_links where token_hash = $1")
        .bind(&token)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only the secret's hash is stored");

    // Anyone holding it sees what it lets them into; nobody else learns
    // anything from its id.
    let preview = app
        .get(
            &format!("/api/auth/organization/get-join-link-preview?token={token}"),
            None,
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.body["organizationName"], "Acme");
    assert_eq!(preview.body["role"], "member");
    assert_eq!(preview.body["inviterName"], "Test Person");
    assert!(preview.body.get("usedBy").is_none());
    let res = app
        .get(
            &format!("/api/auth/organization/get-join-link-preview?token={id}"),
            None,
        )
        .await;
    assert_eq!(code(&res), (404, "JOIN_LINK_NOT_FOUND"));

    // Someone with an account joins, once.
    let ann = app.account("ann@else.io", "user").await;
    let res = join(&app, &ann, &token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["member"]["role"], "member");
    assert_eq!(res.body["member"]["organizationId"], org.as_str());
    let res = app.session(&ann).await;
    assert_eq!(res.body["session"]["activeOrganizationId"], org.as_str());
    let res = join(&app, &ann, &token).await;
    assert_eq!(
        code(&res),
        (400, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    );
    // Leaving and coming back through the same link: once per person.
    let res = post(&app, &ann, "leave", json!({ "organizationId": org })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = join(&app, &ann, &token).await;
    assert_eq!(code(&res), (409, "INVITATION_ALREADY_USED_BY_YOU"));

    // The list shows its uses and who used them, to those who may invite.
    let res = get(
        &app,
        &owner,
        &format!("list-join-links?organizationId={org}"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let listed = &res.body[0];
    assert_eq!(listed["uses"], 1);
    assert_eq!(listed["usedBy"][0]["email"], "ann@else.io");
    assert!(listed.get("token").is_none());
    let res = get(
        &app,
        &member,
        &format!("list-join-links?organizationId={org}"),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS"));

    // Members who may not invite make no links; nobody offers a role
    // beyond their own authority.
    let res = make_link(&app, &member, json!({ "organizationId": org })).await;
    assert_eq!(
        code(&res),
        (
            403,
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"
        )
    );
    let res = make_link(
        &app,
        &admin,
        json!({ "organizationId": org, "role": "owner" }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    for (body, expected) in [
        (json!({ "expiresIn": 31 * 86_400 }), "INVALID_EXPIRY"),
        (json!({ "maxUses": 0 }), "INVALID_MAX_USES"),
        (
            json!({ "allowedDomains": ["not a domain"] }),
            "INVALID_DOMAIN",
        ),
        (json!({ "role": "nope" }), "ROLE_NOT_FOUND"),
        (json!({ "teamId": "nope" }), "TEAM_NOT_FOUND"),
    ] {
        let mut body = body;
        body["organizationId"] = json!(org);
        let res = make_link(&app, &owner, body.clone()).await;
        assert_eq!(res.status, 400, "{body}: {}", res.text);
        assert_eq!(res.code(), expected, "{body}");
    }

    // Revoked: it stops working at once, and says so.
    let res = post(
        &app,
        &member,
        "revoke-join-link",
        json!({ "joinLinkId": id }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION")
    );
    let res = post(
        &app,
        &owner,
        "revoke-join-link",
        json!({ "joinLinkId": id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "revoked");
    let bob = app.account("bob@else.io", "user").await;
    let res = join(&app, &bob, &token).await;
    assert_eq!(code(&res), (410, "INVITATION_CANCELED"));
    let page = app.get(&format!("/join/{token}"), Some(&bob)).await;
    assert!(
        page.text.contains("This link was revoked."),
        "{}",
        page.text
    );

    // Every step is in the audit log (and so a webhook event).
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where target = $1 order by created_at, id",
    )
    .bind(&id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "organization.join-link.create",
            "organization.join-link.join",
            "organization.join-link.revoke"
        ]
    );
}

/// Twenty people at once on a link with five uses: exactly five join.
async fn parallel_joins_never_exceed_the_uses(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let token =
        token_of(&make_link(&app, &owner, json!({ "organizationId": org, "maxUses": 5 })).await);
    let mut people = Vec::new();
    for n in 0..20 {
        people.push(app.account(&format!("p{n}@example.com"), "user").await);
    }
    let before = members(&app, &org).await;
    let results = futures::future::join_all(people.iter().map(|c| join(&app, c, &token))).await;
    let joined = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        joined,
        5,
        "{:?}",
        results.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 200) {
        assert_eq!(code(r), (410, "INVITATION_USED"), "{}", r.text);
    }
    assert_eq!(members(&app, &org).await, before + 5);
    let uses: (i64, i64) =
        sqlx::query_as("select uses, (select count(*) from join_link_uses) from join_links")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(uses, (5, 5));
}

/// New people sign up with a link, even on an invite-only instance; a link
/// for some domains wants a verified address there first.
async fn new_people_sign_up_with_a_link(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let open = token_of(&make_link(&app, &owner, json!({ "organizationId": org })).await);
    let sign_up = |token: &str, email: &str| {
        app.post(
            "/api/auth/organization/signup-with-join-link",
            json!({ "token": token, "name": "Nia New", "email": email, "password": "correct horse battery" }),
        )
    };
    let res = sign_up(&open, "nia@else.io").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "nia@else.io");
    assert_eq!(res.body["user"]["emailVerified"], false);
    assert_eq!(res.body["member"]["role"], "member");
    let cookie = res.session_cookie().expect("signed in");
    let session = app.session(&cookie).await;
    assert_eq!(
        session.body["session"]["activeOrganizationId"],
        org.as_str()
    );
    // An address with an account signs in instead; nothing is written.
    let res = sign_up(&open, "owner@example.com").await;
    assert_eq!(code(&res), (422, "USER_ALREADY_EXISTS_PLEASE_SIGN_IN"));
    let res = sign_up(&"x".repeat(43), "zed@else.io").await;
    assert_eq!(code(&res), (404, "JOIN_LINK_NOT_FOUND"));

    let restricted = token_of(
        &make_link(
            &app,
            &owner,
            json!({ "organizationId": org, "allowedDomains": ["Acme.io"] }),
        )
        .await,
    );
    let res = sign_up(&restricted, "eve@evil.io").await;
    assert_eq!(code(&res), (403, "EMAIL_DOMAIN_NOT_ALLOWED"));
    let users: i64 = sqlx::query_scalar("select count(*) from users where email = 'eve@evil.io'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0);
    // At the domain: the account, but not the membership until the
    // address is proven; the verification link leads back to the link.
    let before = members(&app, &org).await;
    let res = sign_up(&restricted, "dan@acme.io").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body["member"].is_null());
    assert_eq!(members(&app, &org).await, before);
    let dan = res.session_cookie().unwrap();
    let res = join(&app, &dan, &restricted).await;
    assert_eq!(
        code(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );
    let emails = app.emails_to("dan@acme.io").await;
    assert_eq!(emails.len(), 1, "the verification email");
    app.verified("dan@acme.io").await;
    let res = join(&app, &dan, &restricted).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(members(&app, &org).await, before + 1);
    // Signed in elsewhere: the link's domains decide.
    let other = app.account("olga@other.io", "user").await;
    let res = join(&app, &other, &restricted).await;
    assert_eq!(code(&res), (403, "EMAIL_DOMAIN_NOT_ALLOWED"));
}

/// `/join/{token}` is the preview page; the QR code of every shareable
/// link reads back, as a phone camera would, as the link's address.
async fn links_have_a_page_and_a_qr_code(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let res = make_link(
        &app,
        &owner,
        json!({ "organizationId": org, "name": "Lobby" }),
    )
    .await;
    let token = token_of(&res);
    let url = res.body["url"].as_str().unwrap().to_owned();

    let page = app.get(&format!("/join/{token}"), None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Join Acme"), "{}", page.text);
    assert!(page.text.contains("Create your account and join"));
    let page = app.get(&format!("/join/{token}/sign-up"), None).await;
    assert!(
        page.text.contains("signup-with-join-link"),
        "a form that posts without JavaScript"
    );

    let svg = app.get(&format!("/join/{token}/qr.svg"), None).await;
    assert_eq!(svg.status, 200);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(svg.headers["cache-control"], "no-store");
    assert_eq!(decode_qr(&svg.text), url);
    let card = app.get(&format!("/join/{token}/qr"), None).await;
    assert_eq!(card.status, 200);
    assert!(card.text.contains(&url), "the card spells the address out");
    assert!(card.text.contains(&format!("/join/{token}/qr.svg")));

    // A role invitation's link has one too.
    let invite = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "tokenType": "token" }),
            &app.with_role("boss@example.com", "owner").await,
        )
        .await;
    assert_eq!(invite.status, 200, "{}", invite.text);
    let secret = invite.body["message"].as_str().unwrap();
    let svg = app.get(&format!("/invite/{secret}/qr.svg"), None).await;
    assert_eq!(
        decode_qr(&svg.text),
        format!("{}/invite/{secret}", app.base_url)
    );
    for path in [
        "/join/not-a-secret/qr.svg",
        "/join/7K3M-Q9XD/qr.svg",
        "/invite/nope/qr.svg",
    ] {
        assert_eq!(app.get(path, None).await.status, 404, "{path}");
    }
}

/// Rasterizes the QR code's SVG (its dark modules are rectangles, each
/// `M{left} {top}h{width}v{height}H{left}V{top}` in pixels) and decodes it.
fn decode_qr(svg: &str) -> String {
    let view_box = svg
        .split("viewBox=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a viewBox");
    let size: usize = view_box.split_whitespace().nth(2).unwrap().parse().unwrap();
    let path = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a path");
    let mut dark = vec![false; size * size];
    let mut numbers = path
        .split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
        .filter(|s| !s.is_empty());
    let mut next = || -> usize { numbers.next().expect("a number").parse().unwrap() };
    for _ in path.matches('M') {
        let (left, top, width, height) = (next(), next(), next(), next());
        let _back_to = (next(), next());
        for y in top..top + height {
            for x in left..left + width {
                dark[y * size + x] = true;
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
        if dark[y * size + x] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the code decodes").1
}

async fn a_list_invites_each_person_once_with_a_result_each(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, _) = organization(&app).await;
    let team = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Platform", "organizationId": org }),
    )
    .await;
    assert_eq!(team.status, 200, "{}", team.text);
    // 100 rows: 90 new people (ten in the team, by name), two members,
    // three bad addresses, two owners an admin may not make, a team that
    // does not exist, and two repeats.
    let mut rows: Vec<Value> = (0..90)
        .map(|n| {
            if n < 10 {
                json!({ "email": format!("new{n}@example.com"), "teamId": "platform" })
            } else {
                json!({ "email": format!("new{n}@example.com") })
            }
        })
        .collect();
    rows.push(json!({ "email": "member@example.com" }));
    rows.push(json!({ "email": "owner@example.com", "role": "admin" }));
    for bad in ["nope", "a@", ""] {
        rows.push(json!({ "email": bad }));
    }
    rows.push(json!({ "email": "boss1@example.com", "role": "owner" }));
    rows.push(json!({ "email": "boss2@example.com", "role": ["owner"] }));
    rows.push(json!({ "email": "lost@example.com", "teamId": "no such team" }));
    rows.push(json!({ "email": "new0@example.com" }));
    rows.push(json!({ "email": "NEW1@example.com" }));
    assert_eq!(rows.len(), 100);
    let send = |resend: bool| {
        post(
            &app,
            &admin,
            "invite-members",
            json!({ "organizationId": org, "invitations": rows, "resend": resend }),
        )
    };
    let res = send(false).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let results = res.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    let count =
        |results: &[Value], status: &str| results.iter().filter(|r| r["status"] == status).count();
    assert_eq!(count(results, "invited"), 90);
    assert_eq!(count(results, "already_member"), 2);
    assert_eq!(count(results, "invalid_email"), 3);
    assert_eq!(count(results, "role_not_allowed"), 2);
    assert_eq!(count(results, "invalid_team"), 1);
    assert_eq!(count(results, "already_invited"), 2);
    assert!(results[0]["invitationId"].is_string());
    assert!(results[92]["message"].is_string(), "a refusal says why");
    let in_team: i64 = sqlx::query_scalar(
        "select count(*) from organization_invitations where team_id is not null",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(in_team, 10);
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from outbound_emails where kind = 'organization-invitation'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    // Two invitations for acme's admin and member made by `organization`.
    assert_eq!(queued, 92);

    // The same list again changes nothing, and says so.
    let res = send(false).await;
    let again = res.body["results"].as_array().unwrap();
    assert_eq!(count(again, "invited"), 0);
    assert_eq!(count(again, "already_invited"), 92);
    let queued_again: i64 = sqlx::query_scalar("select count(*) from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = send(false).await;
    assert_eq!(res.status, 200);
    let after: i64 = sqlx::query_scalar("select count(*) from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(after, queued_again);
    // Asked to, it sends the open ones again (within the email budgets).
    let short: Vec<Value> = rows[..3].to_vec();
    let res = post(
        &app,
        &admin,
        "invite-members",
        json!({ "organizationId": org, "invitations": short, "resend": true }),
    )
    .await;
    assert_eq!(
        count(res.body["results"].as_array().unwrap(), "resent"),
        3,
        "{}",
        res.text
    );

    // The cap comes before any work.
    let many: Vec<Value> = (0..501)
        .map(|n| json!({ "email": format!("m{n}@x.io") }))
        .collect();
    let res = post(
        &app,
        &admin,
        "invite-members",
        json!({ "organizationId": org, "invitations": many }),
    )
    .await;
    assert_eq!(code(&res), (400, "TOO_MANY_EMAILS"));
    let res = post(
        &app,
        &admin,
        "invite-members",
        json!({ "organizationId": org, "invitations": [] }),
    )
    .await;
    assert_eq!(code(&res), (400, "MISSING_FIELD"));
}

/// Over the organization's email budget, the rest of a list is
/// `over_limit`, and nothing of those rows is written.
async fn a_list_stops_at_the_email_budget(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[(
            "rate_limits.organization_email_per_organization",
            "\"5/1h\"",
        )],
    )
    .await
    else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let rows: Vec<Value> = (0..6)
        .map(|n| json!({ "email": format!("b{n}@example.com") }))
        .collect();
    let res = post(
        &app,
        &owner,
        "invite-members",
        json!({ "organizationId": org, "invitations": rows }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let statuses: Vec<&str> = res.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    // Acme's two invitations spent two of the five.
    assert_eq!(
        statuses,
        [
            "invited",
            "invited",
            "invited",
            "over_limit",
            "over_limit",
            "over_limit"
        ]
    );
    let pending: i64 =
        sqlx::query_scalar("select count(*) from organization_invitations where email like 'b%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(pending, 3);
}

async fn an_instance_list_invites_with_roles(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let admin = app.with_role("chief@example.com", "admin").await;
    app.account("had@example.com", "admin").await;
    let rows = json!([
        { "email": "ada@example.com", "role": "user" },
        { "email": "grace@example.com", "role": "admin" },
        { "email": "had@example.com", "role": "user" },
        { "email": "boss@example.com", "role": "owner" },
        { "email": "what", "role": "user" },
        { "email": "norole@example.com" },
    ]);
    let send = |resend: bool| {
        app.post_with_cookie(
            "/api/auth/invite/create-bulk",
            json!({ "invitations": rows, "resend": resend }),
            &admin,
        )
    };
    let res = send(false).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let statuses: Vec<&str> = res.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "invited",
            "invited",
            "already_member",
            "role_not_allowed",
            "invalid_email",
            "role_not_allowed"
        ]
    );
    assert_eq!(app.emails_to("ada@example.com").await.len(), 1);
    let res = send(false).await;
    assert_eq!(res.body["results"][0]["status"], "already_invited");
    assert_eq!(app.emails_to("ada@example.com").await.len(), 1);
    let res = send(true).await;
    assert_eq!(res.body["results"][0]["status"], "resent");
    assert_eq!(app.emails_to("ada@example.com").await.len(), 2);

    // Someone who may invite nobody gets one refusal, not a list.
    let user = app.account("plain@example.com", "user").await;
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create-bulk",
            json!({ "invitations": rows }),
            &user,
        )
        .await;
    assert_eq!(code(&res), (403, "INSUFFICIENT_PERMISSIONS"));

    // The page sends a pasted list or CSV file in slices, read on the
    // server each time; a bad line is named.
    let text = "lin@example.com,user\n\nmo@example.com\nteam@example.com,user,Platform\n";
    let slice = |offset: usize| {
        app.post_with_cookie(
            "/api/auth/gatehouse/invite-list",
            json!({ "slice": { "text": text, "role": "user", "resend": false, "offset": offset } }),
            &admin,
        )
    };
    let res = slice(0).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["total"], 3);
    let statuses: Vec<&str> = res.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["invited", "invited", "invalid_team"]);
    let res = app
        .post_with_cookie(
            "/api/auth/gatehouse/invite-list",
            json!({ "slice": { "text": "a@x.io\nb@x.io,user,team,extra\n", "role": "user", "resend": false, "offset": 0 } }),
            &admin,
        )
        .await;
    assert_eq!(code(&res), (400, "INVALID_REQUEST_BODY"));
    assert!(res.body["message"].as_str().unwrap().starts_with("Line 2"));
}

/// The invitations tab sends a long list in slices of 25: each slice
/// invites its rows only, and the last says the list is done.
async fn the_tab_sends_a_list_in_slices(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let text: String = (0..30).map(|n| format!("s{n}@example.com\n")).collect();
    let slice = |offset: usize| {
        app.post_with_cookie(
            "/api/auth/gatehouse/invite-list",
            json!({ "organization_id": org, "slice": { "text": text, "role": "member", "resend": false, "offset": offset } }),
            &owner,
        )
    };
    let first = slice(0).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["total"], 30);
    assert_eq!(first.body["results"].as_array().unwrap().len(), 25);
    let second = slice(25).await;
    assert_eq!(second.body["results"].as_array().unwrap().len(), 5);
    assert_eq!(second.body["results"][4]["email"], "s29@example.com");
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from organization_invitations where email like 's%' and status = 'pending'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(pending, 30);
}

/// A link that needs approval makes requests; admins who may invite
/// approve them (with roles they may grant) or decline them, and the
/// person is emailed either way.
async fn approval_links_make_requests_that_admins_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let res = make_link(
        &app,
        &admin,
        json!({ "organizationId": org, "requireApproval": true, "name": "Door" }),
    )
    .await;
    assert_eq!(res.body["requireApproval"], true);
    let token = token_of(&res);
    let before = members(&app, &org).await;

    let ann = app.account("ann@else.io", "user").await;
    let asked = post(
        &app,
        &ann,
        "join",
        json!({ "token": token, "message": " Hi, I'm on the team. " }),
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert!(asked.body["member"].is_null());
    let request = &asked.body["request"];
    assert_eq!(request["status"], "pending");
    assert_eq!(request["message"], "Hi, I'm on the team.");
    assert_eq!(request["joinLinkName"], "Door");
    let request_id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(members(&app, &org).await, before);
    let again = join(&app, &ann, &token).await;
    assert_eq!(code(&again), (409, "JOIN_REQUEST_ALREADY_PENDING"));
    let page = app.get(&format!("/join/{token}"), Some(&ann)).await;
    assert!(
        page.text.contains("You asked to join Acme"),
        "{}",
        page.text
    );
    let mine = get(&app, &ann, "list-my-join-requests").await;
    assert_eq!(mine.body[0]["status"], "pending");

    let res = get(
        &app,
        &member,
        &format!("list-join-requests?organizationId={org}"),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS"));
    let res = get(
        &app,
        &admin,
        &format!("list-join-requests?organizationId={org}"),
    )
    .await;
    assert_eq!(res.body[0]["email"], "ann@else.io");
    let tab = app.get("/orgs/acme", Some(&admin)).await;
    assert!(
        tab.text.contains("Requests to join"),
        "the members tab shows the queue"
    );

    // The granting rule holds for the roles given.
    let approve = |cookie: String, role: Value| {
        let body = json!({ "requestId": request_id, "role": role });
        let app = &app;
        async move { post(app, &cookie, "approve-join-request", body).await }
    };
    let res = approve(member.clone(), json!("member")).await;
    assert_eq!(
        code(&res),
        (
            403,
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"
        )
    );
    let res = approve(admin.clone(), json!("owner")).await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    let res = approve(admin.clone(), json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["member"]["role"], "admin");
    assert_eq!(res.body["request"]["status"], "approved");
    assert_eq!(members(&app, &org).await, before + 1);
    let emails = app.emails_to("ann@else.io").await;
    assert!(
        emails.last().unwrap().contains("was approved"),
        "{emails:?}"
    );
    let res = approve(admin.clone(), json!("admin")).await;
    assert_eq!(code(&res), (409, "JOIN_REQUEST_ALREADY_ANSWERED"));

    // A new person signs up through it: an account and a request.
    let res = app
        .post(
            "/api/auth/organization/signup-with-join-link",
            json!({ "token": token, "name": "Bo", "email": "bo@else.io", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body["member"].is_null());
    let bo_request = res.body["request"]["id"].as_str().unwrap().to_owned();
    let bo = res.session_cookie().unwrap();
    let long = "x".repeat(501);
    let res = post(
        &app,
        &owner,
        "decline-join-request",
        json!({ "requestId": bo_request, "message": long }),
    )
    .await;
    assert_eq!(code(&res), (400, "INVALID_REQUEST_BODY"));
    let res = post(
        &app,
        &owner,
        "decline-join-request",
        json!({ "requestId": bo_request, "message": "Not this term." }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "declined");
    let emails = app.emails_to("bo@else.io").await;
    assert!(
        emails.last().unwrap().contains("Not this term."),
        "{emails:?}"
    );
    // The link is used once per person, answered or not.
    let res = join(&app, &bo, &token).await;
    assert_eq!(code(&res), (409, "INVITATION_ALREADY_USED_BY_YOU"));

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'organization.join-request.%' order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "organization.join-request.create",
            "organization.join-request.approve",
            "organization.join-request.create",
            "organization.join-request.decline"
        ]
    );
}

on_both_databases!(
    approval_links_make_requests_that_admins_answer,
    join_links_are_made_shared_used_once_and_revoked,
    parallel_joins_never_exceed_the_uses,
    new_people_sign_up_with_a_link,
    links_have_a_page_and_a_qr_code,
    a_list_invites_each_person_once_with_a_result_each,
    a_list_stops_at_the_email_budget,
    an_instance_list_invites_with_roles,
    the_tab_sends_a_list_in_slices,
);
