"""Timing helpers shared by the benchmark jobs: repeated runs, medians, spreads, ratios."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
DATA = REPO / "benchmarks" / "_data"
MODELS = REPO / "tests" / "corpus" / "mlflow-models"


def have_mlflow() -> bool:
    return importlib.util.find_spec("mlflow") is not None


@dataclass
class Timing:
    """Repeated measurements of one thing: seconds by default, or bytes (``unit="B"``)."""

    samples: list[float] = field(default_factory=list)
    unit: str = "s"

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def spread(self) -> float:
        """Half the range between the fastest and slowest run, in seconds."""
        return (max(self.samples) - min(self.samples)) / 2 if len(self.samples) > 1 else 0.0

    def __str__(self) -> str:
        fmt = fmt_bytes if self.unit == "B" else fmt_seconds
        if len(self.samples) < 2:
            return fmt(self.median)
        return f"{fmt(self.median)} ±{fmt(self.spread)}"


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
    #: the target's verdict: True PASS, False MISS, None when the row has no target or no data
    passed: bool | None = None
    #: details worth keeping in the JSON (counts, CPU times, percentiles, ...)
    extra: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "MISS")

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
            if t is None:
                d[key] = None
            elif t.unit == "s":
                d[key] = {"median_s": t.median, "spread_s": t.spread, "samples_s": t.samples}
            else:
                u = t.unit
                d[key] = {f"median_{u}": t.median, f"spread_{u}": t.spread, f"samples_{u}": t.samples}
        d["speedup_vs_counterpart"] = self.ratio
        d["ours_over_bound"] = self.bound_ratio
        d["verdict"] = self.verdict
        return d


def fmt_seconds(s: float) -> str:
    if s != s:  # NaN
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_bytes(b: float) -> str:
    if b != b:
        return "n/a"
    return f"{b / 2**20:.0f} MiB"


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


@dataclass
class ProcResult:
    wall: float  # seconds, from the fork to the reaped exit
    peak_rss: int  # bytes: the command's ru_maxrss (the largest of it and its reaped children)
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the child and the children it reaped


# A small launcher between us and each measured command. Linux carries a process's peak RSS
# across exec, and a (v)forked child starts from its parent's: reaped straight from this
# process (which holds big frames after job 4), ru_maxrss would report our own size. The
# launcher is a bare ``python -I -S`` (a few MiB, less than any measured command), so the
# command's ru_maxrss is its own; it also times the command from fork to exit.
_LAUNCHER = """
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
with open(out, "w") as fh:
    fh.write(f"{wall} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime} {code}")
sys.exit(code if code >= 0 else 128 - code)
"""


def run_process(cmd: Sequence[str], env: dict | None = None, cwd: str | Path | None = None,
                timeout: float = 900.0, check: bool = True) -> ProcResult:
    """Run a command once: wall time, its own peak RSS and CPU time, and its output.

    Output goes to temporary files, not pipes, so nothing can block on a full pipe.
    """
    import signal
    import tempfile
    import threading

    with tempfile.TemporaryDirectory(prefix="mlmanager-bench-run-") as tmp:
        res_file = Path(tmp) / "result"
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(res_file),
                                     *map(str, cmd)], stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, env=env or clean_env(), cwd=cwd,
                                    start_new_session=True)
            killer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
            killer.start()
            try:
                proc.wait()
            finally:
                killer.cancel()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        try:
            wall, rss, cpu, code = res_file.read_text().split()
        except (OSError, ValueError):  # the launcher itself failed or was killed
            wall, rss, cpu, code = "nan", "0", "0", str(proc.returncode or -9)
    res = ProcResult(float(wall), int(rss) * 1024, int(code), stdout, stderr, float(cpu))
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))[:300]} failed ({res.returncode}): "
                           f"{res.stderr[-2000:]}")
    return res


def last_json(text: str) -> dict:
    """The JSON object on the last non-empty line of a process's output."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return json.loads(lines[-1]) if lines else {}


