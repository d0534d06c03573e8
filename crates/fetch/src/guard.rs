//! The SSRF guard: which addresses and host names a fetch may reach.
//!
//! A feed URL comes from whoever added the source, so it must never become a way to reach into the
//! operator's own network (an admin panel on 127.0.0.1, a database on 10.0.0.5, the cloud metadata service
//! on 169.254.169.254 that hands out credentials). The guard is applied at three points, because each one
//! alone can be bypassed:
//!
//! - on the address actually connected to, by a DNS resolver that drops refused addresses (so a public
//!   looking name that resolves to 10.0.0.5 is caught, on the first URL and on every redirect hop);
//! - on IP-literal hosts (`http://127.0.0.1/`), which never go through the resolver, before the first
//!   request and in the redirect policy for every hop;
//! - on names that only mean something inside a network (`localhost`, `metadata.google.internal`, `*.local`),
//!   so the operator gets a clear message even when the local resolver would answer them.
//!
//! The classification is an allow-list in spirit: for IPv6 only global unicast space (2000::/3) can pass at
//! all, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// IPv4 ranges that are refused, most specific first so the message names the most telling category
/// (169.254.169.254 is "the cloud metadata address", not just "a link-local address").
const V4_REFUSED: &[([u8; 4], u32, &str)] = &[
    ([255, 255, 255, 255], 32, "the broadcast address"),
    ([0, 0, 0, 0], 32, "the unspecified address"),
    ([169, 254, 169, 254], 32, "the cloud metadata address"),
    // Alibaba Cloud's metadata service (inside the CGNAT range, named for a clearer message).
    ([100, 100, 100, 200], 32, "a cloud metadata address"),
    // Oracle Cloud's metadata service (inside 192.0.0.0/24, named for a clearer message).
    ([192, 0, 0, 192], 32, "a cloud metadata address"),
    ([0, 0, 0, 0], 8, "a \"this network\" address"),
    ([10, 0, 0, 0], 8, "a private address"),
    ([100, 64, 0, 0], 10, "a carrier-grade NAT (shared) address"),
    ([127, 0, 0, 0], 8, "a loopback address"),
    ([169, 254, 0, 0], 16, "a link-local address"),
    ([172, 16, 0, 0], 12, "a private address"),
    ([192, 0, 0, 0], 24, "a reserved address (IETF protocol assignments)"),
    ([192, 0, 2, 0], 24, "a documentation address"),
    ([192, 88, 99, 0], 24, "a reserved address (6to4 relay anycast)"),
    ([192, 168, 0, 0], 16, "a private address"),
    ([198, 18, 0, 0], 15, "a benchmarking address"),
    ([198, 51, 100, 0], 24, "a documentation address"),
    ([203, 0, 113, 0], 24, "a documentation address"),
    ([224, 0, 0, 0], 4, "a multicast address"),
    ([240, 0, 0, 0], 4, "a reserved address"),
];

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let value = u32::from(ip);
    V4_REFUSED.iter().find_map(|&(net, len, what)| {
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        (value & mask == u32::from(Ipv4Addr::from(net)) & mask).then_some(what)
    })
}

/// The IPv4 address in the last 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn classify_v6(ip: Ipv6Addr) -> Option<String> {
    // Forms that carry an IPv4 address: judged by what they embed, because that is where the packets go.
    let embedded = |form: &str, v4: Ipv4Addr| classify_v4(v4).map(|what| format!("{form} of {v4}, {what}"));
    if ip.is_unspecified() {
        return Some("the unspecified address".to_owned());
    }
    if ip.is_loopback() {
        return Some("a loopback address".to_owned());
    }
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return embedded("an IPv4-mapped form", low_v4(ip));
    }
    if in_v6(ip, [0; 8], 96) {
        // Deprecated and never a legitimate server address; refused even when the embedded address is public.
        let v4 = low_v4(ip);
        return Some(match classify_v4(v4) {
            Some(what) => format!("an IPv4-compatible form of {v4}, {what}"),
            None => format!("a deprecated IPv4-compatible form of {v4}"),
        });
    }
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return embedded("a NAT64 form", low_v4(ip));
    }
    if in_v6(ip, [0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48) {
        return Some("a local-use NAT64 address".to_owned());
    }
    if in_v6(ip, [0x100, 0, 0, 0, 0, 0, 0, 0], 64) {
        return Some("a discard-only address".to_owned());
    }
    if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 32) {
        // Teredo hides the client's IPv4 address (XORed) inside; no news site lives there.
        return Some("a Teredo tunnelling address".to_owned());
    }
    if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 23) {
        return Some("a reserved address (IETF protocol assignments)".to_owned());
    }
    if in_v6(ip, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32) || in_v6(ip, [0x3fff, 0, 0, 0, 0, 0, 0, 0], 20) {
        return Some("a documentation address".to_owned());
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let o = ip.octets();
        return embedded("a 6to4 form", Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if in_v6(ip, [0xfc00, 0, 0, 0, 0, 0, 0, 0], 7) {
        return Some("a unique local (private) address".to_owned());
    }
    if in_v6(ip, [0xfe80, 0, 0, 0, 0, 0, 0, 0], 10) {
        return Some("a link-local address".to_owned());
    }
    if in_v6(ip, [0xfec0, 0, 0, 0, 0, 0, 0, 0], 10) {
        return Some("a site-local (private) address".to_owned());
    }
    if ip.is_multicast() {
        return Some("a multicast address".to_owned());
    }
    if !in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return Some("a reserved address (not global unicast)".to_owned());
    }
    None
}

