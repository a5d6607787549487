"""The models the app has open: loading in the background, errors kept, changes on disk watched.

One ``ModelEntry`` per model, keyed by the real path of its folder or zip, so opening the same
model twice finds the first entry. Loading never raises into the GUI: a broken model becomes
an entry in state ERROR with an ``ErrorInfo`` and whatever could still be read (raw MLmodel
text, the file list). A ``QFileSystemWatcher`` on each folder and its MLmodel reports changes
(debounced) through ``changed_on_disk``; a folder that disappears turns the entry MISSING and
comes back by itself when the folder does.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from mlmanager.core.errors import (
    MlmanagerError,
    MLmodelNotFoundError,
    SchemaError,
    UnsafePathError,
    YamlError,
)
from mlmanager.core.library.paths import MLMODEL, model_key
from mlmanager.core.model.files import open_model_files
from mlmanager.ui.models.artifacts import build_tree
from mlmanager.ui.tasks import Task, TaskError, TaskManager, TaskState

DEBOUNCE_MS = 150
RAW_TEXT_CAP = 256 << 10
MAX_TRANSIENT = 16


class EntryState(str, Enum):
    LOADING = "loading"
    READY = "ready"
    ERROR = "error"
    MISSING = "missing"


@dataclass
class ErrorInfo:
    """A load failure in words a user can act on."""

    title: str
    message: str
    kind: str  # exception class name
    hint: str = ""
    details: str | None = None  # traceback, for unexpected failures only

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        kind = type(exc).__name__
        if isinstance(exc, MLmodelNotFoundError):
            return cls("Not an MLflow model", str(exc), kind,
                       "A model folder must contain a file named exactly “MLmodel”.")
        if isinstance(exc, YamlError):
            return cls("MLmodel cannot be read", str(exc), kind,
                       "The MLmodel file is not valid YAML (or is too large). Its raw text is shown "
                       "below; fix it in an editor and the view reloads by itself.")
        if isinstance(exc, UnsafePathError):
            return cls("Unsafe path", str(exc), kind,
                       "The model refers to files outside its folder, or to links or special "
                       "files. mlmanager does not follow them.")
        if isinstance(exc, SchemaError):
            return cls("Invalid signature", str(exc), kind)
        if isinstance(exc, MlmanagerError):
            return cls("The model cannot be read", str(exc), kind)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls("Internal error while reading the model", f"{kind}: {exc}", kind,
                   "This is a bug in mlmanager; the details below help to fix it.", details)

    @classmethod
    def from_task_error(cls, err: TaskError) -> ErrorInfo:
        return cls("Internal error while reading the model", str(err), err.exc_type,
                   "This is a bug in mlmanager; the details below help to fix it.", err.details)


@dataclass
class LoadOutcome:
    doc: Any = None  # ModelDocument
    error: ErrorInfo | None = None
    raw_text: str | None = None
    raw_truncated: bool = False
    artifacts: list | None = None  # list[Artifact], when the files could be listed
    artifacts_error: str | None = None
    artifact_tree: Any = None  # models.artifacts.build_tree(artifacts), built off the GUI thread


@dataclass(eq=False)
class ModelEntry:
    key: str
    path: Path  # folder or zip, as given
    pinned: bool = True  # opened by the user (listed under "Open models")
    info: dict[str, Any] = field(default_factory=dict)  # names from a tracking scan
    state: EntryState = EntryState.LOADING
    doc: Any = None
    error: ErrorInfo | None = None
    raw_text: str | None = None
    raw_truncated: bool = False
    artifacts: list | None = None
    artifacts_error: str | None = None
    artifact_tree: Any = None
    generation: int = 0
    reloading: bool = False
    #: per-generation results of views' background work (environment check, scans, ...)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def is_zip(self) -> bool:
        return self.path.suffix.lower() == ".zip" and not self.path.is_dir()

    @property
    def folder(self) -> Path:
        """The folder to show in a file manager (the zip's folder for zips)."""
        return self.path.parent if self.is_zip else self.path

    @property
    def display_name(self) -> str:
        name = self.info.get("name")
        if isinstance(name, str) and name:
            return name
        if self.is_zip:
            return self.path.stem
        p = self.path
        if p.name == "artifacts" and p.parent.name.startswith("m-"):
            return p.parent.name
        return p.name or str(p)


def _raw_text(path: Path) -> tuple[str | None, bool]:
    """The MLmodel text as far as it can be read safely (for the error panel)."""
    try:
        with open_model_files(path) as src:
            if not src.is_readable_file(MLMODEL):
                return None, False
            with src.open_stream(MLMODEL) as fh:
                data = fh.read(RAW_TEXT_CAP + 1)
    except (MlmanagerError, OSError):
        return None, False
    truncated = len(data) > RAW_TEXT_CAP
    return data[:RAW_TEXT_CAP].decode("utf-8", "replace"), truncated


def _list_files(path: Path) -> tuple[list | None, str | None]:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.model.artifacts import list_artifacts

    try:
        with open_model_files(path) as src:
            return list_artifacts(src, {}), None
    except MlmanagerError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, str(exc)


def load_outcome(state: TaskState | None, path: str) -> LoadOutcome:
    """Load one model (runs in a worker thread); never raises for bad input."""
    outcome = _load(path)
    if outcome.artifacts is not None:
        outcome.artifact_tree = build_tree(outcome.artifacts)
    return outcome


def _load(path: str) -> LoadOutcome:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.model.artifacts import doc_artifacts

    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.model.mlmodel import load_model

    p = Path(path)
    try:
        doc = load_model(p)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an error entry
        raw, truncated = _raw_text(p)
        files, files_error = _list_files(p)
        return LoadOutcome(None, ErrorInfo.from_exception(exc), raw, truncated, files, files_error)
    _ = doc.signature  # parse now, off the GUI thread
    try:
        arts, arts_error = doc_artifacts(doc), None
    except MlmanagerError as exc:
        arts, arts_error = None, str(exc)
    return LoadOutcome(doc, None, doc.text, False, arts, arts_error)


class ModelStore(QObject):
    entry_added = Signal(object)
    entry_changed = Signal(object)
    entry_removed = Signal(object)
    changed_on_disk = Signal(object)  # the model's files changed; reload (or ask first)

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._entries: dict[str, ModelEntry] = {}
        self._loading: dict[str, Task] = {}
        self._transient: list[str] = []  # unpinned keys, oldest first
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_path_changed)
        self._watcher.directoryChanged.connect(self._on_path_changed)
        self._watched: dict[str, dict[str, bool]] = {}  # path -> {key: content change?}
        self._timers: dict[str, QTimer] = {}
        self._content_changed: set[str] = set()

    # queries ------------------------------------------------------------------------------------

    def get(self, key: str) -> ModelEntry | None:
        return self._entries.get(key)

    def find(self, path: str | os.PathLike[str]) -> ModelEntry | None:
        return self._entries.get(model_key(path))

    def entries(self) -> list[ModelEntry]:
        return list(self._entries.values())

    def pinned(self) -> list[ModelEntry]:
        return [e for e in self._entries.values() if e.pinned]

    def is_loading(self) -> bool:
        return bool(self._loading)

    # opening and closing ----------------------------------------------------------------------

    def open(self, path: str | os.PathLike[str], *, pinned: bool = True,
             info: dict[str, Any] | None = None, load: bool = True) -> tuple[ModelEntry, bool]:
        """The entry for ``path`` and whether it is new; a new one starts loading (unless
        ``load`` is False: the caller calls ``start_loading`` itself, e.g. after a paint)."""
        p = Path(os.path.abspath(os.fspath(path)))
        if p.name == MLMODEL and not p.is_dir():
            p = p.parent
        key = model_key(p)
        entry = self._entries.get(key)
        if entry is not None:
            if info:
                entry.info.update(info)
            if pinned and not entry.pinned:
                entry.pinned = True
                if key in self._transient:
                    self._transient.remove(key)
                self.entry_changed.emit(entry)
            return entry, False
        entry = ModelEntry(key=key, path=p, pinned=pinned, info=dict(info or {}))
        self._entries[key] = entry
        if not pinned:
            self._transient.append(key)
            self._trim_transient()
        self.entry_added.emit(entry)
        if load:
            self._start_load(entry)
        return entry, True

    def start_loading(self, entry: ModelEntry) -> None:
        """Load an entry opened with ``load=False`` (nothing if it is loading, loaded or closed)."""
        if (self._entries.get(entry.key) is entry and entry.key not in self._loading
                and entry.state is EntryState.LOADING and entry.doc is None):
            self._start_load(entry)

    def close(self, entry: ModelEntry) -> None:
        if self._entries.pop(entry.key, None) is None:
            return
        task = self._loading.pop(entry.key, None)
        if task is not None:
            task.cancel()
        if entry.key in self._transient:
            self._transient.remove(entry.key)
        self._unwatch(entry)
        self._close_doc(entry)
        self.entry_removed.emit(entry)

    def unpin(self, entry: ModelEntry) -> None:
        """Keep a model loaded for its tracking-folder node, but not as an open model."""
        if entry.pinned:
            entry.pinned = False
            self._transient.append(entry.key)
            self.entry_changed.emit(entry)
            self._trim_transient()

    def _trim_transient(self, keep: str | None = None) -> None:
        """Close the oldest transient entries beyond the cap, never one with unsaved edits."""
        for key in list(self._transient):
            if len(self._transient) <= MAX_TRANSIENT:
                break
            if key == keep:
                continue
            entry = self._entries.get(key)
            if entry is None:
                self._transient.remove(key)
            elif not self.has_unsaved_edits(entry):
                self.close(entry)

    def has_unsaved_edits(self, entry: ModelEntry) -> bool:
        """Set by the main window (the signature editor knows); entries with edits stay open."""
        return False

    def close_all(self) -> None:
        for entry in list(self._entries.values()):
            self.close(entry)

    # loading ------------------------------------------------------------------------------------

    def reload(self, entry: ModelEntry) -> None:
        if self._entries.get(entry.key) is not entry:
            return
        if not entry.path.exists():
            self._mark_missing(entry)
            return
        entry.reloading = entry.state is not EntryState.LOADING
        self._start_load(entry)
        self.entry_changed.emit(entry)

    def _start_load(self, entry: ModelEntry) -> None:
        old = self._loading.pop(entry.key, None)
        if old is not None:
            old.cancel()
        task = self._tasks.start(load_outcome, str(entry.path), name=f"load {entry.path.name}")
        self._loading[entry.key] = task
        task.succeeded.connect(lambda outcome, t=task, e=entry: self._loaded(e, t, outcome))
        task.failed.connect(lambda err, t=task, e=entry: self._load_failed(e, t, err))

    def _current(self, entry: ModelEntry, task: Task) -> bool:
        if self._loading.get(entry.key) is not task:
            return False  # superseded by a newer load, or closed
        del self._loading[entry.key]
        return self._entries.get(entry.key) is entry

    def _loaded(self, entry: ModelEntry, task: Task, outcome: LoadOutcome) -> None:
        if not self._current(entry, task):
            if outcome.doc is not None:
                outcome.doc.close()
            return
        self._close_doc(entry)
        entry.doc = outcome.doc
        entry.error = outcome.error
        entry.raw_text = outcome.raw_text
        entry.raw_truncated = outcome.raw_truncated
        entry.artifacts = outcome.artifacts
        entry.artifacts_error = outcome.artifacts_error
        entry.artifact_tree = outcome.artifact_tree
        entry.generation += 1
        entry.cache.clear()
        entry.reloading = False
        if outcome.doc is not None:
            entry.state = EntryState.READY
        elif not entry.path.exists():
            entry.state = EntryState.MISSING
        else:
            entry.state = EntryState.ERROR
        self._watch(entry)
        self.entry_changed.emit(entry)

    def _load_failed(self, entry: ModelEntry, task: Task, err: TaskError) -> None:
        err.handled = True  # shown in the model's error panel
        if not self._current(entry, task):
            return
        self._close_doc(entry)
        entry.error = ErrorInfo.from_task_error(err)
        entry.state = EntryState.ERROR
        entry.generation += 1
        entry.cache.clear()
        entry.reloading = False
        self._watch(entry)
        self.entry_changed.emit(entry)

    @staticmethod
    def _close_doc(entry: ModelEntry) -> None:
        if entry.doc is not None:
            with contextlib.suppress(Exception):  # closing a zip handle must not break the app
                entry.doc.close()
        entry.doc = None

    def _mark_missing(self, entry: ModelEntry) -> None:
        entry.state = EntryState.MISSING
        entry.reloading = False
        entry.generation += 1
        entry.cache.clear()
        self._close_doc(entry)
        self._watch(entry)
        self.entry_changed.emit(entry)

    # watching -----------------------------------------------------------------------------------

    def _watch_paths(self, entry: ModelEntry) -> list[tuple[str, bool]]:
        """(path, content?) pairs: the folder and its MLmodel (content), and the parent folder
        (not content: it only tells us that the model folder was renamed or deleted)."""
        p = entry.path
        if entry.state is EntryState.MISSING or not p.exists():
            parent = p.parent
            while not parent.exists() and parent != parent.parent:
                parent = parent.parent
            return [(str(parent), False)]
        paths = [(str(p), True)]
        if not entry.is_zip and (p / MLMODEL).exists():
            paths.append((str(p / MLMODEL), True))
        if p.parent != p:
            paths.append((str(p.parent), False))
        return paths

    def _watch(self, entry: ModelEntry) -> None:
        self._unwatch(entry)
        watched = set(self._watcher.files()) | set(self._watcher.directories())
        for path, content in self._watch_paths(entry):
            self._watched.setdefault(path, {})[entry.key] = content
            if path not in watched:
                self._watcher.addPath(path)
                watched.add(path)

    def _unwatch(self, entry: ModelEntry) -> None:
        for path in [p for p, keys in self._watched.items() if entry.key in keys]:
            keys = self._watched[path]
            keys.pop(entry.key, None)
            if not keys:
                del self._watched[path]
                self._watcher.removePath(path)

    def watched_paths(self) -> list[str]:
        return sorted(self._watcher.files() + self._watcher.directories())

    @Slot(str)
    def _on_path_changed(self, path: str) -> None:
        for key, content in list(self._watched.get(path, {}).items()):
            if content:
                self._content_changed.add(key)
            timer = self._timers.get(key)
            if timer is None:
                timer = QTimer(self)
                timer.setSingleShot(True)
                timer.setInterval(DEBOUNCE_MS)
                timer.timeout.connect(lambda k=key: self._settled(k))
                self._timers[key] = timer
            timer.start()

    def _settled(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.deleteLater()
        content = key in self._content_changed
        self._content_changed.discard(key)
        entry = self._entries.get(key)
        if entry is None:
            return
        if not entry.path.exists():
            if entry.state is not EntryState.MISSING:
                self._mark_missing(entry)
            else:
                self._watch(entry)
            return
        if entry.state is EntryState.MISSING:
            self.reload(entry)  # it came back
            return
        self._watch(entry)  # an atomic replace drops the file from the watcher
        if content:
            self.changed_on_disk.emit(entry)
