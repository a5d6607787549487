"""Model-environment fixtures for every test folder (a pytest plugin, see conftest.py): one
environment cache shared by the tests of a run (xdist workers included: the cache's own lock
makes concurrent builds of one environment safe, so a warm environment is built once) and a
small sklearn model to build one for (``env_models.write_model``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from env_models import write_model


@pytest.fixture(scope="session")
def shared_env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment cache for the whole run (shared by xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / "shared-env-cache"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def sklearn_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("models") / "sklearn-1.3.0")
