//! Email delivery (SPEC §6, issue 3), against a real SMTP server process on a
//! loopback port, on SQLite and PostgreSQL.

use crate::support::{
    smtp::{DownSink, SmtpSink},
    Backend, TestApp,
};
use serde_json::json;

const FROM: (&str, &str) = ("email.from", "\"Gatehouse Test <id@gatehouse.test>\"");

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// A server delivering to `smtp_url`, retrying quickly.
async fn app_with_smtp(
    backend: Backend,
    smtp_url: &str,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let url = quoted(smtp_url);
    let mut settings = vec![
        ("smtp_url", url.as_str()),
        FROM,
        ("email.retry_backoff", "\"100ms\""),
        ("email.poll_interval", "\"50ms\""),
    ];
    settings.extend_from_slice(extra);
    TestApp::spawn(backend, &settings).await
}

async fn request_reset(app: &TestApp, email: &str) -> crate::support::Response {
    let res = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": email }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    // The reset is queued just after the answer (so that known and unknown
    // addresses answer alike); give it that moment, so that requests made
    // one after another are queued one after another.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    res
}

async fn status_of_only_email(app: &TestApp) -> String {
    sqlx::query_scalar("select status from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn reset_email_is_delivered_and_can_be_followed(backend: Backend) {
    let sink = SmtpSink::start_with_login("mailer", "s3cret pass").await;
    let url = format!(
        "smtp://mailer:s3cret%20pass@127.0.0.1:{}?tls=none",
        sink.port
    );
    let Some(app) = app_with_smtp(backend, &url, &[]).await else {
        return;
    };
    app.account("ada@example.com", "user").await;
    request_reset(&app, "ada@example.com").await;

    let got = sink.wait_for(1).await;
    let mail = &got[0];
    assert_eq!(mail.authenticated_as.as_deref(), Some("mailer"));
    assert_eq!(mail.mail_from, "id@gatehouse.test");
    assert_eq!(mail.rcpt_tos, ["ada@example.com"]);
    assert_eq!(
        mail.header("From"),
        Some("Gatehouse Test <id@gatehouse.test>")
    );
    assert_eq!(mail.header("To"), Some("ada@example.com"));
    assert_eq!(
        mail.header("Subject"),
        Some("Reset your Gatehouse password")
    );
    assert!(mail.header("Date").is_some());
    let id: String = sqlx::query_scalar("select id from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        mail.header("Message-ID"),
        Some(format!("<{id}@gatehouse.test>").as_str())
    );
    assert!(mail
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let text = mail.text.as_deref().expect("a plain-text body");
    let html = mail.html.as_deref().expect("an HTML body");
    let link = crate::support::link_in(text, &app.base_url);
    assert!(html.contains(&link), "the HTML body carries the same link");

    // Follow the link from the email as the recipient would.
    let token = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("the link carries the token");
    let res = app
        .post(
            "/api/auth/reset-password",
            json!({ "newPassword": "a brand new passphrase", "token": token }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        app.sign_in("ada@example.com", "a brand new passphrase")
            .await
            .status,
        200
    );

    // Sent: recorded as such, and the stored copy no longer holds the link.
    // (The sink has the message before it answers, so wait for the record.)
    app.wait_until("select status from outbound_emails", |s: &String| {
        s == "sent"
    })
    .await;
    let (status, attempts, sent_at, text_body, html_body): (
        String,
        i64,
        Option<i64>,
        String,
        String,
    ) = sqlx::query_as(
        "select status, attempts, sent_at, text_body, html_body from outbound_emails",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 1));
    assert!(sent_at.is_some());
    assert!(!text_body.contains(&token) && !html_body.contains(&token));
    assert!(text_body.contains("[hidden]"));
}

/// An organization invitation goes out over SMTP, names the organization,
/// the inviter and the role, and its link signs the invitee up into it.
async fn an_organization_invitation_arrives_and_its_link_works(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(backend, &sink.url(), &[]).await else {
        return;
    };
    let owner = app.account("owner@example.com", "user").await;
    let org = app
        .post_with_cookie(
            "/api/auth/organization/create",
            json!({ "name": "Acme <Labs>", "slug": "acme" }),
            &owner,
        )
        .await;
    let res = app
        .post_with_cookie(
            "/api/auth/organization/invite-member",
            json!({ "email": "new@example.com", "role": "admin", "organizationId": org.body["id"] }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let got = sink.wait_for(1).await;
    let mail = &got[0];
    assert_eq!(mail.rcpt_tos, ["new@example.com"]);
    assert_eq!(
        mail.header("Subject"),
        Some("Test Person invited you to join Acme <Labs> on Gatehouse")
    );
    let text = mail.text.as_deref().expect("a plain-text body");
    let html = mail.html.as_deref().expect("an HTML body");
    assert!(text.contains("join Acme <Labs> as admin"), "{text}");
    assert!(text.contains("Create your account and join"), "{text}");
    assert!(
        html.contains("Acme &lt;Labs&gt;"),
        "escaped in HTML: {html}"
    );
    let link = crate::support::link_in(text, &app.base_url);
    assert!(html.contains(&link));
    let secret = link.rsplit('/').next().unwrap();

    // Followed as the invitee would: their account and membership at once.
    let res = app
        .post(
            "/api/auth/organization/signup-with-invitation",
            json!({ "invitationId": secret, "name": "Nia", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["member"]["role"], "admin");
    app.wait_until("select status from outbound_emails", |s: &String| {
        s == "sent"
    })
    .await;
    let text_body: String = sqlx::query_scalar("select text_body from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!text_body.contains(secret), "the stored copy has no link");
}

async fn a_down_server_delays_delivery_but_loses_nothing(backend: Backend) {
    let down = DownSink::start().await;
    let Some(app) = app_with_smtp(backend, &down.url(), &[("email.max_attempts", "1000")]).await
    else {
        return;
    };
    app.account("ada@example.com", "user").await;
    request_reset(&app, "ada@example.com").await;

    // The server is down: attempts fail and the message waits, still queued.
    app.wait_until("select attempts from outbound_emails", |n: &i64| *n >= 2)
        .await;
    assert_eq!(status_of_only_email(&app).await, "queued");
    let error: Option<String> = sqlx::query_scalar("select last_error from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(error.is_some(), "the last error is kept");

    // The server comes up: the message goes out on the next attempt.
    let sink = down.come_up().await;
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].rcpt_tos, ["ada@example.com"]);
    app.wait_until("select status from outbound_emails", |s: &String| {
        s == "sent"
    })
    .await;
}

async fn failed_after_the_attempt_limit_then_an_admin_retries(backend: Backend) {
    let down = DownSink::start().await;
    let Some(app) = app_with_smtp(backend, &down.url(), &[("email.max_attempts", "2")]).await
    else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let user = app.account("ada@example.com", "user").await;
    request_reset(&app, "ada@example.com").await;

    app.wait_until("select status from outbound_emails", |s: &String| {
        s == "failed"
    })
    .await;
    let (id, attempts, error): (String, i64, Option<String>) =
        sqlx::query_as("select id, attempts, last_error from outbound_emails")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(attempts, 2, "gave up after max_attempts");
    assert!(error.is_some());

    // The admin view lists it under `failed`.
    let res = app
        .get("/api/auth/admin/list-emails?status=failed", Some(&admin))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["total"], 1);
    assert_eq!(res.body["emails"][0]["id"], id.as_str());
    assert_eq!(res.body["emails"][0]["attempts"], 2);
    assert!(res.body["emails"][0]["lastError"].is_string());

    // Only a role with `email:retry` may retry.
    let body = json!({ "id": id });
    let res = app
        .post_with_cookie("/api/auth/admin/retry-email", body.clone(), &user)
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "FORBIDDEN"));
    let res = app.post("/api/auth/admin/retry-email", body.clone()).await;
    assert_eq!((res.status.as_u16(), res.code()), (401, "UNAUTHORIZED"));

    // Failing for good wiped the link it carried (SPEC §6), so it is not
    // sent again: the admin is told to send a fresh reset or invitation.
    let sealed: Option<String> =
        sqlx::query_scalar("select sealed_body from outbound_emails where id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(sealed, None);
    let res = app
        .post_with_cookie("/api/auth/admin/retry-email", body.clone(), &admin)
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "EMAIL_SECRET_GONE")
    );

    // A message still waiting between attempts is retried at once.
    sqlx::query("delete from outbound_emails")
        .execute(&app.db)
        .await
        .unwrap();
    let now = gatehouse::server::clock::now_ms();
    let mut tx = app.store.begin().await.unwrap();
    let id = gatehouse::email::enqueue(
        &mut tx,
        &app.config,
        &gatehouse::email::Message {
            to: "ada@example.com".into(),
            subject: "Your link".into(),
            text: "Open https://x.test/enroll?token=tok-123456789".into(),
            html: "<p>tok-123456789</p>".into(),
            kind: gatehouse::email::Kind::Enrollment,
            related_id: None,
            secret: Some("tok-123456789".into()),
            secret_expires_at: Some(now + 3_600_000),
        },
        gatehouse::email::Cause::Admin,
    )
    .await
    .unwrap();
    // As after a first failed attempt, with the next one an hour away.
    sqlx::query("update outbound_emails set attempts = 1, next_attempt_at = $1 where id = $2")
        .bind(now + 3_600_000)
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let body = json!({ "id": id });
    let sink = down.come_up().await;
    let res = app
        .post_with_cookie("/api/auth/admin/retry-email", body.clone(), &admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let got = sink.wait_for(1).await;
    assert!(
        got[0].text.as_deref().unwrap().contains("tok-123456789"),
        "the sealed copy is what goes out"
    );
    app.wait_until("select status from outbound_emails", |s: &String| {
        s == "sent"
    })
    .await;
    let retries: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'email.retry' and target = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(retries, 1, "the retry is in the audit log");

    // A delivered message cannot be sent again, and unknown ids are named.
    let res = app
        .post_with_cookie("/api/auth/admin/retry-email", body, &admin)
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "EMAIL_NOT_RETRYABLE")
    );
    let res = app
        .post_with_cookie(
            "/api/auth/admin/retry-email",
            json!({ "id": "nope" }),
            &admin,
        )
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (404, "EMAIL_NOT_FOUND"));
}

