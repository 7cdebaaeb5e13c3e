//! Apps (issue 25, SPEC §9): Gatehouse as an OpenID Connect provider,
//! driven by a real relying party library (the `openidconnect` crate) as
//! an app would, on SQLite and PostgreSQL.

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
        CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
        CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
    },
    AccessTokenHash, AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::support::{orgs, Backend, TestApp};

const CALLBACK: &str = "http://127.0.0.1:4000/callback";
const PUBLIC_CALLBACK: &str = "http://localhost:4001/cb";
const LOGGED_OUT: &str = "http://127.0.0.1:4000/logged-out";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Organization {
    id: String,
    slug: String,
    name: String,
    roles: Vec<String>,
    teams: Vec<String>,
}

/// What Gatehouse adds to the standard claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct GatehouseClaims {
    #[serde(default)]
    organizations: Vec<Organization>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    role: Option<String>,
}
impl AdditionalClaims for GatehouseClaims {}

type Fields = IdTokenFields<
    GatehouseClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type App = Client<
    GatehouseClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Registers an app as an admin would; its id and secret (if confidential).
async fn register(app: &TestApp, admin: &str, body: Value) -> (String, Option<String>) {
    let res = app
        .post_with_cookie("/api/auth/admin/oauth2/create-client", body, admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    (
        res.body["client_id"].as_str().unwrap().to_owned(),
        res.body["client_secret"].as_str().map(str::to_owned),
    )
}

async fn discover(app: &TestApp, id: &str, secret: Option<&str>, callback: &str) -> App {
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.base_url.clone()).unwrap(),
        &http(),
    )
    .await
    .expect("discovery");
    App::from_provider_metadata(
        metadata,
        ClientId::new(id.to_owned()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(callback.to_owned()).unwrap())
}

/// The browser of the holder of `cookie`: follows Gatehouse's redirects
/// from `url` until one leaves for the app, allowing the app on the
/// consent page when asked. Where it left for.
async fn browse(app: &TestApp, cookie: &str, url: &str) -> url::Url {
    let browser = http();
    let mut at = url::Url::parse(url).unwrap();
    for _ in 0..8 {
        if !at.as_str().starts_with(&app.base_url) {
            return at;
        }
        let res = browser
            .get(at.clone())
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = res.status();
        if status.is_redirection() {
            let to = res.headers()["location"].to_str().unwrap().to_owned();
            at = at.join(&to).unwrap();
            continue;
        }
        assert_eq!(status, 200, "{at}");
        assert_eq!(at.path(), "/authorize", "a page other than consent: {at}");
        let page = res.text().await.unwrap();
        assert!(page.contains("Allow"), "the consent page: {page}");
        // The consent form posts the request back with the answer.
        let mut form: Vec<(String, String)> = at.query_pairs().into_owned().collect();
        form.push(("decision".into(), "allow".into()));
        let res = browser
            .post(format!("{}/api/auth/oauth2/consent", app.base_url))
            .header("cookie", cookie)
            .header("origin", &app.base_url)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{}", res.status());
        at = at
            .join(res.headers()["location"].to_str().unwrap())
            .unwrap();
    }
    panic!("too many redirects, last at {at}")
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The code the browser of `cookie`'s person brings back to the app from
/// a sign-in asking `offline_access`, with PKCE when `pkce` is given.
async fn offline_code(
    app: &TestApp,
    client: &App,
    cookie: &str,
    pkce: Option<PkceCodeChallenge>,
) -> String {
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()));
    if let Some(challenge) = pkce {
        request = request.set_pkce_challenge(challenge);
    }
    let (url, _, _) = request.url();
    param(&browse(app, cookie, url.as_str()).await, "code").unwrap()
}

/// A whole sign-in: the app's URL, the browser, the code exchange, the
/// ID token checked (signature, issuer, audience, nonce, at_hash).
async fn sign_in(app: &TestApp, client: &App, cookie: &str, scopes: &[&str]) -> (Tokens, Value) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        request = request.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    let landed = browse(app, cookie, url.as_str()).await;
    assert_eq!(
        param(&landed, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        param(&landed, "iss").as_deref(),
        Some(app.base_url.as_str()),
        "RFC 9207"
    );
    let code = param(&landed, "code").unwrap_or_else(|| panic!("no code: {landed}"));
    let tokens: Tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid ID token");
    let expected = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected);
    let raw = serde_json::to_value(claims).unwrap();
    (tokens, raw)
}

