"""Cold and warm test predictions through the isolated worker vs the bare minimum and mlflow.

    python benchmarks/bench_predict.py [--rows 100000] [--trees 50] [--repeat 3] [--keep DIR]

Builds, in a temp dir: a 100,000-row CSV and a 50-tree RandomForestRegressor MLflow folder
(cloudpickle, with a signature, written by mlflow when it is installed). Then times, each in a
fresh process, in interleaved rounds:

* bare minimum: one process that reads the CSV, unpickles the model and predicts;
* ``mlmanager predict MODEL -i CSV -o OUT.json`` (the CLI: input validated, worker started,
  safety scan, restricted unpickling, .npy transfer, predictions written);
* mlmanager cold, in a script: ``WorkerClient.start_load`` + read CSV + ``predict``;
* mlmanager warm: repeated ``predict`` on the already loaded model (transfer included);
* ``mlflow models predict -m DIR -i CSV -t csv --env-manager local -o OUT`` (when installed).

Targets (issue): cold (CLI) <= 1.3x bare minimum and >= 2x faster than ``mlflow models
predict``; warm <= 0.5x bare minimum. Medians of the rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python benchmarks/bench_predict.py
    sys.path.insert(0, str(REPO))

from benchmarks.common import (  # noqa: E402
    PY,
    Row,
    Timing,
    clean_env,
    cpus,
    last_json,
    time_processes,
    walls,
)

COLD_X, WARM_X, VS_MLFLOW_X = 1.3, 0.5, 2.0


def build(workdir: Path, rows: int, trees: int) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(8)]
    frame = pd.DataFrame(rng.normal(size=(rows, len(cols))), columns=cols)
    target = frame["f0"] * 3 + np.sin(frame["f1"]) + rng.normal(scale=0.1, size=rows)
    csv = workdir / "input.csv"
    frame.to_csv(csv, index=False)
    train = frame.iloc[:20_000]
    model = RandomForestRegressor(n_estimators=trees, min_samples_leaf=3, random_state=0, n_jobs=1)
    model.fit(train, target.iloc[:20_000])
    folder = workdir / "forest"
    try:
        import logging

        import mlflow.sklearn
        from mlflow.models import infer_signature

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        signature = infer_signature(train.iloc[:100], model.predict(train.iloc[:100]))
        mlflow.sklearn.save_model(model, folder, serialization_format="cloudpickle",
                                  signature=signature)
    except ImportError:
        sys.path.insert(0, str(REPO / "tests" / "worker"))
        import cloudpickle
        import worker_builders

        worker_builders.write_model(folder, cloudpickle.dumps(model))
    return csv, folder


def scripts(csv: Path, folder: Path, cache: Path, warm_repeat: int) -> dict[str, str]:
    pkl = folder / "model.pkl"
    bare = (
        "import pickle, pandas as pd\n"
        f"df = pd.read_csv({str(csv)!r})\n"
        f"with open({str(pkl)!r}, 'rb') as fh:\n    model = pickle.load(fh)\n"
        "model.predict(df)\n"
    )
    cold = (
        "from mlmanager.predict.worker_client import WorkerClient\n"
        f"client = WorkerClient(cache_dir={str(cache)!r})\n"
        f"client.start_load({str(folder)!r})\n"
        "import pandas as pd\n"
        f"df = pd.read_csv({str(csv)!r})\n"
        "result = client.predict(df)\n"
        "assert len(result.predictions) == len(df)\n"
        "client.close()\n"
    )
    warm = (
        "import json, time\n"
        "from mlmanager.predict.worker_client import WorkerClient\n"
        "import pandas as pd\n"
        f"client = WorkerClient(cache_dir={str(cache)!r})\n"
        f"client.load({str(folder)!r})\n"
        f"df = pd.read_csv({str(csv)!r})\n"
        "client.predict(df)\n"
        "times, inside = [], []\n"
        f"for _ in range({warm_repeat}):\n"
        "    t = time.perf_counter(); r = client.predict(df); times.append(time.perf_counter() - t)\n"
        "    inside.append(r.predict_seconds)\n"
        "print(json.dumps({'warm': times, 'inside': inside}))\n"
        "client.close()\n"
    )
    return {"bare": bare, "cold_script": cold, "warm": warm}


def measure(rows: int, trees: int, repeat: int, workdir: Path | None = None, *,
            mlflow_runs: int | None = None, script_cold: bool = True) -> dict:
    """Build the data and model, time every method; returns per-method results."""
    keep = workdir is not None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="mlmanager-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = clean_env(PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        csv, folder = build(workdir, rows, trees)
        code = scripts(csv, folder, workdir / "allowlist-cache", max(repeat, 5))
        out_ours, out_mlflow = workdir / "ours.json", workdir / "mlflow.json"
        commands: dict[str, list[str]] = {
            "bare": [PY, "-c", code["bare"]],
            "cli": [PY, "-m", "mlmanager", "predict", str(folder), "-i", str(csv), "-o", str(out_ours)],
            "cold_script": [PY, "-c", code["cold_script"]],
            "warm": [PY, "-c", code["warm"]],
        }
        mlflow_cli = shutil.which("mlflow", path=str(Path(PY).parent))
        if mlflow_cli:
            commands["mlflow"] = [mlflow_cli, "models", "predict", "-m", str(folder), "-i", str(csv),
                                  "-t", "csv", "--env-manager", "local", "-o", str(out_mlflow)]
        runs = {"bare": repeat, "cli": repeat, "cold_script": repeat if script_cold else 0,
                "mlflow": repeat if mlflow_runs is None else mlflow_runs, "warm": 0}
        # untimed first runs: they build the allowlist caches (a one-off per environment)
        first = time_processes({k: commands[k] for k in ("cli", "cold_script")},
                               {"cli": 1, "cold_script": 1 if script_cold else 0},
                               env=env, cwd=REPO, warmup=0)
        got = time_processes(commands, runs, env=env, cwd=REPO, warmup=0, label="predict")
        warm = last_json(time_processes({"warm": commands["warm"]}, {"warm": 1}, env=env, cwd=REPO,
                                        warmup=0)["warm"][0].stdout)
        return {
            "rows": rows, "trees": trees, "csv_mb": csv.stat().st_size / 1e6,
            "model_mb": (folder / "model.pkl").stat().st_size / 1e6,
            "first_cli": first["cli"][0].wall, "runs": got, "warm": warm,
        }
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- suite adapter


#: data and model folders built by ``run`` in this process, by (rows, trees); job 7's Predict
#: tab measurement reuses them (same layout and data as bench_gui_predict.build). Removed at exit.
BUILT: dict[tuple[int, int], Path] = {}


def sizes(quick: bool) -> tuple[int, int]:
    return (20_000, 20) if quick else (100_000, 50)


def run(quick: bool = False) -> list[Row]:
    """Job 5: the CLI cold (whole process) vs mlflow models predict and the bare minimum;
    the warm worker vs the bare minimum."""
    import atexit

    n_rows, trees = sizes(quick)
    workdir = Path(tempfile.mkdtemp(prefix="mlmanager-bench-predict-"))
    atexit.register(shutil.rmtree, workdir, True)
    res = measure(n_rows, trees, 2 if quick else 3, workdir, mlflow_runs=1 if quick else 3,
                  script_cold=False)
    BUILT[(n_rows, trees)] = workdir
    got = res["runs"]
    case = f"{n_rows // 1000}k rows CSV, {trees} trees"
    cold = Row(job="5 predict", case=f"cold CLI, {case}", ours=walls(got["cli"]),
               theirs=walls(got.get("mlflow")), theirs_label="mlflow models predict",
               bound=walls(got["bare"]), bound_label="CSV+unpickle+predict",
               target=f"<= {COLD_X}x bare, >= {VS_MLFLOW_X:g}x faster than mlflow",
               note=f"first run ever (allowlist cache built) {res['first_cli']:.2f} s",
               extra={"cpu_s": {k: cpus(v) for k, v in got.items()},
                      "csv_mb": res["csv_mb"], "model_mb": res["model_mb"]})
    ok_bound = cold.bound_ratio is not None and cold.bound_ratio <= COLD_X
    ok_mlflow = cold.ratio is None or cold.ratio >= VS_MLFLOW_X
    cold.passed = ok_bound and ok_mlflow
    warm = Row(job="5 predict", case=f"warm worker, {case}", ours=Timing(res["warm"]["warm"]),
               bound=cold.bound, bound_label="CSV+unpickle+predict", target=f"<= {WARM_X}x bare",
               note=f"model.predict inside the worker {statistics.median(res['warm']['inside']):.2f} s",
               extra={"inside_s": res["warm"]["inside"]})
    warm.passed = warm.bound_ratio is not None and warm.bound_ratio <= WARM_X
    return [cold, warm]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    args = parser.parse_args()

    res = measure(args.rows, args.trees, args.repeat, args.keep)
    got = res["runs"]
    med = {k: statistics.median(r.wall for r in v) for k, v in got.items()}
    bare_t = med["bare"]
    print(f"data: {res['csv_mb']:.1f} MB CSV, {args.rows:,} rows; "
          f"model: {res['model_mb']:.1f} MB, {args.trees} trees")
    warm_t = statistics.median(res["warm"]["warm"])
    lines = [
        ("bare minimum (read CSV + unpickle + predict, one process)", bare_t),
        ("mlmanager predict CLI, cold (allowlist cached)", med["cli"]),
        ("mlmanager predict CLI, first run ever (allowlist built)", res["first_cli"]),
        ("mlmanager cold script (WorkerClient, allowlist cached)", med["cold_script"]),
        ("mlmanager warm (repeated predict, transfer included)", warm_t),
        ("  of which model.predict inside the worker", statistics.median(res["warm"]["inside"])),
    ]
    if "mlflow" in med:
        lines.append(("mlflow models predict --env-manager local", med["mlflow"]))
    width = max(len(r[0]) for r in lines)
    print(f"medians of {args.repeat} interleaved runs, {os.cpu_count()} CPUs")
    for label, seconds in lines:
        print(f"  {label:<{width}}  {seconds:7.2f} s  {seconds / bare_t:5.2f}x bare")
    print(f"targets: cold <= {COLD_X}x ({'ok' if med['cli'] <= COLD_X * bare_t else 'MISSED'}), "
          f"warm <= {WARM_X}x ({'ok' if warm_t <= WARM_X * bare_t else 'MISSED'})"
          + (f", >= {VS_MLFLOW_X:g}x faster than mlflow "
             f"({'ok' if med['mlflow'] >= VS_MLFLOW_X * med['cli'] else 'MISSED'})"
             if "mlflow" in med else ""))


if __name__ == "__main__":
    main()
