//! Name lookups for the guard: the resolver over the configured DNS servers (or the system's),
//! and the [`Lookup`] seam the guard resolves through (tests give it answers of their own).

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use std::net::{IpAddr, SocketAddr};

/// A resolver over the configured DNS servers (or the system's), shared by the guard and by
/// whoever reads TXT records.
pub fn resolver(dns_servers: &[SocketAddr]) -> TokioResolver {
    let provider = TokioRuntimeProvider::default();
    let built = if dns_servers.is_empty() {
        TokioResolver::builder_tokio().and_then(|b| b.build())
    } else {
        let servers = dns_servers
            .iter()
            .map(|addr| {
                let (mut udp, mut tcp) = (ConnectionConfig::udp(), ConnectionConfig::tcp());
                udp.port = addr.port();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
            .build()
    };
    built.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no DNS configuration could be read; using the default servers");
        TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(Vec::new()),
            TokioRuntimeProvider::default(),
        )
        .build()
        .expect("a resolver with no servers builds")
    })
}

/// Looks names up for the guard.
pub trait Lookup: Send + Sync + 'static {
    fn lookup(
        &self,
        host: String,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>>;
}

impl Lookup for TokioResolver {
    fn lookup(
        &self,
        host: String,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>> {
        let resolver = self.clone();
        Box::pin(async move {
            resolver
                .lookup_ip(host.as_str())
                .await
                .map(|found| found.iter().collect())
                .map_err(|e| e.to_string())
        })
    }
}
