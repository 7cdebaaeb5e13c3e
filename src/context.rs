//! What a server function needs from its request: the app state, the
//! caller's address and agent, and a way to set cookies on the response.
//! Who is signed in is the accounts' to say (`accounts::sessions` adds
//! `session`, `signed_in` and `require` to the context).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::extract::{ConnectInfo, FromRef};
use http::{header, request::Parts, HeaderValue};
use ipnet::IpNet;
use leptos::prelude::{use_context, LeptosOptions};
use leptos_axum::ResponseOptions;

use crate::{
    config::Config,
    error::ApiError,
    server::{clock, db::Db, rate_limit, shutdown::Wake},
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
    /// Wakes this node's email sender after a message was queued.
    pub mail: Wake,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

pub struct RequestContext {
    pub state: AppState,
    pub parts: Parts,
}

impl RequestContext {
    /// The context of the request being served. Both pieces are provided by
    /// the router for every server function and page; their absence is a
    /// wiring bug, reported as an internal error rather than a panic.
    pub fn current() -> Result<Self, ApiError> {
        let state = use_context::<AppState>();
        let parts = use_context::<Parts>();
        match (state, parts) {
            (Some(state), Some(parts)) => Ok(Self { state, parts }),
            _ => {
                tracing::error!(
                    "server function called without AppState or request Parts in context"
                );
                Err(ApiError::internal())
            }
        }
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The client's address, as the audit log records it (see `client_addr`).
    pub fn ip(&self) -> String {
        self.addr().map(|ip| ip.to_string()).unwrap_or_default()
    }

    pub fn addr(&self) -> Option<IpAddr> {
        request_addr(&self.parts, &self.config().trusted_proxies)
    }

    /// The caller's rate-limit bucket: their address, or their /64.
    pub fn bucket(&self) -> String {
        self.addr().map(bucket_of).unwrap_or_default()
    }

    pub fn user_agent(&self) -> Option<String> {
        self.parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect())
    }

    /// Counts this request against the caller's address in `bucket`.
    pub async fn rate_limit(
        &self,
        bucket: &str,
        limit: crate::config::Limit,
    ) -> Result<(), ApiError> {
        rate_limit::hit(
            self.db(),
            &format!("{bucket}:{}", self.bucket()),
            limit,
            clock::now_ms(),
        )
        .await
    }

    /// Sets a response header, when the answer is a page or a server
    /// function's (plain routes set their own).
    pub fn set_header(&self, name: header::HeaderName, value: &'static str) {
        if let Some(options) = use_context::<ResponseOptions>() {
            options.insert_header(name, HeaderValue::from_static(value));
        }
    }

    pub fn set_cookie(&self, cookie: &str) {
        if let (Some(options), Ok(value)) = (
            use_context::<ResponseOptions>(),
            HeaderValue::from_str(cookie),
        ) {
            options.append_header(header::SET_COOKIE, value);
        }
    }
}

/// The value of the request's cookie `name`, if it sent one.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The client's address (SPEC §8). The socket's peer, unless it is a
/// trusted proxy: then `X-Forwarded-For` is read from the right, where the
/// nearest proxy appended what it saw, past every trusted proxy, and the
/// first address no proxy of ours vouches for is the client. Everything to
/// its left is whatever that client chose to write, and is never read.
pub fn client_addr<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let trusted_hop = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    let mut current = peer?;
    // Several header lines count as one list, in order.
    let mut entries = forwarded_for.flat_map(|line| line.split(',')).rev();
    while trusted_hop(&current) {
        match entries.next().map(str::trim) {
            Some(entry) => match parse_hop(entry) {
                Some(ip) => current = ip,
                // A trusted proxy writes addresses; anything else came from
                // further out, so the last hop we trust is what we know.
                None => break,
            },
            None => break,
        }
    }
    Some(canonical(current))
}

/// An entry of `X-Forwarded-For`: an address, perhaps with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv4 seen through an IPv6 socket (`::ffff:1.2.3.4`) is IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The rate-limit bucket of an address. An IPv6 host usually holds a whole
/// /64 and can pick any address in it, so the /64 is the bucket.
pub fn bucket_of(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

fn request_addr(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let lines = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>();
    client_addr(peer, lines.into_iter(), trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn addr(peer: &str, xff: &[&str], trusted: &[&str]) -> String {
        client_addr(
            Some(peer.parse().unwrap()),
            xff.iter().copied(),
            &nets(trusted),
        )
        .unwrap()
        .to_string()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(addr("203.0.113.9", &["1.1.1.1"], &[]), "203.0.113.9");
        assert_eq!(addr("203.0.113.9", &[], &["10.0.0.0/8"]), "203.0.113.9");
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        assert_eq!(
            addr("203.0.113.9", &["10.0.0.1"], &["10.0.0.0/8"]),
            "203.0.113.9"
        );
    }

    #[test]
    fn the_walk_goes_from_the_right_past_trusted_proxies() {
        let trusted = &["10.0.0.0/8", "192.168.1.1/32"];
        assert_eq!(addr("10.0.0.2", &["198.51.100.7"], trusted), "198.51.100.7");
        // The client forged a first entry; our proxies appended the rest.
        assert_eq!(
            addr("10.0.0.2", &["6.6.6.6, 198.51.100.7, 192.168.1.1"], trusted),
            "198.51.100.7"
        );
        // Entries split over several header lines are one list.
        assert_eq!(
            addr(
                "10.0.0.2",
                &["6.6.6.6", "198.51.100.7", "10.9.9.9"],
                trusted
            ),
            "198.51.100.7"
        );
        // A forged line that varies per request still lands in one bucket.
        for forged in ["1.2.3.4", "5.6.7.8", "junk", ""] {
            assert_eq!(
                addr("10.0.0.2", &[forged, "198.51.100.7"], trusted),
                "198.51.100.7"
            );
        }
    }

    #[test]
    fn odd_entries_stop_the_walk_at_the_last_trusted_hop() {
        let trusted = &["10.0.0.0/8"];
        assert_eq!(addr("10.0.0.2", &["not-an-ip"], trusted), "10.0.0.2");
        assert_eq!(addr("10.0.0.2", &[], trusted), "10.0.0.2");
        assert_eq!(addr("10.0.0.2", &["10.0.0.3"], trusted), "10.0.0.3");
        assert_eq!(
            addr("10.0.0.2", &["198.51.100.7:4711"], trusted),
            "198.51.100.7"
        );
        assert_eq!(
            addr("10.0.0.2", &["[2001:db8::5]:443"], trusted),
            "2001:db8::5"
        );
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(
            addr("::ffff:10.0.0.2", &["198.51.100.7"], &["10.0.0.0/8"]),
            "198.51.100.7"
        );
        assert_eq!(addr("::ffff:203.0.113.9", &[], &[]), "203.0.113.9");
    }

    #[test]
    fn ipv6_is_bucketed_by_its_64() {
        let b = |s: &str| bucket_of(s.parse().unwrap());
        assert_eq!(b("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(b("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(b("2001:db8:1:3::1"), b("2001:db8:1:2::1"));
        assert_eq!(b("203.0.113.9"), "203.0.113.9");
        assert_eq!(b("::ffff:203.0.113.9"), "203.0.113.9");
    }
}
