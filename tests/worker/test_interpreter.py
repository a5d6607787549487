"""The worker runs in another interpreter with only that environment's packages."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest
import worker_builders as wb
from support.author_env import RecipeBuildError, find_interpreter
from support.interpreters import on_ci

from mlmanager.core.safety import KNOWN_DANGEROUS, SAFE_LISTED, UNTRUSTED_IMPORTS
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.errors import MissingDependencyError, WorkerStartError


def _bare_python() -> str:
    """A Python >= 3.10 without numpy: the system's, else a pyenv one (CI provides those)."""
    candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
    for minor in ("3.13", "3.12", "3.10"):
        with contextlib.suppress(RecipeBuildError):
            candidates.append(str(find_interpreter(minor)))
    for candidate in candidates:
        path = shutil.which(candidate)
        if not path:
            continue
        probe = subprocess.run([path, "-I", "-c", "import sys; assert sys.version_info >= (3, 10); "
                                "import importlib.util as u; assert u.find_spec('numpy') is None"],
                               capture_output=True)
        if probe.returncode == 0:
            return path
    if on_ci():
        pytest.fail("no Python >= 3.10 without numpy on this machine (.ci/run provides pyenv's)")
    pytest.skip("no Python >= 3.10 without numpy on this machine")


def test_bare_interpreter_scans_with_the_stdlib_walker(tmp_path: Path) -> None:
    python = _bare_python()
    with WorkerClient(python, cache_dir=tmp_path / "cache", timeout=60) as client:
        bad = wb.write_model(tmp_path / "bad", wb.m01(tmp_path / "marker"))
        report = client.scan(bad)
        assert report.classification == KNOWN_DANGEROUS
        assert "picklescan" not in report.scanner  # not installed there: our walker alone
        plain = wb.write_model(tmp_path / "plain", b"\x80\x04]\x94(K\x01K\x02e.")
        assert client.scan(plain).classification == SAFE_LISTED
        rf = wb.write_model(tmp_path / "rf", wb.m16())
        assert client.scan(rf).classification == UNTRUSTED_IMPORTS  # no sklearn there
        skops = wb.write_model(tmp_path / "sk", b"PK\x05\x06" + b"\0" * 18, filename="model.skops",
                               fmt="skops")
        with pytest.raises(MissingDependencyError, match="skops is not installed"):
            client.scan(skops)
    assert not (tmp_path / "marker").exists()


def test_pyfunc_without_mlflow_is_refused_clearly(tmp_path: Path, models_dir: Path, copy_model) -> None:
    python = _bare_python()
    folder = copy_model(models_dir / "ticket_triage_pyfunc_params")
    with WorkerClient(python, cache_dir=tmp_path / "cache", timeout=60) as client:
        report = client.scan(folder)
        with pytest.raises(MissingDependencyError, match="needs mlflow"):
            client.load(folder, {report.sha256})


def test_missing_interpreter() -> None:
    with pytest.raises(WorkerStartError, match="not found"):
        WorkerClient("/nonexistent/python3")
