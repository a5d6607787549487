"""Timing helpers shared by the benchmark jobs: repeated runs, medians, spreads, ratios."""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
DATA = REPO / "benchmarks" / "_data"
SHARED_MODELS = REPO.parent / "shared" / "mlflow-models"


def have_mlflow() -> bool:
    return importlib.util.find_spec("mlflow") is not None


@dataclass
class Timing:
    """Seconds of repeated runs of one thing."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def spread(self) -> float:
        """Half the range between the fastest and slowest run, in seconds."""
        return (max(self.samples) - min(self.samples)) / 2 if len(self.samples) > 1 else 0.0

    def __str__(self) -> str:
        return f"{fmt_seconds(self.median)} ±{fmt_seconds(self.spread)}"


@dataclass
class Row:
    job: str
    case: str
    ours: Timing
    theirs: Timing | None = None
    theirs_label: str = "mlflow"
    bound: Timing | None = None
    bound_label: str = ""
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times faster mlmanager is than the counterpart (> 1 is faster)."""
        if self.theirs is None or not self.ours.samples or not self.theirs.samples:
            return None
        return self.theirs.median / self.ours.median if self.ours.median else None

    @property
    def bound_ratio(self) -> float | None:
        """mlmanager's time as a multiple of the lower bound (1.0 = as fast as the bound)."""
        if self.bound is None or not self.bound.samples or not self.ours.samples:
            return None
        return self.ours.median / self.bound.median if self.bound.median else None

    def to_json(self) -> dict:
        d = asdict(self)
        for key in ("ours", "theirs", "bound"):
            t = getattr(self, key)
            d[key] = None if t is None else {"median_s": t.median, "spread_s": t.spread, "samples_s": t.samples}
        d["speedup_vs_counterpart"] = self.ratio
        d["ours_over_bound"] = self.bound_ratio
        return d


def fmt_seconds(s: float) -> str:
    if s != s:  # NaN
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def time_call(fn: Callable[[], object], repeat: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    t = Timing()
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        t.samples.append(time.perf_counter() - start)
    return t


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "PYTHONSTARTUP")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(extra)
    return env


def time_process(cmd: Sequence[str], repeat: int, env: dict | None = None, warmup: int = 1,
                 cwd: str | Path | None = None) -> Timing:
    """Whole-process wall time of a command (stdout discarded); raises if it fails."""
    env = env or clean_env()
    t = Timing()
    for i in range(warmup + repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {proc.stderr.decode()[-2000:]}")
        if i >= warmup:
            t.samples.append(elapsed)
    return t


def print_table(rows: list[Row]) -> None:
    header = f"{'job':<34} {'case':<26} {'mlmanager':>18} {'counterpart':>26} {'speed-up':>9} {'lower bound':>24} {'x bound':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        theirs = f"{r.theirs} ({r.theirs_label})" if r.theirs else "-"
        bound = f"{r.bound} ({r.bound_label})" if r.bound else "-"
        ratio = f"{r.ratio:.1f}x" if r.ratio else "-"
        bratio = f"{r.bound_ratio:.2f}" if r.bound_ratio else "-"
        print(f"{r.job:<34} {r.case:<26} {str(r.ours):>18} {theirs:>26} {ratio:>9} {bound:>24} {bratio:>8}")
        if r.target or r.note:
            print(f"{'':<34}   target: {r.target}  {r.note}")


def write_json(name: str, rows: list[Row], meta: dict | None = None) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {"meta": machine_info() | (meta or {}), "rows": [r.to_json() for r in rows]}
    path.write_text(json.dumps(payload, indent=2))
    return path


def machine_info() -> dict:
    import platform

    info = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or "",
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["processor"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


PY = sys.executable
