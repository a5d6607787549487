"""Job 9: model environments. A first build of a scikit-learn model's environment and its first
prediction, vs MLflow's ``mlflow models predict --env-manager uv`` on the same model; and a warm
(cached) environment's predictions vs the app's own Python.

    python benchmarks/bench_env.py [--quick] [--json]

First build + first prediction ("first use"), each round in a fresh environment folder, both tools
sharing uv's package cache (warm after the untimed first round: what a user with the packages
already downloaded sees; a cold package cache measures the network instead):

* mlmanager: ``mlmanager env build MODEL --yes`` (dated resolution, wheels only) then
  ``mlmanager predict MODEL --env model --trust``, two processes;
* MLflow: ``mlflow models predict -m MODEL --env-manager uv`` in a fresh ``MLFLOW_ENV_ROOT``.
  MLflow's uv manager asks uv for the exact Python patch of ``python_env.yaml`` and cannot
  download one here, so that interpreter's folder is put first on its PATH (without it, it fails).

The model is saved by this app's MLflow (``serialization_format="pickle"``), so that MLflow's
"requirements as written" can build it at all. The test factory's scikit-learn 1.3 / MLflow 2.9
model (``tests/support``, when its cache is built) is tried too: MLflow's manager fails on it
(``No module named 'pkg_resources'``: today's setuptools under MLflow 2.9), mlmanager's does not.

Warm: :mod:`benchmarks.bench_env_predict` (a cached environment of another interpreter vs the
app's Python, same pickle). Targets (issue 14): a cached environment predicts within 1.2x of the
app's own Python; a first build no slower than MLflow's uv manager.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO))

from benchmarks import bench_env_predict  # noqa: E402
from benchmarks.common import DATA, ProcResult, Row, Timing, clean_env, run_process  # noqa: E402

JOB = "9 environments"
FIRST_TARGET = "first build + prediction no slower than mlflow --env-manager uv"
WARM_TARGET = f"<= {bench_env_predict.TARGET_X}x the app's Python"
SAVE_MODEL = r'''
import json, sys
import numpy as np, pandas as pd, mlflow.sklearn
from sklearn.ensemble import RandomForestRegressor
out = sys.argv[1]
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(2000, 8)), columns=[f"f{i}" for i in range(8)])
y = X["f0"] * 3 + np.sin(X["f1"]) + rng.normal(scale=0.1, size=2000)
model = RandomForestRegressor(n_estimators=20, min_samples_leaf=3, random_state=0).fit(X, y)
mlflow.sklearn.save_model(model, out + "/model", serialization_format="pickle")
with open(out + "/input.json", "w") as fh:
    json.dump({"dataframe_split": json.loads(X.head(500).to_json(orient="split", index=False))}, fh)
'''


def app_model() -> tuple[Path, Path]:
    """A scikit-learn model saved by this app's MLflow (made once into benchmarks/_data)."""
    from importlib.metadata import version

    folder = DATA / f"env-model-mlflow{version('mlflow')}-sklearn{version('scikit-learn')}"
    if not (folder / "input.json").exists():
        tmp = Path(tempfile.mkdtemp(prefix=".env-model-", dir=DATA if DATA.exists() else None))
        run_process([sys.executable, "-c", SAVE_MODEL, str(tmp)], timeout=600)
        DATA.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder / "model", folder / "input.json"


