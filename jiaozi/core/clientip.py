"""The client's address, behind the province's reverse proxies or not (SECURITY 25,
audit). One rule for everything that counts or records an address: rate limits, the
sign-in lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``), the audit log and the
gunicorn access log.

``X-Forwarded-For`` is read only when the direct peer (``REMOTE_ADDR``) is one of
``TRUSTED_PROXIES`` (addresses or CIDR networks, empty by default). The header is then
walked from the right: each trusted proxy appended the address it saw, so the first
hop from the right that is not a trusted proxy is the client; everything left of it
comes from the client itself and is ignored. From an untrusted peer the header is ignored
altogether, so a client cannot choose its own address. docs/deployment.md and
docs/decisions/0166-client-address-behind-proxies.md.

This module has no Django import: gunicorn's access logger (config/gunicorn.py) uses
it before Django is set up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(value: str | None) -> Address | None:
    """One address as a proxy or a socket writes it: ``1.2.3.4``, ``1.2.3.4:5678``,
    ``2001:db8::1``, ``[2001:db8::1]:5678``, ``::ffff:1.2.3.4`` (read as 1.2.3.4).
    Anything else (``unknown``, obfuscated identifiers, garbage) → None."""
    text = (value or "").strip().strip('"')
    if not text:
        return None
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port; IPv6 has at least two colons
        text = text.partition(":")[0]
    text = text.partition("%")[0]  # an IPv6 zone id never identifies a client
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` as networks; a bare address is a /32 or /128. An entry that
    is neither raises ``ValueError`` naming it (a typo must not silently trust nobody
    or everybody)."""
    networks: list[Network] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {text!r} is not an address or a CIDR network") from None
        if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
            mapped = network.network_address.ipv4_mapped
            if mapped is not None:  # ::ffff:10.0.0.0/104 → 10.0.0.0/8
                network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}", strict=False)
        networks.append(network)
    return tuple(networks)


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve(remote_addr: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str | None:
    """The client address for a connection from ``remote_addr`` carrying
    ``forwarded_for`` (the X-Forwarded-For value; several headers joined by commas),
    with ``trusted`` the configured proxies. None when the peer has no address."""
    peer = parse_address(remote_addr)
    if peer is None:
        return None
    networks = parse_networks(tuple(trusted))
    if not networks or not _trusted(peer, networks) or not forwarded_for:
        return str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = parse_address(hop)
        if address is None:
            # A trusted proxy passed on something that is not an address: the chain
            # cannot be followed further, so the last proxy is the best answer (never
            # a value the client could have chosen).
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
