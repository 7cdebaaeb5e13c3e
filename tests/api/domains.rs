//! Verified domains and their joining policies (issue 26, SPEC §5
//! "joining"), on SQLite and PostgreSQL. The DNS proofs are looked up for
//! real, from a name server the test runs (`support::dns`).

use serde_json::{json, Value};

use crate::support::{
    dns::FakeDns,
    orgs::{acme as organization, get, post, refusal as code},
    Backend, Response, TestApp,
};

async fn app_with_dns(backend: Backend, extra: &[(&str, &str)]) -> Option<(TestApp, FakeDns)> {
    let dns = FakeDns::start().await;
    let server = dns.setting();
    let mut settings = vec![("organizations.domains.dns_server", server.as_str())];
    settings.extend_from_slice(extra);
    let app = TestApp::spawn(backend, &settings).await?;
    Some((app, dns))
}

async fn add(app: &TestApp, cookie: &str, body: Value) -> Response {
    post(app, cookie, "add-domain", body).await
}

async fn verify(app: &TestApp, cookie: &str, body: Value) -> Response {
    post(app, cookie, "verify-domain", body).await
}

/// The 6-digit code in the newest email to `to`.
async fn code_sent_to(app: &TestApp, to: &str) -> String {
    let emails = app.emails_to(to).await;
    let text = emails.last().expect("an email with a code");
    text.split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .expect("six digits in the email")
        .to_owned()
}

