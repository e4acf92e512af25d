"""The HTML evaluation report: the metrics table plus ROC, precision-recall and
calibration plots (PNG, drawn with matplotlib's object API so no GUI backend or
global pyplot state is involved)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from classifier.evaluate import Confusion, HeadMetrics, Scored, calibration_curve, head_metrics

PLOT_KINDS: tuple[str, ...] = ("roc", "pr", "calibration")


@dataclass(frozen=True)
class Plot:
    """One PNG written for the report."""

    dataset: str
    head: str
    kind: str
    path: Path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "set"


def _draw(kind: str, group: Sequence[Scored], title: str, path: Path) -> None:
    fig = Figure(figsize=(4.2, 3.8), dpi=100)
    ax = fig.add_subplot()
    for s in group:
        y, p = s.y_true, s.scores
        if kind == "roc":
            fpr, tpr, _ = roc_curve(y, p)
            ax.plot(fpr, tpr, label=s.scorer)
        elif kind == "pr":
            precision, recall, _ = precision_recall_curve(y, p)
            ax.plot(recall, precision, label=s.scorer)
        else:
            mean_p, rate, _ = calibration_curve(y, p)
            ax.plot(mean_p, rate, marker="o", label=s.scorer)
    if kind == "roc":
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
    elif kind == "pr":
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
    else:
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="lower right" if kind != "pr" else "lower left")
    fig.tight_layout()
    fig.savefig(path, format="png")


def write_plots(scored: Sequence[Scored], out_dir: Path) -> list[Plot]:
    """Draw ROC, PR and calibration PNGs per (dataset, head), every scorer in one plot."""
    groups: dict[tuple[str, str], list[Scored]] = {}
    for s in scored:
        positives = int(np.sum(s.y_true))
        if 0 < positives < s.y_true.size:  # curves need both classes
            groups.setdefault((s.dataset, s.head), []).append(s)
    plots: list[Plot] = []
    for (dataset, head), group in groups.items():
        for kind in PLOT_KINDS:
            path = out_dir / f"{_slug(dataset)}-{head}-{kind}.png"
            _draw(kind, group, f"{dataset} · {head} · {kind}", path)
            plots.append(Plot(dataset, head, kind, path))
    return plots


def _cell(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.3f}"


def _table_html(rows: Sequence[HeadMetrics]) -> str:
    head = (
        "<tr><th>dataset</th><th>head</th><th>scorer</th><th>n</th><th>positives</th>"
        "<th>ROC-AUC</th><th>AP</th><th>ECE</th><th>threshold</th><th>precision</th>"
        "<th>recall</th><th>F1</th><th>TP</th><th>FP</th><th>TN</th><th>FN</th></tr>"
    )
    body = []
    for r in rows:
        ats: list[tuple[str, Confusion | None]] = list(r.at.items()) or [("", None)]
        for i, (name, c) in enumerate(ats):
            lead = (
                f"<td>{html.escape(r.dataset)}</td><td>{r.head}</td>"
                f"<td>{html.escape(r.scorer)}</td><td>{r.n}</td><td>{r.positives}</td>"
                f"<td>{_cell(r.roc_auc)}</td><td>{_cell(r.average_precision)}</td>"
                f"<td>{_cell(r.ece)}</td>"
                if i == 0
                else "<td colspan='8'></td>"
            )
            tail = (
                f"<td>{html.escape(name)} {c.threshold:.2f}</td><td>{_cell(c.precision)}</td>"
                f"<td>{_cell(c.recall)}</td><td>{_cell(c.f1)}</td><td>{c.tp}</td>"
                f"<td>{c.fp}</td><td>{c.tn}</td><td>{c.fn}</td>"
                if c is not None
                else "<td colspan='8'></td>"
            )
            body.append(f"<tr>{lead}{tail}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; margin-bottom: 2rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
figure { display: inline-block; margin: 0 1rem 1rem 0; }
.note { background: #f5f5f5; padding: 0.5rem 1rem; border-left: 4px solid #888; }
"""


def write_report(
    scored: Sequence[Scored],
    out_dir: Path,
    *,
    title: str = "modq evaluation",
    notes: Sequence[str] = (),
) -> Path:
    """Write ``out_dir/report.html`` and its PNG plots; return the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [head_metrics(s) for s in scored]
    plots = write_plots(scored, out_dir)
    sections = []
    seen: list[tuple[str, str]] = []
    for p in plots:
        if (p.dataset, p.head) not in seen:
            seen.append((p.dataset, p.head))
    for dataset, head in seen:
        figures = "".join(
            f"<figure><img src='{html.escape(p.path.name)}' alt='{p.kind} curve'>"
            f"<figcaption>{p.kind}</figcaption></figure>"
            for p in plots
            if (p.dataset, p.head) == (dataset, head)
        )
        sections.append(f"<h3>{html.escape(dataset)} — {head}</h3>{figures}")
    note_html = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Generated {generated}.</p>{note_html}"
        f"<h2>Metrics</h2>{_table_html(rows)}<h2>Plots</h2>{''.join(sections)}"
        "</body></html>"
    )
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
