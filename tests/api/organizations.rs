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
    let user: String = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap();
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

on_both_databases!(
    members_roles_and_permissions,
    create_makes_the_creator_owner_and_the_organization_active,
    two_creations_racing_for_one_slug_make_one,
    check_slug_list_set_active_and_get_full,
);
