"""Request metrics keep a bounded set of label values."""

from __future__ import annotations

from flask import Flask

from service import metrics
from service.http.metrics import install_metrics


def test_invented_methods_share_one_label() -> None:
    app = Flask(__name__)
    install_metrics(app)
    client = app.test_client()
    before = len(metrics._children)
    for index in range(20):
        client.open("/nowhere", method=f"BREW{index}")
    metrics.flush()
    sample = metrics.REQUESTS.labels("unmatched", "other", 404)._value.get()
    assert sample >= 20
    assert len(metrics._children) - before <= 2  # one "other" child (and its latency)
