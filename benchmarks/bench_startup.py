"""Job 1: start-up to a window showing one model, settled, vs a bare PySide6 window.

Both run in a fresh process through ``benchmarks/gui_harness.py``. The app exits once the window
showing the model has settled, as ``--screenshot`` waits for (the model loaded and painted, no
background task left one event-loop turn later); the bare window exits at its first paint. The
time is the whole process, from the fork to the exit, measured by this process; the ratio of
the medians of interleaved runs is the figure (issue 16 item 7: <= 2.2x), with the CPU seconds
(user + system, steadier on a busy machine) beside it and the load average noted. The harness
also reports which heavy modules (pandas, numpy, sklearn, mlflow, requests, keyring, ...) were
imported by then: none should be.

``--instructions`` adds the instructions each side executes (valgrind's callgrind, one run each,
~30 s): steady on a busy machine, where the time ratios move by 5-10% (how the changes of
2026-12-06 were compared; see README).

    python -m benchmarks.bench_startup [--quick] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import statistics
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
    count_instructions,
    cpus,
    last_json,
    peaks,
    print_table,
    time_processes,
    walls,
    write_json,
)

TARGET_X = 2.2
HEAVY = ("pandas", "numpy", "sklearn", "scipy", "pyarrow", "mlflow", "requests", "keyring")


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


def run(quick: bool = False, instructions: bool = False) -> list[Row]:
    repeat = 3 if quick else 9
    model = model_path()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="mlmanager-bench-cfg-") as cfg:
        got = time_processes({"ours": harness("startup", model), "bare": harness("bare")},
                             {"ours": repeat, "bare": repeat}, env=gui_env(cfg), cwd=REPO,
                             label="start-up")
        counted = {}
        if instructions:
            print("  start-up: counting instructions (callgrind)", file=sys.stderr)
            counted = {name: count_instructions(cmd, env=gui_env(cfg), cwd=REPO) for name, cmd in
                       (("ours", harness("startup", model)), ("bare", harness("bare")))}
    load_after = os.getloadavg()[0]
    BARE["runs"] = got["bare"]
    ir_ratio = (counted["ours"] / counted["bare"]
                if counted.get("ours") and counted.get("bare") else None)
    reports = [last_json(r.stdout) for r in got["ours"]]
    heavy = sorted({m for rep in reports for m in rep.get("heavy_imported", []) if m in HEAVY})
    cpu_ours, cpu_bare = cpus(got["ours"]), cpus(got["bare"])
    cpu_ratio = statistics.median(cpu_ours) / statistics.median(cpu_bare)
    row = Row(
        job="1 start-up",
        case="1 model open, settled",
        ours=walls(got["ours"]),
        bound=walls(got["bare"]),
        bound_label="bare PySide6 window",
        target=f"<= {TARGET_X}x the bare window",
        note=(f"CPU {cpu_ratio:.2f}x the bare window's; load average {load_before:.1f} -> "
              f"{load_after:.1f}; "
              + ("no heavy module (" + "/".join(HEAVY) + ") imported" if not heavy
                 else f"IMPORTED: {', '.join(heavy)}")
              + (f"; instructions {ir_ratio:.2f}x the bare window's ({counted['ours'] / 1e6:,.0f}M "
                 f"vs {counted['bare'] / 1e6:,.0f}M)" if ir_ratio else "")),
        extra={
            "model": model,
            "heavy_imported_before_settled": heavy,
            "cpu_s": cpu_ours,
            "bare_cpu_s": cpu_bare,
            "cpu_ratio": round(cpu_ratio, 3),
            "instructions": counted or None,
            "instructions_ratio": round(ir_ratio, 3) if ir_ratio else None,
            "loadavg_1min": [load_before, load_after],
            "in_process_s": [rep.get("t_in_process") for rep in reports],
            "in_process_painted_s": [rep.get("t_painted") for rep in reports],
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
    ap.add_argument("--instructions", action="store_true",
                    help="also count each side's instructions with valgrind (one run each)")
    args = ap.parse_args(argv)
    rows = run(args.quick, args.instructions)
    print_table(rows)
    print("wrote", write_json("startup", rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
