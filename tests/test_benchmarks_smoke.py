"""The benchmark suite's entry point imports and lists every job of the issue (no measuring)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import run  # noqa: E402


def test_registry_lists_jobs_1_to_11():
    assert sorted(run.JOBS) == list(range(1, 12))
    for number, job in run.JOBS.items():
        assert job.number == number
        assert job.module.startswith("benchmarks.bench_")
        assert job.target
        assert callable(importlib.import_module(job.module).run)  # what the suite runner calls


def test_only_selects_by_number_and_name():
    assert [j.number for j in run.select("5,scan")] == [3, 5]
    assert [j.number for j in run.select(None)] == list(range(1, 12))
    assert [j.number for j in run.select("registry-gui,11")] == [10, 11]
    with pytest.raises(SystemExit):
        run.select("nope")
