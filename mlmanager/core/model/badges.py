"""What the Overview shows, computed from a ModelDocument without Qt (so tests read it plainly).

``badges(doc)`` turns the document's problems and a few checks of our own into at most a
handful of badges, each with a tooltip that says what is wrong and why it matters.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pth", ".pt", ".cloudpickle", ".dill")


@dataclass(frozen=True)
class BadgeInfo:
    key: str  # stable id: no-signature, version-skew, unsafe-serialization, path-escape, ...
    level: str  # ok | info | warning | error
    text: str
    tooltip: str


@dataclass
class Classified:
    escapes: list[str] = field(default_factory=list)
    skew: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def serialization(doc: Any) -> tuple[str | None, str | None]:
    """(format, model file): sklearn's format, else guessed from the pyfunc model file."""
    fmt = doc.sklearn_serialization_format
    model_file = doc.model_file
    if fmt is None and isinstance(model_file, str):
        lower = model_file.lower()
        pyfunc = doc.pyfunc or {}
        if pyfunc.get("python_model"):
            fmt = "cloudpickle"
        elif lower.endswith(".skops"):
            fmt = "skops"
        elif lower.endswith(PICKLE_SUFFIXES):
            fmt = "pickle"
    if fmt is None:
        for name in ("lightgbm", "xgboost", "catboost"):
            cfg = doc.flavor(name) or {}
            if isinstance(cfg.get("serialization_format"), str):
                fmt = cfg["serialization_format"]
                break
    return fmt, model_file


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def classify_problems(doc: Any) -> Classified:
    out = Classified()
    for p in doc.problems:
        low = p.lower()
        if "escapes the model folder" in low or "outside" in low and "folder" in low:
            out.escapes.append(p)
        elif low.startswith("saved with ") or "version" in low and ("differ" in low or "this environment" in low):
            out.skew.append(p)
        elif low.startswith("signature"):
            out.signature.append(p)
        else:
            out.other.append(p)
    pv = doc.python_version
    running = sys.version.split()[0]  # as platform.python_version() says, without importing it
    if isinstance(pv, str) and pv and _major_minor(pv) != _major_minor(running):
        out.skew.append(f"saved with Python {pv}, this app runs Python {running}")
    return out


def badges(doc: Any) -> list[BadgeInfo]:
    """The Overview's badges, most serious first."""
    c = classify_problems(doc)
    result: list[BadgeInfo] = []
    if c.escapes:
        result.append(BadgeInfo(
            "path-escape", "error", "Path escapes folder",
            "MLmodel names files outside the model folder; mlmanager will not read them:\n• "
            + "\n• ".join(c.escapes)))
    fmt, model_file = serialization(doc)
    if fmt in ("pickle", "cloudpickle"):
        result.append(BadgeInfo(
            "unsafe-serialization", "warning", f"Unsafe format: {fmt}",
            f"{model_file or 'The model file'} is a {fmt} file. Loading a pickle runs code stored in "
            "the file, so only load models from people you trust. mlmanager scans the file's "
            "imports before it test-predicts (see Artifacts)."))
    elif fmt == "skops":
        result.append(BadgeInfo(
            "skops", "ok", "skops format",
            f"{model_file or 'The model file'} uses skops, which loads only types it trusts."))
    if doc.signature_error:
        result.append(BadgeInfo("signature-error", "error", "Signature unreadable",
                                f"MLflow cannot read this signature: {doc.signature_error}"))
    elif doc.signature_raw is None:
        result.append(BadgeInfo(
            "no-signature", "warning", "No signature",
            "This model has no signature: MLflow cannot check inputs at predict time, and a "
            "serving endpoint accepts anything. Add one from example data."))
    if c.signature:
        result.append(BadgeInfo("signature-issues", "warning",
                                f"Signature issue{'s' if len(c.signature) > 1 else ''}",
                                "\n".join(c.signature)))
    if c.skew:
        result.append(BadgeInfo("version-skew", "warning", "Version skew",
                                "The model was saved with other versions than this environment "
                                "has:\n• " + "\n• ".join(c.skew)))
    if c.other:
        n = len(c.other)
        result.append(BadgeInfo("problems", "warning", f"{n} problem{'s' if n > 1 else ''}",
                                "• " + "\n• ".join(c.other)))
    if not any(b.level in ("warning", "error") for b in result):
        result.insert(0, BadgeInfo("ok", "ok", "No problems found",
                                   "MLmodel reads cleanly and every file it names is in the folder."))
    return result


def source_facts(doc: Any, info: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, tooltip) rows describing where the model came from."""
    rows: list[tuple[str, str, str]] = []
    exp_name, exp_id = info.get("experiment_name"), info.get("experiment_id")
    if exp_name or exp_id:
        value = exp_name or f"Experiment {exp_id}"
        rows.append(("Experiment", value, f"id {exp_id}" if exp_id else ""))
    run_id = doc.run_id if doc is not None else None
    run_name = info.get("run_name")
    run_id = run_id or info.get("run_id")
    if run_id or run_name:
        value = f"{run_name}  ({run_id})" if run_name and run_id else str(run_name or run_id)
        rows.append(("Run", value, "The MLflow run that logged this model"))
    model_id = (doc.model_id if doc is not None else None) or info.get("model_id")
    if model_id:
        rows.append(("Logged model", str(model_id), "MLflow 3 logged-model id (models:/<id>)"))
    if doc is not None and doc.artifact_path:
        rows.append(("Artifact path", str(doc.artifact_path),
                     "Where MLflow stored it when it was logged (the folder may have moved since)"))
    if not rows:
        rows.append(("Source", "Saved with save_model (not logged to a run)", ""))
    return rows
