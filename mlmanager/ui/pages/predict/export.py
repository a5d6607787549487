"""Export what the Predict tab holds: predictions, the input as a request, the input as example.

* predictions as CSV/JSON in exactly the format ``mlmanager predict --output`` writes
  (``predict_command.write_predictions``), or the joined table (inputs + predictions);
* the input as an MLflow scoring-server request (``dataframe_split``/``inputs`` + ``params``)
  and as a ``curl`` command for ``http://127.0.0.1:5000/invocations``;
* the input as the model's input example: ``input_example.json`` and
  ``serving_input_example.json`` written atomically, then ``saved_input_example_info`` in
  MLmodel through the document API (minimal-diff render, atomic save with ``MLmodel.bak``).

Qt is imported only by ``copy_text``; the rest runs on any thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlmanager.core.atomic import atomic_write
from mlmanager.core.deploy.serving_body import INVOCATIONS_URL, curl_command
from mlmanager.core.errors import InvalidError, WriteError
from mlmanager.core.jsonsafe import json_default, to_jsonable
from mlmanager.core.model.mlmodel import save_text
from mlmanager.core.model.yamlio import MAX_YAML_BYTES
from mlmanager.core.transfer.package_estimator import example_files
from mlmanager.predict.results import write_predictions

EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
MAX_EXAMPLE_ROWS = 50


def export_predictions(predictions: Any, path: str | Path) -> Path:
    """Write predictions like the CLI's ``--output`` (``.csv`` table or ``.json``
    ``{"predictions": ...}``)."""
    out = Path(path)
    write_predictions(predictions, out)
    return out


def export_table(table: Any, path: str | Path) -> Path:
    """Write the joined table (input columns + predictions): CSV, or JSON records."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        text = table.to_csv(index=False)
    elif suffix == ".json":
        text = json.dumps(to_jsonable(table), allow_nan=False)
    else:
        raise InvalidError(f"unknown output format {suffix!r}: use .csv or .json", str(out))
    atomic_write(out, text.encode("utf-8"), backup=False)
    return out


def curl_for(body_text: str, url: str = INVOCATIONS_URL) -> str:
    return curl_command(body_text, url)


def copy_text(text: str) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setText(text)


def example_texts(data: Any, params: dict[str, Any] | None = None) -> tuple[str, str, dict[str, Any]]:
    """``(input_example.json, serving_input_example.json, saved_input_example_info)`` as MLflow
    3.17.2 writes them for ``data`` (a DataFrame or an ndarray), with ``params`` when given."""
    example, serving, info = example_files(data)
    if params:
        example = json.dumps({"inputs": json.loads(example), "params": params}, default=json_default)
        serving_obj = json.loads(serving)
        serving_obj["params"] = params
        serving = json.dumps(serving_obj, default=json_default, indent=2)
        info["params"] = "true"
    return example, serving, info


def save_input_example(doc: Any, data: Any, params: dict[str, Any] | None = None) -> Any:
    """Make ``data`` the model's input example; returns the reloaded document.

    Refuses zips, and a model whose MLmodel changed on disk since ``doc`` was read (nothing is
    written then). The two example files are replaced atomically before MLmodel is saved.
    """
    root = doc.root
    if root is None:
        raise WriteError("a zip archive is read-only: extract the model to save an input example", doc.location)
    example, serving, info = example_texts(data, params)
    new_data = dict(doc.data)
    new_data["saved_input_example_info"] = info
    text = doc.render(new_data)
    current = doc.files.read_bytes("MLmodel", max_bytes=MAX_YAML_BYTES)
    if current != doc.raw_bytes:
        raise WriteError("MLmodel changed on disk since it was opened; reload it before saving",
                         doc.mlmodel_location)
    atomic_write(Path(root) / EXAMPLE_FILE, example.encode("utf-8"), root=root, backup=False)
    atomic_write(Path(root) / SERVING_EXAMPLE_FILE, serving.encode("utf-8"), root=root, backup=False)
    return save_text(doc, text)
