"""Queued webhook messages in Redis: enqueue (router), claim under a lease, complete, replay.

A message is one event for one endpoint, ``P:webhooks:msg:<ep>:<msg>``. Its member
``<ep>/<msg>`` sits in ``P:webhooks:due`` scored by the millisecond it is next due. A
claim takes the due members and pushes each one's score forward by the lease, so no
other worker takes it meanwhile; the new score is the claim's token: completing
checks it, so a worker whose lease ran out (and whose message someone else took)
changes nothing. A worker that dies leaves the score to come due again: at least once.
One comment's messages to one endpoint wait in ``P:webhooks:chain:<ep>:<comment>``;
only the chain's head is in the due set, so they leave in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import redis

from service.store import keys

ATTEMPTS_KEPT = 1000

# KEYS[1] due zset  KEYS[2] cursor hash  KEYS[3] created-events stream
# KEYS[4+2i], KEYS[5+2i]  message i's hash and its chain list
# ARGV[1] now (ms)  ARGV[2] expected created cursor  ARGV[3] expected decisions cursor
# ARGV[4] new created cursor  ARGV[5] new decisions cursor
# ARGV[6+6i .. 11+6i]  message i: member, message id, type, body, comment id, endpoint id
# Returns 1, or 0 when the cursors moved meanwhile (another router ran: nothing written).
_ENQUEUE = """
local cursor = redis.call('HMGET', KEYS[2], 'created', 'decisions')
if (cursor[1] or '') ~= ARGV[2] or (cursor[2] or '') ~= ARGV[3] then return 0 end
local n = (#KEYS - 3) / 2
for i = 0, n - 1 do
  local msg, chain = KEYS[4 + 2 * i], KEYS[5 + 2 * i]
  local a = 6 + 6 * i
  if redis.call('EXISTS', msg) == 0 then
    redis.call('HSET', msg, 'member', ARGV[a], 'id', ARGV[a + 1], 'type', ARGV[a + 2],
      'body', ARGV[a + 3], 'comment', ARGV[a + 4], 'endpoint', ARGV[a + 5],
      'attempts', 0, 'state', 'pending', 'queued_at', ARGV[1])
    if redis.call('RPUSH', chain, ARGV[a]) == 1 then
      redis.call('ZADD', KEYS[1], ARGV[1], ARGV[a])
    end
  end
end
redis.call('HSET', KEYS[2], 'created', ARGV[4], 'decisions', ARGV[5])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4])
return 1
"""

# KEYS[1] due zset
# ARGV[1] now (ms)  ARGV[2] lease (ms)  ARGV[3] how many at most
# Returns {member, token, member, token, ...}: the token is the member's new score.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local out = {}
local token = tostring(tonumber(ARGV[1]) + tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], token, member)
  out[#out + 1] = member
  out[#out + 1] = token
end
return out
"""

# KEYS[1] due zset  KEYS[2] failed zset  KEYS[3] message hash  KEYS[4] chain list
# KEYS[5] attempts stream  KEYS[6] disabled set
# ARGV[1] member  ARGV[2] claim token  ARGV[3] outcome: ok | retry | fail | gone | drop
# ARGV[4] next due (ms, retry)  ARGV[5] now (ms)  ARGV[6] endpoint id
# ARGV[7] attempts kept  ARGV[8...] the attempt record's fields and values ("" : none)
# Returns the outcome applied, or "stale" when the claim was lost (nothing changed but the log).
_COMPLETE = """
local member = ARGV[1]
if ARGV[8] ~= '' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', unpack(ARGV, 8))
end
local score = redis.call('ZSCORE', KEYS[1], member)
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 'stale' end
local outcome = ARGV[3]
if outcome == 'retry' then
  redis.call('HINCRBY', KEYS[3], 'attempts', 1)
  redis.call('ZADD', KEYS[1], ARGV[4], member)
  return outcome
end
redis.call('ZREM', KEYS[1], member)
if outcome == 'ok' or outcome == 'drop' then
  redis.call('DEL', KEYS[3])
else
  if outcome == 'gone' then redis.call('SADD', KEYS[6], ARGV[6]) end
  redis.call('HINCRBY', KEYS[3], 'attempts', 1)
  redis.call('HSET', KEYS[3], 'state', 'failed', 'failed_at', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[5], member)
end
if redis.call('LINDEX', KEYS[4], 0) == member then redis.call('LPOP', KEYS[4]) end
local following = redis.call('LINDEX', KEYS[4], 0)
if following then redis.call('ZADD', KEYS[1], ARGV[5], following) end
return outcome
"""

