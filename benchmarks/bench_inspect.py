"""Job 2: `mlmanager inspect` of one model vs MLflow's `Model.load`, both in a fresh process.

Lower bound: a fresh Python that reads MLmodel with PyYAML's C loader and decodes the
signature JSON, nothing else.
"""

from __future__ import annotations

import argparse

from benchmarks.common import (
    PY,
    REPO,
    SHARED_MODELS,
    Row,
    clean_env,
    have_mlflow,
    print_table,
    time_process,
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
    repeat = 5 if quick else 15
    model = str(SHARED_MODELS / "iris_logreg_colspec")
    if not (SHARED_MODELS / "iris_logreg_colspec").is_dir():
        model = str(REPO / "resources" / "demo" / "iris-classifier")
    env = clean_env()
    ours = time_process([PY, "-m", "mlmanager", "inspect", model, "--json"], repeat, env, cwd=REPO)
    bound = time_process([PY, "-c", BOUND.format(p=model)], repeat, env)
    theirs = time_process([PY, "-c", MLFLOW.format(p=model)], max(3, repeat // 3), env) if have_mlflow() else None
    return [
        Row(
            job="2 inspect one model (process)",
            case="iris_logreg_colspec",
            ours=ours,
            theirs=theirs,
            theirs_label="Model.load",
            bound=bound,
            bound_label="yaml C + json",
            target=">= 20x faster than Model.load",
        )
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    rows = run(ap.parse_args().quick)
    print_table(rows)
    print("wrote", write_json("inspect", rows))


if __name__ == "__main__":
    main()
