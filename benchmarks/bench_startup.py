"""Job 1: start-up to a painted window with one model loaded, vs a bare PySide6 window.

Both run in a fresh process through ``benchmarks/gui_harness.py`` and exit at their first
paint (the app's: the first paint after the model is READY); the time is the whole process,
from the fork to the exit, measured by this process. The harness also reports which heavy
modules (pandas, numpy, sklearn, ...) had been imported by the first paint: none should be.

    python -m benchmarks.bench_startup [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    MODELS,
    PY,
    REPO,
    Row,
    clean_env,
    last_json,
    peaks,
    print_table,
    time_processes,
    walls,
    write_json,
)

TARGET_X = 2.5
HEAVY = ("pandas", "numpy", "sklearn")


def gui_env(config_dir: str) -> dict[str, str]:
    """Offscreen Qt, settings in a throw-away folder, the repo importable."""
    return clean_env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=config_dir,
                     PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def harness(*args: str) -> list[str]:
    return [PY, "-m", "benchmarks.gui_harness", *args]


def model_path() -> str:
    model = MODELS / "iris_logreg_colspec"
    return str(model if model.is_dir() else REPO / "resources" / "demo" / "iris-classifier")


#: the bare window's runs, kept for job 6 (its peak RSS is the memory lower bound)
BARE: dict[str, list] = {}


def run(quick: bool = False) -> list[Row]:
    repeat = 3 if quick else 9
    model = model_path()
    with tempfile.TemporaryDirectory(prefix="mlmanager-bench-cfg-") as cfg:
        got = time_processes({"ours": harness("startup", model), "bare": harness("bare")},
                             {"ours": repeat, "bare": repeat}, env=gui_env(cfg), cwd=REPO,
                             label="start-up")
    BARE["runs"] = got["bare"]
    reports = [last_json(r.stdout) for r in got["ours"]]
    heavy = sorted({m for rep in reports for m in rep.get("heavy_imported", []) if m in HEAVY})
    row = Row(
        job="1 start-up",
        case="painted, 1 model open",
        ours=walls(got["ours"]),
        bound=walls(got["bare"]),
        bound_label="bare PySide6 window",
        target=f"<= {TARGET_X}x the bare window",
        note=("pandas/numpy/sklearn not imported before first paint" if not heavy
              else f"IMPORTED before first paint: {', '.join(heavy)}"),
        extra={
            "model": model,
            "heavy_imported_before_paint": heavy,
            "in_process_s": [rep.get("t_in_process") for rep in reports],
            "bare_in_process_s": [last_json(r.stdout).get("t_in_process") for r in got["bare"]],
            "peak_rss_bytes": peaks(got["ours"]).samples,
            "qt_platform": "offscreen",
        },
    )
    row.passed = None if row.bound_ratio is None else (row.bound_ratio <= TARGET_X and not heavy)
    return [row]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    rows = run(ap.parse_args(argv).quick)
    print_table(rows)
    print("wrote", write_json("startup", rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
