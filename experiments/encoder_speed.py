"""What each sentence encoder costs at run time: static vectors beside minilm (ONNX int8).

In the project's venv, after ``make encoder-minilm``:

    .venv/bin/python experiments/encoder_speed.py var/encoder-speed

1. Times each encoder alone on one thread (one process, as one gunicorn worker): one
   comment of about 128 word pieces and one of 250 characters (median and p99 of single
   calls), and comments/s in batches of 1,000; the RSS it adds and its load time, in a
   fresh process each.
2. Writes two adapted models, ``<out>/static`` and ``<out>/minilm``: the shipped default
   model adapted to the same 300 invented labels (both heads) with each encoder and
   ``grid=[(1.0, 2.0)]``, so both heads carry embedding weights. Serve or bench them with
   ``MODQ_MODEL=<out>/minilm .venv/bin/python -m bench classifier`` (or ``bench http``).

Every text is invented here; the load average is printed beside each number (the
machine is shared).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from classifier import load_model
from classifier.adaptation import adapt_model
from classifier.data import LabeledComment
from classifier.encoder import MINILM, STATIC, get_encoder
from classifier.model import save_model

COMMENT_250 = (
    "Thanks for the detailed write-up. I tried the second recipe last weekend and the "
    "dough came out far too sticky, so I added about 50 g more flour. Would you "
    "recommend resting it overnight instead? Also, the link to the oven guide is broken."
)
COMMENT_128 = (
    "I have lived on this street for twenty years and I have never seen the council move "
    "this slowly. The potholes outside the school were reported in March, the lights by "
    "the bus stop have been out since the summer, and every meeting ends with another "
    "promise of a survey. Meanwhile the new parking rules went through in a week. Whoever "
    "decides these priorities should come and walk to the school with the children one "
    "morning, in the dark, in the rain, and then tell us again. Nobody on the committee "
    "has answered a single letter from the parents since the spring, and the crossing "
    "guard was cut from the budget without a word to anyone who lives here."
)
SINGLE_SECONDS = 5.0

_CALM = [
    "the bus was late again this morning",
    "lovely photos of the harbour",
    "I disagree with the council's plan for the park",
    "thanks for the recipe, it worked well",
    "does anyone know when the library opens",
    "the match last night was a great game",
    "my garden tomatoes are finally ripe",
    "good article, the numbers on housing are useful",
]
_TOXIC = [
    "you are a worthless idiot",
    "people like you are vermin",
    "shut up, nobody cares about your stupid opinion",
    "go back to where you came from, parasite",
    "what a pathetic moron",
]
_SPAM = [
    "cheap loans approved instantly, click here",
    "buy followers now, 10k likes for five dollars",
    "visit my site for discount watches and pills",
    "earn money from home, message me on whatsapp",
]


def invented_labels(n: int = 300, seed: int = 3) -> list[LabeledComment]:
    """Comments of a site: calm, toxic or spam, each labeled on both heads."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = ("calm", "calm", "toxic", "spam")[i % 4]
        pool = {"calm": _CALM, "toxic": _TOXIC, "spam": _SPAM}[kind]
        text = f"{rng.choice(pool)}, {rng.choice(_CALM)} {i}"
        rows.append(
            LabeledComment(
                text=text,
                toxic=int(kind == "toxic"),
                spam=int(kind == "spam"),
                id=f"s{i}",
                source="moderator",
            )
        )
    return rows


def _single(fn: object) -> dict[str, float]:
    """Wall and CPU time of single calls (CPU time: robust to other processes)."""
    times, cpu = [], []
    end = time.perf_counter() + SINGLE_SECONDS
    while time.perf_counter() < end:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "calls": len(times),
    }


_PROBE = r"""
import json, sys, time, psutil
from classifier.encoder import get_encoder
proc = psutil.Process(); before = proc.memory_info().rss
t0 = time.perf_counter(); e = get_encoder(sys.argv[1]); e.encode(["warm up"])
print(json.dumps({"load_s": time.perf_counter() - t0,
                  "rss_mb": (proc.memory_info().rss - before) / 2**20}))
"""


def _load(name: str) -> dict[str, float]:
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _PROBE, name], capture_output=True, text=True, check=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(3)
    ]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in ("load_s", "rss_mb")}


def time_encoder(name: str) -> dict[str, object]:
    encoder = get_encoder(name)
    encoder.encode(["warm up"])
    batch = [  # 40 to 240 characters
        f"{random.Random(i).choice(_CALM + _TOXIC)} {COMMENT_250[: 20 + i % 200]}"
        for i in range(1000)
    ]
    result: dict[str, object] = {"name": name, "dim": encoder.dim}
    tokenizer = getattr(encoder, "tokenizer", None)
    for label, text in (("128_pieces", COMMENT_128), ("250_chars", COMMENT_250)):
        pieces = len(tokenizer.encode(text).ids) if tokenizer is not None else None
        result[label] = {"pieces": pieces, **_single(lambda t=text: encoder.encode([t]))}
        result[label]["load_avg_1m"] = round(os.getloadavg()[0], 2)  # type: ignore[index]
    rates, cpu_rates = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        encoder.encode(batch)
        rates.append(len(batch) / (time.perf_counter() - t0))
        cpu_rates.append(len(batch) / (time.process_time() - c0))
    result["batch_per_s"] = round(statistics.median(rates), 1)
    result["batch_per_cpu_s"] = round(statistics.median(cpu_rates), 1)
    result["batch_load_avg_1m"] = round(os.getloadavg()[0], 2)
    result.update(_load(name))
    return result


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "var/encoder-speed")
    out.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    timings = [time_encoder(name) for name in (STATIC, MINILM)]
    for t in timings:
        print(json.dumps(t))
    base = load_model()
    labels = invented_labels()
    for short, name in (("static", STATIC), ("minilm", MINILM)):
        t0 = time.perf_counter()
        model, adaptations = adapt_model(base, labels, encoder=name, grid=[(1.0, 2.0)])
        seconds = time.perf_counter() - t0
        heads = {h: adaptations[h].embedding is not None for h in adaptations}
        save_model(model, out / short)
        print(
            f"{short}: adapted in {seconds:.1f} s, embedding weights {heads}, saved {out / short}"
        )
    (out / "encoders.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
