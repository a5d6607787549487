"""Thread-side wrappers around the core transfer operations (no widgets here).

Each job runs on the task pool as ``fn(state, ...)`` and returns an :class:`Outcome`: the value,
or the typed core error (kept whole, so the GUI can show an ``ArchiveRefused``'s entries or a
``ModelRefusedError``'s safety report). A cancel from the GUI reaches the core through
``state.is_cancelled``; the core's ``TransferCancelled`` becomes the task's "cancelled" outcome.
The core guarantees that a cancelled or failed operation leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import MlmanagerError
from mlmanager.ui.tasks import Cancelled, TaskState

PERMILLE = 1000


@dataclass
class Outcome:
    value: Any = None
    error: MlmanagerError | None = None


@dataclass
class Done:
    """What a finished export / import / copy / package produced, in plain data."""

    path: Path
    files: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    flavors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def progress_reporter(state: TaskState) -> Callable[[int, int | None, str], None]:
    """The core's ``progress(done, total, item)`` as task progress in per mille (byte counts
    can pass the 32-bit range of Qt signals)."""

    def progress(done: int, total: int | None, item: str) -> None:
        if total:
            state.progress(min(PERMILLE, int(done * PERMILLE / total)), PERMILLE, item)
        else:
            state.progress(0, None, item)

    return progress


def run_core(state: TaskState, fn: Callable[..., Any], args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None) -> Outcome:
    """Call ``fn(*args, progress=..., cancel=..., **kwargs)``; typed errors come back in the
    Outcome, a cancel raises ``Cancelled``."""
    kwargs = kwargs or {}
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer.staging import TransferCancelled

    try:
        value = fn(*args, progress=progress_reporter(state), cancel=state.is_cancelled, **kwargs)
    except TransferCancelled:
        raise Cancelled from None
    except MlmanagerError as exc:
        if state.cancelled:
            raise Cancelled from None
        return Outcome(error=exc)
    if state.cancelled:
        raise Cancelled
    return Outcome(value)


# ---------------------------------------------------------------------------------------------
# The operations (called through run_core)


def export_zip(model: Path, out: Path, *, overwrite: bool = False, progress: Any = None,
               cancel: Any = None) -> Done:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer import export

    r = export.export_zip(model, out, progress, cancel, overwrite=overwrite)
    return Done(r.path, r.files, r.bytes, list(r.warnings))


def export_folder(model: Path, dest: Path, *, progress: Any = None, cancel: Any = None) -> Done:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer import export

    r = export.export_folder(model, dest, progress, cancel)
    return Done(r.path, r.files, r.bytes, list(r.warnings))


def import_archive(archive: Path, dest_dir: Path, *, name: str | None = None, progress: Any = None,
                   cancel: Any = None) -> Done:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer import import_archive as importer

    r = importer.import_archive(archive, dest_dir, progress, cancel, name=name)
    flavors: list[str] = []
    if r.document is not None:
        flavors = list(r.document.flavor_names)
        r.document.close()
    warnings = list(r.warnings) + [f"skipped {s}" for s in r.skipped]
    return Done(r.path, r.files, r.bytes, warnings, flavors, {"format": r.format})


def copy_to(model: Path, dest: Path, layout: str, *, name: str | None = None,
            experiment: str | None = None, progress: Any = None, cancel: Any = None) -> Done:
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer import copy as copy_mod

    r = copy_mod.copy_model_to(model, dest, layout, name=name, experiment=experiment,
                               progress=progress, cancel=cancel)
    return Done(r.path, r.files, r.bytes, list(r.warnings), extra={
        "layout": r.layout, "experiment_id": r.experiment_id, "experiment": r.experiment_name,
        "run_id": r.run_id, "uri": r.uri, "store": str(dest)})


def package(estimator: Path, sample: Path, out_dir: Path, fmt: str, name: str | None,
            trust: tuple[str, ...] = (), python: str | None = None, *, progress: Any = None,
            cancel: Any = None) -> Done:
    """Package a bare estimator with the prediction worker (never loaded in this process)."""
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.transfer import package_estimator as packaging

    # deferred for start-up: not needed before the window's first paint
    from mlmanager.predict.estimator_runner import WorkerEstimatorRunner

    runner = WorkerEstimatorRunner(python=python)
    r = packaging.build_package(estimator, sample, out_dir, fmt, name, trust or False, python,
                                runner=runner, progress=progress, cancel=cancel)
    try:
        flavors = list(r.document.flavor_names)
        path = r.path
    finally:
        r.document.close()
    run = r.run
    return Done(path, warnings=list(r.warnings), flavors=flavors, extra={
        "model_type": run.model_type, "classification": run.classification, "trusted": run.trusted,
        "sha256": run.sha256, "source_format": run.source_format})


def compare(a: Path, b: Path, *, progress: Any = None, cancel: Any = None) -> Any:
    """``compare_models`` (it reads and hashes files; no progress of its own)."""
    # deferred for start-up: not needed before the window's first paint
    from mlmanager.core.model.compare import compare_models

    if progress is not None:
        progress(0, None, "reading both models")
    return compare_models(a, b)


def unique_folder(parent: Path, name: str) -> Path:
    """``parent/name``, or ``name-2``, ``name-3``... when that is taken."""
    candidate = parent / name
    k = 1
    while candidate.exists() or candidate.is_symlink():
        k += 1
        candidate = parent / f"{name}-{k}"
    return candidate


def is_zip_model(path: Path) -> bool:
    return path.suffix.lower() == ".zip" and not os.path.isdir(path)
