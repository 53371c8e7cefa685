"""Where a webhook may go: every address a URL's host resolves to is checked (no DNS needed)."""

import pytest

from webhooks import addresses
from webhooks.addresses import Refused, check


def resolving_to(*found: str):
    def resolve(host: str, port: int) -> list[str]:
        return list(found)

    return resolve


def test_a_public_address_is_taken_and_pinned():
    target = check("https://hooks.example.org:8443/in?x=1", resolve=resolving_to("93.184.216.34"))
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.org", 8443)
    assert (target.path, target.address) == ("/in?x=1", "93.184.216.34")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "10.1.2.3",  # private
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # link-local: a cloud's metadata service
        "100.64.0.1",  # shared (carrier-grade NAT)
        "0.0.0.0",  # unspecified  # noqa: S104
        "240.0.0.1",  # reserved
        "224.0.0.1",  # multicast
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
    ],
)
def test_it_refuses_an_address_that_is_not_public(address):
    with pytest.raises(Refused) as refused:
        check("http://hooks.example.org/", resolve=resolving_to(address))
    assert refused.value.reason == addresses.FORBIDDEN_ADDRESS


def test_one_bad_record_among_good_ones_refuses_the_url():
    with pytest.raises(Refused):
        check("http://hooks.example.org/", resolve=resolving_to("93.184.216.34", "10.0.0.1"))


def test_an_allowed_network_lets_its_addresses_through():
    target = check("http://127.0.0.1:9000/", ["127.0.0.1/32"], resolve=resolving_to("127.0.0.1"))
    assert target.address == "127.0.0.1"
    with pytest.raises(Refused):
        check("http://10.0.0.1/", ["127.0.0.1/32"], resolve=resolving_to("10.0.0.1"))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.org/", addresses.BAD_SCHEME),
        ("file:///etc/passwd", addresses.BAD_SCHEME),
        ("http:///path", addresses.NO_HOST),
        ("http://hooks.example.org:99999/", addresses.NO_HOST),
    ],
)
def test_it_refuses_what_is_no_http_url(url, reason):
    with pytest.raises(Refused) as refused:
        check(url, resolve=resolving_to("93.184.216.34"))
    assert refused.value.reason == reason


def test_a_host_that_does_not_resolve_is_refused():
    def fails(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(Refused) as refused:
        check("http://nowhere.invalid/", resolve=fails)
    assert refused.value.reason == addresses.UNRESOLVED