/// The refresh grant as the library sends it; the error code if refused.
async fn refresh(client: &App, token: &RefreshToken) -> Result<Tokens, String> {
    client
        .exchange_refresh_token(token)
        .unwrap()
        .request_async(&http())
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(r) => r.error().as_ref().to_owned(),
            other => format!("{other:?}"),
        })
}

async fn form_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut req = http().post(format!("{}{path}", app.base_url)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn user_id(app: &TestApp, email: &str) -> String {
    use sqlx::Row;
    sqlx::query("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .get("id")
}

async fn an_app_signs_a_member_in_with_roles_organizations_and_teams(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let (org, owner, _, member) = orgs::acme(&app).await;
    let res = orgs::post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Site Reliability", "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let team = res.body["id"].clone();
    let member_id = user_id(&app, "member@example.com").await;
    let res = orgs::post(
        &app,
        &owner,
        "add-team-member",
        json!({ "teamId": team, "userId": member_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Discovery names this instance exactly, and every endpoint.
    let res = app.get("/.well-known/openid-configuration", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["issuer"], app.base_url.as_str());
    assert_eq!(
        res.body["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        res.body["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let res = app.get("/api/auth/jwks", None).await;
    assert_eq!(res.body["keys"][0]["kty"], "RSA");
    assert!(res.body["keys"][0]["kid"].is_string());

    let admin = app.account("root@example.com", "admin").await;
    let (id, secret) = register(
        &app,
        &admin,
        json!({
            "client_name": "Grafana",
            "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [LOGGED_OUT],
            "scope": "openid email profile roles organizations offline_access",
        }),
    )
    .await;
    let secret = secret.expect("a confidential app gets a secret");
    let client = discover(&app, &id, Some(&secret), CALLBACK).await;

    let (tokens, claims) = sign_in(
        &app,
        &client,
        &member,
        &[
            "email",
            "profile",
            "roles",
            "organizations",
            "offline_access",
        ],
    )
    .await;
    assert_eq!(claims["sub"], member_id.as_str());
    assert_eq!(claims["email"], "member@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Test Person");
    assert_eq!(claims["role"], "user");
    assert_eq!(claims["azp"], id.as_str());
    assert!(claims["auth_time"].is_number());
    assert_eq!(claims["organizations"][0]["slug"], "acme");
    assert_eq!(claims["organizations"][0]["roles"], json!(["member"]));
    assert_eq!(
        claims["organizations"][0]["teams"],
        json!(["Site Reliability"])
    );
    assert_eq!(
        claims["groups"],
        json!(["acme", "acme:member", "acme/site-reliability"])
    );

    // userinfo: the same claims, read now.
    let info: UserInfoClaims<GatehouseClaims, CoreGenderClaim> = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http())
        .await
        .expect("userinfo");
    assert_eq!(info.email().unwrap().as_str(), "member@example.com");
    assert_eq!(info.additional_claims().groups[0], "acme");

    // The access token is an RFC 9068 JWT an API can check offline.
    let access = tokens.access_token().secret();
    let header: Value =
        serde_json::from_slice(&base64_url(access.split('.').next().unwrap())).unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    let body: Value =
        serde_json::from_slice(&base64_url(access.split('.').nth(1).unwrap())).unwrap();
    assert_eq!(body["client_id"], id.as_str());
    assert_eq!(
        body["scope"],
        "openid email profile roles organizations offline_access"
    );

    // Refresh tokens rotate; the used one, replayed, ends the sign-in.
    let first = tokens.refresh_token().unwrap().clone();
    let second = refresh(&client, &first).await.expect("refresh");
    let next = second.refresh_token().unwrap().clone();
    assert_ne!(next.secret(), first.secret());
    assert_eq!(refresh(&client, &first).await.unwrap_err(), "invalid_grant");
    assert_eq!(
        refresh(&client, &next).await.unwrap_err(),
        "invalid_grant",
        "the family is revoked"
    );
    let res = app.get("/api/auth/oauth2/userinfo", None).await;
    assert_eq!(res.status, 401);

    // Codes are single use: a second exchange revokes what the first began.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let code = offline_code(&app, &client, &member, Some(challenge)).await;
    let verifier_text = verifier.secret().clone();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier_text.as_str()),
    ];
    let (status, first) = form_post(
        &app,
        "/api/auth/oauth2/token",
        &exchange,
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = form_post(
        &app,
        "/api/auth/oauth2/token",
        &exchange,
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let token = RefreshToken::new(first["refresh_token"].as_str().unwrap().to_owned());
    assert_eq!(refresh(&client, &token).await.unwrap_err(), "invalid_grant");
    let events: i64 = count(
        &app,
        "select count(*) from audit_events where action = 'app.token-reuse'",
    )
    .await;
    assert_eq!(events, 2);

    // Many exchanges at once (more than the database pool holds): each
    // gets its tokens, none waits on another.
    let mut codes = Vec::new();
    for _ in 0..12 {
        codes.push(offline_code(&app, &client, &member, None).await);
    }
    let forms: Vec<[(&str, &str); 3]> = codes
        .iter()
        .map(|code| {
            [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
            ]
        })
        .collect();
    let exchanges = forms
        .iter()
        .map(|form| form_post(&app, "/api/auth/oauth2/token", form, Some((&id, &secret))));
    for (status, body) in futures::future::join_all(exchanges).await {
        assert_eq!(status, 200, "{body}");
        assert!(body["refresh_token"].is_string());
    }

    // The member allowed it once: the next sign-in asks nothing more, and
    // their connected apps list it.
    let res = app
        .get("/api/auth/oauth2/list-connected-apps", Some(&member))
        .await;
    assert_eq!(res.body[0]["name"], "Grafana", "{}", res.text);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'app.consent'"
        )
        .await,
        1
    );

    // RP-initiated logout: the app's link leads to a page that asks; the
    // answer ends the app's sign-in and the Gatehouse session, then goes
    // back to the app's address with its state.
    let (tokens, _) = sign_in(&app, &client, &member, &["email", "offline_access"]).await;
    let hint = tokens.id_token().unwrap().to_string();
    let url = format!(
        "{}/api/auth/oauth2/end-session?id_token_hint={hint}&post_logout_redirect_uri={}&state=bye",
        app.base_url,
        urlencode(LOGGED_OUT)
    );
    let to = location(&app, Some(&member), &url).await;
    assert!(
        to.starts_with("/authorize?") && to.contains("gh_logout=1"),
        "{to}"
    );
    let page = app.get(&to, Some(&member)).await;
    assert!(page.text.contains("Sign out of Grafana?"), "{}", page.text);
    assert!(
        !app.session(&member).await.is_no_session(),
        "a link alone signs no one out"
    );
    let res = page_post(
        &app,
        &member,
        "/api/auth/oauth2/end-session",
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "bye"),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(
        res.headers["location"],
        format!("{LOGGED_OUT}?state=bye").as_str()
    );
    // A forged hint: nothing happens.
    let forged = format!(
        "{}/api/auth/oauth2/end-session?id_token_hint=x.y.z",
        app.base_url
    );
    let to = location(&app, None, &forged).await;
    assert!(to.contains("gh_error=logout"), "{to}");
    assert!(app.session(&member).await.is_no_session());
    assert_eq!(
        refresh(&client, tokens.refresh_token().unwrap())
            .await
            .unwrap_err(),
        "invalid_grant"
    );
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql).fetch_one(&app.db).await.unwrap().get(0)
}

/// A request as a browser makes it; the redirect's target.
async fn location(app: &TestApp, cookie: Option<&str>, url: &str) -> String {
    let mut req = http().get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_redirection(), "{url}: {}", res.status());
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let _ = app;
    to
}

async fn public_apps_use_pkce_and_errors_go_where_they_should(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let ada = app.account("ada@example.com", "user").await;
    let (id, secret) = register(
        &app,
        &admin,
        json!({
            "client_name": "Notes",
            "redirect_uris": [PUBLIC_CALLBACK],
            "token_endpoint_auth_method": "none",
            "skip_consent": true,
        }),
    )
    .await;
    assert!(secret.is_none(), "a public app has no secret");
    let res = app
        .get(
            &format!("/api/auth/admin/oauth2/get-client?client_id={id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.body["scope"], "openid email profile", "the default");
    let client = discover(&app, &id, None, PUBLIC_CALLBACK).await;
    let (tokens, claims) = sign_in(&app, &client, &ada, &["email"]).await;
    assert_eq!(claims["email"], "ada@example.com");
    assert!(
        tokens.refresh_token().is_none(),
        "no offline_access, no refresh token"
    );
    let id_token = tokens.id_token().unwrap().to_string();
    let raw: Value =
        serde_json::from_slice(&base64_url(id_token.split('.').nth(1).unwrap())).unwrap();
    for absent in ["name", "role", "organizations", "groups"] {
        assert!(
            raw.get(absent).is_none(),
            "{absent} was not asked for: {raw}"
        );
    }

    let authorize = |query: &str| format!("{}/api/auth/oauth2/authorize?{query}", app.base_url);
    let base = format!(
        "response_type=code&client_id={id}&redirect_uri={}&scope=openid&state=s1",
        urlencode(PUBLIC_CALLBACK)
    );
    // A public app without PKCE: the error goes back to the app, with state
    // and issuer.
    let to = location(&app, Some(&ada), &authorize(&base)).await;
    let to = url::Url::parse(&to).unwrap();
    assert!(to.as_str().starts_with(PUBLIC_CALLBACK), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&to, "state").as_deref(), Some("s1"));
    assert_eq!(param(&to, "iss").as_deref(), Some(app.base_url.as_str()));
    let pkce = format!("{base}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
    // Scopes it may not ask for.
    let to = location(
        &app,
        Some(&ada),
        &authorize(&pkce.replace("scope=openid", "scope=openid+organizations")),
    )
    .await;
    assert!(to.contains("error=invalid_scope"), "{to}");
    // Signed out: the sign-in page, which comes back here; with prompt=none
    // the app hears login_required.
    let to = location(&app, None, &authorize(&pkce)).await;
    assert!(
        to.starts_with("/sign-in?redirectTo=%2Fapi%2Fauth%2Foauth2%2Fauthorize"),
        "{to}"
    );
    let to = location(&app, None, &authorize(&format!("{pkce}&prompt=none"))).await;
    assert!(to.contains("error=login_required"), "{to}");
    // prompt=login: signed in or not, the sign-in page first; it comes
    // back with a marker that only a sign-in after it satisfies.
    let to = location(
        &app,
        Some(&ada),
        &authorize(&format!("{pkce}&prompt=login")),
    )
    .await;
    assert!(to.starts_with("/sign-in?"), "{to}");
    let back = url::Url::parse(&format!("{}{to}", app.base_url)).unwrap();
    let back = param(&back, "redirectTo").unwrap();
    assert!(
        back.contains("prompt=login") && back.contains("gh_fresh="),
        "{back}"
    );
    let again = location(&app, Some(&ada), &format!("{}{back}", app.base_url)).await;
    assert!(
        again.starts_with("/sign-in?"),
        "the old session is not fresh: {again}"
    );
    let forged = back.replace("gh_fresh=", "gh_fresh=0.x&was=");
    let again = location(&app, Some(&ada), &format!("{}{forged}", app.base_url)).await;
    assert!(
        again.starts_with("/sign-in?"),
        "a marker written by hand: {again}"
    );
    let fresh = app
        .sign_in("ada@example.com", "correct horse battery")
        .await
        .session_cookie()
        .unwrap();
    let done = location(&app, Some(&fresh), &format!("{}{back}", app.base_url)).await;
    assert!(
        done.starts_with(PUBLIC_CALLBACK) && done.contains("code="),
        "{done}"
    );

    // An unknown app, or an address it did not register: never a redirect
    // to that address, but a page that says what is wrong.
    for bad in [
        pkce.replace(&id, "nope"),
        pkce.replace(
            &urlencode(PUBLIC_CALLBACK),
            &urlencode("https://evil.example.com/cb"),
        ),
    ] {
        let to = location(&app, Some(&ada), &authorize(&bad)).await;
        assert!(to.starts_with("/authorize?"), "{to}");
        let page = http()
            .get(format!("{}{to}", app.base_url))
            .header("cookie", &ada)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 400);
        let text = page.text().await.unwrap();
        assert!(text.contains("registered"), "{text}");
    }

    // The token endpoint: a public app proves nothing but PKCE, and a wrong
    // verifier is refused.
    let (status, body) = form_post(
        &app,
        "/api/auth/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "nope"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = form_post(
        &app,
        "/api/auth/oauth2/token",
        &[("grant_type", "password"), ("client_id", &id)],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    // Browser apps on another origin may call the token endpoint (CORS,
    // no origin refusal): it reads no cookie.
    let res = http()
        .post(format!("{}/api/auth/oauth2/token", app.base_url))
        .header("origin", "https://notes.example.com")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://notes.example.com"
    );
    // Introspection is for confidential apps.
    let (status, body) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[("token", "x"), ("client_id", &id)],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn policies_and_revocation_end_access_at_once(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let (org, owner, admin_member, member) = orgs::acme(&app).await;
    let outsider = app.account("outsider@example.com", "user").await;
    let root = app.account("root@example.com", "admin").await;
    let (id, secret) = register(
        &app,
        &root,
        json!({
            "client_name": "Internal wiki",
            "redirect_uris": [CALLBACK],
            "scope": "openid offline_access",
            "skip_consent": true,
            "allowed_organizations": ["acme"],
        }),
    )
    .await;
    let secret = secret.unwrap();
    let client = discover(&app, &id, Some(&secret), CALLBACK).await;

    // Someone the policy does not admit: a page that says so, and a way
    // back to the app, which hears access_denied; with prompt=none at once.
    let query = format!(
        "response_type=code&client_id={id}&redirect_uri={}&scope=openid&state=s",
        urlencode(CALLBACK)
    );
    let url = format!("{}/api/auth/oauth2/authorize?{query}", app.base_url);
    let to = location(&app, Some(&outsider), &url).await;
    assert!(to.starts_with("/authorize?"), "{to}");
    let page = http()
        .get(format!("{}{to}", app.base_url))
        .header("cookie", &outsider)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 403);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("Internal wiki") && text.contains("error=access_denied"),
        "{text}"
    );
    let to = location(&app, Some(&outsider), &format!("{url}&prompt=none")).await;
    assert!(
        to.starts_with(CALLBACK) && to.contains("error=access_denied"),
        "{to}"
    );

    // A team's members only: the team written as groups write it.
    let res = orgs::post(
        &app,
        &owner,
        "create-team",
        json!({ "name": "Site Reliability", "organizationId": org }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let admin_member_id = user_id(&app, "admin@example.com").await;
    let res = orgs::post(
        &app,
        &owner,
        "add-team-member",
        json!({ "teamId": res.body["id"], "userId": admin_member_id }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let (sre, sre_secret) = register(
        &app,
        &root,
        json!({
            "client_name": "Pager",
            "redirect_uris": [CALLBACK],
            "skip_consent": true,
            "allowed_teams": ["acme/site-reliability"],
        }),
    )
    .await;
    let res = app
        .get(
            &format!("/api/auth/admin/oauth2/get-client?client_id={sre}"),
            Some(&root),
        )
        .await;
    assert_eq!(res.body["allowed_teams"].as_array().unwrap().len(), 1);
    let pager = format!(
        "{}/api/auth/oauth2/authorize?response_type=code&client_id={sre}&redirect_uri={}&scope=openid&prompt=none",
        app.base_url,
        urlencode(CALLBACK)
    );
    let to = location(&app, Some(&member), &pager).await;
    assert!(to.contains("error=access_denied"), "not in the team: {to}");
    let pager_client = discover(&app, &sre, sre_secret.as_deref(), CALLBACK).await;
    sign_in(&app, &pager_client, &admin_member, &[]).await;

    // A member signs in; removed from the organization, their refresh
    // token fails at once.
    let (tokens, _) = sign_in(&app, &client, &member, &["offline_access"]).await;
    let access = tokens.access_token().secret().clone();
    let (status, live) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[("token", &access)],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!((status, &live["active"]), (200, &json!(true)), "{live}");
    assert_eq!(live["client_id"], id.as_str());
    assert!(live.get("username").is_none(), "no email scope, no email");
    let (_, theirs) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[("token", &access)],
        Some((&sre, sre_secret.as_deref().unwrap())),
    )
    .await;
    assert_eq!(theirs, json!({ "active": false }), "another app's token");
    let (status, body) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[
            ("token", &access),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "registered for HTTP Basic"
    );
    let res = orgs::post(
        &app,
        &owner,
        "remove-member",
        json!({ "memberIdOrEmail": "member@example.com", "organizationSlug": "acme" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        refresh(&client, tokens.refresh_token().unwrap())
            .await
            .unwrap_err(),
        "invalid_grant"
    );
    let (_, dead) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[("token", &access)],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        dead,
        json!({ "active": false }),
        "the sign-in ended with the refusal"
    );

    // Another member disconnects the app from their account.
    let (tokens, _) = sign_in(&app, &client, &admin_member, &["offline_access"]).await;
    let res = app
        .post_with_cookie(
            "/api/auth/oauth2/revoke-connected-app",
            json!({ "clientId": id }),
            &admin_member,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        refresh(&client, tokens.refresh_token().unwrap())
            .await
            .unwrap_err(),
        "invalid_grant"
    );

    // The owner's account is disabled by an admin.
    let (tokens, _) = sign_in(&app, &client, &owner, &["offline_access"]).await;
    let owner_id = user_id(&app, "owner@example.com").await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/ban-user",
            json!({ "userId": owner_id }),
            &root,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        refresh(&client, tokens.refresh_token().unwrap())
            .await
            .unwrap_err(),
        "invalid_grant"
    );

    // RFC 7009: the app revokes a token itself.
    let insider = orgs::join(
        &app,
        &owner_again(&app).await,
        &org,
        "insider@example.com",
        json!("member"),
    )
    .await;
    let (tokens, _) = sign_in(&app, &client, &insider, &["offline_access"]).await;
    let rt = tokens.refresh_token().unwrap().secret().clone();
    let (status, _) = form_post(
        &app,
        "/api/auth/oauth2/revoke",
        &[("token", &rt)],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200);
    let (_, dead) = form_post(
        &app,
        "/api/auth/oauth2/introspect",
        &[("token", &rt)],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(dead["active"], false);
}

/// A fresh session of the organization's owner (the first was banned).
async fn owner_again(app: &TestApp) -> String {
    let owner_id = user_id(app, "owner@example.com").await;
    sqlx::query("update users set disabled = 0 where id = $1")
        .bind(&owner_id)
        .execute(&app.db)
        .await
        .unwrap();
    let res = app
        .sign_in("owner@example.com", "correct horse battery")
        .await;
    res.session_cookie().expect("signed in")
}

async fn admins_register_change_and_remove_apps(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let moderator = app.account("mod@example.com", "moderator").await;
    let create = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post_with_cookie("/api/auth/admin/oauth2/create-client", body, &admin)
                .await
        }
    };
    // Bad metadata is refused, each for its own reason.
    for (body, code) in [
        (json!({ "redirect_uris": [CALLBACK] }), "MISSING_FIELD"),
        (
            json!({ "client_name": "X", "redirect_uris": ["http://grafana.lan/cb"] }),
            "INVALID_REDIRECT_URI",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": ["https://a.example.com/cb#x"] }),
            "INVALID_REDIRECT_URI",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "scope": "openid admin" }),
            "INVALID_SCOPE",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "scope": "email" }),
            "INVALID_SCOPE",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "allowed_roles": ["boss"] }),
            "INVALID_CLIENT_METADATA",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "allowed_organizations": ["nope"] }),
            "INVALID_CLIENT_METADATA",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "allowed_teams": ["nope/team"] }),
            "INVALID_CLIENT_METADATA",
        ),
        (
            json!({ "client_name": "X", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt" }),
            "INVALID_CLIENT_METADATA",
        ),
    ] {
        let res = create(body.clone()).await;
        assert_eq!(
            (res.status.as_u16(), res.code()),
            (400, code),
            "{body}: {}",
            res.text
        );
    }
    // Only roles with app:manage.
    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/create-client",
            json!({ "client_name": "X", "redirect_uris": [CALLBACK] }),
            &moderator,
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.text);

    let res = create(json!({
        "client_name": "Gitea",
        "redirect_uris": [CALLBACK, CALLBACK],
        "allowed_roles": ["admin"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "openid email profile offline_access",
    }))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let id = res.body["client_id"].as_str().unwrap().to_owned();
    let secret = res.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(res.body["client_secret_expires_at"], 0);
    assert_eq!(
        res.body["redirect_uris"],
        json!([CALLBACK]),
        "duplicates dropped"
    );
    assert_eq!(res.body["scope"], "openid email profile offline_access");
    assert_eq!(
        res.body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );

    // The secret is in that answer only, and stored as a hash.
    let res = app
        .get(
            &format!("/api/auth/admin/oauth2/get-client?client_id={id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body.get("client_secret").is_none());
    let stored: String = {
        use sqlx::Row;
        sqlx::query("select secret_hash from oauth_clients where id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .get(0)
    };
    assert_ne!(stored, secret);
    let res = app
        .get("/api/auth/admin/oauth2/list-clients", Some(&admin))
        .await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);

    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/update-client",
            json!({ "client_id": id, "client_name": "Gitea (prod)", "skip_consent": true, "token_endpoint_auth_method": "none" }),
            &admin,
        )
        .await;
    assert_eq!(
        res.code(),
        "INVALID_CLIENT_METADATA",
        "public and confidential do not swap"
    );
    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/update-client",
            json!({ "client_id": id, "client_name": "Gitea (prod)", "skip_consent": true }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["client_name"], "Gitea (prod)");
    assert_eq!(res.body["skip_consent"], true);

    // The admin signs in with client_secret_post; after a rotation the old
    // secret is refused.
    let client = discover(&app, &id, Some(&secret), CALLBACK)
        .await
        .set_auth_type(openidconnect::AuthType::RequestBody);
    sign_in(&app, &client, &admin, &[]).await;
    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/rotate-client-secret",
            json!({ "client_id": id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let new_secret = res.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (status, body) = form_post(
        &app,
        "/api/auth/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let client = discover(&app, &id, Some(&new_secret), CALLBACK)
        .await
        .set_auth_type(openidconnect::AuthType::RequestBody);
    let (tokens, _) = sign_in(&app, &client, &admin, &["offline_access"]).await;

    // Disabled: no sign-ins, and those running end.
    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/update-client",
            json!({ "client_id": id, "disabled": true }),
            &admin,
        )
        .await;
    assert_eq!(res.body["disabled"], true);
    assert_eq!(
        refresh(&client, tokens.refresh_token().unwrap())
            .await
            .unwrap_err(),
        "invalid_client"
    );

    let res = app
        .post_with_cookie(
            "/api/auth/admin/oauth2/delete-client",
            json!({ "client_id": id }),
            &admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app
        .get(
            &format!("/api/auth/admin/oauth2/get-client?client_id={id}"),
            Some(&admin),
        )
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (404, "APP_NOT_FOUND"));
    for action in [
        "app.create",
        "app.update",
        "app.rotate-secret",
        "app.delete",
    ] {
        let n = count(
            &app,
            &format!("select count(*) from audit_events where action = '{action}'"),
        )
        .await;
        assert!(n >= 1, "{action}");
    }
    // The audit log never holds the secret.
    let leaked = count(
        &app,
        &format!("select count(*) from audit_events where after_json like '%{new_secret}%'"),
    )
    .await;
    assert_eq!(leaked, 0);
}

async fn rotated_keys_overlap(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let (id, secret) = register(
        &app,
        &admin,
        json!({ "client_name": "App", "redirect_uris": [CALLBACK], "skip_consent": true }),
    )
    .await;
    let secret = secret.unwrap();
    let client = discover(&app, &id, Some(&secret), CALLBACK).await;
    let (before, _) = sign_in(&app, &client, &admin, &[]).await;
    let old_kid = app.get("/api/auth/jwks", None).await.body["keys"][0]["kid"].clone();

    let new_kid = gatehouse::apps::keys::rotate(&app.store, &app.config.secret_key)
        .await
        .unwrap();
    let keys = app.get("/api/auth/jwks", None).await.body["keys"].clone();
    let kids: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        [new_kid.as_str(), old_kid.as_str().unwrap()],
        "both published"
    );
    // The old key's token still works; new tokens carry the new key.
    let res = http()
        .get(format!("{}/api/auth/oauth2/userinfo", app.base_url))
        .bearer_auth(before.access_token().secret())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let client = discover(&app, &id, Some(&secret), CALLBACK).await;
    let (after, _) = sign_in(&app, &client, &admin, &[]).await;
    let header: Value = serde_json::from_slice(&base64_url(
        after
            .id_token()
            .unwrap()
            .to_string()
            .split('.')
            .next()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(header["kid"], new_kid.as_str());
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'app.keys-rotate'"
        )
        .await,
        1
    );
    // Stored sealed: the private key is not in the database in the clear.
    let sealed: String = {
        use sqlx::Row;
        sqlx::query("select private_key from oauth_signing_keys where kid = $1")
            .bind(&new_kid)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .get(0)
    };
    assert!(app.config.secret_key.open(&sealed).is_some());
}

/// A plain form post from one of Gatehouse's pages, as a browser without
/// JavaScript sends it.
async fn page_post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> crate::support::Response {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    app.raw(
        reqwest::Method::POST,
        path,
        &body,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", &app.base_url),
        ],
    )
    .await
}

/// A form of `/admin/apps`; the flash cookie it sets.
async fn admin_form(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> String {
    let res = page_post(app, cookie, "/admin/apps", fields).await;
    assert_eq!(res.status, 303, "{}", res.text);
    let flash = res.headers["set-cookie"].to_str().unwrap();
    flash.split(';').next().unwrap().to_owned()
}

async fn the_admin_page_and_the_dashboard_work_without_javascript(backend: Backend) {
    let Some(app) = TestApp::invite_only(backend, &[]).await else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let flash = admin_form(
        &app,
        &admin,
        &[
            ("action", "create"),
            ("name", "Gitea"),
            ("redirectUris", &format!("{CALLBACK}\n{PUBLIC_CALLBACK}")),
            ("auth", "client_secret_basic"),
            ("scope", "email"),
            ("scope", "roles"),
            ("roles", "admin"),
            ("organizations", ""),
            ("firstParty", "true"),
        ],
    )
    .await;
    let page = app
        .get("/admin/apps", Some(&format!("{admin}; {flash}")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Gitea is registered."), "{}", page.text);
    assert!(page.text.contains("Client secret — shown this once"));
    let listed = app
        .get("/api/auth/admin/oauth2/list-clients", Some(&admin))
        .await;
    let gitea = &listed.body[0];
    assert_eq!(gitea["scope"], "openid email roles");
    assert_eq!(gitea["allowed_roles"], json!(["admin"]));
    assert_eq!(gitea["skip_consent"], true);
    assert_eq!(gitea["redirect_uris"], json!([CALLBACK, PUBLIC_CALLBACK]));
    let id = gitea["client_id"].as_str().unwrap().to_owned();
    // Another admin's browser cannot read that flash.
    let other = app.account("other@example.com", "admin").await;
    let page = app
        .get("/admin/apps", Some(&format!("{other}; {flash}")))
        .await;
    assert!(!page.text.contains("shown this once"));
    // A refused change says why, on the page.
    let flash = admin_form(
        &app,
        &admin,
        &[
            ("action", "update"),
            ("clientId", &id),
            ("name", "Gitea"),
            ("redirectUris", "http://gitea.lan/cb"),
            ("auth", "client_secret_basic"),
        ],
    )
    .await;
    let page = app
        .get("/admin/apps", Some(&format!("{admin}; {flash}")))
        .await;
    assert!(page.text.contains("plain http"), "{}", page.text);
    admin_form(&app, &admin, &[("action", "disable"), ("clientId", &id)]).await;
    let res = app
        .get(
            &format!("/api/auth/admin/oauth2/get-client?client_id={id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.body["disabled"], true);

    // The dashboard's "Connected apps", and its Disconnect form.
    admin_form(&app, &admin, &[("action", "enable"), ("clientId", &id)]).await;
    let query = format!(
        "response_type=code&client_id={id}&redirect_uri={}&scope=openid+email",
        urlencode(CALLBACK)
    );
    let to = location(
        &app,
        Some(&admin),
        &format!("{}/api/auth/oauth2/authorize?{query}", app.base_url),
    )
    .await;
    assert!(
        to.starts_with(CALLBACK) && to.contains("code="),
        "first-party: no consent page: {to}"
    );
    let page = app.get("/dashboard", Some(&admin)).await;
    assert!(
        page.text.contains("Connected apps") && page.text.contains("Disconnect Gitea"),
        "{}",
        page.text
    );
    let res = page_post(
        &app,
        &admin,
        "/api/auth/oauth2/revoke-connected-app",
        &[
            ("_back", "/dashboard"),
            ("_next", "/dashboard"),
            ("clientId", &id),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let page = app.get("/dashboard", Some(&admin)).await;
    assert!(!page.text.contains("Connected apps"));
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'app.disconnect'"
        )
        .await,
        1
    );
}

/// A role that must use two-factor grants nothing until the account does,
/// in apps as in Gatehouse: apps hear the lowest role, and an app for that
/// role does not admit the account.
async fn a_role_held_back_by_two_factor_opens_no_app(backend: Backend) {
    let Some(app) =
        TestApp::invite_only(backend, &[("two_factor_required_for", r#"["owner"]"#)]).await
    else {
        return;
    };
    let admin = app.account("root@example.com", "admin").await;
    let owner = app.account("boss@example.com", "owner").await;
    let (open, secret) = register(
        &app,
        &admin,
        json!({ "client_name": "Open", "redirect_uris": [CALLBACK], "skip_consent": true, "scope": "openid roles" }),
    )
    .await;
    let client = discover(&app, &open, secret.as_deref(), CALLBACK).await;
    let (_, claims) = sign_in(&app, &client, &owner, &["roles"]).await;
    assert_eq!(claims["role"], "user", "held back: the lowest role");
    let (owners, _) = register(
        &app,
        &admin,
        json!({ "client_name": "Owners", "redirect_uris": [CALLBACK], "allowed_roles": ["owner"] }),
    )
    .await;
    let url = format!(
        "{}/api/auth/oauth2/authorize?response_type=code&client_id={owners}&redirect_uri={}&scope=openid&prompt=none",
        app.base_url,
        urlencode(CALLBACK)
    );
    let to = location(&app, Some(&owner), &url).await;
    assert!(to.contains("error=access_denied"), "{to}");
}

on_both_databases!(
    a_role_held_back_by_two_factor_opens_no_app,
    an_app_signs_a_member_in_with_roles_organizations_and_teams,
    public_apps_use_pkce_and_errors_go_where_they_should,
    policies_and_revocation_end_access_at_once,
    admins_register_change_and_remove_apps,
    rotated_keys_overlap,
    the_admin_page_and_the_dashboard_work_without_javascript,
);
