"""A real Redis Cluster of private redis-server processes on 127.0.0.1, for tests.

Three masters and one replica each by default, made with ``redis-cli --cluster
create``. The servers are children of the test process (daemonized ones that
are killed stay zombies here), each on a port at most 55535 whose cluster-bus
port (+10000) is free too. ``start`` returns once every node reports
``cluster_state:ok`` and every replica's link to its master is up: a master
killed before its replica's first sync leaves its slots without a master.

Each node keeps an append-only file fsynced on every write, as modq's single
Redis does; modq's WAIT after each write (``service.store.replication``) makes a
failover keep what was acknowledged.
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from service.runtime.redis_server import find_redis_server

NODE_TIMEOUT_MS = 2000


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_ports(count: int) -> list[int]:
    """``count`` ports <= 55535, each free with its cluster-bus port (+10000) free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randint(20_000, 55_535)
        if port not in ports and _free(port) and _free(port + 10_000):
            ports.append(port)
    return ports


@dataclass
class ClusterNode:
    """One redis-server of the cluster: its port, directory and process."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    log: list[str] = field(default_factory=list)

    def client(self) -> redis.Redis:
        """A plain client of this node alone (CLUSTER, INFO, ROLE)."""
        return redis.Redis(
            host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=2
        )

    def start(self) -> None:
        """Start the server (it keeps its nodes.conf and data across restarts)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory.resolve()),
            "--cluster-enabled", "yes",
            "--cluster-config-file", f"nodes-{self.port}.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--repl-diskless-sync-delay", "0",
            "--daemonize", "no",
            "--logfile", "redis.log",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, no last write to the disk."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def info(self, section: str) -> dict[str, object]:
        """INFO <section> of this node."""
        with self.client() as client:
            found: dict[str, object] = client.info(section)
            return found


class LocalRedisCluster:
    """``masters`` masters with ``replicas`` replicas each, on loopback ports."""

    def __init__(self, directory: Path, masters: int = 3, replicas: int = 1) -> None:
        self.directory = directory
        self.masters = masters
        self.replicas = replicas
        self.nodes = [
            ClusterNode(port, directory / str(port))
            for port in cluster_ports(masters * (1 + replicas))
        ]

    @property
    def url(self) -> str:
        """MODQ_REDIS_URL for modq (with MODQ_REDIS_CLUSTER=true): any node will do."""
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def start(self, timeout: float = 30.0) -> None:
        """Start the nodes, make the cluster, and wait until it is ok and replicated."""
        for node in self.nodes:
            node.start()
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            self._wait(deadline, lambda n=node: self._answers(n), f"node {node.port} to answer")
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not on PATH (it ships with redis-server)")
        subprocess.run(
            [
                cli, "--cluster", "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas", str(self.replicas),
                "--cluster-yes",
            ],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        self.wait_healthy(deadline - time.monotonic())

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Until every running node says cluster_state:ok and every replica's link is up."""
        deadline = time.monotonic() + timeout
        self._wait(deadline, self._healthy, "the cluster to be ok with every replica synced")

    def _healthy(self) -> bool:
        running = [node for node in self.nodes if node.process is not None]
        try:
            for node in running:
                with node.client() as client:
                    if client.cluster("info")["cluster_state"] != "ok":
                        return False
            replicas = [n for n in running if n.info("replication")["role"] == "slave"]
            return len(replicas) == len(running) - self.masters and all(
                n.info("replication").get("master_link_status") == "up" for n in replicas
            )
        except redis.RedisError:
            return False

    @staticmethod
    def _answers(node: ClusterNode) -> bool:
        try:
            with node.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    @staticmethod
    def _wait(deadline: float, ready: object, what: str) -> None:
        assert callable(ready)
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}")

    def master_of(self, key: str) -> ClusterNode:
        """The node that is master of ``key``'s slot now."""
        for node in self.nodes:
            if node.process is None:
                continue
            with node.client() as client:
                slot = client.cluster("keyslot", key)
                for start, end, (_host, port, *_rest), *_replicas in client.cluster("slots"):
                    if start <= slot <= end:
                        return next(n for n in self.nodes if n.port == port)
        raise RuntimeError(f"no master for {key!r}")

    def master_ports(self) -> set[int]:
        """Ports of the running nodes that are masters now."""
        return {
            n.port
            for n in self.nodes
            if n.process is not None and n.info("replication")["role"] == "master"
        }

    def flush(self) -> None:
        """Empty every master (the replicas follow)."""
        for port in self.master_ports():
            node = next(n for n in self.nodes if n.port == port)
            with node.client() as client:
                client.flushall()

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()
