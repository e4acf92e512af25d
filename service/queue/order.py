"""Orders of the review queue and the cursors that page through them.

Every order is a float key per comment, ascending, with the comment id as the
tie-break; a cursor is the (key, id) of the last item shown, so a page never
repeats or skips an item that stays in the queue, whatever arrives meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum

from service.errors import InvalidError
from service.queue.items import QueueItem


class Sort(str, Enum):
    """Orders of the queue listing."""

    OLDEST = "oldest"
    NEWEST = "newest"
    SCORE = "score"  # most likely bad first
    UNCERTAIN = "uncertain"  # the model least sure first


def badness(scores: dict[str, float]) -> float:
    """How likely the comment is bad: its highest head score."""
    return max(scores.values(), default=0.0)


def uncertainty(scores: dict[str, float]) -> float:
    """Distance of the least certain head from 0.5 (smaller: the model is less sure)."""
    return min((abs(p - 0.5) for p in scores.values()), default=0.5)


def sort_key(sort: Sort, item: QueueItem) -> float:
    """The key ``item`` sorts by (ascending) in ``sort``."""
    created = item.created_at or 0.0
    if sort is Sort.OLDEST:
        return created
    if sort is Sort.NEWEST:
        return -created
    if sort is Sort.SCORE:
        return -badness(item.scores)
    return uncertainty(item.scores)


def encode_cursor(sort: Sort, key: float, comment_id: str) -> str:
    """An opaque cursor naming the sort and the last (key, id) shown."""
    raw = f"{sort.value}|{key!r}|{comment_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[float, str]:
    """The (key, id) of a cursor of ``sort``; 422 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sort_name, key, comment_id = raw.split("|")
        if sort_name != sort.value:
            raise ValueError
        return float(key), comment_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidError(
            "The cursor is not one this listing gave out (or belongs to another sort).",
            fields={"cursor": "use the `next` value of the previous page with the same sort"},
        ) from None
