"""Typed errors of the prediction worker, as the parent (client) raises them.

Every message is fit to show a user. The worker itself reports failures as JSON ``error``
messages with a ``kind``; :func:`error_from_kind` maps them back to these classes.
"""

from __future__ import annotations

from typing import Any

from mlmanager.core.errors import MlmanagerError


class WorkerError(MlmanagerError):
    """Base of every failure around the worker process."""

    def __init__(self, message: str, path: str | None = None, *, details: str = "",
                 mismatch: bool = False) -> None:
        self.details = details  # e.g. the worker's stderr tail or a traceback
        # the model needs other versions (or a package) than this interpreter has: running it
        # in the model's own environment is the fix to offer
        self.mismatch = mismatch
        super().__init__(message, path)


class WorkerStartError(WorkerError):
    """The worker could not be started (interpreter missing, mlmanager not importable...)."""


class WorkerTimeout(WorkerError):
    """A call exceeded its wall-clock timeout; the worker was killed."""


class WorkerCrashed(WorkerError):
    """The worker died (signal, abort) while working; it is restarted on the next call."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        *,
        details: str = "",
        returncode: int | None = None,
    ) -> None:
        self.returncode = returncode
        super().__init__(message, path, details=details)


class WorkerExited(WorkerCrashed):
    """The worker exited on its own (``sys.exit`` in model code, CPU limit...)."""


class WorkerCancelled(WorkerError):
    """The call was cancelled by the user; the worker was killed."""


class WorkerProtocolError(WorkerError):
    """The worker sent something that breaks the protocol; it was killed."""


class WorkerMemoryError(WorkerError):
    """The model ran out of the worker's memory limit."""


class ModelRefusedError(WorkerError):
    """The safety policy refused to load the model file; ``report`` says why."""

    def __init__(self, message: str, path: str | None = None, *, report: Any = None) -> None:
        self.report = report
        super().__init__(message, path)


class ModelLoadError(WorkerError):
    """Loading the model failed inside the worker (bad file, missing module, ...)."""


class MissingDependencyError(ModelLoadError):
    """The worker's interpreter lacks a package needed for this model (skops, mlflow, ...)."""


class PredictionError(WorkerError):
    """The model raised an exception while predicting."""


class NoModelLoadedError(WorkerError):
    """``predict`` was called before a model was loaded."""


_KINDS: dict[str, type[WorkerError]] = {
    "refused": ModelRefusedError,
    "load_failed": ModelLoadError,
    "missing_dependency": MissingDependencyError,
    "predict_failed": PredictionError,
    "memory": WorkerMemoryError,
    "no_model": NoModelLoadedError,
    "protocol": WorkerProtocolError,
    "bad_request": WorkerProtocolError,
    "internal": WorkerError,
}
ERROR_KINDS = (*_KINDS, "unsafe_path", "read_failed")


def error_from_kind(kind: str, message: str, details: str = "", path: str | None = None,
                    mismatch: bool = False) -> Exception:
    """Build the parent-side exception for a worker ``error`` message."""
    from mlmanager.core.errors import ModelReadError, UnsafePathError

    if kind == "unsafe_path":
        return UnsafePathError(message, path)
    if kind == "read_failed":
        return ModelReadError(message, path)
    cls = _KINDS.get(kind, WorkerError)
    if cls is ModelRefusedError:
        return ModelRefusedError(message, path)
    return cls(message, path, details=details, mismatch=mismatch)
