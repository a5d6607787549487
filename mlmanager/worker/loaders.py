"""Turn the scanned bytes of a model file into something that predicts. Runs in the worker only.

* pickle / cloudpickle: through the restricted unpickler when SAFE-LISTED; with plain
  ``pickle.loads`` only when the user trusted that exact SHA-256 (CONTAINS-CODE/UNTRUSTED).
* skops: ``skops.io.loads(trusted=APP_SKOPS_TRUSTED + types the user trusted)``; the MLmodel's
  ``skops_trusted_types`` is never applied (security.md s01).
* any other flavor, and a trusted scikit-learn model that is not SAFE-LISTED: the worker
  interpreter's own ``mlflow.pyfunc.load_model`` on a private copy of the folder (what MLflow
  itself does in that environment), only when trusted and only if that interpreter has mlflow.
  A trusted scikit-learn pickle in an interpreter without mlflow loads with ``pickle.loads``.

The bytes loaded are always the bytes that were hashed and scanned (TOCTOU, T30).
"""

from __future__ import annotations

import pickle
import sys
import warnings
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.verdict import CONTAINS_CODE, SAFE_LISTED, UNTRUSTED_IMPORTS, SafetyReport
from mlmanager.worker.plan import SKLEARN_PREDICT_FNS, ModelPlan

# skops defaults + the tree node stores (their risk is a crash inside this worker) + numpy.dtype
# (MLflow itself has to list it for imputers; constructing a dtype runs no code).
APP_SKOPS_TRUSTED = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "numpy.dtype",
)


class LoadFailure(Exception):
    """Loading failed; ``kind`` is the protocol error kind."""

    def __init__(self, kind: str, message: str, details: str = "", mismatch: bool = False) -> None:
        self.kind = kind
        # versions or a package differ from what saved the model (a missing loader is one too)
        self.mismatch = mismatch or kind == "missing_dependency"
        self.message = message
        self.details = details
        super().__init__(message)


#: how a model was loaded (stated beside the results)
RESTRICTED, PICKLE, SKOPS, MLFLOW = "restricted unpickler", "pickle", "skops", "mlflow.pyfunc"


@dataclass
class LoadedModel:
    model: Any
    plan: ModelPlan
    report: SafetyReport
    trusted: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)
    loader: str = RESTRICTED

    @property
    def model_type(self) -> str:
        cls = type(self.model)
        return f"{cls.__module__}.{cls.__qualname__}"

    def predict(self, data: Any, params: dict[str, Any] | None) -> Any:
        if self.loader == MLFLOW:
            if params:
                return self.model.predict(data, params=params)
            return self.model.predict(data)
        # Mirror mlflow's _SklearnModelWrapper: params are accepted and ignored.
        return getattr(self.model, self.plan.predict_fn)(data)


def skew_warnings(plan: ModelPlan, versions: dict[str, str | None]) -> list[dict[str, Any]]:
    """Pre-load version checks (MLmodel sklearn_version / python_version vs this interpreter)."""
    out: list[dict[str, Any]] = []
    running = versions.get("scikit-learn")
    if plan.sklearn_version and running and plan.sklearn_version != running:
        out.append({
            "kind": "version_skew",
            "message": f"The model was saved with scikit-learn {plan.sklearn_version}; this "
                       f"worker runs {running}: results may differ or fail.",
            "estimator": None, "original_version": plan.sklearn_version,
            "current_version": running,
        })
    py = versions.get("python") or ""
    if plan.python_version:
        saved = ".".join(plan.python_version.split(".")[:2])
        if saved != ".".join(py.split(".")[:2]):
            out.append({
                "kind": "version_skew",
                "message": f"The model was saved with Python {plan.python_version}; this worker "
                           f"runs Python {py} and may be incompatible.",
                "estimator": None, "original_version": plan.python_version, "current_version": py,
            })
    return out


