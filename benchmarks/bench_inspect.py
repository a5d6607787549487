"""Job 2: `mlmanager inspect` of one model vs MLflow's `Model.load`, both in a fresh process.

Lower bound: a fresh Python that reads MLmodel with PyYAML's C loader and decodes the
signature JSON, nothing else.
"""

from __future__ import annotations

import argparse
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
    got = time_processes(commands, runs, env=clean_env(), cwd=REPO, label="inspect")
    row = Row(
        job="2 inspect",
        case="one model, process",
        ours=walls(got["ours"]),
        theirs=walls(got.get("mlflow")),
        theirs_label="Model.load",
        bound=walls(got["bound"]),
        bound_label="yaml C + json",
        target=">= 20x faster than Model.load",
        extra={"model": model},
    )
    row.passed = None if row.ratio is None else row.ratio >= 20
    return [row]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    rows = run(ap.parse_args().quick)
    print_table(rows)
    print("wrote", write_json("inspect", rows))


if __name__ == "__main__":
    main()
