"""Disqus: read the XML export (Admin → Moderate → Export) into labeled rows.

Each ``<post>`` carries the site's decision in three flags:

| isSpam | isDeleted | isApproved | label |
|--------|-----------|------------|-------|
| true   | any       | any        | spam (``spam=1``) |
| false  | true      | any        | skipped by default (``--deleted-as toxic|spam`` labels it) |
| false  | false     | false      | skipped: pending, nobody decided |
| false  | false     | true       | ham (``spam=0``) |

Older exports have no ``isApproved``; a post without it counts as approved.
Messages are stored as HTML; they are turned back into the plain text a
commenter typed (paragraphs and line breaks kept, a link's address kept
beside its label), which is what modq sees from a comment form.

The file comes from outside, so it is parsed with defusedxml: no entity
expansion, no external DTDs, no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from classifier.importers import (
    ImportFormatError,
    ImportResult,
    Outcome,
    RemovedAs,
    labels_for,
    removed_outcome,
)

SOURCE = "disqus"
NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def read_disqus(
    path: Path,
    *,
    deleted_as: RemovedAs = RemovedAs.SKIP,
    approved_clean: bool = False,
) -> ImportResult:
    """Labeled rows from a Disqus XML export."""
    result = ImportResult()
    threads: dict[str, str] = {}
    for element in _elements(path):
        tag = _local(element.tag)
        if tag == "thread" and element.get(DSQ_ID) and element.find(f"{NS}link") is not None:
            threads[element.get(DSQ_ID, "")] = _child_text(element, "link")
        elif tag == "post":
            _add_post(result, element, threads, deleted_as, approved_clean)
    return result


def post_outcome(
    *, is_spam: bool, is_deleted: bool, is_approved: bool, deleted_as: RemovedAs
) -> Outcome:
    """The outcome of one post's flags."""
    if is_spam:
        return Outcome.SPAM
    if is_deleted:
        return removed_outcome(deleted_as, Outcome.SKIPPED_DELETED)
    if not is_approved:
        return Outcome.SKIPPED_PENDING
    return Outcome.HAM


def html_to_text(html: str) -> str:
    """The plain text of a Disqus message: tags dropped, breaks and link targets kept."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    text = "\n".join(line.strip() for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _add_post(
    result: ImportResult,
    post: Element,
    threads: dict[str, str],
    deleted_as: RemovedAs,
    approved_clean: bool,
) -> None:
    outcome = post_outcome(
        is_spam=_flag(post, "isSpam", default=False),
        is_deleted=_flag(post, "isDeleted", default=False),
        is_approved=_flag(post, "isApproved", default=True),
        deleted_as=deleted_as,
    )
    labels = labels_for(outcome, approved_clean=approved_clean)
    if labels is None:
        result.add(outcome)
        return
    text = html_to_text(_child_text(post, "message"))
    if not text:
        result.add(Outcome.SKIPPED_EMPTY)
        return
    author = post.find(f"{NS}author")
    thread = post.find(f"{NS}thread")
    thread_id = thread.get(DSQ_ID, "") if thread is not None else ""
    spam, toxic = labels
    result.add(
        outcome,
        {
            "id": f"{SOURCE}:{post.get(DSQ_ID, '') or len(result.rows) + 1}",
            "text": text,
            "name": _child_text(author, "name") if author is not None else "",
            "email": _child_text(author, "email") if author is not None else "",
            "url": "",
            "spam": spam,
            "toxic": toxic,
            "source": SOURCE,
            "thread": threads.get(thread_id, thread_id),
            "created_at": _child_text(post, "createdAt"),
            "status": outcome.value,
        },
    )


def _elements(path: Path) -> Iterator[Element]:
    """Top-level children of <disqus>, one at a time, freed once read (exports get large)."""
    try:
        depth = 0
        for event, element in SafeET.iterparse(str(path), events=("start", "end")):
            if event == "start":
                if depth == 0 and _local(element.tag) != "disqus":
                    raise ImportFormatError(
                        f"{path}: not a Disqus export (root <{_local(element.tag)}>)"
                    )
                depth += 1
                continue
            depth -= 1
            if depth == 1:
                yield element
                element.clear()
    except ParseError as exc:
        raise ImportFormatError(f"{path}: not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise ImportFormatError(f"{path}: refused unsafe XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Element, name: str) -> str:
    child = element.find(f"{NS}{name}")
    return (child.text or "") if child is not None else ""


def _flag(element: Element, name: str, *, default: bool) -> bool:
    child = element.find(f"{NS}{name}")
    if child is None or not (child.text or "").strip():
        return default
    return (child.text or "").strip().lower() == "true"


def _unwrap_redirect(href: str) -> str:
    """The real address behind a disq.us/url?url=<address>:<hash> redirect."""
    parts = urlsplit(href)
    if parts.hostname not in ("disq.us", "disqus.com") or parts.path != "/url":
        return href
    target = parse_qs(parts.query).get("url", [""])[0]
    # Disqus appends ":<signature>" to the address it wraps.
    head, sep, tail = target.rpartition(":")
    return head if sep and tail and "/" not in tail and head.count(":") >= 1 else target


def _shows_address(label: str, href: str) -> bool:
    """Whether a link's label already shows its address (Disqus auto-links, often shortened)."""
    shown = label.strip().rstrip(".…").split("://")[-1]
    return bool(shown) and href.split("://")[-1].startswith(shown)


class _TextParser(HTMLParser):
    """Collects text; <br> and block ends become newlines; a link keeps its address."""

    BLOCKS = frozenset({"p", "div", "blockquote", "li", "pre", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            href = _unwrap_redirect(href)
            if not href:
                return
            if _shows_address("".join(self.parts[start:]), href):
                # Disqus shortens long addresses in the label; the commenter typed all of it.
                self.parts[start:] = [href]
            else:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