/// `domain` added to `org` by DNS and proven: its id.
async fn verified_domain(
    app: &TestApp,
    dns: &FakeDns,
    owner: &str,
    org: &str,
    domain: &str,
) -> String {
    let res = add(
        app,
        owner,
        json!({ "organizationId": org, "domain": domain, "method": "dns" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let record = &res.body["dnsRecord"];
    dns.publish(
        record["name"].as_str().unwrap(),
        record["value"].as_str().unwrap(),
    );
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = verify(app, owner, json!({ "domainId": id })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "verified");
    id
}

async fn policy(
    app: &TestApp,
    cookie: &str,
    domain_id: &str,
    mode: &str,
    roles: Value,
) -> Response {
    post(
        app,
        cookie,
        "set-domain-policy",
        json!({ "domainId": domain_id, "mode": mode, "roles": roles }),
    )
    .await
}

/// `email`'s roles in `org`, comma-separated; none when not a member.
async fn roles_in(app: &TestApp, org: &str, email: &str) -> Option<String> {
    let roles: Vec<String> = sqlx::query_scalar(
        "select r.role from organization_member_roles r
         join organization_members m on m.id = r.member_id
         join users u on u.id = m.user_id
         where m.organization_id = $1 and u.email = $2
         order by r.role",
    )
    .bind(org)
    .bind(email)
    .fetch_all(&app.db)
    .await
    .unwrap();
    (!roles.is_empty()).then(|| roles.join(","))
}

async fn actions(app: &TestApp, prefix: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_events where action like $1 order by created_at, id",
    )
    .bind(format!("{prefix}%"))
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn domains_are_proven_by_a_dns_record_or_an_emailed_code(backend: Backend) {
    let Some((app, dns)) = app_with_dns(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, member) = organization(&app).await;

    // What is not a domain, a free-mail provider, someone who is not an owner.
    let body = |domain: &str| json!({ "organizationId": org, "domain": domain, "method": "dns" });
    assert_eq!(
        code(&add(&app, &owner, body("acme")).await),
        (400, "INVALID_DOMAIN")
    );
    let res = add(&app, &owner, body("Gmail.com")).await;
    assert_eq!(code(&res), (400, "FREE_EMAIL_DOMAIN"));
    assert!(res.body["message"].as_str().unwrap().contains("gmail.com"));
    assert_eq!(
        code(&add(&app, &admin, body("acme.io")).await),
        (403, "ONLY_OWNERS_MANAGE_DOMAINS")
    );
    assert_eq!(
        code(&get(&app, &member, &format!("list-domains?organizationId={org}")).await),
        (403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
    );

    // By DNS: the record to publish, "not found yet", then found.
    let res = add(&app, &owner, body(" @Acme.IO ")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["domain"], "acme.io");
    assert_eq!(res.body["status"], "pending");
    assert_eq!(res.body["dnsRecord"]["type"], "TXT");
    assert_eq!(
        res.body["dnsRecord"]["name"],
        "_gatehouse-challenge.acme.io"
    );
    let value = res.body["dnsRecord"]["value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("gatehouse-verification="), "{value}");
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = verify(&app, &owner, json!({ "domainId": id })).await;
    assert_eq!(code(&res), (409, "DOMAIN_RECORD_NOT_FOUND"));
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("not found yet"));
    dns.publish(
        "_gatehouse-challenge.acme.io",
        "gatehouse-verification=someone-else",
    );
    dns.publish("_gatehouse-challenge.acme.io", "v=spf1 -all");
    assert_eq!(
        code(&verify(&app, &owner, json!({ "domainId": id })).await),
        (409, "DOMAIN_RECORD_NOT_FOUND")
    );
    assert_eq!(
        code(&verify(&app, &admin, json!({ "domainId": id })).await),
        (403, "ONLY_OWNERS_MANAGE_DOMAINS")
    );
    dns.publish("_gatehouse-challenge.acme.io", &value);
    let res = verify(&app, &owner, json!({ "domainId": id })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "verified");
    assert!(res.body["dnsRecord"].is_null());
    assert!(res.body["verifiedAt"].is_string());
    assert_eq!(
        code(&add(&app, &owner, body("acme.io")).await),
        (409, "DOMAIN_ALREADY_VERIFIED")
    );

    // Another organization cannot claim it.
    let other = app.account("boss@globex.io", "user").await;
    let globex = post(
        &app,
        &other,
        "create",
        json!({ "name": "Globex", "slug": "globex" }),
    )
    .await;
    let globex = globex.body["id"].as_str().unwrap().to_owned();
    let res = add(
        &app,
        &other,
        json!({ "organizationId": globex, "domain": "acme.io" }),
    )
    .await;
    assert_eq!(code(&res), (409, "DOMAIN_CLAIMED_BY_ANOTHER_ORGANIZATION"));

    // By email: a code to an address at the domain, five tries.
    let res = add(
        &app,
        &owner,
        json!({ "organizationId": org, "domain": "beta.io", "method": "email", "email": "it@other.io" }),
    )
    .await;
    assert_eq!(code(&res), (400, "EMAIL_NOT_AT_DOMAIN"));
    let res = add(
        &app,
        &owner,
        json!({ "organizationId": org, "domain": "beta.io", "method": "email", "email": "it@beta.io" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["codeSentTo"], "it@beta.io");
    let beta = res.body["id"].as_str().unwrap().to_owned();
    let sent = code_sent_to(&app, "it@beta.io").await;
    let stored: Option<String> =
        sqlx::query_scalar("select code_hash from organization_domains where id = $1")
            .bind(&beta)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_ne!(
        stored.as_deref(),
        Some(sent.as_str()),
        "only a hash is kept"
    );
    let wrong = if sent == "000000" { "000001" } else { "000000" };
    let res = verify(&app, &owner, json!({ "domainId": beta, "code": wrong })).await;
    assert_eq!(code(&res), (400, "INVALID_CODE"));
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("4 tries left"));
    let typed = format!("{} {}", &sent[..3], &sent[3..]);
    let res = verify(&app, &owner, json!({ "domainId": beta, "code": typed })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "verified");

    // Five wrong tries void a code; a new one works.
    let res = add(
        &app,
        &owner,
        json!({ "organizationId": org, "domain": "gamma.io", "method": "email", "email": "it@gamma.io" }),
    )
    .await;
    let gamma = res.body["id"].as_str().unwrap().to_owned();
    let sent = code_sent_to(&app, "it@gamma.io").await;
    let wrong = if sent == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let res = verify(&app, &owner, json!({ "domainId": gamma, "code": wrong })).await;
        assert_eq!(code(&res), (400, "INVALID_CODE"));
    }
    let res = verify(&app, &owner, json!({ "domainId": gamma, "code": sent })).await;
    assert_eq!(code(&res), (410, "DOMAIN_CODE_EXPIRED"));
    let res = add(
        &app,
        &owner,
        json!({ "organizationId": org, "domain": "gamma.io", "method": "email", "email": "it@gamma.io" }),
    )
    .await;
    assert_eq!(res.body["id"], gamma, "the same claim, a new challenge");
    let again = code_sent_to(&app, "it@gamma.io").await;
    let res = verify(&app, &owner, json!({ "domainId": gamma, "code": again })).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Listed for owners and admins; a pending one cannot have a policy.
    let res = add(&app, &owner, body("delta.io")).await;
    let delta = res.body["id"].as_str().unwrap().to_owned();
    let res = policy(&app, &owner, &delta, "suggest", json!("member")).await;
    assert_eq!(code(&res), (409, "DOMAIN_NOT_VERIFIED"));
    let res = get(&app, &admin, &format!("list-domains?organizationId={org}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let listed: Vec<&str> = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["acme.io", "beta.io", "gamma.io", "delta.io"]);

    let res = post(&app, &owner, "remove-domain", json!({ "domainId": delta })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = post(&app, &owner, "remove-domain", json!({ "domainId": delta })).await;
    assert_eq!(code(&res), (404, "DOMAIN_NOT_FOUND"));
    assert_eq!(
        actions(&app, "organization.domain.").await,
        [
            "organization.domain.add",
            "organization.domain.verify",
            "organization.domain.add",
            "organization.domain.verify",
            "organization.domain.add",
            "organization.domain.add",
            "organization.domain.verify",
            "organization.domain.add",
            "organization.domain.remove",
        ]
    );
}

async fn a_suggest_domain_lets_people_ask_to_join(backend: Backend) {
    let Some((app, dns)) = app_with_dns(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, _) = organization(&app).await;
    let domain = verified_domain(&app, &dns, &owner, &org, "acme.io").await;
    let ann = app.account("ann@acme.io", "user").await;
    let stranger = app.account("sam@elsewhere.io", "user").await;

    let suggestion = |cookie: String| {
        let app = &app;
        async move {
            app.get("/api/auth/gatehouse/domain-suggestion", Some(&cookie))
                .await
        }
    };
    // Nothing until the owner chooses `suggest`, and only owners choose.
    assert!(suggestion(ann.clone()).await.body.is_null());
    assert_eq!(
        code(&policy(&app, &admin, &domain, "suggest", json!("member")).await),
        (403, "ONLY_OWNERS_MANAGE_DOMAINS")
    );
    assert_eq!(
        code(&policy(&app, &owner, &domain, "everyone", json!("member")).await),
        (400, "INVALID_REQUEST_BODY")
    );
    let res = policy(&app, &owner, &domain, "suggest", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["domain"]["mode"], "suggest");
    assert_eq!(res.body["invited"], 0);

    let res = suggestion(ann.clone()).await;
    assert_eq!(res.body["organizationName"], "Acme");
    assert_eq!(res.body["domain"], "acme.io");
    assert!(suggestion(stranger.clone()).await.body.is_null());
    let res = post(
        &app,
        &stranger,
        "request-to-join",
        json!({ "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (403, "NO_DOMAIN_INVITES_YOU"));

    let res = post(
        &app,
        &ann,
        "request-to-join",
        json!({ "organizationId": "acme", "message": "Hi, I am in sales." }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["status"], "pending");
    let request = res.body["id"].as_str().unwrap().to_owned();
    assert!(
        suggestion(ann.clone()).await.body.is_null(),
        "asked already"
    );
    let res = post(
        &app,
        &ann,
        "request-to-join",
        json!({ "organizationId": org }),
    )
    .await;
    assert_eq!(code(&res), (409, "JOIN_REQUEST_ALREADY_PENDING"));

    let res = post(
        &app,
        &admin,
        "approve-join-request",
        json!({ "requestId": request }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        roles_in(&app, &org, "ann@acme.io").await.as_deref(),
        Some("member")
    );
    let res = post(
        &app,
        &ann,
        "request-to-join",
        json!({ "organizationId": org }),
    )
    .await;
    assert_eq!(
        code(&res),
        (400, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    );
}

async fn auto_invite_and_auto_join_grant_the_domains_roles(backend: Backend) {
    let Some((app, dns)) = app_with_dns(backend, &[]).await else {
        return;
    };
    let (org, owner, admin, _) = organization(&app).await;
    let domain = verified_domain(&app, &dns, &owner, &org, "acme.io").await;
    let bob = app.account("bob@acme.io", "user").await;

    // `auto_invite`: the people here already find an invitation, with the
    // domain's roles, and accept it as any other.
    let res = policy(&app, &owner, &domain, "auto_invite", json!(["admin"])).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["invited"], 1);
    let inbox = get(&app, &bob, "list-user-invitations").await;
    assert_eq!(inbox.body.as_array().unwrap().len(), 1, "{}", inbox.text);
    assert_eq!(inbox.body[0]["role"], "admin");
    let res = post(
        &app,
        &bob,
        "accept-invitation",
        json!({ "invitationId": inbox.body[0]["id"] }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        roles_in(&app, &org, "bob@acme.io").await.as_deref(),
        Some("admin")
    );

    // Someone who signs up and verifies later is invited then.
    let res = app
        .sign_up("Cleo", "cleo@acme.io", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let cleo = res.session_cookie().unwrap();
    assert_eq!(pending_for(&app, "cleo@acme.io").await, 0);
    let link = crate::support::link_in(&app.emails_to("cleo@acme.io").await[0], &app.base_url);
    let token = crate::support::token_in(&link);
    let res = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let inbox = get(&app, &cleo, "list-user-invitations").await;
    assert_eq!(inbox.body.as_array().unwrap().len(), 1, "{}", inbox.text);

    // Changing the policy cancels what the former one issued.
    let res = policy(&app, &owner, &domain, "auto_join", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["canceled"], 1);
    assert_eq!(res.body["invited"], 1, "Cleo, again, as member");

    // `auto_join`: verifying the address makes the member.
    let res = app
        .sign_up("Dan", "dan@acme.io", "correct horse battery")
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        roles_in(&app, &org, "dan@acme.io").await,
        None,
        "not before the address is proven"
    );
    let link = crate::support::link_in(&app.emails_to("dan@acme.io").await[0], &app.base_url);
    let res = app
        .post(
            "/api/auth/verify-email",
            json!({ "token": crate::support::token_in(&link) }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        roles_in(&app, &org, "dan@acme.io").await.as_deref(),
        Some("member")
    );

    // Signing up with an invitation to Acme itself joins once, as invited.
    let res = post(
        &app,
        &admin,
        "invite-member",
        json!({ "organizationId": org, "email": "eve@acme.io", "role": "admin" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let secret = crate::support::orgs::secret_sent_to(&app, "eve@acme.io").await;
    let res = app
        .post(
            "/api/auth/organization/signup-with-invitation",
            json!({ "invitationId": secret, "name": "Eve", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        roles_in(&app, &org, "eve@acme.io").await.as_deref(),
        Some("admin")
    );

    // The roles go on the authority of whoever set the policy, as it is
    // now: once they can no longer grant, nobody joins, and signing up
    // still works.
    let res = post(&app, &owner, "update-member-role", json!({ "organizationId": org, "memberId": member_id(&app, &org, "admin@example.com").await, "role": "owner" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = policy(&app, &admin, &domain, "auto_join", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = post(&app, &owner, "update-member-role", json!({ "organizationId": org, "memberId": member_id(&app, &org, "admin@example.com").await, "role": "member" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    sign_up_and_verify(&app, "Finn", "finn@acme.io").await;
    assert_eq!(roles_in(&app, &org, "finn@acme.io").await, None);

    // Removing the domain cancels its open invitations.
    let res = post(&app, &owner, "remove-domain", json!({ "domainId": domain })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(pending_for(&app, "cleo@acme.io").await, 0);
    assert_eq!(
        actions(&app, "organization.domain.").await,
        [
            "organization.domain.add",
            "organization.domain.verify",
            "organization.domain.policy",
            "organization.domain.policy",
            "organization.domain.join",
            "organization.domain.policy",
            "organization.domain.remove",
        ]
    );
}

async fn one_organization_verifies_a_domain_even_racing(backend: Backend) {
    let Some((app, dns)) = app_with_dns(backend, &[("organizations.membership_limit", "3")]).await
    else {
        return;
    };
    let (org, owner, _, _) = organization(&app).await;
    let boss = app.account("boss@globex.io", "user").await;
    let res = post(
        &app,
        &boss,
        "create",
        json!({ "name": "Globex", "slug": "globex" }),
    )
    .await;
    let globex = res.body["id"].as_str().unwrap().to_owned();
    // Both claim it and both publish their record; both check at once.
    let mut claims = Vec::new();
    for (cookie, id) in [(&owner, &org), (&boss, &globex)] {
        let res = add(
            &app,
            cookie,
            json!({ "organizationId": id, "domain": "shared.io" }),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text);
        let record = &res.body["dnsRecord"];
        dns.publish(
            record["name"].as_str().unwrap(),
            record["value"].as_str().unwrap(),
        );
        claims.push((cookie.clone(), res.body["id"].as_str().unwrap().to_owned()));
    }
    let checks = claims
        .iter()
        .map(|(cookie, id)| verify(&app, cookie, json!({ "domainId": id })));
    let answers = futures::future::join_all(checks).await;
    let verified = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        verified,
        1,
        "{:?}",
        answers.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let refused = answers.iter().find(|r| r.status != 200).unwrap();
    assert_eq!(
        code(refused),
        (409, "DOMAIN_CLAIMED_BY_ANOTHER_ORGANIZATION")
    );

    // Acme is full (3 members): its `auto_join` domain admits nobody, and
    // signing up still works.
    let domain = verified_domain(&app, &dns, &owner, &org, "acme.io").await;
    let res = policy(&app, &owner, &domain, "auto_join", json!("member")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    sign_up_and_verify(&app, "Gil", "gil@acme.io").await;
    assert_eq!(roles_in(&app, &org, "gil@acme.io").await, None);
}

/// A new account, signed up and its address confirmed by its link.
async fn sign_up_and_verify(app: &TestApp, name: &str, email: &str) {
    let res = app.sign_up(name, email, "correct horse battery").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let link = crate::support::link_in(&app.emails_to(email).await[0], &app.base_url);
    let token = crate::support::token_in(&link);
    let res = app
        .post("/api/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["emailVerified"], true, "{}", res.text);
}

async fn pending_for(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from organization_invitations where email = $1 and status = 'pending'",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn member_id(app: &TestApp, org: &str, email: &str) -> String {
    sqlx::query_scalar(
        "select m.id from organization_members m join users u on u.id = m.user_id
         where m.organization_id = $1 and u.email = $2",
    )
    .bind(org)
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

on_both_databases!(
    domains_are_proven_by_a_dns_record_or_an_emailed_code,
    a_suggest_domain_lets_people_ask_to_join,
    auto_invite_and_auto_join_grant_the_domains_roles,
    one_organization_verifies_a_domain_even_racing,
);
