"""Dragging registry versions out of the library: the drop gets the version's folder.

A version that is still on the server has no files yet, so its drag carries
:class:`DeferredFiles`: MIME data that lists ``text/uri-list`` but makes the URLs only when the
drop target asks for them (Qt calls :meth:`retrieveData` then). That call downloads the version
(progress and Cancel stay usable: the download runs on the task pool and a local event loop keeps
the window painting) and hands over the local copy's folder — or a zip named after the version,
as dragging a local model gives (``dnd.drag_path``). Our own window ignores the drag (the library
marker), so hovering it never starts a download.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QUrl

from mlmanager.ui.dnd import LIBRARY_MIME

URI_LIST = "text/uri-list"
TEXT = "text/plain"


class DeferredFiles(QMimeData):
    """File URLs made on demand by ``resolve()`` (called once, on the first request)."""

    def __init__(self, resolve: Callable[[], list[Path]]) -> None:
        super().__init__()
        self._resolve = resolve
        self._paths: list[Path] | None = None
        self.setData(LIBRARY_MIME, QByteArray(b"1"))

    def paths(self) -> list[Path]:
        if self._paths is None:
            self._paths = list(self._resolve())
        return self._paths

    def formats(self) -> list[str]:
        return [URI_LIST, TEXT, LIBRARY_MIME]

    def hasFormat(self, mimetype: str) -> bool:  # noqa: N802
        return mimetype in (URI_LIST, TEXT, LIBRARY_MIME)

    def retrieveData(self, mimetype: str, preferred: Any) -> Any:  # noqa: N802
        if mimetype == URI_LIST:  # a list of QUrl: Qt turns it into bytes where needed
            return [QUrl.fromLocalFile(str(p)) for p in self.paths()]
        if mimetype == TEXT:
            return "\n".join(str(p) for p in self.paths())
        return super().retrieveData(mimetype, preferred)
