//! The TXT lookup that proves a domain: through the system's resolver
//! configuration (/etc/resolv.conf), or the server that
//! `organizations.domains.dns_server` names. A resolver is made for each
//! check, so a record published a minute ago is not hidden by an answer
//! this process cached before it.

use std::time::Duration;

use hickory_resolver::{
    config::{ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig},
    net::runtime::TokioRuntimeProvider,
    proto::rr::RData,
    TokioResolver,
};

use crate::{
    config::DomainSettings,
    error::{ApiError, ApiResult, Code},
};

/// The strings of the TXT records at `name`; none when there are none (or
/// no such name).
pub async fn txt(settings: &DomainSettings, name: &str) -> ApiResult<Vec<String>> {
    let failed = |why: String| {
        tracing::warn!(name, %why, "DNS lookup failed");
        ApiError::new(
            Code::DnsLookupFailed,
            "The DNS lookup failed. Try again in a minute.",
        )
    };
    let mut builder = match settings.dns_server {
        Some(server) => {
            let mut connection = ConnectionConfig::new(ProtocolConfig::Udp);
            connection.port = server.port();
            let name_server = NameServerConfig::new(server.ip(), true, vec![connection]);
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![name_server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| failed(e.to_string()))?,
    };
    let options = builder.options_mut();
    options.timeout = Duration::from_secs(4);
    options.attempts = 2;
    let resolver = builder.build().map_err(|e| failed(e.to_string()))?;
    // Fully qualified: the resolver's search domains are never tried.
    match resolver.txt_lookup(format!("{name}.")).await {
        Ok(found) => Ok(found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect()),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
        Err(e) => Err(failed(e.to_string())),
    }
}
