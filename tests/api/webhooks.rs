//! Webhooks (issue 14): every audit event is delivered, signed, to the
//! endpoints that listen to it, through a durable outbox; a real receiver
//! started here checks each delivery.

use std::{collections::HashSet, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{
    receiver::{DownReceiver, Receiver},
    Backend, TestApp,
};

/// Fast retries, and the receivers of these tests live on 127.0.0.1.
const FAST: [(&str, &str); 4] = [
    ("webhooks.allow_private_networks", "true"),
    ("webhooks.poll_interval", "\"50ms\""),
    ("webhooks.retry_backoff", "\"100ms\""),
    ("webhooks.max_attempts", "3"),
];

async fn app(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    let mut settings = FAST.to_vec();
    settings.extend_from_slice(extra);
    TestApp::spawn(backend, &settings).await
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn add_webhook(app: &TestApp, owner: &str, url: &str, events: Value) -> (String, String) {
    let res = app
        .post_with_cookie(
            "/api/auth/admin/create-webhook",
            json!({ "url": url, "events": events, "description": "Test receiver" }),
            owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    (
        res.body["webhook"]["id"].as_str().unwrap().to_owned(),
        res.body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn set_role(app: &TestApp, owner: &str, user: &str, role: &str) {
    let res = app
        .post_with_cookie(
            "/api/auth/admin/set-role",
            json!({ "userId": user, "role": role }),
            owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn deliveries(app: &TestApp, owner: &str, webhook: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/auth/admin/list-webhook-deliveries?webhookId={webhook}"),
            Some(owner),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["deliveries"].as_array().unwrap().clone()
}

async fn deliveries_signed_and_shaped(backend: Backend) {
    let Some(app) = app(
        backend,
        &[("metrics_token", "\"a-token-of-sixteen-chars\"")],
    )
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    let owner = app.account("owner@example.com", "owner").await;
    app.account("ada@example.com", "user").await;
    let ada = user_id(&app, "ada@example.com").await;
    let (webhook, secret) = add_webhook(
        &app,
        &owner,
        &receiver.url(),
        json!(["user.set-role", "organization.*"]),
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    set_role(&app, &owner, &ada, "moderator").await;
    let res = app
        .post_with_cookie(
            "/api/auth/organization/create",
            json!({ "name": "Acme", "slug": "acme" }),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Not listened to: no delivery.
    app.sign_in("ada@example.com", "correct horse battery")
        .await;

    receiver.wait_for(2).await;
    // Time for anything that should not come to arrive anyway.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = receiver.received();
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(types.contains(&"user.set-role".to_owned()), "{types:?}");
    assert!(
        types.contains(&"organization.create".to_owned()),
        "{types:?}"
    );
    assert!(
        types
            .iter()
            .all(|t| t == "user.set-role" || t.starts_with("organization.")),
        "only what the webhook listens to: {types:?}"
    );
    let now = gatehouse::server::clock::now_ms() / 1000;
    for r in &got {
        assert!(r.signed_with(&secret), "signature of {}", r.body);
        assert!(!r.signed_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert_eq!(r.header("content-type"), "application/json");
        let body = r.json();
        assert_eq!(body["id"], r.header("webhook-id"));
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert!((now - ts).abs() < 60, "timestamp {ts} vs {now}");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(body["data"].is_object());
    }
    let role_change = got
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "user.set-role")
        .unwrap();
    assert_eq!(role_change["data"]["targetId"], ada.as_str());
    assert_eq!(role_change["data"]["after"]["role"], "moderator");
    // The event's id is the audit event's.
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_events where id = $1")
        .bind(role_change["id"].as_str().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // The owner sees each delivery as delivered, with the endpoint's answer.
    let listed = deliveries(&app, &owner, &webhook).await;
    assert_eq!(listed.len(), got.len());
    assert!(listed
        .iter()
        .all(|d| d["status"] == "delivered" && d["responseStatus"] == 200 && d["attempts"] == 1));

    // The webhook outbox is in the metrics.
    let metrics = app
        .request(
            Method::GET,
            "/metrics",
            None,
            &[("authorization", "Bearer a-token-of-sixteen-chars")],
        )
        .await;
    let line = metrics
        .text
        .lines()
        .find(|l| {
            l.starts_with("gatehouse_outbox_messages")
                && l.contains("queue=\"webhook\"")
                && l.contains("status=\"delivered\"")
        })
        .unwrap_or_else(|| panic!("{}", metrics.text));
    assert!(line.ends_with(&format!(" {}", got.len())), "{line}");
}

async fn down_then_up_delivers_once(backend: Backend) {
    let Some(app) = app(backend, &[("webhooks.max_attempts", "50")]).await else {
        return;
    };
    let down = DownReceiver::start();
    let owner = app.account("owner@example.com", "owner").await;
    app.account("ada@example.com", "user").await;
    let ada = user_id(&app, "ada@example.com").await;
    let (webhook, secret) = add_webhook(&app, &owner, &down.url(), json!(["user.*"])).await;
    set_role(&app, &owner, &ada, "moderator").await;

    // Refused while the receiver is down: queued again, with the reason.
    let attempts: i64 = app
        .wait_until(
            "select max(attempts) from webhook_deliveries where status = 'queued'",
            |n: &i64| *n >= 2,
        )
        .await;
    assert!(attempts >= 2);
    let error: String = sqlx::query_scalar("select last_error from webhook_deliveries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!error.is_empty());

    let receiver = down.come_up();
    let got = receiver.wait_for(1).await;
    app.wait_until(
        "select count(*) from webhook_deliveries where status = 'delivered'",
        |n: &i64| *n == 1,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered once");
    assert!(got[0].signed_with(&secret));
    assert_eq!(got[0].json()["type"], "user.set-role");
    let listed = deliveries(&app, &owner, &webhook).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["attempts"].as_i64().unwrap() >= 3);
}

async fn failing_endpoint_fails_then_replays(backend: Backend) {
    let Some(app) = app(backend, &[("webhooks.max_attempts", "2")]).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let owner = app.account("owner@example.com", "owner").await;
    app.account("ada@example.com", "user").await;
    let ada = user_id(&app, "ada@example.com").await;
    let (webhook, secret) = add_webhook(&app, &owner, &receiver.url(), json!(["*"])).await;
    set_role(&app, &owner, &ada, "admin").await;
    app.wait_until(
        "select count(*) from webhook_deliveries where status = 'failed' and event_type = 'user.set-role'",
        |n: &i64| *n == 1,
    )
    .await;
    let listed = deliveries(&app, &owner, &webhook).await;
    let failed = listed
        .iter()
        .find(|d| d["eventType"] == "user.set-role")
        .unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 2, "gave up after webhooks.max_attempts");
    assert_eq!(failed["responseStatus"], 500);
    assert!(failed["lastError"].as_str().unwrap().contains("500"));

    // A replay is a new delivery of the same event, under the same id.
    receiver.answer(204);
    let res = app
        .post_with_cookie(
            "/api/auth/admin/replay-webhook-delivery",
            json!({ "deliveryId": failed["id"] }),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["replayOf"], failed["id"]);
    assert_eq!(res.body["eventId"], failed["eventId"]);
    app.wait_until(
        "select count(*) from webhook_deliveries where status = 'delivered' and event_type = 'user.set-role'",
        |n: &i64| *n == 1,
    )
    .await;
    let same_event: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|r| r.header("webhook-id") == failed["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(same_event.len(), 3, "two failed attempts and the replay");
    assert!(same_event.iter().all(|r| r.signed_with(&secret)));
    assert!(same_event.windows(2).all(|w| w[0].body == w[1].body));

    // A queued delivery cannot be replayed; an unknown one is not found.
    let res = app
        .post_with_cookie(
            "/api/auth/admin/replay-webhook-delivery",
            json!({ "deliveryId": "nope" }),
            &owner,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (404, "DELIVERY_NOT_FOUND")
    );
}

/// A redirect is a failure: following it could lead anywhere.
async fn redirects_are_not_followed(backend: Backend) {
    let Some(app) = app(backend, &[("webhooks.max_attempts", "1")]).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(307);
    let owner = app.account("owner@example.com", "owner").await;
    let (webhook, _) = add_webhook(&app, &owner, &receiver.url(), json!(["webhook.*"])).await;
    // Its own creation is a webhook event.
    app.wait_until(
        "select count(*) from webhook_deliveries where status = 'failed'",
        |n: &i64| *n == 1,
    )
    .await;
    let listed = deliveries(&app, &owner, &webhook).await;
    assert_eq!(listed[0]["eventType"], "webhook.create");
    assert_eq!(listed[0]["responseStatus"], 307);
    let error = listed[0]["lastError"].as_str().unwrap();
    assert!(error.contains("redirects are not followed"), "{error}");
    assert_eq!(receiver.received().len(), 1);
}

async fn two_nodes_deliver_each_event_once(backend: Backend) {
    let Some(first) = app(backend, &[("webhooks.poll_interval", "\"20ms\"")]).await else {
        return;
    };
    let second = first
        .another_node(&[
            FAST[0],
            ("webhooks.poll_interval", "\"20ms\""),
            FAST[2],
            FAST[3],
        ])
        .await;
    let receiver = Receiver::start().await;
    let owner = first.account("owner@example.com", "owner").await;
    let (_, secret) = add_webhook(&first, &owner, &receiver.url(), json!(["user.*"])).await;
    // The webhook's own creation is not a user event.
    const N: usize = 40;
    let mut tx = second.store.begin().await.unwrap();
    for i in 0..N {
        let target = format!("user-{i}");
        gatehouse::audit::record(
            &mut tx,
            gatehouse::audit::Event::new("user.set-role")
                .target(&target)
                .after(json!({ "role": "moderator" })),
        )
        .await
        .unwrap();
    }
    // Both nodes poll the same table and find the batch at the same time.
    tx.commit().await.unwrap();
    first
        .wait_until(
            "select count(*) from webhook_deliveries where status = 'delivered'",
            |n: &i64| *n == N as i64,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = receiver.received();
    let ids: HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), N, "every event arrived");
    assert_eq!(got.len(), N, "and none twice");
    assert!(got.iter().all(|r| r.signed_with(&secret)));
}

async fn private_addresses_are_refused(backend: Backend) {
    // The default: private networks are not allowed.
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let owner = app.account("owner@example.com", "owner").await;
    for url in [
        "http://127.0.0.1:9000/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.7/",
    ] {
        let res = app
            .post_with_cookie(
                "/api/auth/admin/create-webhook",
                json!({ "url": url }),
                &owner,
            )
            .await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (400, "PRIVATE_ADDRESS_NOT_ALLOWED"),
            "{url}: {}",
            res.text
        );
        let res = app
            .post_with_cookie(
                "/api/auth/admin/create-webhook",
                json!({ "url": "https://hooks.example.com/in" }),
                &owner,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let id = res.body["webhook"]["id"].as_str().unwrap();
        let res = app
            .post_with_cookie(
                "/api/auth/admin/update-webhook",
                json!({ "webhookId": id, "url": url }),
                &owner,
            )
            .await;
        assert_eq!(res.code(), "PRIVATE_ADDRESS_NOT_ALLOWED", "{url}");
    }
    let none: i64 = sqlx::query_scalar(
        "select count(*) from webhooks where url like '%127.0.0.1%' or url like '%169.254%'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(none, 0);
    // Nor from the configuration: the start stops, naming the key.
    let err = gatehouse::config::Config::with_overrides(&[(
        "webhooks",
        "[{ url = \"http://169.254.169.254/\", secret = \"a secret of some length\" }]",
    )])
    .unwrap_err()
    .to_string();
    assert!(err.contains("webhooks[0].url"), "{err}");
    assert!(gatehouse::config::Config::with_overrides(&[
        ("webhooks.allow_private_networks", "true"),
        (
            "webhooks.endpoints",
            "[{ url = \"http://127.0.0.1:9/\", secret = \"a secret of some length\" }]"
        ),
    ])
    .is_ok());
}

async fn managing_webhooks(backend: Backend) {
    let receiver = Receiver::start().await;
    let configured = format!(
        "[{{ url = \"{}\", secret = \"a plain secret of some length\", events = [\"user.*\"], description = \"Billing\" }}]",
        receiver.url()
    );
    let Some(app) = app(backend, &[("webhooks.endpoints", configured.as_str())]).await else {
        return;
    };
    let owner = app.account("owner@example.com", "owner").await;
    let admin = app.account("admin@example.com", "admin").await;
    app.account("ada@example.com", "user").await;
    let ada = user_id(&app, "ada@example.com").await;

    // Owners only.
    let res = app.get("/api/auth/admin/list-webhooks", Some(&admin)).await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "FORBIDDEN"));
    let res = app.get("/api/auth/admin/list-webhooks", None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // The configured endpoint is listed, delivers with its plain secret,
    // and can be paused here but not changed.
    let res = app.get("/api/auth/admin/list-webhooks", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let hooks = res.body["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["source"], "config");
    assert_eq!(hooks[0]["events"], json!(["user.*"]));
    assert!(res.body["eventTypes"]
        .as_array()
        .unwrap()
        .contains(&json!("organization.member.add")));
    let configured_id = hooks[0]["id"].as_str().unwrap().to_owned();
    set_role(&app, &owner, &ada, "moderator").await;
    let got = receiver.wait_for(1).await;
    assert!(got[0].signed_with("a plain secret of some length"));
    let res = app
        .post_with_cookie(
            "/api/auth/admin/rotate-webhook-secret",
            json!({ "webhookId": configured_id }),
            &owner,
        )
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "WEBHOOK_FROM_CONFIG")
    );

    // Pausing: events meanwhile are not queued for it.
    let res = app
        .post_with_cookie(
            "/api/auth/admin/update-webhook",
            json!({ "webhookId": configured_id, "paused": true }),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["paused"], true);
    set_role(&app, &owner, &ada, "user").await;
    let queued: i64 =
        sqlx::query_scalar("select count(*) from webhook_deliveries where webhook_id = $1")
            .bind(&configured_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(queued, 1, "only the delivery from before the pause");

    // Bad input gets a specific refusal; nothing is written.
    for (body, code) in [
        (json!({}), "MISSING_FIELD"),
        (json!({ "url": "ftp://x.example.com" }), "INVALID_URL"),
        (json!({ "url": "https://u:p@x.example.com" }), "INVALID_URL"),
        (
            json!({ "url": "https://x.example.com", "events": ["user.deleted"] }),
            "INVALID_EVENTS",
        ),
        (
            json!({ "url": "https://x.example.com", "events": [] }),
            "INVALID_EVENTS",
        ),
    ] {
        let res = app
            .post_with_cookie("/api/auth/admin/create-webhook", body.clone(), &owner)
            .await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (400, code),
            "{body}: {}",
            res.text
        );
    }
    let count: i64 = sqlx::query_scalar("select count(*) from webhooks")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);

    // An owner's own: rotate gives a new secret that signs from then on;
    // removing it takes its deliveries along. All of it is audited.
    let (id, old) = add_webhook(&app, &owner, &receiver.url(), json!(["user.set-role"])).await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/rotate-webhook-secret",
            json!({ "webhookId": id }),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let new = res.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    set_role(&app, &owner, &ada, "moderator").await;
    let got = receiver.wait_for(2).await;
    // For a day both secrets sign, so a receiver switches without a gap.
    assert!(got[1].signed_with(&new) && got[1].signed_with(&old));
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 2);
    // After that, only the new one.
    sqlx::query("update webhooks set previous_secret_until = 0 where id = $1")
        .bind(&id)
        .execute(&app.db)
        .await
        .unwrap();
    set_role(&app, &owner, &ada, "user").await;
    let got = receiver.wait_for(3).await;
    assert!(got[2].signed_with(&new) && !got[2].signed_with(&old));
    let res = app
        .post_with_cookie(
            "/api/auth/admin/delete-webhook",
            json!({ "webhookId": id }),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let left: i64 =
        sqlx::query_scalar("select count(*) from webhook_deliveries where webhook_id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'webhook.%' order by created_at",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "webhook.update",
            "webhook.create",
            "webhook.rotate-secret",
            "webhook.delete"
        ]
    );
    // No secret in the audit log.
    let logged: Vec<Option<String>> =
        sqlx::query_scalar("select after_json from audit_events where action like 'webhook.%'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(logged.iter().flatten().all(|j| !j.contains("whsec_")));
    // The audit log names a webhook by its URL, under its own group.
    let res = app
        .get(
            "/api/auth/admin/list-audit-events?group=webhooks",
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let paused = res.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "webhook.update")
        .unwrap()
        .clone();
    // Only its origin: a receiver's path or query may hold a token.
    let origin = format!("http://127.0.0.1:{}", receiver.port);
    assert_eq!(paused["targetName"], origin.as_str());
    assert_eq!(paused["after"]["endpoint"], origin.as_str());
    assert!(!res.text.contains("/hooks/gatehouse"), "{}", res.text);
    assert_eq!(paused["after"]["paused"], true);
}

/// Posts one of `/admin/webhooks`'s forms as a browser would, from
/// `origin`: the answer's status, where it sends the browser, and the flash
/// cookie it set (`name=value`, empty when none).
async fn post_form(
    app: &TestApp,
    cookie: &str,
    origin: &str,
    form: &str,
) -> (StatusCode, String, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/admin/webhooks", app.base_url))
        .header("cookie", cookie)
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let flash = header("set-cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    (res.status(), header("location"), flash)
}

/// The page's forms work without JavaScript: add redirects to the new
/// webhook, whose page shows the secret once.
async fn the_page_adds_a_webhook(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let owner = app.account("owner@example.com", "owner").await;
    let receiver = Receiver::start().await;
    let form = format!(
        "action=create&url={}&description=Billing&events=user.set-role&events=organization.*",
        percent_encoding::utf8_percent_encode(&receiver.url(), percent_encoding::NON_ALPHANUMERIC)
    );
    // No body: a refusal, said on the page.
    let (status, _, _) = post_form(&app, &owner, &app.base_url, "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // No event ticked: refused, and the typed URL comes back to the form.
    let (_, to, flash) = post_form(
        &app,
        &owner,
        &app.base_url,
        "action=create&url=https%3A%2F%2Fhooks.example.com%2Fin",
    )
    .await;
    assert_eq!(to, "/admin/webhooks");
    let page = app
        .get("/admin/webhooks", Some(&format!("{owner}; {flash}")))
        .await;
    assert!(
        page.text.contains("choose at least one event"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("value=\"https://hooks.example.com/in\""),
        "{}",
        page.text
    );
    let (status, to, flash) = post_form(&app, &owner, &app.base_url, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/admin/webhooks/"), "{to}");
    assert!(flash.starts_with("gatehouse_webhook_flash="));
    // The flash is its maker's alone: not for someone signed out, nor for
    // another owner who got hold of the cookie.
    let res = app
        .get("/api/auth/gatehouse/webhook-flash", Some(&flash))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    let other = app.account("other-owner@example.com", "owner").await;
    let res = app
        .get(
            "/api/auth/gatehouse/webhook-flash",
            Some(&format!("{other}; {flash}")),
        )
        .await;
    assert_eq!((res.status, res.text.trim()), (StatusCode::OK, "null"));
    let cookies = format!("{owner}; {flash}");
    let page = app.get(&to, Some(&cookies)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.text.contains("Signing secret"), "{}", page.text);
    assert!(page.text.contains("whsec_"));
    assert!(page.text.contains(&receiver.url()));
    // The flash is cleared as it is read.
    let cleared = page
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("gatehouse_webhook_flash=;"));
    assert!(cleared);
    let again = app.get(&to, Some(&owner)).await;
    assert!(!again.text.contains("webhook-secret"), "shown once");

    // Rotating and pausing from the page, each back to the webhook.
    let id = to.trim_start_matches("/admin/webhooks/").to_owned();
    for (action, says) in [
        ("rotate", "New signing secret"),
        ("pause", "Paused"),
        ("resume", "Resumed"),
    ] {
        let form = format!("action={action}&webhookId={id}");
        let (_, back, flash) = post_form(&app, &owner, &app.base_url, &form).await;
        assert_eq!(back, to);
        let page = app.get(&to, Some(&format!("{owner}; {flash}"))).await;
        assert!(page.text.contains(says), "{action}: {}", page.text);
        assert_eq!(
            page.text.contains("webhook-secret"),
            action == "rotate",
            "{action}"
        );
    }

    let stored: Vec<String> = sqlx::query_scalar("select event from webhook_events order by event")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, ["organization.*", "user.set-role"]);
    let list = app.get("/admin/webhooks", Some(&owner)).await;
    assert!(list.text.contains("Billing"), "{}", list.text);

    // A form from elsewhere is refused before it does anything.
    let (status, _, _) = post_form(
        &app,
        &owner,
        "https://evil.example.com",
        "action=create&url=https%3A%2F%2Fevil.example.com%2F",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Someone without webhook:manage is told so on the page.
    let admin = app.account("admin@example.com", "admin").await;
    let page = app.get("/admin/webhooks", Some(&admin)).await;
    assert!(page.text.contains("managed by owners"), "{}", page.text);
}

async fn delivered_webhooks_are_pruned(backend: Backend) {
    let Some(app) = app(backend, &[]).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let owner = app.account("owner@example.com", "owner").await;
    app.account("ada@example.com", "user").await;
    let ada = user_id(&app, "ada@example.com").await;
    add_webhook(&app, &owner, &receiver.url(), json!(["*"])).await;
    set_role(&app, &owner, &ada, "moderator").await;
    app.wait_until(
        "select count(*) from webhook_deliveries where status = 'delivered' and event_type = 'user.set-role'",
        |n: &i64| *n == 1,
    )
    .await;
    let now = gatehouse::server::clock::now_ms();
    let kept = gatehouse::startup::retention::prune(&app.store, &app.config.retention, now)
        .await
        .unwrap();
    assert_eq!(kept.webhook_deliveries, 0, "younger than 30 days");
    let later = now + 31 * 24 * 3600 * 1000;
    let pruned = gatehouse::startup::retention::prune(&app.store, &app.config.retention, later)
        .await
        .unwrap();
    assert!(pruned.webhook_deliveries >= 1);
    // A failed one goes too; one still waiting for its turn stays.
    let mut tx = app.store.begin().await.unwrap();
    for status in ["failed", "queued"] {
        sqlx::query(
            "insert into webhook_deliveries (id, webhook_id, event_id, event_type, payload, status,
                 attempts, next_attempt_at, created_at, updated_at)
             select $1, id, 'e', 'user.set-role', '{}', $1, 1, 9223372036854775807, 0, 0 from webhooks",
        )
        .bind(status)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let pruned = gatehouse::startup::retention::prune(&app.store, &app.config.retention, later)
        .await
        .unwrap();
    assert_eq!(pruned.webhook_deliveries, 1, "the failed one");
    let left: Vec<String> = sqlx::query_scalar("select status from webhook_deliveries")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(left, ["queued"]);
}

on_both_databases!(
    deliveries_signed_and_shaped,
    down_then_up_delivers_once,
    failing_endpoint_fails_then_replays,
    redirects_are_not_followed,
    two_nodes_deliver_each_event_once,
    private_addresses_are_refused,
    managing_webhooks,
    the_page_adds_a_webhook,
    delivered_webhooks_are_pruned,
);
