//! Teams over HTTP (SPEC §3 "Organizations" 9), in Better Auth's shapes, on
//! SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::support::{
    orgs::{acme as organization, get, join, post, refusal as code},
    Backend, TestApp,
};

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn active_team(app: &TestApp, cookie: &str) -> Value {
    app.get("/api/auth/get-session", Some(cookie)).await.body["session"]["activeTeamId"].clone()
}

/// Every team endpoint with its answer and its refusals.
async fn teams_answer_in_better_auths_shape_with_its_refusals(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;
    let (admin_id, member_id) = (
        user_id(&app, "admin@example.com").await,
        user_id(&app, "member@example.com").await,
    );

    // A new organization has a first team named after it, with its creator
    // in it, active.
    let teams = get(&app, &owner, &format!("list-teams?organizationId={org}")).await;
    assert_eq!(teams.status, 200, "{}", teams.text);
    let first = teams.body[0].clone();
    assert_eq!(teams.body.as_array().unwrap().len(), 1);
    assert_eq!(first["name"], "Acme");
    assert_eq!(first["organizationId"], org.as_str());
    assert!(first["updatedAt"].is_null());
    assert_eq!(active_team(&app, &owner).await, first["id"]);

    // create-team: `team:create`, a name, unique in the organization.
    let res = post(
        &app,
        &member,
        "create-team",
        json!({ "name": "Mine", "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (
            403,
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION"
        )
    );
    let res = post(
        &app,
        &admin,
        "create-team",
        json!({ "name": "  ", "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (400, "INVALID_TEAM_NAME"));
    let res = post(
        &app,
        &admin,
        "create-team",
        json!({ "name": "Platform", "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let team = res.body.clone();
    let team_id = team["id"].as_str().unwrap().to_owned();
    assert_eq!(team["name"], "Platform");
    assert_eq!(team["organizationId"], org.as_str());
    assert_eq!(team["updatedAt"], team["createdAt"]);
    let res = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Platform", "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (400, "TEAM_ALREADY_EXISTS"));
    let outsider = app.account("eve@example.com", "user").await;
    let res = post(
        &app,
        &outsider,
        "create-team",
        json!({ "name": "Eve's", "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION")
    );
    let res = get(&app, &outsider, &format!("list-teams?organizationId={org}")).await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION")
    );

    // update-team: `team:update`.
    let res = post(
        &app,
        &member,
        "update-team",
        json!({ "teamId": team_id, "data": { "name": "Mine" } }),
    )
    .await;
    assert_eq!(code(&res), (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM"));
    let res = post(
        &app,
        &admin,
        "update-team",
        json!({ "teamId": team_id, "data": { "name": "Platform Team" } }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["name"], "Platform Team");
    let res = post(
        &app,
        &admin,
        "update-team",
        json!({ "teamId": "no-such-team", "data": { "name": "X" } }),
    )
    .await;
    assert_eq!(code(&res), (400, "TEAM_NOT_FOUND"));

    // add-team-member: `team:update`, and only members of the organization.
    let res = post(
        &app,
        &member,
        "add-team-member",
        json!({ "teamId": team_id, "userId": member_id }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER")
    );
    let eve_id = user_id(&app, "eve@example.com").await;
    let res = post(
        &app,
        &admin,
        "add-team-member",
        json!({ "teamId": team_id, "userId": eve_id }),
    )
    .await;
    assert_eq!(
        code(&res),
        (400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    );
    let res = post(
        &app,
        &admin,
        "add-team-member",
        json!({ "teamId": team_id, "userId": member_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["teamId"], team_id.as_str());
    assert_eq!(res.body["userId"], member_id.as_str());

    // list-team-members: for the team's members (else its active team).
    let res = get(&app, &owner, &format!("list-team-members?teamId={team_id}")).await;
    assert_eq!(code(&res), (400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM"));
    let res = get(
        &app,
        &member,
        &format!("list-team-members?teamId={team_id}"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["userId"], member_id.as_str());

    // set-active-team: only a team one is in; null clears it.
    let res = post(
        &app,
        &owner,
        "set-active-team",
        json!({ "teamId": team_id }),
    )
    .await;
    assert_eq!(code(&res), (403, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM"));
    let res = post(
        &app,
        &member,
        "set-active-team",
        json!({ "teamId": team_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["id"], team_id.as_str());
    assert_eq!(active_team(&app, &member).await, team_id.as_str());
    let res = get(&app, &member, "list-team-members").await;
    assert_eq!(res.body[0]["userId"], member_id.as_str(), "the active team");
    let res = get(&app, &member, "list-user-teams").await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["name"], "Platform Team");
    let res = post(&app, &member, "set-active-team", json!({ "teamId": null })).await;
    assert_eq!(res.status, 200);
    assert!(res.body.is_null());
    assert!(active_team(&app, &member).await.is_null());

    // remove-team-member: `team:update`, or oneself; then the team is not
    // theirs, nor active.
    post(
        &app,
        &admin,
        "add-team-member",
        json!({ "teamId": team_id, "userId": admin_id }),
    )
    .await;
    post(
        &app,
        &member,
        "set-active-team",
        json!({ "teamId": team_id }),
    )
    .await;
    let res = post(
        &app,
        &member,
        "remove-team-member",
        json!({ "teamId": team_id, "userId": admin_id }),
    )
    .await;
    assert_eq!(
        code(&res),
        (403, "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER")
    );
    let res = post(
        &app,
        &admin,
        "remove-team-member",
        json!({ "teamId": team_id, "userId": member_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["message"], "Team member removed successfully.");
    assert!(active_team(&app, &member).await.is_null());
    let res = post(
        &app,
        &admin,
        "remove-team-member",
        json!({ "teamId": team_id, "userId": member_id }),
    )
    .await;
    assert_eq!(code(&res), (400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM"));
    let res = post(
        &app,
        &admin,
        "remove-team-member",
        json!({ "teamId": team_id, "userId": admin_id }),
    )
    .await;
    assert_eq!(res.status, 200, "leaving a team oneself: {}", res.text);

    // remove-team: `team:delete`; the last team stays.
    let res = post(
        &app,
        &member,
        "remove-team",
        json!({ "teamId": team_id, "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (
            403,
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION"
        )
    );
    let res = post(
        &app,
        &admin,
        "remove-team",
        json!({ "teamId": "no-such-team", "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (400, "TEAM_NOT_FOUND"));
    let res = post(
        &app,
        &admin,
        "remove-team",
        json!({ "teamId": team_id, "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["message"], "Team removed successfully.");
    let res = post(
        &app,
        &owner,
        "remove-team",
        json!({ "teamId": first["id"], "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (400, "UNABLE_TO_REMOVE_LAST_TEAM"));

    // Every change left an audit event.
    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'organization.team.%' order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for action in [
        "organization.team.create",
        "organization.team.update",
        "organization.team.member.add",
        "organization.team.member.remove",
        "organization.team.delete",
    ] {
        assert!(events.iter().any(|e| e == action), "{action} in {events:?}");
    }
}

/// An invitation naming a team puts the person in it and makes it active;
/// removing the team clears it from pending invitations and sessions;
/// leaving the organization leaves its teams.
async fn invitations_with_a_team_and_what_removal_clears(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, member) = organization(&app).await;
    let team = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Design", "organizationId": org }),
    )
    .await;
    let team_id = team.body["id"].as_str().unwrap().to_owned();

    let res = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "x@example.com", "role": "member", "organizationId": org, "teamId": "no-such-team" }),
    )
    .await;
    assert_eq!(code(&res), (400, "TEAM_NOT_FOUND"));
    let other = post(
        &app,
        &owner,
        "create",
        json!({ "name": "Other", "slug": "other" }),
    )
    .await;
    let other_team = get(
        &app,
        &owner,
        &format!(
            "list-teams?organizationId={}",
            other.body["id"].as_str().unwrap()
        ),
    )
    .await;
    let res = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "x@example.com", "role": "member", "organizationId": org, "teamId": other_team.body[0]["id"] }),
    )
    .await;
    assert_eq!(
        code(&res),
        (400, "TEAM_NOT_FOUND"),
        "a team of another organization"
    );

    let kim = app.account("kim@example.com", "user").await;
    let invited = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "kim@example.com", "role": "member", "organizationId": org, "teamId": team_id }),
    )
    .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    assert_eq!(invited.body["teamId"], team_id.as_str());
    let preview = app
        .get(
            &format!(
                "/api/auth/organization/get-invitation-preview?id={}",
                invited.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(preview.body["teamName"], "Design");
    let res = post(
        &app,
        &kim,
        "accept-invitation",
        json!({ "invitationId": invited.body["id"] }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(active_team(&app, &kim).await, team_id.as_str());
    let mine = get(&app, &kim, "list-user-teams").await;
    assert_eq!(mine.body[0]["id"], team_id.as_str());

    // Someone new signs up with an invitation into the team: the same.
    let res = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "nia@example.com", "role": "member", "organizationId": org, "teamId": team_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let emails = app.emails_to("nia@example.com").await;
    let link = crate::support::link_in(emails.last().unwrap(), &app.base_url);
    let res = app
        .post(
            "/api/auth/organization/signup-with-invitation",
            json!({ "invitationId": link.rsplit('/').next().unwrap(), "name": "Nia", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let nia = res.session_cookie().expect("a session");
    assert_eq!(active_team(&app, &nia).await, team_id.as_str());
    let members = get(&app, &nia, "list-team-members").await;
    assert_eq!(
        members.body.as_array().unwrap().len(),
        2,
        "{}",
        members.text
    );

    // A pending invitation into the team, then the team goes.
    let pending = post(
        &app,
        &owner,
        "invite-member",
        json!({ "email": "lee@example.com", "role": "member", "organizationId": org, "teamId": team_id }),
    )
    .await;
    let res = post(
        &app,
        &owner,
        "remove-team",
        json!({ "teamId": team_id, "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(active_team(&app, &kim).await.is_null());
    let list = get(
        &app,
        &owner,
        &format!("list-invitations?organizationId={org}"),
    )
    .await;
    let lee = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == pending.body["id"])
        .unwrap();
    assert!(lee["teamId"].is_null());

    // Leaving the organization leaves its teams.
    let first = get(&app, &owner, &format!("list-teams?organizationId={org}"))
        .await
        .body[0]["id"]
        .clone();
    let member_id = user_id(&app, "member@example.com").await;
    post(
        &app,
        &owner,
        "add-team-member",
        json!({ "teamId": first, "userId": member_id }),
    )
    .await;
    let res = post(&app, &member, "leave", json!({ "organizationId": org })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let teams = get(&app, &member, "list-user-teams").await;
    assert_eq!(teams.body, json!([]));

    // Deleting the organization deletes its teams.
    let res = post(&app, &owner, "delete", json!({ "organizationId": org })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let left: i64 =
        sqlx::query_scalar("select count(*) from organization_teams where organization_id = $1")
            .bind(&org)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// Adds of different people at once never take a team past its size, and
/// teams per organization are capped.
async fn team_limits_hold_under_concurrent_adds(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("organizations.teams.maximum_members_per_team", "3"),
            ("organizations.teams.maximum_teams", "2"),
        ],
    )
    .await
    else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let team = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Small", "organizationId": org }),
    )
    .await;
    assert_eq!(team.status, 200, "{}", team.text);
    let res = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Third", "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (400, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS")
    );

    let mut people = Vec::new();
    for n in 0..8 {
        let email = format!("p{n}@example.com");
        join(&app, &owner, &org, &email, json!("member")).await;
        people.push(user_id(&app, &email).await);
    }
    let adds = people.iter().map(|id| {
        post(
            &app,
            &owner,
            "add-team-member",
            json!({ "teamId": team.body["id"], "userId": id }),
        )
    });
    let results = futures::future::join_all(adds).await;
    let added = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(added, 3);
    for r in results.iter().filter(|r| r.status != 200) {
        assert_eq!(code(r), (400, "TEAM_MEMBER_LIMIT_REACHED"), "{}", r.text);
    }
    let members: i64 =
        sqlx::query_scalar("select count(*) from organization_team_members where team_id = $1")
            .bind(team.body["id"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(members, 3);
}

/// The teams tab: every member sees the teams and their people; only
/// those with `team:create` get the form; outsiders get nothing.
async fn the_teams_tab(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, member) = organization(&app).await;
    let res = post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Design", "organizationId": org }),
    )
    .await;
    let member_id = user_id(&app, "member@example.com").await;
    post(
        &app,
        &owner,
        "add-team-member",
        json!({ "teamId": res.body["id"], "userId": member_id }),
    )
    .await;

    let page = app.get("/orgs/acme/teams", Some(&owner)).await;
    assert_eq!(page.status, 200);
    for text in [
        "Design",
        "member@example.com",
        "Create a team",
        r#"href="/orgs/acme/teams""#,
    ] {
        assert!(page.text.contains(text), "{text}");
    }
    let page = app.get("/orgs/acme/teams", Some(&member)).await;
    assert!(page.text.contains("Design"));
    assert!(
        !page.text.contains("Create a team"),
        "members do not create teams"
    );
    let outsider = app.account("eve@example.com", "user").await;
    assert_eq!(
        app.get("/orgs/acme/teams", Some(&outsider)).await.status,
        404
    );
    let res = app
        .get(
            &format!("/api/auth/gatehouse/organization-teams?organization_id={org}"),
            Some(&outsider),
        )
        .await;
    assert_eq!(code(&res), (404, "NOT_FOUND"));
}

on_both_databases!(
    the_teams_tab,
    teams_answer_in_better_auths_shape_with_its_refusals,
    invitations_with_a_team_and_what_removal_clears,
    team_limits_hold_under_concurrent_adds,
);
