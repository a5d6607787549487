"""Benchmark: discovering models in a big file-store tracking folder.

Generates (once, cached under ``benchmarks/_data/``) a synthetic MLflow 3 file store with N
logged models written the way mlflow 3.17.2 writes them (experiment/run/model ``meta.yaml``,
params, metrics, tags, the run->model ``outputs`` link and ``artifacts/`` holding a real
3.17.2 ``MLmodel`` text plus the usual small files). Files are written directly, not through
mlflow, so generating 10,000 models takes seconds.

Then times, each in a fresh process, median of ``--repeat`` runs:

* ``mlmanager scan``          -- ``mlmanager.core.library.discovery.scan(root)`` (in-process, after import)
* ``mlmanager scan --json``   -- the whole process: CLI (or ``python -c`` fallback) to /dev/null
* ``mlflow search_logged_models`` -- ``MlflowClient.search_logged_models`` paged through
* ``mlflow search_runs``      -- ``MlflowClient.search_runs`` over all experiments, paged through
* ``mlflow models+runs``      -- both, joined: what a client needs for the names a scan gives
* ``os.walk`` lower bound     -- bare walk counting files named ``MLmodel``

In-process times exclude imports (mlflow's import alone takes seconds); CPU time is reported
too, because wall time on a busy machine is noisy. Methods run interleaved in rounds.

Usage::

    python benchmarks/bench_scan.py --n 10000 --repeat 3
    python benchmarks/bench_scan.py --n 1000 --n 10000     # several sizes, one JSON
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a script: python benchmarks/bench_scan.py
    sys.path.insert(0, str(REPO))

from benchmarks.common import Row, Timing, have_mlflow, run_process  # noqa: E402

DEFAULT_DATA = HERE / "_data"
DEFAULT_OUT = HERE / "out" / "scan.json"
FORMAT_VERSION = "1"  # bump when the generated layout changes, to regenerate cached stores

# A real MLmodel written by mlflow 3.17.2 (sklearn autolog, file store), ids substituted.
MLMODEL_TEMPLATE = """\
artifact_path: {artifact_uri}
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: {model_id}
model_size_bytes: 1141
model_uuid: {model_id}
prompts: null
run_id: {run_id}
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{{"type": "double", "name": "sqft", "required": true}}, {{"type": "long",
    "name": "bedrooms", "required": true}}, {{"type": "long", "name": "year_built",
    "required": true}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "float64", "shape": [-1]}}}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-27 01:55:35.059347'
"""

CONDA_YAML = """\
channels:
- conda-forge
dependencies:
- python=3.11.7
- pip<=23.2.1
- pip:
  - mlflow==3.17.2
  - cloudpickle==3.1.3
  - numpy==2.4.6
  - pandas==3.1.1
  - scikit-learn==1.9.1
  - scipy==1.17.1
