"""The benchmark suite's entry point imports and lists every job of the issue (no measuring)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import run  # noqa: E402


def test_registry_lists_jobs_1_to_9():
    assert sorted(run.JOBS) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for number, job in run.JOBS.items():
        assert job.number == number
        assert job.module.startswith("benchmarks.bench_")
        assert job.target


def test_only_selects_by_number_and_name():
    assert [j.number for j in run.select("5,scan")] == [3, 5]
    assert [j.number for j in run.select(None)] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(SystemExit):
        run.select("nope")
