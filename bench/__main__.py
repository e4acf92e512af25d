"""Run every benchmark section in order: ``python -m bench [SECTION ...]``.

Each section is a module ``bench.<name>`` with ``run(out_dir: Path) -> dict``;
it writes ``<out_dir>/<name>.json``. A section whose module is not there yet is
skipped with a note, so the classifier section runs before the HTTP one exists.
One BLAS/OpenMP thread per process, as the service runs: set before numpy loads.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import importlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

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
    target = out_dir()
    target.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in wanted:
        module_name = f"bench.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            print(f"== {name}: skipped (no {module_name} module yet)\n")
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