name: mlflow-env
"""
PYTHON_ENV_YAML = """\
python: 3.11.7
build_dependencies:
- pip==23.2.1
- setuptools==65.5.0
- wheel
dependencies:
- -r requirements.txt
"""
REQUIREMENTS = (
    "mlflow==3.17.2\ncloudpickle==3.1.3\nnumpy==2.4.6\npandas==3.1.1\n"
    "scikit-learn==1.9.1\nscipy==1.17.1"
)
INPUT_EXAMPLE = (
    '{"columns": ["sqft", "bedrooms", "year_built"], "data": [[1200.5, 3, 1990], '
    "[800.0, 2, 1975], [2100.25, 4, 2005]]}"
)
SERVING_EXAMPLE = (
    '{\n  "dataframe_split": {\n    "columns": [\n      "sqft",\n      "bedrooms",\n'
    '      "year_built"\n    ],\n    "data": [\n      [\n        1200.5,\n        3,\n'
    "        1990\n      ]\n    ]\n  }\n}"
)


# --------------------------------------------------------------------------- generation


def _write(path: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    with open(path, "wb") as fh:
        fh.write(data)


def _mkdirs(*paths: str) -> None:
    for p in paths:
        os.mkdir(p)


def generate_store(root: Path, n_models: int, n_experiments: int, seed: int = 0) -> Path:
    """Write a file store with ``n_models`` logged models (one run per model) under root/mlruns."""
    rng = random.Random(seed)
    hex32 = lambda: f"{rng.getrandbits(128):032x}"  # noqa: E731
    mlruns = root / "mlruns"
    if root.exists():
        shutil.rmtree(root)
    mlruns.mkdir(parents=True)
    base_uri = "file://" + str(mlruns)
    ts = 1795744531601

    def exp_meta(exp_id: str, name: str) -> str:
        return (
            f"artifact_location: {base_uri}/{exp_id}\ncreation_time: {ts}\n"
            f"effective_trace_archival_retention: null\nexperiment_id: '{exp_id}'\n"
            f"last_update_time: {ts}\nlifecycle_stage: active\nname: {name}\n"
            "trace_location: null\nworkspace: default\n"
        )

    os.mkdir(mlruns / "0")
    _write(str(mlruns / "0" / "meta.yaml"), exp_meta("0", "Default"))
    exp_ids = [str(rng.randrange(10**17, 10**18)) for _ in range(n_experiments)]
    for i, exp_id in enumerate(exp_ids):
        exp_dir = str(mlruns / exp_id)
        _mkdirs(exp_dir, exp_dir + "/models")
        _write(exp_dir + "/meta.yaml", exp_meta(exp_id, f"experiment-{i:03d}"))

    for k in range(n_models):
        exp_id = exp_ids[k % n_experiments]
        exp_dir = str(mlruns / exp_id)
        run_id, model_id = hex32(), "m-" + hex32()
        run_dir, model_dir = f"{exp_dir}/{run_id}", f"{exp_dir}/models/{model_id}"
        run_uri = f"{base_uri}/{exp_id}/{run_id}/artifacts"
        model_uri = f"{base_uri}/{exp_id}/models/{model_id}/artifacts"
        # the run
        _mkdirs(
            run_dir, run_dir + "/artifacts", run_dir + "/params", run_dir + "/metrics",
            run_dir + "/tags", run_dir + "/outputs", f"{run_dir}/outputs/{model_id}",
        )
        _write(
            run_dir + "/meta.yaml",
            f"artifact_uri: {run_uri}\nend_time: {ts + 5000}\nentry_point_name: ''\n"
            f"experiment_id: '{exp_id}'\nlifecycle_stage: active\nrun_id: {run_id}\n"
            f"run_name: run-{k:06d}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n"
            f"start_time: {ts}\nstatus: 3\ntags: []\nuser_id: root\n",
        )
        _write(
            f"{run_dir}/outputs/{model_id}/meta.yaml",
            f"destination_id: {model_id}\ndestination_type: MODEL_OUTPUT\n"
            f"source_id: {model_id}\nsource_type: RUN_OUTPUT\nstep: 0\ntags: {{}}\n",
        )
        alpha = f"{(k % 17) / 10 + 0.1:.1f}"
        _write(run_dir + "/params/alpha", alpha)
        _write(run_dir + "/params/max_iter", "None")
        _write(run_dir + "/metrics/rmse", f"{ts + 4000} {1000 + k * 0.5} 0\n")
        for tag, value in (
            ("mlflow.runName", f"run-{k:06d}"),
            ("mlflow.user", "root"),
            ("mlflow.source.type", "LOCAL"),
            ("mlflow.source.name", "/home/ana/train/build.py"),
        ):
            _write(f"{run_dir}/tags/{tag}", value)
        # the logged model
        _mkdirs(
            model_dir, model_dir + "/artifacts", model_dir + "/params", model_dir + "/metrics",
            model_dir + "/tags",
        )
        _write(
            model_dir + "/meta.yaml",
            f"artifact_location: {model_uri}\ncreation_timestamp: {ts + 100}\n"
            f"experiment_id: '{exp_id}'\nlast_updated_timestamp: {ts + 4900}\n"
            f"model_id: {model_id}\nmodel_type: null\nname: model-{k % 7}\n"
            f"source_run_id: {run_id}\nstatus: 2\nstatus_message: null\n",
        )
        _write(model_dir + "/params/alpha", alpha)
        _write(model_dir + "/params/max_iter", "None")
        _write(model_dir + "/metrics/rmse", f"{ts + 4000} {1000 + k * 0.5} 0 {run_id}\n")
        for tag, value in (
            ("mlflow.user", "root"),
            ("mlflow.source.type", "LOCAL"),
            ("mlflow.source.name", "/home/ana/train/build.py"),
        ):
            _write(f"{model_dir}/tags/{tag}", value)
        art = model_dir + "/artifacts/"
        _write(
            art + "MLmodel",
            MLMODEL_TEMPLATE.format(artifact_uri=model_uri, model_id=model_id, run_id=run_id),
        )
        _write(art + "conda.yaml", CONDA_YAML)
        _write(art + "python_env.yaml", PYTHON_ENV_YAML)
        _write(art + "requirements.txt", REQUIREMENTS)
        _write(art + "input_example.json", INPUT_EXAMPLE)
        _write(art + "serving_input_example.json", SERVING_EXAMPLE)
        _write(art + "model.pkl", bytes(582))
    return mlruns


def ensure_store(data_dir: Path, n_models: int, n_experiments: int) -> tuple[Path, float | None]:
    """Return the cached store for this size (generating it if needed) and the generation time."""
    root = data_dir / f"scan_{n_models}_{n_experiments}"
    stamp = root / "COMPLETE"
    want = f"{FORMAT_VERSION} {n_models} {n_experiments}"
    if stamp.is_file() and stamp.read_text() == want:
        return root / "mlruns", None
    t0 = time.perf_counter()
    mlruns = generate_store(root, n_models, n_experiments)
    took = time.perf_counter() - t0
    stamp.write_text(want)
    return mlruns, took


# --------------------------------------------------------------------------- timing

# Each snippet runs in a fresh interpreter and prints {"t": seconds, "count": n} as its last line.
_OURS = """
import json, sys, time
from mlmanager.core.library.discovery import scan
t0 = time.perf_counter()
c0 = time.process_time()
res = scan(sys.argv[1])
t = time.perf_counter() - t0
c = time.process_time() - c0
print(json.dumps({"t": t, "cpu": c, "count": len(res.models), "problems": len(res.problems)}))
"""

_OURS_JSON_FALLBACK = """
import json, sys
from mlmanager.core.library.discovery import scan, scan_to_json
json.dump(scan_to_json(scan(sys.argv[1])), sys.stdout)
"""

_MLFLOW_PRELUDE = """
import json, os, sys, time, logging
logging.disable(logging.WARNING)
from mlflow import MlflowClient
from mlflow.entities import ViewType
client = MlflowClient(tracking_uri="file://" + sys.argv[1])
page_size = int(sys.argv[2])
"""

_MLFLOW_MODELS = _MLFLOW_PRELUDE + """
t0 = time.perf_counter()
c0 = time.process_time()
exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
count, token = 0, None
while True:
    page = client.search_logged_models(experiment_ids=exp_ids, max_results=page_size,
                                       page_token=token)
    count += len(page)
    token = page.token
    if not token:
        break
