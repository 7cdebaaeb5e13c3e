//! What the organization tests share: calls to `/api/auth/organization/…`
//! and an organization with an owner, an admin and a member.

use serde_json::{json, Value};

use super::{link_in, Response, TestApp};

/// `(status, code)` of an answer, to compare refusals in one line.
pub fn refusal(res: &Response) -> (u16, &str) {
    (res.status.as_u16(), res.code())
}

/// `POST /api/auth/organization/{endpoint}` as the holder of `cookie`.
pub async fn post(app: &TestApp, cookie: &str, endpoint: &str, body: Value) -> Response {
    app.post_with_cookie(&format!("/api/auth/organization/{endpoint}"), body, cookie)
        .await
}

/// `GET /api/auth/organization/{endpoint}` (query included).
pub async fn get(app: &TestApp, cookie: &str, endpoint: &str) -> Response {
    app.get(&format!("/api/auth/organization/{endpoint}"), Some(cookie))
        .await
}

/// `email` (a new verified account) invited into `org` with `role` and
/// accepted; their cookie.
pub async fn join(app: &TestApp, inviter: &str, org: &str, email: &str, role: Value) -> String {
    let cookie = app.account(email, "user").await;
    let invited = post(
        app,
        inviter,
        "invite-member",
        json!({ "email": email, "role": role, "organizationId": org }),
    )
    .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    let res = post(
        app,
        &cookie,
        "accept-invitation",
        json!({ "invitationId": invited.body["id"] }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    cookie
}

/// `Acme` (slug `acme`), owned by `owner@example.com`, with
/// `admin@example.com` as admin and `member@example.com` as member, both
/// joined by invitation: its id and the three cookies.
pub async fn acme(app: &TestApp) -> (String, String, String, String) {
    let owner = app.account("owner@example.com", "user").await;
    let res = post(
        app,
        &owner,
        "create",
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let admin = join(app, &owner, &id, "admin@example.com", json!("admin")).await;
    let member = join(app, &owner, &id, "member@example.com", json!("member")).await;
    (id, owner, admin, member)
}

/// The secret of the newest invitation link emailed to `to`.
pub async fn secret_sent_to(app: &TestApp, to: &str) -> String {
    let emails = app.emails_to(to).await;
    let link = link_in(emails.last().expect("an email"), &app.base_url);
    link.rsplit('/').next().unwrap().to_owned()
}
