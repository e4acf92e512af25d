"""The router: turns new entries of the source streams into messages for each endpoint.

One router per namespace runs at a time (a lease in ``P:webhooks:router``); its place
in each stream is ``P:webhooks:cursor``, moved in the same script that queues the
messages (``Outbox.enqueue``), so a crash between reading and queueing loses nothing
and a lost lease queues nothing twice.
"""

from __future__ import annotations

import secrets

import redis

from service.integrations.webhooks.endpoints import Endpoint, EndpointRegistry
from service.integrations.webhooks.events import EventType, created_body, decision_body
from service.integrations.webhooks.outbox import NewMessage, Outbox
from service.store import keys

BATCH = 200
_COMMENT_FIELDS = ("external_id", "thread", "status", "spam", "toxicity", "reasons")

# KEYS[1] the router lease  ARGV[1] token  ARGV[2] lease (ms)
# Takes the lease if free or ours (and extends it); returns 1 when held.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def entry_key(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Router:
    """Routes one namespace's events to its endpoints."""

    def __init__(
        self, client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE, lease_ms: int = 10_000
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.lease_ms = lease_ms
        self.token = secrets.token_hex(8)
        self.registry = EndpointRegistry(client, namespace)
        self.outbox = Outbox(client, namespace)
        self._lease = client.register_script(_LEASE)

    def hold_lease(self) -> bool:
        """Take or extend this namespace's router lease; False if another router holds it."""
        held = self._lease(
            keys=[keys.webhook_router(self.namespace)], args=[self.token, self.lease_ms]
        )
        return bool(held)

    def route(self, now_ms: int) -> int:
        """Queue the messages for the next batch of events; how many events were routed."""
        endpoints = [e for e in self.registry.list() if not e.disabled]
        ns = self.namespace
        cursor = self.client.hmget(keys.webhook_cursor(ns), ["created", "decisions"])
        created_after, decisions_after = (_text(c) if c else "" for c in cursor)  # type: ignore[union-attr]
        created = self._read(keys.created_events(ns), created_after)
        decided = self._read(keys.decisions(ns), decisions_after)
        if not created and not decided:
            return 0
        # A full batch from one stream bounds how far the other may be merged: past it,
        # entries of the first stream may still be unread.
        limit: tuple[int, int] | None = None
        for batch in (created, decided):
            if len(batch) == BATCH:
                last = entry_key(batch[-1][0])
                limit = last if limit is None else min(limit, last)
        merged = [(entry_key(i), 0, i, f, "created") for i, f in created] + [
            (entry_key(i), 1, i, f, "decisions") for i, f in decided
        ]
        merged.sort(key=lambda item: (item[0], item[1]))
        if limit is not None:
            merged = [item for item in merged if item[0] <= limit]
        comment_ids = list(dict.fromkeys(fields.get("id", "") for *_, fields, _ in merged))
        comments = self._comments(comment_ids)
        messages: list[NewMessage] = []
        new_created, new_decisions = created_after, decisions_after
        for _, _, entry_id, fields, source in merged:
            if source == "created":
                new_created = entry_id
                event = EventType.CREATED
            else:
                new_decisions = entry_id
                event = (
                    EventType.CORRECTED if fields.get("event") == "corrected" else EventType.DECIDED
                )
            comment_id = fields.get("id", "")
            targets = [e for e in endpoints if _subscribed(e, event, entry_id)]
            if not targets or not comment_id:
                continue
            comment = comments.get(comment_id, {})
            at = entry_key(entry_id)[0] / 1000
            if event is EventType.CREATED:
                body = created_body(fields, comment, at)
            else:
                body = decision_body(event, fields, comment, at)
            message_id = f"msg_{source[0]}{entry_id}"
            messages += [
                NewMessage(e.id, message_id, event.value, body, comment_id) for e in targets
            ]
        routed = self.outbox.enqueue(
            messages,
            expected=(created_after, decisions_after),
            cursors=(new_created or created_after, new_decisions or decisions_after),
            now_ms=now_ms,
        )
        return len(merged) if routed else 0

    def _read(self, key: str, after: str) -> list[tuple[str, dict[str, str]]]:
        start = f"({after}" if after else "-"
        entries = self.client.xrange(key, min=start, max="+", count=BATCH)
        return [
            (_text(i), {_text(k): _text(v) for k, v in f.items()})
            for i, f in entries  # type: ignore[union-attr]
        ]

    def _comments(self, ids: list[str]) -> dict[str, dict[str, str]]:
        pipe = self.client.pipeline(transaction=False)
        for comment_id in ids:
            pipe.hmget(keys.comment(comment_id, self.namespace), list(_COMMENT_FIELDS))
        values = pipe.execute() if ids else []
        return {
            comment_id: {n: _text(v) for n, v in zip(_COMMENT_FIELDS, row, strict=True) if v}
            for comment_id, row in zip(ids, values, strict=True)
        }


def _subscribed(endpoint: Endpoint, event: EventType, entry_id: str) -> bool:
    return endpoint.wants(event) and entry_key(entry_id) >= entry_key(endpoint.since)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
