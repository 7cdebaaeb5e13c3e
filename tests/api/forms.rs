//! Forms without JavaScript (issue 24): a page's form posts urlencoded to
//! its server function's path, and the answer is a page's: a redirect on,
//! with the function's cookies, or back with the error and the typed
//! fields sealed in a cookie that the page shows once.

use reqwest::{header, Method};

use crate::support::{Backend, Response, TestApp};

const PASSWORD: &str = "correct horse battery";

/// A browser's form post: urlencoded, from the page's own origin.
async fn post_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut headers = vec![
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", app.base_url.as_str()),
        ("accept", "text/html"),
    ];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    app.raw(Method::POST, path, &body, &headers).await
}

fn location(res: &Response) -> &str {
    res.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The form cookie the answer set, as `name=value`.
fn form_cookie(res: &Response) -> Option<String> {
    cookie_named(res, "gatehouse_form")
}

/// The cookie `name` the answer set, as `name=value`.
fn cookie_named(res: &Response, name: &str) -> Option<String> {
    set_cookies(res)
        .find(|c| c.starts_with(&format!("{name}=")) && !c.starts_with(&format!("{name}=;")))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// Whether the answer removed the cookie `name`: a sealed cookie is read
/// once.
fn cleared(res: &Response, name: &str) -> bool {
    set_cookies(res).any(|c| c.starts_with(&format!("{name}=;")) && c.contains("Max-Age=0"))
}

fn set_cookies(res: &Response) -> impl Iterator<Item = &str> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

/// Sign-in: the right password goes on with a session; a wrong one comes
/// back to the page, which says why and keeps the address, once.
async fn sign_in_works_without_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;

    let ok = post_form(
        &app,
        "/api/auth/sign-in/email",
        &[
            ("_back", "/sign-in"),
            ("_next", "/welcome"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ],
        None,
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(location(&ok), "/welcome");
    let session = ok.session_cookie().expect("a session");
    assert_eq!(
        app.session(&session).await.body["user"]["email"],
        "ada@example.com"
    );

    let wrong = post_form(
        &app,
        "/api/auth/sign-in/email",
        &[
            ("_back", "/sign-in?redirectTo=/welcome"),
            ("email", "ada@example.com"),
            ("password", "not the password"),
        ],
        None,
    )
    .await;
    assert_eq!(wrong.status, 303);
    assert_eq!(location(&wrong), "/sign-in?redirectTo=/welcome");
    assert!(wrong.session_cookie().is_none());
    let flash = form_cookie(&wrong).expect("the error goes back sealed");
    assert!(!flash.contains("ada"), "sealed, not readable: {flash}");

    let page = app.get("/sign-in?redirectTo=/welcome", Some(&flash)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("Invalid email or password"),
        "the error is shown"
    );
    assert!(
        page.text.contains("value=\"ada@example.com\""),
        "the address is kept"
    );
    assert!(
        !page.text.contains("not the password"),
        "a password never comes back"
    );
    assert!(cleared(&page, "gatehouse_form"), "read once");

    // Only the page it was made for shows it.
    let other = app.get("/sign-up", Some(&flash)).await;
    assert!(!other.text.contains("Invalid email or password"));
}

/// Sign-up with an invitation, then the welcome page: the whole flow by
/// form posts.
async fn invitation_sign_up_and_accept_work_without_javascript(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let secret = app.instance_invite("moderator").await;
    let back = format!("/invite/{secret}/sign-up");

    let short = post_form(
        &app,
        "/api/auth/sign-up/email",
        &[
            ("_back", &back),
            ("_next", "/welcome"),
            ("inviteToken", &secret),
            ("name", "Nora"),
            ("email", "nora@example.com"),
            ("password", "short"),
        ],
        None,
    )
    .await;
    assert_eq!(location(&short), back);
    let page = app.get(&back, Some(&form_cookie(&short).unwrap())).await;
    assert!(
        page.text.contains("value=\"Nora\"") && page.text.contains("value=\"nora@example.com\"")
    );
    assert!(
        page.text.contains("Use at least"),
        "the password rule is said: {}",
        page.text
    );

    let made = post_form(
        &app,
        "/api/auth/sign-up/email",
        &[
            ("_back", &back),
            ("_next", "/welcome"),
            ("inviteToken", &secret),
            ("name", "Nora"),
            ("email", "nora@example.com"),
            ("password", PASSWORD),
        ],
        None,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.text);
    assert_eq!(location(&made), "/welcome");
    let session = made.session_cookie().expect("signed in");
    let welcome = app.get("/welcome", Some(&session)).await;
    assert!(welcome.text.contains("moderator"));

    // An existing account accepts a second invitation by form.
    let upgrade = app.instance_invite("admin").await;
    app.verified("nora@example.com").await;
    let accepted = post_form(
        &app,
        "/api/auth/invite/activate",
        &[
            ("_back", &format!("/invite/{upgrade}")),
            ("_next", "/welcome"),
            ("token", &upgrade),
        ],
        Some(&session),
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.text);
    assert_eq!(location(&accepted), "/welcome");
    assert_eq!(app.session(&session).await.body["user"]["role"], "admin");

    // Used up now: the same post comes back with the refusal.
    let again = post_form(
        &app,
        "/api/auth/invite/activate",
        &[
            ("_back", &format!("/invite/{upgrade}")),
            ("_next", "/welcome"),
            ("token", &upgrade),
        ],
        Some(&session),
    )
    .await;
    assert_eq!(location(&again), format!("/invite/{upgrade}"));
    assert!(form_cookie(&again).is_some());
}

/// An account whose address is not verified yet, on a public invitation's
/// page: it asks for the verification email and confirms the link by form,
/// and the confirmation follows the link's `callbackURL` back.
async fn verification_works_without_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let signed_up = app.sign_up("Vera", "vera@example.com", PASSWORD).await;
    let session = signed_up.session_cookie().unwrap();
    let before = app.emails_to("vera@example.com").await.len();
    let page = "/invite/some-invitation";
    let sent = post_form(
        &app,
        "/api/auth/send-verification-email",
        &[
            ("_back", page),
            ("_next", &format!("{page}?verification=sent")),
            ("email", "vera@example.com"),
            ("callbackURL", page),
        ],
        Some(&session),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    assert_eq!(location(&sent), format!("{page}?verification=sent"));

    let emails = app.wait_for_emails("vera@example.com", before + 1).await;
    let link = crate::support::link_in(emails.last().unwrap(), &app.base_url);
    let token = crate::support::token_in(&link);
    let back = format!("/verify-email?token={token}");
    let confirm = [
        ("_back", back.as_str()),
        ("_next", "/dashboard"),
        ("_follow", "redirectTo"),
        ("token", token.as_str()),
    ];
    let confirmed = post_form(&app, "/api/auth/verify-email", &confirm, Some(&session)).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    assert_eq!(
        location(&confirmed),
        page,
        "back to where the link was asked for"
    );
    assert_eq!(
        app.session(&session).await.body["user"]["emailVerified"],
        true
    );

    // Spent: the page says why.
    let again = post_form(&app, "/api/auth/verify-email", &confirm, Some(&session)).await;
    assert_eq!(location(&again), back);
    let shown = app.get(&back, Some(&form_cookie(&again).unwrap())).await;
    assert!(shown.text.contains("role=\"alert\""), "{}", shown.text);
}

/// What is not one of the pages' forms is not answered as one: a `_back`
/// off the site, a JSON body, or a post from another site.
async fn only_the_pages_forms_are_adapted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let elsewhere = post_form(
        &app,
        "/api/auth/sign-in/email",
        &[
            ("_back", "https://evil.example/"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ],
        None,
    )
    .await;
    assert_eq!(
        elsewhere.status, 400,
        "the endpoint's own answer: {}",
        elsewhere.text
    );
    assert!(
        !location(&elsewhere).contains("evil.example"),
        "never sent off the site"
    );

    let json = app
        .post(
            "/api/auth/sign-in/email",
            serde_json::json!({ "email": "ada@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(json.status, 200);

    let body = "_back=%2Fsign-in&email=ada%40example.com&password=correct+horse+battery";
    let foreign = app
        .raw(
            Method::POST,
            "/api/auth/sign-in/email",
            body,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(foreign.status, 403);
    assert!(foreign.session_cookie().is_none());

    // The invitation pages' `no-referrer` makes the browser send
    // `Origin: null`: only its own `Sec-Fetch-Site: same-origin` lets that in.
    for (fetch_site, allowed) in [
        (Some("same-origin"), true),
        (Some("cross-site"), false),
        (None, false),
    ] {
        let mut headers = vec![
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "null"),
        ];
        if let Some(site) = fetch_site {
            headers.push(("sec-fetch-site", site));
        }
        let res = app
            .raw(Method::POST, "/api/auth/sign-in/email", body, &headers)
            .await;
        assert_eq!(
            res.status == 303,
            allowed,
            "{fetch_site:?}: {} {}",
            res.status,
            res.text
        );
        assert_eq!(res.session_cookie().is_some(), allowed);
    }
}

/// The code form asks its own page: a code that reads right goes on to
/// its invitation, anything else is explained there.
async fn the_code_form_needs_no_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let browser = [("accept", "text/html")];
    let page = app
        .raw(Method::GET, "/invite?code=7k3m-q9xd", "", &browser)
        .await;
    assert_eq!(page.status, 302);
    assert_eq!(location(&page), "/invite/7K3MQ9XD");
    let page = app
        .raw(Method::GET, "/invite?code=nope", "", &browser)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("aria-invalid=\"true\""), "{}", page.text);
    assert!(page.text.contains("value=\"nope\""), "what was typed stays");
}

/// "Sign out" in the header is a form too: it ends the session and goes
/// to the sign-in page.
async fn sign_out_works_without_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let cookie = app.account("ada@example.com", "user").await;
    let page = app.get("/dashboard", Some(&cookie)).await;
    assert!(
        page.text.contains("action=\"/api/auth/sign-out\""),
        "{}",
        page.text
    );

    let out = post_form(
        &app,
        "/api/auth/sign-out",
        &[("_back", "/dashboard"), ("_next", "/sign-in")],
        Some(&cookie),
    )
    .await;
    assert_eq!(out.status, 303, "{}", out.text);
    assert_eq!(location(&out), "/sign-in");
    assert!(
        out.set_cookie_header()
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the session cookie is cleared"
    );
    assert!(
        app.session(&cookie).await.is_no_session(),
        "and the session ended"
    );
}

/// Only a page that shows an island loads the WebAssembly: the sign-in
/// form does; someone signed out looking at a public invitation sees links,
/// and the welcome page shows none.
async fn pages_without_islands_load_no_webassembly(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let loads = |html: &str| html.contains("rel=\"modulepreload\"") && html.contains(".wasm");

    let sign_in = app.get("/sign-in", None).await;
    assert!(sign_in.text.contains("<leptos-island"));
    assert!(loads(&sign_in.text), "{}", sign_in.text);

    let token = app.instance_invite("user").await;
    let preview = app.get(&format!("/invite/{token}"), None).await;
    assert_eq!(preview.status, 200);
    assert!(
        preview.text.contains("Create your account"),
        "{}",
        preview.text
    );
    assert!(!preview.text.contains("<leptos-island"));
    assert!(!loads(&preview.text), "{}", preview.text);
    assert!(
        !preview.text.contains("type=\"module\""),
        "nor the loader's script"
    );
    assert!(preview.text.contains("</head>") && preview.text.contains("stylesheet"));

    let cookie = app.account("ada@example.com", "user").await;
    let welcome = app.get("/welcome", Some(&cookie)).await;
    assert_eq!(welcome.status, 200);
    assert!(!loads(&welcome.text), "{}", welcome.text);
    let missing = app.get("/no-such-page", None).await;
    assert_eq!(missing.status, 404);
    assert!(!loads(&missing.text), "{}", missing.text);
}

/// A join link is used, and revoked, with plain forms: joining goes on to
/// the welcome page; a refusal comes back to the link's page and is shown
/// there; revoking comes back to the invitations tab.
async fn join_links_work_without_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = crate::support::orgs::acme(&app).await;
    let made = crate::support::orgs::post(
        &app,
        &owner,
        "create-join-link",
        serde_json::json!({ "organizationId": org, "allowedDomains": ["example.com"] }),
    )
    .await;
    let (token, id) = (
        made.body["token"].as_str().unwrap(),
        made.body["id"].as_str().unwrap(),
    );
    let page = format!("/join/{token}");
    let fields = [
        ("token", token),
        ("_back", page.as_str()),
        ("_next", "/welcome?joined=acme"),
    ];
    let outsider = app.account("olga@other.io", "user").await;
    let res = post_form(
        &app,
        "/api/auth/organization/join",
        &fields,
        Some(&outsider),
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(location(&res), page);
    let flash = form_cookie(&res).expect("the refusal comes back sealed");
    let res = app
        .raw(
            Method::GET,
            &page,
            "",
            &[("cookie", &format!("{outsider}; {flash}"))],
        )
        .await;
    assert!(
        res.text
            .contains("This link is for addresses at example.com."),
        "{}",
        res.text
    );

    let ann = app.account("ann@example.com", "user").await;
    let res = post_form(&app, "/api/auth/organization/join", &fields, Some(&ann)).await;
    assert_eq!(
        (res.status.as_u16(), location(&res)),
        (303, "/welcome?joined=acme")
    );

    let tab = "/orgs/acme/invitations";
    let fields = [("joinLinkId", id), ("_back", tab), ("_next", tab)];
    let res = post_form(
        &app,
        "/api/auth/organization/revoke-join-link",
        &fields,
        Some(&owner),
    )
    .await;
    assert_eq!((res.status.as_u16(), location(&res)), (303, tab));
    let res = app.get(tab, Some(&owner)).await;
    assert!(res.text.contains(">revoked<"), "{}", res.text);
}

/// A form that keeps part of its answer (`_keep`): a new join link's secret
/// crosses the redirect sealed, and its page shows it once; a list typed
/// into one field (`_split`) reaches the endpoint as a list.
async fn a_kept_answer_crosses_the_redirect_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend, &[]).await else {
        return;
    };
    let (org, owner, _, _) = crate::support::orgs::acme(&app).await;
    let tab = "/orgs/acme/invitations";
    let res = post_form(
        &app,
        "/api/auth/organization/create-join-link",
        &[
            ("_back", tab),
            ("_next", tab),
            ("_keep", "url,token,name"),
            ("_split", "allowedDomains"),
            ("organizationId", &org),
            ("name", "Front door"),
            ("role", "member"),
            ("expiresIn", "86400"),
            ("maxUses", ""),
            ("allowedDomains", "example.com, example.org"),
            ("requireApproval", "true"),
        ],
        Some(&owner),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), location(&res)),
        (303, tab),
        "{}",
        res.text
    );
    let kept = cookie_named(&res, "gatehouse_kept").expect("the answer is kept");
    let links = crate::support::orgs::get(
        &app,
        &owner,
        &format!("list-join-links?organizationId={org}"),
    )
    .await;
    let link = &links.body[0];
    assert_eq!(
        link["allowedDomains"],
        serde_json::json!(["example.com", "example.org"])
    );
    assert_eq!(link["requireApproval"], true);
    // Only a hash of the secret is stored: the page can show it only from
    // what the form kept, and the cookie never shows it in the clear.
    let shown = app
        .raw(
            Method::GET,
            tab,
            "",
            &[("cookie", &format!("{owner}; {kept}"))],
        )
        .await;
    let url = shown
        .text
        .split("data-testid=\"join-link-url\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .expect("the new link is shown")
        .to_owned();
    let token = url.rsplit('/').next().unwrap();
    assert!(url.contains("/join/"), "{url}");
    assert!(!kept.contains(token), "sealed");
    assert!(cleared(&shown, "gatehouse_kept"), "read once");
    // Another page does not show it.
    let other = app
        .raw(
            Method::GET,
            "/orgs/acme",
            "",
            &[("cookie", &format!("{owner}; {kept}"))],
        )
        .await;
    assert!(!other.text.contains(token));
    // The secret works.
    let preview = app
        .get(
            &format!("/api/auth/organization/get-join-link-preview?token={token}"),
            None,
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
}

on_both_databases!(
    a_kept_answer_crosses_the_redirect_once,
    join_links_work_without_javascript,
    sign_in_works_without_javascript,
    invitation_sign_up_and_accept_work_without_javascript,
    verification_works_without_javascript,
    only_the_pages_forms_are_adapted,
    the_code_form_needs_no_javascript,
    sign_out_works_without_javascript,
    pages_without_islands_load_no_webassembly,
);
