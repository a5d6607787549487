"""Cold and warm test predictions through the isolated worker vs the bare minimum and mlflow.

    python benchmarks/bench_predict.py [--rows 100000] [--trees 50] [--repeat 3] [--keep DIR]

Builds, in a temp dir: a 100,000-row CSV and a 50-tree RandomForestRegressor MLflow folder
(cloudpickle, written by mlflow when it is installed). Then times, each in a fresh process:

* bare minimum: one process that reads the CSV, unpickles the model and predicts;
* mlmanager cold: a process that starts the worker (``start_load``), reads the CSV meanwhile,
  and predicts through the worker (scan, restricted unpickling and .npy transfer included);
* mlmanager warm: a repeated ``predict`` on the already loaded model (transfer included);
* ``mlflow models predict -m DIR -i CSV -t csv --env-manager local`` (when mlflow is installed).

Targets (issue): cold <= 1.3x bare minimum, warm <= 0.5x bare minimum. Best of N runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
        import mlflow.sklearn

        mlflow.sklearn.save_model(model, folder, serialization_format="cloudpickle")
    except ImportError:
        sys.path.insert(0, str(REPO / "tests" / "worker"))
        import cloudpickle
        import worker_builders

        worker_builders.write_model(folder, cloudpickle.dumps(model))
    return csv, folder


def run(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="mlmanager-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cache = workdir / "allowlist-cache"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    try:
        csv, folder = build(workdir, args.rows, args.trees)
        pkl = folder / "model.pkl"
        print(f"data: {csv.stat().st_size / 1e6:.1f} MB CSV, {args.rows:,} rows; "
              f"model: {pkl.stat().st_size / 1e6:.1f} MB, {args.trees} trees")

        bare = (
            "import pickle, pandas as pd\n"
            f"df = pd.read_csv({str(csv)!r})\n"
            f"with open({str(pkl)!r}, 'rb') as fh:\n    model = pickle.load(fh)\n"
            "model.predict(df)\n"
        )
        cold = (
            "from mlmanager.worker.client import WorkerClient\n"
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
            "from mlmanager.worker.client import WorkerClient\n"
            "import pandas as pd\n"
            f"client = WorkerClient(cache_dir={str(cache)!r})\n"
            f"client.load({str(folder)!r})\n"
            f"df = pd.read_csv({str(csv)!r})\n"
            "client.predict(df)\n"
            "times = []\n"
            f"for _ in range({max(args.repeat, 3)}):\n"
            "    t = time.perf_counter(); r = client.predict(df); times.append(time.perf_counter() - t)\n"
            "print(json.dumps({'warm': min(times), 'inside': r.predict_seconds}))\n"
            "client.close()\n"
        )
        first = run(cold, env)  # builds the allowlist cache (a one-off per environment)
        bare_runs, cold_runs = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            bare_runs.append(run(bare, env))
            cold_runs.append(run(cold, env))
        bare_t, cold_t = min(bare_runs), min(cold_runs)
        print(f"medians: bare {statistics.median(bare_runs):.2f} s, "
              f"cold {statistics.median(cold_runs):.2f} s")
        proc = subprocess.run([sys.executable, "-c", warm], env=env, capture_output=True, text=True,
                              check=True)
        warm_info = json.loads(proc.stdout.strip().splitlines()[-1])
        rows = [
            ("bare minimum (read CSV + unpickle + predict, one process)", bare_t),
            ("mlmanager cold (fresh worker, allowlist cached)", cold_t),
            ("mlmanager cold, first run ever (allowlist built)", first),
            ("mlmanager warm (repeated predict, transfer included)", warm_info["warm"]),
            ("  of which model.predict inside the worker", warm_info["inside"]),
        ]
        mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent))
        if mlflow_cli:
            out = workdir / "mlflow-out.json"
            cmd = [mlflow_cli, "models", "predict", "-m", str(folder), "-i", str(csv), "-t", "csv",
                   "--env-manager", "local", "-o", str(out)]
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                subprocess.run(cmd, env=env, capture_output=True, check=True)
                times.append(time.perf_counter() - started)
            rows.append(("mlflow models predict --env-manager local", min(times)))
        width = max(len(r[0]) for r in rows)
        print(f"best of {args.repeat} runs, {os.cpu_count()} CPUs")
        for label, seconds in rows:
            print(f"  {label:<{width}}  {seconds:7.2f} s  {seconds / bare_t:5.2f}x bare")
        print(f"targets: cold <= 1.3x ({'ok' if cold_t <= 1.3 * bare_t else 'MISSED'}), "
              f"warm <= 0.5x ({'ok' if warm_info['warm'] <= 0.5 * bare_t else 'MISSED'})")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
