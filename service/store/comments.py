"""Comments in Redis: the one transaction that stores a new comment, and reading it back.

Key names come from ``service.store.keys`` (all share one hash tag, so the script
below runs unchanged on Redis Cluster). Keys this module writes:

- ``keys.comment(id)`` — hash, one comment. Fields (all strings; absent when empty):

  | field          | holds |
  |----------------|-------|
  | id             | the comment id (``service.domain.new_comment_id``) |
  | status         | ``CommentStatus``: approved / pending / rejected (what the site was told, |
  |                | then the moderator's decision) |
  | verdict        | what the policy decided; differs from ``status`` only in shadow mode |
  | mode           | ``enforce`` or ``shadow`` at intake |
  | name, email, text, url, thread, parent_id, external_id, ip, user_agent, referrer |
  |                | as posted (trimmed); the e-mail is stored for moderators and labels |
  | spam, toxicity | scores in [0, 1], ``repr`` of a float |
  | reasons        | JSON list of ``{"code", "message", ...}`` (model reasons carry ``spans``) |
  | model_version  | the model that scored it |
  | created_at     | unix seconds (float) |
  | decided_at, decided_by, decision_reason | written by the queue when a moderator decides |
  | source         | ``akismet`` for a comment an Akismet client sent (else absent) |
  | akismet_lookup | the digest naming its ``keys.akismet_lookup`` key (delete both to erase) |
  | permalink, comment_type, comment_date_gmt, lang, blog |
  |                | an Akismet client's fields, as sent (``service.integrations.akismet``) |

- ``keys.queue_pending()`` — zset; a pending comment's id scored by ``created_at``,
  added in the same script that writes the hash.
- ``keys.auto_decided(status)`` — zset; a comment approved or rejected at intake, scored by
  ``created_at``, trimmed to the newest ``AUTO_INDEX_SIZE`` (the page's "automatic" tabs).
- ``keys.commenter(email_hash(email))`` — zset; every comment of one e-mail address, scored
  by ``created_at``, trimmed to the newest ``HISTORY_SIZE`` (the commenter's history).
- ``keys.comment_by_external_id(thread, external_id)`` — string, the id of the comment a
  site posted with that (thread, external_id): a retried post returns the stored comment.
- ``NewComment.index_keys`` (strings set to the id) and ``counter_keys`` (incremented), in
  the same script: e.g. ``keys.akismet_lookup`` and ``keys.akismet_usage``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError

from service import metrics
from service.concurrency.batching import Batcher
from service.domain import CommentStatus
from service.store import json_codec, keys
from service.store.cluster_writes import write_replicated
from service.store.connections import DedicatedConnection
from service.store.replication import Durability

# How many automatically decided comments per status, and comments per commenter, the
# intake indexes keep (the moderator page's tabs and history read them).
AUTO_INDEX_SIZE = 10_000
HISTORY_SIZE = 200

# KEYS[1] comment hash   KEYS[2] pending queue zset
# KEYS[3...] optional keys, one per letter of ARGV[4], in order:
#            x  the external-id string: a comment already named there is returned, not stored
#            s  an index string set to the new id (the latest comment wins)
#            c  a counter incremented by one
#            a  the automatic-decision index of the comment's status (zset by created_at),
#               trimmed to its newest AUTO_INDEX_SIZE
#            h  the commenter's index (zset by created_at, keyed by the e-mail's hash),
#               trimmed to its newest HISTORY_SIZE
#            f  a flag: the 'e' keys after it are written only while it exists
#            e  an event stream: gets {id, status} (webhooks' comment.created), if flagged
# ARGV[1] comment id     ARGV[2] created_at (zset score)   ARGV[3] "1" if pending, else "0"
# ARGV[4] the letters naming KEYS[3...] ("" when there are none)
# ARGV[5...] the hash's fields and values, alternating. (hiredis packs the arguments in
#            C; one JSON argument that Lua decoded cost Redis 13 us a call, this 7.5.)
# The created-events entry is written in the same script, so it exists exactly when the
# comment does, and only while a webhook endpoint wants it: without webhooks the intake
# pays one EXISTS inside Redis and nothing in Python. ARGV[5..8] are "id", <id>,
# "status", <status> (_script_call puts them first).
# Returns {1, id} when stored, {0, existing id} when an 'x' key already named a comment.
_CREATE = """
local roles = ARGV[4]
for i = 1, #roles do
  if string.sub(roles, i, i) == 'x' then
    local existing = redis.call('GET', KEYS[2 + i])
    if existing then return {0, existing} end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
