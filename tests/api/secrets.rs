//! Secrets in logs and at rest (SPEC §6, §8): no live secret in any table
//! or log line, and a waiting message's link revealed once, then wiped.

use serde_json::{json, Value};
use std::{process::Stdio, time::Duration};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Backend, TestApp, TEST_SECRET_KEY};

pub(crate) async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

pub(crate) async fn private_invite(app: &TestApp, cookie: &str, to: &str, kind: &str) -> Value {
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "moderator", "email": to, "tokenType": kind }),
            cookie,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.body
}

/// The secret (link token or code) of the newest invitation email to `to`.
pub(crate) async fn invitation_secret(app: &TestApp, to: &str) -> String {
    let text = app.emails_to(to).await.pop().expect("an invitation email");
    let link = crate::support::link_in(&text, &app.base_url);
    link.rsplit('/').next().unwrap().to_owned()
}

/// Every text value of every table, as one string per cell.
pub(crate) async fn every_cell(app: &TestApp) -> Vec<(String, String)> {
    let tables: Vec<String> = match app.store.backend() {
        gatehouse::server::db::Backend::Sqlite => sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
        gatehouse::server::db::Backend::Postgres => sqlx::query_scalar(
            "select table_name::text from information_schema.tables where table_schema = 'public'",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
    };
    assert!(tables.iter().any(|t| t == "outbound_emails"), "{tables:?}");
    let mut cells = Vec::new();
    for table in tables {
        let columns: Vec<String> = match app.store.backend() {
            gatehouse::server::db::Backend::Sqlite => {
                sqlx::query_scalar(&format!("select name from pragma_table_info('{table}')"))
                    .fetch_all(&app.db)
                    .await
                    .unwrap()
            }
            gatehouse::server::db::Backend::Postgres => sqlx::query_scalar(
                "select column_name::text from information_schema.columns where table_name = $1",
            )
            .bind(&table)
            .fetch_all(&app.db)
            .await
            .unwrap(),
        };
        for column in columns {
            // Bytes, read as text where they are text: nothing escapes.
            let cast = match app.store.backend() {
                gatehouse::server::db::Backend::Sqlite => format!("cast({column} as blob)"),
                gatehouse::server::db::Backend::Postgres => {
                    format!("convert_to(cast({column} as text), 'UTF8')")
                }
            };
            let values: Vec<Option<Vec<u8>>> =
                sqlx::query_scalar(&format!("select {cast} from {table}"))
                    .fetch_all(&app.db)
                    .await
                    .unwrap();
            for v in values.into_iter().flatten() {
                cells.push((
                    format!("{table}.{column}"),
                    String::from_utf8_lossy(&v).into_owned(),
                ));
            }
        }
    }
    cells
}

/// A whole run (setup, invitations by link and code, enrollment, a password
/// reset, a verification email), then every cell of every table, the
/// outbox included, is searched for each live secret.
async fn no_raw_secret_in_any_table(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let mut secrets = Vec::new();
    private_invite(&app, &owner, "link@example.com", "token").await;
    secrets.push(invitation_secret(&app, "link@example.com").await);
    // An organization invitation's link.
    let org = app
        .post_with_cookie(
            "/api/auth/organization/create",
            serde_json::json!({ "name": "Acme", "slug": "acme" }),
            &owner,
        )
        .await;
    let res = app
        .post_with_cookie(
            "/api/auth/organization/invite-member",
            serde_json::json!({ "email": "member@example.com", "role": "member", "organizationId": org.body["id"] }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    secrets.push(invitation_secret(&app, "member@example.com").await);
    let public = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "tokenType": "code" }),
            &owner,
        )
        .await;
    secrets.push(public.body["message"].as_str().unwrap().replace('-', ""));
    let created = app
        .post_with_cookie(
            "/api/auth/admin/create-user",
            json!({ "email": "enrol@example.com", "name": "En Rol", "role": "user" }),
            &owner,
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let enrol = app.emails_to("enrol@example.com").await.pop().unwrap();
    secrets.push(crate::support::token_in(&crate::support::link_in(
        &enrol,
        &app.base_url,
    )));
    app.post(
        "/api/auth/request-password-reset",
        json!({ "email": "owner@example.com" }),
    )
    .await;
    let reset = app
        .wait_for_emails("owner@example.com", 1)
        .await
        .pop()
        .unwrap();
    secrets.push(crate::support::token_in(&crate::support::link_in(
        &reset,
        &app.base_url,
    )));

    let cells = every_cell(&app).await;
    for secret in &secrets {
        assert!(secret.len() >= 8, "{secret}");
        for (at, value) in &cells {
            assert!(
                !value.contains(secret.as_str()),
                "the secret {secret} is readable in {at}: {value}"
            );
        }
    }
    // The waiting messages are stored with their links hidden.
    let stored: Vec<String> =
        sqlx::query_scalar("select text_body from outbound_emails where kind <> 'password-reset'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(stored.iter().all(|t| t.contains("[hidden]")), "{stored:?}");
}

/// With no mail server, a waiting message can be read by an operator
/// (`gatehouse outbox show`) and revealed once by an admin, audited; once
/// its secret is spent it is wiped, and the message cannot be sent again.
async fn waiting_secrets_are_revealed_once_and_wiped_when_spent(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let created = private_invite(&app, &owner, "pat@example.com", "token").await;
    let invite_id = created["invitations"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let secret = invitation_secret(&app, "pat@example.com").await;
    let email_id: String =
        sqlx::query_scalar("select id from outbound_emails where recipient = 'pat@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    // The admin view shows the text with the link hidden.
    let detail = app
        .get(
            &format!("/api/auth/admin/get-email?id={email_id}"),
            Some(&owner),
        )
        .await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    assert!(!detail.text.contains(&secret));
    assert_eq!(detail.body["email"]["revealable"], true);

    // Someone with a lower role may not reveal it.
    let member = app.with_role("mem@example.com", "user").await;
    let refused = app
        .post_with_cookie(
            "/api/auth/admin/reveal-email",
            json!({ "id": email_id }),
            &member,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);

    let shown = app
        .post_with_cookie(
            "/api/auth/admin/reveal-email",
            json!({ "id": email_id }),
            &owner,
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(shown.body["text"].as_str().unwrap().contains(&secret));
    let again = app
        .post_with_cookie(
            "/api/auth/admin/reveal-email",
            json!({ "id": email_id }),
            &owner,
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "EMAIL_ALREADY_REVEALED");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'email.reveal' and target = $1 and actor_id is not null",
    )
    .bind(&email_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // A reveal needs the authority to grant what the link grants: an admin
    // cannot reveal an owner invitation, and nobody reveals a reset link.
    let ada = app.with_role("ada@example.com", "admin").await;
    app.post_with_cookie(
        "/api/auth/invite/create",
        json!({ "role": "owner", "email": "heir@example.com" }),
        &owner,
    )
    .await;
    let heir: String =
        sqlx::query_scalar("select id from outbound_emails where recipient = 'heir@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let refused = app
        .post_with_cookie("/api/auth/admin/reveal-email", json!({ "id": heir }), &ada)
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (403, "EMAIL_NOT_REVEALABLE")
    );
    app.post(
        "/api/auth/request-password-reset",
        json!({ "email": "owner@example.com" }),
    )
    .await;
    app.wait_for_emails("owner@example.com", 1).await;
    let reset: String =
        sqlx::query_scalar("select id from outbound_emails where kind = 'password-reset'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let refused = app
        .post_with_cookie(
            "/api/auth/admin/reveal-email",
            json!({ "id": reset }),
            &owner,
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (403, "EMAIL_NOT_REVEALABLE")
    );

    // Canceling the invitation spends its secret: the sealed copy goes,
    // and the message cannot be sent with a dead link.
    if invite_id.is_empty() {
        panic!("the create answer names the invitation: {created}");
    }
    let canceled = app
        .post_with_cookie(
            "/api/auth/invite/cancel",
            json!({ "id": invite_id }),
            &owner,
        )
        .await;
    assert_eq!(canceled.status, 200, "{}", canceled.text);
    let (sealed, status): (Option<String>, String) =
        sqlx::query_as("select sealed_body, status from outbound_emails where id = $1")
            .bind(&email_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((sealed, status.as_str()), (None, "failed"));
    let retry = app
        .post_with_cookie(
            "/api/auth/admin/retry-email",
            json!({ "id": email_id }),
            &owner,
        )
        .await;
    assert_eq!(retry.status, 409);
    assert_eq!(retry.code(), "EMAIL_SECRET_GONE");

    // An expired secret is wiped by the maintenance sweep.
    private_invite(&app, &owner, "late@example.com", "token").await;
    let far_future = gatehouse::server::clock::now_ms() + 400 * 24 * 3600 * 1000;
    gatehouse::email::outbox::forget_expired(&app.store, far_future)
        .await
        .unwrap();
    let left: i64 =
        sqlx::query_scalar("select count(*) from outbound_emails where sealed_body is not null")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// The operator's way to read a waiting message: `gatehouse outbox show`,
/// with the instance's key; the link is in what it prints, and the reading
/// is audited.
#[tokio::test]
async fn the_outbox_command_shows_a_waiting_message() {
    let app = TestApp::invite_only(Backend::Sqlite, &[]).await.unwrap();
    let owner = app.with_role("owner@example.com", "owner").await;
    private_invite(&app, &owner, "sam@example.com", "token").await;
    let secret = invitation_secret(&app, "sam@example.com").await;
    let id: String =
        sqlx::query_scalar("select id from outbound_emails where recipient = 'sam@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    // Run without blocking: the server under test shares this runtime, and
    // a sender frozen mid-transaction would hold SQLite's write lock.
    let run = |args: Vec<String>, key: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(args)
            .env("GATEHOUSE_DATABASE_URL", &app.database_url)
            .env("GATEHOUSE_SECRET_KEY", key)
            .env("GATEHOUSE_CONFIG", "/nonexistent/gatehouse.toml")
            .output()
    };
    let key = TEST_SECRET_KEY.trim_matches('"');
    let list = run(vec!["outbox".into(), "list".into()], key)
        .await
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(String::from_utf8_lossy(&list.stdout).contains(&id));
    let shown = run(vec!["outbox".into(), "show".into(), id.clone()], key)
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(stdout.contains(&secret), "{stdout}");
    assert!(stdout.contains("To: sam@example.com"), "{stdout}");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'email.reveal' and target = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Another key cannot read it, and the command says so rather than
    // printing something else.
    let wrong = run(
        vec!["outbox".into(), "show".into(), id.clone()],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    )
    .await
    .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("another secret key"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

/// The server's whole log through a run with no mail server: setup link,
/// invitations by link and by code, enrollment, a password reset and a
/// verification email. No live token appears in it, except the setup link,
/// printed once and labelled as a secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_holds_no_live_secret() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}/g.db", dir.path().display());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .env("GATEHOUSE_BIND", "127.0.0.1:0")
        .env("GATEHOUSE_DATABASE_URL", &database_url)
        .env("GATEHOUSE_SECRET_KEY", TEST_SECRET_KEY.trim_matches('"'))
        .env("GATEHOUSE_CONFIG", dir.path().join("gatehouse.toml"))
        .env("GATEHOUSE_SIGN_UP_MODE", "open")
        .env("GATEHOUSE_EMAIL__POLL_INTERVAL", "100ms")
        .env("RUST_LOG", "debug,sqlx=info,hyper=info,h2=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the gatehouse binary starts");
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut early = Vec::new();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = log.next_line().await.unwrap() {
            early.push(line.clone());
            if let Some(rest) = line.split("(listening on ").nth(1) {
                return rest.trim_end_matches(')').to_owned();
            }
        }
        panic!("the server exited before it was ready: {early:?}");
    })
    .await
    .expect("the server gets ready");
    let rest = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Ok(Some(line)) = log.next_line().await {
            lines.push(line);
        }
        lines
    });
    let base = format!("http://{addr}");
    let at = early
        .iter()
        .position(|l| l.contains("/invite/"))
        .expect("the setup link is printed");
    let setup_line = early[at].clone();
    assert!(
        early[at.saturating_sub(3)..at]
            .iter()
            .any(|l| l.contains("SECRET")),
        "the setup link is labelled as a secret: {:?}",
        &early[..=at]
    );
    let setup_link = setup_line
        .split_whitespace()
        .find(|w| w.contains("/invite/"))
        .unwrap()
        .to_owned();
    let setup_token = setup_link.rsplit('/').next().unwrap().to_owned();

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    post(
        "/api/auth/sign-up/email",
        json!({ "name": "Owner", "email": "owner@example.com", "password": "correct horse battery", "inviteToken": setup_token }),
    )
    .await;
    let public = post(
        "/api/auth/invite/create",
        json!({ "role": "user", "tokenType": "code" }),
    )
    .await;
    post(
        "/api/auth/invite/create",
        json!({ "role": "user", "email": "link@example.com" }),
    )
    .await;
    post(
        "/api/auth/admin/create-user",
        json!({ "email": "enrol@example.com", "name": "En Rol", "role": "user" }),
    )
    .await;
    post(
        "/api/auth/request-password-reset",
        json!({ "email": "owner@example.com" }),
    )
    .await;
    reqwest::Client::new()
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&json!({ "name": "Open", "email": "open@example.com", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();

    // Every message has been handled by the sender (held, no SMTP).
    let db = gatehouse::server::db::Db::connect(&database_url)
        .await
        .unwrap();
    let key =
        gatehouse::server::secret_key::SecretKey::parse(TEST_SECRET_KEY.trim_matches('"')).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let texts = loop {
        let rows: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("select sealed_body, last_error from outbound_emails")
                .fetch_all(db.pool())
                .await
                .unwrap();
        // Verification for the owner (a public link proves no address) and
        // for the open sign-up, the invitation, the enrollment, the reset.
        if rows.len() >= 5 && rows.iter().all(|(_, e)| e.is_some()) {
            break rows
                .into_iter()
                .filter_map(|(sealed, _)| sealed)
                .map(|s| gatehouse::email::outbox::open_text(&key, &s).unwrap())
                .collect::<Vec<_>>();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages not handled: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The live secrets: every link's token and every code the messages
    // carry, and the public code from the API answer.
    let mut secrets: Vec<String> = vec![public["message"].as_str().unwrap().replace('-', "")];
    for text in &texts {
        for word in text.split_whitespace() {
            if let Some(token) = word.split("token=").nth(1) {
                secrets.push(token.split('&').next().unwrap().to_owned());
            } else if let Some(token) = word.split("/invite/").nth(1) {
                secrets.push(token.to_owned());
            } else if word.len() == 9 && word.as_bytes()[4] == b'-' {
                secrets.push(word.to_owned());
                secrets.push(word.replace('-', ""));
            }
        }
    }
    assert!(secrets.len() >= 6, "{secrets:?} from {texts:?}");
    assert_eq!(texts.len(), 5, "{texts:?}");

    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    let mut whole = early;
    whole.extend(rest.await.unwrap());
    let whole = whole.join("\n");
    assert!(
        whole.contains("gatehouse outbox show"),
        "the log says how to read a message"
    );
    for secret in &secrets {
        assert!(
            !whole.contains(secret.as_str()),
            "{secret} is in the log:\n{whole}"
        );
    }
    assert_eq!(
        whole.matches(&setup_token).count(),
        1,
        "the setup link, once"
    );
}

on_both_databases!(
    no_raw_secret_in_any_table,
    waiting_secrets_are_revealed_once_and_wiped_when_spent,
);
