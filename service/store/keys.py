"""Every Redis key modq uses, built here and nowhere else.

All keys start with ``modq:`` and carry one hash tag, ``{<namespace>}``, so
that the keys a transaction or Lua script touches together (a comment, the
review queue, the decision feed, the labels) live in one Redis Cluster slot.
One namespace is one moderation space (the default is ``default``); on a Redis
Cluster (``MODQ_REDIS_CLUSTER``) the namespaces spread over the masters by their
slot. No script, transaction or pipeline of modq spans two namespaces.

Keys (``P`` = ``modq:{default}``):

| key                        | type   | holds |
|----------------------------|--------|-------|
| P:comment:<id>             | hash   | one comment: fields, scores, reasons, status, times |
| P:comment:ext:<thread>:<external_id>  | string | id of the comment a site knows by its own id |
| P:queue:pending            | zset   | pending comment ids, scored by created_at (oldest first) |
| P:queue:leases             | zset   | leased comment ids, scored by lease expiry (unix seconds) |
| P:queue:lease_owners       | hash   | leased comment id -> moderator holding the lease |
| P:decisions                | stream | feed of final decisions; entry ids are the public cursors |
| P:labels                   | stream | one training label per decision (text, name, url, ...) |
| P:audit                    | stream | who decided what and when |
| P:stats:decided:<hour>     | hash   | decisions in one UTC hour: total and per moderator |
| P:auto:<status>            | zset   | ids approved / rejected at intake, by created_at (bounded) |
| P:commenter:<email sha256> | zset   | one commenter's comment ids by created_at (bounded) |
| P:queue:held               | zset   | page decisions in their undo window, by commit time |
| P:queue:held_data          | hash   | held comment id -> JSON of its feed entry and label |
| P:events:created           | stream | new comments (id, status) for webhooks, while wanted |
| P:webhooks:endpoints       | hash   | webhook endpoint id -> JSON (url, events, secrets, since) |
| P:webhooks:disabled        | set    | disabled endpoint ids (a 410, or an operator) |
| P:webhooks:wants_created   | string | present while an endpoint wants comment.created |
| P:webhooks:cursor          | hash   | the router's place in P:events:created and P:decisions |
| P:webhooks:router          | string | lease of the one router of this namespace (token, expiry) |
| P:webhooks:due             | zset   | "<ep>/<msg>" by next attempt (ms; a claim adds the lease) |
| P:webhooks:msg:<ep>:<msg>  | hash   | one message to one endpoint: type, body, attempts |
| P:webhooks:chain:<ep>:<id> | list   | one comment's messages to one endpoint, in order |
| P:webhooks:failed          | zset   | "<ep>/<msg>" that failed (retries spent, 410), by time |
| P:webhooks:attempts        | stream | recent delivery attempts (capped) |
| modq:{webhooks}:namespaces | set    | namespaces that have (or had) a webhook endpoint |
| P:akismet:lookup:<digest>  | string | latest Akismet comment id by author, content and IP |
| P:akismet:usage:<YYYY-MM>  | string | comment-check calls in one UTC month (usage-limit) |

The site registry (``service.sites``) has a hash tag of its own, ``{sites}``
(``S`` = ``modq:{sites}``), so that its transactions touch one slot:

| key                        | type   | holds |
|----------------------------|--------|-------|
| S:names                    | set    | every site's name |
| S:site:<name>              | hash   | url, coral_secret, created_at, key (current key's sha256) |
| S:site:<name>:keys         | set    | sha256 of every key the site was given |
| S:key:<sha256 of a key>    | hash   | site, digest, url, coral_secret, expires_at (end of grace) |
Rate limit counters (service/http/rate_limits.py) live under ``modq:limits:``,
one key per limit, scope and address or site, each expiring with its window.
``modq:session:<sha256 of the id>`` (string, the moderator's name) is one moderator
page session, expiring after MODQ_SESSION_IDLE_MINUTES without a request.
"""

from __future__ import annotations

PREFIX = "modq"
DEFAULT_NAMESPACE = "default"


