//! A real HTTP receiver for webhook tests: it records every request and
//! answers with the status it is told to. It can also start "down": its
//! port is bound but not listening, so connections are refused, as by an
//! app that is not running, and nothing else can take the port meanwhile.

use std::{
    sync::{
        atomic::{AtomicU16, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{extract::State, http::HeaderMap, routing::post, Router};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::net::{TcpListener, TcpSocket};

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a delivery's body is JSON")
    }

    /// Verifies the Standard Webhooks signature with `secret` (`whsec_` and
    /// base64, or plain text), written here from the specification rather
    /// than with Gatehouse's own code, so that the two check each other.
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = match secret.strip_prefix("whsec_") {
            Some(b64) => STANDARD.decode(b64).expect("base64 after whsec_"),
            None => secret.as_bytes().to_vec(),
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(
            format!(
                "{}.{}.{}",
                self.header("webhook-id"),
                self.header("webhook-timestamp"),
                self.body
            )
            .as_bytes(),
        );
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        // The header may list several signatures, space-separated.
        self.header("webhook-signature")
            .split(' ')
            .any(|s| s == expected)
    }
}

#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

pub struct Receiver {
    pub port: u16,
    shared: Shared,
}

pub struct DownReceiver {
    socket: TcpSocket,
    pub port: u16,
}

fn url_for(port: u16) -> String {
    format!("http://127.0.0.1:{port}/hooks/gatehouse")
}

impl DownReceiver {
    pub fn start() -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = socket.local_addr().unwrap().port();
        Self { socket, port }
    }

    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// Starts listening on the same port.
    pub fn come_up(self) -> Receiver {
        Receiver::serve(self.socket.listen(128).unwrap())
    }
}

impl Receiver {
    pub async fn start() -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn serve(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let shared = Shared {
            received: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let app = Router::new()
            .route(
                "/hooks/gatehouse",
                post(
                    |State(s): State<Shared>, headers: HeaderMap, body: String| async move {
                        s.received.lock().unwrap().push(Received { headers, body });
                        axum::http::StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap()
                    },
                ),
            )
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { port, shared }
    }

    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// The status every later request is answered with.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the receiver got {} of {n} deliveries in 30 s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
