"""submit-spam / submit-ham: a site's word on a comment, as feedback on the stored one.

The comment is found by the ``guid`` comment-check answered (``X-akismet-guid``), else
by its author, content and IP (the lookup key comment-check wrote with it). Found:
it is site feedback like ``POST /v1/comments/<id>/feedback`` (status, queue, label,
feed, audit). Not found (checked elsewhere, or before modq): only a training label
is written, so the site's word still teaches the next model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from service.domain import is_comment_id
from service.errors import NotFoundError
from service.integrations.akismet import AkismetComment
from service.queue.items import format_time
from service.queue.review import Feedback, ReviewQueue
from service.store import keys

SITE_PREFIX = "site:"  # who gave the feedback, as the queue names a site


@dataclass(frozen=True)
class FeedbackResult:
    """The comment the feedback changed, or None when only a label was written."""

    comment_id: str | None


def find_comment(client: redis.Redis, comment: AkismetComment, namespace: str) -> str | None:
    """The id of the stored comment a submit-spam/ham call means, if there is one."""
    guid = comment.guid
    if guid and is_comment_id(guid) and client.exists(keys.comment(guid, namespace)):
        return guid
    found = client.get(keys.akismet_lookup(comment.lookup_digest, namespace))
    return str(found) if found else None


def give_feedback(
    queue: ReviewQueue, comment: AkismetComment, site: str, label: Feedback
) -> FeedbackResult:
    """Apply the site's label to the matching comment, else store it as a bare label."""
    comment_id = find_comment(queue.redis, comment, queue.namespace)
    if comment_id is not None:
        try:
            queue.feedback(comment_id, site, label)
            return FeedbackResult(comment_id)
        except NotFoundError:  # removed since (privacy erase): keep the label only
            pass
    write_label(queue.redis, comment, site, label, queue.namespace)
    return FeedbackResult(None)


def write_label(
    client: redis.Redis,
    comment: AkismetComment,
    site: str,
    label: Feedback,
    namespace: str,
    now: float | None = None,
) -> None:
    """A training label for a comment modq never stored (the e-mail's domain only)."""
    native = comment.native
    email = native.get("email", "")
    domain = "@" + email.rsplit("@", 1)[1].lower() if "@" in email else ""
    client.xadd(
        keys.labels(namespace),
        {
            "id": "",
            "text": native.get("text", ""),
            "name": native.get("name", ""),
            "email": domain,
            "url": native.get("url", ""),
            # As the queue labels a decision: ham is neither, spam says nothing of toxicity.
            "spam": "1" if label is Feedback.SPAM else ("0" if label is Feedback.HAM else ""),
            "toxic": "1" if label is Feedback.TOXIC else ("0" if label is Feedback.HAM else ""),
            "source": "moderator",
            "thread": native.get("thread", ""),
            "decided_by": SITE_PREFIX + site,
            "decided_at": format_time(time.time() if now is None else now),
            "event": "corrected",
            "via": "akismet",
        },
    )
