"""Find MLflow models under a folder (mlflow-format.md §8.5), streaming, cancellable.

A model is a directory holding a *regular* file named ``MLmodel``. The walk uses
``os.scandir`` and never follows symlinks, never opens FIFOs or devices, does not descend into
a found model (so 2.11-2.15 ``metadata/MLmodel`` copies are not models of their own), and skips
``.trash`` (unless ``include_deleted``), the file store's model registry (``mlruns/models``)
and the bookkeeping folders of runs and logged models (``params``, ``metrics``, ``tags``, ...).
An unreadable folder becomes a :class:`ScanProblem` and the walk goes on.

Each model is classified by its path (``run_artifact``, ``logged_model`` or ``standalone``)
and named from ``meta.yaml`` or ``mlflow.db`` (:mod:`mlmanager.core.library.tracking`). Its
``MLmodel`` is read only for flavors, signature presence and ids; a broken one still yields
the model, with ``error`` set and a problem reported.

Sources are pluggable (architecture rule 8): :class:`LocalFolderSource` implements
:class:`LibrarySource`; a remote MLflow source can implement the same protocol and yield
:class:`DiscoveredModel` objects whose ``location`` reads files over REST.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from mlmanager.core.errors import MlmanagerError, ModelReadError
from mlmanager.core.library.tracking import (
    EntityInfo,
    FileStoreNames,
    LayeredNames,
    SqliteTrackingSource,
    TrackingNames,
    find_tracking_db,
    read_small_file,
)
from mlmanager.core.model import yamlio
from mlmanager.core.model.files import FolderFiles, ModelFiles
from mlmanager.core.model.yamlfast import load_yaml_fast

__all__ = [
    "DiscoveredModel",
    "LibrarySource",
    "LocalFolderSource",
    "LocalModelLocation",
    "ModelKind",
    "ModelLocation",
    "Ref",
    "ScanProblem",
    "ScanResult",
    "classify",
    "iter_scan",
    "read_mlmodel_facts",
    "scan",
    "scan_to_json",
]

ModelKind = Literal["run_artifact", "logged_model", "standalone"]
Cancel = Callable[[], bool]
Progress = Callable[[int], None]

MLMODEL = "MLmodel"
MAX_DEPTH = 128  # deeper than any real tree; a bind-mount loop ends here
PROGRESS_EVERY = 64  # directories between progress calls
# walk modes: an ordinary folder; <exp>/models of a file store; a path guessed, not listed
_NORMAL, _LOGGED_MODELS, _SPECULATIVE = 0, 1, 2
_RUN_ID = re.compile(r"[0-9a-f]{32}")
_LOGGED_MODEL_ID = re.compile(r"m-[0-9a-f]{32}")
# folders of a run / logged model that never hold models (keys of params/tags may nest!)
_ENTITY_KEEP = "artifacts"
# reserved folders of a file-store experiment that hold no models (FileStore's list)
_EXPERIMENT_SKIP = frozenset({"tags", "datasets", "traces"})


# --------------------------------------------------------------------------- data


@runtime_checkable
class ModelLocation(Protocol):
    """Where a discovered model lives (a local folder now, a tracking server later)."""

    @property
    def uri(self) -> str: ...

    def open(self) -> ModelFiles:
        """Read-only access to the model's files (see :mod:`mlmanager.core.model.files`)."""
        ...


@dataclass(frozen=True, slots=True)
class LocalModelLocation:
    """A model folder on the local disk (kept as text: a scan makes thousands of these)."""

    path_text: str

    @property
    def path(self) -> Path:
        return Path(self.path_text)

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def open(self) -> ModelFiles:
        return FolderFiles(self.path_text)


