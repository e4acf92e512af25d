"""MODEL_CARD.md: the human-readable card written next to card.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Licenses as stated by each source (../shared/datasets/README.md).
DATASET_LICENSES = {
    "youtube_spam": "CC BY 4.0 (UCI listing); the authors ask for a citation",
    "sms_spam": "free use with copyright, no-warranty and liability clauses; CC BY 4.0 on UCI",
    "davidson_hate_offensive": "MIT",
    "olid": (
        "none stated (SemEval task data; research use with citation, "
        "clearance before commercial use)"
    ),
    "stormfront_hate": "CC BY-SA 3.0 ES (share-alike)",
    "toxic_spans_civil": "CC0 1.0",
    "jigsaw_toxic_sample": "labels CC0, text CC BY-SA 3.0; repository Apache-2.0",
    "civil_comments_autolabel": "CC0 (Civil Comments); repository MIT",
    "wiki_talk_context": "Apache-2.0; text CC BY-SA 3.0 (Wikipedia)",
    "wiki_toxicity_identity_test": "data CC BY 4.0; text CC BY-SA 3.0 (Wikipedia)",
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "–" if value is None else str(value)


def _metrics_table(per_split: Mapping[str, Mapping[str, Any]]) -> list[str]:
    columns = [
        "rows", "positives", "roc_auc", "average_precision", "ece",
        "recall_at_review", "fpr_at_review", "precision_at_reject", "fpr_at_reject",
    ]  # fmt: skip
    lines = ["| split | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for split, values in per_split.items():
        shown = dict(values)
        if not shown.get("positives"):  # precision means nothing without positives
            shown.pop("precision_at_reject", None)
        lines.append(f"| {split} | " + " | ".join(_fmt(shown.get(c)) for c in columns) + " |")
    return lines


def _group_weights_note(card: Mapping[str, Any]) -> str:
    weights = card.get("recipe", {}).get("group_weights") or {}
    if not weights:
        return ""
    listed = ", ".join(f"{name} x{factor:g}" for name, factor in sorted(weights.items()))
    return f" Total weight multipliers per source: {listed}."


def _naive_bayes_note(card: Mapping[str, Any]) -> str:
    powers = {h: p for h, p in (card.get("recipe", {}).get("nb_power") or {}).items() if p}
    if not powers:
        return ""
    listed = ", ".join(f"{head} {power:g}" for head, power in sorted(powers.items()))
    return (
        " Before fitting, each n-gram column was scaled by its naive-Bayes log-count ratio "
        f"to a power ({listed}; Wang and Manning 2012), folded into the coefficients."
    )


_POOLED = {"spam": "all_spam_labeled", "toxicity": "all"}
# a source with fewer benign test rows gives no share worth printing
REVIEW_LOAD_MIN_BENIGN = 50


def _review_load(card: Mapping[str, Any]) -> list[str]:
    """Per head: the share of benign comments the review band holds and of harmful ones
    it catches (test split; an adapted model also on the site's own labels)."""
    test = card.get("metrics", {}).get("test", {})
    site = (card.get("adapter") or {}).get("heads", {})
    rows = []
    for head in ("spam", "toxicity"):
        pooled = test.get(head, {}).get(_POOLED[head], {})
        if pooled:
            rows.append(
                f"| {head} | test split, pooled | {_fmt(pooled.get('fpr_at_review'))} "
                f"| {_fmt(pooled.get('recall_at_review'))} |"
            )
        # each source apart: the pooled share hides that a news site's benign comments
        # are held far more often than a forum's
        for dataset, values in sorted(test.get(head, {}).items()):
            benign = int(values.get("rows", 0)) - int(values.get("positives", 0))
            if dataset == _POOLED[head] or benign < REVIEW_LOAD_MIN_BENIGN:
                continue
            rows.append(
                f"| {head} | test split, {dataset} | {_fmt(values.get('fpr_at_review'))} "
                f"| {_fmt(values.get('recall_at_review') if values.get('positives') else None)} |"
            )
        load = site.get(head, {}).get("review_load")
        if load:
            rows.append(
                f"| {head} | site labels, cross-fitted | {_fmt(load.get('benign_held'))} "
                f"| {_fmt(load.get('harmful_caught'))} |"
            )
    if not rows:
        return []
    budget = (card.get("recipe") or {}).get("review_budget")
    budget = (card.get("adapter") or {}).get("review_budget", budget)
    rule = (
        f"`review` was derived from a review budget of {budget:g} (the share of benign "
        "comments held)."
        if budget is not None
        else "Set `MODQ_REVIEW_BUDGET` (e.g. 0.05) to derive `review` from the share of "
        "benign comments a moderator can read instead."
    )
    return [
        "## Review load",
        "",
        "| head | rows | benign held for review | harmful caught (p ≥ review) |",
        "|---|---|---:|---:|",
        *rows,
        "",
        rule,
        "",
    ]


def _adapter_section(card: Mapping[str, Any]) -> list[str]:
    adapter = card.get("adapter")
    if not adapter:
        return []
    encoder = adapter.get("encoder")
    reads = (
        f"site weights on hashed n-grams and on the sentence vectors of `{encoder['name']}` "
        f"({encoder['dimensions']} dimensions, static word-piece vectors distilled from "
        "all-MiniLM-L6-v2, Apache-2.0)"
        if encoder
        else "site weights on hashed n-grams"
    )
    lines = [
        "## Site adapter",
        "",
        f"Adapted from base model {adapter.get('base_version', '?')} to "
        f"{card.get('moderator_labels', 0)} site labels: {reads}, with the anchors and the "
        "gate of `modq retrain`.",
        "",
    ]
    sources = adapter.get("label_sources")
    if sources:
        lines += [
            "Site labels by source (kept apart from the public data): "
            + ", ".join(f"{name} {count}" for name, count in sorted(sources.items())),
            "",
        ]
    return lines


def render_model_card(card: Mapping[str, Any]) -> str:
    """The MODEL_CARD.md text for a card.json dictionary."""
    lines = [
        f"# modq model {card.get('version', '?')}",
        "",
        f"Created {card.get('created_at', '?')}. Two heads, **spam** and **toxicity**, each a "
        "logistic regression on hashed word and character n-grams of the normalized text, "
        "comment-form metadata and two word-list counts (profanity from the `better-profanity` "
        "list, MIT; insults written for modq), with probabilities calibrated on validation "
        "rows (spam: out-of-fold over whole YouTube videos; toxicity: the validation split)."
        + _naive_bayes_note(card),
        "",
        "## Intended use",
        "",
        "Pre-moderation of comments on a website (news, blog, forum): approve clear cases, send "
        "uncertain ones to a human review queue, auto-reject only above the `reject` threshold. "
        "Scores are probabilities; every score comes with reasons and highlighted spans.",
        "",
        "## Out of scope",
        "",
        "- Decisions about people (bans, legal or employment decisions) without a human.",
        "- Languages other than English; the training data is English only.",
        "- Detecting misinformation, harassment campaigns or threats that use polite words.",
        "",
        "## Data and licenses",
        "",
        "| dataset | file rows | license (as stated by the source) | sha256 |",
        "|---|---:|---|---|",
    ]
    for item in card.get("data", []):
        dataset = item.get("dataset", "?")
        license_text = DATASET_LICENSES.get(dataset, "see the data source")
        digest = str(item.get("sha256", ""))[:12]
        lines.append(f"| {dataset} | {item.get('rows', '?')} | {license_text} | `{digest}…` |")
    lines += ["", f"Moderator labels in training: {card.get('moderator_labels', 0)}.", ""]
    splits = card.get("splits")
    if splits:
        lines += ["Rows per split after de-duplication (datasets by split):", ""]
        for split, counts in splits.items():
            lines.append(f"- {split}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        lines.append("")
    videos = card.get("heldout_youtube_videos")
    if videos:
        lines += [f"Held-out YouTube videos (test): {', '.join(videos)}.", ""]
    lines += ["## Thresholds", "", "| head | review | reject |", "|---|---:|---:|"]
    for head, values in card.get("thresholds", {}).items():
        lines.append(f"| {head} | {_fmt(values.get('review'))} | {_fmt(values.get('reject'))} |")
    lines += [
        "",
        "`review`: the band p ≥ review holds ≥ 95 % of the validation positives (toxicity: "
        "the validation rows as they come; spam: weighted by source); `reject`: precision "
        "≥ 0.98 among validation comments with p ≥ reject, with the training weights "
        "(toxicity: sources equal, classes balanced in each; spam: YouTube 1, SMS 0.5, "
        "conversation 0.5), and for spam at most 0.5 % of ordinary conversation above it."
        + _group_weights_note(card),
        "",
        *_review_load(card),
        *_adapter_section(card),
        "## Metrics (held-out test split)",
        "",
    ]
    for head, per_split in card.get("metrics", {}).get("test", {}).items():
        lines += [f"### {head}", "", *_metrics_table(per_split), ""]
    lines += [
        "## Known limits and bias",
        "",
        "- Spam was learned from YouTube comments and SMS; spam on other sites looks different. "
        "There is no pharmacy or web-shop spam in the data: 'free viagra' (and its leetspeak "
        "'FR33 v1agra', which normalizes to it) scores far below the spam reject threshold "
        "unless it carries a link.",
        "- The toxicity sources label different things (offensive tweets, hate on a forum, "
        "personal attacks on Wikipedia, news-site toxicity); a site's own notion will differ. "
        "Retrain with moderator labels (`make retrain`).",
        "- Calibration: toxicity probabilities are calibrated on the pooled validation mix "
        "(45 % toxic). Each source has its own base rate (1.5 % toxic on Wikipedia talk, "
        "84 % in Davidson et al.), so per-source ECE is much larger than the pooled one; "
        "a site's own rate needs its own calibration (retrain with moderator labels).",
        "- Cross-source: a site is always a source the model has not seen. Measured "
        "leave-one-source-out ROC-AUC is lower than the in-source numbers above (see "
        "experiments/FINDINGS.md), lowest on OLID's broad 'offensive' label and on "
        "Stormfront's 'hate' label.",
        "- The word lists count listed words whatever the context: quoting or discussing a "
        "slur raises the score.",
        "- Identity terms (e.g. gay, muslim, black) appear more often in toxic training rows "
        "than in ordinary comments, so comments that merely mention them can score higher; "
        "check wiki_toxicity_identity_test in the metrics.",
        "- Dialect: tweets in African-American English are over-represented among the offensive "
        "rows of Davidson et al.; such comments may be flagged more often.",
        "- The e-mail and website fields are absent from all public data: their weights are "
        "zero until moderator labels teach them; the reasons still name a disposable address.",
        "",
    ]
    return "\n".join(lines)