def interleave(commands: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict[str, list]:
    """Call each function once per round, rounds in turn, so a busy machine slows all alike.

    Returns each function's results (warm-up rounds dropped). The order within a round
    rotates, so no command always runs right after the same other one.
    """
    names = list(commands)
    results: dict[str, list] = {n: [] for n in names}
    for i in range(warmup + repeat):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            got = commands[name]()
            if i >= warmup:
                results[name].append(got)
    return results


def time_processes(commands: dict[str, Sequence[str]], runs: dict[str, int], *,
                   env: dict | None = None, cwd: str | Path | None = None, warmup: int = 1,
                   label: str = "") -> dict[str, list[ProcResult]]:
    """Run commands in interleaved rounds (order rotating); ``runs[name]`` timed runs each.

    Every command first runs ``warmup`` untimed times (page cache, .pyc, allowlist caches).
    """
    env = env or clean_env()
    for _ in range(warmup):
        for name, cmd in commands.items():
            if runs.get(name, 0) > 0:
                run_process(cmd, env=env, cwd=cwd)
    out: dict[str, list[ProcResult]] = {n: [] for n in commands if runs.get(n, 0) > 0}
    rounds = max((runs[n] for n in out), default=0)
    for r in range(rounds):
        names = [n for n in out if runs[n] > r]
        k = r % len(names)
        for name in names[k:] + names[:k]:
            out[name].append(run_process(commands[name], env=env, cwd=cwd))
        if label:
            print(f"  {label}: round {r + 1}/{rounds}", file=sys.stderr)
    return out


def count_instructions(cmd: Sequence[str], *, env: dict | None = None,
                       cwd: str | Path | None = None) -> int | None:
    """Instructions a command executes in user space, all threads (valgrind's callgrind), or
    None without valgrind. Steady to ~0.1% between runs and nearly blind to the machine's load,
    where wall and CPU time move by 5-10%: the figure to compare two versions of the code by.
    It does not count the kernel's work (file reads, page faults) or time spent waiting."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mlmanager-bench-cg-") as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                              env=env or clean_env(), cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} under callgrind exited {done.returncode}: "
                               f"{done.stderr[-2000:]}")
        for line in done.stderr.splitlines():
            if "Collected :" in line:
                return int(line.rsplit(":", 1)[1].strip().replace(",", ""))
    return None


def walls(results: list[ProcResult] | None) -> Timing | None:
    return None if not results else Timing([r.wall for r in results])


def cpus(results: list[ProcResult] | None) -> list[float]:
    return [round(r.cpu, 4) for r in results or []]


def peaks(results: list[ProcResult] | None) -> Timing | None:
    return None if not results else Timing([float(r.peak_rss) for r in results], unit="B")


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    if r < 0.1:
        return f"{r:.2g}x"
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def format_table(rows: list[Row]) -> str:
    """One line per row: ours, the counterpart, them/us (> 1: we are faster or smaller), the
    lower bound, us/bound (1.0: as fast as the bound), the target and its verdict."""
    cells = [("job", "case", "mlmanager", "counterpart", "them/us", "lower bound", "us/bound",
              "target", "verdict")]
    for r in rows:
        ours = str(r.ours) if r.ours.samples else "n/a"
        theirs = f"{r.theirs} {r.theirs_label}" if r.theirs and r.theirs.samples else "-"
        bound = f"{r.bound} {r.bound_label}" if r.bound and r.bound.samples else "-"
        bratio = f"{r.bound_ratio:.2f}" if r.bound_ratio is not None else "-"
        cells.append((r.job, r.case, ours, theirs, fmt_ratio(r.ratio), bound, bratio,
                      r.target or "-", r.verdict or "-"))
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    right = {2, 4, 6}
    lines = []
    for k, c in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if i in right else v.ljust(w)
                               for i, (v, w) in enumerate(zip(c, widths))).rstrip())
        if k == 0:
            lines.append("-" * len(lines[0]))
    notes = [f"  [{r.job} / {r.case}] {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def print_table(rows: list[Row]) -> None:
    print(format_table(rows))


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
