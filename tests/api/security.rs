//! The security review's fixes (SPEC §3 "Accounts", §6, §8): secrets in
//! logs and at rest, client addresses behind proxies, who may manage whom,
//! email ownership, invitation authority, cookies and CORS.

use std::{process::Stdio, time::Duration};

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Backend, TestApp, TEST_SECRET_KEY};

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn private_invite(app: &TestApp, cookie: &str, to: &str, kind: &str) -> Value {
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
async fn invitation_secret(app: &TestApp, to: &str) -> String {
    let text = app.emails_to(to).await.pop().expect("an invitation email");
    let link = crate::support::link_in(&text, &app.base_url);
    link.rsplit('/').next().unwrap().to_owned()
}

/// Every text value of every table, as one string per cell.
async fn every_cell(app: &TestApp) -> Vec<(String, String)> {
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
    secrets.push(
        crate::support::link_in(&enrol, &app.base_url)
            .split("token=")
            .nth(1)
            .unwrap()
            .to_owned(),
    );
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
    secrets.push(
        crate::support::link_in(&reset, &app.base_url)
            .split("token=")
            .nth(1)
            .unwrap()
            .to_owned(),
    );

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

/// Addresses stored before domains were kept in their ASCII form are
/// rewritten at start, so their owners still sign in with what they type.
async fn stored_unicode_domains_are_brought_to_ascii(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.signed_up("ana@xn--bcher-kva.example").await;
    sqlx::query(
        "update users set email = 'ana@bücher.example' where email = 'ana@xn--bcher-kva.example'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // As a database from before the rewrite: it has not run there yet.
    sqlx::query("delete from instance_settings where name = 'emails-ascii-v1'")
        .execute(&app.db)
        .await
        .unwrap();
    let restarted = app.another_node(&[]).await;
    let stored: String = sqlx::query_scalar("select email from users where name = 'Test Person'")
        .fetch_one(&restarted.db)
        .await
        .unwrap();
    assert_eq!(stored, "ana@xn--bcher-kva.example");
    let res = restarted
        .sign_in("ana@Bücher.example", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

/// Behind trusted proxies, the client is the first address from the right
/// that is not one of them: a forged `X-Forwarded-For` entry does not buy a
/// fresh rate-limit bucket. Without trusted proxies the header is ignored.
async fn forged_forwarded_for_does_not_escape_the_limit(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.sign_in", "\"3/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let sign_in = |forwarded: String| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(&json!({ "email": format!("x{}@example.com", forwarded.len()), "password": "whatever it is" }).to_string()),
                &[("x-forwarded-for", forwarded.as_str())],
            )
            .await
        }
    };
    for i in 0..3 {
        let res = sign_in(format!("10.{i}.{i}.{i}, 198.51.100.7")).await;
        assert_eq!(res.status, 401, "{}", res.text);
    }
    let res = sign_in("10.9.9.9, 198.51.100.7".into()).await;
    assert_eq!(
        res.status, 429,
        "the forged first entry bought a new bucket"
    );
    // Another client behind the same proxy has its own budget.
    let res = sign_in("198.51.100.8".into()).await;
    assert_eq!(res.status, 401, "{}", res.text);

    let Some(plain) = TestApp::spawn(backend, &[("rate_limits.sign_in", "\"2/1h\"")]).await else {
        return;
    };
    for (i, expected) in [(1, 401), (2, 401), (3, 429)] {
        let res = plain
            .request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(
                    &json!({ "email": "y@example.com", "password": "whatever it is" }).to_string(),
                ),
                &[("x-forwarded-for", format!("203.0.113.{i}").as_str())],
            )
            .await;
        assert_eq!(res.status, expected, "untrusted X-Forwarded-For is ignored");
    }
}

/// Failed sign-ins to one account slow down every further attempt to it,
/// from any address, for a while: never a lockout for good.
async fn failed_sign_ins_to_one_account_are_slowed(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.sign_in", "\"1000/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    app.signed_up("victim@example.com").await;
    let attempt = |password: &str, from: String| {
        let app = &app;
        let body = json!({ "email": "victim@example.com", "password": password }).to_string();
        async move {
            app.request(
                Method::POST,
                "/api/auth/sign-in/email",
                Some(&body),
                &[("x-forwarded-for", from.as_str())],
            )
            .await
        }
    };
    for i in 0..5 {
        let res = attempt("wrong password!", format!("198.51.100.{i}")).await;
        assert_eq!(res.status, 401, "{}", res.text);
    }
    // Right after the fifth failure, even the right password waits.
    let res = attempt("correct horse battery", "203.0.113.50".into()).await;
    assert_eq!(res.status, 429, "{}", res.text);
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("this account"));
    // Other accounts are not affected.
    app.signed_up("bystander@example.com").await;
    let other = app
        .sign_in("bystander@example.com", "correct horse battery")
        .await;
    assert_eq!(other.status, 200);
    // After the wait (1 s after five failures), a burst of parallel guesses
    // gets one turn between them, not one each.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let burst = futures::future::join_all(
        (0..4).map(|i| attempt("wrong password!", format!("198.51.100.{}", 20 + i))),
    )
    .await;
    let mut statuses: Vec<u16> = burst.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [401, 429, 429, 429]);
    // Six in a row: 2 s. Then the owner gets in, and the count starts over.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = attempt("correct horse battery", "203.0.113.50".into()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = attempt("wrong password!", "203.0.113.50".into()).await;
    assert_eq!(res.status, 401, "a success starts the count over");
}

