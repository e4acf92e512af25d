"""Run every benchmark section in order: ``python -m bench [SECTION ...]``.

Each section is a module ``bench.<name>`` with ``run(out_dir: Path) -> dict``;
it writes ``<out_dir>/<name>.json``. A section whose module is not there yet is
skipped with a note, so the classifier section runs before the HTTP one exists.
A section's ``REQUIRES`` names the programs it runs (wrk, valgrind): every one is
checked before anything starts. SIGTERM and SIGHUP end the run like Ctrl-C, so
every server a section started is stopped on the way out.
One BLAS/OpenMP thread per process, as the service runs: set before numpy loads.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import importlib  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from types import FrameType, ModuleType  # noqa: E402

SECTIONS: tuple[str, ...] = ("classifier", "inprocess", "http")
# Known sections that run only when named: ``python -m bench instructions`` (minutes, valgrind).
ON_REQUEST: tuple[str, ...] = ("instructions",)


def out_dir() -> Path:
    """``$MODQ_DATA_DIR/bench`` (MODQ_DATA_DIR defaults to ``var``)."""
    return Path(os.environ.get("MODQ_DATA_DIR", "").strip() or "var") / "bench"


def main(argv: list[str]) -> int:
    """Run the named sections (default: all) and report which ran."""
    wanted = argv or list(SECTIONS)
    unknown = [s for s in wanted if s not in SECTIONS + ON_REQUEST]
    if unknown:
        known = ", ".join(SECTIONS + ON_REQUEST)
        print(f"unknown section(s): {', '.join(unknown)}; known: {known}")
        return 2
    modules = {name: _section_module(name) for name in wanted}
    missing = missing_programs(modules)
    if missing:
        for name, programs in missing.items():
            print(f"the {name} section needs {' and '.join(programs)}, not found on PATH")
        others = [name for name in wanted if name not in missing]
        print(
            "nothing was run. Install it (apt-get install "
            + " ".join(sorted({p for ps in missing.values() for p in ps}))
            + ")"
            + (f", or run the others: {_python()} -m bench {' '.join(others)}" if others else "")
        )
        return 2
    target = out_dir()
    target.mkdir(parents=True, exist_ok=True)
    failed = False
    with _signals_end_the_run():
        for name, module in modules.items():
            if module is None:
                print(f"== {name}: skipped (no bench.{name} module yet)\n")
                continue
            print(f"== {name}")
            started = time.perf_counter()
            try:
                module.run(target)
            except Exception as exc:  # one failing section must not hide the others' results
                failed = True
                print(f"== {name}: FAILED: {type(exc).__name__}: {exc}\n")
                continue
            print(f"== {name}: done in {time.perf_counter() - started:.1f} s\n")
    return 1 if failed else 0


def missing_programs(modules: dict[str, ModuleType | None]) -> dict[str, list[str]]:
    """Per section, the programs in its ``REQUIRES`` that are not on PATH."""
    missing: dict[str, list[str]] = {}
    for name, module in modules.items():
        needed = getattr(module, "REQUIRES", ())
        absent = [program for program in needed if shutil.which(program) is None]
        if absent:
            missing[name] = absent
    return missing


def _python() -> str:
    """This interpreter as a user would type it (``.venv/bin/python`` from the checkout)."""
    here = Path(sys.executable)
    try:
        return str(here.relative_to(Path.cwd()))
    except ValueError:
        return str(here)


def _section_module(name: str) -> ModuleType | None:
    module_name = f"bench.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None


@contextmanager
def _signals_end_the_run() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit, so every ``finally`` that stops a server runs."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, leave) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
