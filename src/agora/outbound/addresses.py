"""Which IP addresses a server-side fetch may never reach: everything that is not plainly on the public internet."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Written out rather than left to `ip.is_global` alone: what Python counts as global changed
# between versions, and this list is the contract the tests and docs/actions.md hold to.
REFUSED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),  # "this network": 0.0.0.0 reaches the local machine on Linux
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),  # cloud metadata services (169.254.169.254) live here
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # 255.255.255.255 (broadcast) included
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible"),  # deprecated ::a.b.c.d, which some stacks still route to IPv4
    ("100::/64", "discard"),
    ("2001::/23", "IETF protocol assignments"),  # Teredo (2001::/32) included: it tunnels to any IPv4
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_NETWORKS = tuple((ipaddress.ip_network(network), kind) for network, kind in REFUSED_NETWORKS)
# IPv6 prefixes that carry an IPv4 address, which is what is really reached: judged by that address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be reached ("loopback", "private"...), or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} (inside {address})" if inner else None
    for network, kind in _NETWORKS:
        if address.version == network.version and address in network:
            return kind
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "not public"  # anything newer Python knows of that the list above lacks
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:  # ::ffff:127.0.0.1
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def parse(text: str) -> IPAddress | None:
    """`text` as an IP address (an IPv6 zone such as %eth0 dropped), or None when it is not one."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
