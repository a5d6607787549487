"""The Deploy tab's local MLflow server in the model's own environment: a real old model
(scikit-learn 1.3 / MLflow 2.9 / Python 3.10, from the test model factory) that this app's
Python cannot load is served by `mlflow models serve` from its uv-built environment, and
mlmanager's own prediction, made in that environment too, agrees with the server's."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import open_deploy
from PySide6.QtCore import Qt

from mlmanager.core.environments.builder import build
from mlmanager.core.environments.cache import EnvironmentCache
from mlmanager.core.environments.plan import plan_build
from mlmanager.core.environments.spec import read_spec

pytestmark = [pytest.mark.envbuild, pytest.mark.slow]
pytest_plugins = ["deploy_fixtures"]


def test_serve_in_the_model_environment_and_compare_there(
        qtbot, deploy_window, prompter, built_model, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(tmp_path / "environments"))
    model = built_model("sklearn13-py310")
    env = build(plan_build(read_spec(model.model_dir), cache=EnvironmentCache()),
                consent=True).environment
    page = open_deploy(qtbot, deploy_window, model.model_dir, timeout=60_000)
    page.tabs.setCurrentWidget(page.server)
    panel = page.server
    qtbot.mouseClick(panel.model_env_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.python_edit.text() == str(env.python), timeout=60_000)
    assert "mlflow 2.9.2" in panel.status.text()

    prompter.answers.extend([True, True])
    panel.start()
    qtbot.waitUntil(lambda: panel.last_comparison is not None or panel.state == "failed",
                    timeout=300_000)
    assert panel.state == "running", panel.status.text() + panel.log_view.toPlainText()[-2000:]
    assert panel.ready.command[0] == str(env.python)
    assert panel.last_reply.result.status == 200
    assert panel.last_answer.ok, panel.last_answer
    assert panel.last_comparison.title == "Same predictions", panel.last_comparison.text
    assert str(panel._client.python) == str(env.python)  # mlmanager's side ran there too
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._session is None, timeout=60_000)
