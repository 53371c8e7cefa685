"""Where a webhook may be sent: a URL's host resolved, and every address it resolves to checked.

A subscriber chooses the URL, so without a check the server would POST wherever it is told:
to itself, to the database's port, to a cloud's metadata service (server-side request forgery).
An address that is private, loopback, link-local, reserved, multicast or unspecified is
refused unless it lies in one of the allowed networks (`WEBHOOK_ALLOWED_NETWORKS`). The check
runs when a URL is registered and again before each send, because DNS can change (rebinding):
the sender then connects to the very address it checked, never resolving the name again.

Plain module: no models, no database; the resolver is a parameter so tests need no DNS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}


class Refused(Exception):
    """The URL may not be sent to; the message says why (in English: callers translate it by
    its `reason`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# Reasons, stable words a caller maps to a message.
BAD_SCHEME = "bad-scheme"
NO_HOST = "no-host"
UNRESOLVED = "unresolved"
FORBIDDEN_ADDRESS = "forbidden-address"


@dataclass(frozen=True)
class Target:
    """Where to connect for a URL: its scheme, host name (for Host, SNI and the certificate),
    port, path with query, and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def networks(allowed: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(item, strict=False) for item in allowed]


def is_public(address: IPAddress) -> bool:
    """An address anyone on the Internet could reach: none of the special ranges."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def allowed_address(text: str, allowed: list[IPNetwork]) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    return is_public(address) or any(address in network for network in allowed)


def check(url: str, allowed: Iterable[str] = (), resolve: Resolver = system_resolver) -> Target:
    """Where to send `url`, every address its host resolves to being allowed (one bad record
    refuses the URL: the sender must not be steered to it by the order of answers)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(BAD_SCHEME, scheme)
    host = parts.hostname
    if not host:
        raise Refused(NO_HOST)
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise Refused(NO_HOST, "bad port") from None
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise Refused(UNRESOLVED, f"{host}: {error}") from None
    if not addresses:
        raise Refused(UNRESOLVED, host)
    permitted = networks(allowed)
    refused = [address for address in addresses if not allowed_address(address, permitted)]
    if refused:
        raise Refused(FORBIDDEN_ADDRESS, ", ".join(refused))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
