"""A small non-modal progress dialog tied to one background task, with Cancel.

It appears only when the work lasts (``SHOW_AFTER_MS``), shows per-mille progress or a busy bar
when the total is unknown, and names the file being processed. Cancel (or closing it) cancels
the task; the dialog closes itself when the task finishes, however it ends, so a failed task
never leaves a progress dialog up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui.widgets.common import ElidedLabel, style_role


class ProgressDialog(QDialog):
    cancel_requested = Signal()

    SHOW_AFTER_MS = 300

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setMinimumWidth(440)
        self.finished_task = False
        lay = QVBoxLayout(self)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        lay.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first progress with a total arrives
        self.bar.setTextVisible(True)
        lay.addWidget(self.bar)
        self.item = ElidedLabel()
        style_role(self.item, "muted")
        lay.addWidget(self.item)
        buttons = QDialogButtonBox()
        self.cancel_button: QPushButton = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setToolTip("Stop; nothing half-written is left behind")
        self.cancel_button.clicked.connect(self.request_cancel)
        lay.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._show_now)

    def start(self, delay_ms: int | None = None) -> None:
        """Show after ``delay_ms`` (default SHOW_AFTER_MS) unless the task is done by then."""
        self._timer.start(self.SHOW_AFTER_MS if delay_ms is None else delay_ms)

    def _show_now(self) -> None:
        if not self.finished_task:
            self.show()

    def set_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            if self.bar.maximum() != total:
                self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        elif self.bar.maximum() != 0:
            self.bar.setRange(0, 0)
        if text:
            self.item.setText(text)

    def request_cancel(self) -> None:
        if self.finished_task:
            return
        self.cancel_button.setEnabled(False)
        self.label.setText(self.label.text() + "\nCancelling…")
        self.cancel_requested.emit()

    def reject(self) -> None:  # Esc
        self.request_cancel()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.finished_task:
            self.request_cancel()
            event.ignore()  # stays up (saying "Cancelling…") until the task has stopped
            return
        super().closeEvent(event)

    def finish(self) -> None:
        """The task ended: close and go away."""
        self.finished_task = True
        self._timer.stop()
        self.hide()
        self.deleteLater()
