"""The registry tests need ``mlflow`` (a test extra). The real server fixtures every test folder
uses (``mlflow_server``, ``auth_server``, ``client_env``) are ``tests/mlflow_fixtures.py``'s; the
MLflow 2.x server and its own client are here."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_server import MlflowServer, mlflow2_python
from support.author_env import RecipeBuildError, child_environ

MLFLOW2_CLIENT = Path(__file__).resolve().parent / "mlflow2_client.py"

mlflow = pytest.importorskip("mlflow")


@pytest.fixture(scope="session")
def mlflow2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow 2.x server (``mlflow_server.MLFLOW2_ENV``, built with uv and cached)."""
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
