"""Copy a model into any folder, or into a file-store tracking folder as a run artifact.

``layout="folder"`` works like ``cp -r``: when ``dest`` is an existing folder the model goes to
``dest/<name>``, otherwise ``dest`` becomes the copy.

``layout="tracking"`` writes the MLflow file-store layout (mlflow-format.md §8.1)::

    <dest>/0/meta.yaml                          # "Default", created with a new store
    <dest>/<exp_id>/meta.yaml                   # created when the experiment is new
    <dest>/<exp_id>/<run_id>/meta.yaml          # a new FINISHED run (or an existing run_id)
    <dest>/<exp_id>/<run_id>/tags/mlflow.*      # runName, user, source.name, source.type
    <dest>/<exp_id>/<run_id>/artifacts/<name>/  # the model

so ``mlmanager scan`` lists it with its experiment and run names and MLflow's ``MlflowClient``
(``MLFLOW_ALLOW_FILE_STORE=true``) reads it: ``runs:/<run_id>/<name>`` loads. New ``meta.yaml``
files copy the key set of the store's existing ones (an MLflow 2.x store gets 2.x-style files),
or MLflow 3.17.2's when the store is new. The ``MLmodel`` is copied untouched (its ``run_id``
and ``artifact_path`` keep naming where it was logged first; the folder is the truth).

All or nothing: the model is staged and renamed into place, the run's ``meta.yaml`` is written
last, and whatever was created (run, experiment, store) is removed again on failure or cancel.
A SQLite store's artifact folder is refused: its metadata lives in ``mlflow.db``, and
``meta.yaml`` files there would turn it into a different (file) store for MLflow.
"""

from __future__ import annotations

import getpass
import os
import random
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import InvalidError, MlmanagerError, ModelReadError, WriteError
from mlmanager.core.library.tracking import read_small_file
from mlmanager.core.model.yamlfast import load_yaml_fast
from mlmanager.core.model.yamlio import dump_mlflow_yaml
from mlmanager.core.transfer.export import export_folder, model_folder
from mlmanager.core.transfer.staging import (
    CancelFn,
    ProgressFn,
    TransferResult,
    remove_quietly,
)

LAYOUTS = ("folder", "tracking")
DEFAULT_EXPERIMENT = "Default"
_EXP_ID_WIDTH = 18
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_META = "meta.yaml"
_MAX_META = 256 * 1024
# the keys MLflow 3.17.2 writes (observed), and how we fill them
_EXPERIMENT_KEYS = ("artifact_location", "creation_time", "effective_trace_archival_retention",
                    "experiment_id", "last_update_time", "lifecycle_stage", "name",
                    "trace_location", "workspace")
_RUN_KEYS = ("artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage",
             "run_id", "run_name", "source_name", "source_type", "source_version", "start_time",
             "status", "tags", "user_id")
_RUN_STATUS_FINISHED = 3
_SOURCE_TYPE_LOCAL = 4


@dataclass
class CopyResult(TransferResult):
    layout: str = "folder"
    experiment_id: str | None = None
    experiment_name: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None

    @property
    def uri(self) -> str | None:
        """``runs:/<run_id>/<name>`` for tracking copies."""
        return f"runs:/{self.run_id}/{self.artifact_path}" if self.run_id else None


def copy_model_to(
    model: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    layout: str = "folder",
    *,
    name: str | None = None,
    experiment: str | None = None,
    run_id: str | None = None,
    run_name: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    symlinks: str = "refuse",
) -> CopyResult:
    """Copy ``model`` (a model folder or its MLmodel file) to ``dest`` in the given layout.

    ``name``: the copy's folder name / artifact path (default: the model's own name).
    Tracking layout only: ``experiment`` (a name; created if missing; default "Default"),
    ``run_id`` (an existing run to add the model to; default a new run named ``run_name``).
    """
    if layout not in LAYOUTS:
        raise InvalidError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    with model_folder(model) as source:
        root = source.root
    model_name = name if name is not None else default_name(root)
    _check_name(model_name)
    dest_path = Path(dest)
    if layout == "folder":
        if experiment is not None or run_id is not None:
            raise InvalidError("experiment and run_id only apply to the tracking layout")
        target = dest_path / model_name if (name is not None or dest_path.is_dir()) else dest_path
        done = export_folder(root, target, progress, cancel, symlinks=symlinks)
        return CopyResult(done.path, done.files, done.bytes, layout="folder")
    return _copy_to_tracking(root, dest_path, model_name, experiment, run_id, run_name,
                             progress, cancel, symlinks)


