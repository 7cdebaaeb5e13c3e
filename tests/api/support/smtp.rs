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
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
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

/// A sink that holds its port bound but not listening: connections are
/// refused, as by a server that is down, and no other process can take the
/// port before it comes up.
pub struct DownSink {
    pub port: u16,
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl DownSink {
    pub async fn start() -> Self {
        let (child, mut lines) = spawn(&["--down-first"]);
        let port = announced(&mut lines, "down").await;
        Self { port, child, lines }
    }

    /// `smtp_url` for a Gatehouse that should deliver here.
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// Starts listening on the same port.
    pub async fn come_up(mut self) -> SmtpSink {
        let stdin = self.child.stdin.as_mut().expect("the sink's stdin");
        stdin
            .write_all(b"up\n")
            .await
            .expect("the sink reads its stdin");
        stdin.flush().await.unwrap();
        let port = announced(&mut self.lines, "ready").await;
        assert_eq!(port, self.port);
        SmtpSink::receiving(self.child, self.lines, port)
    }
}

fn spawn(args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/support/smtp_sink.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs (scripts/bootstrap.sh e2e installs what the tests need)");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// The port in the sink's `{"<state>": port}` line.
async fn announced(lines: &mut Lines<BufReader<ChildStdout>>, state: &str) -> u16 {
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the SMTP sink starts within 30 s")
        .expect("the SMTP sink's output is readable");
    line.as_deref()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v[state].as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or_else(|| {
            panic!(
                "the SMTP sink did not announce {state:?} ({line:?}); is aiosmtpd installed? \
                 `python3 -m pip install aiosmtpd`, or run scripts/bootstrap.sh e2e"
            )
        })
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::listening(&[]).await
    }

    /// A server that accepts mail only after `AUTH` with these credentials.
    pub async fn start_with_login(user: &str, password: &str) -> Self {
        Self::listening(&["--user", user, "--password", password]).await
    }

    async fn listening(args: &[&str]) -> Self {
        let (child, mut lines) = spawn(args);
        let port = announced(&mut lines, "ready").await;
        Self::receiving(child, lines, port)
    }

    /// Collects every message the sink reports.
    fn receiving(child: Child, mut lines: Lines<BufReader<ChildStdout>>, port: u16) -> Self {
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
fn url_for(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}?tls=none")
}
