"""Names and lifecycle of tracking entities (experiments, runs, logged models).

Two naming layers for models found on disk (mlflow-format.md §8):

* :class:`FileStoreNames` reads the file store's ``meta.yaml`` files
  (``<exp>/meta.yaml``, ``<exp>/<run>/meta.yaml``, ``<exp>/models/<id>/meta.yaml``);
* :class:`SqliteTrackingSource` reads ``mlflow.db`` (MLflow >= 3.7 default) strictly read-only:
  ``mode=ro&immutable=1`` takes no locks against a running MLflow and creates no -wal/-shm files.

Both only add names; the folder layout stays the truth for where a model is. Problems (a broken
``meta.yaml``, an unreadable database) go to a ``report(path, message)`` callback, never raise.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlmanager.core.errors import MlmanagerError, UnsafePathError, YamlError
from mlmanager.core.model.yamlfast import load_yaml_fast

MAX_META_BYTES = 256 * 1024  # a meta.yaml is a few hundred bytes
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in cannot block us
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

Report = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """What a naming layer knows about one experiment, run or logged model."""

    id: str
    name: str | None
    deleted: bool = False
    source_run_id: str | None = None  # logged models: the run that logged it


class TrackingNames(Protocol):
    """A naming layer: looks up entities by the ids found in folder names."""

    def experiment(self, exp_id: str) -> EntityInfo | None: ...

    def run(self, exp_id: str, run_id: str) -> EntityInfo | None: ...

    def logged_model(self, exp_id: str, model_id: str) -> EntityInfo | None: ...


def read_small_file(path: str, max_bytes: int, *, known_regular: bool = False) -> bytes | None:
    """Read a regular file without following symlinks or blocking; ``None`` if it is absent.

    Devices and FIFOs are never opened: an ``lstat`` comes first, unless the caller has just
    seen the entry as a regular file (``known_regular``, e.g. from ``os.scandir``); the
    ``fstat`` after opening (``O_NOFOLLOW | O_NONBLOCK``) catches a swap in between.
    Raises :class:`UnsafePathError` for a symlink/FIFO/device, :class:`YamlError` when larger
    than ``max_bytes`` and ``OSError`` for other failures (permission, I/O).
    """
    if not known_regular:
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(mode):
            raise UnsafePathError("is a symbolic link; not followed", path)
        if not stat.S_ISREG(mode):
            raise UnsafePathError("is not a regular file", path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafePathError("is a symbolic link; not followed", path) from None
        raise exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError("is not a regular file", path)
        if st.st_size > max_bytes:
            raise YamlError(
                f"file is {st.st_size:,} bytes, larger than the {max_bytes:,}-byte limit", path
            )
        data = os.read(fd, st.st_size + 1)
        if len(data) > st.st_size:  # grew while we read it: take what the cap allows
            while len(data) <= max_bytes:
                more = os.read(fd, max_bytes + 1 - len(data))
                if not more:
                    break
                data += more
            if len(data) > max_bytes:
                raise YamlError(f"file is larger than the {max_bytes:,}-byte limit", path)
        return data
    finally:
        os.close(fd)


def _text(value: Any) -> str | None:
    """A name as text: YAML may have turned ``name: 2024`` into an int."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_deleted(doc: dict) -> bool:
    return doc.get("lifecycle_stage") == "deleted"


class FileStoreNames:
    """Names from a file store's ``meta.yaml`` files under ``store_root`` (cached per entity)."""

    def __init__(self, store_root: str, report: Report) -> None:
        self.root = store_root
        self._report = report
        self._cache: dict[str, EntityInfo | None] = {}

    def _load(self, path: str) -> dict | None:
        try:
            data = read_small_file(path, MAX_META_BYTES)
            if data is None:
                return None
            doc = load_yaml_fast(data, path, max_bytes=MAX_META_BYTES)
        except MlmanagerError as exc:
            self._report(path, f"bad meta.yaml: {exc.message}")
            return None
        except OSError as exc:
            self._report(path, f"cannot read meta.yaml: {exc.strerror or exc}")
            return None
        if not isinstance(doc, dict):
            self._report(path, "bad meta.yaml: not a mapping")
            return None
        return doc

    def experiment(self, exp_id: str) -> EntityInfo | None:
        key = "e/" + exp_id
        if key in self._cache:
            return self._cache[key]
        info = None
        doc = self._load(f"{self.root}{os.sep}{exp_id}{os.sep}meta.yaml")
        if doc is not None:
            info = EntityInfo(exp_id, _text(doc.get("name")), _is_deleted(doc))
        self._cache[key] = info
        return info

    def run(self, exp_id: str, run_id: str) -> EntityInfo | None:
        key = f"r/{exp_id}/{run_id}"
        if key in self._cache:
            return self._cache[key]
        info = None
        run_dir = f"{self.root}{os.sep}{exp_id}{os.sep}{run_id}"
        doc = self._load(f"{run_dir}{os.sep}meta.yaml")
        if doc is not None:
            name = _text(doc.get("run_name")) or None
            if name is None:  # 1.x wrote the name only as the mlflow.runName tag
                name = self._run_name_tag(run_dir)
            info = EntityInfo(run_id, name, _is_deleted(doc))
        self._cache[key] = info
        return info

    def logged_model(self, exp_id: str, model_id: str) -> EntityInfo | None:
        key = f"m/{exp_id}/{model_id}"
        if key in self._cache:
            return self._cache[key]
        info = None
        sep = os.sep
        doc = self._load(f"{self.root}{sep}{exp_id}{sep}models{sep}{model_id}{sep}meta.yaml")
        if doc is not None:
            info = EntityInfo(
                model_id,
                _text(doc.get("name")),
                _is_deleted(doc),
                _text(doc.get("source_run_id")) or None,
            )
        self._cache[key] = info
        return info

    def _run_name_tag(self, run_dir: str) -> str | None:
        path = os.path.join(run_dir, "tags", "mlflow.runName")
        try:
            data = read_small_file(path, 4096)
        except (MlmanagerError, OSError):
            return None
        if not data:
            return None
        return data.decode("utf-8", errors="replace").strip() or None


