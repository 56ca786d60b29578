//! The one outbound guard: every URL the server fetches (OIDC discovery, keys and tokens, SAML
//! metadata; webhooks later) goes through [`Outbound`]. A URL must be https, carry no userinfo,
//! and name a host whose every address is public: loopback, private (RFC 1918, fc00::/7),
//! link-local (169.254/16 — the cloud metadata address — and fe80::/10), CGNAT (100.64/10),
//! multicast, unspecified, broadcast and other reserved ranges are refused, also inside IPv6
//! forms of IPv4 addresses. The host is resolved once, by the guard's own resolver, and the
//! connection goes to the addresses that were checked — reqwest is handed those and resolves
//! nothing itself, so a DNS answer that changes between check and connect changes nothing.
//! Redirects are not followed; answers are capped at 1 MiB and 10 s. Every refusal names the
//! check that failed and never quotes what was fetched.
//!
//! With `allow_private` (`SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE=1`: development and the test
//! suite, whose identity providers run on loopback over http) loopback and private addresses and
//! plain http pass; everything else still holds.

mod dns;
pub use dns::{Lookup, resolver};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest answer read (discovery, keys, tokens, metadata).
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest a whole request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why an address may not be reached from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    Loopback,
    Private,
    LinkLocal,
    SharedAddressSpace,
    Multicast,
    Unspecified,
    Reserved,
}

impl Forbidden {
    fn words(self) -> &'static str {
        match self {
            Forbidden::Loopback => "a loopback address",
            Forbidden::Private => "a private address",
            Forbidden::LinkLocal => "a link-local address (such as the cloud metadata service)",
            Forbidden::SharedAddressSpace => "a carrier-grade NAT address",
            Forbidden::Multicast => "a multicast address",
            Forbidden::Unspecified => "an unspecified address",
            Forbidden::Reserved => "a reserved address",
        }
    }
}

/// What the guard refused, or what went wrong reaching an allowed address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("{0:?} is not a URL")]
    NotAUrl(String),
    #[error("only https addresses are fetched, not {0}")]
    Scheme(String),
    #[error("an address with a user name or password (`user@host`) is refused")]
    Userinfo,
    #[error("the address has no host")]
    NoHost,
    #[error("refused: {host} is {}", .class.words())]
    Forbidden { host: String, class: Forbidden },
    #[error("{host} could not be resolved ({reason})")]
    Resolve { host: String, reason: String },
    #[error("the answer redirects (HTTP {0}); redirects are not followed")]
    Redirect(u16),
    #[error("the answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    #[error("the server could not be reached ({0})")]
    Connect(String),
    #[error("the server answered HTTP {0}")]
    Status(u16),
}

/// Where a reached address falls, or `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<Forbidden> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Forbidden> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => Forbidden::Unspecified,
        (0, ..) => Forbidden::Unspecified,
        (127, ..) => Forbidden::Loopback,
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => Forbidden::Private,
        (169, 254, _) => Forbidden::LinkLocal,
        (100, 64..=127, _) => Forbidden::SharedAddressSpace,
        (224..=239, ..) => Forbidden::Multicast,
        // IETF protocol assignments, benchmarking, documentation, "this host on this network",
        // 240/4 and broadcast: never a provider's address.
        (192, 0, 0) | (192, 0, 2) | (198, 18..=19, _) | (198, 51, 100) | (203, 0, 113) => {
            Forbidden::Reserved
        }
        (240..=255, ..) => Forbidden::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<Forbidden> {
    // An IPv4 address in IPv6 clothing is judged as itself: mapped (::ffff:0:0/96), NAT64
    // (64:ff9b::/96) and 6to4 (2002::/16).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return classify_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return classify_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    Some(match s[0] {
        _ if ip.is_unspecified() => Forbidden::Unspecified,
        _ if ip.is_loopback() => Forbidden::Loopback,
        0xfc00..=0xfdff => Forbidden::Private,
        0xfe80..=0xfebf => Forbidden::LinkLocal,
        0xff00..=0xffff => Forbidden::Multicast,
        // Documentation (2001:db8::/32), and the rest of ::/8 (old compatible forms).
        0x2001 if s[1] == 0x0db8 => Forbidden::Reserved,
        0x0000..=0x00ff => Forbidden::Reserved,
        _ => return None,
    })
}

/// How the guard is set up.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Let loopback and private addresses and plain http through (development and tests only).
    pub allow_private: bool,
    /// The DNS servers to ask (`SWITCHBOARD_DNS_SERVERS`); empty: the system's.
    pub dns_servers: Vec<SocketAddr>,
}

