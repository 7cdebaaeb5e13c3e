//! Custom organization roles over HTTP (SPEC §3 "Organizations" 10), in
//! Better Auth's shapes, on SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::support::{
    orgs::{acme as organization, get, join, post, refusal as code},
    Backend, TestApp,
};

async fn allowed(app: &TestApp, cookie: &str, org: &str, permissions: Value) -> bool {
    let res = post(
        app,
        cookie,
        "has-permission",
        json!({ "organizationId": org, "permissions": permissions }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.body["success"].as_bool().unwrap()
}

/// Every role endpoint with its answer and its refusals, and a custom role
/// at work: invited with, granting exactly its statements.
async fn custom_roles_answer_in_better_auths_shape_and_grant_exactly_their_statements(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;

    // create-role: `ac:create`, names lowered, statements from the catalog.
    let res = post(
        &app,
        &owner,
        "create-role",
        json!({ "organizationId": org, "role": "Auditor", "permission": { "member": ["update"], "invitation": ["create"] } }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["success"], true);
    assert_eq!(res.body["roleData"]["role"], "auditor");
    assert_eq!(res.body["roleData"]["organizationId"], org.as_str());
    assert_eq!(
        res.body["roleData"]["permission"],
        json!({ "invitation": ["create"], "member": ["update"] })
    );
    assert!(res.body["roleData"]["updatedAt"].is_null());
    assert_eq!(res.body["statements"], res.body["roleData"]["permission"]);
    for (role, permission, expected) in [
        (
            "auditor",
            json!({ "member": ["update"] }),
            (400, "ROLE_NAME_IS_ALREADY_TAKEN"),
        ),
        (
            "admin",
            json!({ "member": ["update"] }),
            (400, "ROLE_NAME_IS_ALREADY_TAKEN"),
        ),
        (
            "ghost",
            json!({ "spaceship": ["fly"] }),
            (400, "INVALID_RESOURCE"),
        ),
        (
            "ghost",
            json!({ "member": ["fly"] }),
            (400, "INVALID_RESOURCE"),
        ),
        (
            "2fa",
            json!({ "member": ["update"] }),
            (400, "INVALID_ROLE_NAME"),
        ),
    ] {
        let res = post(
            &app,
            &owner,
            "create-role",
            json!({ "organizationId": org, "role": role, "permission": permission }),
        )
        .await;
        assert_eq!(code(&res), expected, "{role}: {}", res.text);
    }
    let res = post(
        &app,
        &member,
        "create-role",
        json!({ "organizationId": org, "role": "bobs", "permission": { "member": ["update"] } }),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"));
    // An admin cannot grant what it lacks, and is told what that is.
    let res = post(
        &app,
        &admin,
        "create-role",
        json!({ "organizationId": org, "role": "deleter", "permission": { "organization": ["delete"], "member": ["update"] } }),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"));
    assert_eq!(
        res.body["missingPermissions"],
        json!(["organization:delete"])
    );
    let outsider = app.account("eve@example.com", "user").await;
    let res = post(
        &app,
        &outsider,
        "create-role",
        json!({ "organizationId": org, "role": "eves", "permission": { "member": ["update"] } }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    );

    // list-roles and get-role: members with `ac:read`.
    let res = get(&app, &member, &format!("list-roles?organizationId={org}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["role"], "auditor");
    let res = get(&app, &outsider, &format!("list-roles?organizationId={org}")).await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    );
    let res = get(
        &app,
        &owner,
        &format!("get-role?organizationId={org}&roleName=auditor"),
    )
    .await;
    assert_eq!(res.body["role"], "auditor", "{}", res.text);
    let res = get(
        &app,
        &owner,
        &format!("get-role?organizationId={org}&roleName=nobody"),
    )
    .await;
    assert_eq!(code(&res), (400, "ROLE_NOT_FOUND"));

    // Invited with it, Ada holds it, and it grants exactly its statements.
    let ada = join(&app, &owner, &org, "ada@example.com", json!("auditor")).await;
    assert!(allowed(&app, &ada, &org, json!({ "member": ["update"] })).await);
    assert!(allowed(&app, &ada, &org, json!({ "invitation": ["create"] })).await);
    assert!(!allowed(&app, &ada, &org, json!({ "invitation": ["cancel"] })).await);
    assert!(!allowed(&app, &ada, &org, json!({ "ac": ["read"] })).await);
    let res = post(
        &app,
        &ada,
        "invite-member",
        json!({ "email": "new@example.com", "role": "auditor", "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "her role lets her invite: {}", res.text);
    // (Out of the way of the role's deletion below.)
    let canceled = post(
        &app,
        &owner,
        "cancel-invitation",
        json!({ "invitationId": res.body["id"] }),
    )
    .await;
    assert_eq!(canceled.status, 200, "{}", canceled.text);
    // With what she holds: `member` carries `ac:read`, which she lacks.
    let res = post(
        &app,
        &ada,
        "invite-member",
        json!({ "email": "new2@example.com", "role": "member", "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    );
    assert_eq!(res.body["missingPermissions"], json!(["ac:read"]));
    let res = get(&app, &ada, &format!("list-roles?organizationId={org}")).await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE"));
    // Unknown roles are refused wherever a role is given.
    let res = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "x@example.com", "role": "nobody", "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (400, "ROLE_NOT_FOUND"));

    // update-role: statements and name; the holder keeps it renamed.
    let res = post(
        &app,
        &member,
        "update-role",
        json!({ "organizationId": org, "roleName": "auditor", "data": { "permission": { "member": ["delete"] } } }),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE"));
    let res = post(
        &app,
        &admin,
        "update-role",
        json!({ "organizationId": org, "roleName": "auditor", "data": { "permission": { "organization": ["delete"] } } }),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE"));
    assert_eq!(
        res.body["missingPermissions"],
        json!(["organization:delete"])
    );
    let res = post(
        &app,
        &owner,
        "update-role",
        json!({ "organizationId": org, "roleName": "auditor", "data": { "permission": { "member": ["update", "delete"] } } }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body["roleData"]["permission"],
        json!({ "member": ["delete", "update"] })
    );
    assert!(allowed(&app, &ada, &org, json!({ "member": ["delete"] })).await);
    assert!(!allowed(&app, &ada, &org, json!({ "invitation": ["create"] })).await);
    let res = post(
        &app,
        &owner,
        "update-role",
        json!({ "organizationId": org, "roleName": "auditor", "data": { "roleName": "reviewer" } }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["roleData"]["role"], "reviewer");
    assert!(!res.body["roleData"]["updatedAt"].is_null());
    let active = app
        .get("/api/auth/organization/get-active-member", Some(&ada))
        .await;
    assert_eq!(active.body["role"], "reviewer", "{}", active.text);
    assert!(allowed(&app, &ada, &org, json!({ "member": ["delete"] })).await);
    let res = post(
        &app,
        &owner,
        "update-role",
        json!({ "organizationId": org, "roleName": "auditor", "data": { "roleName": "x" } }),
    )
    .await;
    assert_eq!(code(&res), (400, "ROLE_NOT_FOUND"));
    let res = post(
        &app,
        &owner,
        "update-role",
        json!({ "organizationId": org, "roleName": "reviewer", "data": { "roleName": "owner" } }),
    )
    .await;
    assert_eq!(code(&res), (400, "ROLE_NAME_IS_ALREADY_TAKEN"));

    // delete-role: not built-in ones, not one someone holds.
    for (cookie, role, expected) in [
        (&owner, "reviewer", (400, "ROLE_IS_ASSIGNED_TO_MEMBERS")),
        (&owner, "owner", (400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE")),
        (&owner, "nobody", (400, "ROLE_NOT_FOUND")),
        (
            &member,
            "reviewer",
            (403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE"),
        ),
    ] {
        let res = post(
            &app,
            cookie,
            "delete-role",
            json!({ "organizationId": org, "roleName": role }),
        )
        .await;
        assert_eq!(code(&res), expected, "{role}: {}", res.text);
    }
    let ada_member = app
        .get("/api/auth/organization/get-active-member", Some(&ada))
        .await;
    let res = post(
        &app,
        &owner,
        "update-member-role",
        json!({ "organizationId": org, "memberId": ada_member.body["id"], "role": "member" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = post(
        &app,
        &owner,
        "delete-role",
        json!({ "organizationId": org, "roleName": "reviewer" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body, json!({ "success": true }));

    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'organization.role.%'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for action in [
        "organization.role.create",
        "organization.role.update",
        "organization.role.delete",
    ] {
        assert!(events.iter().any(|e| e == action), "{action} in {events:?}");
    }
}

/// Deleting a role while it is being given never leaves a member holding a
/// role that no longer exists; the per-organization cap holds.
async fn deleting_a_role_races_assigning_it(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[(
            "organizations.custom_roles.maximum_roles_per_organization",
            "1",
        )],
    )
    .await
    else {
        return;
    };
    let (org, owner, _, member) = organization(&app).await;
    let member_id = app
        .get("/api/auth/organization/get-active-member", Some(&member))
        .await
        .body["id"]
        .clone();
    for round in 0..6 {
        let res = post(
            &app,
            &owner,
            "create-role",
            json!({ "organizationId": org, "role": "billing", "permission": { "member": ["update"] } }),
        )
        .await;
        assert_eq!(res.status, 200, "round {round}: {}", res.text);
        let res = post(
            &app,
            &owner,
            "create-role",
            json!({ "organizationId": org, "role": "second", "permission": { "member": ["update"] } }),
        )
        .await;
        assert_eq!(code(&res), (400, "TOO_MANY_ROLES"));
        let (assigned, deleted) = tokio::join!(
            post(
                &app,
                &owner,
                "update-member-role",
                json!({ "organizationId": org, "memberId": member_id, "role": ["member", "billing"] }),
            ),
            post(
                &app,
                &owner,
                "delete-role",
                json!({ "organizationId": org, "roleName": "billing" }),
            ),
        );
        assert!(assigned.status.as_u16() < 500, "{}", assigned.text);
        assert!(deleted.status.as_u16() < 500, "{}", deleted.text);
        // Exactly one of them won.
        assert_ne!(
            assigned.status == 200,
            deleted.status == 200,
            "{} / {}",
            assigned.text,
            deleted.text
        );
        let dangling: i64 = sqlx::query_scalar(
            "select count(*) from organization_member_roles mr
             where mr.role not in ('owner', 'admin', 'member')
             and not exists (select 1 from organization_roles r
                             where r.organization_id = mr.organization_id and r.name = mr.role)",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(dangling, 0, "round {round}");
        // Back to the start.
        post(
            &app,
            &owner,
            "update-member-role",
            json!({ "organizationId": org, "memberId": member_id, "role": "member" }),
        )
        .await;
        post(
            &app,
            &owner,
            "delete-role",
            json!({ "organizationId": org, "roleName": "billing" }),
        )
        .await;
    }
}

/// The roles tab: the built-in matrix for everyone with `ac:read`, the
/// create form for those with `ac:create`, boxes they cannot grant
/// disabled; nothing for a role without `ac:read`.
async fn the_roles_tab(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    post(
        &app,
        &owner,
        "create-role",
        json!({ "organizationId": org, "role": "billing", "permission": { "invitation": ["create"] } }),
    )
    .await;
    let page = app.get("/orgs/acme/roles", Some(&owner)).await;
    assert_eq!(page.status, 200);
    for text in [
        "Built-in roles",
        "billing",
        "Create role",
        "organization:delete",
    ] {
        assert!(page.text.contains(text), "{text}");
    }
    let page = app.get("/orgs/acme/roles", Some(&admin)).await;
    assert!(page
        .text
        .contains("Your roles do not include organization:delete"));
    let page = app.get("/orgs/acme/roles", Some(&member)).await;
    assert!(page.text.contains("billing"));
    assert!(!page.text.contains("Create role"));
    let biller = join(&app, &owner, &org, "bill@example.com", json!("billing")).await;
    let page = app.get("/orgs/acme/roles", Some(&biller)).await;
    assert!(page.text.contains("do not include reading its roles"));
    assert!(!app
        .get("/orgs/acme", Some(&biller))
        .await
        .text
        .contains(r#"href="/orgs/acme/roles""#));
}

on_both_databases!(
    the_roles_tab,
    custom_roles_answer_in_better_auths_shape_and_grant_exactly_their_statements,
    deleting_a_role_races_assigning_it,
);
