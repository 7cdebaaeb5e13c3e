//! Test harness: starts the real Gatehouse server on port 0 against a fresh
//! database (a temporary SQLite file, or a new PostgreSQL database) and
//! speaks HTTP to it.

pub mod dns;
pub mod orgs;
pub mod receiver;
pub mod smtp;

use std::time::Duration;

use gatehouse::{config::Config, startup};
use leptos::config::LeptosOptions;
use reqwest::{header, Method, StatusCode};
use serde_json::Value;
use sqlx::{any::install_default_drivers, AnyPool, Connection};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base_url: String,
    pub database_url: String,
    pub db: AnyPool,
    /// The server's own storage handle, for calling library functions.
    pub store: gatehouse::server::db::Db,
    pub config: Config,
    client: reqwest::Client,
    _dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The session cookie this response set, as `name=value`.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie_header()
            .map(|c| c.split(';').next().unwrap().to_owned())
    }

    /// A `get-session` answer for no session: 200 with a JSON `null` (not
    /// merely a body that failed to parse).
    pub fn is_no_session(&self) -> bool {
        self.status == StatusCode::OK && self.text.trim() == "null"
    }

    pub fn set_cookie_header(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| {
                c.starts_with("gatehouse.session_token=")
                    || c.starts_with("__Host-gatehouse.session_token=")
            })
            .map(str::to_owned)
    }
}

/// The instance key of every test server (TOML-quoted base64 of 32 bytes).
pub const TEST_SECRET_KEY: &str = "\"dGVzdC1rZXktZm9yLWdhdGVob3VzZS10ZXN0cy0zMmI=\"";

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, empty PostgreSQL database, or None when the suite was told that no
/// server is reachable (the test command says so loudly).
async fn fresh_postgres_database() -> Option<String> {
    install_default_drivers();
    let admin_url = postgres_admin_url();
    let mut admin = match sqlx::AnyConnection::connect(&admin_url).await {
        Ok(conn) => conn,
        // Under CI a missing server fails the suite, whatever asks to skip.
        Err(e)
            if std::env::var("SKIP_POSTGRES_TESTS").as_deref() == Ok("1")
                && std::env::var_os("CI").is_none() =>
        {
            eprintln!("SKIPPED (PostgreSQL): no server at {admin_url}: {e}");
            return None;
        }
        Err(e) => panic!(
            "PostgreSQL is not reachable at {admin_url} ({e}). Start it, point TEST_POSTGRES_URL at one, \
             or set SKIP_POSTGRES_TESTS=1 to skip the PostgreSQL half of the suite."
        ),
    };
    let name = format!(
        "gatehouse_test_{}",
        gatehouse::server::crypto::new_id()
            .to_lowercase()
            .replace(['-', '_'], "")
    );
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
    Some(format!("{base}/{name}"))
}

