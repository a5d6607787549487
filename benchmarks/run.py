"""mlmanager side by side with MLflow, on the jobs users do: one table, one JSON.

    python -m benchmarks [--quick] [--only JOB[,JOB...]] [--out FILE]

Jobs are numbered as in the issue (names work too: ``--only scan,predict`` = ``--only 3,5``).
Each job module has ``run(quick: bool) -> list[Row]``; the MLflow side is measured only when
``mlflow`` is importable. Results: ``benchmarks/out/results.json`` (machine, load averages,
every sample). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import OUT, REPO, Row, Timing, format_table, have_mlflow, machine_info  # noqa: E402


@dataclass(frozen=True)
class Job:
    number: int
    name: str
    module: str  # has run(quick: bool) -> list[Row]
    title: str
    target: str


JOBS: dict[int, Job] = {j.number: j for j in (
    Job(1, "startup", "benchmarks.bench_startup",
        "start-up to a window showing one model, settled (as --screenshot waits for), vs a bare "
        "PySide6 window",
        "<= 2.2x the bare window; no pandas/numpy/sklearn/mlflow/requests/keyring imported"),
    Job(2, "inspect", "benchmarks.bench_inspect",
        "inspect --json of one model in a fresh process, vs the floor (Python + yaml C loader + "
        "json) and Model.load",
        "<= 1.8x the floor"),
    Job(3, "scan", "benchmarks.bench_scan",
        "scan a file-store tracking folder (1,000 and 10,000 models), vs search_runs / "
        "search_logged_models and a bare os.walk",
        ">= 3x faster than search_runs"),
    Job(4, "enforce", "benchmarks.bench_enforce",
        "schema enforcement, 10k/100k/1M rows x 10 mixed columns, vs MLflow's _enforce_schema",
        "<= 1.5x MLflow's on valid frames; full error report for 1M rows < 0.5 s"),
    Job(5, "predict", "benchmarks.bench_predict",
        "prediction end to end, 100k-row CSV, 50-tree forest: CLI cold, warm worker, vs "
        "mlflow models predict and the bare minimum",
        "cold <= 1.3x bare and >= 2x faster than mlflow models predict; warm <= 0.5x bare"),
    Job(6, "memory", "benchmarks.bench_memory",
        "peak memory: the app with 50 models open; a scan of 10,000 models vs MLflow's search",
        "report (no fixed target)"),
    Job(7, "gui", "benchmarks.bench_gui",
        "GUI responsiveness: longest event-loop stall while scanning 10,000 models and while "
        "predicting 100k rows",
        "no stall over 100 ms"),
    Job(8, "registry", "benchmarks.bench_registry",
        "a loopback mlflow server: listing 1,000 registered models x 3 versions (first page, "
        "whole listing) vs MlflowClient's searches; downloading a 200 MB model vs MLflow's "
        "download_artifacts",
        "first page <= 0.3 s; whole listing and download no slower than MLflow's client"),
    Job(9, "env", "benchmarks.bench_env",
        "model environments: first build of a scikit-learn model's environment + first "
        "prediction vs mlflow models predict --env-manager uv; a cached environment's "
        "predictions vs the app's own Python",
        "first build no slower than MLflow's uv manager; cached env <= 1.2x the app's Python"),
    Job(10, "registry-gui", "benchmarks.bench_registry_gui",
        "the registry in the app: 1,000 registered models x 3 versions listed in the library from a "
        "loopback mlflow server (first page on screen, whole listing, the GUI thread meanwhile)",
        "first page on screen <= 0.3 s; no GUI stall over 50 ms"),
    Job(11, "env-gui", "benchmarks.bench_env_build_gui",
        "the GUI thread while a model environment builds (a 5 ms timer, the app's build path)",
        "no GUI stall over 50 ms"),
)}


def select(only: str | None) -> list[Job]:
    """Jobs named by ``--only`` (numbers or names, comma separated), in job order."""
    if not only:
        return list(JOBS.values())
    by_name = {j.name: j for j in JOBS.values()}
    chosen = set()
    for word in (w.strip().lower() for w in only.split(",") if w.strip()):
        if word.isdigit() and int(word) in JOBS:
            chosen.add(int(word))
        elif word in by_name:
            chosen.add(by_name[word].number)
        else:
            raise SystemExit(f"benchmarks: unknown job {word!r}; choose from "
                             + ", ".join(f"{j.number}/{j.name}" for j in JOBS.values()))
    return [JOBS[n] for n in sorted(chosen)]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("mlmanager", "mlflow", "PySide6-Essentials", "pandas", "numpy", "scikit-learn"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def run_job(job: Job, quick: bool) -> tuple[list[Row], dict]:
    """Run one job; a failure becomes a row saying so (the other jobs still run)."""
    info: dict = {"name": job.name, "title": job.title, "target": job.target,
                  "loadavg_before": _load()}
    started = time.perf_counter()
    try:
        rows = importlib.import_module(job.module).run(quick)
    except Exception as exc:  # noqa: BLE001 - report and go on with the next job
        info["error"] = f"{type(exc).__name__}: {exc}"
        info["traceback"] = traceback.format_exc()
        rows = [Row(job=f"{job.number} {job.name}", case="FAILED", ours=Timing(), target=job.target,
                    note=f"{type(exc).__name__}: {str(exc)[:300]}", passed=False)]
    info["seconds"] = round(time.perf_counter() - started, 1)
    info["loadavg_after"] = _load()
    return rows, info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes and fewer repeats: a minute or two on an idle 2-core laptop")
    ap.add_argument("--only", metavar="JOB[,JOB]", help="job numbers or names: "
                    + ", ".join(f"{j.number}={j.name}" for j in JOBS.values()))
    ap.add_argument("--out", type=Path, default=OUT / "results.json")
    ap.add_argument("--list", action="store_true", help="list the jobs and exit")
    args = ap.parse_args(argv)
    if args.list:
        for j in JOBS.values():
            print(f"{j.number} {j.name:<8} {j.title}\n  target: {j.target}")
        return 0
    jobs = select(args.only)
    meta = machine_info() | {
        "mode": "quick" if args.quick else "full",
        "command": " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]),
        "loadavg_start": _load(),
        "mlflow_measured": have_mlflow(),
        "versions": _versions(),
        "commit": _git_commit(),
    }
    if not have_mlflow():
        print("mlflow is not importable: measuring mlmanager alone", file=sys.stderr)
    all_rows: list[Row] = []
    job_info: dict[str, dict] = {}
    t0 = time.perf_counter()
    for job in jobs:
        print(f"== job {job.number} ({job.name}): {job.title}", file=sys.stderr)
        rows, info = run_job(job, args.quick)
        print(f"   done in {info['seconds']:.0f} s, load average {info['loadavg_after']}",
              file=sys.stderr)
        all_rows += rows
        job_info[str(job.number)] = info
    meta["loadavg_end"] = _load()
    meta["seconds"] = round(time.perf_counter() - t0, 1)

    print()
    print(f"mlmanager vs MLflow, {meta['mode']} run, {meta['date']}, {meta['cpus']} CPUs "
          f"({meta['processor']}), load average {meta['loadavg_start']} -> {meta['loadavg_end']}, "
          f"{meta['seconds']:.0f} s")
    print(format_table(all_rows))
    verdicts = [r.verdict for r in all_rows if r.verdict]
    print(f"\n{verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS "
          f"(medians of interleaved runs; them/us > 1: mlmanager is faster or smaller)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "jobs": job_info, "rows": [r.to_json() for r in all_rows]}
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
