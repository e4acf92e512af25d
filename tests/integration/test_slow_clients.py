"""Slow request bodies and idle connections do not starve ordinary clients.

Against a real gunicorn (2 gevent workers) on 127.0.0.1: a body must arrive within
MODQ_BODY_TIMEOUT_S, and at most MODQ_BODY_READERS requests per worker wait for theirs.
"""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator

import orjson
import pytest
import requests

from service.runtime.redis_server import RedisServer
from tests.integration.conftest import APPROVE_ALL
from tests.integration.gunicorn_support import GunicornServer

BODY_TIMEOUT_S = 5
READERS = 100
STALLED = 2500
IDLE = 500
MEASURED = 200
COMMENT = orjson.dumps({"name": "Ada", "email": "ada@example.org", "text": "A fine article."})


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """Two gevent workers with a short body deadline."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 16384) if hard != resource.RLIM_INFINITY else 16384
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if redis_server.process is None:
        redis_server.start()
    env = {
        **APPROVE_ALL,
        "MODQ_WORKERS": "2",
        "MODQ_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "MODQ_BODY_READERS": str(READERS),
    }
    gunicorn = GunicornServer(tmp_path_factory.mktemp("slow"), redis_server.url, env, workers=2)
    # Thousands of connections arrive at once: a listen queue that holds them all.
    gunicorn.listener.listen(4096)
    gunicorn.start()
    gunicorn.wait_for_workers(2)
    yield gunicorn
    gunicorn.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _stalled(port: int) -> socket.socket:
    """A connection that sends its headers and 1 byte of a 100-byte body, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    return sock


def _idle(port: int) -> socket.socket:
    """A keep-alive connection that makes one request (its answer is read later), then waits."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


def _answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sends until it closes the connection (or the timeout)."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
            if received.startswith(b"HTTP/1.1 2") and b"\r\n\r\n" in received:
                break  # an answer on a kept-alive connection: no close follows
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def _still_open(sock: socket.socket) -> bool:
    """Whether the server neither answered nor closed this connection yet."""
    sock.settimeout(0.001)
    try:
        sock.recv(1, socket.MSG_PEEK)  # an answer, or b"" for a close
    except TimeoutError:
        return True
    except ConnectionResetError:
        pass
    return False


def test_a_stalled_body_is_answered_408_after_the_deadline(server: GunicornServer) -> None:
    sock = _stalled(server.port)
    started = time.monotonic()
    answer = _answer(sock, BODY_TIMEOUT_S + 5)
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":"body_timeout"' in answer
    assert b"Connection: close" in answer  # and _answer saw the connection close
    assert BODY_TIMEOUT_S - 0.5 < waited < BODY_TIMEOUT_S + 2
    sock.close()
    assert server.post_comment().status_code == 201


def test_a_body_in_several_packets_within_the_deadline_is_read(server: GunicornServer) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(COMMENT)
    )
    sock.sendall(head + COMMENT[:10])
    time.sleep(0.5)
    sock.sendall(COMMENT[10:])
    sock.settimeout(10)
    assert sock.recv(4096).startswith(b"HTTP/1.1 201")
    sock.close()


def test_chunked_bodies_pass_the_gate(server: GunicornServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield COMMENT[:5]
        yield COMMENT[5:]

    response = requests.post(
        server.url("/v1/comments"),
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


@pytest.mark.slow
def test_ordinary_comments_answer_quickly_beside_thousands_of_slow_clients(
    server: GunicornServer,
) -> None:
    attackers: list[socket.socket] = []
    try:
        started = time.monotonic()
        for i in range(STALLED + IDLE):
            # interleaved, so that neither kind gets its connections in first
            attackers.append(_idle(server.port) if i % 6 == 5 else _stalled(server.port))
        for sock in attackers[5::6]:
            assert _answer(sock, 10).startswith(b"HTTP/1.1 200")
        opened_s = time.monotonic() - started
        latencies = []
        statuses = set()
        for _ in range(MEASURED):
            began = time.perf_counter()
            # a fresh connection each time, as a browser's form post would be
            response = requests.post(
                server.url("/v1/comments"),
                data=COMMENT,
                headers={"Content-Type": "application/json", "Connection": "close"},
                timeout=10,
            )
            latencies.append(time.perf_counter() - began)
            statuses.add(response.status_code)
        measured_s = time.monotonic() - started - opened_s
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        stalled = [sock for i, sock in enumerate(attackers) if i % 6 != 5]
        idle = attackers[5::6]
        held = sum(1 for sock in stalled if _still_open(sock))
        idle_open = sum(1 for sock in idle if _still_open(sock))
        cut = sum(1 for sock in stalled if _answer(sock, 0.001).startswith(b"HTTP/1.1 408"))
        print(
            f"\n{STALLED} stalled + {IDLE} idle opened in {opened_s:.2f} s; {MEASURED} comments "
            f"in {measured_s:.2f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {latencies[-1] * 1000:.1f} ms; afterwards {held} slow bodies still held "
            f"(bound {READERS}/worker), {cut} cut off with 408, {idle_open} idle still open"
        )
        # The bound was full while comments were measured: the newest slow bodies still
        # wait (the oldest of them may have reached their deadline while the rest opened).
        assert READERS <= held <= 2 * READERS
        assert cut >= STALLED - 2 * READERS
        assert statuses == {201}
        assert p99 < 100, f"p99 {p99:.1f} ms"
    finally:
        for sock in attackers:
            sock.close()