/// A budget of failed code lookups for all addresses together: many
/// addresses cannot add up to a brute-force pass.
async fn code_guesses_from_many_addresses_share_one_budget(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[
            ("trusted_proxies", "[\"127.0.0.0/8\"]"),
            ("rate_limits.invite_code", "\"100/1h\""),
            ("rate_limits.invite_code_global", "\"3/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let public = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "user", "tokenType": "code" }),
            &owner,
        )
        .await;
    let good = public.body["message"].as_str().unwrap().to_owned();
    let lookup = |code: &str, from: String| {
        let app = &app;
        let path = format!("/api/auth/invite/get?token={code}");
        async move {
            app.request(
                Method::GET,
                &path,
                None,
                &[("x-forwarded-for", from.as_str())],
            )
            .await
        }
    };
    assert_eq!(lookup(&good, "198.51.100.1".into()).await.status, 200);
    for i in 0..3 {
        let res = lookup("ABCD-EFGH", format!("198.51.100.{}", 10 + i)).await;
        assert_eq!(res.status, 404, "{}", res.text);
    }
    let res = lookup("ABCD-EFGH", "198.51.100.99".into()).await;
    assert_eq!(res.status, 429, "{}", res.text);
    let res = lookup(&good, "198.51.100.100".into()).await;
    assert_eq!(res.status, 429, "while the budget is spent, codes wait");
}

async fn set_role(
    app: &TestApp,
    cookie: &str,
    email: &str,
    role: &str,
) -> crate::support::Response {
    let id = user_id(app, email).await;
    app.post_with_cookie(
        "/api/auth/admin/set-role",
        json!({ "userId": id, "role": role }),
        cookie,
    )
    .await
}

async fn disable(app: &TestApp, cookie: &str, email: &str) -> crate::support::Response {
    let id = user_id(app, email).await;
    app.post_with_cookie(
        "/api/auth/admin/disable-user",
        json!({ "userId": id }),
        cookie,
    )
    .await
}

/// SPEC §3 "Accounts" 1: granting goes up to one's own rank; acting on an
/// account needs a rank above it; owners act on owners, but the last one
/// stays.
async fn only_a_higher_rank_acts_on_an_account(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    let ada = app.with_role("ada@example.com", "admin").await;
    app.with_role("bob@example.com", "admin").await;
    app.with_role("mel@example.com", "user").await;

    // One admin cannot demote or disable another.
    for res in [
        set_role(&app, &ada, "bob@example.com", "user").await,
        disable(&app, &ada, "bob@example.com").await,
    ] {
        assert_eq!(res.status, 403, "{}", res.text);
        assert_eq!(res.code(), "INSUFFICIENT_PERMISSIONS");
    }
    // Nor demote themselves.
    assert_eq!(
        set_role(&app, &ada, "ada@example.com", "user").await.status,
        403
    );
    // But an admin may grant up to their own rank to someone below them.
    let res = set_role(&app, &ada, "mel@example.com", "admin").await;
    assert_eq!(res.status, 200, "{}", res.text);
    // An owner acts on admins.
    assert_eq!(
        set_role(&app, &owner, "bob@example.com", "user")
            .await
            .status,
        200
    );
    // The list says which accounts the caller may act on.
    let list = app.get("/api/auth/admin/list-users", Some(&ada)).await;
    let manageable: Vec<(String, bool)> = list.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_owned(),
                u["manageable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        manageable.contains(&("bob@example.com".into(), true)),
        "{manageable:?}"
    );
    assert!(
        manageable.contains(&("mel@example.com".into(), false)),
        "{manageable:?}"
    );
    assert!(
        manageable.contains(&("owner@example.com".into(), false)),
        "{manageable:?}"
    );

    // The last owner can neither step down nor be disabled; with a second
    // owner, either may step down.
    let res = set_role(&app, &owner, "owner@example.com", "admin").await;
    assert_eq!(res.code(), "CANNOT_DEMOTE_LAST_OWNER", "{}", res.text);
    let second = app.with_role("second@example.com", "owner").await;
    assert_eq!(
        disable(&app, &second, "owner@example.com").await.status,
        200
    );
    let res = set_role(&app, &second, "second@example.com", "admin").await;
    assert_eq!(
        res.code(),
        "CANNOT_DEMOTE_LAST_OWNER",
        "a disabled owner does not count"
    );
}

/// Two owners demote each other at the same moment: one wins, the other is
/// refused, and an owner remains, whichever order the database picks.
async fn two_owners_demoting_each_other_leave_one(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    for round in 0..5 {
        let a_email = format!("a{round}@example.com");
        let b_email = format!("b{round}@example.com");
        let a = app.with_role(&a_email, "owner").await;
        let b = app.with_role(&b_email, "owner").await;
        // Only these two are owners this round.
        sqlx::query(
            "update users set role = 'admin' where role = 'owner' and email not in ($1, $2)",
        )
        .bind(&a_email)
        .bind(&b_email)
        .execute(&app.db)
        .await
        .unwrap();
        let (ra, rb) = tokio::join!(
            set_role(&app, &a, &b_email, "admin"),
            set_role(&app, &b, &a_email, "admin"),
        );
        let ok = [ra.status.as_u16(), rb.status.as_u16()];
        assert_eq!(
            ok.iter().filter(|s| **s == 200).count(),
            1,
            "{} / {}",
            ra.text,
            rb.text
        );
        assert!(
            ok.iter().all(|s| *s == 200 || *s == 403 || *s == 409),
            "{ok:?}"
        );
        let owners: i64 =
            sqlx::query_scalar("select count(*) from users where role = 'owner' and disabled = 0")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(owners, 1, "round {round}");
    }
}

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
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    // The first link was retired by the second.
    let first = crate::support::link_in(&mails[0], &app.base_url);
    let first_token = first
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
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

/// On https the session cookie is `__Host-` prefixed, and a plain-named
/// cookie (as a sibling subdomain could plant) is not a session.
async fn https_sessions_use_host_cookies(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[("base_url", "\"https://id.example.com\"")]).await
    else {
        return;
    };
    let res = app
        .sign_up("Hal", "hal@example.com", "correct horse battery")
        .await;
    assert_eq!(res.status, 200);
    let set_cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-gatehouse.session_token="))
        .expect("a __Host- cookie")
        .to_owned();
    assert!(set_cookie.contains("; Secure") && set_cookie.contains("Path=/"));
    assert!(!set_cookie.to_lowercase().contains("domain="));
    let token = res.body["token"].as_str().unwrap();
    let host = app
        .session(&format!("__Host-gatehouse.session_token={token}"))
        .await;
    assert_eq!(host.body["user"]["email"], "hal@example.com");
    let planted = app
        .session(&format!("gatehouse.session_token={token}"))
        .await;
    assert!(planted.is_no_session(), "{}", planted.text);
}

