"""Background work on a thread pool, with progress, cancel and errors that never vanish.

A task is a plain function ``fn(state, *args)`` run on a ``QThreadPool`` thread. It polls
``state.cancelled`` (or calls ``state.check()``), reports ``state.progress(done, total, text)``
and may hand over results as it goes with ``state.partial(item)``. Partial items wait in a
buffer that the GUI thread collects every ``BATCH_MS`` (a timer on the ``Task``), so the GUI
gets a few large updates instead of thousands of tiny ones, and items reach the screen within
50 ms even while the worker is busy elsewhere. The worker thread only ever emits private relay
signals; the ``Task`` object lives in the GUI thread and re-emits them there, so every consumer
slot runs in the GUI thread.

Every failure becomes a ``TaskError``: the task's ``failed`` signal first (a consumer that
shows it sets ``handled``), then ``TaskManager.unhandled_error`` if nobody did.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from mlmanager.core.errors import MlmanagerError

log = logging.getLogger(__name__)

BATCH_MS = 50
PROGRESS_SECONDS = 0.05


class Cancelled(Exception):
    """Raised by ``TaskState.check()`` once the task was cancelled."""


@dataclass
class TaskError:
    task: str
    exc_type: str
    message: str
    details: str
    expected: bool  # a typed core error with a message fit for users
    handled: bool = False
    status: int | None = None  # a server's HTTP status, when a server error ended the task

    def __str__(self) -> str:
        return self.message if self.expected else f"{self.exc_type}: {self.message}"


class TaskState:
    """Shared between the GUI and one task: cancel flag in, progress and partial results out."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._buffer: list[Any] = []
        self._on_cancel: list[Callable[[], None]] = []
        self._last_progress = 0.0
        self._emit_progress: Callable[[int, int, str], None] | None = None

    # GUI side
    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            callbacks, self._on_cancel = self._on_cancel, []
        for fn in callbacks:
            try:
                fn()
            except Exception:  # noqa: BLE001 - a failing canceller must not break the GUI
                log.exception("cancel callback failed")

    def on_cancel(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (from the cancelling thread) when the task is cancelled, e.g. to kill a
        subprocess the task is waiting for. Runs at once if already cancelled."""
        with self._lock:
            if not self._cancel.is_set():
                self._on_cancel.append(fn)
                return
        fn()

    # task side
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled

    def progress(self, done: int, total: int | None = None, text: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = now
        if self._emit_progress is not None:
            self._emit_progress(int(done), -1 if total is None else int(total), text)

    def partial(self, item: Any) -> None:
        """Hand over one result; the GUI thread collects the buffer every ``BATCH_MS``."""
        with self._lock:
            self._buffer.append(item)

    def take(self) -> list[Any]:
        """Everything handed over since the last call (GUI side)."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        return batch


class Task(QObject):
    """One background job. Signals are delivered in the GUI thread."""

    progressed = Signal(int, int, str)  # done, total (-1: unknown), text
    partial = Signal(list)  # a batch of items handed over with state.partial()
    succeeded = Signal(object)
    failed = Signal(object)  # TaskError
    cancelled = Signal()
    finished = Signal()  # always last

    # relays, emitted from the worker thread only
    _r_progress = Signal(int, int, str)
    _r_done = Signal(str, object)

    def __init__(self, name: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.name = name
        self.state = TaskState()
        self.result: Any = None
        self.error: TaskError | None = None
        self.done = False
        self.was_cancelled = False
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._on_unhandled: Callable[[TaskError], None] | None = None
        self._r_progress.connect(self._on_progress)
        self._r_done.connect(self._on_done)
        self.state._emit_progress = self._r_progress.emit
        self._pull = QTimer(self)
        self._pull.setInterval(BATCH_MS)
        self._pull.timeout.connect(self._collect)

    def cancel(self) -> None:
        self.state.cancel()

    # worker thread
    def _run(self) -> None:
        try:
            result = self._fn(self.state, *self._args, **self._kwargs)
        except Cancelled:
            self._r_done.emit("cancelled", None)
            return
        except BaseException as exc:  # noqa: BLE001 - every failure is reported, never lost
            self._r_done.emit("failed", _task_error(self.name, exc))
            return
        self._r_done.emit("cancelled" if self.state.cancelled and result is None else "ok", result)

    # GUI thread
    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if not self.done:
            self.progressed.emit(done, total, text)

    @Slot()
    def _collect(self) -> None:
        batch = self.state.take()
        if batch:
            self.partial.emit(batch)

    @Slot(str, object)
    def _on_done(self, outcome: str, outcome_value: object) -> None:
        self._pull.stop()
        self._collect()  # the worker handed everything over before it finished
        self.done = True
        if outcome == "ok":
            self.result = outcome_value
            self.succeeded.emit(outcome_value)
        elif outcome == "failed":
            assert isinstance(outcome_value, TaskError)
            self.error = outcome_value
            self.failed.emit(outcome_value)  # consumers that show the error set outcome_value.handled
            if not outcome_value.handled and self._on_unhandled is not None:
                self._on_unhandled(outcome_value)
        else:
            self.was_cancelled = True
            self.cancelled.emit()
        self.finished.emit()


def _task_error(name: str, exc: BaseException) -> TaskError:
    expected = isinstance(exc, MlmanagerError)
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if not expected:
        log.error("task %r failed:\n%s", name, details)
    status = getattr(exc, "status", None)
    return TaskError(name, type(exc).__name__, str(exc) or type(exc).__name__, details, expected,
                     status=status if isinstance(status, int) else None)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._task = task

    def run(self) -> None:
        self._task._run()


class TaskManager(QObject):
    """Starts tasks, knows which are running, and reports errors nobody handled."""

    busy_changed = Signal(bool)
    idle = Signal()
    unhandled_error = Signal(object)  # TaskError

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(2, min(max_threads, QThreadPool.globalInstance().maxThreadCount() * 2)))
        self._active: dict[Task, _Runnable] = {}

    @property
    def active(self) -> list[Task]:
        return list(self._active)

    def is_idle(self) -> bool:
        return not self._active

    def start(self, fn: Callable[..., Any], *args: Any, name: str = "", **kwargs: Any) -> Task:
        """Run ``fn(state, *args, **kwargs)`` in the pool; connect to the returned Task."""
        task = Task(name or getattr(fn, "__name__", "task"), fn, args, kwargs)
        runnable = _Runnable(task)
        was_idle = not self._active
        self._active[task] = runnable
        task.finished.connect(self._on_task_finished)
        task._on_unhandled = self.unhandled_error.emit
        if was_idle:
            self.busy_changed.emit(True)
        task._pull.start()
        self._pool.start(runnable)
        return task

    @Slot()
    def _on_task_finished(self) -> None:
        task = self.sender()
        self._active.pop(task, None)  # type: ignore[call-overload]
        if not self._active:
            self.busy_changed.emit(False)
            self.idle.emit()

    def cancel_all(self) -> None:
        for task in list(self._active):
            task.cancel()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel everything and wait for the threads (call before the app exits)."""
        self.cancel_all()
        return self._pool.waitForDone(timeout_ms)

