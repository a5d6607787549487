"""The request for one deployment target: pick the target, the form and the input (file or drop),
read or edit the body, see whether the target accepts it, and copy it as JSON, curl or Python.

Building (which reads the input file) and checking run in background tasks; an edited body is
checked again after a short pause. Copy curl/Python use the body as shown, edits included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.deploy.request_bodies import TARGET_ORIENTS, TargetRequest
from mlmanager.core.jsonsafe import pretty_json
from mlmanager.ui import icons
from mlmanager.ui.pages.deploy.jobs import request_task, validate_task
from mlmanager.ui.pages.predict.input_panel import INPUT_FILTER, input_paths
from mlmanager.ui.widgets.common import SELECTABLE, Badge, ElidedLabel, monospace_font, muted_label

if TYPE_CHECKING:
    from mlmanager.core.deploy.request_bodies import RequestCheck, TargetRequest
    from mlmanager.ui.pages.base import PageContext
    from mlmanager.ui.pages.deploy.jobs import RequestBuild
    from mlmanager.ui.tasks import Task, TaskError

TARGETS = ("mlflow", "azureml", "databricks")
TARGET_LABELS = {
    "mlflow": "MLflow scoring server",
    "azureml": "Azure ML online endpoint",
    "databricks": "Databricks Model Serving",
}
ORIENT_LABELS = {
    "split": "dataframe_split",
    "records": "dataframe_records (deprecated)",
    "instances": "instances (rows)",
    "inputs": "inputs (columns or tensors)",
}
AZURE_ORIENT_LABELS = {"split": "input_data as a split DataFrame", "inputs": "input_data as a list or tensors"}
VALIDATE_DELAY_MS = 400
MAX_ROWS = 1000
MAX_SHOWN_PROBLEMS = 4
NO_INPUT_HINT = ("No request can be built: the model has no input example and no signature. Choose "
                 "an input file (CSV, JSON or Parquet) or drop one here.")


@dataclass(frozen=True)
class RequestSpec:
    """What the local-server try-out sends: the body shown (when it is in MLflow's protocol),
    else the input it was built from."""

    target: str
    text: str | None  # the body as shown, for mlflow/databricks
    input_path: str | None
    orient: str | None


def input_files(event_mime: Any) -> list[Path]:
    return input_paths(event_mime)


class RequestView(QWidget):
    """Target/form/input pickers, the editable body, its verdict and the copy buttons."""

    built = Signal(object)  # RequestBuild
    validated = Signal(object)  # RequestCheck
    copied = Signal(str)  # format
    export_requested = Signal(str)  # target
    busy_changed = Signal(bool)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("request-view")
        self.setAcceptDrops(True)
        self._doc: Any = None
        self._input_path: str | None = None
        self._build: RequestBuild | None = None
        self._check: RequestCheck | None = None
        self._edited = False
        self._setting = False
        self._build_task: Task | None = None
        self._validate_task: Task | None = None
        self._token = 0
        self.last_copied = ""

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)

        row = QHBoxLayout()
        row.addWidget(QLabel("Target:"))
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("request-target")
        self.target_combo.setAccessibleName("Deployment target")
        for t in TARGETS:
            self.target_combo.addItem(TARGET_LABELS[t], t)
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        row.addWidget(self.target_combo)
        row.addSpacing(8)
        row.addWidget(QLabel("Form:"))
        self.orient_combo = QComboBox()
        self.orient_combo.setObjectName("request-orient")
        self.orient_combo.setAccessibleName("Request form")
        self.orient_combo.currentIndexChanged.connect(self._on_orient_changed)
        row.addWidget(self.orient_combo)
        row.addStretch(1)
        lay.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(QLabel("Input:"))
        self.input_label = ElidedLabel()
        self.input_label.setObjectName("request-input")
        row.addWidget(self.input_label, 1)
        self.choose_button = QPushButton(icons.icon("open"), "Choose file…")
        self.choose_button.setToolTip("Build the request from a CSV, JSON or Parquet file (or drop one here)")
        self.choose_button.clicked.connect(self.ask_input_file)
        row.addWidget(self.choose_button)
        self.example_button = QToolButton()
        self.example_button.setIcon(icons.icon("close"))
        self.example_button.setAutoRaise(True)
        self.example_button.setToolTip("Forget the file: build the request from the model's input example again")
        self.example_button.clicked.connect(lambda: self.set_input_file(None))
        self.example_button.hide()
        row.addWidget(self.example_button)
        lay.addLayout(row)

        self.endpoint = muted_label()
        self.endpoint.setObjectName("request-endpoint")
        self.endpoint.setTextInteractionFlags(SELECTABLE)
        self.endpoint.setToolTip("Where and how the target takes this request (placeholders in $CAPS)")
        self.endpoint.hide()
        lay.addWidget(self.endpoint)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("request-editor")
        self.editor.setAccessibleName("Request body")
        self.editor.setFont(monospace_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setAcceptDrops(False)  # dropped files go to the view (input), not into the text
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText("The request body appears here.")
        self.editor.textChanged.connect(self._on_text_changed)
        lay.addWidget(self.editor, 1)

        self.notes = muted_label()
        self.notes.setObjectName("request-notes")
        self.notes.setTextInteractionFlags(SELECTABLE)
        self.notes.hide()
        lay.addWidget(self.notes)

        verdict = QHBoxLayout()
        verdict.setSpacing(8)
        self.badge_box = QHBoxLayout()
        verdict.addLayout(self.badge_box)
        self.badge: Badge | None = None
        self.verdict = QLabel()
        self.verdict.setObjectName("request-verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(SELECTABLE)
        self.verdict.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        verdict.addWidget(self.verdict, 1)
        lay.addLayout(verdict)

        buttons = QHBoxLayout()
        self.copy_json = QPushButton(icons.icon("copy"), "Copy JSON")
        self.copy_curl = QPushButton(icons.icon("copy"), "Copy curl")
        self.copy_python = QPushButton(icons.icon("copy"), "Copy Python")
        for fmt, b in (("json", self.copy_json), ("curl", self.copy_curl), ("python", self.copy_python)):
            b.setObjectName(f"copy-{fmt}")
            b.clicked.connect(lambda _c=False, f=fmt: self.copy(f))
            buttons.addWidget(b)
        self.copy_json.setToolTip("Copy the request body")
        self.copy_curl.setToolTip("Copy a curl command that sends this body to the target")
        self.copy_python.setToolTip("Copy a Python snippet (requests) that sends this body to the target")
        buttons.addStretch(1)
        self.reset_button = QPushButton("Undo edits")
        self.reset_button.setObjectName("request-reset")
        self.reset_button.setToolTip("Show the generated request again")
        self.reset_button.clicked.connect(self.reset_edits)
        self.reset_button.hide()
        buttons.addWidget(self.reset_button)
        self.export_button = QPushButton(icons.icon("file-json"), "Export OpenAPI…")
        self.export_button.setObjectName("export-openapi")
        self.export_button.setToolTip("Save an OpenAPI 3 document of this target's scoring endpoint "
                                      "(JSON or YAML, by the file name)")
        self.export_button.clicked.connect(lambda: self.export_requested.emit(self.target))
        buttons.addWidget(self.export_button)
        lay.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self._fill_orients()
        self._update_buttons()
        self._show_input_label()

    # -- state ---------------------------------------------------------------------------------
    @property
    def target(self) -> str:
        return self.target_combo.currentData() or "mlflow"

    @property
    def orient(self) -> str | None:
        return self.orient_combo.currentData()

    @property
    def input_path(self) -> str | None:
        return self._input_path

    @property
    def edited(self) -> bool:
        return self._edited

    @property
    def build_result(self) -> RequestBuild | None:
        return self._build

    @property
    def check(self) -> RequestCheck | None:
        return self._check

    def text(self) -> str:
        return self.editor.toPlainText()

    def is_busy(self) -> bool:
        return self._build_task is not None or self._validate_task is not None or self._timer.isActive()

    def request_spec(self) -> RequestSpec | None:
        if self._doc is None:
            return None
        text = self.text().strip()
        mlflow_protocol = self.target in ("mlflow", "databricks")
        if mlflow_protocol and text:
            return RequestSpec(self.target, text, self._input_path, self.orient)
        if self._build is not None and self._build.error and not self._input_path:
            return None
        return RequestSpec(self.target, None, self._input_path,
                           self.orient if self.orient in ("split", "inputs") else None)

    # -- model ---------------------------------------------------------------------------------
    def set_document(self, doc: Any) -> None:
        """Show the request of a (new) model: forget the input file and any edits."""
        self._doc = doc
        self._input_path = None
        self._show_input_label()
        self.rebuild()

    def clear(self, message: str = "") -> None:
        self.cancel()
        self._doc = None
        self._build = None
        self._check = None
        self._set_text("")
        self.editor.setPlaceholderText(message or "The request body appears here.")
        self._set_badge(None)
        self.verdict.setText("")
        self.notes.hide()
        self.endpoint.hide()
        self._update_buttons()

    def cancel(self) -> None:
        self._token += 1
        self._timer.stop()
        for task in (self._build_task, self._validate_task):
            if task is not None:
                task.cancel()
        self._build_task = self._validate_task = None
        self.busy_changed.emit(False)

    # -- pickers -------------------------------------------------------------------------------
    def set_target(self, target: str) -> None:
        i = self.target_combo.findData(target)
        if i < 0:
            raise ValueError(f"unknown target {target!r}")
        self.target_combo.setCurrentIndex(i)

    def set_orient(self, orient: str | None) -> None:
        i = self.orient_combo.findData(orient)
        if i < 0:
            raise ValueError(f"the {self.target} target has no {orient!r} form")
        self.orient_combo.setCurrentIndex(i)

    def _fill_orients(self) -> None:
        current = self.orient_combo.currentData()
        labels = AZURE_ORIENT_LABELS if self.target == "azureml" else ORIENT_LABELS
        self.orient_combo.blockSignals(True)
        self.orient_combo.clear()
        self.orient_combo.addItem("Automatic", None)
        for o in TARGET_ORIENTS[self.target]:
            self.orient_combo.addItem(labels.get(o, o), o)
        i = self.orient_combo.findData(current)
        self.orient_combo.setCurrentIndex(max(i, 0))
        self.orient_combo.blockSignals(False)

    def _on_target_changed(self, _i: int) -> None:
        self._fill_orients()
        self.rebuild()

    def _on_orient_changed(self, _i: int) -> None:
        self.rebuild()

    def ask_input_file(self) -> None:
        start = str(Path(self._input_path).parent) if self._input_path else str(Path.home())
        path = self.ctx.prompter.open_file(self, "Build the request from an input file", start, INPUT_FILTER)
        if path:
            self.set_input_file(path)

    def set_input_file(self, path: str | Path | None) -> None:
        self._input_path = str(path) if path is not None else None
        self._show_input_label()
        self.rebuild()

    def _show_input_label(self, source: str | None = None) -> None:
        self.example_button.setVisible(self._input_path is not None)
        if self._input_path is not None:
            name = Path(self._input_path).name
            self.input_label.setText(f"{name}  (first {MAX_ROWS:,} rows at most)")
            self.input_label.setToolTip(self._input_path)
            return
        if source is None:
            text = "the model's input example"
        elif source == "signature":
            text = "placeholder values from the signature (no input example)"
        else:
            text = f"the model's {source}"
        self.input_label.setText(text)
        self.input_label.setToolTip("Choose a file (or drop one here) to build the request from your own data")

    # -- building and checking -------------------------------------------------------------------
    def rebuild(self) -> None:
        self.cancel()
        if self._doc is None:
            return
        token = self._token
        self._edited = False
        self.reset_button.hide()
        self._set_badge("Building", "info")
        self.verdict.setText(f"Building the request for the {TARGET_LABELS[self.target]}…")
        task = self.ctx.tasks.start(request_task, self._doc, self.target, self._input_path, self.orient,
                                    MAX_ROWS, name="deploy request")
        self._build_task = task
        self.busy_changed.emit(True)
        task.succeeded.connect(lambda b, t=token: self._built(t, b))
        task.failed.connect(lambda err, t=token: self._build_failed(t, err))

    def _built(self, token: int, build: RequestBuild) -> None:
        if token != self._token:
            return
        self._build_task = None
        self._build = build
        if build.error:
            no_input = "no input example and no input signature" in build.error and not self._input_path
            self._set_text("")
            self.editor.setPlaceholderText(NO_INPUT_HINT if no_input else "No request could be built.")
            self._set_badge("No request", "warning" if no_input else "error")
            self.verdict.setText("Choose an input file to build the request." if no_input
                                 else f"No request could be built: {build.error}")
            if no_input:
                self.input_label.setText("none: the model has no input example and no signature")
            self._check = None
            self.notes.hide()
            self.endpoint.hide()
        else:
            assert build.request is not None
            self._set_text(pretty_json(build.request.body))
            self._show_input_label(None if self._input_path else build.request.source)
            self._show_endpoint(build.request)
            self._show_notes(build.notes)
            self._show_check(build.check)
        self._update_buttons()
        self.busy_changed.emit(self.is_busy())
        self.built.emit(build)

    def _build_failed(self, token: int, err: TaskError) -> None:
        err.handled = True
        if token != self._token:
            return
        self._build_task = None
        self._set_badge("Failed", "error")
        self.verdict.setText(f"The request could not be built: {err}")
        self._update_buttons()
        self.busy_changed.emit(self.is_busy())

    def _on_text_changed(self) -> None:
        if self._setting:
            return
        self._edited = True
        self.reset_button.setVisible(self._build is not None and self._build.request is not None)
        self._update_buttons()
        if self._doc is not None:
            self._timer.start()

    def validate_now(self) -> None:
        """Check the body as shown (edited or not) with the target's rules, in the background."""
        self._timer.stop()
        if self._doc is None:
            return
        if self._validate_task is not None:
            self._validate_task.cancel()
        self._token += 1
        token = self._token
        text = self.text()
        if not text.strip():
            self._validate_task = None
            self._set_badge("Empty", "warning")
            self.verdict.setText("The body is empty.")
            self.busy_changed.emit(self.is_busy())
            return
        self._set_badge("Checking", "info")
        task = self.ctx.tasks.start(validate_task, self._doc, text, self.target, name="deploy request check")
        self._validate_task = task
        self.busy_changed.emit(True)
        task.succeeded.connect(lambda c, t=token: self._validated(t, c))
        task.failed.connect(lambda err, t=token: self._build_failed(t, err))

    def _validated(self, token: int, check: RequestCheck) -> None:
        if token != self._token:
            return
        self._validate_task = None
        self._show_check(check)
        self.busy_changed.emit(self.is_busy())

    def _show_check(self, check: RequestCheck | None) -> None:
        self._check = check
        if check is None:
            self._set_badge(None)
            self.verdict.setText("")
            return
        where = TARGET_LABELS[check.target]
        form = f" ({check.form})" if check.form else ""
        if check.valid:
            self._set_badge("Accepted", "ok", check.semantics)
            lines = [f"The {where} accepts this request{form}."]
            lines += [f"⚠ {p.message.splitlines()[0]}" for p in check.warnings[:MAX_SHOWN_PROBLEMS]]
        else:
            self._set_badge("Rejected", "error", check.semantics)
            n = len(check.errors)
            lines = [f"The {where} rejects this request{form}: {n} problem{'s' if n != 1 else ''}."]
            for p in check.errors[:MAX_SHOWN_PROBLEMS]:
                where_col = f"[{p.column}] " if p.column is not None else ""
                text = f"• {where_col}{p.message.splitlines()[0]}"
                if p.fix:
                    text += f" — fix: {p.fix}"
                lines.append(text)
            if n > MAX_SHOWN_PROBLEMS:
                lines.append(f"… and {n - MAX_SHOWN_PROBLEMS} more")
        self.verdict.setText("\n".join(lines))
        self.verdict.setToolTip(check.semantics)
        self.validated.emit(check)

    def _show_endpoint(self, request: TargetRequest) -> None:
        headers = "  ·  ".join(f"{k}: {v}" for k, v in request.headers().items())
        self.endpoint.setText(f"POST {request.url}  ·  {headers}")
        self.endpoint.show()

    def _show_notes(self, notes: list[str]) -> None:
        self.notes.setText("\n".join(f"ℹ {n}" for n in notes))
        self.notes.setVisible(bool(notes))

    def _set_badge(self, text: str | None, level: str = "info", tip: str = "") -> None:
        if self.badge is not None:
            self.badge_box.removeWidget(self.badge)
            self.badge.deleteLater()
            self.badge = None
        if text is not None:
            self.badge = Badge(text, level, tip)
            self.badge.setObjectName("request-badge")
            self.badge_box.addWidget(self.badge)

    def _set_text(self, text: str) -> None:
        self._setting = True
        try:
            self.editor.setPlainText(text)
        finally:
            self._setting = False

    def reset_edits(self) -> None:
        if self._build is not None and self._build.request is not None:
            self._timer.stop()
            self._set_text(pretty_json(self._build.request.body))
            self._edited = False
            self.reset_button.hide()
            self._show_check(self._build.check)
            self._update_buttons()

    # -- rendering and copying -------------------------------------------------------------------
    def current_request(self) -> TargetRequest | None:
        """The request as shown (edits included); None when the text is not JSON."""
        base = self._build.request if self._build is not None else None
        if base is not None and not self._edited:
            return base
        try:
            body = json.loads(self.text())
        except ValueError:
            return None
        if base is not None:
            return TargetRequest(base.target, base.orient, body, base.source, list(base.notes),
                                  base.content_type, base.input)
        return TargetRequest(self.target, self.orient or "edited", body, "edited")

    def render(self, fmt: str) -> str | None:
        """The shown request as ``json`` (the text itself), ``curl`` or ``python``."""
        if fmt == "json":
            text = self.text()
            return text if text.strip() else None
        request = self.current_request()
        if request is None:
            return None
        return request.render(fmt)

    def copy(self, fmt: str) -> bool:
        text = self.render(fmt)
        if text is None:
            self.ctx.status("Nothing to copy: the body is empty or not valid JSON")
            return False
        QGuiApplication.clipboard().setText(text)
        self.last_copied = text
        self.ctx.status({"json": "Request body copied", "curl": "curl command copied",
                         "python": "Python snippet copied"}.get(fmt, "Copied"))
        self.copied.emit(fmt)
        return True

    def _update_buttons(self) -> None:
        has_text = bool(self.text().strip())
        parses = self.current_request() is not None if has_text else False
        self.copy_json.setEnabled(has_text)
        for b in (self.copy_curl, self.copy_python):
            b.setEnabled(parses)
            if has_text and not parses:
                b.setToolTip("The body is not valid JSON")
        self.export_button.setEnabled(self._doc is not None)

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._doc is not None and input_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._doc is not None and input_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = input_files(event.mimeData())
        if self._doc is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.set_input_file(paths[0])

