"""Adapting to a new site: does learning from ~500 moderator decisions lift a source the
public data never saw, and does the gate let that model through?

1. Hold one toxicity source out of the base data (``--hold-out``; folders of the
   shared datasets, e.g. a whole domain).
2. Train the base model on the rest ("before") and make it current.
3. Split the fed source's labeled rows (``--feed``) in two halves by a seeded shuffle:
   half A is fed through the real service, half B is only for measuring.
4. Serve modq under gunicorn (private redis-server, every comment held for review),
   POST half-A comments to /v1/comments and decide each with
   POST /v1/queue/<id>/decision as a moderator (approve if toxic=0, reject as
   toxic if 1), stopping at each step (``--steps``, default 100, 250, 500 decisions).
5. At each step run the real ``modq retrain --data <base>`` (gate and all) and
   measure the toxicity ROC-AUC on half B for the base model and the candidate.
   ``--method`` picks the retrain's method (``adapter``, the default, or ``joint``).
6. Optionally (``--weights``) refit joint candidates at the last step with other label
   weights (no promotion) to measure the weight: ROC-AUC on half B and on the
   moderator labels' own held-out share, and what the gate would say.

The base model depends only on the held-out sources: ``--base-model DIR`` reuses one
trained before (``experiments/adaptation_offline.py`` caches one per source).

Heavy: several full trainings. Run it nice'd, one BLAS thread::

    nice -n 10 .venv/bin/python experiments/adaptation.py --data ../shared/datasets \\
        --hold-out civil_comments_autolabel,toxic_spans_civil --feed civil_comments_autolabel

Results: a JSON file and a Markdown table under --out (default var/experiments/adaptation).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from sklearn.metrics import roc_auc_score

from classifier import load_model
from classifier.data import load_labeled
from classifier.model import Model
from classifier.paths import encoders_dir
from classifier.promotion import list_models, promote
from classifier.registry import current_version
from classifier.retraining import fit_candidate, gate, moderator_rows
from classifier.train import train
from service.runtime.redis_server import RedisServer, free_port
from service.settings import Settings
from service.store.decision_log import read_labels

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "experiment-moderator-token-0123"
HOLD_ALL = {
    "MODQ_SPAM_REVIEW": "0",
    "MODQ_SPAM_REJECT": "1",
    "MODQ_TOXICITY_REVIEW": "0",
    "MODQ_TOXICITY_REJECT": "1",
    # one client posts thousands of comments from 127.0.0.1: not a flood to refuse
    "MODQ_RATE_LIMIT": "off",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def base_folder(data: Path, hold_out: set[str], work: Path) -> Path:
    """A folder of links to every dataset but the held-out ones (same layout, same names)."""
    base = work / "base"
    base.mkdir(parents=True, exist_ok=True)
    for csv_path in sorted(data.glob("*/data.csv")):
        name = csv_path.parent.name
        if name in hold_out:
            continue
        (base / name).mkdir(exist_ok=True)
        link = base / name / "data.csv"
        if not link.exists():
            link.symlink_to(csv_path.resolve())
    return base


def feed_halves(
    path: Path, base_texts: set[str], seed: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Rows of the fed source with a toxic label, deduplicated and unseen by the base data,
    shuffled and cut in two: (fed half, measured half)."""
    seen: set[str] = set()
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = row["text"].strip()
            if row.get("toxic") not in ("0", "1") or not text or text in seen:
                continue
            if text in base_texts:
                continue
            seen.add(text)
            rows.append(row)
    # Whole groups go to one half: Stormfront's sentences of one forum post stay together.
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        key = row["id"].rsplit("_", 1)[0] if row.get("source") == "stormfront_hate" else row["id"]
        groups.setdefault(key, []).append(row)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    fed: list[dict[str, str]] = []
    measured: list[dict[str, str]] = []
    for key in order:
        (fed if len(fed) <= len(measured) else measured).extend(groups[key])
    random.Random(seed).shuffle(fed)  # a site's comments arrive mixed, not post by post
    return fed, measured


def toxicity_auc(model: Model, rows: list[dict[str, str]]) -> float:
    """ROC-AUC of the toxicity head on rows with a toxic label."""
    probs = model.predict_proba([{"text": r["text"]} for r in rows])["toxicity"]
    return float(roc_auc_score([int(r["toxic"]) for r in rows], probs))