def factory_model() -> tuple[Path, Path] | None:
    """The test factory's sklearn13-py310 model, when its cache has it (not built from here)."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from support.build_cache import cache_root
    except ImportError:
        return None
    found = sorted((cache_root() / "models").glob("sklearn13-py310-*/model/MLmodel"))
    if not found:
        return None
    entry = found[-1].parent.parent
    return entry / "model", entry / "input.json"


def _exact_python_dir(model: Path) -> str | None:
    """The bin folder of this machine's interpreter of the model's exact Python version."""
    from mlmanager.core.environments.interpreters import find_interpreters

    wanted = None
    for line in (model / "python_env.yaml").read_text().splitlines():
        if line.startswith("python:"):
            wanted = line.split(":", 1)[1].strip()
    for interpreter in find_interpreters():
        if interpreter.version == wanted:
            return str(Path(interpreter.executable).parent)
    return None


def ours(model: Path, inputs: Path, cache: Path) -> tuple[ProcResult, ProcResult]:
    env = clean_env(MLMANAGER_ENV_CACHE=str(cache))
    built = run_process([sys.executable, "-m", "mlmanager", "env", "build", str(model), "--yes",
                         "--quiet"], env=env, timeout=1800)
    predicted = run_process([sys.executable, "-m", "mlmanager", "predict", str(model), "--input",
                             str(inputs), "--env", "model", "--trust", "--timeout", "600"],
                            env=env, timeout=900)
    return built, predicted


def theirs(model: Path, inputs: Path, root: Path, python_dir: str | None) -> ProcResult:
    path = os.pathsep.join(p for p in (python_dir, str(Path(sys.executable).parent),
                                       os.environ.get("PATH", "")) if p)
    root.mkdir(parents=True, exist_ok=True)
    env = clean_env(MLFLOW_ENV_ROOT=str(root / "envs"), PATH=path)
    return run_process([sys.executable, "-m", "mlflow", "models", "predict", "-m", str(model),
                        "-i", str(inputs), "-t", "json", "--env-manager", "uv",
                        "-o", str(root / "out.json")], env=env, timeout=1800, check=False)


def first_use(model: Path, inputs: Path, rounds: int, label: str) -> list[Row]:
    python_dir = _exact_python_dir(model)
    ours_t, build_t, theirs_t = Timing(), Timing(), Timing()
    failure = ""
    work = Path(tempfile.mkdtemp(prefix="mlmanager-bench-env-"))
    try:
        for i in range(rounds + 1):  # round 0 warms uv's package cache for both (not counted)
            for side in (("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")):
                folder = work / f"{side}-{i}"
                if side == "ours":
                    built, predicted = ours(model, inputs, folder)
                    if i:
                        ours_t.samples.append(built.wall + predicted.wall)
                        build_t.samples.append(built.wall)
                else:
                    result = theirs(model, inputs, folder, python_dir)
                    if result.returncode != 0:
                        failure = _mlflow_failure(result)
                    elif i:
                        theirs_t.samples.append(result.wall)
                shutil.rmtree(folder, ignore_errors=True)
            if failure:
                break  # MLflow cannot do it: one try says so
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failure and not ours_t.samples:  # measure ours alone
        for i in range(rounds):
            built, predicted = ours(model, inputs, work / f"ours-{i}")
            ours_t.samples.append(built.wall + predicted.wall)
            build_t.samples.append(built.wall)
            shutil.rmtree(work / f"ours-{i}", ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    note = (f"env build {build_t}; exact Python from {python_dir} put on MLflow's PATH"
            if not failure else f"mlflow --env-manager uv FAILED: {failure}")
    passed = None if failure else ours_t.median <= theirs_t.median  # nothing to compare with
    return [Row(job=JOB, case=f"first build + prediction, {label}", ours=ours_t,
                theirs=None if failure else theirs_t, theirs_label="mlflow --env-manager uv",
                target=FIRST_TARGET, note=note, passed=passed,
                extra={"build_seconds": build_t.samples, "mlflow_failure": failure})]


def _mlflow_failure(result: ProcResult) -> str:
    lines = [ln.strip() for ln in (result.stdout + "\n" + result.stderr).splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("ModuleNotFoundError", "ImportError", "ValueError", "TypeError")):
            return ln[:200]
    return (lines[-1] if lines else f"exit code {result.returncode}")[:200]


def warm_rows(quick: bool) -> list[Row]:
    result = bench_env_predict.measure(rows=20_000 if quick else 100_000, trees=20 if quick else 50,
                                       repeat=3 if quick else 5)
    rows = []
    for kind, case in (("cold", "new session (worker start, load, predict)"),
                       ("warm", "loaded session, one more prediction")):
        env = Timing(result["samples"][f"{kind}_env"])
        app = Timing(result["samples"][f"{kind}_app"])
        ratio = env.median / app.median
        rows.append(Row(job=JOB, case=f"cached env vs app's Python, {case}, {result['rows']:,} rows",
                        ours=env, theirs=app, theirs_label="the app's own Python",
                        target=WARM_TARGET, note=f"env/app {ratio:.2f}x; env: {result['ran_by']['env']}",
                        passed=ratio <= bench_env_predict.TARGET_X, extra={"ratio": ratio}))
    return rows


def run(quick: bool) -> list[Row]:
    rounds = 1 if quick else 3
    model, inputs = app_model()
    rows = first_use(model, inputs, rounds, "a model saved by this app's MLflow")
    old = factory_model()
    if old is not None:
        rows += first_use(*old, 1, "scikit-learn 1.3 / MLflow 2.9 / Python 3.10 (test factory)")
    return rows + warm_rows(quick)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import format_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()]
    rows = run(args.quick)
    load_after = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps({"loadavg": [load, load_after], "rows": [r.to_json() for r in rows]}, indent=2))
    else:
        print(f"load average {load} -> {load_after}")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
