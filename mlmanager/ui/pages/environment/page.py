"""Environment tab: the model's own environment (``model_environment``: state, Build, Rebuild,
Remove, the log), then requirement ▸ required ▸ this app ▸ status ▸ the model's environment,
and the Python version check.

The check runs in the background (it asks importlib.metadata about every requirement). The
table first shows the file MLflow itself reads (requirements.txt, else conda.yaml's pip
section, else python_env.yaml); the other environment files can be picked from the combo box.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.environments import requirements as env
from mlmanager.core.environments.model_state import ModelEnvironmentState
from mlmanager.core.environments.requirements import _normalize as normal_name
from mlmanager.core.errors import MlmanagerError
from mlmanager.ui import icons, theme
from mlmanager.ui.environments.builds import environment_builds
from mlmanager.ui.models.tables import RowsModel
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.environment.model_environment import ModelEnvironmentPanel
from mlmanager.ui.widgets.common import Badge, Banner, compact_rows, muted_label

if TYPE_CHECKING:
    from mlmanager.ui.store import ModelEntry
    from mlmanager.ui.tasks import Task, TaskError

STATUS_TEXT = {"ok": "OK", "mismatch": "Version mismatch", "missing": "Not installed",
               "unparseable": "Not a package"}
STATUS_ICON = {"ok": "ok", "mismatch": "warning", "missing": "error", "unparseable": "info"}
HEADERS = ["Requirement", "Required", "In this app", "Status"]
ENV_HEADER = "In its environment"


@dataclass
class EnvReport:
    check: Any  # core.environment.EnvironmentCheck
    files: dict[str, list[Any]] = field(default_factory=dict)  # file -> [RequirementStatus]
    file_python: dict[str, str | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def environment_task(state: Any, doc: Any) -> EnvReport:
    """Runs in a worker thread: MLflow's check plus a table for every environment file."""
    from importlib import metadata

    check = env.check_environment(doc)
    report = EnvReport(check)

    def lookup(name: str) -> str | None:
        try:
            return metadata.version(name)
        except Exception:  # noqa: BLE001 - not installed or broken metadata
            return None

    interp = env.InterpreterInfo(sys.executable, platform.python_version(), lookup)
    names = {"requirements.txt": "requirements.txt", **{
        k: v for k, v in env.env_file_names(doc).items()}}
    for label, rel in names.items():
        if state is not None and state.cancelled:
            break
        try:
            if not doc.files.is_readable_file(rel):
                continue
            raw = doc.files.read_bytes(rel, max_bytes=env.MAX_ENV_BYTES)
            python = None
            if label == "requirements.txt":
                lines = env.parse_requirements_text(raw.decode("utf-8", "replace"))
            elif label == "conda":
                python, lines = env.parse_conda_yaml(raw, rel)
            else:
                python, _build, lines = env.parse_python_env_yaml(raw, rel)
        except MlmanagerError as exc:
            report.errors[rel] = exc.message
            continue
        report.files[rel] = [env.check_requirement(line, interp) for line in lines]
        report.file_python[rel] = python
    return report


