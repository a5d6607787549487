"""The core never imports Qt; the worker and the prediction session never import Qt or the UI;
inspect stays light."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import mlmanager.core
import mlmanager.predict
import mlmanager.worker

REPO = Path(__file__).resolve().parents[1]

_BLOCK_QT = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked in this test: ' + name)
        return None
sys.meta_path.insert(0, Block())
import importlib
for name in NAMES:
    importlib.import_module(name)
print('ok')
"""


def _modules(package) -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        if not m.name.endswith("__main__")
    ]


def _run_blocked(names: list[str]) -> subprocess.CompletedProcess:
    code = f"NAMES = {names!r}\n" + _BLOCK_QT
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_every_core_module_imports_without_qt() -> None:
    names = _modules(mlmanager.core)
    assert "mlmanager.core.signature.schema" in names
    proc = _run_blocked(names)
    assert proc.returncode == 0, proc.stderr


def test_every_worker_module_imports_without_qt() -> None:
    names = _modules(mlmanager.worker)
    proc = _run_blocked(names)
    assert proc.returncode == 0, proc.stderr


def test_every_predict_module_imports_without_qt() -> None:
    names = _modules(mlmanager.predict)
    assert "mlmanager.predict.input_helper" in names
    proc = _run_blocked(names)
    assert proc.returncode == 0, proc.stderr


def test_core_and_worker_sources_never_mention_qt_imports() -> None:
    offenders = []
    for folder in ("core", "worker", "predict"):
        for path in (REPO / "mlmanager" / folder).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                if stripped.startswith(("import ", "from ")) and any(
                    q in stripped for q in ("PySide6", "shiboken6", "mlmanager.ui")
                ):
                    offenders.append(f"{path}: {stripped}")
    assert offenders == []


def test_inspect_path_does_not_import_pandas_or_sklearn(models_dir: Path) -> None:
    model = models_dir / "iris_logreg_colspec"
    code = (
        "import sys, json\n"
        "from mlmanager.core.model.summary import inspect_model\n"
        f"inspect_model({str(model)!r})\n"
        "heavy = sorted(m for m in ('pandas', 'sklearn', 'numpy', 'PySide6', 'mlflow') "
        "if m in sys.modules)\n"
        "print(json.dumps(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
