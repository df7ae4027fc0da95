//! Who the client is, for per-client limits: the peer address, or — only when the peer is a
//! trusted proxy (`TRUSTED_PROXIES`) — the address that proxy saw, from `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is a list each proxy appends the address it received from to. Only the
//! entries added by our own proxies can be believed: a client can put anything to the left.
//! So the list is read from the right, skipping addresses of trusted proxies; the first one
//! that is not a trusted proxy is the client (the "rightmost untrusted" rule). A peer that is
//! not a trusted proxy is the client itself, whatever the header says.
//!
//! IPv6 clients are limited per /64: one host is routinely given a whole /64 and can rotate
//! through it freely, so keying on the full address would let it escape any limit.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppState;
use crate::api::ApiError;

/// `X-Forwarded-For` entries read at most: a chain of proxies is a handful long; a longer list
/// is padding meant to make us work.
const FORWARDED_FOR_ENTRIES_MAX: usize = 32;

/// The bits of an IPv6 address that name one subscriber's network (RFC 6177: a site gets at
/// least a /64).
const IPV6_CLIENT_PREFIX_BITS: u32 = 64;

/// The client address: `peer` itself unless it is in `trusted`, else the rightmost address of
/// `forwarded_for` (the `X-Forwarded-For` values, in order) that is not in `trusted`. An entry
/// that is not an address stops the walk at the proxy that passed it on.
#[must_use]
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let entries = forwarded_for
        .rev()
        .flat_map(|value| value.rsplit(','))
        .take(FORWARDED_FOR_ENTRIES_MAX);
    for entry in entries {
        let Some(address) = parse_entry(entry) else {
            break;
        };
        client = address;
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
        .map(|address: IpAddr| address.to_canonical())
}

/// The key a per-client limit counts under: the IPv4 address, or the IPv6 /64.
#[must_use]
pub fn limit_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX_BITS);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The `X-Forwarded-For` header values of a request, in order.
fn forwarded_for(headers: &HeaderMap) -> impl DoubleEndedIterator<Item = &str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .into_iter()
}

/// The client's address, as [`client_address`] finds it.
pub(crate) struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The server puts the peer on every request; without it (a router driven in-process)
        // there is no client to tell apart.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |info| info.0.ip());
        Ok(ClientAddress(client_address(
            peer,
            forwarded_for(&parts.headers),
            state.trusted_proxies(),
        )))
    }
}

/// One request counted against the public calculator's rate for its client. An extractor, so
/// handlers take it before their body: a client over its rate is refused (429) before a byte
/// of the body is read or parsed.
pub(crate) struct ZakatQuota;

impl FromRequestParts<AppState> for ZakatQuota {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ClientAddress(client)) = ClientAddress::from_request_parts(parts, state).await;
        state.zakat_rate_limit(limit_key(client))?;
        Ok(ZakatQuota)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = client_address(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &[]);
        assert_eq!(client, ip("203.0.113.9"));
        let trusted = nets(&["10.0.0.0/8"]);
        let client = client_address(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &trusted);
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.7/32"]);
        // The client forged the first entry; our proxies added the last two.
        let header = ["6.6.6.6, 198.51.100.20", "192.0.2.7"];
        let client = client_address(ip("10.1.2.3"), header.into_iter(), &trusted);
        assert_eq!(client, ip("198.51.100.20"));
        // No header: the proxy itself.
        let client = client_address(ip("10.1.2.3"), std::iter::empty(), &trusted);
        assert_eq!(client, ip("10.1.2.3"));
        // Every entry trusted: the leftmost one.
        let client = client_address(ip("10.1.2.3"), ["10.9.9.9"].into_iter(), &trusted);
        assert_eq!(client, ip("10.9.9.9"));
        // Garbage stops the walk at the proxy that passed it on.
        let client = client_address(ip("10.1.2.3"), ["1.1.1.1, nonsense"].into_iter(), &trusted);
        assert_eq!(client, ip("10.1.2.3"));
        // Ports and brackets are tolerated; IPv4-mapped IPv6 is IPv4.
        let client = client_address(
            ip("::ffff:10.1.2.3"),
            ["[2001:db8::1]:443"].into_iter(),
            &trusted,
        );
        assert_eq!(client, ip("2001:db8::1"));
        let client = client_address(ip("10.1.2.3"), ["198.51.100.20:5555"].into_iter(), &trusted);
        assert_eq!(client, ip("198.51.100.20"));
    }

    #[test]
    fn ipv6_clients_share_a_limit_per_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("198.51.100.20")), ip("198.51.100.20"));
        assert_eq!(limit_key(ip("::ffff:198.51.100.20")), ip("198.51.100.20"));
    }
}
