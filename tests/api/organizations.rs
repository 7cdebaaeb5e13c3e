//! Organizations over HTTP (SPEC §3 "Organizations" 1, §5), in Better
//! Auth's shapes, on SQLite and PostgreSQL: create, check-slug, list,
//! set-active, get-full-organization.

use serde_json::json;

use crate::support::{Backend, Response, TestApp};

async fn create(app: &TestApp, cookie: &str, name: &str, slug: &str) -> Response {
    app.post_with_cookie(
        "/api/auth/organization/create",
        json!({ "name": name, "slug": slug, "metadata": { "plan": "pro" } }),
        cookie,
    )
    .await
}

async fn active_organization(app: &TestApp, cookie: &str) -> serde_json::Value {
    app.session(cookie).await.body["session"]["activeOrganizationId"].clone()
}

async fn create_makes_the_creator_owner_and_the_organization_active(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let res = app
        .post(
            "/api/auth/organization/create",
            json!({ "name": "Anon", "slug": "anon" }),
        )
        .await;
    assert_eq!(res.status, 401);

    let ada = app.signed_up("ada@example.com").await;
    assert!(active_organization(&app, &ada).await.is_null());
    let res = create(&app, &ada, "Acme Labs", "acme-labs").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let org = &res.body;
    assert_eq!(org["name"], "Acme Labs");
    assert_eq!(org["slug"], "acme-labs");
    assert_eq!(
        org["metadata"],
        json!({ "plan": "pro" }),
        "an object, not a string"
    );
    assert!(org["logo"].is_null());
    assert!(org["createdAt"].as_str().unwrap().ends_with('Z'));
    let id = org["id"].as_str().unwrap().to_owned();
    let members = org["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[0]["organizationId"], id.as_str());
    assert_eq!(members[0]["user"]["email"], "ada@example.com");
    assert_eq!(active_organization(&app, &ada).await, id.as_str());
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'organization.create' and target = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // keepCurrentActiveOrganization leaves the active one alone.
    let second = app
        .post_with_cookie(
            "/api/auth/organization/create",
            json!({ "name": "Second", "slug": "second", "logo": "https://example.com/logo.png", "keepCurrentActiveOrganization": true }),
            &ada,
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["metadata"], json!({}));
    assert_eq!(second.body["logo"], "https://example.com/logo.png");
    assert_eq!(active_organization(&app, &ada).await, id.as_str());

    // Refusals name what is wrong, and write nothing.
    for (body, status, code) in [
        (
            json!({ "name": "Again", "slug": "acme-labs" }),
            400,
            "ORGANIZATION_SLUG_ALREADY_TAKEN",
        ),
        (
            json!({ "name": "Odd", "slug": "Odd Slug!" }),
            400,
            "INVALID_SLUG",
        ),
        (json!({ "name": "Odd", "slug": "" }), 400, "INVALID_SLUG"),
        (
            json!({ "name": "", "slug": "empty-name" }),
            400,
            "INVALID_ORGANIZATION_NAME",
        ),
        (json!({ "slug": "no-name" }), 400, "MISSING_FIELD"),
        (
            json!({ "name": "M", "slug": "meta", "metadata": "{\"a\":1}" }),
            400,
            "INVALID_METADATA",
        ),
        (
            json!({ "name": "L", "slug": "logo", "logo": "javascript:alert(1)" }),
            400,
            "INVALID_LOGO",
        ),
    ] {
        let res = app
            .post_with_cookie("/api/auth/organization/create", body.clone(), &ada)
            .await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (status, code),
            "{body}: {}",
            res.text
        );
    }
    let count: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

async fn two_creations_racing_for_one_slug_make_one(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.signed_up("ada@example.com").await;
    let bob = app.signed_up("bob@example.com").await;
    let (a, b) = tokio::join!(
        create(&app, &ada, "Ada's", "contested"),
        create(&app, &bob, "Bob's", "contested"),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{} / {}", a.text, b.text);
    let members: i64 = sqlx::query_scalar("select count(*) from organization_members")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(members, 1, "the loser left nothing behind");
}

async fn check_slug_list_set_active_and_get_full(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.signed_up("ada@example.com").await;
    let eve = app.signed_up("eve@example.com").await;
    let check = |slug: &str| {
        app.post_with_cookie(
            "/api/auth/organization/check-slug",
            json!({ "slug": slug }),
            &ada,
        )
    };
    let free = check("acme").await;
    assert_eq!(
        (free.status.as_u16(), &free.body),
        (200, &json!({ "status": true }))
    );
    let acme = create(&app, &ada, "Acme", "acme").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let beta = create(&app, &ada, "Beta", "beta").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        check("acme").await.code(),
        "ORGANIZATION_SLUG_ALREADY_TAKEN"
    );
    assert_eq!(check("A C M E").await.code(), "INVALID_SLUG");

    // Each person lists their own organizations only.
    let list = app.get("/api/auth/organization/list", Some(&ada)).await;
    let slugs: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme", "beta"]);
    let none = app.get("/api/auth/organization/list", Some(&eve)).await;
    assert_eq!(none.body, json!([]));
    assert_eq!(
        app.get("/api/auth/organization/list", None).await.status,
        401
    );

    // The active organization: by id, by slug, or none.
    assert_eq!(active_organization(&app, &ada).await, beta.as_str());
    let res = app
        .post_with_cookie(
            "/api/auth/organization/set-active",
            json!({ "organizationId": acme }),
            &ada,
        )
        .await;
    assert_eq!(res.body["slug"], "acme", "{}", res.text);
    assert_eq!(active_organization(&app, &ada).await, acme.as_str());
    let res = app
        .post_with_cookie(
            "/api/auth/organization/set-active",
            json!({ "organizationSlug": "beta" }),
            &ada,
        )
        .await;
    assert_eq!(res.body["id"], beta.as_str());
    let full = app
        .get("/api/auth/organization/get-full-organization", Some(&ada))
        .await;
    assert_eq!(full.body["id"], beta.as_str(), "{}", full.text);
    assert_eq!(full.body["members"][0]["user"]["email"], "ada@example.com");
    let by_slug = app
        .get(
            "/api/auth/organization/get-full-organization?organizationSlug=acme",
            Some(&ada),
        )
        .await;
    assert_eq!(by_slug.body["id"], acme.as_str(), "{}", by_slug.text);
    let res = app
        .post_with_cookie(
            "/api/auth/organization/set-active",
            json!({ "organizationId": null }),
            &ada,
        )
        .await;
    assert_eq!((res.status.as_u16(), &res.body), (200, &json!(null)));
    assert!(active_organization(&app, &ada).await.is_null());
    let nothing = app
        .get("/api/auth/organization/get-full-organization", Some(&ada))
        .await;
    assert_eq!(
        (nothing.status.as_u16(), &nothing.body),
        (200, &json!(null))
    );

    // Someone else learns nothing and changes nothing.
    let res = app
        .post_with_cookie(
            "/api/auth/organization/set-active",
            json!({ "organizationId": acme }),
            &eve,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    );
    assert!(active_organization(&app, &eve).await.is_null());
    let res = app
        .get(
            &format!("/api/auth/organization/get-full-organization?organizationId={acme}"),
            Some(&eve),
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    );
    let res = app
        .get(
            "/api/auth/organization/get-full-organization?organizationId=no-such-org",
            Some(&ada),
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (400, "ORGANIZATION_NOT_FOUND")
    );
}

/// Adds `email` to the organization with `roles`, as `add-member` and
/// invitations will.
async fn add_member(app: &TestApp, organization_id: &str, email: &str, roles: &[&str]) {
    let user = app_user_id(app, email).await;
    let mut tx = app.store.begin().await.unwrap();
    gatehouse::organizations::store::insert_member(
        &mut tx,
        &gatehouse::server::crypto::new_id(),
        organization_id,
        &user,
        roles,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Members are listed oldest first, by the millisecond: keep them apart.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
}

async fn members_roles_and_permissions(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.signed_up("ada@example.com").await;
    let bob = app.signed_up("bob@example.com").await;
    let cy = app.signed_up("cy@example.com").await;
    let eve = app.signed_up("eve@example.com").await;
    let acme = create(&app, &ada, "Acme", "acme").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&app, &acme, "bob@example.com", &["member"]).await;
    add_member(&app, &acme, "cy@example.com", &["admin", "member"]).await;
    for cookie in [&bob, &cy] {
        app.post_with_cookie(
            "/api/auth/organization/set-active",
            json!({ "organizationId": acme }),
            cookie,
        )
        .await;
    }

    let got = app
        .get(
            &format!("/api/auth/organization/get-organization?organizationId={acme}"),
            Some(&bob),
        )
        .await;
    assert_eq!(
        (got.status.as_u16(), &got.body["slug"]),
        (200, &json!("acme")),
        "{}",
        got.text
    );
    assert!(got.body.get("members").is_none());
    let res = app
        .get(
            &format!("/api/auth/organization/get-organization?organizationId={acme}"),
            Some(&eve),
        )
        .await;
    assert_eq!(res.code(), "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION");

    let member = app
        .get("/api/auth/organization/get-active-member", Some(&cy))
        .await;
    assert_eq!(member.body["role"], "admin,member", "{}", member.text);
    assert_eq!(member.body["user"]["email"], "cy@example.com");
    let role = app
        .get("/api/auth/organization/get-active-member-role", Some(&bob))
        .await;
    assert_eq!(role.body, json!({ "role": "member" }));
    let none = app
        .get("/api/auth/organization/get-active-member", Some(&eve))
        .await;
    assert_eq!(
        (none.status.as_u16(), none.code()),
        (400, "NO_ACTIVE_ORGANIZATION")
    );

    let list = app
        .get("/api/auth/organization/list-members", Some(&bob))
        .await;
    assert_eq!(list.body["total"], 3, "{}", list.text);
    let emails: Vec<&str> = list.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["ada@example.com", "bob@example.com", "cy@example.com"]
    );
    let page = app
        .get(
            &format!("/api/auth/organization/list-members?organizationId={acme}&limit=1&offset=1"),
            Some(&ada),
        )
        .await;
    assert_eq!(page.body["total"], 3);
    assert_eq!(page.body["members"][0]["user"]["email"], "bob@example.com");
    let bad = app
        .get("/api/auth/organization/list-members?limit=many", Some(&ada))
        .await;
    assert_eq!(bad.code(), "INVALID_QUERY");
    let emails_of = |res: &Response| -> Vec<String> {
        res.body["members"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", res.text))
            .iter()
            .map(|m| m["user"]["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let sorted = app
        .get(
            "/api/auth/organization/list-members?sortBy=email&sortDirection=desc",
            Some(&ada),
        )
        .await;
    assert_eq!(
        emails_of(&sorted),
        ["cy@example.com", "bob@example.com", "ada@example.com"]
    );
    let admins = app
        .get(
            "/api/auth/organization/list-members?filterField=role&filterValue=admin",
            Some(&ada),
        )
        .await;
    assert_eq!(
        (emails_of(&admins), &admins.body["total"]),
        (vec!["cy@example.com".to_owned()], &json!(1))
    );
    let not_members = app
        .get("/api/auth/organization/list-members?filterField=role&filterOperator=ne&filterValue=member", Some(&ada))
        .await;
    assert_eq!(emails_of(&not_members), ["ada@example.com"]);
    let containing = app
        .get("/api/auth/organization/list-members?filterField=email&filterOperator=contains&filterValue=bo", Some(&ada))
        .await;
    assert_eq!(emails_of(&containing), ["bob@example.com"]);
    for bad in [
        "sortBy=planet",
        "sortDirection=sideways",
        "filterField=role&filterOperator=gt&filterValue=x",
    ] {
        let res = app
            .get(
                &format!("/api/auth/organization/list-members?{bad}"),
                Some(&ada),
            )
            .await;
        assert_eq!(res.code(), "INVALID_QUERY", "{bad}");
    }
    let res = app
        .get(
            &format!("/api/auth/organization/list-members?organizationId={acme}"),
            Some(&eve),
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    );

    // has-permission: any one of the member's roles must grant all of it.
    let ask = |cookie: &str, permissions: serde_json::Value| {
        let body = json!({ "permissions": permissions, "organizationId": acme });
        let cookie = cookie.to_owned();
        let app = &app;
        async move {
            app.post_with_cookie("/api/auth/organization/has-permission", body, &cookie)
                .await
        }
    };
    for (cookie, permissions, success) in [
        (
            &ada,
            json!({ "member": ["create"], "organization": ["delete"] }),
            true,
        ),
        (
            &cy,
            json!({ "member": ["create"], "organization": ["update"] }),
            true,
        ),
        (&cy, json!({ "organization": ["delete"] }), false),
        (&bob, json!({ "invitation": ["create"] }), false),
        (&bob, json!({ "ac": ["read"] }), true),
        (&bob, json!({ "planet": ["destroy"] }), false),
    ] {
        let res = ask(cookie, permissions.clone()).await;
        assert_eq!(
            res.body,
            json!({ "success": success, "error": null }),
            "{permissions}"
        );
    }
    let old = app
        .post_with_cookie(
            "/api/auth/organization/has-permission",
            json!({ "permission": { "invitation": ["create"] } }),
            &bob,
        )
        .await;
    assert_eq!(
        old.body["success"], false,
        "the older field, on the active organization"
    );
    let res = ask(&eve, json!({ "member": ["create"] })).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    );
}

async fn member_id(app: &TestApp, organization_id: &str, email: &str) -> String {
    sqlx::query_scalar(
        "select m.id from organization_members m join users u on u.id = m.user_id
         where m.organization_id = $1 and u.email = $2",
    )
    .bind(organization_id)
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn roles_owners_removal_and_deletion(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.signed_up("ada@example.com").await;
    let bob = app.signed_up("bob@example.com").await;
    let cy = app.signed_up("cy@example.com").await;
    let eve = app.signed_up("eve@example.com").await;
    let acme = create(&app, &ada, "Acme", "acme").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&app, &acme, "bob@example.com", &["member"]).await;
    add_member(&app, &acme, "cy@example.com", &["member"]).await;
    let (ada_m, bob_m, cy_m) = (
        member_id(&app, &acme, "ada@example.com").await,
        member_id(&app, &acme, "bob@example.com").await,
        member_id(&app, &acme, "cy@example.com").await,
    );
    let post = |path: &'static str, body: serde_json::Value, cookie: String| {
        let app = &app;
        async move { app.post_with_cookie(path, body, &cookie).await }
    };
    let set_role = |cookie: &str, member: &str, role: serde_json::Value| {
        post(
            "/api/auth/organization/update-member-role",
            json!({ "memberId": member, "role": role, "organizationId": acme }),
            cookie.to_owned(),
        )
    };

    // A member may not change roles; the owner may, one role or several.
    let res = set_role(&bob, &cy_m, json!("admin")).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    );
    let res = set_role(&ada, &bob_m, json!(["member", "admin"])).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["role"], "admin,member");
    assert!(res.body.get("user").is_none());
    let res = set_role(&ada, &bob_m, json!("superhero")).await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "ROLE_NOT_FOUND"));
    let res = set_role(&ada, "no-such-member", json!("member")).await;
    assert_eq!(res.code(), "MEMBER_NOT_FOUND");
    // An admin cannot make an owner, nor touch one.
    let res = set_role(&bob, &cy_m, json!("owner")).await;
    assert_eq!(res.code(), "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER");
    let res = set_role(&bob, &ada_m, json!("member")).await;
    assert_eq!(res.code(), "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER");
    let res = set_role(&bob, &cy_m, json!("admin")).await;
    assert_eq!(res.status, 200, "an admin manages members: {}", res.text);
    // The last owner cannot step down, leave or be removed.
    let res = set_role(&ada, &ada_m, json!("admin")).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
    );
    let res = post(
        "/api/auth/organization/leave",
        json!({ "organizationId": acme }),
        ada.clone(),
    )
    .await;
    assert_eq!(
        res.code(),
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"
    );
    let res = post(
        "/api/auth/organization/remove-member",
        json!({ "memberIdOrEmail": "ada@example.com", "organizationId": acme }),
        bob.clone(),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER")
    );

    // Settings: admins may update, only owners delete.
    let res = post("/api/auth/organization/update", json!({ "organizationId": acme, "data": { "name": "Acme Inc", "metadata": { "plan": "team" } } }), bob.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        (&res.body["name"], &res.body["slug"], &res.body["metadata"]),
        (
            &json!("Acme Inc"),
            &json!("acme"),
            &json!({ "plan": "team" })
        )
    );
    let other = create(&app, &eve, "Other", "other").await;
    assert_eq!(other.status, 200);
    let res = post(
        "/api/auth/organization/update",
        json!({ "organizationId": acme, "data": { "slug": "other" } }),
        ada.clone(),
    )
    .await;
    assert_eq!(res.code(), "ORGANIZATION_SLUG_ALREADY_TAKEN");
    let res = post(
        "/api/auth/organization/update",
        json!({ "organizationId": acme, "data": { "name": "Hijack" } }),
        eve.clone(),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    );
    let res = post(
        "/api/auth/organization/delete",
        json!({ "organizationId": acme }),
        bob.clone(),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
    );

    // Removal by email, and leaving, clear the active organization.
    post(
        "/api/auth/organization/set-active",
        json!({ "organizationId": acme }),
        cy.clone(),
    )
    .await;
    let res = post(
        "/api/auth/organization/remove-member",
        json!({ "memberIdOrEmail": "cy@example.com", "organizationId": acme }),
        ada.clone(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["member"]["user"]["email"], "cy@example.com");
    assert!(active_organization(&app, &cy).await.is_null());
    let res = post(
        "/api/auth/organization/remove-member",
        json!({ "memberIdOrEmail": cy_m, "organizationId": acme }),
        ada.clone(),
    )
    .await;
    assert_eq!(res.code(), "MEMBER_NOT_FOUND");
    post(
        "/api/auth/organization/set-active",
        json!({ "organizationId": acme }),
        bob.clone(),
    )
    .await;
    let res = post(
        "/api/auth/organization/leave",
        json!({ "organizationId": acme }),
        bob.clone(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(active_organization(&app, &bob).await.is_null());
    let res = post(
        "/api/auth/organization/leave",
        json!({ "organizationId": acme }),
        bob.clone(),
    )
    .await;
    assert_eq!(res.code(), "MEMBER_NOT_FOUND");

    // The owner deletes it: nothing of it is left, and no session points at it.
    let res = post(
        "/api/auth/organization/delete",
        json!({ "organizationId": acme }),
        ada.clone(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["slug"], "acme");
    for table in [
        "organizations",
        "organization_members",
        "organization_member_roles",
    ] {
        let left: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where {} = $1",
            if table == "organizations" {
                "id"
            } else {
                "organization_id"
            }
        ))
        .bind(&acme)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let pointing: i64 =
        sqlx::query_scalar("select count(*) from sessions where active_organization_id = $1")
            .bind(&acme)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(pointing, 0);
    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'organization.%' order by created_at",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for expected in [
        "organization.create",
        "organization.member.update-role",
        "organization.update",
        "organization.member.remove",
        "organization.member.leave",
        "organization.delete",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} in {events:?}"
        );
    }
}

