"""Start-up stays light (issue 16 item 7; ``benchmarks/`` measures the time): ``inspect --json``
and the desktop app, up to the window showing a model settled (what ``--screenshot`` waits for,
so past the first paint), import none of the heavy libraries.

Real processes, read with ``python -X importtime``, which lists every module the process
imported, on any thread.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "sklearn", "scipy", "pyarrow", "mlflow", "requests", "keyring")
#: stdlib modules ``inspect --json`` does without (issue 16 item 7: <= 1.8x the floor): importing
#: ``dataclasses`` pulls in ``inspect`` (+ ast, dis, tokenize: ~7 ms) and each dataclass costs
#: ~0.4 ms to define, so the types on that path are ``core.structs.Struct`` subclasses; ``typing``
#: costs ~4 ms, so the modules on that path import it under ``if TYPE_CHECKING:`` only, with
#: ``TYPE_CHECKING = False`` (annotations are strings: ``from __future__ import annotations``)
NOT_FOR_INSPECT = ("dataclasses", "inspect", "ast", "dis", "typing")
#: what the window does without until it is used (benchmarks/README.md, job 1: each was measured):
#: the registry's UI and clients (with ssl, http, email, sqlite3) and the transfer commands are
#: made on first use, hashlib (OpenSSL) comes with the demo copier, ctypes with the None-refcount
#: cure only the bindings that need it apply
NOT_FOR_THE_WINDOW = ("ssl", "http", "email", "sqlite3", "hashlib", "ctypes", "platform",
                      "mlmanager.ui.registry.controller", "mlmanager.ui.registry.panel",
                      "mlmanager.core.remote.http", "mlmanager.ui.transfer.controller")
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)\s*$", re.MULTILINE)


def imported_modules(importtime_stderr: str) -> set[str]:
    """The modules a ``-X importtime`` run imported."""
    return set(_IMPORT_LINE.findall(importtime_stderr))


def imported_packages(importtime_stderr: str) -> set[str]:
    """Top-level names of the modules a ``-X importtime`` run imported."""
    return {name.split(".")[0] for name in imported_modules(importtime_stderr)}


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def test_importtime_lines_are_read() -> None:
    sample = ("import time: self [us] | cumulative | imported package\n"
              "import time:       120 |        120 |   numpy.core\n"
              "import time:        80 |        200 | yaml\n")
    assert imported_packages(sample) == {"numpy", "yaml"}


def test_inspect_json_imports_no_heavy_module(models_dir: Path, tmp_path: Path) -> None:
    model = models_dir / "iris_logreg_colspec"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlmanager", "inspect", str(model), "--json"],
                          cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"signature"' in proc.stdout
    packages = imported_packages(proc.stderr)
    assert "yaml" in packages  # the list is read: the MLmodel parser is in it
    assert sorted(packages.intersection(HEAVY)) == []
    assert "PySide6" not in packages
    assert sorted(packages.intersection(NOT_FOR_INSPECT)) == [], (
        "inspect --json imported a module it does without (see NOT_FOR_INSPECT): find the importer "
        "with python -X importtime -m mlmanager inspect MODEL --json"
    )


def test_window_showing_a_model_imports_no_heavy_module(models_dir: Path, tmp_path: Path) -> None:
    model = models_dir / "iris_logreg_colspec"
    shot = tmp_path / "overview.png"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlmanager", str(model), "--screenshot", str(shot)],
                          cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shot.is_file()
    assert "did not finish" not in proc.stderr  # settled: the model loaded, nothing left running
    packages = imported_packages(proc.stderr)
    assert "PySide6" in packages
    assert sorted(packages.intersection(HEAVY)) == []
    modules = imported_modules(proc.stderr)
    assert "mlmanager.ui.main_window" in modules
    assert sorted((packages | modules).intersection(NOT_FOR_THE_WINDOW)) == [], (
        "the window imported something it makes on first use (see NOT_FOR_THE_WINDOW): find the "
        "importer with python -X importtime -m mlmanager MODEL --screenshot x.png")
