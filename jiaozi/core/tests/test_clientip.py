"""The client address: X-Forwarded-For only from a trusted proxy, right-most untrusted
hop, IPv6 and IPv4-mapped forms, and a configuration check that refuses typos."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from jiaozi.core import checks
from jiaozi.core.clientip import parse_address, resolve
from jiaozi.core.middleware import client_ip

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert resolve("203.0.113.7", "198.51.100.1", []) == "203.0.113.7"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    assert resolve("203.0.113.7", "198.51.100.1, 10.0.0.5", PROXIES) == "203.0.113.7"
    assert resolve("2001:db8:1::7", "198.51.100.1", PROXIES) == "2001:db8:1::7"


def test_a_trusted_proxy_chain_gives_the_right_most_untrusted_hop() -> None:
    # The client wrote "1.1.1.1" itself; the edge proxy appended the real peer.
    assert resolve("10.0.0.2", "1.1.1.1, 198.51.100.9, 10.0.0.1", PROXIES) == "198.51.100.9"
    assert resolve("10.0.0.2", "198.51.100.9", PROXIES) == "198.51.100.9"


def test_a_chain_of_only_proxies_gives_the_left_most_proxy() -> None:
    assert resolve("10.0.0.2", "10.0.0.3, 10.0.0.1", PROXIES) == "10.0.0.3"


def test_garbage_behind_a_trusted_proxy_stops_at_the_last_proxy() -> None:
    assert resolve("10.0.0.2", "198.51.100.9, unknown", PROXIES) == "10.0.0.2"
    assert resolve("10.0.0.2", "198.51.100.9, bogus, 10.0.0.1", PROXIES) == "10.0.0.1"


def test_ipv6_peers_and_hops() -> None:
    assert resolve("2001:db8:ffff::1", "2001:db8:1::7, 2001:db8:ffff::2", PROXIES) == "2001:db8:1::7"
    assert resolve("2001:db8:ffff::1", "[2001:db8:1::7]:4711", PROXIES) == "2001:db8:1::7"
    # An IPv4 proxy seen on a dual-stack socket as ::ffff:10.0.0.2 is still trusted.
    assert resolve("::ffff:10.0.0.2", "198.51.100.9", PROXIES) == "198.51.100.9"
    assert resolve("2001:DB8:1:0:0:0:0:7", None, PROXIES) == "2001:db8:1::7"


def test_address_forms() -> None:
    assert str(parse_address("198.51.100.9:5678")) == "198.51.100.9"
    assert str(parse_address(" ::ffff:198.51.100.9 ")) == "198.51.100.9"
    assert parse_address("unknown") is None
    assert parse_address("") is None
    assert parse_address(None) is None


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_client_ip_reads_the_setting() -> None:
    factory = RequestFactory()
    behind = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    direct = factory.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(behind) == "198.51.100.9"
    assert client_ip(direct) == "203.0.113.7"


@pytest.mark.parametrize("value", [["10.0.0.0/33"], ["proxy.example"], "10.0.0.1"])
def test_the_check_refuses_a_bad_setting(value: object) -> None:
    with override_settings(TRUSTED_PROXIES=value):
        assert [e.id for e in checks.trusted_proxies()] == ["jiaozi_core.E001"]


def test_the_check_accepts_the_default_and_networks() -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "2001:db8::1"]):
        assert checks.trusted_proxies() == []