/// Two owners demote each other at the same moment: one wins, one owner
/// remains.
async fn two_owners_demoting_each_other_keep_one(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("rate_limits.sign_up", "\"100/1m\"")]).await else {
        return;
    };
    for round in 0..5 {
        let a_email = format!("a{round}@example.com");
        let b_email = format!("b{round}@example.com");
        let a = app.signed_up(&a_email).await;
        let b = app.signed_up(&b_email).await;
        let org = create(&app, &a, "Duo", &format!("duo-{round}")).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        add_member(&app, &org, &b_email, &["owner"]).await;
        let (a_m, b_m) = (
            member_id(&app, &org, &a_email).await,
            member_id(&app, &org, &b_email).await,
        );
        let demote = |cookie: String, member: String| {
            let app = &app;
            let org = org.clone();
            async move {
                app.post_with_cookie(
                    "/api/auth/organization/update-member-role",
                    json!({ "memberId": member, "role": "admin", "organizationId": org }),
                    &cookie,
                )
                .await
            }
        };
        let (ra, rb) = tokio::join!(
            demote(a.clone(), b_m.clone()),
            demote(b.clone(), a_m.clone())
        );
        let ok = [ra.status.as_u16(), rb.status.as_u16()];
        assert_eq!(
            ok.iter().filter(|s| **s == 200).count(),
            1,
            "{} / {}",
            ra.text,
            rb.text
        );
        let owners: i64 = sqlx::query_scalar(
            "select count(*) from organization_member_roles where organization_id = $1 and role = 'owner'",
        )
        .bind(&org)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(owners, 1, "round {round}");
    }
}