impl TestApp {
    /// Starts a server in open sign-up mode with the given extra settings
    /// (dotted key, TOML value). None when PostgreSQL is skipped.
    pub async fn spawn(backend: Backend, overrides: &[(&str, &str)]) -> Option<Self> {
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    format!("sqlite://{}/gatehouse.db", dir.path().display()),
                    Some(std::sync::Arc::new(dir)),
                )
            }
            Backend::Postgres => (fresh_postgres_database().await?, None),
        };
        Some(Self::start_node(database_url, dir, overrides).await)
    }

    /// A server in invite-only mode (the default a self-hoster gets), with
    /// budgets high enough for tests that sign many people up.
    pub async fn invite_only(backend: Backend, extra: &[(&str, &str)]) -> Option<Self> {
        let mut settings = vec![
            ("sign_up_mode", "\"invite-only\""),
            ("rate_limits.sign_up", "\"1000/1m\""),
            ("rate_limits.sign_in", "\"1000/1m\""),
            ("rate_limits.password_reset", "\"1000/1m\""),
        ];
        settings.extend_from_slice(extra);
        Self::spawn(backend, &settings).await
    }

    /// A second Gatehouse node on this one's database, as behind a load
    /// balancer.
    pub async fn another_node(&self, overrides: &[(&str, &str)]) -> Self {
        Self::start_node(self.database_url.clone(), self._dir.clone(), overrides).await
    }

    /// A server on an existing database, e.g. one a CLI command prepared.
    pub async fn on_database(database_url: &str, overrides: &[(&str, &str)]) -> Self {
        Self::start_node(database_url.to_owned(), None, overrides).await
    }

    async fn start_node(
        database_url: String,
        dir: Option<std::sync::Arc<tempfile::TempDir>>,
        overrides: &[(&str, &str)],
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let base_url = format!("http://127.0.0.1:{port}");
        let quoted_base = format!("\"{base_url}\"");
        let quoted_db = format!("\"{database_url}\"");
        let mut settings = vec![
            ("base_url", quoted_base.as_str()),
            ("database_url", quoted_db.as_str()),
            ("sign_up_mode", "\"open\""),
            // Every node of one database shares its key, as in production.
            ("secret_key", TEST_SECRET_KEY),
        ];
        settings.extend_from_slice(overrides);
        let config = Config::with_overrides(&settings).expect("valid test configuration");
        let leptos_options = LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root("target/site")
            .build();
        let running = startup::start(config.clone(), leptos_options, listener)
            .await
            .expect("server starts");
        let store = running.state.db.clone();
        let db = store.pool().clone();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A hung request fails its test, naming the path, rather than
            // stalling the whole suite.
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Self {
            base_url,
            database_url,
            db,
            store,
            config,
            client,
            _dir: dir,
        }
    }

    /// Gives an existing account a role, as an owner would.
    pub async fn set_role(&self, email: &str, role: &str) {
        let done = sqlx::query("update users set role = $1 where email = $2")
            .bind(role)
            .bind(email)
            .execute(&self.db)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "no user {email}");
    }

    /// Signs `email` up through an invitation the instance itself made for
    /// `role` (as the setup link and `gatehouse invite` do); returns the
    /// session cookie. Works in invite-only mode.
    pub async fn with_role(&self, email: &str, role: &str) -> String {
        let secret = self.instance_invite(role).await;
        let res = self
            .post(
                "/api/auth/sign-up/email",
                serde_json::json!({ "name": "Invited Person", "email": email, "password": "correct horse battery", "inviteToken": secret }),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.body["user"]["role"], role);
        self.verified(email).await;
        res.session_cookie().unwrap()
    }

    /// A one-use public invitation for `role`, made by the instance; returns
    /// its secret.
    pub async fn instance_invite(&self, role: &str) -> String {
        let spec = gatehouse::invitations::role::create::NewInvites {
            role: role.into(),
            emails: vec![],
            kind: gatehouse::invitations::secret::SecretKind::Link,
            max_uses: Some(1),
            expires_in_ms: 3_600_000,
            redirect: None,
            share_inviter_name: false,
            setup: false,
        };
        let created = gatehouse::invitations::role::create::create_invitations(
            &self.store,
            &self.config,
            &spec,
            None,
            None,
        )
        .await
        .expect("invitation created");
        created[0].secret.clone()
    }

    /// Polls `sql` (one text or integer column, one row) until `done` holds.
    pub async fn wait_until<T>(&self, sql: &str, done: impl Fn(&T) -> bool) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Any>
            + sqlx::Type<sqlx::Any>
            + Send
            + Unpin
            + std::fmt::Debug,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let value: T = sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap();
            if done(&value) {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting: `{sql}` is still {value:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response {
        match body {
            Some(body) => {
                let mut with_type = vec![("content-type", "application/json")];
                with_type.extend_from_slice(headers);
                self.raw(method, path, body, &with_type).await
            }
            None => self.raw(method, path, "", headers).await,
        }
    }

    /// A request with exactly this body and these headers.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base_url));
        if !body.is_empty() {
            req = req.body(body.to_owned());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer from the server: {e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let text = res
            .text()
            .await
            .unwrap_or_else(|e| panic!("{path}: the answer's body: {e}"));
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(&body.to_string()), &[])
            .await
    }

    pub async fn post_with_cookie(&self, path: &str, body: Value, cookie: &str) -> Response {
        self.request(
            Method::POST,
            path,
            Some(&body.to_string()),
            &[("cookie", cookie)],
        )
        .await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
        self.request(Method::GET, path, None, &headers).await
    }

    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/sign-up/email",
            serde_json::json!({ "name": name, "email": email, "password": password }),
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/sign-in/email",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs up and returns the session cookie (`name=value`).
    pub async fn signed_up(&self, email: &str) -> String {
        let res = self
            .sign_up("Test Person", email, "correct horse battery")
            .await;
        assert_eq!(res.status, 200, "sign-up failed: {}", res.text);
        self.verified(email).await;
        res.session_cookie()
            .expect("sign-up sets the session cookie")
    }

    /// An existing, verified account with a password (`correct horse
    /// battery`), made directly in the database, and a session cookie for
    /// it: for tests about something else that must not see the sign-up's
    /// own verification email (with a mail server, it would be delivered).
    pub async fn account(&self, email: &str, role: &str) -> String {
        use gatehouse::{
            accounts::{sessions, store},
            server::crypto,
        };
        let phc = crypto::hash_password("correct horse battery".into())
            .await
            .unwrap();
        let mut tx = self.store.begin().await.unwrap();
        let user = store::insert_user(
            &mut tx,
            store::NewUser {
                id: &crypto::new_id(),
                email,
                name: "Test Person",
                role,
                email_verified: true,
            },
        )
        .await
        .unwrap();
        store::set_password_hash(&mut tx, &user.id, &phc)
            .await
            .unwrap();
        let (token, _) = sessions::create(&mut tx, &self.config, &user.id, "127.0.0.1", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        format!("{}={token}", sessions::cookie_name(&self.config))
    }

    /// Makes a new account an established one, as if its owner had
    /// followed the verification link: its email verified, and the
    /// verification email (and the budget it spent) gone, so tests about
    /// other messages see only theirs. Verification itself is tested with
    /// `sign_up`, which leaves all of it in place.
    pub async fn verified(&self, email: &str) {
        sqlx::query("update users set email_verified = 1 where email = $1")
            .bind(email)
            .execute(&self.db)
            .await
            .unwrap();
        sqlx::query(
            "delete from outbound_emails where recipient = $1 and kind = 'email-verification'",
        )
        .bind(email)
        .execute(&self.db)
        .await
        .unwrap();
        sqlx::query("delete from rate_limits where key = $1")
            .bind(format!("email-to:{email}"))
            .execute(&self.db)
            .await
            .unwrap();
    }

    pub async fn session(&self, cookie: &str) -> Response {
        self.get("/api/auth/get-session", Some(cookie)).await
    }

    /// The text bodies of the emails queued for a recipient, oldest first,
    /// as they would be delivered: a waiting message's link is opened from
    /// its sealed copy (the stored text has it hidden).
    pub async fn emails_to(&self, recipient: &str) -> Vec<String> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "select text_body, sealed_body from outbound_emails where recipient = $1 order by created_at, id",
        )
        .bind(recipient)
        .fetch_all(&self.db)
        .await
        .unwrap();
        rows.into_iter()
            .map(|(stored, sealed)| match sealed {
                Some(sealed) => {
                    gatehouse::email::outbox::open_text(&self.config.secret_key, &sealed)
                        .expect("a sealed body opens with the instance key")
                }
                None => stored,
            })
            .collect()
    }

    /// `emails_to`, once `n` messages are there: password resets and
    /// signed-out verification requests are queued after the answer.
    pub async fn wait_for_emails(&self, recipient: &str, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let found = self.emails_to(recipient).await;
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{recipient} did not get {n} emails within 5 s");
    }
}

/// The first link in a text that goes to this instance.
pub fn link_in(text: &str, base_url: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(base_url))
        .expect("the email carries a link")
        .to_owned()
}

/// The `token` query parameter of an emailed link.
pub fn token_in(link: &str) -> String {
    let query = link.split_once('?').expect("the link has a query").1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "token")
        .expect("the link carries a token")
        .1
        .into_owned()
}

/// Generates one test per database for each listed async test function
/// taking a `Backend`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name($crate::support::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name($crate::support::Backend::Postgres).await } )*
        }
    };
}
