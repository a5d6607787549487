"""Every full model folder of the corpus (``tests/corpus/mlflow-models``: MLflow 1.30, 2.22 and
3.17 models, with what MLflow predicted for each), predicted by mlmanager in this app's Python and
in the model's own environment, compared with MLflow's predictions.

    cd tests && python -m support.corpus_environments [--cache DIR] [--json]

Each model is copied to a temporary folder first (the corpus is never written). "own
environment" is what a user runs: ``mlmanager env build MODEL --yes --load --trust``, then
``mlmanager predict MODEL --env model --trust``; "app" is ``mlmanager predict MODEL --trust``.
The environments go to ``--cache`` (default: ``$MLMANAGER_ENV_CACHE``, else the user's), so a
second run reuses them. Exit 0 when every model predicts MLflow's predictions in its own
environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus_paths import MODELS

from .predictions import same_predictions

TIMEOUT_S = 1800


def corpus_models() -> list[tuple[str, Path, Path, Any]]:
    """(name, model folder, input file, MLflow's predictions) for every model with predictions."""
    out = []
    for expected in sorted(MODELS.glob("*.expected.json")):
        data = json.loads(expected.read_text())
        found = data.get("predictions")
        if not data.get("model_dir") or not isinstance(found, dict):
            continue
        out.append((data["name"], MODELS / data["model_dir"], MODELS / found["file"],
                    found.get("predictions")))
    return out


def _mlmanager(*args: str, env: dict[str, str]) -> tuple[int, Any, str]:
    done = subprocess.run([sys.executable, "-m", "mlmanager", *args], capture_output=True,
                          text=True, timeout=TIMEOUT_S, env=env, stdin=subprocess.DEVNULL)
    try:
        data = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        data = None
    last = next((ln for ln in reversed(done.stderr.splitlines()) if ln.strip()), "")
    return done.returncode, data, last


def _predicted(code: int, data: Any, why: str, expected: Any) -> dict[str, Any]:
    if code != 0 or not isinstance(data, dict):
        return {"predicted": False, "why": why[:300]}
    ran_by = data.get("ran_by") or {}
    return {"predicted": True, "as_mlflow": expected is not None and same_predictions(data.get("predictions"), expected),
            "python": ran_by.get("python"), "packages": ran_by.get("packages")}


def check(name: str, model: Path, inputs: Path, expected: Any, env: dict[str, str],
          work: Path) -> dict[str, Any]:
    folder = work / name
    shutil.copytree(model, folder)
    row: dict[str, Any] = {"model": name}
    started = time.monotonic()
    row["app"] = _predicted(*_mlmanager("predict", str(folder), "--input", str(inputs), "--trust",
                                        "--json", "--timeout", "600", env=env), expected)
    code, data, why = _mlmanager("env", "build", str(folder), "--yes", "--load", "--trust",
                                 "--quiet", "--json", env=env)
    if code != 0:
        row["own"] = {"predicted": False, "why": f"env build: {why[:300]}"}
    else:
        row["environment"] = {"name": data.get("name"), "strategy": data.get("strategy"),
                              "python": (data.get("load") or {}).get("python")}
        row["own"] = _predicted(*_mlmanager("predict", str(folder), "--input", str(inputs),
                                            "--env", "model", "--trust", "--json", "--timeout",
                                            "600", env=env), expected)
    row["seconds"] = round(time.monotonic() - started, 1)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.corpus_environments",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="the environments folder (MLMANAGER_ENV_CACHE)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("names", nargs="*", help="only these models")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.cache:
        env["MLMANAGER_ENV_CACHE"] = args.cache
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlmanager-corpus-envs-") as tmp:
        for name, model, inputs, expected in corpus_models():
            if args.names and name not in args.names:
                continue
            row = check(name, model, inputs, expected, env, Path(tmp))
            rows.append(row)
            if not args.json:
                print(_line(row), flush=True)
    own = sum(1 for r in rows if r["own"].get("as_mlflow"))
    app = sum(1 for r in rows if r["app"].get("as_mlflow"))
    summary = {"models": len(rows), "own_environment_as_mlflow": own, "app_as_mlflow": app,
               "own_loaded_and_predicted": sum(1 for r in rows if r["own"]["predicted"]),
               "app_loaded_and_predicted": sum(1 for r in rows if r["app"]["predicted"]),
               "loadavg": [round(x, 2) for x in (*load, *os.getloadavg())]}
    if args.json:
        print(json.dumps({"summary": summary, "models": rows}, indent=2))
    else:
        print(f"\n{len(rows)} models: MLflow's predictions in the model's own environment: {own}; "
              f"in this app's Python: {app} (load average {summary['loadavg'][:3]} -> "
              f"{summary['loadavg'][3:]})")
    return 0 if own == len(rows) else 1


def _line(row: dict[str, Any]) -> str:
    def side(s: dict[str, Any]) -> str:
        if not s["predicted"]:
            return f"FAILED ({s['why']})"
        return ("as MLflow" if s["as_mlflow"] else "DIFFERS from MLflow") + f", Python {s['python']}"

    return f"{row['model']:<34} own env: {side(row['own'])}; app: {side(row['app'])}  [{row['seconds']} s]"


if __name__ == "__main__":
    sys.exit(main())
