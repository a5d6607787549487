"""“Try it on a local MLflow server”: trust through the prompter, a real ``mlflow models serve``
on loopback for one model, its answer compared with the worker's, Stop, and the comparison rules.

The real-server tests need mlflow in this interpreter and are skipped without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from corpus_paths import MODELS
from deploy_helpers import copy_model, open_deploy
from PySide6.QtCore import Qt

from mlmanager.core.deploy.local_server import ServeResult
from mlmanager.core.deploy.request_bodies import check_request
from mlmanager.core.model.mlmodel import load_model
from mlmanager.ui.pages.deploy.server_session import ServerReply, WorkerAnswer, compare, same

IRIS = MODELS / "iris_logreg_colspec"
needs_mlflow = pytest.mark.skipif(importlib.util.find_spec("mlflow") is None,
                                  reason="mlflow is not installed in this interpreter")
pytest_plugins = ["deploy_fixtures"]  # deploy_window, signature_stub, no_signature_page


def _open_server_tab(qtbot, win, tmp_path: Path):
    model = copy_model(IRIS, tmp_path / "iris")
    page = open_deploy(qtbot, win, model)
    page.tabs.setCurrentWidget(page.server)
    return page, model


@needs_mlflow
@pytest.mark.slow
def test_local_server_trust_stop_and_answers_like_the_worker(
    qtbot, deploy_window, prompter, tmp_path: Path
) -> None:
    """One flow (server start-up costs seconds): decline trust, then trust and stop while the
    server starts, then run it for real, compare with the worker, send a bad body, Stop."""
    from mlmanager.core.child_process import group_alive

    page, model = _open_server_tab(qtbot, deploy_window, tmp_path)
    panel = page.server
    # 1. declining the trust prompt starts nothing
    prompter.answers.extend([False, True])
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=60_000)
    confirms = [c for c in prompter.calls if c.kind == "confirm"]
    assert len(confirms) == 1 and str(model) in confirms[0].text
    assert panel.state == "idle" and "not trusted" in panel.status.text()
    assert panel._session is None and panel.ready is None
    # 2. trusted (the prompter seam), then stopped while the server is starting
    panel.start()
    qtbot.waitUntil(lambda: panel.state in ("starting", "failed"), timeout=60_000)
    assert panel.state == "starting", panel.status.text()
    assert not panel.stop_button.isHidden() and panel.stop_button.isEnabled()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._session is None, timeout=60_000)
    assert panel.state == "idle" and panel.end.reason == "stopped" and panel.ready is None
    # 3. started for real: trusted for this session now, so no second question
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=60_000)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_comparison is not None or panel.state == "failed", timeout=300_000)
    assert panel.state == "running", panel.status.text()
    assert [c.kind for c in prompter.calls].count("confirm") == 2
    assert panel.last_comparison.title == "Same predictions", panel.last_comparison.text
    reply, answer = panel.last_reply, panel.last_answer
    assert reply.result.status == 200
    check = check_request(load_model(model), page.request_view.text(), "mlflow")
    assert check.valid and answer.ok
    assert reply.result.predictions == answer.predictions == [0, 1, 2]
    assert "HTTP 200" in panel.server_title.text()
    ready = panel.ready
    assert ready.command[ready.command.index("-h") + 1] == "127.0.0.1"
    qtbot.waitUntil(lambda: "POST /invocations" in panel.log_view.toPlainText(), timeout=10_000)
    # 4. an edited body the schema rejects: both sides reject it
    page.request_view.editor.setPlainText('{"dataframe_split": {"columns": ["sepal length (cm)"], "data": [["x"]]}}')
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_comparison is not None, timeout=60_000)
    assert panel.last_reply.result.status == 400
    assert panel.last_comparison.title == "Both reject"
    # 5. Stop ends the server and its whole process group
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._session is None, timeout=60_000)
    assert panel.state == "idle" and panel.end.reason == "stopped"
    assert ready.pid is not None and not group_alive(ready.pid)
    assert panel.start_button.isEnabled() and not panel.send_button.isEnabled()


def _reply(status: int, predictions) -> ServerReply:
    body = {"predictions": predictions} if status == 200 else {"error_code": "BAD_REQUEST"}
    return ServerReply(1, ServeResult(status, "", body))


def test_comparison_rules() -> None:
    doc = load_model(IRIS)
    bad = check_request(doc, '{"dataframe_split": {"columns": ["x"], "data": [[1]]}}', "mlflow")
    assert not bad.valid
    assert compare(_reply(200, [0, 1, 2]), WorkerAnswer(1, [0, 1, 2])).title == "Same predictions"
    assert compare(_reply(200, [0.1, 0.2]), WorkerAnswer(1, [0.1 + 1e-15, 0.2])).level == "ok"
    diff = compare(_reply(200, [0, 1, 2]), WorkerAnswer(1, [0, 2, 2]))
    assert diff.level == "error" and "row 1" in diff.text
    assert compare(_reply(400, None), WorkerAnswer(1, rejected=bad)).title == "Both reject"
    assert compare(_reply(200, [0]), WorkerAnswer(1, rejected=bad)).level == "warning"
    assert compare(_reply(400, None), WorkerAnswer(1, [0])).title == "Server rejected"
    assert compare(ServerReply(1, None, "connection refused"), WorkerAnswer(1, [0])).title == "No answer"
    assert same({"a": [1, 2.0]}, {"a": [1.0, 2]}) and not same([True], [1])


@needs_mlflow
@pytest.mark.slow
def test_closing_the_model_on_another_tab_stops_its_server(
    qtbot, deploy_window, prompter, tmp_path: Path
) -> None:
    """The server belongs to its model: closing the model while the Overview is shown (the
    Deploy tab hidden, so it is not told by show_entry) stops the server and its process group."""
    page, _model = _open_server_tab(qtbot, deploy_window, tmp_path)
    panel = page.server
    prompter.answers.append(True)
    panel.start()
    qtbot.waitUntil(lambda: panel.state in ("starting", "running", "failed"), timeout=60_000)
    assert panel.state in ("starting", "running"), panel.status.text()
    assert panel._session is not None
    deploy_window.view.set_current_page("overview")
    deploy_window.close_current()
    qtbot.waitUntil(lambda: panel._session is None and not panel.is_busy(), timeout=60_000)
    assert panel.state == "idle" and page.entry is None


def test_the_server_interpreter_is_remembered(qtbot, tmp_path: Path) -> None:
    """"Python with mlflow" survives a restart (settings); going back to the default forgets it."""
    from mlmanager.ui.pages.base import PageContext
    from mlmanager.ui.pages.deploy.server_panel import ServerPanel, default_python
    from mlmanager.ui.prompter import RecordingPrompter
    from mlmanager.ui.tasks import TaskManager

    ctx = PageContext(TaskManager(), RecordingPrompter(), None, lambda *_a, **_k: None, lambda *_a: None)
    other = tmp_path / "venv-python"
    other.write_text("")
    panel = ServerPanel(ctx, lambda: None)
    qtbot.addWidget(panel)
    assert panel.python_edit.text() == default_python()
    panel.python_edit.setText(str(other))
    panel.python_edit.editingFinished.emit()
    again = ServerPanel(ctx, lambda: None)
    qtbot.addWidget(again)
    assert again.python_edit.text() == str(other)
    other.unlink()  # gone: the default comes back
    assert ServerPanel(ctx, lambda: None).python_edit.text() == default_python()
    other.write_text("")
    again.python_edit.setText(default_python())
    again.python_edit.editingFinished.emit()
    assert ServerPanel(ctx, lambda: None).python_edit.text() == default_python()
