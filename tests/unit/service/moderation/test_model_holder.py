"""The model holder loads the model ready to serve: nothing left to build on first use."""

from __future__ import annotations

import subprocess
import sys


def test_a_loaded_model_has_built_what_scoring_builds_on_first_use() -> None:
    # A fresh interpreter: in this one another test may have scored already.
    probe = (
        "from classifier import features\n"
        "from service.moderation.model_holder import ModelHolder\n"
        "assert features._DISPOSABLE is None\n"
        "ModelHolder.load()\n"
        "assert features._DISPOSABLE, 'the disposable-domain list was not loaded'\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