/// CORS with credentials for trusted origins only.
async fn cors_answers_trusted_origins_only(backend: Backend) {
    let Some(app) = TestApp::spawn(
        backend,
        &[("trusted_origins", "[\"https://app.example.com\"]")],
    )
    .await
    else {
        return;
    };
    for (origin, allowed) in [
        ("https://app.example.com", true),
        ("https://evil.example.net", false),
    ] {
        let preflight = app
            .request(
                Method::OPTIONS,
                "/api/auth/sign-in/email",
                None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
            )
            .await;
        let allow = preflight
            .headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        let credentials = preflight
            .headers
            .get("access-control-allow-credentials")
            .is_some();
        if allowed {
            assert_eq!(allow.as_deref(), Some(origin));
            assert!(credentials);
        } else {
            assert_eq!(allow, None, "{origin}");
        }
        let session = app
            .request(
                Method::GET,
                "/api/auth/get-session",
                None,
                &[("origin", origin)],
            )
            .await;
        assert_eq!(
            session.headers.get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}

/// A password reset answers the same, and at once, for known and unknown
/// addresses; the work happens after the answer. Strangers' reset requests
/// cannot spend the budget of an admin's invitations.
async fn resets_answer_alike_and_do_not_spend_admin_budgets(backend: Backend) {
    let Some(app) = TestApp::invite_only(
        backend,
        &[
            ("rate_limits.email_per_recipient", "\"2/1h\""),
            ("rate_limits.email_per_recipient_admin", "\"2/1h\""),
        ],
    )
    .await
    else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    app.with_role("bob@example.com", "user").await;
    let known = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "bob@example.com" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/request-password-reset",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    app.wait_for_emails("bob@example.com", 1).await;
    for _ in 0..3 {
        app.post(
            "/api/auth/request-password-reset",
            json!({ "email": "bob@example.com" }),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.emails_to("bob@example.com").await.len(),
        2,
        "the public budget"
    );
    // The admin's invitation to bob still goes out.
    let res = app
        .post_with_cookie(
            "/api/auth/invite/create",
            json!({ "role": "admin", "email": "bob@example.com" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.emails_to("bob@example.com").await.len(), 3);
}

/// `%` and `_` in a search are searched for, not wildcards.
async fn user_search_takes_wildcards_literally(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let owner = app.with_role("owner@example.com", "owner").await;
    app.signed_up("o_neil@example.com").await;
    app.signed_up("oxneil@example.com").await;
    app.signed_up("hundred%@example.com").await;
    for (search, expected) in [
        ("o_n", vec!["o_neil@example.com"]),
        ("d%", vec!["hundred%@example.com"]),
        ("neil", vec!["o_neil@example.com", "oxneil@example.com"]),
    ] {
        let res = app
            .get(
                &format!("/api/auth/admin/list-users?search={}", urlencode(search)),
                Some(&owner),
            )
            .await;
        let mut found: Vec<&str> = res.body["users"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", res.text))
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        found.sort();
        assert_eq!(found, expected, "{search}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every registered POST endpoint refuses a request from a foreign origin,
/// before it does anything.
#[tokio::test]
async fn every_post_route_refuses_a_foreign_origin() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await.unwrap();
    let routes: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method == Method::POST)
        .map(|(path, _)| path.to_owned())
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    let audited = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from audit_events")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let before = audited().await;
    for path in &routes {
        let res = app
            .request(
                Method::POST,
                path,
                Some("{}"),
                &[
                    ("origin", "https://evil.example.net"),
                    ("sec-fetch-site", "cross-site"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{path}: {}", res.text);
        assert_eq!(res.code(), "INVALID_ORIGIN", "{path}");
    }
    assert_eq!(audited().await, before, "nothing was done");
}

on_both_databases!(
    no_raw_secret_in_any_table,
    waiting_secrets_are_revealed_once_and_wiped_when_spent,
    forged_forwarded_for_does_not_escape_the_limit,
    failed_sign_ins_to_one_account_are_slowed,
    code_guesses_from_many_addresses_share_one_budget,
    only_a_higher_rank_acts_on_an_account,
    two_owners_demoting_each_other_leave_one,
    a_private_invitation_needs_a_verified_email,
    invitations_act_with_their_creators_authority,
    concurrent_first_runs_make_one_setup_link,
    https_sessions_use_host_cookies,
    cors_answers_trusted_origins_only,
    resets_answer_alike_and_do_not_spend_admin_budgets,
    user_search_takes_wildcards_literally,
    stored_unicode_domains_are_brought_to_ascii,
);