async fn instance_admins_add_members_and_the_configuration_holds(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("organizations.allow_create", "[\"admin\", \"owner\"]"),
            ("organizations.limit_per_user", "1"),
            ("organizations.membership_limit", "2"),
            ("organizations.disable_deletion", "true"),
        ],
    )
    .await
    else {
        return;
    };
    let root = app.signed_up("root@example.com").await;
    app.set_role("root@example.com", "admin").await;
    let bob = app.signed_up("bob@example.com").await;
    app.signed_up("cy@example.com").await;
    // Only the roles allowed create, and each up to the limit.
    let res = create(&app, &bob, "Bob's", "bobs").await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION")
    );
    let acme = create(&app, &root, "Acme", "acme").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = create(&app, &root, "More", "more").await;
    assert_eq!(
        res.code(),
        "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS"
    );

    let add = |cookie: String, user: String, role: &'static str| {
        let app = &app;
        let acme = acme.clone();
        async move {
            app.post_with_cookie(
                "/api/auth/organization/add-member",
                json!({ "userId": user, "role": role, "organizationId": acme }),
                &cookie,
            )
            .await
        }
    };
    let res = add(
        bob.clone(),
        app_user_id(&app, "cy@example.com").await,
        "member",
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "FORBIDDEN"),
        "an instance permission"
    );
    let res = add(
        root.clone(),
        app_user_id(&app, "bob@example.com").await,
        "admin",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["role"], "admin");
    let res = add(
        root.clone(),
        app_user_id(&app, "bob@example.com").await,
        "member",
    )
    .await;
    assert_eq!(res.code(), "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION");
    let res = add(root.clone(), "nobody".into(), "member").await;
    assert_eq!(res.code(), "USER_NOT_FOUND");
    let res = add(
        root.clone(),
        app_user_id(&app, "cy@example.com").await,
        "member",
    )
    .await;
    assert_eq!(res.code(), "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED");
    let res = app
        .post_with_cookie(
            "/api/auth/organization/delete",
            json!({ "organizationId": acme }),
            &root,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (403, "ORGANIZATION_DELETION_DISABLED")
    );
}

