"""The commenter's address: the peer's, or X-Forwarded-For's only behind a trusted proxy."""

from __future__ import annotations

import ipaddress

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from service.http.payload import client_ip

PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ()
    return Request(environ)


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(request("198.51.100.7", "203.0.113.1"), ()) == "198.51.100.7"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert client_ip(request("198.51.100.7", "203.0.113.1"), PROXIES) == "198.51.100.7"


def test_behind_trusted_proxies_the_nearest_untrusted_hop_counts() -> None:
    chain = "203.0.113.1, 192.0.2.9, 10.0.0.2"  # client-forged first hop, real client, proxy
    assert client_ip(request("10.0.0.1", chain), PROXIES) == "192.0.2.9"


def test_garbage_in_the_header_falls_back_to_the_peer() -> None:
    assert client_ip(request("10.0.0.1", "not-an-ip"), PROXIES) == "10.0.0.1"