# KEYS[1] due zset  KEYS[2] failed zset  KEYS[3] message hash  KEYS[4] chain list
# ARGV[1] member  ARGV[2] now (ms)
# Returns 1 when queued again, 0 when the member was not a failed message.
_REPLAY = """
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'state', 'pending', 'attempts', 0)
redis.call('HDEL', KEYS[3], 'failed_at')
if redis.call('RPUSH', KEYS[4], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
return 1
"""


class Outcome(str, Enum):
    """What one delivery attempt leads to."""

    OK = "ok"  # 2xx: delivered
    RETRY = "retry"  # try again at the next due time
    FAIL = "fail"  # retries exhausted (or the endpoint is disabled): replayable
    GONE = "gone"  # 410: the endpoint is disabled, this message failed
    DROP = "drop"  # the endpoint no longer exists


@dataclass(frozen=True)
class Message:
    """One claimed message, ready to send."""

    member: str
    token: str
    endpoint_id: str
    id: str
    type: str
    body: bytes
    comment_id: str
    attempts: int


@dataclass(frozen=True)
class NewMessage:
    """A message the router queues."""

    endpoint_id: str
    id: str
    type: str
    body: bytes
    comment_id: str

    @property
    def member(self) -> str:
        """The message's member in the due and failed sets."""
        return f"{self.endpoint_id}/{self.id}"


def split_member(member: str) -> tuple[str, str]:
    """(endpoint id, message id) of a member."""
    endpoint_id, _, message_id = member.partition("/")
    return endpoint_id, message_id


