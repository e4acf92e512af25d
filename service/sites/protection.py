"""Protected mode: with no site there are no keys, so modq listens on loopback only.

Modelled on Redis's protected mode: a modq without any site answers every website
endpoint without a key, which is right for trying it on one machine and wrong on a
network. ``modq serve`` asked to listen elsewhere with no site refuses to start and
says how to add one.
"""

from __future__ import annotations

import ipaddress
import socket


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]).is_loopback for info in infos
    )


def refusal(host: str, port: int) -> str:
    """What ``modq serve`` says when it will not listen on ``host`` without a site."""
    return (
        f"refusing to listen on {host}:{port} with no site configured: every website "
        "endpoint would be open to anyone who reaches it. Add a site first, and give its "
        "key to the site:\n"
        "    modq sites add NAME --url https://your-site.example\n"
        "(the site then sends `Authorization: Bearer <key>`), or listen on a loopback "
        "address only (MODQ_HOST=127.0.0.1)."
    )
