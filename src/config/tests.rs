//! Configuration tests: defaults, each section's checks, and the messages
//! that name a bad key.

use super::*;

#[test]
fn defaults_are_valid() {
    let c = Config::with_overrides(&[]).unwrap();
    assert_eq!(c.sign_up_mode, SignUpMode::InviteOnly);
    assert_eq!(c.database_url, "sqlite://data/gatehouse.db");
    assert_eq!(c.session_ttl, Duration::from_secs(7 * 24 * 3600));
    assert!(!c.secure_cookies());
}

#[test]
fn https_base_url_means_secure_cookies() {
    let c = Config::with_overrides(&[("base_url", "\"https://id.example.com/\"")]).unwrap();
    assert!(c.secure_cookies());
    assert_eq!(c.origin(), "https://id.example.com");
    assert_eq!(c.link("/sign-in"), "https://id.example.com/sign-in");
}

#[test]
fn errors_name_the_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("base_url", "\"not a url\"", "base_url"),
        ("base_url", "\"ftp://x\"", "base_url"),
        ("bind", "\"localhost\"", "bind"),
        ("database_url", "\"mysql://x\"", "database_url"),
        ("session_ttl", "\"soon\"", "session_ttl"),
        ("session_ttl", "\"0s\"", "session_ttl"),
        ("rate_limits.sign_in", "\"ten\"", "rate_limits.sign_in"),
        ("rate_limits.sign_in", "\"0/1m\"", "rate_limits.sign_in"),
        ("trusted_origins", "[\"nope\"]", "trusted_origins"),
        ("trusted_proxies", "[\"10.0.0.0/33\"]", "trusted_proxies"),
        ("trust_proxy_headers", "true", "trusted_proxies"),
        ("secret_key", "\"short\"", "secret_key"),
        ("metrics_token", "\"short\"", "metrics_token"),
        (
            "organizations.allow_create",
            "\"admins\"",
            "organizations.allow_create",
        ),
        (
            "organizations.allow_create",
            "[\"emperor\"]",
            "organizations.allow_create",
        ),
        (
            "organizations.membership_limit",
            "0",
            "organizations.membership_limit",
        ),
        (
            "organizations.teams.maximum_members_per_team",
            "0",
            "organizations.teams.maximum_members_per_team",
        ),
        ("sign_up_mode", "\"closed\"", "sign_up_mode"),
        (
            "organizations.domains.free_mail",
            "[\"not a domain\"]",
            "organizations.domains.free_mail",
        ),
        (
            "organizations.domains.dns_server",
            "\"dns.example.com\"",
            "organizations.domains.dns_server",
        ),
    ];
    for (key, value, named) in cases {
        let err = Config::with_overrides(&[(key, value)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(named),
            "{key}={value}: `{err}` should name `{named}`"
        );
    }
}

#[test]
fn domain_settings() {
    let d = Config::with_overrides(&[]).unwrap().organizations.domains;
    assert!(d.is_free_mail("gmail.com") && d.is_free_mail("proton.me"));
    assert!(!d.is_free_mail("acme.io"));
    assert_eq!(d.dns_server, None);
    let c = Config::with_overrides(&[
        ("organizations.domains.free_mail", "[\"@Mail.Corp.io\"]"),
        ("organizations.domains.dns_server", "\"192.0.2.53\""),
    ])
    .unwrap();
    let d = c.organizations.domains;
    assert!(d.is_free_mail("mail.corp.io"));
    assert!(
        !d.is_free_mail("gmail.com"),
        "the list replaces the built-in one"
    );
    assert_eq!(d.dns_server, Some("192.0.2.53:53".parse().unwrap()));
    let c =
        Config::with_overrides(&[("organizations.domains.dns_server", "\"[::1]:5353\"")]).unwrap();
    assert_eq!(
        c.organizations.domains.dns_server,
        Some("[::1]:5353".parse().unwrap())
    );
}

#[test]
fn unknown_keys_are_refused() {
    let err = Config::with_overrides(&[("sign_up", "\"open\"")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("sign_up"), "{err}");
}

// figment::Jail dictates the closure's error type.
#[allow(clippy::result_large_err)]
#[test]
fn environment_overrides_the_file_which_overrides_defaults() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gatehouse.toml",
            "sign_up_mode = \"open\"\nbase_url = \"https://file.example.com\"\n[rate_limits]\nsign_in = \"7/1m\"\n",
        )?;
        jail.set_env("GATEHOUSE_BASE_URL", "https://env.example.com");
        jail.set_env("GATEHOUSE_RATE_LIMITS__SIGN_UP", "9/2m");
        let c = Config::load().map_err(|e| e.to_string())?;
        assert_eq!(c.sign_up_mode, SignUpMode::Open, "from the file");
        assert_eq!(
            c.origin(),
            "https://env.example.com",
            "the environment wins"
        );
        assert_eq!(c.rate_limits.sign_in.max, 7, "nested key from the file");
        assert_eq!(
            c.rate_limits.sign_up.max, 9,
            "nested key from the environment"
        );
        assert_eq!(c.bind, "127.0.0.1:3000", "default");
        Ok(())
    });
}

