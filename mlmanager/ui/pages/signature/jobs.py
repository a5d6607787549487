"""Background jobs of the signature editor (run on the task pool; no Qt, no GUI access).

Each is ``fn(state, ...)`` for ``TaskManager.start``. Inference reads data with pandas, the
prediction for outputs runs the model in the isolated worker process (never here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.example_check import check_examples
from mlmanager.core.signature.examples import load_input_example
from mlmanager.core.signature.infer import (
    infer_from_input_example,
    infer_schema,
    infer_signature,
    load_data_file,
)
from mlmanager.core.signature.schema import Schema, Signature

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".parquet", ".pq", ".npy")
DATA_FILTER = "Data files (*.csv *.tsv *.json *.parquet *.pq *.npy);;All files (*)"
PREDICT_ROWS = 1000


@dataclass
class Proposal:
    """An inferred signature, where it came from, and the data (to predict outputs from)."""

    signature: Signature
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    data: Any = None
    output_source: str = ""


def is_data_file(path: str | Path) -> bool:
    p = Path(path)
    return p.suffix.lower() in DATA_SUFFIXES and p.is_file()


def infer_file_job(state: Any, path: str, section: str = "inputs") -> Proposal:
    """Infer inputs (and params of a serving request body), or outputs from a predictions file."""
    outputs = section == "outputs"
    loaded = load_data_file(path, predictions=outputs)
    if state is not None:
        state.check()
    if outputs:
        sig, msgs = infer_signature(None, loaded.data)
        return Proposal(sig, loaded.warnings + msgs, f"predictions in {Path(path).name}")
    sig, msgs = infer_signature(loaded.data, None, loaded.params)
    return Proposal(sig, loaded.warnings + msgs, Path(path).name, data=loaded.data)


def infer_example_job(state: Any, model_path: str) -> Proposal:
    """Infer inputs/params from the model's saved input example (as MLflow reads it back)."""
    with load_model(model_path) as doc:
        sig, msgs = infer_from_input_example(doc)
        example = load_input_example(doc)
        data = example.to_model_input(schema_inputs=[]) if example is not None else None
        rel = example.path if example is not None else "input example"
    return Proposal(sig, msgs, f"the model's input example ({rel})", data=data)


def head(data: Any, n: int = PREDICT_ROWS) -> Any:
    """At most ``n`` rows of a DataFrame/array (what is sent to the model to see its outputs)."""
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    if hasattr(data, "shape") and hasattr(data, "__getitem__") and getattr(data, "ndim", 0) >= 1:
        return data[:n]
    if isinstance(data, dict):
        return {k: head(v, n) for k, v in data.items()}
    return data


def scan_job(state: Any, factory: Callable[[], Any], model_dir: str) -> tuple[Any, Any]:
    """Start a worker and classify the model file; returns ``(client, SafetyReport)``."""
    client = factory()
    if state is not None:
        state.on_cancel(client.cancel)
    try:
        report = client.scan(model_dir)
    except BaseException:
        client.close()
        raise
    return client, report


def predict_job(state: Any, client: Any, model_dir: str, trusted: tuple[str, ...], data: Any) -> tuple[Schema, list[str]]:
    """Load the model in the worker, predict on (the head of) ``data``, infer the output schema."""
    if state is not None:
        state.on_cancel(client.cancel)
    try:
        cancelled = state.is_cancelled if state is not None else None
        client.load(model_dir, trusted, cancelled=cancelled)
        result = client.predict(head(data), cancelled=cancelled)
    finally:
        client.close()
    schema, msgs = infer_schema(result.predictions, "outputs")
    warnings = [str(w) for w in getattr(result, "warnings", ())]
    return schema, msgs + warnings


def check_examples_job(state: Any, model_dir: str, old_sig: Signature | None) -> list[Any]:
    return check_examples(model_dir, old_sig)


def worker_unavailable_reason(entry: Any) -> str | None:
    """Why predicting outputs is not possible for ``entry`` (None: it is)."""
    try:
        from mlmanager.predict.worker_client import WorkerClient  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import problem disables the option
        return f"The prediction worker is not available ({type(exc).__name__}: {exc})"
    if entry is None or entry.doc is None:
        return "The model is not loaded"
    if entry.is_zip:
        return "Predicting needs a model folder: save a copy of the zip first"
    if entry.doc.pyfunc is None:
        return "The model has no python_function flavor, so it cannot predict through pyfunc"
    return None