class SqliteTrackingSource:
    """Names from an ``mlflow.db`` tracking database, opened read-only and immutable.

    The three tables are read once, on first use. Missing tables or columns (older schemas)
    just mean fewer names.
    """

    _TABLES = {
        "experiments": ("experiment_id", "name", "lifecycle_stage"),
        "runs": ("run_uuid", "name", "lifecycle_stage", "experiment_id"),
        "logged_models": ("model_id", "name", "lifecycle_stage", "source_run_id"),
    }

    def __init__(self, db_path: str, report: Report) -> None:
        self.db_path = db_path
        self._report = report
        self._loaded = False
        self._experiments: dict[str, EntityInfo] = {}
        self._runs: dict[str, EntityInfo] = {}
        self._models: dict[str, EntityInfo] = {}

    @staticmethod
    def connect(db_path: str) -> sqlite3.Connection:
        """Open read-only and immutable: no locks, no journal files, nothing written."""
        uri = Path(os.path.abspath(db_path)).as_uri() + "?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True)

    def _load(self) -> None:
        self._loaded = True
        try:
            st = os.lstat(self.db_path)
        except OSError as exc:
            self._report(self.db_path, f"cannot read mlflow.db: {exc.strerror or exc}")
            return
        if not stat.S_ISREG(st.st_mode):
            self._report(self.db_path, "mlflow.db is not a regular file; not opened")
            return
        try:
            con = self.connect(self.db_path)
        except sqlite3.Error as exc:
            self._report(self.db_path, f"cannot open mlflow.db: {exc}")
            return
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table, wanted in self._TABLES.items():
                if table not in tables:
                    continue
                have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
                if wanted[0] not in have:
                    continue
                cols = ", ".join(c if c in have else "NULL" for c in wanted)
                rows = con.execute(f"SELECT {cols} FROM {table}").fetchall()  # noqa: S608
                self._fill(table, rows)
        except sqlite3.Error as exc:
            self._report(self.db_path, f"cannot read mlflow.db: {exc}")
        finally:
            con.close()

    def _fill(self, table: str, rows: list[tuple]) -> None:
        if table == "experiments":
            for eid, name, stage in rows:
                self._experiments[str(eid)] = EntityInfo(str(eid), _text(name), stage == "deleted")
        elif table == "runs":
            for rid, name, stage, _eid in rows:
                self._runs[str(rid)] = EntityInfo(str(rid), _text(name) or None, stage == "deleted")
        else:
            for mid, name, stage, src in rows:
                self._models[str(mid)] = EntityInfo(
                    str(mid), _text(name), stage == "deleted", _text(src) or None
                )

    def experiment(self, exp_id: str) -> EntityInfo | None:
        if not self._loaded:
            self._load()
        return self._experiments.get(exp_id)

    def run(self, exp_id: str, run_id: str) -> EntityInfo | None:
        if not self._loaded:
            self._load()
        return self._runs.get(run_id)

    def logged_model(self, exp_id: str, model_id: str) -> EntityInfo | None:
        if not self._loaded:
            self._load()
        return self._models.get(model_id)


class LayeredNames:
    """Ask each layer in turn (``meta.yaml`` first: it sits in the very folder)."""

    def __init__(self, layers: list[TrackingNames]) -> None:
        self.layers = layers

    def experiment(self, exp_id: str) -> EntityInfo | None:
        for layer in self.layers:
            if (info := layer.experiment(exp_id)) is not None:
                return info
        return None

    def run(self, exp_id: str, run_id: str) -> EntityInfo | None:
        for layer in self.layers:
            if (info := layer.run(exp_id, run_id)) is not None:
                return info
        return None

    def logged_model(self, exp_id: str, model_id: str) -> EntityInfo | None:
        for layer in self.layers:
            if (info := layer.logged_model(exp_id, model_id)) is not None:
                return info
        return None


def find_tracking_db(store_root: str, scan_root: str) -> str | None:
    """The ``mlflow.db`` that names the models under ``store_root`` (the folder of experiments).

    Looked for beside the store folder (``X/mlflow.db`` next to ``X/mlruns``), inside it, and at
    the scan root. Only regular files count (``lstat``: a FIFO would block sqlite's open).
    """
    for candidate in (
        os.path.join(os.path.dirname(store_root), "mlflow.db"),
        os.path.join(store_root, "mlflow.db"),
        os.path.join(scan_root, "mlflow.db"),
    ):
        try:
            if stat.S_ISREG(os.lstat(candidate).st_mode):
                return candidate
        except OSError:
            continue
    return None
