//! Running Gatehouse as a service: stopping it gracefully, and failing fast
//! (then recovering) when the database goes away.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::json;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{postgres_admin_url, Backend, TestApp};

/// `gatehouse serve` as a process on a fresh SQLite database in `dir`, on a
/// free port, open sign-up, with `env` besides; its log on standard error.
fn serve(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .env("GATEHOUSE_BIND", "127.0.0.1:0")
        .env(
            "GATEHOUSE_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GATEHOUSE_SIGN_UP_MODE", "open")
        .env(
            "GATEHOUSE_SECRET_KEY",
            crate::support::TEST_SECRET_KEY.trim_matches('"'),
        )
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the gatehouse binary starts")
}

/// SIGTERM during a burst of requests: every request in flight gets its
/// answer, new connections are refused, and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_requests_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&dir, &[("GATEHOUSE_RATE_LIMITS__SIGN_IN", "1000/1m")]);

    // The address is in the "ready" line of the log.
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = log.next_line().await.unwrap() {
            if let Some(rest) = line.split("(listening on ").nth(1) {
                return rest.trim_end_matches(')').to_owned();
            }
        }
        panic!("the server exited before it was ready");
    })
    .await
    .expect("the server gets ready");
    let log_rest = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Ok(Some(line)) = log.next_line().await {
            lines.push(line);
        }
        lines
    });

    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    // Three accounts, four sign-ins each: one account takes five attempts
    // at once before it must wait (SPEC §8, per-account sign-in turns).
    for n in 0..3 {
        let signed_up = client
            .post(format!("{base}/api/auth/sign-up/email"))
            .json(&json!({ "name": "Term", "email": format!("term{n}@example.com"), "password": "correct horse battery" }))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_up.status(), 200);
    }

    // Each sign-in runs argon2, and they queue for the cores: when the
    // signal arrives most are still waiting or hashing.
    let burst: Vec<_> = (0..24)
        .map(|i| {
            let client = client.clone();
            let url = format!("{base}/api/auth/sign-in/email");
            // Wrong passwords go to accounts of their own.
            let (email, password) = if i % 2 == 0 {
                (
                    format!("term{}@example.com", i % 3),
                    "correct horse battery",
                )
            } else {
                (format!("nobody{i}@example.com"), "wrong horse battery")
            };
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({ "email": email, "password": password }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let pid = child.id().expect("still running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    let mut answers = Vec::new();
    for request in burst {
        answers.push(request.await.unwrap());
    }
    let statuses: Vec<u16> = answers
        .iter()
        .map(|a| {
            *a.as_ref()
                .unwrap_or_else(|e| panic!("a request in flight got no answer: {e}"))
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        12,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        12,
        "{statuses:?}"
    );

    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the server exits after its requests are done")
        .unwrap();
    let log = log_rest.await.unwrap().join("\n");
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "nothing listens after the exit"
    );
}

/// The PostgreSQL database disappears under a running server: `/healthz`
/// and API calls answer 503 within 2 s instead of hanging, and once a
/// database is back the same server is healthy again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_loss_fails_fast_and_recovers() {
    let Some(app) = TestApp::spawn(Backend::Postgres, &[]).await else {
        return;
    };
    let cookie = app.signed_up("pg@example.com").await;
    assert_eq!(app.get("/healthz", None).await.status, 200);

    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::AnyConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();

    for (path, cookie) in [
        ("/healthz", None),
        ("/api/auth/get-session", Some(cookie.as_str())),
    ] {
        let started = Instant::now();
        let res = app.get(path, cookie).await;
        let took = started.elapsed();
        assert_eq!(res.status, 503, "{path}: {}", res.text);
        assert!(took < Duration::from_secs(2), "{path} took {took:?}");
        if path != "/healthz" {
            assert_eq!(res.code(), "SERVICE_UNAVAILABLE", "{}", res.text);
        }
    }
    let started = Instant::now();
    let sign_in = app.sign_in("pg@example.com", "correct horse battery").await;
    assert_eq!(sign_in.status, 503, "{}", sign_in.text);
    assert!(started.elapsed() < Duration::from_secs(2));

    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get("/healthz", None).await.status != 200 {
        assert!(Instant::now() < deadline, "the server never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `gatehouse backup PATH` while the server runs: the copy opens and holds
/// the same rows; it never overwrites; PostgreSQL is sent to pg_dump.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_writes_a_copy_that_opens_with_the_same_rows() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await.unwrap();
    app.account("ada@example.com", "user").await;
    app.account("bob@example.com", "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let run = |database_url: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["backup", copy.to_str().unwrap()])
            .env("GATEHOUSE_DATABASE_URL", database_url)
            .env(
                "GATEHOUSE_SECRET_KEY",
                crate::support::TEST_SECRET_KEY.trim_matches('"'),
            )
            .output()
            .unwrap()
    };
    let output = run(&app.database_url);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let copied = format!("sqlite://{}", copy.display());
    let mut conn = sqlx::AnyConnection::connect(&copied).await.unwrap();
    let emails: Vec<String> = sqlx::query_scalar("select email from users order by email")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(emails, ["ada@example.com", "bob@example.com"]);
    let count = |sql: &'static str| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&app.db)
                .await
                .unwrap()
        }
    };
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(sessions, count("select count(*) from sessions").await);
    // The copy is a Gatehouse database a server starts on.
    let restored = TestApp::on_database(&copied, &[]).await;
    let res = restored
        .post(
            "/api/auth/sign-in/email",
            json!({ "email": "ada@example.com", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let again = run(&app.database_url);
    assert!(!again.status.success(), "it never overwrites");
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
}

/// `log_format = "json"`: every line of the log is a JSON object, and a
/// request's lines carry the id its response returns as `x-request-id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_logs_carry_the_request_id_the_response_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&dir, &[("GATEHOUSE_LOG_FORMAT", "json")]);
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen: Vec<serde_json::Value> = Vec::new();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = log.next_line().await.unwrap() {
            let entry: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
            let message = entry["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            seen.push(entry);
            if let Some(rest) = message.split("(listening on ").nth(1) {
                return rest.trim_end_matches(')').to_owned();
            }
        }
        panic!("the server exited before it was ready");
    })
    .await
    .expect("the server gets ready");

    // A refused permission is logged inside its request.
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let signed_up = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&json!({ "name": "Lou", "email": "lou@example.com", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    let cookie = signed_up.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let refused = client
        .get(format!("{base}/api/auth/admin/list-users"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let id = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(id.len() >= 20, "{id}");

    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = log.next_line().await.unwrap() {
            let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
            if entry["fields"]["message"] == "permission refused" {
                return entry;
            }
        }
        panic!("no permission refused line");
    })
    .await
    .expect("the refusal is logged");
    assert_eq!(found["span"]["request_id"], id.as_str(), "{found}");
    assert_eq!(found["span"]["path"], "/api/auth/admin/list-users");
}

/// `GET /metrics`: refused without the token, and with it Prometheus text
/// that counts a request made here by its route pattern, never its path.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_are_prometheus_text_for_the_token_only() {
    const TOKEN: &str = "metrics-token-for-the-test-0123";
    let app = TestApp::spawn(
        Backend::Sqlite,
        &[("metrics_token", &format!("\"{TOKEN}\""))],
    )
    .await
    .unwrap();
    let scrape = |auth: Option<String>| {
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = match &auth {
                Some(a) => vec![("authorization", a.as_str())],
                None => vec![],
            };
            app.request(reqwest::Method::GET, "/metrics", None, &headers)
                .await
        }
    };
    assert_eq!(scrape(None).await.status, 401);
    assert_eq!(
        scrape(Some("Bearer wrong-token-0123456789".into()))
            .await
            .status,
        401
    );

    // A request with a secret in its path is counted under its pattern.
    let page = app.get("/invite/not-a-real-secret-0123456789", None).await;
    assert_eq!(page.status, 200);
    app.get("/api/auth/get-session", None).await;
    let res = scrape(Some(format!("Bearer {TOKEN}"))).await;
    assert_eq!(res.status, 200);
    assert!(res.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text;
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample line: {line}");
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
    }
    let counted = |route: &str| {
        text.lines().any(|l| {
            l.starts_with("gatehouse_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains("status=\"200\"")
        })
    };
    assert!(counted("/api/auth/get-session"), "{text}");
    assert!(
        counted("/invite/{token}") || counted("/invite/:token"),
        "{text}"
    );
    assert!(
        !text.contains("not-a-real-secret"),
        "no path carries into the metrics"
    );
    assert!(text.contains("gatehouse_http_request_duration_seconds_bucket"));
    assert!(text.contains("gatehouse_db_pool_connections"));

    // Without a token configured there are no metrics at all.
    let plain = TestApp::spawn(Backend::Sqlite, &[]).await.unwrap();
    let res = plain
        .request(
            reqwest::Method::GET,
            "/metrics",
            None,
            &[("authorization", &format!("Bearer {TOKEN}"))],
        )
        .await;
    assert_eq!(res.status, 404);
}

/// Retention: sent emails and spent tokens past their time go; recent ones,
/// unsent ones and (unless configured) audit events stay.
async fn retention_prunes_what_is_done_with(backend: Backend) {
    use gatehouse::{config::RetentionSettings, startup::retention};
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let user = {
        app.account("ada@example.com", "user").await;
        sqlx::query_scalar::<_, String>("select id from users where email = 'ada@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let day: i64 = 86_400_000;
    let now = gatehouse::server::clock::now_ms();
    for (id, status, sent_at) in [
        ("old-sent", "sent", Some(now - 40 * day)),
        ("new-sent", "sent", Some(now - day)),
        ("old-queued", "queued", None),
    ] {
        sqlx::query(
            "insert into outbound_emails (id, recipient, subject, text_body, html_body, kind, status, next_attempt_at, created_at, updated_at, sent_at)
             values ($1, 'ada@example.com', 's', 't', 'h', 'email-verification', $2, 0, $3, $3, $4)",
        )
        .bind(id)
        .bind(status)
        .bind(now - 40 * day)
        .bind(sent_at)
        .execute(&app.db)
        .await
        .unwrap();
    }
    for (hash, expires_at, used_at) in [
        ("spent-long-ago", now - 20 * day, Some(now - 20 * day)),
        ("expired-long-ago", now - 10 * day, None),
        ("live", now + day, None),
    ] {
        sqlx::query(
            "insert into password_resets (token_hash, user_id, expires_at, used_at, created_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(hash)
        .bind(&user)
        .bind(expires_at)
        .bind(used_at)
        .bind(now - 30 * day)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let audit_before: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(audit_before > 0);

    let mut settings = app.config.retention.clone();
    let pruned = retention::prune(&app.store, &settings, now).await.unwrap();
    // The server's own maintenance pass runs once as it starts, in the
    // background, and on a busy machine it may come after the inserts and
    // prune them first: what is left below is what counts.
    assert!(
        pruned.emails <= 1 && pruned.tokens <= 2 && pruned.audit_events == 0,
        "{pruned:?}"
    );
    let emails: Vec<String> =
        sqlx::query_scalar("select id from outbound_emails where id like '%-%' order by id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(emails, ["new-sent", "old-queued"]);
    let tokens: Vec<String> = sqlx::query_scalar("select token_hash from password_resets")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens, ["live"]);

    // Audit events go only when configured, and only the old ones.
    settings = RetentionSettings {
        audit_events: Some(Duration::from_secs(3600)),
        ..settings
    };
    let pruned = retention::prune(&app.store, &settings, now + 2 * 3_600_000)
        .await
        .unwrap();
    assert_eq!(pruned.audit_events as i64, audit_before);
    assert_eq!(
        retention::prune(&app.store, &settings, now).await.unwrap(),
        retention::Pruned::default()
    );
}

on_both_databases!(retention_prunes_what_is_done_with,);
