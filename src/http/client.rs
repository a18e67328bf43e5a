//! The address a request came from. Behind a reverse proxy the TCP peer is the proxy: when the
//! peer is one of the trusted proxies (`GREENLANE_TRUSTED_PROXIES`), the client is the right-most
//! address of the forwarding chain (RFC 7239 `Forwarded: for=...`, else `X-Forwarded-For`) that
//! is not itself a trusted proxy (what the nearest untrusted hop said); otherwise it is the peer. A client cannot pose as another by sending the header
//! itself: it is believed only from a trusted proxy, and only up to the first hop it added.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct ClientAddress {
    trusted: Vec<IpNet>,
}

impl ClientAddress {
    pub fn new(trusted: Vec<IpNet>) -> ClientAddress {
        ClientAddress { trusted }
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(ip))
    }

    /// The client's address as text (`unknown` without a peer).
    pub fn of(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return "unknown".into();
        };
        let headers = |name: &str| -> Vec<String> {
            req.headers()
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .collect()
        };
        let standard: Vec<String> = headers("forwarded")
            .iter()
            .filter_map(|element| forwarded_for(element))
            .collect();
        let chain = if standard.is_empty() {
            headers("x-forwarded-for")
        } else {
            standard
        };
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        self.client(peer, &chain).to_string()
    }

    fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        if !self.trusts(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(&ip) {
                        break;
                    }
                }
                // A hop that is not an address: stop at the last one believed.
                Err(_) => break,
            }
        }
        client
    }
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=http`, `for="[2001:db8::1]:4711"`),
/// as an address without its port; an obfuscated or unknown node as itself (it will not parse).
fn forwarded_for(element: &str) -> Option<String> {
    let node = element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| v.trim().trim_matches('"').to_string())
    })?;
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next().map(str::to_string);
    }
    match node.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            Some(host.to_string())
        }
        _ => Some(node),
    }
}

/// The address of `req` as the installation's proxies let it be known.
pub fn address(req: &HttpRequest) -> String {
    req.app_data::<actix_web::web::Data<ClientAddress>>()
        .map_or_else(|| ClientAddress::default().of(req), |c| c.of(req))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn the_header_is_believed_from_a_trusted_proxy_only_and_up_to_its_own_hop() {
        let c = ClientAddress::new(
            crate::settings::parse_proxies("10.0.0.0/8, 192.0.2.7").expect("proxies"),
        );
        // No proxy: the peer, whatever the header says.
        assert_eq!(
            c.client(ip("203.0.113.5"), &["198.51.100.1"]),
            ip("203.0.113.5")
        );
        // Through the proxy: the address it added.
        assert_eq!(
            c.client(ip("10.1.2.3"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A client that sends its own header cannot choose its address: the right-most
        // untrusted hop wins.
        assert_eq!(
            c.client(ip("10.1.2.3"), &["1.2.3.4", "203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Two trusted proxies in a row.
        assert_eq!(
            c.client(ip("192.0.2.7"), &["203.0.113.9", "10.0.0.2"]),
            ip("203.0.113.9")
        );
        // Rubbish in the header: the last believed hop.
        assert_eq!(c.client(ip("10.1.2.3"), &["not-an-ip"]), ip("10.1.2.3"));
        assert!(crate::settings::parse_proxies("10.0.0.0/33").is_err());
        // RFC 7239's header, with ports, quotes and IPv6.
        assert_eq!(
            forwarded_for("for=192.0.2.60;proto=http;by=203.0.113.43").as_deref(),
            Some("192.0.2.60")
        );
        assert_eq!(
            forwarded_for("For=\"[2001:db8:cafe::17]:4711\"").as_deref(),
            Some("2001:db8:cafe::17")
        );
        assert_eq!(
            forwarded_for("for=198.51.100.17:8080").as_deref(),
            Some("198.51.100.17")
        );
        assert_eq!(forwarded_for("proto=https"), None);
        assert_eq!(
            c.client(ip("10.1.2.3"), &["_hidden", "203.0.113.9"]),
            ip("203.0.113.9")
        );
    }
}
