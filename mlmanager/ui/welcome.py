"""What the right side shows before a model is selected: how to get started."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from mlmanager.ui import icons
from mlmanager.ui.widgets.common import muted_label, style_role


class WelcomePage(QWidget):
    open_model = Signal()
    open_folder = Signal()
    open_tracking = Signal()
    connect_server = Signal()
    open_demo = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        self.logo = QLabel()
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo.setMinimumHeight(96)
        lay.addWidget(self.logo)
        title = QLabel("mlmanager")
        style_role(title, "heading")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        sub = muted_label("Open, inspect and check MLflow models, offline.")
        sub.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(sub)
        lay.addSpacing(16)
        for text, icon, signal in (
            ("Open model…", "open", self.open_model),
            ("Open model folder…", "folder-open", self.open_folder),
            ("Open tracking folder…", "tracking", self.open_tracking),
            ("Connect to tracking server…", "server", self.connect_server),
            ("Open the demo model", "model", self.open_demo),
        ):
            button = QPushButton(icons.icon(icon), text)
            button.setMinimumWidth(260)
            button.clicked.connect(signal)
            lay.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addSpacing(12)
        hint = muted_label("…or drop a model folder, an MLmodel file, a .zip, an mlruns folder or a "
                           "tracking server's address here.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hint)
        lay.addStretch(3)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        if self.logo.pixmap().isNull():  # rendered on first show: start-up with a model skips it
            self.logo.setPixmap(icons.app_icon().pixmap(96, 96))
        super().showEvent(event)