def _base(namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{PREFIX}:{{{namespace}}}"


def comment(comment_id: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash of one comment."""
    return f"{_base(namespace)}:comment:{comment_id}"


def comment_by_external_id(
    thread: str, external_id: str, namespace: str = DEFAULT_NAMESPACE
) -> str:
    """String: the modq id of a comment a site knows by (thread, external_id)."""
    return f"{_base(namespace)}:comment:ext:{thread}:{external_id}"


def queue_pending(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of pending comment ids by created_at."""
    return f"{_base(namespace)}:queue:pending"


def queue_leases(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of leased comment ids by lease expiry."""
    return f"{_base(namespace)}:queue:leases"


def queue_lease_owners(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: leased comment id -> the moderator holding its lease (one key, so Lua declares it)."""
    return f"{_base(namespace)}:queue:lease_owners"


def decisions(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of final decisions (the websites' feed)."""
    return f"{_base(namespace)}:decisions"


def labels(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of training labels from moderator decisions."""
    return f"{_base(namespace)}:labels"


def audit(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of audit records (who decided what, when)."""
    return f"{_base(namespace)}:audit"


def stats_decided(hour: int, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash of decision counts in one UTC hour (hour = unix seconds // 3600)."""
    return f"{_base(namespace)}:stats:decided:{hour}"


def created_events(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of new comments for the webhooks router (written only while wanted)."""
    return f"{_base(namespace)}:events:created"


def webhook_endpoints(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: webhook endpoint id -> its JSON record."""
    return f"{_base(namespace)}:webhooks:endpoints"


def webhook_disabled(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Set of disabled webhook endpoint ids."""
    return f"{_base(namespace)}:webhooks:disabled"


def webhook_wants_created(namespace: str = DEFAULT_NAMESPACE) -> str:
    """String present while some enabled endpoint subscribes to comment.created."""
    return f"{_base(namespace)}:webhooks:wants_created"


def webhook_cursor(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: the router's last routed entry id per source stream."""
    return f"{_base(namespace)}:webhooks:cursor"


def webhook_router(namespace: str = DEFAULT_NAMESPACE) -> str:
    """String: the lease of this namespace's router."""
    return f"{_base(namespace)}:webhooks:router"


def webhook_due(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of "<endpoint>/<message>" by next attempt time."""
    return f"{_base(namespace)}:webhooks:due"


def webhook_message(endpoint_id: str, message_id: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: one message for one endpoint."""
    return f"{_base(namespace)}:webhooks:msg:{endpoint_id}:{message_id}"


def webhook_chain(endpoint_id: str, comment_id: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """List: one comment's messages to one endpoint, in order."""
    return f"{_base(namespace)}:webhooks:chain:{endpoint_id}:{comment_id}"


def webhook_failed(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of "<endpoint>/<message>" that failed, by time."""
    return f"{_base(namespace)}:webhooks:failed"


def webhook_attempts(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of recent delivery attempts."""
    return f"{_base(namespace)}:webhooks:attempts"


def webhook_namespaces() -> str:
    """Set of namespaces that have had a webhook endpoint (one key for all)."""
    return f"{PREFIX}:{{webhooks}}:namespaces"


def rate_limits() -> str:
    """Prefix of the rate limiter's counters (the limits library appends its own key)."""
    return f"{PREFIX}:limits"


def retention_lock() -> str:
    """String with a TTL: the process that runs this hour's retention sweep holds it."""
    return f"{PREFIX}:retention:lock"


def moderator_session(id_hash: str) -> str:
    """String: the moderator of one page session (keyed by the SHA-256 of its id)."""
    return f"{PREFIX}:session:{id_hash}"


def auto_decided(status: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of comment ids decided automatically at intake (approved or rejected)."""
    return f"{_base(namespace)}:auto:{status}"


def commenter(email_hash: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of one commenter's comment ids by created_at (``sha256(lower(email))``)."""
    return f"{_base(namespace)}:commenter:{email_hash}"


def queue_held(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of decisions still inside their undo window, scored by commit time."""
    return f"{_base(namespace)}:queue:held"


def queue_held_data(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: held comment id -> JSON of the feed entry and label it commits."""
    return f"{_base(namespace)}:queue:held_data"


def akismet_lookup(digest: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """String: the id of the latest Akismet comment with this author/content/IP digest."""
    return f"{_base(namespace)}:akismet:lookup:{digest}"


def akismet_usage(month: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Counter of Akismet comment-check calls in one UTC month (``YYYY-MM``)."""
    return f"{_base(namespace)}:akismet:usage:{month}"


SITES_TAG = "sites"


def sites() -> str:
    """Set of every site's name."""
    return f"{PREFIX}:{{{SITES_TAG}}}:names"


def site(name: str) -> str:
    """Hash of one site: url, coral_secret, created_at, and the sha256 of its current key."""
    return f"{PREFIX}:{{{SITES_TAG}}}:site:{name}"


def site_keys(name: str) -> str:
    """Set of the sha256 of every key a site was given (so removing the site revokes all)."""
    return f"{PREFIX}:{{{SITES_TAG}}}:site:{name}:keys"


def site_key(digest: str) -> str:
    """Hash of one key, found by its sha256: its site, and a rotated key's end of grace."""
    return f"{PREFIX}:{{{SITES_TAG}}}:key:{digest}"
