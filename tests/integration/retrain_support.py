"""A tiny base data set and a site's comments, generated deterministically, for retrain tests.

The base set stands in for the public datasets: a spam source and a toxicity
source, each with both classes. The "site" is a gaming forum whose insults
(noob, scrub, uninstall) the base set never saw, so only its moderators'
labels can teach them.
"""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from service.domain import comment_id

SPAM = [
    "Buy cheap {product} now at http://{domain}.example/shop",
    "Earn ${n} a week working from home, visit http://{domain}.example",
    "FREE {product} for the first {n} visitors!!! click http://{domain}.example",
    "Check out my channel and subscribe http://{domain}.example/channel",
]
HAM = [
    "I think the part about {topic} was {adj}.",
    "Thanks for the write-up on {topic}, it was {adj}.",
    "Does anyone know when the next {topic} meeting is?",
    "My grandmother used to say the same about {topic}.",
]
TOXIC = [
    "you are a {insult} and everyone knows it",
    "shut up you {bad} {insult}",
    "only a {insult} would write something this {bad}",
    "go away {insult}, nobody wants you here",
]
CIVIL = [
    "I respectfully disagree about {topic}, the numbers say otherwise.",
    "Good point on {topic}, I had not thought of that.",
    "Could you share a source for the {topic} claim?",
    "The {topic} section was {adj}, thank you.",
]
SITE_TOXIC = [
    "uninstall the game you {gamer_insult}",
    "{gamer_insult} team again, report this {gamer_insult}",
    "lol {gamer_insult} cant even aim, go back to tutorial",
    "imagine losing to {gamer_insult}s like you",
]
SITE_CIVIL = [
    "gg well played everyone, that last round was close",
    "anyone up for a ranked match on {map} tonight?",
    "the new patch changed {hero} a lot, thoughts?",
    "nice clutch on {map}, how did you time that?",
]
WORDS = {
    "product": ["watches", "pills", "sunglasses", "followers", "loans", "jerseys"],
    "domain": ["deals", "cheap-stuff", "promo", "quick-cash", "free-gift"],
    "n": ["50", "100", "500", "5000"],
    "topic": ["bike lanes", "the library", "school budget", "the bridge", "parking", "taxes"],
    "adj": ["helpful", "interesting", "clear", "well argued", "surprising"],
    "insult": ["idiot", "moron", "loser", "clown", "imbecile"],
    "bad": ["stupid", "pathetic", "worthless", "dumb"],
    "gamer_insult": ["noob", "scrub", "bot", "hardstuck silver"],
    "map": ["Dust", "Inferno", "Haven", "Ascent"],
    "hero": ["Reyna", "Sage", "Jett", "Omen"],
}


def sentence(rng: random.Random, templates: list[str]) -> str:
    """One sentence from a random template, with a random tail so texts differ."""
    text = rng.choice(templates)
    for key, values in WORDS.items():
        while "{" + key + "}" in text:
            text = text.replace("{" + key + "}", rng.choice(values), 1)
    return f"{text} #{rng.randrange(10**6)}"


def write_base_csv(path: Path, seed: int = 1) -> Path:
    """A labeled CSV: 100+100 spam/ham rows and 300+300 toxic/civil rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(100):
        rows.append({"id": f"s{i}", "text": sentence(rng, SPAM), "spam": "1", "source": "fx_spam"})
        rows.append({"id": f"h{i}", "text": sentence(rng, HAM), "spam": "0", "source": "fx_spam"})
    for i in range(300):
        rows.append({"id": f"t{i}", "text": sentence(rng, TOXIC), "toxic": "1", "source": "fx_tox"})
        rows.append({"id": f"c{i}", "text": sentence(rng, CIVIL), "toxic": "0", "source": "fx_tox"})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "spam", "toxic", "source"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def site_comments(n: int, seed: int = 2) -> list[tuple[str, bool]]:
    """``n`` gaming-forum comments and whether each is toxic (half and half)."""
    rng = random.Random(seed)
    return [(sentence(rng, SITE_TOXIC if i % 2 else SITE_CIVIL), bool(i % 2)) for i in range(n)]


def base_like_comments(n: int, seed: int = 3) -> list[tuple[str, bool]]:
    """``n`` comments like the base toxicity source and whether each is toxic."""
    rng = random.Random(seed)
    return [(sentence(rng, TOXIC if i % 2 else CIVIL), bool(i % 2)) for i in range(n)]


def decide_through_api(
    client: FlaskClient, token: str, comments: list[tuple[str, bool]], *, flip: bool = False
) -> int:
    """Post each comment, then decide it as a moderator: reject toxic ones, approve the rest.

    ``flip`` makes the moderator decide every comment the wrong way. Returns the
    number of decisions made.
    """
    auth = {"Authorization": f"Bearer {token}"}
    decided = 0
    for number, (text, toxic) in enumerate(comments):
        posted = client.post(
            "/v1/comments",
            json={"name": f"player{number}", "email": f"p{number}@example.org", "text": text},
        )
        assert posted.status_code == 201, posted.get_json()
        body = posted.get_json()
        assert body["status"] == "pending", body
        reject = toxic != flip
        decision = {"decision": "reject", "reason": "toxic"} if reject else {"decision": "approve"}
        answer = client.post(f"/v1/queue/{body['id']}/decision", json=decision, headers=auth)
        assert answer.status_code == 200, answer.get_json()
        decided += 1
    return decided


def seeded_comment_ids(seed: int) -> Callable[..., str]:
    """Ids in place of ``new_comment_id``'s, the same on every run: a fixed clock that
    ticks a millisecond per id, and a seeded random part. A moderator label's id
    decides which side of the retrain's split it lands on, so a test that retrains
    from labels posted through the API must not depend on the time or the entropy."""
    rng = random.Random(seed)
    ticks = itertools.count(1_764_288_000_000)  # 2025-11-28, any fixed instant

    def make(_now_ms: int | None = None) -> str:
        return comment_id(next(ticks), rng.getrandbits(80))

    return make
