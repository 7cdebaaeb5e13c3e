//! Two-factor authentication (issue 27, third part; Better Auth's
//! `twoFactor` shapes), on SQLite and PostgreSQL: an app's codes computed
//! here as the phone would, from the `otpauth://` URI.

use serde_json::{json, Value};
use totp_rs::TOTP;

use crate::support::{Backend, Response, TestApp};

const PASSWORD: &str = "correct horse battery";

/// The code the app shows `ahead` steps from now.
fn code(uri: &str, ahead: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    TOTP::from_url(uri)
        .expect("an otpauth URI")
        .generate(now + 30 * ahead)
}

/// `name=value` of the cookie `name` the response set.
fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .filter(|c| !c.ends_with('='))
}

async fn post(app: &TestApp, path: &str, body: Value, cookie: Option<&str>) -> Response {
    match cookie {
        Some(c) => app.post_with_cookie(path, body, c).await,
        None => app.post(path, body).await,
    }
}

/// Signs in; answers the challenge cookie a second step needs.
async fn challenged(app: &TestApp, trust: Option<&str>) -> String {
    let body = json!({ "email": "ada@example.com", "password": PASSWORD });
    let res = post(app, "/api/auth/sign-in/email", body, trust).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["twoFactorRedirect"], true, "{}", res.text);
    assert_eq!(res.body["twoFactorMethods"], json!(["totp"]));
    assert_eq!(res.body["twoFactorUrl"], "/sign-in/two-factor");
    assert!(
        res.session_cookie().is_none(),
        "no session before the second step"
    );
    set_cookie(&res, "gatehouse.two_factor").expect("the challenge's cookie")
}