#[allow(clippy::result_large_err)]
#[test]
fn a_bad_environment_value_names_its_key() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("GATEHOUSE_SIGN_UP_MODE", "sometimes");
        let err = Config::load().unwrap_err().to_string();
        assert!(
            err.contains("`sign_up_mode` (from GATEHOUSE_SIGN_UP_MODE)"),
            "{err}"
        );
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        jail.set_env("GATEHOUSE_CONFIG", "custom.toml");
        jail.create_file("custom.toml", "session_ttl = \"forever\"\nbind = 3000")?;
        let err = Config::load().unwrap_err().to_string();
        assert!(
            err.contains("`bind` (in ") && err.contains("custom.toml"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn smtp_urls() {
    let smtp = |url: &str| {
        Config::with_overrides(&[("smtp_url", &format!("\"{url}\""))]).map(|c| c.smtp.unwrap())
    };
    let s = smtp("smtp://mailer%40example.com:p%2Bss@mail.example.com").unwrap();
    assert_eq!(
        (s.host.as_str(), s.port, s.tls),
        ("mail.example.com", 587, SmtpTls::StartTls)
    );
    let (user, pass) = s.credentials.unwrap();
    assert_eq!(user, "mailer@example.com");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&pass), "p+ss");
    let s = smtp("smtps://mail.example.com").unwrap();
    assert_eq!((s.port, s.tls), (465, SmtpTls::Wrapper));
    assert!(s.credentials.is_none());
    let s = smtp("smtp://127.0.0.1:2525?tls=none").unwrap();
    assert_eq!((s.port, s.tls), (2525, SmtpTls::None));
    assert_eq!(
        smtp("smtp://h?tls=opportunistic").unwrap().tls,
        SmtpTls::Opportunistic
    );
    for bad in [
        "http://h",
        "smtp://h?tls=maybe",
        "smtp://user@h",
        "nonsense",
    ] {
        let err = smtp(bad).unwrap_err().to_string();
        assert!(err.contains("smtp_url"), "{bad}: {err}");
    }
    let err = smtp("smtp://me:hunter2@h?tls=maybe")
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("hunter2"),
        "the password must not be echoed: {err}"
    );
    assert!(
        Config::with_overrides(&[]).unwrap().smtp.is_none(),
        "no SMTP by default"
    );
}