/// Why `ip` may not be connected to with the guard on, as a sentence naming the address
/// ("127.0.0.1 is a loopback address"), or `None` when it is a public address.
pub fn refusal(ip: IpAddr) -> Option<String> {
    let what = match ip {
        IpAddr::V4(v4) => classify_v4(v4).map(str::to_owned),
        IpAddr::V6(v6) => classify_v6(v6),
    };
    what.map(|what| format!("{ip} is {what}"))
}

/// Whether `ip` is a public address that the guard lets a fetch connect to.
pub fn is_allowed(ip: IpAddr) -> bool {
    refusal(ip).is_none()
}

/// Host names that mean "inside this machine or network" whatever DNS says.
const METADATA_NAMES: &[&str] =
    &["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"];
const INTERNAL_SUFFIXES: &[&str] = &["internal", "local", "localdomain", "home.arpa", "lan"];

/// Why the host name `host` may not be fetched with the guard on, or `None`.
pub fn hostname_refusal(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let has_suffix = |suffix: &str| host == suffix || host.ends_with(&format!(".{suffix}"));
    let what = if METADATA_NAMES.contains(&host.as_str()) {
        "a cloud metadata service name"
    } else if has_suffix("localhost") {
        "a loopback name"
    } else if INTERNAL_SUFFIXES.iter().any(|s| has_suffix(s)) {
        "a name for internal networks"
    } else {
        return None;
    };
    Some(format!("{host} is {what}"))
}

/// The guard as configured: on or off, and the exact addresses let through anyway.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guard {
    /// `false` when `allow_private_networks` is set.
    pub(crate) enabled: bool,
    /// Addresses allowed despite their class: the tests' fixture server, or one internal host an operator
    /// trusts. Exact matches only, so allowing 127.0.0.1 does not open 127.0.0.2 or `::ffff:127.0.0.1`.
    pub(crate) allowed: Vec<IpAddr>,
}

impl Guard {
    pub(crate) fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if !self.enabled || self.allowed.contains(&ip) {
            return Ok(());
        }
        refusal(ip).map_or(Ok(()), Err)
    }

    pub(crate) fn check_hostname(&self, host: &str) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        hostname_refusal(host).map_or(Ok(()), Err)
    }

    /// Checks a URL's host as far as can be done without DNS: IP literals and refused names.
    pub(crate) fn check_host(&self, host: &url::Host<&str>) -> Result<(), String> {
        match host {
            url::Host::Ipv4(ip) => self.check_ip(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.check_ip(IpAddr::V6(*ip)),
            url::Host::Domain(name) => self.check_hostname(name),
        }
    }
}

/// The guard's refusal, carried through reqwest's error chain so the fetcher can recognise it and report
/// `FetchError::Blocked` instead of a generic connection error.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub(crate) struct Refused {
    pub(crate) reason: String,
}