async fn two_factor_guards_sign_in_with_codes_that_work_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.account("ada@example.com", "user").await;
    let enable = |password: &str| {
        let (app, ada, body) = (&app, ada.clone(), json!({ "password": password }));
        async move { post(app, "/api/auth/two-factor/enable", body, Some(&ada)).await }
    };
    assert_eq!(enable("guess").await.code(), "INVALID_PASSWORD");
    let res = enable(PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let uri = res.body["totpURI"].as_str().unwrap().to_owned();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let backup: Vec<String> = serde_json::from_value(res.body["backupCodes"].clone()).unwrap();
    assert_eq!(backup.len(), 10);

    // Not on until the first code: sign-in is as before.
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    assert!(res.session_cookie().is_some(), "{}", res.text);
    assert_eq!(res.body["user"]["twoFactorEnabled"], false);
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(status.body["enabled"], false);
    assert_eq!(status.body["setup"]["backupCodes"], json!(backup));

    let verify = |code: String, cookie: String| {
        let app = &app;
        async move {
            post(
                app,
                "/api/auth/two-factor/verify-totp",
                json!({ "code": code }),
                Some(&cookie),
            )
            .await
        }
    };
    let wrong = if code(&uri, 0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    assert_eq!(
        verify(wrong.into(), ada.clone()).await.code(),
        "INVALID_CODE"
    );
    let first = code(&uri, 0);
    let res = verify(first.clone(), ada.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["twoFactorEnabled"], true);
    assert_eq!(enable(PASSWORD).await.code(), "TWO_FACTOR_ALREADY_ENABLED");
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(status.body["enabled"], true);
    assert_eq!(status.body["backupCodesLeft"], 10);
    assert!(
        status.body["setup"].is_null(),
        "the codes are not shown again"
    );

    // Sign-in now stops at the second step; the code that turned it on
    // is spent, and so is every code of its time step or before.
    let challenge = challenged(&app, None).await;
    let res = verify(first, challenge.clone()).await;
    assert_eq!(res.code(), "INVALID_CODE", "a code is accepted once");
    let res = post(
        &app,
        "/api/auth/two-factor/verify-totp",
        json!({ "code": code(&uri, 1), "trustDevice": true }),
        Some(&challenge),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let session = res.session_cookie().expect("a session");
    assert_eq!(
        app.session(&session).await.body["user"]["email"],
        "ada@example.com"
    );
    let trusted = set_cookie(&res, "gatehouse.trust_device").expect("a trusted device");
    assert_eq!(
        verify(code(&uri, 1), challenge).await.code(),
        "INVALID_TWO_FACTOR_COOKIE",
        "the challenge is spent"
    );

    // A trusted device skips the step; another does not.
    let res = post(
        &app,
        "/api/auth/sign-in/email",
        json!({ "email": "ada@example.com", "password": PASSWORD }),
        Some(&trusted),
    )
    .await;
    assert!(res.session_cookie().is_some(), "{}", res.text);

    // A backup code, once.
    let challenge = challenged(&app, None).await;
    let with_backup = |code: &str, cookie: &str| {
        let (app, body, cookie) = (&app, json!({ "code": code }), cookie.to_owned());
        async move {
            post(
                app,
                "/api/auth/two-factor/verify-backup-code",
                body,
                Some(&cookie),
            )
            .await
        }
    };
    let res = with_backup(&backup[3].to_uppercase(), &challenge).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let challenge = challenged(&app, None).await;
    assert_eq!(
        with_backup(&backup[3], &challenge).await.code(),
        "INVALID_BACKUP_CODE"
    );
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(status.body["backupCodesLeft"], 9);

    // New codes replace the old; the URI again, with the password.
    let res = post(
        &app,
        "/api/auth/two-factor/generate-backup-codes",
        json!({ "password": PASSWORD }),
        Some(&ada),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["backupCodes"].as_array().unwrap().len(), 10);
    assert_eq!(
        with_backup(&backup[4], &challenge).await.code(),
        "INVALID_BACKUP_CODE"
    );
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(
        status.body["newBackupCodes"],
        json!([]),
        "a client's are not kept"
    );
    // The page's form asks for them to be shown until they are saved.
    let res = post(
        &app,
        "/api/auth/two-factor/generate-backup-codes",
        json!({ "password": PASSWORD, "showOnPage": true }),
        Some(&ada),
    )
    .await;
    let fresh = res.body["backupCodes"].clone();
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(status.body["newBackupCodes"], fresh);
    assert_eq!(status.body["backupCodesLeft"], 10);
    let res = post(
        &app,
        "/api/auth/two-factor/hide-backup-codes",
        json!({}),
        Some(&ada),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let status = app.get("/api/auth/two-factor/status", Some(&ada)).await;
    assert_eq!(status.body["newBackupCodes"], json!([]));
    let res = post(
        &app,
        "/api/auth/two-factor/get-totp-uri",
        json!({ "password": PASSWORD }),
        Some(&ada),
    )
    .await;
    assert_eq!(res.body["totpURI"], uri.as_str());

    // Off, with the password: sign-in is one step again.
    let res = post(
        &app,
        "/api/auth/two-factor/disable",
        json!({ "password": "guess" }),
        Some(&ada),
    )
    .await;
    assert_eq!(res.code(), "INVALID_PASSWORD");
    let res = post(
        &app,
        "/api/auth/two-factor/disable",
        json!({ "password": PASSWORD }),
        Some(&ada),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    assert!(res.session_cookie().is_some(), "{}", res.text);
    let res = post(
        &app,
        "/api/auth/sign-in/email",
        json!({ "email": "ada@example.com", "password": PASSWORD }),
        Some(&trusted),
    )
    .await;
    assert!(res.session_cookie().is_some());

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'user.two-factor%' order by created_at, id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.two-factor-enable",
            "user.two-factor-backup-codes",
            "user.two-factor-backup-codes",
            "user.two-factor-disable"
        ]
    );
}

async fn wrong_codes_end_the_sign_in_and_then_lock_the_account_for_a_while(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let ada = app.account("ada@example.com", "user").await;
    let res = post(
        &app,
        "/api/auth/two-factor/enable",
        json!({ "password": PASSWORD }),
        Some(&ada),
    )
    .await;
    let uri = res.body["totpURI"].as_str().unwrap().to_owned();
    let res = post(
        &app,
        "/api/auth/two-factor/verify-totp",
        json!({ "code": code(&uri, 0) }),
        Some(&ada),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let challenge = challenged(&app, None).await;
    let right = code(&uri, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (1..=4).rev() {
        let res = post(
            &app,
            "/api/auth/two-factor/verify-totp",
            json!({ "code": wrong }),
            Some(&challenge),
        )
        .await;
        assert_eq!(res.code(), "INVALID_CODE");
        assert!(
            res.body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{left} tr")),
            "{}",
            res.text
        );
    }
    let res = post(
        &app,
        "/api/auth/two-factor/verify-totp",
        json!({ "code": wrong }),
        Some(&challenge),
    )
    .await;
    assert_eq!(res.code(), "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE");
    let res = post(
        &app,
        "/api/auth/two-factor/verify-totp",
        json!({ "code": right }),
        Some(&challenge),
    )
    .await;
    assert_eq!(
        res.code(),
        "INVALID_TWO_FACTOR_COOKIE",
        "that sign-in is over"
    );

    // A new sign-in's right code waits its turn: the account is locked
    // for a while after the failures in a row.
    let challenge = challenged(&app, None).await;
    let res = post(
        &app,
        "/api/auth/two-factor/verify-totp",
        json!({ "code": right }),
        Some(&challenge),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (429, "TOO_MANY_REQUESTS")
    );
    assert!(res.headers.get("retry-after").is_some());
}

on_both_databases!(
    two_factor_guards_sign_in_with_codes_that_work_once,
    wrong_codes_end_the_sign_in_and_then_lock_the_account_for_a_while,
);
