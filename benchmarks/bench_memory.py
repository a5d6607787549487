"""Job 6: peak memory of the app with 50 models open, and of a scan of a big tracking folder.

* app: ``gui_harness open-many`` opens 50 copies of the corpus models (a temp dir) through the
  real start-up path and reports its peak RSS (VmHWM) once every model has loaded; the lower
  bound is a bare PySide6 window's peak RSS.
* scan: peak RSS (``wait4``'s ``ru_maxrss``) of ``mlmanager scan ROOT --json`` and of the
  MLflow search scripts, from job 3's runs (10,000 models; 1,000 with ``--quick``).

No fixed target: reported.

    python -m benchmarks.bench_memory [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_scan, bench_startup  # noqa: E402
from benchmarks.common import (  # noqa: E402
    MODELS,
    REPO,
    Row,
    last_json,
    peaks,
    print_table,
    time_processes,
    write_json,
)

N_OPEN = 50


def corpus_models() -> list[Path]:
    """Every model folder of the shared corpus (plain folders and file-store artifacts)."""
    if not MODELS.is_dir():
        return [REPO / "resources" / "demo" / "iris-classifier"]
    found = [p.parent for p in sorted(MODELS.glob("*/MLmodel"))]
    found += [p.parent for p in sorted(MODELS.glob("mlruns/*/models/*/artifacts/MLmodel"))]
    return found


def copy_models(dest: Path, n: int = N_OPEN) -> list[Path]:
    sources = corpus_models()
    out = []
    for i in range(n):
        src = sources[i % len(sources)]
        target = dest / f"model-{i:02d}-{src.name if src.name != 'artifacts' else src.parent.name}"
        shutil.copytree(src, target)
        out.append(target)
    return out


def app_rows(quick: bool) -> list[Row]:
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="mlmanager-bench-mem-") as tmp:
        root = Path(tmp)
        listing = root / "models.txt"
        listing.write_text("\n".join(map(str, copy_models(root / "models"))) + "\n")
        cfg = root / "config"
        cfg.mkdir()
        runs = {"ours": repeat, "bare": 0 if bench_startup.BARE.get("runs") else repeat}
        got = time_processes(
            {"ours": bench_startup.harness("open-many", str(listing)),
             "bare": bench_startup.harness("bare")},
            runs, env=bench_startup.gui_env(str(cfg)), cwd=REPO, warmup=0, label="memory, 50 open",
        )
    bare = got.get("bare") or bench_startup.BARE["runs"]
    reports = [last_json(r.stdout) for r in got["ours"]]
    return [Row(job="6 peak memory", case=f"app, {N_OPEN} models open", ours=peaks(got["ours"]),
                bound=peaks(bare), bound_label="bare PySide6 window", target="report",
                note=f"{reports[0].get('ready')} of {reports[0].get('models')} loaded READY",
                extra={"reports": reports})]


def run(quick: bool = False) -> list[Row]:
    return app_rows(quick) + bench_scan.memory_rows(quick)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    rows = run(ap.parse_args(argv).quick)
    print_table(rows)
    print("wrote", write_json("memory", rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
