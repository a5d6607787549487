"""Real ``mlflow server`` fixtures for every test folder (a pytest plugin, see conftest.py).

Session-scoped: one server per xdist worker at most, shared by the registry tests and the
desktop tests of registries. ``mlflow`` is a test extra: without it these fixtures skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow_server import MlflowServer


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    pytest.importorskip("mlflow")
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    with server:
        yield server


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    pytest.importorskip("mlflow")
    pytest.importorskip("flask_wtf", reason="mlflow[auth] (the test extra installs it)")
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-auth-server"), app_name="basic-auth",
                          env={"MLFLOW_AUTH_ADMIN_PASSWORD": "admin-secret-1234",
                               "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret-key"})
    with server:
        yield server


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No stray MLflow credentials or URIs from the caller; a private download cache and a
    private folder of downloaded copies."""
    for key in list(os.environ):
        if key.startswith("MLFLOW_TRACKING_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    cache = tmp_path / "cache"
    monkeypatch.setenv("MLMANAGER_DOWNLOAD_CACHE", str(cache))
    monkeypatch.setenv("MLMANAGER_COPIES", str(tmp_path / "copies"))
    return cache