async fn header_injection_is_neutralized(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(backend, &sink.url(), &[]).await else {
        return;
    };
    // Names cannot carry a line break in at the door...
    let res = app
        .sign_up(
            "Eve\r\nBcc: victim@example.com",
            "eve@example.com",
            "correct horse battery",
        )
        .await;
    assert_ne!(res.status, 500, "{}", res.text);
    if res.status == 200 {
        let name: String =
            sqlx::query_scalar("select name from users where email = 'eve@example.com'")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert!(!name.contains(['\r', '\n']), "{name:?}");
    }

    // ...and a message that somehow has one in its subject still goes out
    // with a single subject line and no extra header or recipient.
    let mut tx = app.db.begin().await.unwrap();
    gatehouse::email::enqueue(
        &mut tx,
        &app.config,
        &gatehouse::email::Message {
            to: "ada@example.com".into(),
            subject: "Hello\r\nBcc: victim@example.com\r\nX-Injected: yes".into(),
            text: "Hi".into(),
            html: "<p>Hi</p>".into(),
            kind: gatehouse::email::Kind::PasswordReset,
            related_id: None,
            secret: None,
            secret_expires_at: None,
        },
        gatehouse::email::Cause::Public,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let got = sink.wait_for(1).await;
    let mail = &got[0];
    assert_eq!(mail.rcpt_tos, ["ada@example.com"], "no smuggled recipient");
    for line in mail.raw_headers.split("\r\n") {
        assert!(
            !line.starts_with("Bcc:") && !line.starts_with("X-Injected:"),
            "injected header line {line:?} in\n{}",
            mail.raw_headers
        );
    }
    let subject = mail.header("Subject").unwrap();
    assert!(
        subject.starts_with("Hello") && !subject.contains(['\r', '\n']),
        "{subject:?}"
    );
}

async fn the_per_recipient_limit_holds(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(
        backend,
        &sink.url(),
        &[
            ("rate_limits.email_per_recipient", "\"2/1h\""),
            ("rate_limits.password_reset", "\"100/1m\""),
        ],
    )
    .await
    else {
        return;
    };
    app.account("ada@example.com", "user").await;
    app.account("bob@example.com", "user").await;
    let first = request_reset(&app, "ada@example.com").await;
    request_reset(&app, "ada@example.com").await;
    let third = request_reset(&app, "ada@example.com").await;
    assert_eq!(first.body, third.body, "the answer gives nothing away");
    request_reset(&app, "bob@example.com").await;

    let got = sink.wait_for(3).await;
    app.wait_until(
        "select count(*) from outbound_emails where status <> 'sent'",
        |n: &i64| *n == 0,
    )
    .await;
    let queued: i64 = sqlx::query_scalar("select count(*) from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 3, "two for ada, one for bob");
    let to_ada = sink
        .received()
        .iter()
        .filter(|m| m.rcpt_tos == ["ada@example.com"])
        .count();
    assert_eq!((got.len(), to_ada), (3, 2));

    // The refused request changed nothing: the newest link that went out
    // still works.
    let newest = sink
        .received()
        .into_iter()
        .rfind(|m| m.rcpt_tos == ["ada@example.com"])
        .unwrap();
    let link = crate::support::link_in(newest.text.as_deref().unwrap(), &app.base_url);
    let token = crate::support::token_in(&link);
    let res = app
        .post(
            "/api/auth/reset-password",
            json!({ "newPassword": "another fine passphrase", "token": token }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

async fn without_smtp_messages_are_kept_and_marked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("email.poll_interval", "\"50ms\"")]).await else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let user = app.account("ada@example.com", "user").await;
    request_reset(&app, "ada@example.com").await;

    let error: String = app
        .wait_until(
            "select coalesce(last_error, '') from outbound_emails",
            |e: &String| !e.is_empty(),
        )
        .await;
    assert!(error.contains("no SMTP server is configured"), "{error}");
    assert_eq!(status_of_only_email(&app).await, "queued");
    let attempts: i64 = sqlx::query_scalar("select attempts from outbound_emails")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "nothing was attempted");

    let res = app.get("/api/auth/admin/list-emails", Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["smtpConfigured"], false);
    let email = &res.body["emails"][0];
    assert_eq!(email["status"], "queued");
    assert!(email["nextAttemptAt"].is_null(), "held until retried");
    assert_eq!(email["kind"], "password-reset");
    assert_eq!(email["recipient"], "ada@example.com");

    // The admin reads the text, with the reset link's token hidden.
    let id = email["id"].as_str().unwrap();
    let res = app
        .get(&format!("/api/auth/admin/get-email?id={id}"), Some(&admin))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let shown = res.body["text"].as_str().unwrap();
    assert!(shown.contains("reset-password?token=[hidden]"), "{shown}");
    let stored = app.emails_to("ada@example.com").await.remove(0);
    assert!(
        stored.contains("token=") && !stored.contains("[hidden]"),
        "the deliverable copy is whole"
    );

    // Guards and filters.
    let res = app.get("/api/auth/admin/list-emails", Some(&user)).await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "FORBIDDEN"));
    let res = app.get("/api/auth/admin/list-emails", None).await;
    assert_eq!((res.status.as_u16(), res.code()), (401, "UNAUTHORIZED"));
    let res = app
        .get(&format!("/api/auth/admin/get-email?id={id}"), Some(&user))
        .await;
    assert_eq!(res.status, 403);
    let res = app
        .get("/api/auth/admin/list-emails?status=lost", Some(&admin))
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "INVALID_STATUS"));
    let res = app
        .get("/api/auth/admin/list-emails?status=sent", Some(&admin))
        .await;
    assert_eq!(res.body["total"], 0);
}

