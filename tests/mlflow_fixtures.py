"""Real ``mlflow server`` fixtures for every test folder (a pytest plugin, see conftest.py).

Session-scoped: one server per xdist worker at most, shared by the registry tests and the
desktop tests of registries. ``mlflow`` is a test extra: without it these fixtures skip. The
MLflow 2.x server runs from its own uv-built environment (``mlflow_server.MLFLOW2_ENV``), and
its oracle is MLflow 2's own client run there (``mlflow2_client.py``, beside this file).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_server import MlflowServer, mlflow2_python
from support.author_env import RecipeBuildError, child_environ

MLFLOW2_CLIENT = Path(__file__).resolve().parent / "mlflow2_client.py"


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


@pytest.fixture
def memory_keyring() -> Any:
    """A fresh in-memory keyring backend (``memory_keyring.MemoryKeyring``): secrets a test saves
    land in its ``items``, never in the user's OS keyring."""
    from memory_keyring import MemoryKeyring  # imports keyring's backends: only when used

    return MemoryKeyring()


@pytest.fixture(scope="session")
def mlflow2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow 2.x server (``mlflow_server.MLFLOW2_ENV``, built with uv and cached)."""
    pytest.importorskip("mlflow")
    try:
        python = mlflow2_python()
    except RecipeBuildError as exc:
        pytest.fail(f"the MLflow 2.x server's environment could not be built: {exc}",
                    pytrace=False)
    server = MlflowServer(tmp_path_factory.mktemp("mlflow2-server"), python=str(python))
    with server:
        yield server


class Mlflow2Client:
    """MLflow 2.x's own client in the server's environment (``mlflow2_client.py``)."""

    def __init__(self, server: MlflowServer, work: Path) -> None:
        self.server, self.work = server, work

    def __call__(self, *requests: tuple[str, dict[str, Any]]) -> list[Any]:
        answers = self.work / f"answers-{uuid.uuid4().hex}.json"
        env = {k: v for k, v in child_environ().items() if not k.startswith("MLFLOW_")}
        done = subprocess.run(
            [self.server.python, str(MLFLOW2_CLIENT), self.server.url, json.dumps(requests),
             str(answers)], env=env, cwd=self.work, capture_output=True, text=True,
            errors="replace", timeout=600)
        if done.returncode != 0:
            raise AssertionError(f"MLflow 2.x's client failed on {requests!r} (exit "
                                 f"{done.returncode}):\n{done.stderr[-4000:]}")
        return json.loads(answers.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mlflow2_client(mlflow2_server: MlflowServer,
                   tmp_path_factory: pytest.TempPathFactory) -> Mlflow2Client:
    return Mlflow2Client(mlflow2_server, tmp_path_factory.mktemp("mlflow2-client"))
