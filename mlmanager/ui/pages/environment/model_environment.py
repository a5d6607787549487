"""The Environment tab's top panel: this model's own environment (not built / building / ready /
failed), the interpreter and why, packages and size; Build, Rebuild, Remove, Cancel, the log.

A thin view over ``EnvironmentBuilds`` (``ui/environments/builds.py``), which owns the tasks;
the panel follows one model at a time and keeps nothing the controller does not know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.environments.model_state import (
    BUILDING,
    FAILED,
    NOT_BUILT,
    READY,
    UNAVAILABLE,
    ModelEnvironmentState,
)
from mlmanager.core.library.paths import display_path
from mlmanager.core.sizes import format_size
from mlmanager.ui import icons
from mlmanager.ui.environments.builds import BUILD, BuildOutcome, EnvironmentBuilds
from mlmanager.ui.environments.log_dialog import BuildLogDialog
from mlmanager.ui.widgets.common import Badge, Banner, CodeView, muted_label, style_role

if TYPE_CHECKING:
    from mlmanager.ui.tasks import TaskManager

LEVEL = {READY: "ok", NOT_BUILT: "info", BUILDING: "info", FAILED: "error", UNAVAILABLE: "warning"}
LOG_VIEW_LINES = 2000  # lines kept in the live view (the file has them all)


class ModelEnvironmentPanel(QFrame):
    """One model's environment; ``state_shown`` fires after each state is displayed."""

    state_shown = Signal(object)  # ModelEnvironmentState

    def __init__(self, builds: EnvironmentBuilds, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-environment")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.builds = builds
        self.tasks = tasks
        self.model: str | None = None
        self.state: ModelEnvironmentState | None = None
        self.log_dialog: BuildLogDialog | None = None
        self._log_path: str | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(4)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(icons.icon("package").pixmap(20, 20))
        head.addWidget(icon)
        title = QLabel("The model's own environment")
        style_role(title, "subheading")
        head.addWidget(title)
        self.badge_row = QHBoxLayout()
        head.addLayout(self.badge_row)
        self.badge: Badge | None = None
        head.addStretch(1)
        self.build_button = QPushButton(icons.icon("package"), "Build environment")
        self.build_button.setObjectName("env-build")
        self.build_button.setToolTip("Install the model's requirements into an environment of its "
                                     "own (you see the packages and agree first)")
        self.rebuild_button = QPushButton(icons.icon("reload"), "Rebuild")
        self.rebuild_button.setObjectName("env-rebuild")
        self.rebuild_button.setToolTip("Remove this environment and build it again")
        self.remove_button = QPushButton(icons.icon("close"), "Remove")
        self.remove_button.setObjectName("env-remove")
        self.remove_button.setToolTip("Delete this environment from the disk")
        self.cancel_button = QPushButton(icons.icon("cancel"), "Cancel")
        self.cancel_button.setObjectName("env-cancel")
        self.log_button = QPushButton(icons.icon("file-text"), "Log")
        self.log_button.setObjectName("env-log")
        self.log_button.setCheckable(True)
        self.log_button.setToolTip("Show the installer's output")
        for b in (self.build_button, self.rebuild_button, self.remove_button, self.cancel_button,
                  self.log_button):
            head.addWidget(b)
        lay.addLayout(head)

        self.python_label = QLabel()
        self.python_label.setObjectName("env-python")
        self.python_label.setWordWrap(True)
        self.python_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.python_label)
        self.hint = ""  # from the page: whether this app's Python already fits the model
        self.details = muted_label()
        self.details.setObjectName("env-details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.details)

        self.progress_row = QWidget()
        prog = QHBoxLayout(self.progress_row)
        prog.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        self.progress_text = muted_label()
        self.progress_text.setObjectName("env-progress")
        prog.addWidget(self.progress)
        prog.addWidget(self.progress_text, 1)
        lay.addWidget(self.progress_row)

        self.banner = Banner()
        self.banner.setObjectName("env-banner")
        self.banner.hide()
        self.banner.action_clicked.connect(self.show_full_log)
        lay.addWidget(self.banner)
        self.log = CodeView()
        self.log.setObjectName("env-log-view")
        self.log.setMaximumBlockCount(LOG_VIEW_LINES)
        self.log.setMinimumHeight(140)
        self.log.hide()
        lay.addWidget(self.log)

        self.build_button.clicked.connect(self.build)
        self.rebuild_button.clicked.connect(self.rebuild)
        self.remove_button.clicked.connect(self.remove)
        self.cancel_button.clicked.connect(self.cancel)
        self.log_button.toggled.connect(self.log.setVisible)
        builds.state_changed.connect(self._on_state)
        builds.state_failed.connect(self._on_state_failed)
        builds.job_changed.connect(self._on_job_changed)
        builds.progress.connect(self._on_progress)
        builds.log_lines.connect(self._on_lines)
        builds.finished.connect(self._on_finished)
        builds.environments_changed.connect(self.refresh)
        self._show_nothing("")

    # -- following a model -----------------------------------------------------------------
    def show_model(self, model: str | None) -> None:
        """Follow ``model`` (its ``ModelDocument.location``; None: nothing to show)."""
        self.model = model
        self.state = None
        self.hint = ""
        self.banner.hide()
        self.log.clear()
        self.progress_text.setText("")
        if model is None:
            self._show_nothing("The model could not be read, so neither can its environment.")
            return
        job = self.builds.job(model)
        ended = self.builds.last_outcome(model)
        if job is not None:
            self.log.appendPlainText("\n".join(job.lines))
        elif ended is not None:
            self.log.appendPlainText("\n".join(ended[0].lines))
        known = self.builds.state(model)
        if known is not None:
            self._show_state(known)
        else:
            self._set_badge("Checking…", "info")
            self.python_label.setText("Reading what the model needs…")
            self.details.setText("")
            self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        if self.model is not None:
            self.builds.refresh(self.model)

    def _show_nothing(self, text: str) -> None:
        self._set_badge(None, "info")
        self.python_label.setText(text)
        self.details.setText("")
        self._update_buttons()

    def _set_badge(self, text: str | None, level: str) -> None:
        """One badge, updated in place (a replaced one would linger until deleted)."""
        if self.badge is None:
            self.badge = Badge("", level)
            self.badge.setObjectName("env-state")
            self.badge_row.addWidget(self.badge)
        self.badge.level = level
        self.badge.setText(text or "")
        self.badge.setAccessibleName(f"{level}: {text}")
        self.badge.setVisible(bool(text))
        self.badge.update()

    # -- the builds controller's signals -------------------------------------------------
    def _on_state(self, model: str, state: ModelEnvironmentState) -> None:
        if model == self.model:
            self._show_state(state)

    def _on_state_failed(self, model: str, why: str) -> None:
        if model == self.model:
            self._set_badge("Unreadable", "error")
            self.python_label.setText(f"The model's environment files cannot be read: {why}")
            self.details.setText("")
            self._update_buttons()

    def _on_job_changed(self, model: str) -> None:
        if model != self.model:
            return
        job = self.builds.job(model)
        if job is not None:
            if job.phase == BUILD:
                self.log.clear()
                self.log.show()
                self.log_button.setChecked(True)
            self.banner.hide()
            self._set_badge("Building…" if job.phase == BUILD else "Preparing…", "info")
            self._update_buttons()
            self._say(job.progress)
        self._update_buttons()

    def _on_progress(self, model: str, text: str) -> None:
        if model == self.model:
            self._say(text)

    def _say(self, text: str) -> None:
        self.progress_text.setText(text)
        self.progress_row.setVisible(bool(text) or self.progress.isVisibleTo(self))

    def _on_lines(self, model: str, lines: list[str]) -> None:
        if model == self.model:
            self.log.appendPlainText("\n".join(lines))

    def _on_finished(self, outcome: BuildOutcome) -> None:
        if outcome.model != self.model:
            return
        self._say("")
        if outcome.ok:
            assert outcome.result is not None
            how = "was already built" if outcome.result.reused else \
                f"built in {outcome.result.seconds:.1f} s"
            self._say(f"Ready: {outcome.result.environment.name} {how}.")
            self.log_button.setChecked(False)
        elif outcome.error is not None:
            self._show_failure(outcome.error.message, outcome.error.tried,
                               outcome.error.log_path)
        elif outcome.cancelled:
            self._say("Cancelled: nothing was kept.")
        elif outcome.declined:
            self._say("Not built: nothing was installed.")

    # -- showing ---------------------------------------------------------------------------
    def _show_state(self, state: ModelEnvironmentState) -> None:
        self.state = state
        building = self.model is not None and self.builds.job(self.model) is not None
        if building:
            job = self.builds.job(self.model or "")
            self._set_badge("Building…" if job is not None and job.phase == BUILD
                            else "Preparing…", "info")
        else:
            self._set_badge(state.state_text, LEVEL.get(state.state, "info"))
        py = state.python_version
        where = state.interpreter or ""
        # the interpreter's full path goes in the tooltip: the line stays short and readable
        self.python_label.setToolTip(where)
        if state.environment is not None:
            self.python_label.setText(f"<b>Python {py}</b> in {display_path(state.environment.path)}"
                                      f" — {state.reason}")
        elif py:
            self.python_label.setText(f"Would use <b>Python {py}</b> — {state.reason}")
        else:
            self.python_label.setText(state.problem or "No interpreter fits this model.")
        self.details.setText(self._details(state))
        ended = self.builds.last_outcome(self.model) if self.model is not None else None
        error = ended[1].error if ended is not None else None
        if error is not None and state.state != READY and not building:
            self._show_failure(error.message, error.tried, error.log_path)
        elif state.state == FAILED and state.failure and not building:
            self._show_failure(str(state.failure.get("message") or "the build failed"),
                               list(state.failure.get("tried") or []), state.failure.get("log"))
        elif state.state == UNAVAILABLE:
            self.banner.show_message("warning", "No interpreter fits this model",
                                     f"{state.problem or ''} Install that Python (for example "
                                     "with pyenv), or build from the command line with "
                                     "`mlmanager env build MODEL --allow-other-python`.")
        elif not building:
            self.banner.hide()
        self._update_buttons()
        self.state_shown.emit(state)

    def set_hint(self, text: str) -> None:
        """A line the page adds while the environment is not built (e.g. "not needed here")."""
        self.hint = text
        if self.state is not None:
            self.details.setText(self._details(self.state))

    def _details(self, state: ModelEnvironmentState) -> str:
        parts: list[str] = []
        if state.warning:
            parts.append(f"⚠ {state.warning}")
        env = state.environment
        if env is not None:
            as_of = env.resolution.get("exclude_newer")
            parts.append(env.strategy_label + (f", as of {str(as_of)[:10]}" if as_of else ""))
            met = len(state.packages) - len(state.unsatisfied)
            parts.append(f"{len(env.packages)} packages installed; {met} of "
                         f"{len(state.packages)} requirements met")
            parts.append(f"{format_size(env.size_bytes)} on disk")
            parts.append(f"last used {env.last_used.replace('T', ' ').rstrip('Z')} UTC")
        else:
            n = len(state.spec.requirements)
            parts.append(f"{n} requirement{'s' if n != 1 else ''} from "
                         f"{state.spec.requirements_source or 'no file'}")
            if state.plan is not None and state.plan.as_of:
                parts.append(f"resolved as of {state.plan.as_of[:10]} (the day the model was saved)")
            if self.hint:
                parts.append(self.hint)
        return "  ·  ".join(parts)

    def _show_failure(self, message: str, tried: list[str], log: str | None) -> None:
        self._log_path = log
        text = message
        if len(tried) > 1:
            text += "\nTried: " + "; ".join(tried)
        action = "Show full log…" if log else ("Show installer output"
                                               if self.log.toPlainText() else None)
        self.banner.show_message("error", "The environment could not be built", text, action)
        self._set_badge("Failed", "error")
        self._update_buttons()

    def _update_buttons(self) -> None:
        job = self.builds.job(self.model) if self.model is not None else None
        state = self.state.state if self.state is not None and job is None else None
        self.build_button.setVisible(state in (NOT_BUILT, FAILED) or (state is None and job is None))
        self.build_button.setEnabled(state in (NOT_BUILT, FAILED))
        self.rebuild_button.setVisible(state == READY)
        self.remove_button.setVisible(state == READY)
        self.cancel_button.setVisible(job is not None)
        self.progress.setVisible(job is not None)
        self.progress_row.setVisible(job is not None or bool(self.progress_text.text()))
        self.log_button.setEnabled(job is not None or bool(self.log.toPlainText()))

    # -- actions ---------------------------------------------------------------------------
    def build(self) -> None:
        if self.model is not None:
            self.builds.build(self.window(), self.model)

    def rebuild(self) -> None:
        if self.model is not None and self.state is not None and self.state.environment is not None:
            self.builds.build(self.window(), self.model, rebuild=self.state.environment)

    def remove(self) -> None:
        state = self.state
        if self.model is None or state is None or state.environment is None:
            return
        env = state.environment
        if not self.builds.prompter.confirm(
                self, "Remove the environment?",
                f"Delete {env.name} ({format_size(env.size_bytes)}) from the disk? Models that use "
                "it will need it built again."):
            return
        self._say(f"Removing {env.name}…")
        self.builds.remove(self.model, [env])

    def cancel(self) -> None:
        if self.model is not None:
            self.builds.cancel(self.model)

    def show_full_log(self) -> BuildLogDialog | None:
        """The log file of the last build (a failed resolution has none: its output is in the
        panel's log view, which this then shows)."""
        if not self._log_path:
            self.log_button.setChecked(True)
            return None
        self.log_dialog = BuildLogDialog(self.tasks, self._log_path, self)
        self.log_dialog.show()
        return self.log_dialog
