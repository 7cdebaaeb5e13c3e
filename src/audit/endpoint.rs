//! A webhook endpoint's values, free of I/O: what it listens to, which
//! addresses it may point at, and how a delivery to it is signed (Standard
//! Webhooks). They sit with the audit log that publishes to endpoints
//! (`publish` holds an event's payload), below the settings (`[[webhooks]]`
//! parses into them) and the webhooks feature, which both read them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;
use url::{Host, Url};

use super::domain::ACTIONS;

/// What an endpoint listens to: `*` (everything), a prefix such as
/// `organization.*` or `organization.member.*`, or event types. Sorted,
/// without repeats, and never empty; `*` stands alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    #[error("choose at least one event (or `*` for all of them)")]
    Empty,
    #[error("name at most {MAX_EVENTS} events or prefixes")]
    TooMany,
    #[error("`{0}` is not an event Gatehouse sends; use `*`, a prefix such as `organization.*`, or an event type from the list")]
    Unknown(String),
}

/// The most items one list of events may have.
pub const MAX_EVENTS: usize = 200;

impl Events {
    pub fn all() -> Self {
        Self(vec!["*".into()])
    }

    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, EventsError> {
        // Capped before any is read: every event there is fits with room.
        if items.len() > MAX_EVENTS {
            return Err(EventsError::TooMany);
        }
        let mut out: Vec<String> = Vec::new();
        let mut all = false;
        // Every item is checked, `*` or not, so a typo never hides behind it.
        for item in items {
            let item = item.as_ref().trim();
            if item.is_empty() {
                continue;
            }
            if item == "*" {
                all = true;
                continue;
            }
            let known = match item.strip_suffix(".*") {
                Some(prefix) => ACTIONS.iter().any(|a| {
                    a.strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('.'))
                }),
                None => ACTIONS.contains(&item),
            };
            if !known {
                return Err(EventsError::Unknown(item.to_owned()));
            }
            out.push(item.to_owned());
        }
        if all {
            return Ok(Self::all());
        }
        if out.is_empty() {
            return Err(EventsError::Empty);
        }
        out.sort();
        out.dedup();
        Ok(Self(out))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn matches(&self, event: &str) -> bool {
        let candidates = crate::audit::publish::listeners_of(event);
        self.0.iter().any(|p| candidates.contains(p))
    }
}

/// The networks a webhook may not reach unless the configuration allows
/// private networks: this host, private and shared address space, link-local
/// (which holds cloud metadata services at 169.254.169.254), and addresses
/// that are not meant to be reached at all.
const REFUSED_V4: [(Ipv4Addr, u8); 14] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

const REFUSED_V6: [(Ipv6Addr, u8); 10] = [
    (Ipv6Addr::UNSPECIFIED, 128),
    (Ipv6Addr::LOCALHOST, 128),
    // Discard-only, and the local-use NAT64 prefix.
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    // Site-local (deprecated, still routed inside some networks).
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    // Teredo tunnels to an address that cannot be checked here.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

/// Whether `ip` is on the public internet. IPv6 forms that carry an IPv4
/// address (mapped, NAT64, 6to4) are judged by that address, so
/// `::ffff:127.0.0.1` is this host too.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !REFUSED_V4.iter().any(|(net, len)| {
            Ipv4Net::new(*net, *len).is_ok_and(|n| IpNet::V4(n).contains(&IpAddr::V4(v4)))
        }),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            !REFUSED_V6
                .iter()
                .any(|(net, len)| Ipv6Net::new(*net, *len).is_ok_and(|n| n.contains(&v6)))
        }
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d, ::ffff:0:a.b.c.d and the deprecated ::a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, _, _]
        | [0, 0, 0, 0, 0xffff, 0, _, _]
        | [0, 0, 0, 0, 0, 0, _, _]
            if v6 != Ipv6Addr::LOCALHOST =>
        {
            (v6 != Ipv6Addr::UNSPECIFIED).then(tail)
        }
        // NAT64
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        // 6to4: 2002:AABB:CCDD::/48
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`{0}` is not a URL like https://app.example.com/hooks/gatehouse")]
    Invalid(String),
    #[error("a webhook URL starts with https:// or http://")]
    Scheme,
    #[error(
        "leave user names and passwords out of the URL; receivers check the signature instead"
    )]
    Credentials,
    #[error("a URL of at most 2000 characters, please")]
    TooLong,
    #[error("{0} is a private, loopback or link-local address, which a webhook may not reach (webhooks.allow_private_networks)")]
    Private(String),
}

