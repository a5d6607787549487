"""Job 2: `mlmanager inspect MODEL --json` in a fresh process, as a multiple of the floor.

The floor: a fresh Python that reads MLmodel with PyYAML's C loader and decodes the signature
JSON, nothing else (Python start + C YAML + json). The figure is the ratio of the medians of
interleaved runs (issue 16 item 7: <= 1.8x the floor), with the CPU seconds beside it and the
load average noted. MLflow's ``Model.load`` in a fresh process is measured too, for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_inspect.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    MODELS,
    PY,
    REPO,
    Row,
    clean_env,
    cpus,
    have_mlflow,
    print_table,
    time_processes,
    walls,
    write_json,
)

BOUND = (
    "import yaml, json\n"
    "d = yaml.load(open({p!r} + '/MLmodel').read(), Loader=yaml.CSafeLoader)\n"
    "s = d.get('signature') or {{}}\n"
    "[json.loads(v) for v in s.values() if v]\n"
)
MLFLOW = "from mlflow.models import Model\nModel.load({p!r})\n"
TARGET_X = 1.8


def run(quick: bool = False) -> list[Row]:
    """Job 2: the three processes in interleaved rounds (MLflow's, seconds long, fewer times)."""
    repeat = 5 if quick else 15
    model = str(MODELS / "iris_logreg_colspec")
    if not (MODELS / "iris_logreg_colspec").is_dir():
        model = str(REPO / "resources" / "demo" / "iris-classifier")
    commands = {
        "ours": [PY, "-m", "mlmanager", "inspect", model, "--json"],
        "bound": [PY, "-c", BOUND.format(p=model)],
        "mlflow": [PY, "-c", MLFLOW.format(p=model)],
    }
    runs = {"ours": repeat, "bound": repeat, "mlflow": (2 if quick else 5) if have_mlflow() else 0}
    load_before = os.getloadavg()[0]
    got = time_processes(commands, runs, env=clean_env(), cwd=REPO, label="inspect")
    load_after = os.getloadavg()[0]
    cpu_ours, cpu_bound = cpus(got["ours"]), cpus(got["bound"])
    cpu_ratio = statistics.median(cpu_ours) / statistics.median(cpu_bound)
    row = Row(
        job="2 inspect",
        case="one model, process",
        ours=walls(got["ours"]),
        theirs=walls(got.get("mlflow")),
        theirs_label="Model.load",
        bound=walls(got["bound"]),
        bound_label="yaml C + json",
        target=f"<= {TARGET_X}x the floor",
        note=f"CPU {cpu_ratio:.2f}x the floor's; load average {load_before:.1f} -> {load_after:.1f}",
        extra={"model": model, "cpu_s": cpu_ours, "bound_cpu_s": cpu_bound,
               "cpu_ratio": round(cpu_ratio, 3), "loadavg_1min": [load_before, load_after]},
    )
    row.passed = None if row.bound_ratio is None else row.bound_ratio <= TARGET_X
    return [row]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    rows = run(ap.parse_args().quick)
    print_table(rows)
    print("wrote", write_json("inspect", rows))


if __name__ == "__main__":
    main()
