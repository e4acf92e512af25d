"""Which namespaces a moderator sees: every site's (and ``default``), or only their list."""

from __future__ import annotations

from service.errors import NotFoundError
from service.store import keys


def visible_namespaces(
    existing: frozenset[str], allowed: frozenset[str] | None, requested: str | None = None
) -> list[str]:
    """The namespaces in view: ``allowed`` (None: every site, and ``default``, which holds
    the comments of a modq without sites), narrowed to ``requested`` when one is named.

    A site outside the moderator's list is answered as if it did not exist (404).
    """
    every = sorted(existing | {keys.DEFAULT_NAMESPACE}) if allowed is None else sorted(allowed)
    if requested is None:
        return every
    if requested not in every:
        raise NotFoundError(f"No site named {requested!r}.", fields={"site": "unknown site"})
    return [requested]