/// A webhook's URL: http(s), no credentials, and, unless private networks
/// are allowed, not a literal address or name of this host or a private
/// network. Names are checked again against what they resolve to, at each
/// delivery (`sender`).
pub fn parse_url(text: &str, allow_private: bool) -> Result<Url, UrlError> {
    let text = text.trim();
    if text.len() > 2000 {
        return Err(UrlError::TooLong);
    }
    let url = Url::parse(text).map_err(|_| UrlError::Invalid(text.to_owned()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(UrlError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    match url.host() {
        None => return Err(UrlError::Invalid(text.to_owned())),
        Some(host) if !allow_private => {
            let refused = match &host {
                Host::Ipv4(ip) => !is_public(IpAddr::V4(*ip)),
                Host::Ipv6(ip) => !is_public(IpAddr::V6(*ip)),
                Host::Domain(name) => {
                    let name = name.trim_end_matches('.');
                    name == "localhost" || name.ends_with(".localhost")
                }
            };
            if refused {
                return Err(UrlError::Private(host.to_string()));
            }
        }
        Some(_) => {}
    }
    Ok(url)
}

/// A signing secret. Standard Webhooks writes one as `whsec_` and the
/// base64 of the key; any other text (from `gatehouse.toml`) is used as the
/// key's bytes.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a secret of at least 16 characters, please (or leave it out and one is made)")]
    TooShort,
    #[error("after `whsec_` comes the base64 of a key of 16 to 64 bytes")]
    BadBase64,
}

impl Secret {
    /// A new secret: 32 random bytes, and its text.
    pub fn generate() -> (Self, String) {
        let mut key = vec![0u8; 32];
        OsRng.fill_bytes(&mut key);
        let text = format!("whsec_{}", STANDARD.encode(&key));
        (Self(key), text)
    }

    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        match text.strip_prefix("whsec_") {
            Some(b64) => STANDARD
                .decode(b64)
                .ok()
                .filter(|k| (16..=64).contains(&k.len()))
                .map(Self)
                .ok_or(SecretError::BadBase64),
            None if text.chars().count() < 16 => Err(SecretError::TooShort),
            None => Ok(Self(text.as_bytes().to_vec())),
        }
    }

    /// The `webhook-signature` header for `secrets`: their signatures,
    /// space-separated, which a receiver accepts if any one verifies.
    pub fn header(secrets: &[Secret], id: &str, timestamp: i64, body: &str) -> String {
        secrets
            .iter()
            .map(|s| s.sign(id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One signature: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn events_parse_and_match() {
        let e =
            Events::parse(&["organization.member.*", "user.set-role", "user.set-role"]).unwrap();
        assert_eq!(e.as_slice(), ["organization.member.*", "user.set-role"]);
        assert!(e.matches("organization.member.add"));
        assert!(e.matches("user.set-role"));
        assert!(!e.matches("organization.create"));
        assert!(!e.matches("user.disable"));
        assert_eq!(Events::parse(&["user.create", "*"]).unwrap(), Events::all());
        assert_eq!(
            Events::parse(&["*", "user.bogus"]),
            Err(EventsError::Unknown("user.bogus".into()))
        );
        assert!(Events::all().matches("session.sign-in"));
    }

    #[test]
    fn unknown_and_empty_events_are_refused() {
        assert_eq!(Events::parse::<&str>(&[]), Err(EventsError::Empty));
        assert_eq!(
            Events::parse(&vec!["*"; MAX_EVENTS + 1]),
            Err(EventsError::TooMany)
        );
        assert_eq!(Events::parse(&[" "]), Err(EventsError::Empty));
        for bad in ["user.deleted", "organization.mem.*", "org.*", "user", "*.*"] {
            assert_eq!(
                Events::parse(&[bad]),
                Err(EventsError::Unknown(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.31.255.255",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "ff02::1",
            "::ffff:0:a9fe:a9fe",
            "64:ff9b:1::a",
            "fec0::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("https://hooks.example.com/in", false).is_ok());
        assert_eq!(
            parse_url("ftp://x.example.com", false),
            Err(UrlError::Scheme)
        );
        assert_eq!(
            parse_url("https://u:p@x.example.com", false),
            Err(UrlError::Credentials)
        );
        assert!(matches!(
            parse_url("nonsense", false),
            Err(UrlError::Invalid(_))
        ));
        for private in [
            "http://127.0.0.1:9000/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://10.0.0.5/",
        ] {
            assert!(
                matches!(parse_url(private, false), Err(UrlError::Private(_))),
                "{private}"
            );
            assert!(parse_url(private, true).is_ok(), "{private}");
        }
    }

    #[test]
    fn secrets_parse() {
        let (secret, text) = Secret::generate();
        assert!(text.starts_with("whsec_"));
        assert_eq!(Secret::parse(&text).unwrap().0, secret.0);
        assert_eq!(Secret::parse("short").unwrap_err(), SecretError::TooShort);
        assert_eq!(
            Secret::parse("whsec_!!!").unwrap_err(),
            SecretError::BadBase64
        );
        assert_eq!(
            Secret::parse("whsec_AAAA").unwrap_err(),
            SecretError::BadBase64
        );
        assert_eq!(
            Secret::parse("a plain secret of some length").unwrap().0,
            b"a plain secret of some length"
        );
    }

    /// The example of the Standard Webhooks specification's test vectors.
    #[test]
    fn signs_as_standard_webhooks_does() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn two_secrets_give_two_signatures() {
        let (a, _) = Secret::generate();
        let (b, _) = Secret::generate();
        let header = Secret::header(&[a.clone(), b.clone()], "e", 1, "{}");
        assert_eq!(
            header,
            format!("{} {}", a.sign("e", 1, "{}"), b.sign("e", 1, "{}"))
        );
        assert_eq!(
            Secret::header(std::slice::from_ref(&a), "e", 1, "{}"),
            a.sign("e", 1, "{}")
        );
    }

    proptest! {
        #[test]
        fn a_signature_changes_with_every_part(id in "[a-z0-9]{1,20}", ts in 0i64..4_000_000_000, body in ".{0,64}") {
            let (secret, _) = Secret::generate();
            let sig = secret.sign(&id, ts, &body);
            prop_assert!(sig.starts_with("v1,"));
            prop_assert_eq!(&sig, &secret.sign(&id, ts, &body));
            prop_assert_ne!(&sig, &secret.sign(&id, ts + 1, &body));
            prop_assert_ne!(&sig, &secret.sign(&format!("{id}x"), ts, &body));
            prop_assert_ne!(&sig, &secret.sign(&id, ts, &format!("{body} ")));
            let (other, _) = Secret::generate();
            prop_assert_ne!(&sig, &other.sign(&id, ts, &body));
        }

        #[test]
        fn every_listener_of_an_event_matches_it(i in 0usize..ACTIONS.len()) {
            let event = ACTIONS[i];
            for pattern in crate::audit::publish::listeners_of(event) {
                prop_assert!(Events::parse(&[pattern.as_str()]).unwrap().matches(event));
            }
        }
    }
}
