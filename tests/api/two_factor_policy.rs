//! Requiring two-factor authentication (issue 27, fourth part): an
//! organization's owners require it of its members, and the instance of
//! the roles `two_factor_required_for` names; on SQLite and PostgreSQL.

use serde_json::{json, Value};
use totp_rs::TOTP;

use crate::support::{
    orgs::{self, refusal},
    Backend, TestApp,
};

const PASSWORD: &str = "correct horse battery";

/// Turns two-factor authentication on for the holder of `cookie`, as a
/// person would: the secret, then a first code from it.
async fn turn_on_two_factor(app: &TestApp, cookie: &str) {
    let res = app
        .post_with_cookie(
            "/api/auth/two-factor/enable",
            json!({ "password": PASSWORD }),
            cookie,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let totp = TOTP::from_url(res.body["totpURI"].as_str().unwrap()).unwrap();
    let res = app
        .post_with_cookie(
            "/api/auth/two-factor/verify-totp",
            json!({ "code": totp.generate_current().unwrap() }),
            cookie,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

/// `email → twoFactorEnabled` of `list-members` as the holder of `cookie`.
async fn compliance(app: &TestApp, cookie: &str) -> Vec<(String, Value)> {
    let res = orgs::get(app, cookie, "list-members?organizationSlug=acme").await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let user = &m["user"];
            (
                user["email"].as_str().unwrap().to_owned(),
                user["twoFactorEnabled"].clone(),
            )
        })
        .collect()
}

async fn require(app: &TestApp, cookie: &str, org: &str, on: bool) -> crate::support::Response {
    orgs::post(
        app,
        cookie,
        "update",
        json!({ "organizationId": org, "data": { "requireTwoFactor": on } }),
    )
    .await
}

async fn owners_require_two_factor_and_members_without_it_can_only_leave(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = orgs::acme(&app).await;
    // Made before the rule, by an admin it will hold back.
    let early = orgs::post(
        &app,
        &admin,
        "invite-member",
        json!({ "email": "early@example.com", "role": "member", "organizationId": org }),
    )
    .await;
    assert_eq!(early.status, 200, "{}", early.text);

    // Who would be held back shows first, to those who may change settings.
    assert_eq!(
        compliance(&app, &owner).await,
        [
            ("owner@example.com".to_owned(), json!(false)),
            ("admin@example.com".to_owned(), json!(false)),
            ("member@example.com".to_owned(), json!(false)),
        ]
    );
    assert!(
        compliance(&app, &member)
            .await
            .iter()
            .all(|(_, on)| on.is_null()),
        "a member does not see who uses two-factor"
    );

    // An admin may change the settings, but not this; an owner only with
    // two-factor on their own account, so it never locks them out.
    assert_eq!(
        refusal(&require(&app, &admin, &org, true).await),
        (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
    );
    assert_eq!(
        refusal(&require(&app, &owner, &org, true).await),
        (403, "TWO_FACTOR_REQUIRED")
    );
    turn_on_two_factor(&app, &owner).await;
    assert_eq!(compliance(&app, &owner).await[0].1, json!(true));
    let res = require(&app, &owner, &org, true).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["requireTwoFactor"], true);
    let (before, after): (String, String) = sqlx::query_as(
        "select before_json, after_json from audit_events where action = 'organization.update'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(before.contains(r#""requireTwoFactor":false"#), "{before}");
    assert!(after.contains(r#""requireTwoFactor":true"#), "{after}");

    // The member and the admin are held back from reading and from acting,
    // and told where to turn it on.
    let res = orgs::get(&app, &member, "get-full-organization?organizationSlug=acme").await;
    assert_eq!(refusal(&res), (403, "TWO_FACTOR_REQUIRED"));
    assert!(
        res.body["message"].as_str().unwrap().contains("/account"),
        "{}",
        res.text
    );
    for (path, who) in [
        ("list-members?organizationSlug=acme", &member),
        ("list-invitations?organizationId=", &admin),
        ("list-teams?organizationId=", &member),
        ("list-roles?organizationId=", &admin),
    ] {
        let path = if path.ends_with('=') {
            format!("{path}{org}")
        } else {
            path.to_owned()
        };
        assert_eq!(
            refusal(&orgs::get(&app, who, &path).await),
            (403, "TWO_FACTOR_REQUIRED"),
            "{path}"
        );
    }
    let invite = json!({ "email": "new@example.com", "role": "member", "organizationId": org });
    assert_eq!(
        refusal(&orgs::post(&app, &admin, "invite-member", invite.clone()).await),
        (403, "TWO_FACTOR_REQUIRED")
    );
    let res = orgs::post(
        &app,
        &admin,
        "update-member-role",
        json!({ "memberId": "member@example.com", "role": "admin", "organizationId": org }),
    )
    .await;
    assert_eq!(refusal(&res), (403, "TWO_FACTOR_REQUIRED"));

    // What the admin made earlier acts on their authority, held back too.
    let early_cookie = app.account("early@example.com", "user").await;
    let res = orgs::post(
        &app,
        &early_cookie,
        "accept-invitation",
        json!({ "invitationId": early.body["id"] }),
    )
    .await;
    assert_eq!(refusal(&res), (410, "INVITER_NO_LONGER_ALLOWED"));

    // The header and the dashboard learn what holds them back.
    let mine = app
        .get("/api/auth/gatehouse/organizations", Some(&member))
        .await;
    assert_eq!(mine.body["organizations"][0]["twoFactorNeeded"], true);
    let mine = app
        .get("/api/auth/gatehouse/organizations", Some(&owner))
        .await;
    assert_eq!(mine.body["organizations"][0]["twoFactorNeeded"], false);

    // Once the admin turns it on, they act again at once.
    turn_on_two_factor(&app, &admin).await;
    let res = orgs::post(&app, &admin, "invite-member", invite).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Leaving is never refused.
    let res = orgs::post(&app, &member, "leave", json!({ "organizationId": org })).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Turning it off lets everyone in again.
    let res = require(&app, &owner, &org, false).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let late = orgs::join(&app, &owner, &org, "late@example.com", json!("member")).await;
    let res = orgs::get(&app, &late, "get-full-organization?organizationSlug=acme").await;
    assert_eq!(res.status, 200, "{}", res.text);
}

async fn the_instance_requires_two_factor_of_the_roles_it_names(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("two_factor_required_for", r#"["admin"]"#)]).await
    else {
        return;
    };
    let admin = app.account("admin@example.com", "admin").await;
    let owner = app.account("owner@example.com", "owner").await;
    let user = app.account("user@example.com", "user").await;

    let res = app.get("/api/auth/admin/list-users", Some(&admin)).await;
    assert_eq!(refusal(&res), (403, "TWO_FACTOR_REQUIRED"));
    assert!(res.body["message"].as_str().unwrap().contains("/account"));
    let access = app.get("/api/auth/gatehouse/access", Some(&admin)).await;
    assert_eq!(access.body["twoFactorRequired"], true);
    assert_eq!(access.body["permissions"], json!([]));
    // Endpoints that judge the role in their service hold it back too.
    let res = app
        .post_with_cookie("/api/auth/invite/create", json!({ "role": "user" }), &admin)
        .await;
    assert_eq!(refusal(&res), (403, "TWO_FACTOR_REQUIRED"));
    let res = app
        .post_with_cookie(
            "/api/auth/admin/has-permission",
            json!({ "permissions": { "user": ["list"] } }),
            &admin,
        )
        .await;
    assert_eq!(res.body["success"], false, "{}", res.text);

    // A role the setting does not name is not held back.
    let res = app.get("/api/auth/admin/list-users", Some(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let access = app.get("/api/auth/gatehouse/access", Some(&user)).await;
    assert_eq!(access.body["twoFactorRequired"], false);

    // Their own account stays theirs to look after: that is where it is
    // turned on. Then the role works again.
    turn_on_two_factor(&app, &admin).await;
    let res = app.get("/api/auth/admin/list-users", Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app
        .post_with_cookie("/api/auth/invite/create", json!({ "role": "user" }), &admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let access = app.get("/api/auth/gatehouse/access", Some(&admin)).await;
    assert_eq!(access.body["twoFactorRequired"], false);
    assert!(!access.body["permissions"].as_array().unwrap().is_empty());
}

on_both_databases!(
    owners_require_two_factor_and_members_without_it_can_only_leave,
    the_instance_requires_two_factor_of_the_roles_it_names,
);