def default_name(root: Path) -> str:
    """The model's own name: its folder name, or for ``.../<id>/artifacts`` the logged model's
    or run's name from ``meta.yaml`` (else the id)."""
    if root.name != "artifacts":
        return root.name
    meta = _read_meta(root.parent / _META)
    for key in ("name", "run_name"):
        value = meta.get(key) if meta else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return root.parent.name or "model"


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise InvalidError(f"invalid model name {name!r}: use a plain folder name")


# ---------------------------------------------------------------------------------------------
# Tracking layout


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        data = read_small_file(str(path), _MAX_META)
        doc = load_yaml_fast(data, path, max_bytes=_MAX_META) if data is not None else None
    except (MlmanagerError, OSError):
        return None
    return doc if isinstance(doc, dict) else None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): MLflow says "unknown" too
        return "unknown"


def _write_meta(path: Path, data: dict[str, Any], root: Path) -> None:
    atomic_write(path, dump_mlflow_yaml(data).encode("utf-8"), root=root, backup=False)


def _keys_like(existing: dict[str, Any] | None, known: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[str]:
    """The key set to write: the store's own (keys we can fill), else MLflow 3.17.2's."""
    if existing:
        keys = [k for k in existing if k in known or k in extra]
        if keys:
            return keys
    return list(known)


def _experiments(store: Path) -> list[tuple[str, dict[str, Any], bool]]:
    """``(id, meta, deleted)`` for every experiment of the store (``.trash`` included)."""
    found = []
    for base, deleted in ((store, False), (store / ".trash", True)):
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) or not entry.name.isdigit():
                continue
            meta = _read_meta(Path(entry.path) / _META)
            if meta is not None:
                found.append((entry.name, meta, deleted or meta.get("lifecycle_stage") == "deleted"))
    return found


def _check_store(store: Path) -> None:
    if store.is_symlink() or (store.exists() and not store.is_dir()):
        raise WriteError("the tracking folder is not a folder", store)
    if (store / "mlflow.db").exists() or (store.parent / "mlflow.db").exists():
        raise WriteError(
            "this is (next to) a SQLite tracking store (mlflow.db): its runs live in the "
            "database, and meta.yaml files here would make MLflow treat the folder as a file "
            "store. Log the model with MLflow instead, or choose a file-store folder (mlruns)",
            store,
        )
    if store.is_dir() and any(store.iterdir()) and not _experiments(store):
        raise WriteError(
            "not a file-store tracking folder: it is not empty and holds no experiment "
            "(<id>/meta.yaml); choose an mlruns folder or a new folder", store,
        )


def _new_experiment_id(store: Path) -> str:
    """MLflow's ``_generate_unique_integer_id``: 18 random digits, no leading zero."""
    while True:
        digits = str(uuid.uuid4().int)[-_EXP_ID_WIDTH:]
        if digits[0] == "0":
            digits = str(random.randint(1, 9)) + digits[1:]
        if not (store / digits).exists() and not (store / ".trash" / digits).exists():
            return digits


def _experiment_meta(store: Path, exp_id: str, name: str, template: dict[str, Any] | None) -> dict[str, Any]:
    now = _now_ms()
    values: dict[str, Any] = {
        "artifact_location": (store / exp_id).resolve().as_uri(),
        "creation_time": now,
        "effective_trace_archival_retention": None,
        "experiment_id": exp_id,
        "last_update_time": now,
        "lifecycle_stage": "active",
        "name": name,
        "trace_location": None,
        "workspace": "default",
    }
    return {k: values[k] for k in _keys_like(template, _EXPERIMENT_KEYS)}