t = time.perf_counter() - t0
c = time.process_time() - c0
print(json.dumps({"t": t, "cpu": c, "count": count}))
"""

_MLFLOW_RUNS = _MLFLOW_PRELUDE + """
t0 = time.perf_counter()
c0 = time.process_time()
exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
count, token = 0, None
while True:
    page = client.search_runs(experiment_ids=exp_ids, max_results=page_size, page_token=token)
    count += len(page)
    token = page.token
    if not token:
        break
t = time.perf_counter() - t0
c = time.process_time() - c0
print(json.dumps({"t": t, "cpu": c, "count": count}))
"""

_MLFLOW_BOTH = _MLFLOW_PRELUDE + """
t0 = time.perf_counter()
c0 = time.process_time()
exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
run_names, token = {}, None
while True:
    page = client.search_runs(experiment_ids=exp_ids, max_results=page_size, page_token=token)
    run_names.update((r.info.run_id, r.info.run_name) for r in page)
    token = page.token
    if not token:
        break
count, token = 0, None
while True:
    page = client.search_logged_models(experiment_ids=exp_ids, max_results=page_size,
                                       page_token=token)
    count += sum(1 for m in page if run_names.get(m.source_run_id) is not None)
    token = page.token
    if not token:
        break
t = time.perf_counter() - t0
c = time.process_time() - c0
print(json.dumps({"t": t, "cpu": c, "count": count}))
"""

_WALK = """
import json, os, sys, time
t0 = time.perf_counter()
c0 = time.process_time()
count = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    if "MLmodel" in filenames:
        count += 1