def collect_warnings(records: Iterable[warnings.WarningMessage]) -> list[dict[str, Any]]:
    """Structured, deduplicated warnings; InconsistentVersionWarning by (estimator, versions)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for rec in records:
        msg = rec.message
        cat = rec.category.__name__
        if cat == "InconsistentVersionWarning":
            est = getattr(msg, "estimator_name", None)
            orig = getattr(msg, "original_sklearn_version", None)
            cur = getattr(msg, "current_sklearn_version", None)
            key: tuple[Any, ...] = (cat, est, orig, cur)
            entry = {"kind": "inconsistent_version", "message": str(msg)[:2000], "estimator": est,
                     "original_version": orig, "current_version": cur}
        else:
            key = (cat, str(msg)[:500])
            entry = {"kind": "warning", "message": f"{cat}: {str(msg)[:2000]}", "estimator": None,
                     "original_version": None, "current_version": None}
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def _trusted_load_allowed(report: SafetyReport, trusted: bool) -> bool:
    return trusted and report.classification in (CONTAINS_CODE, UNTRUSTED_IMPORTS)


def load_pickle(data: bytes, report: SafetyReport, trusted: bool,
                allowlist: Container[tuple[str, str]]) -> Any:
    from mlmanager.worker.unpickler import BlockedGlobalError, restricted_loads

    if report.classification == SAFE_LISTED:
        try:
            return restricted_loads(data, allowlist)
        except BlockedGlobalError as exc:
            raise LoadFailure("refused", f"Blocked while loading: {exc}") from None
    if _trusted_load_allowed(report, trusted):
        return pickle.loads(data)  # noqa: S301 - the user trusted this exact SHA-256
    raise LoadFailure("refused", "the model file is not allowed to load")


def load_skops(data: bytes, report: SafetyReport, trusted: bool) -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise LoadFailure(
            "missing_dependency",
            f"skops is not installed in the worker's Python ({sys.executable}); "
            "install skops there to load .skops models",
        ) from None
    types = list(APP_SKOPS_TRUSTED)
    if report.classification == UNTRUSTED_IMPORTS:
        if not trusted:
            raise LoadFailure("refused", "the skops file uses types outside the trusted list")
        types += list(report.untrusted)  # exactly the types the user saw and accepted
    elif report.classification != SAFE_LISTED:
        raise LoadFailure("refused", "the skops file is not allowed to load")
    return sio.loads(data, trusted=types)


def has_mlflow() -> bool:
    """Whether this interpreter can import mlflow (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("mlflow") is not None


def through_mlflow(plan: ModelPlan, report: SafetyReport, trusted: bool) -> bool:
    """Load with the environment's own mlflow? Always for other flavors; for a scikit-learn
    pickle only when it runs code anyway (trusted, not SAFE-LISTED) and mlflow is there. A
    skops file never: MLflow would apply the MLmodel's own skops_trusted_types (security.md s01)."""
    if plan.kind == "pyfunc":
        return True
    return (trusted and report.classification != SAFE_LISTED and plan.serialization_format != "skops"
            and "python_function" in plan.flavors and has_mlflow())


def load_pyfunc(model_dir: str, plan: ModelPlan, trusted: bool) -> Any:
    if not trusted:
        raise LoadFailure("refused", "custom pyfunc models run the folder's code: trust it first")
    try:
        import mlflow.pyfunc
    except ImportError:
        raise LoadFailure(
            "missing_dependency",
            f"This model (loader_module {plan.loader_module}) needs mlflow, which is not "
            f"installed in the worker's Python ({sys.executable}). Choose an interpreter with "
            "mlflow installed.",
        ) from None
    return mlflow.pyfunc.load_model(model_dir)


def check_predictable(model: Any, plan: ModelPlan, loader: str) -> None:
    if loader == MLFLOW:
        if not callable(getattr(model, "predict", None)):
            raise LoadFailure("load_failed", "the loaded pyfunc model has no predict()")
        return
    if plan.predict_fn not in SKLEARN_PREDICT_FNS:
        raise LoadFailure("load_failed", f"unsupported predict_fn {plan.predict_fn!r}")
    if not callable(getattr(model, plan.predict_fn, None)):
        cls = type(model)
        raise LoadFailure(
            "load_failed",
            f"the file holds a {cls.__module__}.{cls.__qualname__}, which has no "
            f"{plan.predict_fn}() method: not a model",
        )


def add_code_path(root: str, plan: ModelPlan) -> None:
    """Put ``<model>/<code>`` first on sys.path (trusted models only; the path was checked)."""
    if plan.code:
        import os

        path = os.path.join(root, *plan.code.split("/"))
        if path not in sys.path:
            sys.path.insert(0, path)