def _run_meta(run_dir: Path, exp_id: str, run_id: str, run_name: str,
              template: dict[str, Any] | None) -> dict[str, Any]:
    now = _now_ms()
    values: dict[str, Any] = {
        "artifact_uri": (run_dir / "artifacts").resolve().as_uri(),
        "end_time": now,
        "entry_point_name": "",
        "experiment_id": exp_id,
        "lifecycle_stage": "active",
        "run_id": run_id,
        "run_uuid": run_id,
        "run_name": run_name,
        "source_name": "",
        "source_type": _SOURCE_TYPE_LOCAL,
        "source_version": "",
        "start_time": now,
        "status": _RUN_STATUS_FINISHED,
        "tags": [],
        "user_id": _user(),
        "deleted_time": None,
    }
    return {k: values[k] for k in _keys_like(template, _RUN_KEYS, ("run_uuid", "deleted_time"))}


def _any_run_meta(store: Path, exp_id: str | None) -> dict[str, Any] | None:
    """An existing run's meta.yaml to copy the key set from (same experiment first)."""
    exps = [exp_id] if exp_id else []
    exps += [e for e, _m, _d in _experiments(store) if e != exp_id]
    for eid in exps:
        try:
            entries = sorted(os.scandir(store / eid), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if _RUN_ID.match(entry.name):
                meta = _read_meta(Path(entry.path) / _META)
                if meta:
                    return meta
    return None


def _copy_to_tracking(root: Path, store: Path, name: str, experiment: str | None,
                      run_id: str | None, run_name: str | None, progress: ProgressFn | None,
                      cancel: CancelFn | None, symlinks: str) -> CopyResult:
    _check_store(store)
    created: list[Path] = []  # removed again (in reverse) if anything fails
    try:
        if not store.exists():
            store.mkdir(parents=True)
            created.append(store)
        exps = _experiments(store)
        template = next((m for _e, m, _d in exps), None)
        if not (store / "0").exists() and not exps:
            (store / "0").mkdir()
            created.append(store / "0")
            _write_meta(store / "0" / _META, _experiment_meta(store, "0", DEFAULT_EXPERIMENT, None), store)
            exps = _experiments(store)
        (store / ".trash").mkdir(exist_ok=True)
        exp_name = experiment or DEFAULT_EXPERIMENT
        match = [(e, d) for e, m, d in exps if m.get("name") == exp_name]
        if any(d for _e, d in match):
            raise InvalidError(
                f"experiment {exp_name!r} exists in the deleted state; restore it in MLflow or "
                "choose another name", store,
            )
        if match:
            exp_id = match[0][0]
        else:
            exp_id = _new_experiment_id(store)
            (store / exp_id).mkdir()
            created.append(store / exp_id)
            _write_meta(store / exp_id / _META, _experiment_meta(store, exp_id, exp_name, template), store)
        if run_id is not None:
            if not _RUN_ID.match(run_id):
                raise InvalidError(f"invalid run id {run_id!r} (32 hex digits)")
            run_dir = store / exp_id / run_id
            if _read_meta(run_dir / _META) is None:
                raise ModelReadError(f"no run {run_id} in experiment {exp_name!r}", store / exp_id)
            new_run = False
        else:
            run_id = uuid.uuid4().hex
            run_dir = store / exp_id / run_id
            run_dir.mkdir()
            created.append(run_dir)
            for sub in ("artifacts", "metrics", "params", "tags"):
                (run_dir / sub).mkdir()
            new_run = True
        target = run_dir / "artifacts" / name
        if target.exists() or target.is_symlink():
            raise WriteError(f"the run already has an artifact named {name!r}", target)
        done = export_folder(root, target, progress, cancel, symlinks=symlinks)
        if new_run:
            the_name = run_name or name
            tags = {"mlflow.runName": the_name, "mlflow.user": _user(),
                    "mlflow.source.name": "mlmanager", "mlflow.source.type": "LOCAL"}
            for key, value in tags.items():
                (run_dir / "tags" / key).write_text(value, encoding="utf-8")
            _write_meta(run_dir / _META,
                        _run_meta(run_dir, exp_id, run_id, the_name, _any_run_meta(store, exp_id)),
                        store)
    except OSError as exc:
        for path in reversed(created):
            remove_quietly(path)
        raise WriteError(f"could not write into the tracking folder: {exc.strerror or exc}", store) from None
    except BaseException:
        for path in reversed(created):
            remove_quietly(path)
        raise
    return CopyResult(done.path, done.files, done.bytes, layout="tracking", experiment_id=exp_id,
                      experiment_name=exp_name, run_id=run_id, artifact_path=name)
