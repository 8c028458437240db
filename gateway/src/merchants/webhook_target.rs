//! Where a webhook may be sent: never to a private, loopback or link-local address
//! (unless configured for local development), checked when the URL is registered and
//! again, on the addresses its name resolves to, at every delivery.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Addresses inside the operator's own networks, which a merchant must not make the
/// gateway call.
/// Anything that is not an ordinary public unicast address counts (IANA special-purpose
/// registries, RFC 6890).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, c, _] = ip.octets();
            ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.is_broadcast()
                || ip.is_multicast()
                // "This network" (0.0.0.0/8, the unspecified address included).
                || a == 0
                // Carrier-grade NAT (100.64.0.0/10).
                || a == 100 && (64..128).contains(&b)
                // IETF protocol assignments and the documentation networks.
                || (a, b, c) == (192, 0, 0)
                || (a, b, c) == (192, 0, 2)
                || (a, b, c) == (198, 51, 100)
                || (a, b, c) == (203, 0, 113)
                // Benchmarking (198.18.0.0/15).
                || a == 198 && (b == 18 || b == 19)
                // Reserved (240.0.0.0/4).
                || a >= 240
        }
        IpAddr::V6(ip) => {
            let s = ip.segments();
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                // Unique local (fc00::/7) and link-local (fe80::/10).
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach IPv4 addresses the
                // checks above cannot see; documentation (2001:db8::/32) and discard
                // (100::/64) reach nothing.
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
                || s[0] == 0x2002
                || (s[0], s[1]) == (0x2001, 0x0db8)
                || s[..4] == [0x0100, 0, 0, 0]
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// A client that connects `url` only to the public addresses its host resolves to
/// now, so a name cannot be re-pointed at an internal address between the check and
/// the connection.
pub async fn pinned_client(url: &str, timeout: Duration) -> Result<reqwest::Client, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_string())?;
    let host = parsed.host_str().ok_or("no host")?.to_string();
    let port = parsed.port_or_known_default().ok_or("no port")?;
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} resolves to nothing"));
    }
    if addrs.iter().any(|a| is_private(a.ip())) {
        return Err(format!("{host} resolves to a private address"));
    }
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&bare, &addrs)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_ranges_are_private_and_public_ones_are_not() {
        for private in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.254",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
            "100::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "198.20.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let refused = pinned_client("http://localhost:9/hook", Duration::from_secs(1)).await;
        assert!(refused.unwrap_err().contains("private"));
        let literal = pinned_client("http://127.0.0.1:9/hook", Duration::from_secs(1)).await;
        assert!(literal.is_err());
    }
}
