"""Shared fixtures: the model corpus copied into `tests/corpus` (see `corpus_paths.py`), the
model factory's `built_model` (real models saved by old library versions: `support/`), real
`mlflow server`s (`mlflow_fixtures.py`), prediction workers (`worker_fixtures.py`) and model
environments (`env_fixtures.py`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from corpus_paths import MODELS, WILD

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["support.fixtures", "mlflow_fixtures", "worker_fixtures", "env_fixtures"]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return MODELS


@pytest.fixture(scope="session")
def wild_models() -> Path:
    return WILD


@pytest.fixture
def copy_model(tmp_path: Path):
    """Copy a corpus model folder to a writable temp dir (the corpus is read-only)."""

    def _copy(src: Path, name: str | None = None) -> Path:
        dest = tmp_path / (name or src.name)
        shutil.copytree(src, dest, symlinks=True)
        for p in [dest, *dest.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o200)
        return dest

    return _copy
