"""Cold and warm predictions in the app's own Python vs in a cached model environment.

    python benchmarks/bench_env_predict.py [--rows 20000] [--trees 50] [--repeat 5]

Builds (once, cached in ~/.cache/mlmanager-bench/) a uv environment of another interpreter
than the app's holding the app's own numpy / pandas / scipy / scikit-learn versions, so that
the same pickle loads in both and only *where* the worker runs differs (the worker's zip, the
other interpreter, its site-packages). Then, in interleaved rounds, through
:class:`mlmanager.predict.session.PredictionSession`:

* cold: a new session (worker start, imports, scan, restricted unpickling, predict, transfer);
* warm: one more prediction on the session already loaded.

Target (issue 14): a cached environment predicts within 1.2x of the app's own Python.
Medians of the rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO))

TARGET_X = 1.2
CACHE = Path.home() / ".cache" / "mlmanager-bench"
PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "joblib", "threadpoolctl")


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else (shutil.which("uv") or "uv")


def _pyenv_python(minor: str) -> str | None:
    found = sorted(Path("/root/.pyenv/versions").glob(f"{minor}.*/bin/python"))
    return str(found[-1]) if found else None


def build_env(base_python: str) -> Path:
    """An environment of ``base_python`` with the app's exact versions of PACKAGES."""
    from mlmanager.worker.versions import package_version

    pins = [f"{name}=={package_version(name)}" for name in PACKAGES if package_version(name)]
    key = "-".join([Path(base_python).parent.parent.name, *[p.replace("==", "") for p in pins]])
    target = CACHE / "envs" / key
    python = target / "bin" / "python"
    if python.exists():
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".env-", dir=CACHE))
    subprocess.run([_uv(), "venv", "-q", "--relocatable", "--python", base_python, str(tmp / "env")], check=True)
    subprocess.run([_uv(), "pip", "install", "-q", "--python", str(tmp / "env" / "bin" / "python"),
                    "--only-binary", ":all:", *pins], check=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    (tmp / "env").rename(target)
    shutil.rmtree(tmp, ignore_errors=True)
    return python


def build_model(workdir: Path, rows: int, trees: int) -> tuple[Path, object]:
    import pickle

    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(8)]
    frame = pd.DataFrame(rng.normal(size=(rows, len(cols))), columns=cols)
    target = frame["f0"] * 3 + np.sin(frame["f1"]) + rng.normal(scale=0.1, size=rows)
    model = RandomForestRegressor(n_estimators=trees, min_samples_leaf=3, random_state=0, n_jobs=1)
    model.fit(frame.iloc[:5000], target.iloc[:5000])
    folder = workdir / "model"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps(model, protocol=4))
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
        f"    python_version: {'.'.join(map(str, sys.version_info[:3]))}\n  sklearn:\n"
        f"    pickled_model: model.pkl\n    serialization_format: pickle\n"
        f"    sklearn_version: {sklearn.__version__}\n")
    return folder, frame


def measure(rows: int = 20_000, trees: int = 50, repeat: int = 5, python: str | None = None) -> dict:
    """Interleaved rounds, app vs environment: medians, ratios and every sample (seconds)."""
    from mlmanager.predict.session import PredictionSession, app_runtime, python_runtime

    base = python or _pyenv_python("3.12") or _pyenv_python("3.10")
    if base is None:
        raise RuntimeError("no other interpreter found (pass --python)")
    env_python = build_env(base)
    workdir = Path(tempfile.mkdtemp(prefix="mlmanager-bench-env-"))
    try:
        model, frame = build_model(workdir, rows, trees)
        cache = workdir / "cache"  # shared: the zip and each interpreter's allowlist are cached
        runtimes = {"app": app_runtime(), "env": python_runtime(env_python)}
        cold: dict[str, list[float]] = {k: [] for k in runtimes}
        warm: dict[str, list[float]] = {k: [] for k in runtimes}
        ran_by = {}
        for name, runtime in runtimes.items():  # a first run fills the caches (not counted)
            with PredictionSession(model, runtime, cache_dir=cache) as session:
                ran_by[name] = session.predict(frame).ran_by.text()
        for _ in range(repeat):
            for name, runtime in runtimes.items():
                started = time.perf_counter()
                with PredictionSession(model, runtime, cache_dir=cache) as session:
                    session.predict(frame)
                    cold[name].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    session.predict(frame)
                    warm[name].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    med = {f"{kind}_{name}": statistics.median(values[name])
           for kind, values in (("cold", cold), ("warm", warm)) for name in runtimes}
    return {
        "rows": rows, "trees": trees, "repeat": repeat,
        "ran_by": ran_by, "seconds": {k: round(v, 4) for k, v in med.items()},
        "samples": {f"{kind}_{name}": values[name]
                    for kind, values in (("cold", cold), ("warm", warm)) for name in runtimes},
        "cold_ratio": round(med["cold_env"] / med["cold_app"], 3),
        "warm_ratio": round(med["warm_env"] / med["warm_app"], 3), "target": TARGET_X,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python", default=None,
                        help="the environment's base interpreter (default: pyenv 3.12, else 3.10)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = measure(args.rows, args.trees, args.repeat, args.python)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.rows:,} rows, {args.trees} trees, median of {args.repeat} rounds")
        for name, text in result["ran_by"].items():
            print(f"  {name}: {text}")
        for kind in ("cold", "warm"):
            app, env = result["seconds"][f"{kind}_app"], result["seconds"][f"{kind}_env"]
            ratio = result[f"{kind}_ratio"]
            verdict = "PASS" if ratio <= TARGET_X else "MISS"
            print(f"  {kind}: app {app:.3f} s, environment {env:.3f} s = {ratio:.2f}x "
                  f"(target <= {TARGET_X}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
