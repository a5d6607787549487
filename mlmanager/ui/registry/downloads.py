"""Downloading server versions in the background: one task per version, progress, cancel.

A download fills the download cache (verified, resumable: ``core.remote.download``) and then
makes the version's local copy (``core.remote.copies``), the folder the app opens. A cancelled or
failed download leaves no copy and no finished cache entry (the next one resumes from the bytes
kept). :meth:`Downloads.wait` runs a local event loop until a download ends: drags use it when a
drop asks for the files of a version that is still on the server, and the window stays
responsive (progress, Cancel) meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

from mlmanager.core.library.paths import model_key
from mlmanager.core.remote.copies import make_copy
from mlmanager.core.sizes import format_size
from mlmanager.ui.registry.nodes import VersionItem
from mlmanager.ui.tasks import Task, TaskError, TaskManager, TaskState

PERMILLE = 1000


@dataclass(frozen=True)
class Downloaded:
    path: str
    key: str


def download_version(state: TaskState, item: VersionItem) -> Downloaded:
    """Runs in a worker thread: the version's files into the cache, then its local copy."""
    branch, version = item.branch, item.version

    def progress(done: int, total: int | None, name: str) -> None:
        # per mille: byte counts pass the 32-bit range of Qt signals; the text has the bytes
        text = f"{format_size(done)} of {format_size(total)}" if total else format_size(done)
        text += f" · {name}" if name else ""
        state.progress(min(PERMILLE, done * PERMILLE // total) if total else 0,
                       PERMILLE if total else None, text)

    pristine = branch.source.fetch_version(version, progress=progress, cancel=state.is_cancelled)
    state.check()
    copy = make_copy(pristine, branch.location, version.name, version.version, version.source,
                     root=branch.copies_root, cancel=state.is_cancelled)
    return Downloaded(str(copy), model_key(copy))


def _ident(item: VersionItem) -> tuple[str, str, str]:
    return (item.branch.location, item.version.name, item.version.version)


class Downloads(QObject):
    progressed = Signal(object, int, int, str)  # VersionItem, per mille, 1000 (-1: unknown), text
    finished = Signal(object, object, str)  # VersionItem, Downloaded | None, outcome message

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._running: dict[tuple[str, str, str], tuple[Task, VersionItem]] = {}
        self.last_outcome: dict[tuple[str, str, str], str] = {}

    def running(self, item: VersionItem) -> Task | None:
        found = self._running.get(_ident(item))
        return found[0] if found else None

    def is_busy(self) -> bool:
        return bool(self._running)

    def start(self, item: VersionItem) -> Task:
        """Download ``item`` (or return the download already running for it)."""
        ident = _ident(item)
        found = self._running.get(ident)
        if found is not None:
            return found[0]
        item.downloading = True
        task = self._tasks.start(download_version, item, name=f"download {item.version.name} "
                                                              f"v{item.version.version}")
        self._running[ident] = (task, item)
        task.progressed.connect(lambda done, total, text, i=item: self.progressed.emit(
            i, done, total, text))
        task.succeeded.connect(lambda result, i=item, t=task: self._done(i, t, result, ""))
        task.failed.connect(lambda err, i=item, t=task: self._failed(i, t, err))
        task.cancelled.connect(lambda i=item, t=task: self._done(
            i, t, None, self._cancelled_text(i)))
        return task

    def cancel(self, item: VersionItem) -> None:
        task = self.running(item)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for task, _item in list(self._running.values()):
            task.cancel()

    @staticmethod
    def _cancelled_text(item: VersionItem) -> str:
        return (f"Download of {item.version.name} {item.version.title} cancelled. Nothing was "
                "opened; the files fetched so far are kept and the next download resumes.")

    def _failed(self, item: VersionItem, task: Task, err: TaskError) -> None:
        err.handled = True
        if err.exc_type == "TransferCancelled":
            self._done(item, task, None, self._cancelled_text(item))
        else:
            self._done(item, task, None,
                       f"Could not download {item.version.name} {item.version.title}: {err}")

    def _done(self, item: VersionItem, task: Task, result: Downloaded | None, message: str) -> None:
        ident = _ident(item)
        if self._running.get(ident, (None,))[0] is not task:
            return
        del self._running[ident]
        item.downloading = False
        if result is not None:
            item.path = result.path
        self.last_outcome[ident] = message
        self.finished.emit(item, result, message)

    def wait(self, item: VersionItem, timeout_ms: int | None = None) -> str | None:
        """Run the event loop until ``item``'s download ends; its folder, or None."""
        if item.path is not None and self.running(item) is None:
            return item.path
        task = self.start(item)
        if not task.done:
            loop = QEventLoop()
            task.finished.connect(loop.quit)
            if timeout_ms is not None:
                QTimer.singleShot(timeout_ms, loop.quit)
            loop.exec()
        return item.path if task.result is not None else None