/// A DNS resolver that only hands reqwest addresses the guard allows, so the address connected to is the
/// address checked (no gap between a check and a second lookup for DNS rebinding to exploit).
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub(crate) guard: Arc<Guard>,
    /// Fixed answers for some names, consulted instead of the system resolver. Tests use it to give a name a
    /// private address without touching /etc/hosts; the answers are still filtered by the guard.
    pub(crate) static_hosts: Arc<HashMap<String, Vec<IpAddr>>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Not boxed here: `?` boxes it once, so the fetcher can downcast the error chain back to `Refused`.
            this.guard.check_hostname(&host).map_err(|reason| Refused { reason })?;
            let found: Vec<SocketAddr> = match this.static_hosts.get(&host.to_ascii_lowercase()) {
                Some(ips) => ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let mut allowed = Vec::with_capacity(found.len());
            let mut refused = Vec::new();
            for addr in found {
                match this.guard.check_ip(addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(reason) => refused.push(reason),
                }
            }
            if allowed.is_empty() && !refused.is_empty() {
                let reason = format!("{host} resolves only to refused addresses ({})", refused.join("; "));
                return Err(Refused { reason }.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn refused_addresses_are_named_by_class() {
        let table = [
            ("127.0.0.1", "127.0.0.1 is a loopback address"),
            ("127.255.0.9", "loopback"),
            ("0.0.0.0", "the unspecified address"),
            ("0.1.2.3", "\"this network\""),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"),
            ("169.254.169.254", "169.254.169.254 is the cloud metadata address"),
            ("169.254.1.1", "link-local"),
            ("100.100.100.200", "cloud metadata"),
            ("192.0.0.192", "cloud metadata"),
            ("192.0.0.8", "IETF protocol assignments"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.1", "benchmarking"),
            ("192.88.99.1", "6to4 relay"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "the broadcast address"),
            ("::", "the unspecified address"),
            ("::1", "::1 is a loopback address"),
            ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback address"),
            ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, a private address"),
            ("::ffff:169.254.169.254", "the cloud metadata address"),
            ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1"),
            ("::8.8.8.8", "deprecated IPv4-compatible"),
            ("64:ff9b::10.0.0.1", "NAT64 form of 10.0.0.1, a private address"),
            ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
            ("64:ff9b:1::1", "local-use NAT64"),
            ("2002:7f00:1::", "6to4 form of 127.0.0.1, a loopback address"),
            ("2002:c0a8:101::1", "6to4 form of 192.168.1.1, a private address"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2001:2::1", "IETF protocol assignments"),
            ("100::1", "discard-only"),
            ("fc00::1", "unique local"),
            ("fd00:ec2::254", "unique local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("5f00::1", "not global unicast"),
            ("4000::1", "not global unicast"),
        ];
        for (addr, expected) in table {
            let why = refusal(ip(addr)).unwrap_or_else(|| panic!("{addr} should be refused"));
            assert!(why.contains(expected), "{addr}: {why:?} should mention {expected:?}");
            assert!(why.starts_with(&ip(addr).to_string()), "{why:?} should name {addr}");
            assert!(!is_allowed(ip(addr)));
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "169.253.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_allowed(ip(addr)), "{addr} should be allowed: {:?}", refusal(ip(addr)));
        }
    }

    #[test]
    fn internal_names_are_refused() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "foo.localhost",
            "metadata.google.internal",
            "metadata",
            "metadata.goog",
            "instance-data",
            "db.internal",
            "printer.local",
            "nas.home.arpa",
            "router.lan",
        ] {
            assert!(hostname_refusal(host).is_some(), "{host} should be refused");
        }
        for host in ["example.com", "local.example.com", "internal.news", "metadata.example.org"] {
            assert_eq!(hostname_refusal(host), None, "{host} should pass");
        }
        assert_eq!(
            hostname_refusal("metadata.google.internal").unwrap(),
            "metadata.google.internal is a cloud metadata service name"
        );
    }

    #[test]
    fn allowances_are_exact_and_the_switch_turns_everything_off() {
        let guard = Guard { enabled: true, allowed: vec![ip("127.0.0.1")] };
        assert!(guard.check_ip(ip("127.0.0.1")).is_ok());
        assert!(guard.check_ip(ip("127.0.0.2")).is_err());
        assert!(guard.check_ip(ip("::ffff:127.0.0.1")).is_err());
        assert!(guard.check_hostname("localhost").is_err());
        let off = Guard { enabled: false, allowed: Vec::new() };
        assert!(off.check_ip(ip("169.254.169.254")).is_ok());
        assert!(off.check_hostname("metadata.google.internal").is_ok());
    }

    #[test]
    fn url_forms_of_ip_literals_are_checked() {
        // The url crate normalises odd IPv4 spellings, so they reach the guard as the address they mean.
        let guard = Guard { enabled: true, allowed: Vec::new() };
        for raw in ["http://2130706433/", "http://0x7f.1/", "http://[::ffff:7f00:1]/", "http://0/", "http://127.1/"] {
            let url = url::Url::parse(raw).unwrap();
            let host = url.host().unwrap();
            assert!(guard.check_host(&host).is_err(), "{raw} should be refused");
        }
    }
}