/// The resolver reqwest is given: it resolves once, refuses a name any of whose addresses is
/// forbidden, and hands reqwest exactly the addresses it checked.
struct GuardResolver {
    lookup: Arc<dyn Lookup>,
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let lookup = self.lookup.clone();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = lookup.lookup(host.clone()).await.map_err(|reason| {
                Box::new(OutboundError::Resolve {
                    host: host.clone(),
                    reason,
                }) as Box<dyn std::error::Error + Send + Sync>
            })?;
            checked(&host, &addrs, allow_private)
                .map(|ok| Box::new(ok.into_iter()) as reqwest::dns::Addrs)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

/// The addresses of `host` to connect to, or the refusal: one forbidden address refuses the
/// name (a choice among its addresses would be the attacker's to make).
fn checked(
    host: &str,
    addrs: &[IpAddr],
    allow_private: bool,
) -> Result<Vec<SocketAddr>, OutboundError> {
    if addrs.is_empty() {
        return Err(OutboundError::Resolve {
            host: host.to_owned(),
            reason: "no address".into(),
        });
    }
    if !allow_private && let Some(class) = addrs.iter().find_map(|ip| classify(*ip)) {
        return Err(OutboundError::Forbidden {
            host: host.to_owned(),
            class,
        });
    }
    Ok(addrs.iter().map(|ip| SocketAddr::new(*ip, 0)).collect())
}

/// The guarded client. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(policy: &OutboundPolicy) -> Self {
        Self::with_lookup(policy, Arc::new(resolver(&policy.dns_servers)))
    }

    /// The guard over another way of looking names up (the tests' stub resolver).
    pub fn with_lookup(policy: &OutboundPolicy, lookup: Arc<dyn Lookup>) -> Self {
        crate::use_ring_for_tls();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!policy.allow_private)
            .dns_resolver(Arc::new(GuardResolver {
                lookup,
                allow_private: policy.allow_private,
            }))
            .connect_timeout(Duration::from_secs(5))
            .timeout(TIMEOUT)
            .user_agent("switchboard")
            .build()
            .unwrap_or_default();
        Outbound {
            client,
            allow_private: policy.allow_private,
        }
    }

    /// Whether the guard lets private addresses and http through (development only).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The checks a URL passes before anything is sent: https (or http with `allow_private`),
    /// no userinfo, a host, and for a host written as an address, a public one (reqwest asks no
    /// resolver for those, so they are judged here).
    pub fn check_url(&self, raw: &str) -> Result<url::Url, OutboundError> {
        let url =
            url::Url::parse(raw.trim()).map_err(|_| OutboundError::NotAUrl(raw.to_owned()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            other => return Err(OutboundError::Scheme(format!("{other}://"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OutboundError::Userinfo);
        }
        let ip = match url.host() {
            None => return Err(OutboundError::NoHost),
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
        };
        if let Some(ip) = ip
            && !self.allow_private
            && let Some(class) = classify(ip)
        {
            return Err(OutboundError::Forbidden {
                host: ip.to_string(),
                class,
            });
        }
        Ok(url)
    }

    /// Sends a request (checked first), refusing redirects, reading at most [`MAX_BODY`].
    pub async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, OutboundError> {
        self.check_url(&req.uri().to_string())?;
        let req =
            reqwest::Request::try_from(req).map_err(|e| OutboundError::NotAUrl(e.to_string()))?;
        let mut res = self.client.execute(req).await.map_err(reqwest_error)?;
        let status = res.status();
        if status.is_redirection() {
            return Err(OutboundError::Redirect(status.as_u16()));
        }
        let mut out = http::Response::builder().status(status);
        for (k, v) in res.headers() {
            out = out.header(k, v);
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(reqwest_error)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(OutboundError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        out.body(body)
            .map_err(|e| OutboundError::Connect(e.to_string()))
    }

    /// GETs a text document (SAML metadata); anything but a 2xx is refused with its status.
    pub async fn get_text(&self, url: &str) -> Result<String, OutboundError> {
        let req = http::Request::get(url)
            .body(Vec::new())
            .map_err(|_| OutboundError::NotAUrl(url.to_owned()))?;
        let res = self.send(req).await?;
        if !res.status().is_success() {
            return Err(OutboundError::Status(res.status().as_u16()));
        }
        String::from_utf8(res.into_body())
            .map_err(|_| OutboundError::Connect("the answer is not UTF-8 text".into()))
    }
}

/// A transport error as the guard's: its own refusal when the resolver refused, else words that
/// quote nothing the server sent.
fn reqwest_error(e: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(own) = s.downcast_ref::<OutboundError>() {
            return own.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        OutboundError::Timeout
    } else if e.is_redirect() {
        OutboundError::Redirect(0)
    } else {
        OutboundError::Connect(if e.is_connect() {
            "connection refused or unreachable".into()
        } else {
            "the request failed".into()
        })
    }
}

/// openidconnect sends its requests through the guard (a named future type keeps callers `Send`).
impl<'c> openidconnect::AsyncHttpClient<'c> for Outbound {
    type Error = OutboundError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<http::Response<Vec<u8>>, OutboundError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: http::Request<Vec<u8>>) -> Self::Future {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
mod tests;