async fn two_nodes_deliver_each_message_exactly_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(first) = app_with_smtp(backend, &sink.url(), &[]).await else {
        return;
    };
    let url = quoted(&sink.url());
    let _second = first
        .another_node(&[
            ("smtp_url", url.as_str()),
            FROM,
            ("email.poll_interval", "\"50ms\""),
        ])
        .await;

    const N: usize = 40;
    let mut tx = first.db.begin().await.unwrap();
    for i in 0..N {
        gatehouse::email::enqueue(
            &mut tx,
            &first.config,
            &gatehouse::email::Message {
                to: format!("person{i}@example.com"),
                subject: format!("Message {i}"),
                text: "Hi".into(),
                html: "<p>Hi</p>".into(),
                kind: gatehouse::email::Kind::Enrollment,
                related_id: None,
                secret: None,
                secret_expires_at: None,
            },
            gatehouse::email::Cause::Admin,
        )
        .await
        .unwrap();
    }
    // Both nodes poll the same table; they find the batch at the same time.
    tx.commit().await.unwrap();

    sink.wait_for(N).await;
    first
        .wait_until(
            "select count(*) from outbound_emails where status = 'sent'",
            |n: &i64| *n == N as i64,
        )
        .await;
    // Give a would-be duplicate every chance to arrive.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = sink.received();
    let mut recipients: Vec<_> = got.iter().map(|m| m.rcpt_tos[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(got.len(), N, "each message arrives once");
    assert_eq!(recipients.len(), N);
    let max_attempts: i64 = sqlx::query_scalar("select max(attempts) from outbound_emails")
        .fetch_one(&first.db)
        .await
        .unwrap();
    assert_eq!(max_attempts, 1);
}

on_both_databases!(
    reset_email_is_delivered_and_can_be_followed,
    a_down_server_delays_delivery_but_loses_nothing,
    failed_after_the_attempt_limit_then_an_admin_retries,
    header_injection_is_neutralized,
    the_per_recipient_limit_holds,
    without_smtp_messages_are_kept_and_marked,
    an_organization_invitation_arrives_and_its_link_works,
    two_nodes_deliver_each_message_exactly_once,
);
