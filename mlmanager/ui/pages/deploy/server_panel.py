"""“Try it on a local MLflow server”: start ``mlflow models serve`` for the model on 127.0.0.1,
send the request of the Request tab, and show the server's real answer next to mlmanager's own
prediction (the worker), with a live log tail and a Stop button.

The server loads the model with MLflow, which runs code from the model's files, so it starts
only after the user trusts the model file (the prompter seam; trust is remembered per SHA-256 in
the Predict tab's trust store). Everything slow runs in background tasks; Stop (or closing the
app) ends the server in the session task's thread.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.environments.model_state import model_environment_state
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.jsonsafe import pretty_json
from mlmanager.core.safety import SAFE_LISTED
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.ui import icons
from mlmanager.ui.pages.deploy.server_session import (
    STOP,
    Comparison,
    Prepared,
    ScanResult,
    ServerReady,
    ServerReply,
    SessionEnd,
    WorkerAnswer,
    close_client_task,
    compare,
    scan_task,
    serve_session,
    worker_task,
)
from mlmanager.ui.pages.predict.trust_panel import open_trust_store, trust_question
from mlmanager.ui.settings import Settings
from mlmanager.ui.widgets.common import SELECTABLE, Badge, CodeView, style_role

if TYPE_CHECKING:
    from mlmanager.core.safety import SafetyReport
    from mlmanager.predict.worker_client import WorkerClient
    from mlmanager.ui.pages.base import PageContext
    from mlmanager.ui.pages.deploy.request_view import RequestSpec
    from mlmanager.ui.tasks import Task, TaskError, TaskState

INTRO = (
    "Starts <b>mlflow models serve --env-manager local</b> for this model on 127.0.0.1 (not "
    "reachable from other computers), sends the request from the Request tab, and shows the "
    "server's real answer next to mlmanager's own prediction. The server loads the model with "
    "MLflow, which runs code from the model's files, so it asks you to trust the model first."
)
IDLE_TEXT = "Start the server to send the request of the Request tab to it."
STATE_BADGES = {
    "idle": ("Not running", "info"),
    "checking": ("Checking the model", "info"),
    "starting": ("Starting", "warning"),
    "running": ("Running", "ok"),
    "stopping": ("Stopping", "warning"),
    "failed": ("Failed", "error"),
}
SAFE_QUESTION = (
    "{path}\n\nmlmanager's scan found only allow-listed imports in the model file (SHA-256 "
    "{sha}). The MLflow server, however, loads it with MLflow's own loader and runs it outside "
    "mlmanager's limited worker, with your permissions.\n\nStart a local MLflow server for this model?"
)
UNCHECKED_QUESTION = (
    "{path}\n\nmlmanager could not check the model file ({why}). The MLflow server loads the "
    "model with MLflow, which runs code from its files with your permissions.\n\nStart it anyway?"
)


def default_python() -> str:
    """The interpreter that runs the server: this one, unless the app is frozen (no ``-m``)."""
    if getattr(sys, "frozen", False):
        return shutil.which("python3") or shutil.which("python") or ""
    return sys.executable


def _model_environment_task(state: TaskState, model_dir: str) -> Any:
    return model_environment_state(model_dir)


def _remembered_python() -> str | None:
    """The interpreter the user chose last time, if it still exists."""
    return Settings().server_python


def _remember_python(text: str) -> None:
    text = text.strip()
    Settings().server_python = text if text and text != default_python() else None  # default: forget it


class ServerPanel(QWidget):
    """Start/stop a local server, send the current request, compare with the worker."""

    state_changed = Signal(str)
    compared = Signal(object)  # Comparison
    busy_changed = Signal(bool)

    def __init__(self, ctx: PageContext, request_source: Callable[[], RequestSpec | None], *,
                 python: str | None = None, worker_factory: Callable[[], WorkerClient] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server-panel")
        self.ctx = ctx
        self._request_source = request_source
        self._worker_factory = worker_factory
        self._doc: Any = None
        self._model_dir: str | None = None
        self._model_key: str | None = None
        self._client: WorkerClient | None = None
        self._trusted: frozenset[str] = frozenset()
        self._session_trust: set[str] = set()
        self._session: Task | None = None
        self._model_env_python: str | None = None  # set by use_model_environment
        self._client_python: str | None = None  # the comparison worker's, when not the app's
        self._commands: queue.Queue[Any] | None = None
        self._scan: Task | None = None
        self._workers: list[Task] = []  # mlmanager's predictions (only the latest is shown)
        self._closing: list[Task] = []
        self._token = 0
        self._prepared: Prepared | None = None
        self._replies: dict[int, ServerReply] = {}
        self._answers: dict[int, WorkerAnswer] = {}
        self._sent: set[int] = set()
        self._close_after_worker = False
        self.state = "idle"
        self.last_comparison: Comparison | None = None
        self.last_reply: ServerReply | None = None
        self.last_answer: WorkerAnswer | None = None
        self.ready: ServerReady | None = None
        self.end: SessionEnd | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        style_role(intro, "muted")
        lay.addWidget(intro)

        row = QHBoxLayout()
        row.addWidget(QLabel("Python with mlflow:"))
        self.python_edit = QLineEdit(python if python is not None else _remembered_python() or default_python())
        self.python_edit.setObjectName("server-python")
        if python is None:  # an interpreter given by the caller (tests) is not remembered
            self.python_edit.editingFinished.connect(lambda: _remember_python(self.python_edit.text()))
        self.python_edit.setToolTip("The interpreter that runs 'python -m mlflow models serve' "
                                    "(it must have mlflow and the model's packages installed)")
        row.addWidget(self.python_edit, 1)
        self.model_env_button = QPushButton(icons.icon("package"), "The model's environment")
        self.model_env_button.setObjectName("server-model-env")
        self.model_env_button.setToolTip("Serve with the model's own environment (its Python and "
                                         "packages, built in the Environment tab)")
        self.model_env_button.clicked.connect(self.use_model_environment)
        row.addWidget(self.model_env_button)
        lay.addLayout(row)

        row = QHBoxLayout()
        self.start_button = QPushButton(icons.icon("run"), "Start server and send")
        self.start_button.setObjectName("server-start")
        self.start_button.setDefault(False)
        self.start_button.clicked.connect(self.start)
        self.send_button = QPushButton(icons.icon("reload"), "Send again")
        self.send_button.setObjectName("server-send")
        self.send_button.setToolTip("Send the request as it is now in the Request tab")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton(icons.icon("cancel"), "Stop")
        self.stop_button.setObjectName("server-stop")
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.start_button)
        row.addWidget(self.send_button)
        row.addWidget(self.stop_button)
        row.addSpacing(8)
        self.badge_box = QHBoxLayout()
        row.addLayout(self.badge_box)
        self.badge: Badge | None = None
        self.status = QLabel()
        self.status.setObjectName("server-status")
        self.status.setTextInteractionFlags(SELECTABLE)
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        lay.addLayout(row)

        verdict = QHBoxLayout()
        self.verdict_box = QHBoxLayout()
        verdict.addLayout(self.verdict_box)
        self.verdict_badge: Badge | None = None
        self.verdict = QLabel()
        self.verdict.setObjectName("server-verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(SELECTABLE)
        verdict.addWidget(self.verdict, 1)
        lay.addLayout(verdict)

        split = QSplitter(Qt.Orientation.Vertical)
        answers = QSplitter(Qt.Orientation.Horizontal)
        self.server_title, self.server_view, box = _titled_code("MLflow server's response", "server-response")
        answers.addWidget(box)
        self.worker_title, self.worker_view, box = _titled_code("mlmanager's prediction (worker)", "worker-response")
        answers.addWidget(box)
        split.addWidget(answers)
        self.log_title, self.log_view, box = _titled_code("Server log", "server-log")
        self.log_view.setMaximumBlockCount(2000)
        split.addWidget(box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        self._set_state("idle", IDLE_TEXT)

    # -- model -----------------------------------------------------------------------------------
    def set_model(self, key: str | None, model_dir: str | None, doc: Any, is_zip: bool = False) -> None:
        """Show another model: a server of the previous one is stopped."""
        if key != self._model_key:
            self._token += 1  # answers still coming for the previous model are dropped
            self.stop()
            self._close_client()
            self._model_env_python = None
            self._trusted = frozenset()
            self._clear_answers()
            self.log_view.clear()
        self._model_key = key
        self._doc = doc
        self._model_dir = None if is_zip else model_dir
        if self._session is None and self._scan is None:
            if doc is None:
                self._set_state("idle", "The model could not be read.")
            elif is_zip:
                self._set_state("idle", "The local server serves model folders: unzip the model first.")
            else:
                self._set_state("idle", IDLE_TEXT)

    def use_model_environment(self) -> Task | None:
        """Put the model's own environment's interpreter in "Python with mlflow" (read in a
        task; an environment not built yet, or without mlflow, is said instead)."""
        if self._doc is None or self._model_dir is None:
            return None
        task = self.ctx.tasks.start(_model_environment_task, self._model_dir,
                                    name="model environment")
        key = self._model_key
        task.succeeded.connect(lambda state, k=key: self._model_environment(k, state))
        task.failed.connect(lambda err: self._set_state("failed", err.message)
                            or setattr(err, "handled", True))
        return task

    def _model_environment(self, key: str | None, state: Any) -> None:
        if key != self._model_key or self._session is not None:
            return
        env = state.environment
        if env is None:
            self._set_state("idle", "The model's environment is not built yet: build it in the "
                            "Environment tab, then serve with it.")
        elif "mlflow" not in env.packages:
            self._set_state("idle", f"The model's environment {env.name} has no mlflow: it "
                            "cannot run 'mlflow models serve'.")
        else:
            self.python_edit.setText(str(env.python))
            self._model_env_python = str(env.python)
            self._set_state("idle", f"Serving with the model's environment {env.name} "
                            f"(Python {env.python_version}, mlflow {env.packages['mlflow']}); "
                            "mlmanager's own prediction runs there too.")

    def is_busy(self) -> bool:
        return self._session is not None or self._scan is not None or bool(self._workers) or bool(self._closing)

    @property
    def running(self) -> bool:
        return self.state == "running"

    # -- actions ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Check the model file, ask for trust, start the server and send the request."""
        if self._session is not None or self._scan is not None:
            return
        if self._doc is None or self._model_dir is None:
            self._set_state("idle", "Open a model folder first (zip archives cannot be served).")
            return
        if self._request_source() is None:
            self._set_state("idle", "No request to send: build one in the Request tab (choose an input file).")
            return
        self.end = None
        self._clear_answers()
        self._set_state("checking", "Checking the model file in the worker…")
        client = self._ensure_client()
        task = self.ctx.tasks.start(scan_task, client, self._model_dir, name="deploy scan")
        self._scan = task
        task.succeeded.connect(lambda r, t=task: self._scanned(t, r))
        task.failed.connect(lambda err, t=task: self._scan_failed(t, err))
        task.cancelled.connect(lambda t=task: self._scan_cancelled(t))
        self._busy()

    def send(self) -> None:
        """Send the current request to the running server (and predict it in the worker)."""
        if self.state != "running":
            return
        spec = self._request_source()
        if spec is None:
            self.status.setText("No request to send: build one in the Request tab.")
            return
        self._clear_answers()
        self._start_worker(spec)

    def stop(self) -> None:
        """Stop the server (and a scan or prediction in progress)."""
        if self._scan is not None:
            self._scan.cancel()
        for task in list(self._workers):
            task.cancel()
        if self._session is not None:
            if self._commands is not None:
                self._commands.put(STOP)
            self._session.cancel()
            self._set_state("stopping", "Stopping the server…")

    def shutdown(self) -> None:
        """Stop everything; the worker process is closed in the background."""
        self.stop()
        self._close_client()

    # -- trust -----------------------------------------------------------------------------------
    def _scanned(self, task: Task, result: ScanResult) -> None:
        if task is not self._scan:
            return
        if task.state.cancelled:  # Stop while scanning: no trust question
            self._scan_cancelled(task)
            return
        self._scan = None
        self._busy()
        trusted = self._ensure_trust(result)
        if trusted is None:
            return
        self._trusted = trusted
        self._start_session()

    def _scan_failed(self, task: Task, err: TaskError) -> None:
        err.handled = True
        if task is self._scan:
            self._scan = None
            self._set_state("failed", f"The model file could not be checked: {err}")
            self._busy()

    def _scan_cancelled(self, task: Task) -> None:
        if task is self._scan:
            self._scan = None
            self._set_state("idle", "Cancelled.")
            self._busy()

    def _trust_store(self) -> Any:
        try:
            return open_trust_store()
        except MlmanagerError:
            return None

    def _ensure_trust(self, result: ScanResult) -> frozenset[str] | None:
        """The SHA-256s to trust in the worker, or None when the server must not start."""
        assert self._model_dir is not None
        parent = self.window()
        report: SafetyReport | None = result.report
        if report is None:
            why = f"{result.failure.title}: {result.failure.message}" if result.failure else "unknown"
            if not self.ctx.prompter.confirm(parent, "Start a local MLflow server?",
                                             UNCHECKED_QUESTION.format(path=self._model_dir, why=why)):
                self._set_state("idle", "Not started: the model was not trusted.")
                return None
            return frozenset()
        sha = report.sha256 or ""
        path = str(Path(self._model_dir) / (report.file or ""))
        if report.classification != SAFE_LISTED and not report.needs_trust:
            self._set_state("failed", f"mlmanager never loads this model file ({report.classification}): "
                                      f"{report.summary}")
            return None
        store = self._trust_store()
        known = sha and (sha in self._session_trust or (store is not None and store.is_trusted(sha)))
        if known:
            return frozenset({sha}) if report.needs_trust else frozenset()
        if report.classification == SAFE_LISTED:
            question = SAFE_QUESTION.format(path=path, sha=sha[:16] + "…" if sha else "unknown")
        else:
            question = trust_question(report, path).replace(
                "Trust this file and run it?", "Trust this file and start a local MLflow server with it?")
        if not self.ctx.prompter.confirm(parent, "Start a local MLflow server?", question):
            self._set_state("idle", "Not started: the model was not trusted.")
            return None
        if sha:
            self._session_trust.add(sha)
            if report.needs_trust and store is not None:
                try:
                    store.reload()
                    store.trust(sha, path=path, classification=report.classification)
                except Exception as exc:  # noqa: BLE001 - remembered for this session only
                    self.ctx.status(f"Trust is remembered for this session only: {exc}")
        return frozenset({sha}) if report.needs_trust and sha else frozenset()

    # -- session ---------------------------------------------------------------------------------
    def _start_session(self) -> None:
        assert self._model_dir is not None
        spec = self._request_source()
        if spec is None:
            self._set_state("idle", "No request to send.")
            return
        python = self.python_edit.text().strip() or None
        if python is not None and not (os.path.isabs(python) or shutil.which(python)):
            self._set_state("failed", f"Python interpreter not found: {python}")
            return
        self._commands = queue.Queue()
        self.ready = None
        self.log_view.clear()
        task = self.ctx.tasks.start(serve_session, self._model_dir, python, self._commands,
                                    name="local mlflow server")
        self._session = task
        task.partial.connect(self._on_session_events)
        task.succeeded.connect(lambda end, t=task: self._session_ended(t, end))
        task.failed.connect(lambda err, t=task: self._session_failed(t, err))
        task.cancelled.connect(lambda t=task: self._session_ended(t, SessionEnd("stopped", "Stopped.")))
        self._set_state("starting", "Starting the server (MLflow imports take a few seconds)…")
        self._start_worker(spec)
        self._busy()

    def _on_session_events(self, events: list[Any]) -> None:
        for kind, value in events:
            if kind == "log":
                self._show_log(value)
            elif kind == "ready":
                self.ready = value
                self._set_state("running", f"Running on http://127.0.0.1:{value.port} "
                                           f"(ready in {value.startup_seconds:.1f} s)")
                self._post_prepared()
            elif kind == "reply":
                self._on_reply(value)

    def _session_ended(self, task: Task, end: SessionEnd) -> None:
        if task is not self._session:
            return
        self._session = None
        self._commands = None
        self.end = end
        if end.log:
            self._show_log(end.log)
        if end.reason == "failed":
            self._set_state("failed", f"The server did not start: {end.message}")
        elif end.reason == "exited":
            self._set_state("failed", end.message)
        else:
            self._set_state("idle", end.message)
        if not self._workers:
            self._release_client()
        else:
            self._close_after_worker = True  # let mlmanager's prediction finish first
        self._busy()

    def _session_failed(self, task: Task, err: TaskError) -> None:
        err.handled = True
        self._session_ended(task, SessionEnd("failed", str(err)))

    # -- requests --------------------------------------------------------------------------------
    def _start_worker(self, spec: RequestSpec) -> None:
        assert self._model_dir is not None
        self._token += 1
        self._prepared = None
        client = self._ensure_client()  # one call at a time: an older prediction finishes first
        task = self.ctx.tasks.start(worker_task, client, self._model_dir, self._trusted, self._doc, spec,
                                    self._token, name="deploy worker prediction")
        self._workers.append(task)
        token = self._token
        task.partial.connect(self._on_worker_events)
        task.succeeded.connect(lambda a, t=task: self._on_answer(t, a))
        task.failed.connect(lambda err, t=task, k=token: self._worker_failed(t, k, err))
        task.cancelled.connect(lambda t=task: self._worker_done(t))
        self.worker_title.setText("mlmanager's prediction (worker): predicting…")
        self._busy()

    def _on_worker_events(self, events: list[Any]) -> None:
        for kind, value in events:
            if kind == "prepared" and value.token == self._token:
                self._prepared = value
                if value.error:
                    self.status.setText(f"No request could be built: {value.error}")
                self._post_prepared()

    def _post_prepared(self) -> None:
        p = self._prepared
        if p is None or p.error or self.state != "running" or self._commands is None or p.token in self._sent:
            return
        self._sent.add(p.token)
        self.server_title.setText("MLflow server's response: waiting…")
        self._commands.put((p.token, p.text, "application/json"))

    def _on_reply(self, reply: ServerReply) -> None:
        if reply.token != self._token:
            return
        self.last_reply = reply
        r = reply.result
        if r is None:
            self.server_title.setText("MLflow server's response: none")
            self.server_view.setPlainText(reply.error or "")
        else:
            self.server_title.setText(f"MLflow server's response: HTTP {r.status} · {r.seconds * 1000:.0f} ms")
            self.server_view.setPlainText(pretty_json(r.json) if r.json is not None else r.body)
        self._maybe_compare()

    def _on_answer(self, task: Task, answer: WorkerAnswer) -> None:
        self._worker_done(task)
        if answer.token != self._token:
            return
        self.last_answer = answer
        if answer.ok:
            n = len(answer.predictions) if isinstance(answer.predictions, list) else 1
            self.worker_title.setText(f"mlmanager's prediction (worker): {n} row{'s' if n != 1 else ''} · "
                                      f"{answer.seconds:.1f} s · {answer.ran_by}")
            self.worker_view.setPlainText(pretty_json({"predictions": answer.predictions}))
        elif answer.rejected is not None:
            self.worker_title.setText("mlmanager's prediction (worker): not run")
            lines = ["mlmanager's check rejects this request as the MLflow server parses it:"]
            lines += [f"• {p.message.splitlines()[0]}" for p in answer.rejected.errors[:6]]
            self.worker_view.setPlainText("\n".join(lines))
        else:
            f = answer.failure
            self.worker_title.setText(f"mlmanager's prediction (worker): {f.title}")
            self.worker_view.setPlainText(f"{f.message}\n\n{f.details}".strip())
        self._maybe_compare()

    def _worker_failed(self, task: Task, token: int, err: TaskError) -> None:
        err.handled = True
        self._worker_done(task)
        if token == self._token:
            self.worker_title.setText("mlmanager's prediction (worker): failed")
            self.worker_view.setPlainText(str(err))

    def _worker_done(self, task: Task) -> None:
        if task in self._workers:
            self._workers.remove(task)
            if self._close_after_worker and self._session is None and not self._workers:
                self._close_after_worker = False
                self._release_client()
        self._busy()

    def _maybe_compare(self) -> None:
        reply, answer = self.last_reply, self.last_answer
        if reply is None or answer is None or reply.token != answer.token or reply.token != self._token:
            return
        result = compare(reply, answer)
        self.last_comparison = result
        self._set_verdict(result)
        self.compared.emit(result)

    # -- display ---------------------------------------------------------------------------------
    def _clear_answers(self) -> None:
        self.last_reply = None
        self.last_answer = None
        self.last_comparison = None
        self.server_title.setText("MLflow server's response")
        self.worker_title.setText("mlmanager's prediction (worker)")
        self.server_view.clear()
        self.worker_view.clear()
        self._set_verdict(None)

    def _set_verdict(self, comparison: Comparison | None) -> None:
        if self.verdict_badge is not None:
            self.verdict_box.removeWidget(self.verdict_badge)
            self.verdict_badge.deleteLater()
            self.verdict_badge = None
        if comparison is None:
            self.verdict.setText("")
            return
        self.verdict_badge = Badge(comparison.title, comparison.level)
        self.verdict_badge.setObjectName("server-verdict-badge")
        self.verdict_box.addWidget(self.verdict_badge)
        self.verdict.setText(comparison.text)

    def _show_log(self, text: str) -> None:
        self.log_view.setPlainText(text)
        bar = self.log_view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        label, level = STATE_BADGES[state]
        if self.badge is not None:
            self.badge_box.removeWidget(self.badge)
            self.badge.deleteLater()
        self.badge = Badge(label, level)
        self.badge.setObjectName("server-state")
        self.badge_box.addWidget(self.badge)
        self.status.setText(text)
        active = state in ("checking", "starting", "running")
        can_start = self._doc is not None and self._model_dir is not None
        self.start_button.setEnabled(can_start and not active and state != "stopping")
        self.send_button.setEnabled(state == "running")
        self.stop_button.setEnabled(active)
        self.python_edit.setEnabled(not active and state != "stopping")
        self.state_changed.emit(state)

    def _busy(self) -> None:
        self.busy_changed.emit(self.is_busy())

    # -- worker client ---------------------------------------------------------------------------
    def _comparison_python(self) -> str | None:
        """mlmanager's own prediction runs where the server runs when that is the model's
        environment (the app's Python may not load the model); else in the app's worker."""
        env_python = self._model_env_python
        return env_python if env_python and self.python_edit.text().strip() == env_python else None

    def _ensure_client(self) -> WorkerClient:
        python = self._comparison_python()
        if self._client is not None and python != self._client_python:
            self._close_client()  # the server's interpreter changed: so does the comparison's
        if self._client is None:
            self._client_python = python
            if python is not None:
                self._client = WorkerClient(python=python, timeout=120.0)
            elif self._worker_factory is not None:
                self._client = self._worker_factory()
            else:
                self._client = WorkerClient(timeout=120.0)
        return self._client

    def _release_client(self) -> None:
        """After a session: keep a clean worker warm for the next start; stop one in which
        trusted model code ran (it must not serve anything else)."""
        client = self._client
        info = client.loaded if client is not None else None
        if info is not None and (info.trusted or info.classification != "SAFE-LISTED"):
            self._close_client()

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        task = self.ctx.tasks.start(close_client_task, client, name="close deploy worker")
        self._closing.append(task)
        task.finished.connect(lambda t=task: self._closed(t))
        task.failed.connect(lambda err: setattr(err, "handled", True))

    def _closed(self, task: Task) -> None:
        if task in self._closing:
            self._closing.remove(task)
        self._busy()


def _titled_code(title: str, name: str) -> tuple[QLabel, CodeView, QWidget]:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    label = QLabel(title)
    style_role(label, "subheading")
    view = CodeView()
    view.setObjectName(name)
    lay.addWidget(label)
    lay.addWidget(view, 1)
    return label, view, box