class Service:
    """gunicorn serving modq (2 workers) against a private redis-server."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.redis = RedisServer(work / "redis")
        self.port = free_port()
        self.env = env
        self.work = work
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self.redis.start()
        self.env.update(
            {"MODQ_REDIS_URL": self.redis.url, "MODQ_PORT": str(self.port), "MODQ_WORKERS": "2"}
        )
        log_file = open(self.work / "gunicorn.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:service.runtime.gunicorn_config"],
            cwd=ROOT,
            env=self.env,
            stdout=log_file,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(600):
            try:
                if requests.get(self.url("/readyz"), timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready; see gunicorn.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
        self.redis.stop()


def feed(
    service: Service, rows: list[dict[str, str]], index: int, decided: int, target: int
) -> tuple[int, int, int]:
    """Post and decide rows from ``index`` on until ``target`` decisions;
    returns (next index, decisions so far, comments skipped)."""
    session = requests.Session()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    skipped = 0
    while decided < target and index < len(rows):
        row = rows[index]
        index += 1
        comment = {"name": f"reader{index}", "email": f"r{index}@example.org", "text": row["text"]}
        posted = session.post(service.url("/v1/comments"), json=comment, timeout=30)
        body = posted.json()
        if posted.status_code == 429:
            raise RuntimeError(f"rate-limited: {body}")
        if posted.status_code != 201 or body.get("status") != "pending":
            skipped += 1  # refused by a rule (too long, too many links): no decision to make
            continue
        toxic = row["toxic"] == "1"
        decision = {"decision": "reject", "reason": "toxic"} if toxic else {"decision": "approve"}
        answer = session.post(
            service.url(f"/v1/queue/{body['id']}/decision"), json=decision, headers=auth, timeout=30
        )
        answer.raise_for_status()
        decided += 1
    return index, decided, skipped


def feed_uncertain(
    service: Service, rows: list[dict[str, str]], posted: dict[str, dict[str, str]], target: int
) -> tuple[int, int]:
    """Like ``feed``, but every fed comment waits in the queue and the moderator claims the
    ones the model is least sure of first (``sort=uncertain``); returns (decisions, skipped)."""
    session = requests.Session()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    skipped = 0
    if not posted:
        for number, row in enumerate(rows):
            comment = {"name": f"r{number}", "email": f"r{number}@example.org", "text": row["text"]}
            body = session.post(service.url("/v1/comments"), json=comment, timeout=30).json()
            if body.get("status") == "pending":
                posted[body["id"]] = row
            else:
                skipped += 1
    decided = sum(1 for row in posted.values() if row.get("_decided"))
    while decided < target:
        claim = {"limit": min(100, target - decided), "sort": "uncertain"}
        items = session.post(
            service.url("/v1/queue/claim"), json=claim, headers=auth, timeout=60
        ).json()["items"]
        if not items:
            break
        for item in items:
            row = posted[item["id"]]
            reject = {"decision": "reject", "reason": "toxic"}
            decision = reject if row["toxic"] == "1" else {"decision": "approve"}
            url = service.url(f"/v1/queue/{item['id']}/decision")
            session.post(url, json=decision, headers=auth, timeout=30).raise_for_status()
            row["_decided"] = "1"
            decided += 1
    return decided, skipped


def run_retrain(env: dict[str, str], base: Path, method: str) -> tuple[str, str]:
    """The real `modq retrain`; (last line, full log)."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "modq"),
            "retrain",
            "--data",
            str(base),
            "--method",
            method,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1], done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument(
        "--hold-out", required=True, help="dataset folders to leave out, comma-separated"
    )
    parser.add_argument("--feed", required=True, help="the held-out folder whose rows are fed")
    parser.add_argument("--steps", default="100,250,500")
    parser.add_argument("--weight", type=float, default=None, help="label weight for the retrains")
    parser.add_argument("--weights", default="", help="label weights to compare at the last step")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--order",
        choices=("arrival", "uncertain"),
        default="arrival",
        help="decide comments as they arrive, or claim the least certain first",
    )
    parser.add_argument("--method", choices=("adapter", "joint"), default="adapter")
    parser.add_argument(
        "--encoder",
        choices=("static", "minilm", "none"),
        default=None,
        help="MODQ_ENCODER for the retrains (default: the setting's default)",
    )
    parser.add_argument("--base-model", type=Path, default=None, help="a trained base model")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "experiments" / "adaptation")
    args = parser.parse_args()

    hold_out = set(args.hold_out.split(","))
    work = args.out / f"{args.feed}-{args.seed}-{args.order}-{args.method}"
    work.mkdir(parents=True, exist_ok=True)
    models_dir = work / "models"
    if args.base_model is not None:
        models_dir.mkdir(exist_ok=True)
        link = models_dir / args.base_model.resolve().name
        if not link.exists():
            link.symlink_to(args.base_model.resolve(), target_is_directory=True)
    base = base_folder(args.data, hold_out, work)
    log(f"base data: {sorted(p.name for p in base.iterdir())}")
    base_rows, base_files = load_labeled([base])
    base_texts = {r.text.strip() for r in base_rows}
    fed_rows, measured = feed_halves(args.data / args.feed / "data.csv", base_texts, args.seed)
    log(
        f"{args.feed}: {len(fed_rows)} rows to feed, {len(measured)} to measure on "
        f"({sum(r['toxic'] == '1' for r in measured)} toxic)"
    )

    existing = [m for m in list_models(models_dir) if m.card.get("moderator_labels", 0) == 0]
    if existing:
        before_version = existing[0].version
        log(f"reusing base model {before_version}")
    else:
        started = time.perf_counter()
        before_version = train([base], models_dir, progress=log).version
        log(f"base model trained in {time.perf_counter() - started:.0f}s")
    promote(before_version, models_dir)
    before = load_model(models_dir / before_version)
    before_auc = toxicity_auc(before, measured)
    log(f"before: ROC-AUC {before_auc:.4f} on the measured half")

    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.update(
        {
            "MODQ_DATA_DIR": str(work / "var"),
            "MODQ_MODELS_DIR": str(models_dir),
            "MODQ_MODERATOR_TOKENS": f"experiment:{TOKEN}",
            "MODQ_HOST": "127.0.0.1",
            "MODQ_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            **HOLD_ALL,
        }
    )
    if args.weight is not None:
        env["MODQ_LABEL_WEIGHT"] = str(args.weight)
    if args.encoder is not None:
        env["MODQ_ENCODER"] = args.encoder
        # encoders built on this machine (make encoder-minilm) live under the data dir
        built = encoders_dir()
        if built.is_dir() and not (work / "var" / "encoders").exists():
            (work / "var").mkdir(parents=True, exist_ok=True)
            (work / "var" / "encoders").symlink_to(built.resolve())
    service = Service(work, env)
    service.start()
    results: dict[str, Any] = {
        "hold_out": sorted(hold_out),
        "feed": args.feed,
        "seed": args.seed,
        "order": args.order,
        "method": args.method,
        "encoder": args.encoder,
        "commit": _commit(),
        "fed_rows_available": len(fed_rows),
        "measured_rows": len(measured),
        "measured_toxic": sum(r["toxic"] == "1" for r in measured),
        "before": {"version": before_version, "roc_auc": round(before_auc, 4)},
        "steps": [],
    }
    try:
        index, decided, skipped = 0, 0, 0
        posted: dict[str, dict[str, str]] = {}
        for step in [int(s) for s in args.steps.split(",")]:
            if args.order == "uncertain":
                decided, more = feed_uncertain(service, fed_rows, posted, step)
            else:
                index, decided, more = feed(service, fed_rows, index, decided, step)
            skipped += more
            log(f"{decided} decisions made through the API ({skipped} comments not held)")
            started = time.perf_counter()
            line, retrain_log = run_retrain(env, base, args.method)
            seconds = time.perf_counter() - started
            newest = max(list_models(models_dir), key=lambda m: m.created_at)
            candidate = load_model(models_dir / newest.version)
            auc = toxicity_auc(candidate, measured)
            log(f"{line}\n  candidate ROC-AUC {auc:.4f} (before {before_auc:.4f}), {seconds:.0f}s")
            (work / f"retrain-{decided}.log").write_text(retrain_log + "\n" + line + "\n")
            results["steps"].append(
                {
                    "decisions": decided,
                    "candidate": newest.version,
                    "roc_auc": round(auc, 4),
                    "lift": round(auc - before_auc, 4),
                    "gate": line,
                    "current_after": current_version(models_dir),
                    "moderator_labels_on_card": candidate.card.get("moderator_labels"),
                    "retrain_seconds": round(seconds),
                }
            )
        if args.weights:
            results["weights"] = weight_sweep(
                args, service, models_dir, before, base_rows, base_files, measured
            )
    finally:
        service.stop()
    (work / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    log(json.dumps(results, indent=2))


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def weight_sweep(
    args: argparse.Namespace,
    service: Service,
    models_dir: Path,
    before: Model,
    base_rows: list[Any],
    base_files: list[Any],
    measured: list[dict[str, str]],
) -> list[dict[str, Any]]:
    """Refit at the last step with each label weight; no promotion."""
    import redis as redis_lib

    client = redis_lib.Redis.from_url(service.redis.url, decode_responses=True)
    labels = moderator_rows(read_labels(client))
    settings = Settings.from_env({"MODQ_RETRAIN_MARGIN": "0.01"})
    out = []
    for weight in [float(w) for w in args.weights.split(",")]:
        started = time.perf_counter()
        model, splits = fit_candidate(base_rows, base_files, labels, label_weight=weight)
        verdict = gate(model, before, splits.test, settings.retrain_margin)
        own = [s for s in verdict.sets if s.name == "moderator" and s.head == "toxicity"]
        entry = {
            "weight": weight,
            "roc_auc_measured_half": round(toxicity_auc(model, measured), 4),
            "roc_auc_moderator_heldout": round(own[0].candidate, 4) if own else None,
            "gate_vs_base": ("promote: " if verdict.promote else "keep: ") + verdict.reason,
            "worst_public_delta": round(
                min((s.delta for s in verdict.sets if s.name != "moderator"), default=0.0), 4
            ),
            "seconds": round(time.perf_counter() - started),
        }
        log(json.dumps(entry))
        out.append(entry)
    return out


if __name__ == "__main__":
    main()
