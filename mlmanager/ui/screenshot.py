"""Render the window to a PNG once every background task has finished (no sleeps).

"Finished" means the task manager reported idle and is still idle one event-loop turn later
(a finished load may start a preview or an environment check, which must finish too).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from mlmanager.ui.main_window import MainWindow

SETTLE_TIMEOUT_MS = 60_000


def wait_until_settled(window: MainWindow, timeout_ms: int = SETTLE_TIMEOUT_MS) -> bool:
    """Run the event loop until no task is running; False if ``timeout_ms`` passed first."""
    loop = QEventLoop()
    state = {"ok": False}

    def check() -> None:
        if window.is_busy():
            return
        # idle now; confirm after pending events (which may start follow-up tasks) are handled
        QTimer.singleShot(0, confirm)

    def confirm() -> None:
        if not window.is_busy() and loop.isRunning():
            state["ok"] = True
            loop.quit()

    window.settled.connect(check)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(timeout_ms)
    QTimer.singleShot(0, check)
    loop.exec()
    guard.stop()
    window.settled.disconnect(check)
    return state["ok"]


def grab_to_png(widget: QWidget, path: str | Path) -> QSize:
    """Render ``widget`` (after pending layout/paint events) into ``path``; returns its size."""
    QApplication.processEvents()
    pixmap = widget.grab()
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out), "PNG"):
        raise OSError(f"cannot write {out}")
    return pixmap.size()


def take_screenshot(window: MainWindow, path: str | Path, timeout_ms: int = SETTLE_TIMEOUT_MS) -> bool:
    """Wait for loading to finish, then save the window as PNG. False when loading timed out."""
    settled = wait_until_settled(window, timeout_ms)
    grab_to_png(window, path)
    return settled
