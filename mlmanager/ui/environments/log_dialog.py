"""The full installer log of a build, one click from a failure (read in a task: logs can be large)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from mlmanager.ui.widgets.common import CodeView

if TYPE_CHECKING:
    from mlmanager.ui.tasks import TaskError, TaskManager, TaskState

MAX_LOG_BYTES = 4 * 1024 * 1024  # the end of a bigger log is what explains a failure


def read_log(state: TaskState, path: str) -> str:
    """The log's text (its last ``MAX_LOG_BYTES``)."""
    file = Path(path)
    size = file.stat().st_size
    with file.open("rb") as fh:
        if size > MAX_LOG_BYTES:
            fh.seek(size - MAX_LOG_BYTES)
        data = fh.read()
    text = data.decode("utf-8", "replace")
    return text if size <= MAX_LOG_BYTES else "[…the start of the log is left out…]\n" + text


class BuildLogDialog(QDialog):
    """Shows ``path``: the text arrives from a task, the dialog is up at once."""

    def __init__(self, tasks: TaskManager, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("build-log")
        self.setWindowTitle("Environment build log")
        self.resize(900, 600)
        lay = QVBoxLayout(self)
        self.path_label = QLabel(path)
        self.path_label.setWordWrap(True)
        lay.addWidget(self.path_label)
        self.view = CodeView()
        self.view.setPlainText("Reading the log…")
        lay.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.task = tasks.start(read_log, path, name="read build log")
        self.task.succeeded.connect(self._show)
        self.task.failed.connect(self._failed)

    def _show(self, text: str) -> None:
        self.view.setPlainText(text)
        self.view.moveCursor(self.view.textCursor().MoveOperation.End)

    def _failed(self, err: TaskError) -> None:
        err.handled = True
        self.view.setPlainText(f"The log cannot be read: {err.message}")
