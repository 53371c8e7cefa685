"""Which address a request comes from, for every per-client limit (the API's anonymous rate,
forced-fresh reads, pages, the admin's lockout).

X-Forwarded-For is written by whoever sends the request, so it is believed only as far as it was
written by proxies we run: TRUSTED_PROXIES (addresses or networks, none by default). Without
them the client is the peer of the TCP connection (REMOTE_ADDR), whatever the header says; a new
header value per request then no longer makes a new client. Behind trusted proxies the client is
the right-most forwarded address that is not one of them: each proxy appends the peer it saw, so
everything to the left of the first untrusted hop could have been written by the client itself.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses (`10.0.0.5`) and networks (`10.0.0.0/8`), or ImproperlyConfigured naming the
    entry that is neither."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network."
            ) from None
    return tuple(networks)


@functools.cache
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def is_trusted_proxy(address: str) -> bool:
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(remote_addr: str, forwarded_for: str) -> str:
    """The client address given the connection's peer and its X-Forwarded-For header."""
    if not is_trusted_proxy(remote_addr):
        return remote_addr
    nearest = remote_addr
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # A trusted proxy appends only addresses it saw; anything else was sent as is, so
            # the proxy that passed it on is the nearest address we know.
            return nearest
        if not is_trusted_proxy(hop):
            return hop
        nearest = hop
    return nearest


def client_address(request: HttpRequest) -> str:
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )
