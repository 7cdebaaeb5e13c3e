//! What every invitation answers to (SPEC §3 "Accounts" 2 and 3): a
//! private invitation needs its addressee's proven mailbox, an invitation
//! acts with its creator's authority as it is now, and nodes starting
//! together print one setup link.

use serde_json::json;

use crate::secrets::{every_cell, invitation_secret, private_invite, user_id};
use crate::support::{Backend, TestApp};

/// SPEC §3 "Accounts" 2: open sign-up does not prove an address, so it gets
/// a verification email. A private invitation's emailed link proves it as
/// well, so its page asks for no second verification email
/// (`organization_authority::a_private_link_proves_the_mailbox` accepts by
/// it); the verification link still works, and leads back to it.
async fn a_private_invitation_needs_a_verified_email(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let res = app
        .sign_up("Una", "una@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["user"]["emailVerified"], false);
    let una = res.session_cookie().unwrap();
    let kinds: Vec<String> =
        sqlx::query_scalar("select kind from outbound_emails where recipient = 'una@example.com'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(kinds, ["email-verification"]);

    private_invite(&app, &owner, "una@example.com", "token").await;
    let secret = invitation_secret(&app, "una@example.com").await;
    let preview = app
        .get(&format!("/api/auth/invite/get?token={secret}"), Some(&una))
        .await;
    assert_eq!(preview.body["nextStep"], "accept", "{}", preview.text);

    // Only one's own address, and not an already verified one.
    let other = app
        .post_with_cookie(
            "/api/auth/send-verification-email",
            json!({ "email": "owner@example.com" }),
            &una,
        )
        .await;
    assert_eq!(other.code(), "EMAIL_MISMATCH");
    let sent = app
        .post_with_cookie(
            "/api/auth/send-verification-email",
            json!({ "email": "una@example.com", "callbackURL": format!("/invite/{secret}") }),
            &una,
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let mails = app.emails_to("una@example.com").await;
    let link = crate::support::link_in(mails.last().unwrap(), &app.base_url);
    assert!(
        link.starts_with(&format!("{}/verify-email?token=", app.base_url)),
        "{link}"
    );
    let token = crate::support::token_in(&link);
    // The first link was retired by the second.
    let first = crate::support::link_in(&mails[0], &app.base_url);
    let first_token = crate::support::token_in(&first);
    let old = app
        .post("/api/auth/verify-email", json!({ "token": first_token }))
        .await;
    assert_eq!(old.code(), "INVALID_TOKEN");
    // Opening the page changes nothing; the POST does.
    let page = app.get(&format!("/verify-email?token={token}"), None).await;
    assert_eq!(page.status, 200);
    let verified = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["user"]["emailVerified"], true);
    let again = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(again.code(), "INVALID_TOKEN");
    let session = app.session(&una).await;
    assert_eq!(session.body["user"]["emailVerified"], true);
    let already = app
        .post_with_cookie(
            "/api/auth/send-verification-email",
            json!({ "email": "una@example.com" }),
            &una,
        )
        .await;
    assert_eq!(already.code(), "EMAIL_ALREADY_VERIFIED");

    assert!(
        verified.body["redirectTo"]
            .as_str()
            .is_some_and(|r| r.ends_with(&format!("/invite/{secret}"))),
        "{}",
        verified.text
    );
    // The way back to the invitation held its secret: it was in no link,
    // no log and no table in the clear.
    for (at, value) in every_cell(&app).await {
        assert!(
            !value.contains(&secret),
            "the invitation's secret is readable in {at}"
        );
    }
    let accepted = app
        .post_with_cookie(
            "/api/auth/invite/activate",
            json!({ "token": secret }),
            &una,
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);

    // Signed out, the answer is the same whether or not the address has an
    // account waiting for verification.
    app.sign_up("Vic", "vic@example.com", "correct horse battery")
        .await;
    let known = app
        .post(
            "/api/auth/send-verification-email",
            json!({ "email": "vic@example.com" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/send-verification-email",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    app.wait_for_emails("vic@example.com", 2).await;

    // Signing up with a private link proves the address at once.
    private_invite(&app, &owner, "pia@example.com", "token").await;
    let pia_secret = invitation_secret(&app, "pia@example.com").await;
    let pia = app
        .post(
            "/api/auth/sign-up/email",
            json!({ "name": "Pia", "email": "pia@example.com", "password": "correct horse battery", "inviteToken": pia_secret }),
        )
        .await;
    assert_eq!(pia.body["user"]["emailVerified"], true, "{}", pia.text);
}

/// SPEC §3 "Accounts" 3: resending makes the resender the creator; an
/// invitation whose creator is gone is void; the instance's own say so.
async fn invitations_act_with_their_creators_authority(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let ada = app.with_role("ada@example.com", "admin").await;
    let by_instance: Vec<(Option<String>, i64)> =
        sqlx::query_as("select created_by, by_instance from role_invitations")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(
        by_instance
            .iter()
            .all(|(by, inst)| by.is_none() && *inst == 1),
        "{by_instance:?}"
    );

    let created = private_invite(&app, &ada, "new@example.com", "token").await;
    let id = created["invitations"][0]["id"].as_str().unwrap().to_owned();
    let resent = app
        .post_with_cookie("/api/auth/invite/resend", json!({ "id": id }), &owner)
        .await;
    assert_eq!(resent.status, 200, "{}", resent.text);
    let creator: Option<String> =
        sqlx::query_scalar("select created_by from role_invitations where id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(creator, Some(user_id(&app, "owner@example.com").await));
    let (before, after): (String, String) = sqlx::query_as(
        "select before_json, after_json from audit_events where action = 'invite.resend' and target = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        before.contains(&user_id(&app, "ada@example.com").await),
        "{before}"
    );
    assert!(
        after.contains(&user_id(&app, "owner@example.com").await),
        "{after}"
    );

    // An invitation whose creator's account is gone is void.
    let orphan = private_invite(&app, &ada, "orphan@example.com", "token").await;
    let orphan_secret = invitation_secret(&app, "orphan@example.com").await;
    assert!(orphan["invitations"][0]["id"].is_string());
    sqlx::query("delete from users where email = 'ada@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let preview = app
        .get(&format!("/api/auth/invite/get?token={orphan_secret}"), None)
        .await;
    assert_eq!(preview.body["nextStep"], "unusable", "{}", preview.text);
    let res = app
        .post(
            "/api/auth/sign-up/email",
            json!({ "name": "Or Phan", "email": "orphan@example.com", "password": "correct horse battery", "inviteToken": orphan_secret }),
        )
        .await;
    assert_eq!(res.status, 410, "{}", res.text);
    assert_eq!(res.code(), "INVITER_NO_LONGER_ALLOWED");
}

/// Nodes starting together on one empty database make exactly one working
/// setup link between them.
async fn concurrent_first_runs_make_one_setup_link(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    sqlx::query("update role_invitations set status = 'canceled'")
        .execute(&app.db)
        .await
        .unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (db, config) = (app.store.clone(), app.config.clone());
            tokio::spawn(async move {
                gatehouse::invitations::role::setup::first_run(&db, &config).await
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from role_invitations where setup = 1 and status = 'pending'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(pending, 1);
}

on_both_databases!(
    a_private_invitation_needs_a_verified_email,
    invitations_act_with_their_creators_authority,
    concurrent_first_runs_make_one_setup_link,
);