t = time.perf_counter() - t0
c = time.process_time() - c0
print(json.dumps({"t": t, "cpu": c, "count": count}))
"""


def _cli_has_scan() -> bool:
    cli = REPO / "mlmanager" / "cli.py"
    return cli.is_file() and '"scan"' in cli.read_text(encoding="utf-8", errors="replace")


def _run(argv: list[str], env: dict[str, str], stdout_devnull: bool = False) -> tuple[float, dict, int]:
    """Wall time, the JSON the snippet printed (if any) and the process's peak RSS in bytes."""
    res = run_process(argv, env=env, cwd=REPO, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    info = json.loads(res.stdout.strip().splitlines()[-1]) if not stdout_devnull else {}
    return res.wall, info, res.peak_rss


def _stats(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def bench_size(mlruns: Path, n_models: int, repeat: int, page_size: int,
               plan: dict[str, int] | None = None) -> dict:
    """Time the methods in interleaved rounds; ``plan`` picks methods and their run counts
    (method -> runs; default: every method ``repeat`` times)."""
    py = sys.executable
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env_mlflow = dict(env, MLFLOW_ALLOW_FILE_STORE="true")
    root = str(mlruns)
    if _cli_has_scan():
        cli_argv = [py, "-m", "mlmanager", "scan", root, "--json"]
        cli_label = "python -m mlmanager scan ROOT --json"
    else:
        cli_argv = [py, "-c", _OURS_JSON_FALLBACK, root]
        cli_label = "python -c scan+scan_to_json+json.dump (no CLI scan yet)"

    methods: dict[str, dict] = {
        "mlmanager_scan": {"argv": [py, "-c", _OURS, root], "env": env},
        "mlmanager_cli_json": {"argv": cli_argv, "env": env, "devnull": True},
        "mlflow_search_logged_models": {
            "argv": [py, "-c", _MLFLOW_MODELS, root, str(page_size)], "env": env_mlflow,
        },
        "mlflow_search_runs": {
            "argv": [py, "-c", _MLFLOW_RUNS, root, str(page_size)], "env": env_mlflow,
        },
        "mlflow_models_plus_runs": {
            "argv": [py, "-c", _MLFLOW_BOTH, root, str(page_size)], "env": env_mlflow,
        },
        "os_walk_lower_bound": {"argv": [py, "-c", _WALK, root], "env": env},
    }
    plan = plan or dict.fromkeys(methods, repeat)
    methods = {name: spec for name, spec in methods.items() if plan.get(name, 0) > 0}
    # one untimed pass over the tree so every method sees a warm page cache
    _run([py, "-c", _WALK, root], env)
    raw: dict[str, dict[str, list]] = {
        m: {"inproc": [], "cpu": [], "wall": [], "count": [], "rss": []} for m in methods
    }
    # rounds interleave the methods (rotating the order), so a busy machine slows them alike
    rounds = max(plan[m] for m in methods)
    for r in range(rounds):
        names = [m for m in methods if plan[m] > r]
        names = names[r % len(names):] + names[:r % len(names)]
        for name in names:
            spec = methods[name]
            w, info, rss = _run(spec["argv"], spec["env"], spec.get("devnull", False))
            raw[name]["wall"].append(w)
            raw[name]["rss"].append(rss)
            if "t" in info:
                raw[name]["inproc"].append(info["t"])
                raw[name]["cpu"].append(info["cpu"])
                raw[name]["count"].append(info["count"])
        print(f"  scan {n_models}: round {r + 1}/{rounds} done", file=sys.stderr)
    results: dict[str, dict] = {}
    for name, got in raw.items():
        counts = sorted(set(got["count"]))
        results[name] = {
            "in_process_s": _stats(got["inproc"]) if got["inproc"] else None,
            "in_process_cpu_s": _stats(got["cpu"]) if got["cpu"] else None,
            "whole_process_s": _stats(got["wall"]),
            "peak_rss_bytes": _stats(got["rss"]),
            "count": counts[0] if len(counts) == 1 else (counts or None),
        }
    if "mlmanager_cli_json" in results:
        results["mlmanager_cli_json"]["command"] = cli_label
    for key in ("mlflow_search_logged_models", "mlflow_search_runs", "mlflow_models_plus_runs"):
        if key in results and results[key]["count"] != n_models:
            print(f"WARNING: {key} returned {results[key]['count']}, expected {n_models}",
                  file=sys.stderr)
    if "mlmanager_scan" in results and results["mlmanager_scan"]["count"] != n_models:
        print(f"WARNING: scan found {results['mlmanager_scan']['count']}, expected {n_models}",
              file=sys.stderr)
    return results


def format_table(n_models: int, results: dict) -> str:
    """Medians (min-max); ratios are method / mlmanager scan, so > 1 means we are faster."""
    ours = results["mlmanager_scan"]
    lines = [
        f"N = {n_models:,} logged models; ratio = method time / mlmanager time",
        f"{'method':28s} {'wall in-proc (min-max)':>24s} {'cpu in-proc':>11s} "
        f"{'whole proc':>10s} {'count':>6s} {'x wall':>6s} {'x cpu':>6s} {'x proc':>6s}",
    ]
    for name, r in results.items():
        ip, cpu, wp = r["in_process_s"], r.get("in_process_cpu_s"), r["whole_process_s"]
        if ip:
            wall_txt = f"{ip['median']:.3f} ({ip['min']:.3f}-{ip['max']:.3f})"
            x_wall = f"{ip['median'] / ours['in_process_s']['median']:6.1f}"
            cpu_txt = f"{cpu['median']:11.3f}"
            x_cpu = f"{cpu['median'] / ours['in_process_cpu_s']['median']:6.1f}"
        else:
            wall_txt, x_wall, cpu_txt, x_cpu = "-", f"{'-':>6s}", f"{'-':>11s}", f"{'-':>6s}"
        x_proc = wp["median"] / results["mlmanager_cli_json"]["whole_process_s"]["median"]
        count = "-" if r["count"] is None else str(r["count"])
        lines.append(
            f"{name:28s} {wall_txt:>24s} {cpu_txt} {wp['median']:10.3f} {count:>6s} "
            f"{x_wall} {x_cpu} {x_proc:6.1f}"
        )
    lines.append("(x proc compares whole processes with `mlmanager scan --json`, imports included)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- suite adapter

TARGET = ">= 3x faster than search_runs"
#: results of the suite's runs in this process, by size: job 6 reuses their peak RSS
MEASURED: dict[int, dict] = {}


def sizes(quick: bool) -> list[int]:
    return [1000] if quick else [1000, 10000]


def plan_for(n: int, quick: bool, with_mlflow: bool) -> dict[str, int]:
    """Runs per method: mlflow's searches take tens of seconds at 10,000 models, so they run
    fewer times there; the combined models+runs search is left to the standalone main."""
    ours = 3
    plan = {"mlmanager_scan": ours, "mlmanager_cli_json": ours if n <= 1000 else 2,
            "os_walk_lower_bound": ours if n <= 1000 else 2}
    if with_mlflow:
        plan["mlflow_search_runs"] = 2 if quick or n > 1000 else 3
        plan["mlflow_search_logged_models"] = 1 if quick or n > 1000 else 2
    return plan


def measure(n: int, quick: bool) -> dict:
    """Generate (or reuse) the store with ``n`` models and time it; cached per process."""
    if n not in MEASURED:
        mlruns, gen = ensure_store(DEFAULT_DATA, n, 10)
        if gen:
            print(f"  generated a {n:,}-model store in {gen:.1f} s", file=sys.stderr)
        results = bench_size(mlruns, n, 3, 50000, plan_for(n, quick, have_mlflow()))
        MEASURED[n] = results
    return MEASURED[n]


def _t(stats: dict | None) -> Timing | None:
    return None if stats is None else Timing(list(stats["runs"]))


def run(quick: bool = False) -> list[Row]:
    """Job 3 rows: the scan call (after imports) and the whole process, per size."""
    rows = []
    for n in sizes(quick):
        res = measure(n, quick)
        ours, walk = res["mlmanager_scan"], res["os_walk_lower_bound"]
        runs, models = res.get("mlflow_search_runs"), res.get("mlflow_search_logged_models")
        cpu = {k: v["in_process_cpu_s"]["median"] for k, v in res.items() if v.get("in_process_cpu_s")}
        call = Row(job="3 scan", case=f"{n:,} models, call", ours=_t(ours["in_process_s"]),
                   theirs=_t(runs["in_process_s"]) if runs else None, theirs_label="search_runs",
                   bound=_t(walk["in_process_s"]), bound_label="os.walk", target=TARGET,
                   note="time of the call after imports", extra={"cpu_median_s": cpu,
                                                                 "count": ours["count"]})
        call.passed = None if call.ratio is None else call.ratio >= 3
        rows.append(call)
        if models:
            rows.append(Row(job="3 scan", case=f"{n:,} models, call (models API)", ours=_t(ours["in_process_s"]),
                            theirs=_t(models["in_process_s"]), theirs_label="search_logged_models",
                            note="no target; MLflow's newer API, model records only"))
        cli = res["mlmanager_cli_json"]
        whole = Row(job="3 scan", case=f"{n:,} models, process", ours=_t(cli["whole_process_s"]),
                    theirs=_t(runs["whole_process_s"]) if runs else None, theirs_label="search_runs",
                    bound=_t(walk["whole_process_s"]), bound_label="os.walk", target=TARGET,
                    note="`mlmanager scan ROOT --json` vs a script calling search_runs, imports included")
        whole.passed = None if whole.ratio is None else whole.ratio >= 3
        rows.append(whole)
    return rows


def memory_rows(quick: bool) -> list[Row]:
    """Job 6: peak RSS of `mlmanager scan ROOT --json` vs MLflow's searches (same runs as job 3)."""
    n = sizes(quick)[-1]
    res = measure(n, quick)
    b = lambda key: Timing(list(res[key]["peak_rss_bytes"]["runs"]), unit="B") if key in res else None  # noqa: E731
    rows = [Row(job="6 peak memory", case=f"scan {n:,} models", ours=b("mlmanager_cli_json"),
                theirs=b("mlflow_search_runs"), theirs_label="search_runs",
                bound=b("os_walk_lower_bound"), bound_label="os.walk",
                target="report", note="peak RSS of the whole process (wait4 ru_maxrss)")]
    if "mlflow_search_logged_models" in res:
        rows.append(Row(job="6 peak memory", case=f"scan {n:,} models (models API)", ours=b("mlmanager_cli_json"),
                        theirs=b("mlflow_search_logged_models"), theirs_label="search_logged_models",
                        target="report"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="logged models (repeatable)")
    ap.add_argument("--experiments", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--page-size", type=int, default=50000,
                    help="max_results per MlflowClient page (50000 = mlflow's maximum)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    sizes = args.n or [10000]
    report: dict = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "page_size": args.page_size,
        "note": "fresh process per run; page cache warm; in-process = time of the call after "
        "imports; whole-process = wall time of the interpreter",
        "sizes": {},
    }
    for n in sizes:
        mlruns, gen = ensure_store(args.data_dir, n, args.experiments)
        how = f"generated in {gen:.1f}s" if gen else "cached"
        print(f"store {mlruns} ({how})", file=sys.stderr)
        results = bench_size(mlruns, n, args.repeat, args.page_size)
        report["sizes"][str(n)] = {"root": str(mlruns), "generate_s": gen, "results": results}
        print(format_table(n, results))
        print()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
