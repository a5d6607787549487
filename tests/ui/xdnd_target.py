"""A drop target in its own process, for the real drag out of the library (test_desktop_xcb.py).

``python xdnd_target.py X Y`` shows a 300x300 window at (X, Y) on the X display that accepts
file drops. It prints ``ready`` once shown, then one JSON line per drag event: ``{"event":
"enter", "formats": [...]}`` and ``{"event": "drop", "paths": [...], "action": "copy"}``; it
exits after the drop. It releases the mouse button itself (``xdotool mouseup 1``) once it has
accepted the drag, so the drop happens only after both sides agreed on it (the XDND status
reply is sent before xdotool starts): no timing, no sleeps.
"""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel


def say(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Target(QLabel):
    def __init__(self) -> None:
        super().__init__("drop a model here")
        self.setAcceptDrops(True)
        self.released = False

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, lambda: say(event="ready"))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        say(event="enter", formats=list(event.mimeData().formats()))
        event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()
        if not self.released:
            self.released = True
            QTimer.singleShot(0, lambda: subprocess.Popen(["xdotool", "mouseup", "1"]))

    def dropEvent(self, event) -> None:  # noqa: N802
        action = "copy" if event.dropAction() == Qt.DropAction.CopyAction else str(event.dropAction())
        say(event="drop", paths=[u.toLocalFile() for u in event.mimeData().urls()], action=action)
        event.acceptProposedAction()
        QTimer.singleShot(0, QApplication.instance().quit)


def main() -> int:
    app = QApplication(sys.argv[:1])
    target = Target()
    target.move(int(sys.argv[1]), int(sys.argv[2]))
    target.resize(300, 300)
    target.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