@dataclass(frozen=True, slots=True)
class Ref:
    """An experiment or run: its id (from the folder name) and its name, when known."""

    id: str
    name: str | None

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class DiscoveredModel:
    """One model found by a scan. The location is the truth; ids in MLmodel may be stale."""

    location: ModelLocation
    kind: ModelKind
    name: str
    experiment: Ref | None = None
    run: Ref | None = None
    model_id: str | None = None
    flavors: tuple[str, ...] = ()
    has_signature: bool = False
    artifact_path: str | None = None  # run_artifact: the path under the run's artifacts/
    mlmodel_run_id: str | None = None  # as written in MLmodel
    mlmodel_model_id: str | None = None  # as written in MLmodel
    deleted: bool = False  # only ever True with include_deleted=True
    error: str | None = None  # why MLmodel could not be read/parsed (the path is known)

    @property
    def path(self) -> Path:
        """The model folder (local sources); other sources give their URI as a path."""
        return Path(self.path_text)

    @property
    def path_text(self) -> str:
        loc = self.location
        return loc.path_text if isinstance(loc, LocalModelLocation) else loc.uri


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """Something the scan could not read; the scan went on."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.message}: {self.path}"

    def to_json(self) -> dict:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True, slots=True)
class ScanResult:
    root: str
    models: list[DiscoveredModel]
    problems: list[ScanProblem]


@runtime_checkable
class LibrarySource(Protocol):
    """Anything that lists models: a local folder, later a remote tracking server."""

    def iter_models(
        self, cancel: Cancel | None = None, progress: Progress | None = None
    ) -> Iterator[DiscoveredModel | ScanProblem]: ...


# --------------------------------------------------------------------------- MLmodel facts


@dataclass(frozen=True, slots=True)
class _MLmodelFacts:
    flavors: tuple[str, ...] = ()
    has_signature: bool = False
    run_id: str | None = None
    model_id: str | None = None
    error: str | None = None


def _id_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def read_mlmodel_facts(model_dir: str, *, known_regular: bool = False) -> _MLmodelFacts:
    """Flavor names, signature presence and ids from ``<model_dir>/MLmodel``; never raises.

    ``error`` is a message without the path (the model's folder is known to the caller).
    ``known_regular``: the caller just saw ``MLmodel`` as a regular file (skips an lstat).
    """
    path = os.path.join(model_dir, MLMODEL)
    try:
        data = read_small_file(path, yamlio.MAX_YAML_BYTES, known_regular=known_regular)
        if data is None:
            return _MLmodelFacts(error="MLmodel vanished during the scan")
        doc = load_yaml_fast(data, path)
    except MlmanagerError as exc:
        return _MLmodelFacts(error=exc.message)
    except OSError as exc:
        return _MLmodelFacts(error=f"cannot read MLmodel: {exc.strerror or exc}")
    if not isinstance(doc, dict):
        return _MLmodelFacts(error="MLmodel is not a YAML mapping")
    flavors = doc.get("flavors")
    error = None
    if isinstance(flavors, dict):
        names = tuple(str(k) for k in flavors)
    else:
        names = ()
        if flavors is not None:
            error = "'flavors' is not a mapping"
    sig = doc.get("signature")
    # like mlflow's Model.from_dict + ModelSignature.from_dict: a mapping with a non-empty part
    has_sig = isinstance(sig, dict) and any(sig.get(k) for k in ("inputs", "outputs", "params"))
    return _MLmodelFacts(
        names, has_sig, _id_text(doc.get("run_id")), _id_text(doc.get("model_id")), error
    )


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True, slots=True)
class _Place:
    kind: ModelKind
    store_root: str | None = None  # the folder holding experiment folders
    experiment_id: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    artifact_path: str | None = None


def classify(model_dir: str) -> _Place:
    """Classify a model folder by its path (§8.5 step 2)."""
    parts = model_dir.split(os.sep)
    n = len(parts)
    if "artifacts" not in parts:
        return _Place("standalone")
    if (
        n >= 5
        and parts[-1] == "artifacts"
        and parts[-3] == "models"
        and _LOGGED_MODEL_ID.fullmatch(parts[-2])
        and parts[-4]
    ):
        return _Place(
            "logged_model", os.sep.join(parts[:-4]) or os.sep, parts[-4], model_id=parts[-2]
        )
    for i in range(2, n - 1):
        if parts[i + 1] == "artifacts" and parts[i - 1] and _RUN_ID.fullmatch(parts[i]):
            return _Place(
                "run_artifact",
                os.sep.join(parts[: i - 1]) or os.sep,
                parts[i - 1],
                run_id=parts[i],
                artifact_path="/".join(parts[i + 2 :]),
            )
    return _Place("standalone")


# --------------------------------------------------------------------------- the local source


class LocalFolderSource:
    """Walks a local folder for models; names them from ``meta.yaml`` / ``mlflow.db``."""

    def __init__(self, root: str | os.PathLike[str], *, include_deleted: bool = False) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.include_deleted = include_deleted
        self._names: dict[str, TrackingNames] = {}
        self._dbs: dict[str, SqliteTrackingSource] = {}
        self._problems: list[ScanProblem] = []
        self._reported: set[tuple[str, str]] = set()

    # -- problems and naming layers

    def _report(self, path: str, message: str) -> None:
        if (path, message) not in self._reported:
            self._reported.add((path, message))
            self._problems.append(ScanProblem(path, message))

    def _names_for(self, store_root: str) -> TrackingNames:
        names = self._names.get(store_root)
        if names is None:
            layers: list[TrackingNames] = [FileStoreNames(store_root, self._report)]
            db = find_tracking_db(store_root, self.root)
            if db is not None:
                if db not in self._dbs:
                    self._dbs[db] = SqliteTrackingSource(db, self._report)
                layers.append(self._dbs[db])
            names = self._names[store_root] = LayeredNames(layers)
        return names

    # -- one model

    def _model(self, model_dir: str) -> DiscoveredModel | None:
        """Build the model found in ``model_dir``; ``None`` when it is deleted and skipped."""
        place = classify(model_dir)
        experiment = run = None
        name = None
        model_id = place.model_id
        deleted = False
        if place.kind != "standalone":
            assert place.store_root is not None and place.experiment_id is not None
            names = self._names_for(place.store_root)
            exp_id = place.experiment_id
            exp = names.experiment(exp_id)
            deleted = exp is not None and exp.deleted
            experiment = Ref(exp_id, exp.name if exp else None)
            run_info: EntityInfo | None
            if place.kind == "run_artifact":
                assert place.run_id is not None
                run_info = names.run(exp_id, place.run_id)
                deleted = deleted or (run_info is not None and run_info.deleted)
                run = Ref(place.run_id, run_info.name if run_info else None)
                name = place.artifact_path or None
            else:
                assert model_id is not None
                info = names.logged_model(exp_id, model_id)
                if info is not None:
                    deleted = deleted or info.deleted
                    name = info.name
                    if info.source_run_id:
                        run_info = names.run(exp_id, info.source_run_id)
                        run = Ref(info.source_run_id, run_info.name if run_info else None)
            if deleted and not self.include_deleted:
                return None
        facts = read_mlmodel_facts(model_dir, known_regular=True)
        if facts.error:
            self._report(model_dir, f"bad MLmodel: {facts.error}")
        if place.kind == "logged_model" and run is None and facts.run_id:
            run = Ref(facts.run_id, None)  # no meta.yaml/db: the id MLmodel recorded
        if model_id is None:
            model_id = facts.model_id
        if not name:
            name = (model_id if place.kind == "logged_model" else None) or os.path.basename(
                model_dir
            )
        return DiscoveredModel(
            location=LocalModelLocation(model_dir),
            kind=place.kind,
            name=name,
            experiment=experiment,
            run=run,
            model_id=model_id,
            flavors=facts.flavors,
            has_signature=facts.has_signature,
            artifact_path=place.artifact_path,
            mlmodel_run_id=facts.run_id,
            mlmodel_model_id=facts.model_id,
            deleted=deleted,
            error=facts.error,
        )

    # -- the walk

    def _children(
        self, path: str, entries: list[os.DirEntry], names: list[str], has_meta: bool, mode: int
    ) -> list[tuple[str, int]]:
        """Child folders worth walking (name or ``name/artifacts``, walk mode), sorted."""
        base = path[path.rfind(os.sep) + 1 :]
        if has_meta and (_RUN_ID.fullmatch(base) or _LOGGED_MODEL_ID.fullmatch(base)):
            # a run or logged model of a file store: only artifacts/ can hold models
            if _ENTITY_KEEP in names and entries[names.index(_ENTITY_KEEP)].is_dir(
                follow_symlinks=False
            ):
                return [(_ENTITY_KEEP, _NORMAL)]
            return []
        dirs = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        if not dirs:
            return []
        dirs.sort()
        if mode == _LOGGED_MODELS:
            # <exp>/models of a file store: go straight to each model's artifacts/
            return [
                (d + os.sep + _ENTITY_KEEP, _SPECULATIVE)
                if _LOGGED_MODEL_ID.fullmatch(d)
                else (d, _NORMAL)
                for d in dirs
            ]
        if has_meta and base.isdigit():
            # a file-store experiment: runs hold models only under artifacts/ (params, tags,
            # metrics, outputs never do), and models/ holds logged models
            out = []
            for d in dirs:
                if _RUN_ID.fullmatch(d):
                    out.append((d + os.sep + _ENTITY_KEEP, _SPECULATIVE))
                elif d == "models":
                    out.append((d, _LOGGED_MODELS))
                elif d not in _EXPERIMENT_SKIP and (d != ".trash" or self.include_deleted):
                    out.append((d, _NORMAL))
            return out
        skip: set[str] = set()
        if not self.include_deleted:
            skip.add(".trash")
        if "models" in dirs and not has_meta and self._is_store_root(path, dirs):
            skip.add("models")  # the model registry (§8.4): meta.yaml files, no MLmodel
        return [(d, _NORMAL) for d in dirs if d not in skip]

    @staticmethod
    def _is_store_root(path: str, dirs: list[str]) -> bool:
        """Is ``path`` a file store's root (``.trash`` or an experiment folder with meta.yaml)?"""
        if ".trash" in dirs:
            return True
        return any(
            d.isdigit() and os.path.isfile(os.path.join(path, d, "meta.yaml")) for d in dirs
        )

    def iter_models(
        self, cancel: Cancel | None = None, progress: Progress | None = None
    ) -> Iterator[DiscoveredModel | ScanProblem]:
        """Yield models (and problems) as they are found, depth first in name order.

        ``cancel`` is polled before each folder; ``progress`` gets the number of folders read
        so far (every ``PROGRESS_EVERY`` folders and once at the end). Raises
        :class:`ModelReadError` right away when the root is not an existing folder.
        """
        root = self.root
        if not os.path.isdir(root):
            message = "not a folder" if os.path.exists(root) else "no such folder"
            raise ModelReadError(message, root)
        return self._walk(cancel, progress)

    def _walk(
        self, cancel: Cancel | None, progress: Progress | None
    ) -> Iterator[DiscoveredModel | ScanProblem]:
        problems = self._problems
        sep = os.sep
        stack: list[tuple[str, int, int]] = [(self.root, 0, _NORMAL)]
        n_dirs = 0
        while stack:
            if cancel is not None and cancel():
                break
            path, depth, mode = stack.pop()
            try:
                if mode == _SPECULATIVE:
                    # not seen in a listing: only a real folder counts (never a symlink)
                    try:
                        if not stat.S_ISDIR(os.lstat(path).st_mode):
                            continue
                    except (FileNotFoundError, NotADirectoryError):
                        continue
                    mode = _NORMAL
                with os.scandir(path) as it:
                    entries = list(it)
            except PermissionError:
                yield ScanProblem(path, "permission denied")
                continue
            except FileNotFoundError:
                yield ScanProblem(path, "vanished during the scan")
                continue
            except OSError as exc:
                yield ScanProblem(path, exc.strerror or str(exc))
                continue
            n_dirs += 1
            if progress is not None and n_dirs % PROGRESS_EVERY == 0:
                progress(n_dirs)
            names = [e.name for e in entries]
            if MLMODEL in names and entries[names.index(MLMODEL)].is_file(follow_symlinks=False):
                # a regular file (lstat): a symlink, FIFO or device named MLmodel is no model
                model = self._model(path)
                if problems:
                    yield from problems
                    problems.clear()
                if model is not None:
                    yield model
                continue
            has_meta = "meta.yaml" in names and entries[names.index("meta.yaml")].is_file(
                follow_symlinks=False
            )
            children = self._children(path, entries, names, has_meta, mode)
            if not children:
                continue
            if depth >= MAX_DEPTH:
                yield ScanProblem(path, f"deeper than {MAX_DEPTH} levels; not walked further")
                continue
            prefix = path if path.endswith(sep) else path + sep
            for child, child_mode in reversed(children):
                stack.append((prefix + child, depth + 1, child_mode))
        if problems:
            yield from problems
            problems.clear()
        if progress is not None:
            progress(n_dirs)


# --------------------------------------------------------------------------- entry points


def iter_scan(
    root: str | os.PathLike[str],
    *,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
    include_deleted: bool = False,
) -> Iterator[DiscoveredModel | ScanProblem]:
    """Stream the models (and problems) under ``root`` as they are found.

    Raises :class:`ModelReadError` when ``root`` is not an existing folder.
    """
    source = LocalFolderSource(root, include_deleted=include_deleted)
    return source.iter_models(cancel=cancel, progress=progress)


def scan(
    root: str | os.PathLike[str],
    *,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
    include_deleted: bool = False,
) -> ScanResult:
    """Find every model under ``root``; models sorted by path."""
    models: list[DiscoveredModel] = []
    problems: list[ScanProblem] = []
    for item in iter_scan(
        root, cancel=cancel, progress=progress, include_deleted=include_deleted
    ):
        if isinstance(item, DiscoveredModel):
            models.append(item)
        else:
            problems.append(item)
    models.sort(key=lambda m: m.path_text)
    return ScanResult(os.path.abspath(os.fspath(root)), models, problems)


def model_to_json(model: DiscoveredModel) -> dict:
    return {
        "path": model.path_text,
        "kind": model.kind,
        "experiment": model.experiment.to_json() if model.experiment else None,
        "run": model.run.to_json() if model.run else None,
        "model_id": model.model_id,
        "name": model.name,
        "flavors": list(model.flavors),
        "has_signature": model.has_signature,
    }


def scan_to_json(result: ScanResult) -> dict:
    """The ``mlmanager scan ROOT --json`` document."""
    return {
        "root": result.root,
        "models": [model_to_json(m) for m in result.models],
        "problems": [p.to_json() for p in result.problems],
    }