class Outbox:
    """The queued messages of one namespace."""

    def __init__(self, client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE) -> None:
        self.client = client
        self.namespace = namespace
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._complete = client.register_script(_COMPLETE)
        self._replay = client.register_script(_REPLAY)

    def enqueue(
        self,
        messages: Sequence[NewMessage],
        expected: tuple[str, str],
        cursors: tuple[str, str],
        now_ms: int,
    ) -> bool:
        """Queue messages and move the router's cursors, if they are still ``expected``."""
        ns = self.namespace
        script_keys = [keys.webhook_due(ns), keys.webhook_cursor(ns), keys.created_events(ns)]
        args: list[str | bytes | int] = [now_ms, *expected, *cursors]
        for message in messages:
            script_keys += [
                keys.webhook_message(message.endpoint_id, message.id, ns),
                keys.webhook_chain(message.endpoint_id, message.comment_id, ns),
            ]
            args += [
                message.member,
                message.id,
                message.type,
                message.body,
                message.comment_id,
                message.endpoint_id,
            ]
        return bool(self._enqueue(keys=script_keys, args=args))

    def claim(self, limit: int, lease_ms: int, now_ms: int) -> list[Message]:
        """Lease up to ``limit`` due messages and read them."""
        reply = self._claim(keys=[keys.webhook_due(self.namespace)], args=[now_ms, lease_ms, limit])
        pairs = list(zip(reply[::2], reply[1::2], strict=True))
        if not pairs:
            return []
        pipe = self.client.pipeline(transaction=False)
        for member, _ in pairs:
            endpoint_id, message_id = split_member(_text(member))
            pipe.hgetall(keys.webhook_message(endpoint_id, message_id, self.namespace))
        records = pipe.execute()
        claimed = []
        for (member, token), record in zip(pairs, records, strict=True):
            member, token = _text(member), _text(token)
            endpoint_id, message_id = split_member(member)
            fields = {_text(k): v for k, v in record.items()}
            body = fields.get("body", b"")
            claimed.append(
                Message(
                    member=member,
                    token=token,
                    endpoint_id=endpoint_id,
                    id=message_id,
                    type=_text(fields.get("type", b"")),
                    body=body.encode() if isinstance(body, str) else body,
                    comment_id=_text(fields.get("comment", b"")),
                    attempts=int(fields.get("attempts", 0) or 0),
                )
            )
        return claimed

    def complete(
        self,
        message: Message,
        outcome: Outcome,
        now_ms: int,
        next_due_ms: int = 0,
        attempt: Mapping[str, str] | None = None,
    ) -> str:
        """Record an attempt's outcome; "stale" when the lease was lost meanwhile."""
        ns = self.namespace
        record: list[str] = []
        for name, value in (attempt or {}).items():
            record += [name, value]
        reply = self._complete(
            keys=[
                keys.webhook_due(ns),
                keys.webhook_failed(ns),
                keys.webhook_message(message.endpoint_id, message.id, ns),
                keys.webhook_chain(message.endpoint_id, message.comment_id, ns),
                keys.webhook_attempts(ns),
                keys.webhook_disabled(ns),
            ],
            args=[
                message.member,
                message.token,
                outcome.value,
                next_due_ms,
                now_ms,
                message.endpoint_id,
                ATTEMPTS_KEPT,
                *(record or [""]),
            ],
        )
        return _text(reply)

    def replay(self, member: str, now_ms: int) -> bool:
        """Queue a failed message again; False if it is not a failed message."""
        endpoint_id, message_id = split_member(member)
        ns = self.namespace
        comment: str | bytes | None = self.client.hget(  # type: ignore[assignment]
            keys.webhook_message(endpoint_id, message_id, ns), "comment"
        )
        reply = self._replay(
            keys=[
                keys.webhook_due(ns),
                keys.webhook_failed(ns),
                keys.webhook_message(endpoint_id, message_id, ns),
                keys.webhook_chain(endpoint_id, _text(comment or b""), ns),
            ],
            args=[member, now_ms],
        )
        return bool(reply)

    def failed(self, endpoint_id: str | None = None) -> list[dict[str, str]]:
        """Failed messages (newest first), of one endpoint or all."""
        members = self.client.zrevrange(keys.webhook_failed(self.namespace), 0, -1, withscores=True)
        out = []
        for member, score in members:  # type: ignore[union-attr]
            member = _text(member)
            ep, message_id = split_member(member)
            if endpoint_id is None or ep == endpoint_id:
                failed_at = str(int(score))
                out.append({"member": member, "endpoint": ep, "id": message_id, "at": failed_at})
        return out

    def pending_count(self) -> int:
        """Messages due or leased now (heads of chains)."""
        return int(self.client.zcard(keys.webhook_due(self.namespace)))  # type: ignore[arg-type]

    def attempts(self, count: int = 50, endpoint_id: str | None = None) -> list[dict[str, str]]:
        """The newest delivery attempts, newest first."""
        entries = self.client.xrevrange(keys.webhook_attempts(self.namespace), count=ATTEMPTS_KEPT)
        out = []
        for _, fields in entries:  # type: ignore[union-attr]
            record = {_text(k): _text(v) for k, v in fields.items()}
            if endpoint_id is None or record.get("endpoint") == endpoint_id:
                out.append(record)
            if len(out) >= count:
                break
        return out

    def purge_endpoint(self, endpoint_id: str) -> int:
        """Drop a removed endpoint's failed messages; its queued ones drop as they come due."""
        ns = self.namespace
        dropped = 0
        for entry in self.failed(endpoint_id):
            self.client.zrem(keys.webhook_failed(ns), entry["member"])
            self.client.delete(keys.webhook_message(endpoint_id, entry["id"], ns))
            dropped += 1
        return dropped


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
