//! A real SMTP server for the tests: `smtp_sink.py` (aiosmtpd) in its own
//! process on a loopback port. Every message it accepts comes back here as a
//! `Received`, parsed by Python's email package.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Deserialize;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::Notify,
};

#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The header block exactly as it arrived.
    pub raw_headers: String,
    pub headers: Vec<(String, String)>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub authenticated_as: Option<String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct SmtpSink {
    pub port: u16,
    _child: Child,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

/// A loopback port with nothing listening on it (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl SmtpSink {
    pub async fn start(port: u16) -> Self {
        Self::spawn(port, &[]).await
    }

    /// A server that accepts mail only after `AUTH` with these credentials.
    pub async fn start_with_login(port: u16, user: &str, password: &str) -> Self {
        Self::spawn(port, &["--user", user, "--password", password]).await
    }

    async fn spawn(port: u16, extra: &[&str]) -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/support/smtp_sink.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (scripts/bootstrap.sh e2e installs what the tests need)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the SMTP sink starts within 30 s")
            .expect("the SMTP sink's output is readable");
        match ready {
            Some(line) if line.contains("ready") => {}
            other => panic!(
                "the SMTP sink did not start ({other:?}); is aiosmtpd installed? \
                 `python3 -m pip install aiosmtpd`, or run scripts/bootstrap.sh e2e"
            ),
        }
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        tokio::spawn({
            let (received, arrived) = (received.clone(), arrived.clone());
            async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    let message: Received =
                        serde_json::from_str(&line).expect("the sink prints JSON");
                    received.lock().unwrap().push(message);
                    arrived.notify_waiters();
                }
            }
        });
        Self {
            port,
            _child: child,
            received,
            arrived,
        }
    }

    /// `smtp_url` for a Gatehouse that should deliver here.
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages have arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                panic!(
                    "expected {n} messages at the SMTP server, got {}",
                    got.len()
                );
            }
        }
    }
}

/// A plain-SMTP URL for a port on loopback.
pub fn url_for(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}?tls=none")
}
