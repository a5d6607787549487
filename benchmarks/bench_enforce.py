"""Benchmark: schema enforcement, mlmanager vs MLflow's ``_enforce_schema`` on the same frame.

Frames of 10k / 100k / 1M rows x 10 mixed-type columns (long, double, float, integer, boolean,
string, datetime, binary, and two columns that need an upcast: int32 -> long, int16 -> double).

* ``valid``: both enforce the frame (python-predict semantics); target: ours <= 1.5x MLflow.
  The outputs are compared (same frame, same dtypes) before timing.
* ``all bad``: every column has a problem (NaN in a long column, text in double/boolean/datetime
  columns, int64 into double/integer/binary/string, float64 into float, a missing column).
  Ours builds the complete report (every problem with a few offending rows each; target: under
  0.5 s at 1M rows); MLflow stops at its first error, timed for reference.

Usage::

    python benchmarks/bench_enforce.py                 # 10k, 100k, 1M
    python benchmarks/bench_enforce.py --rows 1000000 --repeat 9
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from mlmanager.core.inputs.enforce import enforce_input  # noqa: E402
from mlmanager.core.inputs.enforce_columns import Context  # noqa: E402
from mlmanager.core.signature.schema import parse_schema  # noqa: E402

DEFAULT_OUT = HERE / "out" / "enforce.json"

SCHEMA = [
    {"type": "long", "name": "l", "required": True},
    {"type": "double", "name": "d", "required": True},
    {"type": "float", "name": "f", "required": True},
    {"type": "integer", "name": "i", "required": True},
    {"type": "boolean", "name": "b", "required": True},
    {"type": "string", "name": "s", "required": True},
    {"type": "datetime", "name": "t", "required": True},
    {"type": "binary", "name": "bin", "required": True},
    {"type": "long", "name": "l32", "required": True},
    {"type": "double", "name": "d16", "required": True},
]


def valid_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "l": rng.integers(0, 1000, n),
            "d": rng.random(n),
            "f": rng.random(n).astype("float32"),
            "i": rng.integers(0, 1000, n).astype("int32"),
            "b": rng.random(n) > 0.5,
            "s": pd.array(rng.choice(["alpha", "beta", "gamma"], n), dtype="str"),
            "t": pd.date_range("2020-01-01", periods=n, freq="s"),
            "bin": pd.Series(np.full(n, b"\x00\x01", dtype=object), dtype=object),
            "l32": rng.integers(0, 1000, n).astype("int32"),
            "d16": rng.integers(0, 1000, n).astype("int16"),
        }
    )


def bad_frame(n: int, seed: int = 1) -> pd.DataFrame:
    """Every column breaks the schema; offenders are sparse so finding a few costs real work."""
    rng = np.random.default_rng(seed)
    longs = rng.integers(0, 1000, n).astype("float64")
    longs[rng.choice(n, max(1, n // 1000), replace=False)] = np.nan  # NaN in a long column
    doubles = rng.random(n).round(3).astype(str).astype(object)
    doubles[rng.choice(n, max(1, n // 1000), replace=False)] = "n/a"  # text in a double column
    bools = np.where(rng.random(n) > 0.5, "yes", "no")
    times = pd.date_range("2020-01-01", periods=n, freq="s").strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    times[rng.choice(n, max(1, n // 1000), replace=False)] = "not a date"
    return pd.DataFrame(
        {
            "l": longs,
            "d": pd.array(doubles, dtype="str"),
            "f": rng.random(n),  # float64 into float
            "i": rng.integers(0, 1000, n),  # int64 into integer
            "b": pd.array(bools, dtype="str"),  # text into boolean
            "s": rng.integers(0, 1000, n),  # int64 into string
            "t": pd.array(times, dtype="str"),  # text into datetime
            "bin": rng.integers(0, 1000, n),  # int64 into binary
            # "l32" missing entirely
            "d16": rng.integers(0, 1000, n),  # int64 into double
        }
    )


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def stats(samples: list[float]) -> dict:
    q = statistics.quantiles(samples, n=4) if len(samples) >= 4 else [min(samples), 0, max(samples)]
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
        "iqr_ms": q[2] - q[0],
        "samples_ms": samples,
    }


def measure(rows: list[int], repeat: int) -> dict:
    """Every size: valid frame (ours vs MLflow, interleaved) and all-bad frame (full report)."""
    try:
        from mlflow.models.utils import _enforce_schema
        from mlflow.types import Schema as MSchema
    except ImportError:
        _enforce_schema = None
        MSchema = None
    ours_schema = parse_schema(SCHEMA)
    m_schema = MSchema.from_json(json.dumps(SCHEMA)) if MSchema else None
    results = [
        bench_size(n, repeat if n >= 1_000_000 else max(repeat, 15), ours_schema, _enforce_schema, m_schema)
        for n in rows
    ]
    return {
        "benchmark": "enforce",
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "repeat": repeat,
        "results": results,
    }


def bench_size(n: int, reps: int, ours_schema, mlflow_enforce, m_schema) -> dict:
    df = valid_frame(n)
    ctx = Context("python")
    ours_out = enforce_input(df, ours_schema, ctx)
    assert ours_out.valid, [p.message for p in ours_out.errors]
    entry: dict = {"rows": n, "columns": len(SCHEMA)}
    if mlflow_enforce is not None:
        theirs = mlflow_enforce(df, m_schema)
        pd.testing.assert_frame_equal(ours_out.data, theirs, check_column_type=False)
    # interleave the two so both see the same drift in machine load
    ours_t: list[float] = []
    theirs_t: list[float] = []
    for _ in range(reps):
        ours_t += timed(lambda: enforce_input(df, ours_schema, ctx), 1)
        if mlflow_enforce is not None:
            theirs_t += timed(lambda: mlflow_enforce(df, m_schema), 1)
    entry["valid"] = {"ours": stats(ours_t)}
    if theirs_t:
        entry["valid"]["mlflow"] = stats(theirs_t)
        entry["valid"]["ratio"] = entry["valid"]["ours"]["median_ms"] / entry["valid"]["mlflow"]["median_ms"]

    bad = bad_frame(n)
    problems = [p.to_json() for p in enforce_input(bad, ours_schema, ctx).errors]
    assert len({p["column"] for p in problems}) == len(SCHEMA), problems
    bad_t = timed(lambda: [p.to_json() for p in enforce_input(bad, ours_schema, ctx).errors], reps)
    entry["all_bad"] = {
        "ours_full_report": stats(bad_t),
        "problems": len(problems),
        "rows_listed": sum(len(p["rows"]) for p in problems),
        "report": problems,
    }
    if mlflow_enforce is not None:

        def first_error() -> None:
            with contextlib.suppress(Exception):
                mlflow_enforce(bad, m_schema)

        entry["all_bad"]["mlflow_first_error"] = stats(timed(first_error, reps))
    return entry


def print_table(data: dict) -> None:
    print(f"enforcement, 10 mixed columns (pandas {data['pandas']}, numpy {data['numpy']})")
    print(f"{'rows':>9} | {'ours ms':>16} | {'mlflow ms':>16} | {'ratio':>5} | {'bad: full report ms':>20} | {'mlflow 1st err ms':>17} | problems")
    for e in data["results"]:
        v = e["valid"]
        o = v["ours"]
        m = v.get("mlflow")
        b = e["all_bad"]
        mb = b.get("mlflow_first_error")
        print(
            f"{e['rows']:>9} | {o['median_ms']:>7.2f} ±{o['iqr_ms']:>6.2f} | "
            + (f"{m['median_ms']:>7.2f} ±{m['iqr_ms']:>6.2f}" if m else f"{'-':>16}")
            + f" | {v.get('ratio', float('nan')):>5.2f} | "
            + f"{b['ours_full_report']['median_ms']:>11.1f} ±{b['ours_full_report']['iqr_ms']:>6.1f} | "
            + (f"{mb['median_ms']:>9.1f} ±{mb['iqr_ms']:>5.1f}" if mb else f"{'-':>17}")
            + f" | {b['problems']} ({b['rows_listed']} rows)"
        )
    print("(median ± interquartile range; ratio = ours / mlflow on the valid frame)")


# --------------------------------------------------------------------------- suite adapter

FULL_REPORT_LIMIT_S = 0.5
VALID_LIMIT_X = 1.5


def _timing(st: dict | None):
    from benchmarks.common import Timing

    return None if st is None else Timing([ms / 1000.0 for ms in st["samples_ms"]])


def run(quick: bool = False) -> list:
    """Job 4 rows (``benchmarks.common.Row``): valid frames vs MLflow, full reports of bad ones."""
    from benchmarks.common import Row

    data = measure([10_000, 100_000, 1_000_000], 5 if quick else 9)
    rows = []
    for e in data["results"]:
        n, v, b = e["rows"], e["valid"], e["all_bad"]
        valid = Row(job="4 enforce", case=f"{n:,} rows x 10, valid", ours=_timing(v["ours"]),
                    theirs=_timing(v.get("mlflow")), theirs_label="_enforce_schema",
                    target=f"<= {VALID_LIMIT_X}x MLflow's")
        valid.passed = None if valid.ratio is None else 1 / valid.ratio <= VALID_LIMIT_X
        bad = Row(job="4 enforce", case=f"{n:,} rows x 10, all bad", ours=_timing(b["ours_full_report"]),
                  theirs=_timing(b.get("mlflow_first_error")), theirs_label="MLflow 1st error",
                  note=f"full report: {b['problems']} problems, {b['rows_listed']} rows listed",
                  extra={"problems": b["problems"], "rows_listed": b["rows_listed"]})
        if n >= 1_000_000:
            bad.target = f"full report < {FULL_REPORT_LIMIT_S} s"
            bad.passed = bad.ours.median < FULL_REPORT_LIMIT_S
        rows += [valid, bad]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    data = measure(args.rows or [10_000, 100_000, 1_000_000], args.repeat)
    print_table(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