#[test]
fn email_settings() {
    let c = Config::with_overrides(&[("email.from", "\"Acme ID <id@acme.test>\"")]).unwrap();
    assert_eq!(c.email.from.email.to_string(), "id@acme.test");
    for (key, value) in [
        ("email.from", "\"not an address\""),
        ("email.max_attempts", "0"),
        ("email.retry_backoff", "\"often\""),
    ] {
        let err = Config::with_overrides(&[(key, value)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn roles_come_from_configuration() {
    assert_eq!(
        Config::with_overrides(&[]).unwrap().roles,
        Roles::defaults()
    );
    let c = Config::with_overrides(&[(
        "roles",
        r#"[{ name = "member" }, { name = "steward", description = "Keeps the door", abilities = ["Invite members"], permissions = { invite = ["create", "list"] } }]"#,
    )])
    .unwrap();
    let names: Vec<_> = c.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["member", "steward"],
        "the file's list replaces the defaults"
    );
    assert!(c
        .roles
        .allows("steward", crate::access::roles::Permission::InviteList));
    assert!(!c
        .roles
        .allows("steward", crate::access::roles::Permission::UserCreate));
    for (value, named) in [
        (
            r#"[{ name = "x", permissions = { invite = ["destroy"] } }]"#,
            "roles[0].permissions.invite",
        ),
        (
            r#"[{ name = "x", permissions = { planet = ["create"] } }]"#,
            "roles[0].permissions.planet",
        ),
        (r#"[{ name = "x" }, { name = "x" }]"#, "roles"),
        ("[]", "roles"),
        (r#"[{ name = "Root" }]"#, "roles"),
    ] {
        let err = Config::with_overrides(&[("roles", value)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(named),
            "{value}: `{err}` should name `{named}`"
        );
    }
}

#[test]
fn limits_parse() {
    let c = Config::with_overrides(&[("rate_limits.sign_in", "\"3/10s\"")]).unwrap();
    assert_eq!(
        c.rate_limits.sign_in,
        Limit {
            max: 3,
            window: Duration::from_secs(10)
        }
    );
}

/// `[[webhooks]]` lists endpoints; `[webhooks]` holds the settings and
/// `[[webhooks.endpoints]]`. Either way a mistake names its key.
#[allow(clippy::result_large_err)]
#[test]
fn webhooks_in_either_form() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gatehouse.toml",
            "[[webhooks]]\nurl = \"https://hooks.example.com/a\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nevents = [\"organization.member.*\"]\n\n[[webhooks]]\nurl = \"https://hooks.example.com/b\"\nsecret = \"a plain secret of some length\"\n",
        )?;
        let c = Config::load().map_err(|e| e.to_string())?;
        assert_eq!(c.webhooks.endpoints.len(), 2);
        assert_eq!(
            c.webhooks.endpoints[0].events.as_slice(),
            ["organization.member.*"]
        );
        assert_eq!(c.webhooks.endpoints[1].events.as_slice(), ["*"]);
        assert!(!c.webhooks.allow_private_networks);
        assert_eq!(c.webhooks.timeout, Duration::from_secs(10));
        jail.set_env("GATEHOUSE_WEBHOOKS__TIMEOUT", "3s");
        let err = Config::load().unwrap_err().to_string();
        assert!(err.contains("[[webhooks.endpoints]]"), "{err}");
        jail.create_file(
            "gatehouse.toml",
            "[webhooks]\nallow_private_networks = true\ntimeout = \"3s\"\n\n[[webhooks.endpoints]]\nurl = \"http://127.0.0.1:9000/in\"\nsecret = \"a plain secret of some length\"\n",
        )?;
        let c = Config::load().map_err(|e| e.to_string())?;
        assert!(c.webhooks.allow_private_networks);
        assert_eq!(c.webhooks.timeout, Duration::from_secs(3));
        assert_eq!(c.webhooks.max_attempts, 8);
        assert_eq!(
            c.webhooks.endpoints[0].url.as_str(),
            "http://127.0.0.1:9000/in"
        );
        Ok(())
    });
    let one = |fields: &str| format!("[{{ {fields} }}]");
    for (value, named) in [
        (one(r#"url = "https://x.example.com", secret = "short""#), "webhooks[0].secret"),
        (one(r#"url = "https://x.example.com", secret = "whsec_!!""#), "webhooks[0].secret"),
        (one(r#"url = "gopher://x", secret = "a plain secret of some length""#), "webhooks[0].url"),
        (one(r#"url = "http://10.1.1.1/", secret = "a plain secret of some length""#), "webhooks[0].url"),
        (
            one(r#"url = "https://x.example.com", secret = "a plain secret of some length", events = ["user.gone"]"#),
            "webhooks[0].events",
        ),
        (one(r#"url = "https://x.example.com", secrets = "a plain secret of some length""#), "secrets"),
        (
            r#"[{ url = "https://x.example.com", secret = "a plain secret of some length" }, { url = "https://x.example.com", secret = "a plain secret of some length" }]"#.to_owned(),
            "webhooks[1].url",
        ),
    ] {
        let err = Config::with_overrides(&[("webhooks", &value)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(named), "{value}: `{err}` should name `{named}`");
    }
    let err = Config::with_overrides(&[("webhooks.max_attempts", "0")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("webhooks.max_attempts"), "{err}");
    let err = Config::with_overrides(&[("webhooks.timeout", "\"soon\"")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("webhooks.timeout"), "{err}");
}

#[allow(clippy::result_large_err)]
#[test]
fn roles_that_must_use_two_factor() {
    let c = Config::with_overrides(&[]).unwrap();
    assert!(c.two_factor_required_for.is_empty(), "off by default");
    let c =
        Config::with_overrides(&[("two_factor_required_for", "[\"admin\", \"owner\"]")]).unwrap();
    assert_eq!(c.two_factor_required_for, ["admin", "owner"]);
    let err = Config::with_overrides(&[("two_factor_required_for", "[\"admins\"]")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`two_factor_required_for`") && err.contains("`admins` is not a role"),
        "{err}"
    );
    figment::Jail::expect_with(|jail| {
        jail.set_env("GATEHOUSE_TWO_FACTOR_REQUIRED_FOR", "[\"admin\",\"owner\"]");
        let c = Config::load().map_err(|e| e.to_string())?;
        assert_eq!(c.two_factor_required_for, ["admin", "owner"]);
        Ok(())
    });
}