/// `/orgs/{slug}` and the data behind it: members see the organization and
/// what their roles allow; everyone else gets the 404 an unknown
/// organization gets. Viewing makes it the session's active organization.
async fn the_organization_page_is_for_members_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.signed_up("ada@example.com").await;
    let bob = app.signed_up("bob@example.com").await;
    let eve = app.signed_up("eve@example.com").await;
    let acme = create(&app, &ada, "Acme Labs", "acme-labs").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&app, &acme, "bob@example.com", &["member"]).await;
    create(&app, &ada, "Other", "other").await;
    assert_eq!(
        active_organization(&app, &ada).await,
        app_org_id(&app, "other").await.as_str()
    );

    let data = |cookie: Option<String>, query: &'static str| {
        let app = &app;
        async move {
            app.get(
                &format!("/api/auth/gatehouse/organization-page?{query}"),
                cookie.as_deref(),
            )
            .await
        }
    };
    let res = data(Some(ada.clone()), "slug=acme-labs").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let page = &res.body;
    assert_eq!(page["organization"]["name"], "Acme Labs");
    assert_eq!(page["me"]["role"], "owner");
    assert_eq!(page["memberCount"], 2);
    assert_eq!(page["total"], 2);
    assert_eq!(page["assignableRoles"], json!(["owner", "admin", "member"]));
    assert!(page["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("organization:delete")));
    assert_eq!(
        active_organization(&app, &ada).await,
        app_org_id(&app, "other").await.as_str(),
        "viewing is a read: only set-active (the switcher) changes it"
    );
    // Search reads names and addresses.
    let res = data(Some(ada.clone()), "slug=acme-labs&search=BOB%40").await;
    assert_eq!(res.body["total"], 1, "{}", res.text);
    assert_eq!(res.body["members"][0]["user"]["email"], "bob@example.com");
    assert_eq!(res.body["memberCount"], 2);

    // A member sees what a member may do, and cannot give roles above it.
    let res = data(Some(bob.clone()), "slug=acme-labs").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["permissions"], json!(["ac:read"]));
    assert_eq!(res.body["assignableRoles"], json!(["member"]));

    // Outsiders and unknown slugs look the same; signed-out people sign in.
    for (cookie, query) in [
        (Some(eve.clone()), "slug=acme-labs"),
        (Some(ada.clone()), "slug=nothing-here"),
    ] {
        let res = data(cookie, query).await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (404, "NOT_FOUND"),
            "{query}"
        );
    }
    assert!(active_organization(&app, &eve).await.is_null());
    assert_eq!(data(None, "slug=acme-labs").await.status, 401);

    // The pages themselves.
    let page = app.get("/orgs/acme-labs", Some(&ada)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("bob@example.com"), "members are listed");
    assert!(
        page.text.contains("/orgs/acme-labs/settings"),
        "owners see settings"
    );
    let page = app.get("/orgs/acme-labs", Some(&bob)).await;
    assert!(
        !page.text.contains("/orgs/acme-labs/settings"),
        "members do not"
    );
    let page = app.get("/orgs/acme-labs", Some(&eve)).await;
    assert_eq!(page.status, 404);
    assert!(!page.text.contains("Acme Labs"), "nothing tells it exists");
    let page = app
        .request(
            reqwest::Method::GET,
            "/orgs/acme-labs",
            None,
            &[("accept", "text/html")],
        )
        .await;
    assert_eq!(page.status, 302, "signed-out people are sent to sign in");
    assert_eq!(
        page.headers["location"],
        "/sign-in?redirectTo=/orgs/acme-labs"
    );
    let dashboard = app.get("/dashboard", Some(&bob)).await;
    assert!(
        dashboard.text.contains("Acme Labs"),
        "the dashboard lists it"
    );

    // `new` is the create page, never a slug.
    let res = app
        .post_with_cookie(
            "/api/auth/organization/check-slug",
            json!({ "slug": "new" }),
            &ada,
        )
        .await;
    assert_eq!(res.code(), "INVALID_SLUG");
    assert_eq!(app.get("/orgs/new", Some(&ada)).await.status, 200);
}

