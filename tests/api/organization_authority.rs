//! Organization authority (SPEC §3 "Organizations" 2 and 4, "Accounts" 2
//! and 3, §6 budgets), tried as an attacker would, on SQLite and
//! PostgreSQL: nobody grants what they do not hold, an invitation dies with
//! its inviter's authority, a huge list costs nothing, no organization
//! floods a mailbox, and concurrent changes neither break a cap nor fail.

use serde_json::{json, Value};

use crate::support::{
    link_in,
    orgs::{acme, get, post, refusal, secret_sent_to},
    Backend, Response, TestApp,
};

/// A custom role in `org`, made by its owner.
async fn custom_role(app: &TestApp, owner: &str, org: &str, name: &str, permission: Value) {
    let res = post(
        app,
        owner,
        "create-role",
        json!({ "organizationId": org, "role": name, "permission": permission }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

/// The member id of `email` in `org`.
async fn member_id(app: &TestApp, cookie: &str, org: &str, email: &str) -> String {
    let res = get(app, cookie, &format!("list-members?organizationId={org}")).await;
    res.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not a member: {}", res.text))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn set_roles(app: &TestApp, cookie: &str, org: &str, member: &str, role: Value) -> Response {
    post(
        app,
        cookie,
        "update-member-role",
        json!({ "organizationId": org, "memberId": member, "role": role }),
    )
    .await
}

async fn invite(app: &TestApp, cookie: &str, org: &str, email: &str, role: Value) -> Response {
    post(
        app,
        cookie,
        "invite-member",
        json!({ "organizationId": org, "email": email, "role": role }),
    )
    .await
}

async fn resend(app: &TestApp, cookie: &str, org: &str, email: &str, role: Value) -> Response {
    post(
        app,
        cookie,
        "invite-member",
        json!({ "organizationId": org, "email": email, "role": role, "resend": true }),
    )
    .await
}

fn missing(res: &Response) -> Vec<&str> {
    res.body["missingPermissions"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Item 1: the three self-promotions of the review, and what still works.
async fn nobody_grants_what_they_do_not_hold(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = acme(&app).await;
    let member_mid = member_id(&app, &owner, &org, "member@example.com").await;
    let admin_mid = member_id(&app, &owner, &org, "admin@example.com").await;

    // A member whose custom role is `{member:[update]}` makes itself admin.
    custom_role(
        &app,
        &owner,
        &org,
        "updater",
        json!({ "member": ["update"] }),
    )
    .await;
    let res = set_roles(&app, &owner, &org, &member_mid, json!("updater")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = set_roles(&app, &member, &org, &member_mid, json!("admin")).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
        "{}",
        res.text
    );
    let named = missing(&res);
    assert!(named.contains(&"organization:update"), "{named:?}");
    assert!(
        !named.contains(&"member:update"),
        "it holds that: {named:?}"
    );
    // It may still give what it holds.
    let res = set_roles(&app, &member, &org, &member_mid, json!("updater")).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // An admin gives itself a role carrying `organization:delete`, then
    // deletes the organization.
    custom_role(
        &app,
        &owner,
        &org,
        "deleter",
        json!({ "organization": ["delete"] }),
    )
    .await;
    let res = set_roles(&app, &admin, &org, &admin_mid, json!(["admin", "deleter"])).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    );
    assert_eq!(missing(&res), ["organization:delete"]);
    let res = post(&app, &admin, "delete", json!({ "organizationId": org })).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
    );
    // Nor can it invite someone with it, nor as owner.
    let res = invite(&app, &admin, &org, "friend@example.com", json!("deleter")).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    assert_eq!(missing(&res), ["organization:delete"]);
    let res = invite(&app, &admin, &org, "friend@example.com", json!("owner")).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );

    // A holder of `{invitation:[create]}` invites a friend as admin.
    custom_role(
        &app,
        &owner,
        &org,
        "inviter",
        json!({ "invitation": ["create"] }),
    )
    .await;
    let res = set_roles(&app, &owner, &org, &member_mid, json!("inviter")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = invite(&app, &member, &org, "friend@example.com", json!("admin")).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    assert!(missing(&res).contains(&"member:delete"), "{}", res.text);
    // With a team named (a team invitation), the same rule.
    let teams = get(&app, &owner, &format!("list-teams?organizationId={org}")).await;
    let team = teams.body[0]["id"].as_str().unwrap().to_owned();
    let res = post(
        &app,
        &member,
        "invite-member",
        json!({ "organizationId": org, "email": "friend@example.com", "role": "admin", "teamId": team }),
    )
    .await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    // What it holds, it gives.
    let res = invite(&app, &member, &org, "friend@example.com", json!("inviter")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    // Nothing of the refused attempts was written.
    let invitations = count(
        &app,
        "select count(*) from organization_invitations where organization_id = $1",
        &org,
    )
    .await;
    assert_eq!(invitations, 3, "the two of acme() and the allowed one");

    // The members page offers only what the viewer may give.
    let page = app
        .get(
            "/api/auth/gatehouse/organization-page?slug=acme",
            Some(&admin),
        )
        .await;
    let offered: Vec<&str> = page.body["assignableRoles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        offered,
        ["admin", "member", "inviter", "updater"],
        "{}",
        page.text
    );
}

/// Item 2: every list in a body is capped before any work, and over the
/// cap is a 400 that names it.
async fn huge_lists_are_refused_before_any_work(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.account("ada@example.com", "admin").await;
    // Most of the 2 MiB a body may hold, of role names, for an
    // organization that does not exist.
    let huge = "admin,".repeat(1536 * 1024 / 6);
    let res = set_roles(&app, &ada, "no-such-org", "no-such-member", json!(huge)).await;
    assert_eq!(
        refusal(&res),
        (400, "TOO_MANY_MEMBER_ROLES"),
        "{}",
        &res.text[..200.min(res.text.len())]
    );
    let many: Vec<String> = (0..33).map(|i| format!("r{i}")).collect();
    let res = set_roles(&app, &ada, "no-such-org", "m", json!(many)).await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_MEMBER_ROLES"));
    let res = set_roles(&app, &ada, "no-such-org", "m", json!("a".repeat(65))).await;
    assert_eq!(refusal(&res), (400, "ROLE_NAME_TOO_LONG"));
    let res = invite(&app, &ada, "no-such-org", "x@example.com", json!(many)).await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_MEMBER_ROLES"));

    // Addresses: organization and instance invitations.
    let emails: Vec<String> = (0..101).map(|i| format!("p{i}@example.com")).collect();
    let res = post(
        &app,
        &ada,
        "invite-member",
        json!({ "organizationId": "no-such-org", "email": emails, "role": "member" }),
    )
    .await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_EMAILS"));
    let same = vec!["p@example.com"; 100_000];
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "email": same }),
            &ada,
        )
        .await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_EMAILS"), "{}", res.text);

    // Permissions, in both scopes.
    let mut permissions = serde_json::Map::new();
    for i in 0..100 {
        permissions.insert(format!("r{i}"), json!(["read"]));
    }
    let res = post(
        &app,
        &ada,
        "has-permission",
        json!({ "organizationId": "no-such-org", "permissions": permissions }),
    )
    .await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_PERMISSIONS"));
    let res = app
        .post_with_cookie(
            "/api/auth/admin/has-permission",
            json!({ "permissions": permissions }),
            &ada,
        )
        .await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_PERMISSIONS"));
    let res = post(
        &app,
        &ada,
        "create-role",
        json!({ "organizationId": "no-such-org", "role": "x", "permission": permissions }),
    )
    .await;
    assert_eq!(refusal(&res), (400, "TOO_MANY_PERMISSIONS"));
}

/// Item 3: an organization invitation acts with its inviter's authority as
/// it is at accept and at sign-up.
async fn an_invitation_dies_with_its_inviters_authority(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, _member) = acme(&app).await;
    let admin_mid = member_id(&app, &owner, &org, "admin@example.com").await;

    // The admin invites two people as admin, then is demoted to member.
    let carol = app.account("carol@example.com", "user").await;
    let res = invite(&app, &admin, &org, "carol@example.com", json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let carols = res.body["id"].as_str().unwrap().to_owned();
    let res = invite(&app, &admin, &org, "dan@example.com", json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let dans_secret = secret_sent_to(&app, "dan@example.com").await;
    let res = set_roles(&app, &owner, &org, &admin_mid, json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let res = post(
        &app,
        &carol,
        "accept-invitation",
        json!({ "invitationId": carols }),
    )
    .await;
    assert_eq!(
        refusal(&res),
        (410, "INVITER_NO_LONGER_ALLOWED"),
        "{}",
        res.text
    );
    let res = app
        .post(
            "/api/auth/organization/signup-with-invitation",
            json!({ "invitationId": dans_secret, "name": "Dan", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(
        refusal(&res),
        (410, "INVITER_NO_LONGER_ALLOWED"),
        "{}",
        res.text
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from users where email = $1",
            "dan@example.com"
        )
        .await,
        0,
        "nothing written"
    );
    // The invitation page says so, in the role invitations' words.
    let page = app
        .get(
            &format!("/api/auth/gatehouse/organization-invitation?token={dans_secret}"),
            None,
        )
        .await;
    assert_eq!(page.body["step"], "unusable", "{}", page.text);
    assert_eq!(
        page.body["reason"],
        "The person who sent this invitation can no longer grant this role."
    );

    // Resending makes the resender the inviter: the owner renews Carol's,
    // and it stands on the owner's authority.
    let res = resend(&app, &owner, &org, "carol@example.com", json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let owner_id = app.session(&owner).await.body["user"]["id"].clone();
    assert_eq!(res.body["inviterId"], owner_id);
    let res = post(
        &app,
        &carol,
        "accept-invitation",
        json!({ "invitationId": carols }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // An inviter who left voids what they sent.
    let res = set_roles(&app, &owner, &org, &admin_mid, json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let erin = app.account("erin@example.com", "user").await;
    let res = invite(&app, &admin, &org, "erin@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let erins = res.body["id"].as_str().unwrap().to_owned();
    let res = post(&app, &admin, "leave", json!({ "organizationId": org })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = post(
        &app,
        &erin,
        "accept-invitation",
        json!({ "invitationId": erins }),
    )
    .await;
    assert_eq!(refusal(&res), (410, "INVITER_NO_LONGER_ALLOWED"));
}

/// Item 3, resending: under the resender's authority, and the email says
/// the roles the invitation stores.
async fn resending_is_granting_again(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, _member) = acme(&app).await;
    let res = invite(&app, &owner, &org, "olga@example.com", json!("owner")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = resend(&app, &admin, &org, "olga@example.com", json!("member")).await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"),
        "an admin does not renew an owner's invitation: {}",
        res.text
    );
    assert_eq!(app.emails_to("olga@example.com").await.len(), 1);

    let res = invite(&app, &owner, &org, "pat@example.com", json!("admin")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = resend(&app, &owner, &org, "pat@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["role"], "admin", "a resend keeps its roles");
    let emails = app.emails_to("pat@example.com").await;
    assert_eq!(emails.len(), 2);
    assert!(
        emails[1].contains("as admin."),
        "the email states the stored roles: {}",
        emails[1]
    );
}

/// Item 4: `add-member` and instance admins.
async fn instance_admins_add_others_within_bounds(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, _owner, _admin, _member) = acme(&app).await;
    let root = app.account("root@example.com", "admin").await;
    let boss = app.account("boss@example.com", "owner").await;
    app.account("quinn@example.com", "user").await;
    app.account("rae@example.com", "user").await;
    let add = |cookie: String, email: &'static str, role: &'static str| {
        let (app, org) = (&app, org.clone());
        async move {
            post(
                app,
                &cookie,
                "add-member",
                json!({ "organizationId": org, "email": email, "role": role }),
            )
            .await
        }
    };
    let res = add(root.clone(), "root@example.com", "owner").await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_CANNOT_ADD_YOURSELF_TO_AN_ORGANIZATION")
    );
    let res = add(root.clone(), "root@example.com", "member").await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_CANNOT_ADD_YOURSELF_TO_AN_ORGANIZATION")
    );
    let res = add(root.clone(), "quinn@example.com", "owner").await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    let res = add(root.clone(), "quinn@example.com", "admin").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["role"], "admin");
    // The instance's owner may add an owner.
    let res = add(boss.clone(), "rae@example.com", "owner").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = add(boss, "boss@example.com", "owner").await;
    assert_eq!(
        refusal(&res),
        (403, "YOU_CANNOT_ADD_YOURSELF_TO_AN_ORGANIZATION")
    );
    let root_members = count(
        &app,
        "select count(*) from organization_members m join users u on u.id = m.user_id where u.email = $1",
        "root@example.com",
    )
    .await;
    assert_eq!(root_members, 0);
}

/// Item 5: organization invitation email has budgets of its own.
async fn organization_invitations_have_their_own_email_budgets(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            (
                "rate_limits.organization_email_per_organization",
                "\"5/1h\"",
            ),
            ("rate_limits.organization_email_per_sender", "\"7/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    // Anyone makes an organization and resends to a victim.
    let mallory = app.account("mallory@example.com", "user").await;
    let res = post(
        &app,
        &mallory,
        "create",
        json!({ "name": "Spam", "slug": "spam" }),
    )
    .await;
    let spam = res.body["id"].as_str().unwrap().to_owned();
    let res = invite(&app, &mallory, &spam, "victim@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for _ in 0..2 {
        let res = resend(&app, &mallory, &spam, "victim@example.com", json!("member")).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let before = app.emails_to("victim@example.com").await.len();
    let res = resend(&app, &mallory, &spam, "victim@example.com", json!("member")).await;
    assert_eq!(refusal(&res), (429, "TOO_MANY_EMAILS"), "{}", res.text);
    let retry_after: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        app.emails_to("victim@example.com").await.len(),
        before,
        "nothing written"
    );
    let audited = count(
        &app,
        "select count(*) from audit_events where action = 'organization.invitation.resend' and actor_id = (select id from users where email = $1)",
        "mallory@example.com",
    )
    .await;
    assert_eq!(audited, 2, "the refused resend left no trace");

    // The instance's own mail to that address is untouched.
    let owner = app.account("owner@example.com", "owner").await;
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "email": "victim@example.com" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Per organization: 5 an hour here, whoever they go to.
    for i in 0..2 {
        let res = invite(
            &app,
            &mallory,
            &spam,
            &format!("o{i}@example.com"),
            json!("member"),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let res = invite(&app, &mallory, &spam, "o2@example.com", json!("member")).await;
    assert_eq!(refusal(&res), (429, "TOO_MANY_EMAILS"), "{}", res.text);
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("organization"));
    assert_eq!(
        count(
            &app,
            "select count(*) from organization_invitations where email = $1",
            "o2@example.com"
        )
        .await,
        0
    );
    // Per sender: a second organization of the same person has 2 left.
    let res = post(
        &app,
        &mallory,
        "create",
        json!({ "name": "Spam 2", "slug": "spam-two" }),
    )
    .await;
    let spam2 = res.body["id"].as_str().unwrap().to_owned();
    for i in 0..2 {
        let res = invite(
            &app,
            &mallory,
            &spam2,
            &format!("s{i}@example.com"),
            json!("member"),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let res = invite(&app, &mallory, &spam2, "s2@example.com", json!("member")).await;
    assert_eq!(refusal(&res), (429, "TOO_MANY_EMAILS"));
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .starts_with("You have sent"));
}

/// Item 6: caps hold and nothing fails under concurrent requests.
async fn concurrent_changes_hold_their_caps_and_never_fail(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("organizations.limit_per_user", "2")]).await else {
        return;
    };
    let ada = app.account("ada@example.com", "user").await;
    let creations = (0..10).map(|i| {
        let (app, ada) = (&app, ada.clone());
        async move {
            post(
                app,
                &ada,
                "create",
                json!({ "name": format!("Org {i}"), "slug": format!("org-{i}") }),
            )
            .await
        }
    });
    let results = futures::future::join_all(creations).await;
    let made = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        made,
        2,
        "{:?}",
        results.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in &results {
        assert!(
            r.status == 200 || r.code() == "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS",
            "{}",
            r.text
        );
    }
}

/// Item 6: an accept racing a resend of the same invitation, and a role
/// change racing the role's deletion, end in one clear outcome each.
async fn racing_changes_take_locks_in_one_order(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[("rate_limits.organization_email_per_recipient", "\"100/1h\"")],
    )
    .await
    else {
        return;
    };
    let (org, owner, admin, _member) = acme(&app).await;
    for round in 0..8 {
        let email = format!("racer{round}@example.com");
        let cookie = app.account(&email, "user").await;
        let res = invite(&app, &owner, &org, &email, json!("member")).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let id = res.body["id"].clone();
        let (accepted, resent) = tokio::join!(
            post(
                &app,
                &cookie,
                "accept-invitation",
                json!({ "invitationId": id })
            ),
            resend(&app, &admin, &org, &email, json!("member")),
        );
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        assert!(
            resent.status == 200
                || resent.code() == "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
            "{}",
            resent.text
        );
    }
    let member_mid = member_id(&app, &owner, &org, "member@example.com").await;
    for round in 0..8 {
        let name = format!("temp{round}");
        custom_role(&app, &owner, &org, &name, json!({ "ac": ["read"] })).await;
        let (updated, deleted) = tokio::join!(
            set_roles(&app, &admin, &org, &member_mid, json!(name)),
            post(
                &app,
                &owner,
                "delete-role",
                json!({ "organizationId": org, "roleName": name })
            ),
        );
        // One of them wins; the other is told why, never a 500.
        match (updated.status.as_u16(), deleted.status.as_u16()) {
            (200, 400) => assert_eq!(
                deleted.code(),
                "ROLE_IS_ASSIGNED_TO_MEMBERS",
                "{}",
                deleted.text
            ),
            (400, 200) => assert_eq!(updated.code(), "ROLE_NOT_FOUND", "{}", updated.text),
            other => panic!("{other:?}: {} / {}", updated.text, deleted.text),
        }
        let res = set_roles(&app, &owner, &org, &member_mid, json!("member")).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
}

/// Item 7: reads write nothing, invitations are for those who manage them,
/// the recipient's checks are the same everywhere, and the email's button
/// says its words once escaped.
async fn reads_write_nothing_and_show_only_what_is_theirs(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = acme(&app).await;
    let res = post(
        &app,
        &owner,
        "create",
        json!({ "name": "Second", "slug": "second" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let second = res.body["id"].as_str().unwrap().to_owned();
    let active = |cookie: String| {
        let app = &app;
        async move { app.session(&cookie).await.body["session"]["activeOrganizationId"].clone() }
    };
    assert_eq!(active(owner.clone()).await, second.as_str());
    // Opening Acme's page (a GET) leaves the active organization alone.
    let page = app.get("/orgs/acme", Some(&owner)).await;
    assert_eq!(page.status, 200);
    let data = app
        .get(
            "/api/auth/gatehouse/organization-page?slug=acme",
            Some(&owner),
        )
        .await;
    assert_eq!(data.status, 200, "{}", data.text);
    assert_eq!(active(owner.clone()).await, second.as_str());
    // The switcher posts.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/orgs/switch", app.base_url))
        .header("cookie", &owner)
        .header("origin", &app.base_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("organizationId={org}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/orgs/acme");
    assert_eq!(active(owner.clone()).await, org.as_str());

    // Pending invitations are shown to those who send or cancel them.
    let res = invite(&app, &admin, &org, "zed@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let full = |cookie: String| {
        let (app, org) = (&app, org.clone());
        async move {
            get(
                app,
                &cookie,
                &format!("get-full-organization?organizationId={org}"),
            )
            .await
        }
    };
    let seen = full(admin.clone()).await;
    assert!(seen.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["email"] == "zed@example.com"));
    let seen = full(member.clone()).await;
    assert_eq!(seen.body["invitations"], json!([]), "{}", seen.text);
    assert!(!seen.text.contains("zed@example.com"));

    // The signed-in view and a decline need a verified email, as accept
    // does, when the invitation is named by its id.
    let res = invite(&app, &admin, &org, "una@example.com", json!("member")).await;
    let unas = res.body["id"].as_str().unwrap().to_owned();
    let una = app.account("una@example.com", "user").await;
    sqlx::query("update users set email_verified = 0 where email = $1")
        .bind("una@example.com")
        .execute(&app.db)
        .await
        .unwrap();
    let res = get(&app, &una, &format!("get-invitation?id={unas}")).await;
    assert_eq!(
        refusal(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );
    let res = post(
        &app,
        &una,
        "reject-invitation",
        json!({ "invitationId": unas }),
    )
    .await;
    assert_eq!(
        refusal(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );
    let res = post(
        &app,
        &una,
        "accept-invitation",
        json!({ "invitationId": unas }),
    )
    .await;
    assert_eq!(
        refusal(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );

    // The email's button label is escaped once.
    let res = post(
        &app,
        &owner,
        "update",
        json!({ "organizationId": org, "data": { "name": "Acme & Co" } }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    app.account("vic@example.com", "user").await;
    let res = invite(&app, &owner, &org, "vic@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let html: String =
        sqlx::query_scalar("select html_body from outbound_emails where recipient = $1")
            .bind("vic@example.com")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(html.contains(">Join Acme &amp; Co</a>"), "{html}");
    assert!(!html.contains("&amp;amp;"), "{html}");
}

/// Item 8: the private link proves the mailbox; the bare id does not.
async fn a_private_link_proves_the_mailbox(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let unverified = |email: &'static str| {
        let app = &app;
        async move {
            let res = app
                .sign_up("New Person", email, "correct horse battery")
                .await;
            assert_eq!(res.status, 200, "{}", res.text);
            res.session_cookie().unwrap()
        }
    };
    let verified = |email: &'static str| {
        let app = &app;
        async move {
            count(
                app,
                "select email_verified from users where email = $1",
                email,
            )
            .await
                == 1
        }
    };

    // A role invitation emailed to an address whose account is unverified.
    let boss = app.account("boss@example.com", "owner").await;
    let wen = unverified("wen@example.com").await;
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "moderator", "email": "wen@example.com" }),
            &boss,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let emails = app.emails_to("wen@example.com").await;
    let link = link_in(
        emails.iter().find(|e| e.contains("/invite/")).unwrap(),
        &app.base_url,
    );
    let token = link.rsplit('/').next().unwrap().to_owned();
    let preview = app
        .get(&format!("/api/auth/invite/get?token={token}"), Some(&wen))
        .await;
    assert_eq!(preview.body["nextStep"], "accept", "{}", preview.text);
    assert!(!verified("wen@example.com").await);
    let res = app
        .post_with_cookie("/api/auth/invite/activate", json!({ "token": token }), &wen)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(
        verified("wen@example.com").await,
        "accepting by the link proved it"
    );

    // An organization invitation: by its secret, accepted and verified.
    let (org, owner, _admin, _member) = acme(&app).await;
    let xia = unverified("xia@example.com").await;
    let res = invite(&app, &owner, &org, "xia@example.com", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let secret = secret_sent_to(&app, "xia@example.com").await;
    let page = app
        .get(
            &format!("/api/auth/gatehouse/organization-invitation?token={secret}"),
            Some(&xia),
        )
        .await;
    assert_eq!(page.body["step"], "accept", "{}", page.text);
    let res = post(
        &app,
        &xia,
        "accept-invitation",
        json!({ "invitationId": secret }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(verified("xia@example.com").await);

    // By the bare id (the dashboard's inbox), a verified email is needed.
    let yan = unverified("yan@example.com").await;
    let res = invite(&app, &owner, &org, "yan@example.com", json!("member")).await;
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = post(
        &app,
        &yan,
        "accept-invitation",
        json!({ "invitationId": id }),
    )
    .await;
    assert_eq!(
        refusal(&res),
        (403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    );
    assert!(!verified("yan@example.com").await);
}

on_both_databases!(
    nobody_grants_what_they_do_not_hold,
    huge_lists_are_refused_before_any_work,
    an_invitation_dies_with_its_inviters_authority,
    resending_is_granting_again,
    instance_admins_add_others_within_bounds,
    organization_invitations_have_their_own_email_budgets,
    concurrent_changes_hold_their_caps_and_never_fail,
    racing_changes_take_locks_in_one_order,
    reads_write_nothing_and_show_only_what_is_theirs,
    a_private_link_proves_the_mailbox,
);
