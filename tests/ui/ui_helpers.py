"""Helpers shared by the UI tests (no fixtures here)."""

from __future__ import annotations

import json
from pathlib import Path

from corpus_paths import MODELS


def wait_idle(qtbot, win, timeout: int = 15000) -> None:
    """Wait (processing events, no sleeps) until no background task is running."""
    qtbot.waitUntil(lambda: not win.is_busy(), timeout=timeout)


def expected(shared: Path, name: str) -> dict:
    return json.loads((shared / f"{name}.expected.json").read_text())


def corpus_models(shared: Path) -> list[tuple[str, Path]]:
    """(name, model dir) for every model of the corpus, tracking-folder models included."""
    out = []
    for exp in sorted(shared.glob("*.expected.json")):
        data = json.loads(exp.read_text())
        if data.get("kind") == "tracking":
            continue
        out.append((data["name"], shared / data["model_dir"]))
    return out



REPO = Path(__file__).resolve().parents[2]


def corpus_params() -> list[tuple[str, Path]]:
    """Parametrisation list ."""
    if not MODELS.is_dir():
        return []
    return corpus_models(MODELS)


def _send_drag(widget, event) -> bool:
    from PySide6.QtWidgets import QApplication

    event.setAccepted(False)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def drag_enter(widget, mime, at: int = 20) -> bool:
    """A real QDragEnterEvent (copy, left button) at (at, at); whether it was accepted."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QDragEnterEvent

    return _send_drag(widget, QDragEnterEvent(QPoint(at, at), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def drop(widget, mime, at: int = 20) -> bool:
    """A real QDropEvent (copy, left button) at (at, at); whether it was accepted."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDropEvent

    return _send_drag(widget, QDropEvent(QPointF(at, at), Qt.DropAction.CopyAction, mime,
                                         Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
