"""Shared fixtures: the read-only model corpus beside the repository (``../shared``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_MODELS = SHARED / "mlflow-models"
WILD_MODELS = SHARED / "mlflow-models-wild"


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"model corpus not found at {SHARED_MODELS}")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def wild_models() -> Path:
    if not WILD_MODELS.is_dir():
        pytest.skip(f"wild MLmodel corpus not found at {WILD_MODELS}")
    return WILD_MODELS


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