async fn app_org_id(app: &TestApp, slug: &str) -> String {
    sqlx::query_scalar("select id from organizations where slug = $1")
        .bind(slug)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Gatehouse's `email` in `add-member`, for the page's form.
async fn add_member_by_email(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let root = app.signed_up("root@example.com").await;
    app.set_role("root@example.com", "admin").await;
    app.signed_up("bob@example.com").await;
    let acme = create(&app, &root, "Acme", "acme").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let add = |body: serde_json::Value| {
        let (app, root) = (&app, &root);
        async move {
            app.post_with_cookie("/api/auth/organization/add-member", body, root)
                .await
        }
    };
    let res =
        add(json!({ "email": " Bob@Example.com ", "role": "member", "organizationId": acme }))
            .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body["userId"],
        app_user_id(&app, "bob@example.com").await.as_str()
    );
    let res =
        add(json!({ "email": "nobody@example.com", "role": "member", "organizationId": acme }))
            .await;
    assert_eq!(res.code(), "USER_NOT_FOUND");
    let res =
        add(json!({ "email": "not an address", "role": "member", "organizationId": acme })).await;
    assert_eq!(res.code(), "INVALID_EMAIL");
    let res = add(json!({ "role": "member", "organizationId": acme })).await;
    assert_eq!(res.code(), "MISSING_FIELD");
}

async fn app_user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

on_both_databases!(
    the_organization_page_is_for_members_only,
    add_member_by_email,
    instance_admins_add_members_and_the_configuration_holds,
    roles_owners_removal_and_deletion,
    two_owners_demoting_each_other_keep_one,
    members_roles_and_permissions,
    create_makes_the_creator_owner_and_the_organization_active,
    two_creations_racing_for_one_slug_make_one,
    check_slug_list_set_active_and_get_full,
);
