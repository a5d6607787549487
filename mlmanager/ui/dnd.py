"""Drag-and-drop of model folders, MLmodel files, zips and tracking folders onto the window.

``dragEnterEvent`` accepts only when the data carries at least one *local* file URL; the drop
then classifies each path (``paths.classify_path``) and reports those that are not models.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from mlmanager.ui.paths import PathVerdict, classify_path


def local_paths(mime: QMimeData | None) -> list[Path]:
    """The local file paths in ``mime`` (remote URLs are left out)."""
    if mime is None or not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile():
            out.append(Path(url.toLocalFile()))
    return out


def accepts(mime: QMimeData | None) -> bool:
    return bool(local_paths(mime))


def mime_for_paths(paths: list[str | Path]) -> QMimeData:
    """MIME data for dragging paths out (or for tests)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


class DropHandler(QObject):
    """Event filter-free helper: the window forwards its drag events here.

    ``on_drop(verdicts)`` receives one ``PathVerdict`` per dropped local path.
    """

    def __init__(self, on_drop: Callable[[list[PathVerdict]], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_drop = on_drop

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drag_move(self, event: QDragMoveEvent) -> None:
        if accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self._on_drop([classify_path(p) for p in paths])