local flagged = true
for i = 1, #roles do
  local role = string.sub(roles, i, i)
  local key = KEYS[2 + i]
  if role == 'c' then redis.call('INCR', key)
  elseif role == 'a' then
    redis.call('ZADD', key, ARGV[2], ARGV[1])
    redis.call('ZREMRANGEBYRANK', key, 0, -__AUTO__)
  elseif role == 'h' then
    redis.call('ZADD', key, ARGV[2], ARGV[1])
    redis.call('ZREMRANGEBYRANK', key, 0, -__HISTORY__)
  elseif role == 'f' then flagged = redis.call('EXISTS', key) == 1
  elseif role == 'e' then
    if flagged then
      redis.call('XADD', key, 'MAXLEN', '~', '1000000', '*', 'id', ARGV[1], 'status', ARGV[8])
    end
  else redis.call('SET', key, ARGV[1]) end
end
return {1, ARGV[1]}
""".replace("__AUTO__", str(AUTO_INDEX_SIZE + 1)).replace("__HISTORY__", str(HISTORY_SIZE + 1))


@dataclass(frozen=True)
class NewComment:
    """Everything intake knows about a comment, ready to store."""

    id: str
    created_at: float
    status: CommentStatus
    verdict: CommentStatus
    mode: str
    fields: Mapping[str, str | None]
    spam: float
    toxicity: float
    reasons: list[dict[str, Any]]
    model_version: str
    namespace: str = keys.DEFAULT_NAMESPACE  # the site's (service.sites)
    # Keys written in the same script: each set to the new id (an index a later call
    # finds the comment by), and counters incremented by one.
    index_keys: tuple[str, ...] = ()
    counter_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SaveResult:
    """The id now stored, and whether this call stored it (False: a retried post)."""

    id: str
    created: bool


class CommentStore:
    """Reads and writes comment records in one Redis.

    With a ``batcher``, the saves of concurrent requests go to Redis together (a
    group commit): the comments that arrive while one write is on its way are sent
    as one pipeline of the same script, one per comment, so they share a round trip
    and, with ``appendfsync always``, one fsync. Each comment keeps its own script
    call and its own result; each request still answers only once its comment is
    written.

    With ``durability.replicas`` > 0, a WAIT follows the writes on their connection
    and a comment is acknowledged only once that many replicas hold it
    (``service.store.replication``). On a Redis Cluster the writes go to the master of each
    comment's slot through ``ClusterWrites``, which follows a failover.
    """

    def __init__(
        self,
        client: redis.Redis,
        batcher: Batcher[SaveResult | Exception] | None = None,
        durability: Durability | None = None,
    ) -> None:
        self.client = client
        self.durability = durability or Durability()
        self._create = client.register_script(_CREATE)
        self._batcher = batcher
        cluster: Any = client
        # The batcher's one leader at a time writes: it can keep a connection of its own
        # (of a single Redis; a cluster's writes go to several masters).
        self._writes = (
            DedicatedConnection(client)
            if batcher is not None and not isinstance(cluster, RedisCluster)
            else None
        )
        # Through the pool of a single Redis, a lone write without WAIT is one script call.
        self._pooled = self._writes is None and not isinstance(cluster, RedisCluster)

    @property
    def script_sha(self) -> str:
        """The SHA1 under which Redis keeps the comment script (SCRIPT EXISTS)."""
        return str(self._create.sha)

    def connect(self) -> None:
        """Open this process's connections to Redis and load the script, so that the
        first comment does not wait for them (a worker's first took 9 ms against 2).
        With Redis away, the first write connects later, as any write would."""
        try:
            self.client.script_load(_CREATE)  # through a connection of the pool
            if self._writes is not None:
                self._writes.execute_many([("PING",)])
        except redis.RedisError:
            pass

    def save(self, comment: NewComment) -> SaveResult:
        """Store the comment and, if pending, queue it, in one script."""
        if self._batcher is None:
            result = self._save_many([comment])[0]
        else:
            result = self._batcher.submit(comment, self._save_many)
        if isinstance(result, Exception):
            raise result
        return result

    def _save_many(self, comments: Sequence[NewComment]) -> list[SaveResult | Exception]:
        """Run the script for each comment, in one round trip when there are several."""
        calls = [self._script_call(comment) for comment in comments]
        metrics.observe(metrics.WRITE_BATCH_SIZE, len(calls))
        if len(calls) == 1 and self._pooled and self.durability.wait_command() is None:
            # the Script object loads the script itself if Redis lost it
            script_keys, args = calls[0]
            return [_save_result(self._create(keys=script_keys, args=args))]
        replies = self._pipeline(calls)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:  # Redis restarted and forgot the script: those calls did not run
            self.client.script_load(_CREATE)
            for i, reply in zip(missing, self._pipeline([calls[i] for i in missing]), strict=True):
                replies[i] = reply
        return [r if isinstance(r, Exception) else _save_result(r) for r in replies]

    def _pipeline(self, calls: Sequence[tuple[list[str], list[str]]]) -> list[Any]:
        # Not a transaction: each script call is atomic by itself, and one comment's
        # error must not undo the others. Errors come back in place of their replies.
        commands = [
            ("EVALSHA", self._create.sha, len(script_keys), *script_keys, *args)
            for script_keys, args in calls
        ]
        if self._writes is None:
            # Routed by the comment's key: every key of a call shares its hash tag.
            routed = [
                (keys_[0], command) for (keys_, _), command in zip(calls, commands, strict=True)
            ]
            return write_replicated(self.client, self.durability, routed)
        wait = self.durability.wait_command()
        if wait is None:
            return self._writes.execute_many(commands)
        replies = self._writes.execute_many([*commands, wait])
        return self.durability.settle(replies[:-1], replies[-1])

    def _script_call(self, comment: NewComment) -> tuple[list[str], list[str]]:
        """The keys and arguments of the script that stores ``comment``."""
        record: dict[str, str] = {
            "id": comment.id,
            "status": comment.status.value,
            "verdict": comment.verdict.value,
            "mode": comment.mode,
            "spam": repr(comment.spam),
            "toxicity": repr(comment.toxicity),
            "reasons": json_codec.dumps(comment.reasons),
            "model_version": comment.model_version,
            "created_at": f"{comment.created_at:.6f}",
        }
        fields = comment.fields
        record.update({k: v for k, v in fields.items() if v})
        ns = comment.namespace
        known = _namespace_keys(ns)
        script_keys = [keys.comment(comment.id, ns), known.pending]
        roles = ""
        external_id = fields.get("external_id")
        if external_id:
            thread = fields.get("thread") or ""
            script_keys.append(
                keys.comment_by_external_id(quote(thread, safe=""), quote(external_id, safe=""), ns)
            )
            roles += "x"
        if comment.index_keys or comment.counter_keys:
            script_keys += comment.index_keys
            script_keys += comment.counter_keys
            roles += "s" * len(comment.index_keys) + "c" * len(comment.counter_keys)
        pending = comment.status is CommentStatus.PENDING
        if not pending:  # decided at intake (shadow mode too)
            script_keys.append(known.auto_decided[comment.status])
            roles += "a"
        email = fields.get("email")
        if email:
            script_keys.append(keys.commenter(email_hash(email), ns))
            roles += "h"
        script_keys += known.created_events
        roles += "fe"
        args = [comment.id, record["created_at"], "1" if pending else "0", roles]
        for name, value in record.items():
            args += (name, value)
        return script_keys, args

    def load(
        self, comment_id: str, namespace: str = keys.DEFAULT_NAMESPACE
    ) -> dict[str, str] | None:
        """The comment's hash in ``namespace``, or None if there is no such comment there."""
        record: dict[str, str] = self.client.hgetall(keys.comment(comment_id, namespace))  # type: ignore[assignment]
        return record or None


@dataclass(frozen=True)
class _NamespaceKeys:
    """The keys every save of one namespace names, built once (each build is a few calls)."""

    pending: str
    auto_decided: dict[CommentStatus, str]
    created_events: tuple[str, str]  # the webhook flag ('f'), then the stream ('e')


@functools.lru_cache(maxsize=1024)
def _namespace_keys(namespace: str) -> _NamespaceKeys:
    return _NamespaceKeys(
        pending=keys.queue_pending(namespace),
        auto_decided={s: keys.auto_decided(s.value, namespace) for s in CommentStatus},
        created_events=(keys.webhook_wants_created(namespace), keys.created_events(namespace)),
    )


def email_hash(email: str) -> str:
    """The key of a commenter's history: ``sha256`` of the trimmed, lower-cased address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()  # as queue.items


def _save_result(reply: Any) -> SaveResult:
    created, stored_id = reply
    return SaveResult(id=str(stored_id), created=bool(int(created)))


def reasons_of(record: Mapping[str, str]) -> list[dict[str, Any]]:
    """The decoded reasons of a stored comment."""
    loaded: list[dict[str, Any]] = json.loads(record.get("reasons") or "[]")
    return loaded
