"""Background scans of tracking folders: models stream into the library as they are found.

The scan runs ``core.discovery.iter_scan`` on a pool thread; found models and problems go
through ``TaskState.partial`` (batched every 50 ms) and land in the library in one insert per
parent per batch. Cancel stops the walk at the next folder; what was found stays listed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from mlmanager.core.library.paths import model_key
from mlmanager.ui.models.library import LibraryModel, Node, ScanRecord
from mlmanager.ui.tasks import Task, TaskError, TaskManager, TaskState


@dataclass(frozen=True)
class ScanSummary:
    models: int
    problems: int
    folders: int
    cancelled: bool


def record_from(model: object) -> ScanRecord:
    """A library record from a ``core.discovery.DiscoveredModel``."""
    exp = getattr(model, "experiment", None)
    run = getattr(model, "run", None)
    return ScanRecord(
        path=str(model.path),  # type: ignore[attr-defined]
        name=str(getattr(model, "name", "") or os.path.basename(str(model.path))),  # type: ignore[attr-defined]
        experiment_id=getattr(exp, "id", None),
        experiment_name=getattr(exp, "name", None),
        run_id=getattr(run, "id", None),
        run_name=getattr(run, "name", None),
        model_id=getattr(model, "model_id", None),
        flavors=tuple(getattr(model, "flavors", ()) or ()),
        has_signature=getattr(model, "has_signature", None),
        error=getattr(model, "error", None),
        kind=getattr(model, "kind", None),
        key=model_key(str(model.path)),  # type: ignore[attr-defined]
    )


def scan_task(state: TaskState, root: str) -> ScanSummary:
    """Runs in a worker thread."""
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.library.discovery import DiscoveredModel, iter_scan

    counts = {"models": 0, "problems": 0, "folders": 0}

    def progress(folders: int) -> None:
        counts["folders"] = folders
        state.progress(counts["models"], None, f"{folders} folders")

    for item in iter_scan(root, cancel=state.is_cancelled, progress=progress):
        if isinstance(item, DiscoveredModel):
            counts["models"] += 1
            state.partial(record_from(item))
        else:
            counts["problems"] += 1
            state.partial(str(item))
        state.progress(counts["models"], None, f"{counts['folders']} folders")
    state.progress(counts["models"], None, f"{counts['folders']} folders", force=True)
    return ScanSummary(counts["models"], counts["problems"], counts["folders"], state.cancelled)


def source_label(root: str) -> str:
    p = os.path.abspath(root)
    name = os.path.basename(p.rstrip(os.sep)) or p
    parent = os.path.basename(os.path.dirname(p.rstrip(os.sep)))
    if name in ("mlruns", "mlartifacts") and parent:
        return f"{parent}/{name}"
    return name


class ScanController(QObject):
    started = Signal(str)  # root
    progressed = Signal(str, int, str)  # root, models found, detail text
    finished = Signal(str, object)  # root, ScanSummary | TaskError

    def __init__(self, tasks: TaskManager, library: LibraryModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._library = library
        self._running: dict[str, Task] = {}

    def is_scanning(self, root: str | None = None) -> bool:
        return bool(self._running) if root is None else root in self._running

    def running_roots(self) -> list[str]:
        return list(self._running)

    def scan(self, root: str | os.PathLike[str], rescan: bool = False) -> Node:
        key = os.path.realpath(os.fspath(root))
        existing = self._library.source_for(key)
        if existing is not None and not rescan:
            return existing
        source = existing or self._library.add_source(key, source_label(key))
        if key in self._running:
            self._running.pop(key).cancel()
        self._library.clear_source(source)
        self._library.set_source_status(source, "scanning…")
        task = self._tasks.start(scan_task, key, name=f"scan {key}")
        self._running[key] = task
        task.partial.connect(lambda batch, s=source, t=task: self._on_batch(s, t, batch))
        task.progressed.connect(lambda n, _total, text, k=key, s=source, t=task: self._on_progress(k, s, t, n, text))
        task.succeeded.connect(lambda summary, k=key, s=source, t=task: self._on_done(k, s, t, summary))
        task.failed.connect(lambda err, k=key, s=source, t=task: self._on_failed(k, s, t, err))
        task.cancelled.connect(lambda k=key, s=source, t=task: self._on_done(
            k, s, t, ScanSummary(self._library.model_count(s), 0, 0, True)))
        self.started.emit(key)
        return source

    def cancel(self, root: str | None = None) -> None:
        roots = list(self._running) if root is None else [root]
        for r in roots:
            task = self._running.get(r)
            if task is not None:
                task.cancel()

    def _live(self, source: Node, task: Task) -> bool:
        return self._running.get(source.key) is task and self._library.source_for(source.key) is source

    def _on_batch(self, source: Node, task: Task, batch: list) -> None:
        if not self._live(source, task):
            return
        records = [b for b in batch if isinstance(b, ScanRecord)]
        problems = [b for b in batch if isinstance(b, str)]
        self._library.add_records(source, records)
        self._library.add_problems(source, problems)

    def _on_progress(self, key: str, source: Node, task: Task, models: int, text: str) -> None:
        if not self._live(source, task):
            return
        self._library.set_source_status(source, f"scanning… {models} found")
        self.progressed.emit(key, models, text)

    def _finish(self, key: str, source: Node, task: Task) -> bool:
        if self._running.get(key) is not task:
            return False
        del self._running[key]
        return self._library.source_for(key) is source

    def _on_done(self, key: str, source: Node, task: Task, summary: ScanSummary) -> None:
        if not self._finish(key, source, task):
            return
        n = summary.models  # counted while scanning: no walk over a 10,000-model tree here
        status = f"{n} model{'s' if n != 1 else ''}"
        if summary.cancelled:
            status += ", scan cancelled"
        elif n == 0:
            status = "no models found"
        self._library.set_source_status(source, status)
        self.finished.emit(key, summary)

    def _on_failed(self, key: str, source: Node, task: Task, err: TaskError) -> None:
        err.handled = True
        if not self._finish(key, source, task):
            return
        self._library.set_source_status(source, "scan failed")
        self._library.add_problems(source, [str(err)])
        self.finished.emit(key, err)
