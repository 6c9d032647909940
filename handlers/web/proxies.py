"""Who a request comes from, when the console sits behind a reverse proxy.

The connection's peer is the proxy then, for every visitor; only a proxy listed in
`[web] trusted_proxies` is believed about the address it was reached from (X-Forwarded-For).
A visitor may send an X-Forwarded-For of their own, which the proxy extends on the right:
the list is read from the right, past every trusted hop, and the first address not trusted
is the visitor's. Anything unreadable on the way stops there, at the last hop that was trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def networks(listed: Iterable[str]) -> tuple[Network, ...]:
    """The config's addresses and CIDR blocks (checked there already)."""
    return tuple(ip_network(entry, strict=False) for entry in listed)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:51000"
        text = text.partition(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, trusted: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The visitor's address: the peer's, unless the peer is a trusted proxy that says otherwise."""
    nearest = _address(peer or "")
    if not _trusted(nearest, trusted):
        return peer or "unknown"
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address, trusted):
            break
    return str(nearest)