class EnvironmentPage(ModelPage):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(8)
        self.builds = environment_builds(ctx)
        self.model_env = ModelEnvironmentPanel(self.builds, ctx.tasks)
        self.model_env.state_shown.connect(self._on_model_env)
        lay.addWidget(self.model_env)
        py_row = QHBoxLayout()
        self.python_icon = QLabel()
        self.python_icon.setPixmap(icons.icon("python").pixmap(20, 20))
        py_row.addWidget(self.python_icon)
        self.python_label = QLabel()
        self.python_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        py_row.addWidget(self.python_label)
        self.python_badge_row = QHBoxLayout()
        py_row.addLayout(self.python_badge_row)
        py_row.addStretch(1)
        lay.addLayout(py_row)
        self.python_badge: Badge | None = None

        src_row = QHBoxLayout()
        src_row.addWidget(QLabel("Requirements from:"))
        self.source_combo = QComboBox()
        self.source_combo.setAccessibleName("Environment file")
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        src_row.addWidget(self.source_combo)
        self.summary = muted_label()
        src_row.addWidget(self.summary, 1)
        lay.addLayout(src_row)

        self.banner = Banner()
        self.banner.hide()
        lay.addWidget(self.banner)

        self.model = RowsModel(HEADERS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Requirements")
        compact_rows(self.table)
        self._apply_header_modes()
        self.model.modelReset.connect(self._apply_header_modes)
        lay.addWidget(self.table, 1)
        self.problems = muted_label()
        lay.addWidget(self.problems)
        self._task: Task | None = None
        self._report: EnvReport | None = None
        self._env_packages: dict[str, str] | None = None  # the model environment's, when ready

    def _apply_header_modes(self) -> None:
        h = self.table.horizontalHeader()
        if h.count() >= len(HEADERS):
            for col in range(h.count()):
                h.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
            h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            h.setStretchLastSection(False)

    def _on_model_env(self, state: ModelEnvironmentState) -> None:
        env = state.environment
        packages = None if env is None else {normal_name(k): v for k, v in env.packages.items()}
        if packages != self._env_packages:
            self._env_packages = packages
            index = self.source_combo.currentIndex()
            if index >= 0 and self._report is not None:
                self._fill(self.source_combo.itemData(index))
            if self._report is not None and self._report.check.message:
                self._show_mismatch(self._report.check.message)

    # ------------------------------------------------------------------------------------------

    def show_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._report = None
        self.model.clear()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.blockSignals(False)
        self.banner.hide()
        self.problems.hide()
        self._env_packages = None
        self.model_env.show_model(entry.doc.location if entry is not None and entry.doc is not None
                                  else None)
        if entry is None or entry.doc is None:
            self.python_label.setText("The environment cannot be checked: the model could not be read.")
            self._set_python_badge(None)
            self.summary.setText("")
            return
        cached = entry.cache.get("environment")
        if isinstance(cached, EnvReport):
            self._show_report(cached)
            return
        self.python_label.setText("Checking the environment…")
        self._set_python_badge(None)
        task = self.ctx.tasks.start(environment_task, entry.doc, name="environment check")
        self._task = task
        task.succeeded.connect(lambda rep, t=task, e=entry: self._done(t, e, rep))
        task.failed.connect(lambda err, t=task: self._failed(t, err))

    def _done(self, task: Task, entry: ModelEntry, report: EnvReport) -> None:
        entry.cache["environment"] = report
        if task is not self._task or entry is not self.entry:
            return
        self._task = None
        self._show_report(report)

    def _failed(self, task: Task, err: TaskError) -> None:
        err.handled = err.expected
        if task is not self._task:
            return
        self._task = None
        self.python_label.setText(f"The environment check failed: {err.message}")

    def _set_python_badge(self, status: str | None, tip: str = "") -> None:
        if self.python_badge is not None:
            self.python_badge_row.removeWidget(self.python_badge)
            self.python_badge.deleteLater()
            self.python_badge = None
        if status is None:
            return
        level, text = {"ok": ("ok", "Python matches"), "mismatch": ("warning", "Python differs")}.get(
            status, ("info", "Python version unknown"))
        self.python_badge = Badge(text, level, tip)
        self.python_badge.setObjectName("python-badge")
        self.python_badge_row.addWidget(self.python_badge)

    def _show_report(self, report: EnvReport) -> None:
        self._report = report
        check = report.check
        py = check.python
        required = py.required or "not recorded"
        self.python_label.setText(f"Python: the model was saved with <b>{required}</b>; this app runs "
                                  f"<b>{py.current}</b>")
        self._set_python_badge(py.status, check.python_message or "Same major.minor version")
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        first = check.source
        files = list(report.files)
        if first in files:
            files.remove(first)
            files.insert(0, first)
        for f in files:
            label = f"{f}  (what MLflow reads)" if f == first else f
            self.source_combo.addItem(icons.icon("file-env"), label, f)
        self.source_combo.blockSignals(False)
        self.source_combo.setEnabled(bool(files))
        self.model_env.set_hint("not needed to predict: this app's Python has what the model "
                                "was saved with" if check.ok else "")
        if check.message:
            self._show_mismatch(check.message)
        else:
            self.banner.hide()
        problems = list(check.problems) + [f"{k}: {v}" for k, v in report.errors.items()]
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))
        if files:
            self._fill(files[0])
        else:
            self.model.clear()
            self.summary.setText("No requirements file in the model.")

    def _show_mismatch(self, message: str) -> None:
        """MLflow's warning about this app's Python; milder once the model's own environment
        (the panel above) is ready."""
        text = message.replace(" - ", "• ")
        if self._env_packages is not None:
            self.banner.show_message("info", "This app's Python does not match the model; its "
                                     "own environment (above) is ready to run it", text)
        else:
            self.banner.show_message("warning", "This app's Python does not match the model: "
                                     "build the model's own environment to run it as saved", text)

    def _on_source_changed(self, index: int) -> None:
        if index >= 0 and self._report is not None:
            self._fill(self.source_combo.itemData(index))

    def _fill(self, rel: str) -> None:
        assert self._report is not None
        statuses = self._report.files.get(rel, [])
        c = theme.current_colors()
        colour = {"ok": QColor(c.ok), "mismatch": QColor(c.warning), "missing": QColor(c.error),
                  "unparseable": QColor(c.muted)}
        rows, icon_map, tips, colours = [], {}, {}, {}
        in_env = self._env_packages
        headers = HEADERS if in_env is None else [*HEADERS, ENV_HEADER]
        for i, r in enumerate(statuses):
            row = [r.name or "—", r.required, r.installed or "not installed",
                   STATUS_TEXT.get(r.status, r.status)]
            if in_env is not None:  # the last column: the colour says whether it is there
                version = in_env.get(normal_name(r.name or ""))
                row.append(version or "not installed")
            rows.append(row)
            icon_map[i] = icons.icon(STATUS_ICON.get(r.status, "unknown"))
            tips[i] = r.note or (r.mlflow_text() if r.status in ("mismatch", "missing") else "")
            colours[i] = colour.get(r.status, QColor(c.text))
            if in_env is not None:
                colours[i] = QColor(c.ok if row[-1] != "not installed" else c.error)
        self.model.set_rows(headers, rows, icons=icon_map, tips=tips, colours=colours, icon_column=3)
        bad = sum(1 for r in statuses if r.status in ("mismatch", "missing"))
        python = self._report.file_python.get(rel)
        text = f"{len(statuses)} requirement{'s' if len(statuses) != 1 else ''}"
        text += f", {bad} not satisfied" if bad else ", all satisfied"
        if python:
            text += f" · asks for Python {python}"
        self.summary.setText(text)
