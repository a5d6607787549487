"""Request bodies for each deployment target, rendered as JSON, ``curl`` or Python ``requests``,
and the check of any request body against a model with the target's own parsing rules.

Targets and the bodies they take (docs/deploy-targets.md §1, §2.3, §4.2, §5):

* ``mlflow`` / ``databricks``: exactly one of ``dataframe_split`` | ``dataframe_records`` |
  ``instances`` | ``inputs``, plus an optional ``params`` sibling. Type-hint signatures take
  ``inputs`` only; chat-style inputs (``messages``/``prompt``/``input``) go unwrapped.
* ``azureml`` (no-code online deployment): ``{"input_data": ..., "params": ...}``, where
  ``input_data`` is a pandas *split* dict that always carries ``index``, a list (one tensor) or
  a dict of lists (named tensors). Records and ``instances`` are not supported.

Values are made strict JSON: NaN/Infinity become ``null``, bytes become base64 text, dates ISO
text. pandas is imported only to read CSV/Parquet inputs.
"""

from __future__ import annotations

import json
import math
import pprint
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmanager.core.deploy.azure_scoring import azure_sample, validate_azure
from mlmanager.core.deploy.pins import model_pandas_major
from mlmanager.core.errors import InputReadError, InvalidError
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.reader import read_csv_input, read_input, read_json_input
from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.signature.examples import load_input_example, load_serving_example
from mlmanager.core.signature.schema import (
    ColSpec,
    ScalarType,
    TensorSpec,
)
from mlmanager.core.signature.type_paths import sample_value

if TYPE_CHECKING:
    from mlmanager.core.inputs.validation import ValidationResult
    from mlmanager.core.model.mlmodel import ModelDocument
    from mlmanager.core.signature.examples import InputExample
    from mlmanager.core.signature.schema import Schema, Signature

TARGETS = ("mlflow", "azureml", "databricks")
ORIENTS = ("split", "records", "instances", "inputs")
TARGET_ORIENTS: dict[str, tuple[str, ...]] = {
    "mlflow": ORIENTS,
    "databricks": ORIENTS,
    "azureml": ("split", "inputs"),
}
FORMATS = ("json", "curl", "python", "csv")
LLM_KEYS = ("messages", "prompt", "input")
#: Databricks Model Serving: 16 MB per request for custom models (model-serving-limits page)
DATABRICKS_MAX_REQUEST_BYTES = 16 * 1024 * 1024
MAX_ROWS_DEFAULT = 1000

URLS = {
    "mlflow": "http://127.0.0.1:5000/invocations",
    "databricks": "$DATABRICKS_HOST/serving-endpoints/$ENDPOINT_NAME/invocations",
    "azureml": "$AZUREML_SCORING_URI",
}
SEMANTICS = {
    "mlflow": (
        "MLflow scoring server (/invocations): JSON columns are cast to the signature's types, "
        "then the schema is enforced (mlflow.pyfunc.scoring_server)"
    ),
    "databricks": (
        "Databricks Model Serving: the MLflow scoring protocol (same keys and casts as "
        "mlflow models serve), 16 MB per request"
    ),
    "azureml": (
        "Azure ML no-code MLflow deployment: input_data is deserialized by Azure's "
        "mlflow_score_script.py (inference-schema, cast to the sample's dtypes), then "
        "model.predict() enforces the schema strictly"
    ),
}


# ---------------------------------------------------------------------------------------------
# Neutral input


@dataclass
class ModelInput:
    """Model input in a JSON-ready, target-neutral form.

    ``kind``: ``table`` (``columns`` + ``rows``), ``tensor`` (one nested list in ``data``),
    ``tensors`` (``data`` = dict name -> nested list) or ``object`` (any JSON in ``data``).
    """

    kind: str
    columns: list[Any] | None = None
    rows: list[list[Any]] | None = None
    data: Any = None
    params: dict[str, Any] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int | None:
        if self.kind == "table":
            return len(self.rows or [])
        if self.kind == "tensor" and isinstance(self.data, list):
            return len(self.data)
        if self.kind == "tensors" and isinstance(self.data, dict):
            lengths = [len(v) for v in self.data.values() if isinstance(v, list)]
            return max(lengths) if lengths else None
        return None

    def head(self, n: int) -> ModelInput:
        if self.kind == "table" and self.rows is not None and len(self.rows) > n:
            return ModelInput(self.kind, self.columns, self.rows[:n], None, self.params, self.source,
                              [*self.notes, f"only the first {n} rows are used"])
        return self


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def _clean_input(mi: ModelInput) -> ModelInput:
    raw = (mi.rows, mi.data)
    mi.rows = to_jsonable(mi.rows) if mi.rows is not None else None
    mi.data = to_jsonable(mi.data)
    if mi.params is not None:
        mi.params = to_jsonable(mi.params)
    if mi.columns is not None:
        mi.columns = [c if isinstance(c, (str, int)) and not isinstance(c, bool) else str(c) for c in mi.columns]
    if _has_non_finite(raw[0]) or _has_non_finite(raw[1]):
        mi.notes.append("NaN/Infinity values were written as null (strict JSON has no NaN)")
    return mi


def from_example(ex: InputExample) -> ModelInput:
    """The model's saved input example as neutral input."""
    src = f"input example ({ex.path or 'input_example.json'})"
    params = dict(ex.params) if isinstance(ex.params, dict) else None
    if ex.kind == "dataframe":
        rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in (ex.data or [])]
        mi = ModelInput("table", list(ex.columns) if ex.columns is not None else None, rows, None, params, src)
    elif ex.kind == "ndarray":
        kind = "tensors" if isinstance(ex.data, dict) else "tensor"
        mi = ModelInput(kind, None, None, ex.data, params, src)
    elif ex.kind in ("sparse_matrix_csr", "sparse_matrix_csc"):
        try:
            dense = ex.to_model_input().toarray().tolist()
        except Exception as exc:  # noqa: BLE001 - scipy missing or a malformed matrix
            raise InvalidError(f"cannot densify the sparse input example: {exc}", ex.path) from None
        mi = ModelInput("tensor", None, None, dense, params, src, ["the sparse example was sent as a dense list"])
    else:
        mi = ModelInput("object", list(ex.data) if isinstance(ex.data, dict) else None, None, ex.data, params, src)
    return _clean_input(mi)


def _frame_to_input(df: Any, source: str, params: dict[str, Any] | None = None) -> ModelInput:
    import pandas as pd

    columns = [c if isinstance(c, (str, int)) and not isinstance(c, bool) else str(c) for c in df.columns]
    obj = df.astype(object).where(pd.notna(df), None)
    rows = [list(r) for r in obj.itertuples(index=False, name=None)]
    return _clean_input(ModelInput("table", columns, rows, None, params, source))


def _records_to_table(records: list[dict[str, Any]]) -> tuple[list[Any], list[list[Any]]]:
    columns: list[Any] = []
    seen: set[Any] = set()
    for row in records:
        for k in row:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    return columns, [[row.get(c) for c in columns] for row in records]


def _is_split(value: Any) -> bool:
    return isinstance(value, dict) and "data" in value and set(value) <= {"columns", "data", "index"}


def _from_value(value: Any, params: Any, source: str, columnar_as_table: bool) -> ModelInput:
    """Neutral input from a JSON input value (split dict, records, list, dict of lists, object)."""
    p = params if isinstance(params, dict) else None
    if _is_split(value):
        rows = value.get("data")
        if not isinstance(rows, list):
            raise InvalidError("'data' must be a list of rows", source)
        rows = [list(r) if isinstance(r, list) else [r] for r in rows]
        return ModelInput("table", value.get("columns"), rows, None, p, source)
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        columns, rows = _records_to_table(value)
        return ModelInput("table", columns, rows, None, p, source)
    if isinstance(value, list):
        return ModelInput("tensor", None, None, value, p, source)
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        if columnar_as_table and all(not isinstance(x, (list, dict)) for v in value.values() for x in v):
            lengths = {len(v) for v in value.values()}
            if len(lengths) == 1:
                n = lengths.pop()
                cols = list(value)
                return ModelInput("table", cols, [[value[c][i] for c in cols] for i in range(n)], None, p, source)
        return ModelInput("tensors", None, None, value, p, source)
    return ModelInput("object", list(value) if isinstance(value, dict) else None, None, value, p, source)


def from_json_document(document: Any, source: str, signature: Signature | None = None) -> ModelInput:
    """Neutral input from any JSON request or example form (MLflow, Azure ML, input_example)."""
    colspec = signature is not None and signature.inputs is not None and not signature.inputs.is_tensor
    if isinstance(document, dict):
        params = document.get("params")
        for key in ("dataframe_split", "dataframe_records", "instances", "inputs", "input_data"):
            if key in document:
                value = document[key]
                if key == "dataframe_split" and isinstance(value, list) and len(value) == 1:
                    value = value[0]  # the list-wrapped form one Databricks doc page shows
                if key == "dataframe_split" and not _is_split(value):
                    raise InvalidError("dataframe_split must be {\"columns\": [...], \"data\": [...]}", source)
                if key == "dataframe_records" and not (
                    isinstance(value, list) and all(isinstance(r, dict) for r in value)
                ):
                    raise InvalidError("dataframe_records must be a list of row objects", source)
                return _clean_input(_from_value(value, params, source, colspec))
        if any(k in document for k in LLM_KEYS):
            return _clean_input(ModelInput("object", list(document), None, document, None, source))
    return _clean_input(_from_value(document, None, source, colspec))


def _string_columns(schema: Schema | None) -> dict[Any, Any]:
    if schema is None or schema.is_tensor or not schema.has_names:
        return {}
    out: dict[Any, Any] = {}
    for spec in schema.specs:
        if (
            isinstance(spec, ColSpec)
            and isinstance(spec.type, ScalarType)
            and spec.type.name in ("string", "binary", "datetime")
        ):
            out[spec.name] = str
    return out


def from_file(path: str | Path, signature: Signature | None = None, *, encoding: str = "utf-8") -> ModelInput:
    """Neutral input from a CSV, JSON or Parquet file (any request/example form)."""
    source = str(path)
    raw = read_input(path, encoding=encoding)
    errors = [p for p in raw.problems if p.severity == "error"]
    if raw.source == "csv":
        if errors:
            raise InvalidError(f"the CSV cannot be read cleanly: {errors[0].message}", source)
        header = raw.header or []
        dtypes = {k: v for k, v in _string_columns(signature.inputs if signature else None).items() if k in header}
        try:
            df = raw.read_csv(dtype=dtypes or None, keep_default_na=True)
        except Exception as exc:  # noqa: BLE001 - pandas raises many types
            raise InvalidError(f"pandas cannot read the CSV: {exc}", source) from None
        return _frame_to_input(df, source)
    if raw.source == "parquet":
        return _frame_to_input(raw.obj, source)
    if errors:
        raise InvalidError(f"the JSON cannot be used: {errors[0].message}", source)
    return from_json_document(raw.document, source, signature)


# -- placeholders from the signature ------------------------------------------------------------


PLACEHOLDER_DATETIME = "2024-01-01T00:00:00"  # a fixed day: the same body every time


def _placeholder(t: Any) -> Any:
    """A column's value in a body made from the signature: containers show their shape."""
    return sample_value(t, datetime=PLACEHOLDER_DATETIME, filled=True)


def _tensor_placeholder(dtype: str, shape: tuple[int, ...]) -> Any:
    if dtype.startswith("float"):
        value: Any = 0.0
    elif dtype.startswith(("int", "uint")):
        value = 0
    elif dtype == "bool":
        value = False
    elif dtype in ("str", "bytes"):
        value = ""
    elif dtype.startswith("datetime64"):
        value = "2024-01-01T00:00:00"
    else:
        value = None
    dims = [1 if d == -1 else d for d in shape] or [1]
    if any(d > 1000 for d in dims[1:]) or math.prod(dims) > 100_000:
        raise InvalidError(
            f"the tensor shape {list(shape)} is too large for a placeholder; give an input file"
        )

    def build(level: int) -> Any:
        if level == len(dims):
            return value
        return [build(level + 1) for _ in range(dims[level])]

    return build(0)


def from_signature(signature: Signature) -> ModelInput:
    """One placeholder row built from the input schema (when there is no example)."""
    schema = signature.inputs
    note = "built from the signature with placeholder values: replace them with real data"
    if schema is None:
        raise InvalidError("the signature has no inputs: give an input file to build a request")
    if schema.is_tensor:
        specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
        if schema.has_names:
            data = {s.name: _tensor_placeholder(s.dtype, s.shape) for s in specs}
            return ModelInput("tensors", None, None, data, None, "signature", [note])
        return ModelInput("tensor", None, None, _tensor_placeholder(specs[0].dtype, specs[0].shape),
                          None, "signature", [note])
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    row = [_placeholder(s.type) for s in specs]
    columns = [s.name for s in specs] if schema.has_names else None
    return ModelInput("table", columns, [row], None, None, "signature", [note])


def model_input(doc: ModelDocument, input_path: str | Path | None = None, *, encoding: str = "utf-8") -> ModelInput:
    """The input to build requests from: a file, else the saved example, else the signature."""
    sig = doc.signature
    if input_path is not None:
        return from_file(input_path, sig, encoding=encoding)
    ex = load_input_example(doc)
    if ex is not None:
        return from_example(ex)
    serving = load_serving_example(doc)
    if serving is not None:
        return from_example(serving)
    if sig is not None and sig.inputs is not None:
        return from_signature(sig)
    raise InvalidError(
        "the model has no input example and no input signature: give an input file (--input)",
        doc.location,
    )


# ---------------------------------------------------------------------------------------------
# Request bodies


def resolve_params(signature: Signature | None, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """Schema defaults overlaid with the given params (example's or the caller's)."""
    out: dict[str, Any] = {}
    if signature is not None and signature.params is not None:
        for p in signature.params:
            out[p.name] = to_jsonable(p.default)
    if given:
        out.update(to_jsonable(given))
    return out or None


def _columns_dict(mi: ModelInput) -> dict[str, list[Any]]:
    if not mi.columns:
        raise InvalidError("this form needs named columns, and the input has none")
    cols = [str(c) if not isinstance(c, str) else c for c in mi.columns]
    return {c: [row[i] if i < len(row) else None for row in mi.rows or []] for i, c in enumerate(cols)}


def _as_table(mi: ModelInput) -> tuple[list[Any] | None, list[list[Any]]]:
    if mi.kind == "table":
        return mi.columns, mi.rows or []
    if mi.kind == "tensors" and isinstance(mi.data, dict):
        lengths = {len(v) for v in mi.data.values() if isinstance(v, list)}
        if len(lengths) != 1 or not all(isinstance(v, list) for v in mi.data.values()):
            raise InvalidError("named tensors of different lengths cannot be sent as a table")
        n = lengths.pop()
        cols = list(mi.data)
        return cols, [[mi.data[c][i] for c in cols] for i in range(n)]
    if mi.kind == "tensor" and isinstance(mi.data, list):
        return None, [r if isinstance(r, list) else [r] for r in mi.data]
    raise InvalidError(f"a {mi.kind} input cannot be sent as a DataFrame")


def _input_value(mi: ModelInput, orient: str) -> Any:
    """The value under the input key for ``orient`` (MLflow keys)."""
    if orient == "split":
        columns, rows = _as_table(mi)
        return {"columns": columns, "data": rows} if columns is not None else {"data": rows}
    if orient == "records":
        columns, rows = _as_table(mi)
        if columns is None:
            raise InvalidError("dataframe_records needs named columns; use split or inputs")
        names = [str(c) for c in columns]
        return [dict(zip(names, row)) for row in rows]
    if orient == "instances":
        if mi.kind == "object":
            raise InvalidError("this input is a JSON object; send it with inputs")
        if mi.kind == "tensor":
            return mi.data
        columns, rows = _as_table(mi)
        if columns is None:
            return rows
        names = [str(c) for c in columns]
        return [dict(zip(names, row)) for row in rows]
    # inputs
    if mi.kind == "table":
        return _columns_dict(mi) if mi.columns else mi.rows
    return mi.data


def default_orient(mi: ModelInput, target: str) -> str:
    return "split" if mi.kind == "table" else "inputs"


@dataclass
class TargetRequest:
    """One request for one target: the JSON body plus how to send it."""

    target: str
    orient: str  # split | records | instances | inputs | llm
    body: Any
    source: str
    notes: list[str] = field(default_factory=list)
    content_type: str = "application/json"
    input: ModelInput | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return URLS[self.target]

    def json_text(self, indent: int | None = 2) -> str:
        return json.dumps(self.body, indent=indent, ensure_ascii=False, allow_nan=False)

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": self.content_type}
        if self.target == "databricks":
            h["Authorization"] = "Bearer $DATABRICKS_TOKEN"
        elif self.target == "azureml":
            h["Authorization"] = "Bearer $AZUREML_ENDPOINT_KEY"
        return h

    def curl(self, url: str | None = None) -> str:
        target_url = url or self.url
        lines = [f"curl -sS -X POST {_shell_url(target_url)} \\"]
        for k, v in self.headers().items():
            value = f"{k}: {v}"
            quoted = f'"{value}"' if "$" in v else shlex.quote(value)
            lines.append(f"  -H {quoted} \\")
        lines.append(f"  --data-binary {shlex.quote(self.json_text(indent=None))}")
        return "\n".join(lines)

    def python(self, url: str | None = None) -> str:
        body = pprint.pformat(self.body, indent=1, width=96, sort_dicts=False)
        out = ["import os", "", "import requests", ""]
        if url:
            out.append(f"url = {url!r}")
        elif self.target == "mlflow":
            out.append(f"url = {self.url!r}")
        elif self.target == "databricks":
            out.append('url = f"{os.environ[\'DATABRICKS_HOST\']}/serving-endpoints/{os.environ[\'ENDPOINT_NAME\']}/invocations"')
        else:
            out.append('url = os.environ["AZUREML_SCORING_URI"]  # https://<endpoint>.<region>.inference.ml.azure.com/score')
        out.append('headers = {"Content-Type": "application/json"}')
        if self.target == "databricks":
            out.append('headers["Authorization"] = f"Bearer {os.environ[\'DATABRICKS_TOKEN\']}"')
        elif self.target == "azureml":
            out.append('headers["Authorization"] = f"Bearer {os.environ[\'AZUREML_ENDPOINT_KEY\']}"')
        out.append(f"payload = {body}")
        out.append("")
        out.append("response = requests.post(url, headers=headers, json=payload, timeout=120)")
        out.append("response.raise_for_status()")
        if self.target == "azureml":
            out.append("predictions = response.json()  # a plain list (no 'predictions' key)")
        elif self.orient == "llm":
            out.append("result = response.json()")
        else:
            out.append('predictions = response.json()["predictions"]')
        out.append("print(predictions)" if self.orient != "llm" else "print(result)")
        return "\n".join(out) + "\n"

    def csv_text(self) -> str:
        """The input as CSV (header = column names, no index): an MLflow ``text/csv`` body or an
        Azure ML batch input file. Tables only."""
        if self.input is None or self.input.kind != "table":
            raise InvalidError("only tabular inputs can be written as CSV")
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        if self.input.columns is not None:
            w.writerow(self.input.columns)
        for row in self.input.rows or []:
            w.writerow(["" if v is None else json.dumps(v) if isinstance(v, (list, dict)) else v for v in row])
        return buf.getvalue()

    def render(self, fmt: str = "json", url: str | None = None) -> str:
        if fmt == "json":
            return self.json_text() + "\n"
        if fmt == "curl":
            return self.curl(url) + "\n"
        if fmt == "python":
            return self.python(url)
        if fmt == "csv":
            return self.csv_text()
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "orient": self.orient,
            "content_type": self.content_type,
            "url": self.url,
            "source": self.source,
            "notes": list(self.notes),
            "body": self.body,
        }


def _shell_url(url: str) -> str:
    return f'"{url}"' if "$" in url else shlex.quote(url)


def build_request(
    mi: ModelInput,
    target: str,
    *,
    orient: str | None = None,
    signature: Signature | None = None,
    type_hint: bool = False,
    params: dict[str, Any] | None = None,
) -> TargetRequest:
    """The request body for ``target`` from neutral input ``mi``."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")
    notes = list(mi.notes)
    all_params = resolve_params(signature, {**(mi.params or {}), **(params or {})})
    is_llm = mi.kind == "object" and isinstance(mi.data, dict) and any(k in mi.data for k in LLM_KEYS)
    if orient is not None and orient not in ORIENTS:
        raise InvalidError(f"unknown orient {orient!r}; choose one of {', '.join(ORIENTS)}")
    if orient is not None and orient not in TARGET_ORIENTS[target]:
        raise InvalidError(
            f"Azure ML online endpoints do not accept the {orient!r} form (docs/deploy-targets.md "
            "§2.3: records-orient JSON and the TF-Serving 'instances' API are not supported); "
            "use split or inputs"
        )
    if target == "azureml":
        chosen = orient or ("inputs" if is_llm else default_orient(mi, target))
        if chosen == "inputs" and mi.kind == "table":
            value: Any = mi.rows or []  # Azure's tensor form: a bare list of rows
            if mi.columns:
                notes.append("sent as a bare list of rows: the model receives a numpy array without column names")
        else:
            value = _input_value(mi, chosen)
        if chosen == "split":
            rows = value["data"]
            columns = value.get("columns")
            if columns is None:
                width = max((len(r) for r in rows), default=0)
                columns = list(range(width))
                notes.append("unnamed columns were numbered 0..n-1 (Azure's split form needs 'columns')")
            value = {"columns": columns, "index": list(range(len(rows))), "data": rows}
        body: dict[str, Any] = {"input_data": value}
        if all_params:
            body["params"] = all_params
        return TargetRequest(target, chosen, body, mi.source, notes, input=mi)
    if is_llm and orient is None and not type_hint:
        body = dict(mi.data)
        if all_params:
            for k, v in all_params.items():
                body.setdefault(k, v)
        notes.append("chat-style input is sent unwrapped; the response is not wrapped in 'predictions'")
        return TargetRequest(target, "llm", body, mi.source, notes, input=mi)
    if type_hint:
        if orient not in (None, "inputs"):
            raise InvalidError(
                "this model's signature comes from type hints: MLflow accepts only {\"inputs\": ...} "
                "(docs/deploy-targets.md §1)"
            )
        chosen = "inputs"
        notes.append("type-hint signature: the server accepts only the 'inputs' key")
    else:
        chosen = orient or default_orient(mi, target)
    key = {"split": "dataframe_split", "records": "dataframe_records"}.get(chosen, chosen)
    if chosen == "records":
        notes.append("dataframe_records is deprecated: column order is not preserved; prefer split")
    if chosen == "instances":
        notes.append("instances is row-oriented; MLflow warns it may break schema enforcement; prefer inputs")
    body = {key: _input_value(mi, chosen)}
    if all_params:
        body["params"] = all_params
    return TargetRequest(target, chosen, body, mi.source, notes, input=mi)


def request_for_model(
    doc: ModelDocument,
    target: str,
    *,
    input_path: str | Path | None = None,
    orient: str | None = None,
    params: dict[str, Any] | None = None,
    max_rows: int | None = MAX_ROWS_DEFAULT,
    encoding: str = "utf-8",
) -> TargetRequest:
    """The request for ``target`` from ``input_path`` (CSV/JSON/Parquet, any request form), else
    the model's input example, else placeholders from the signature.

    Raises InvalidError when no input can be found or the form cannot express it, InputReadError
    when the file cannot be read.
    """
    mi = model_input(doc, input_path, encoding=encoding)
    if max_rows is not None:
        mi = mi.head(max_rows)
    if target == "azureml" and orient is None and mi.kind == "table" and doc.signature is None:
        major = model_pandas_major(doc)
        if major >= 3 and azure_sample(doc, major).kind == "none":
            orient = "inputs"
            mi.notes.append(
                "no signature and pandas 3: Azure's script cannot read a split DataFrame for this "
                "model (pd.read_json of JSON text), so the rows are sent as a list"
            )
    return build_request(
        mi,
        target,
        orient=orient,
        signature=doc.signature,
        type_hint=doc.is_signature_from_type_hint is True,
        params=params,
    )


# ---------------------------------------------------------------------------------------------
# Checking a request body


@dataclass
class RequestCheck:
    """Is this request accepted by ``target`` for this model? ``result`` holds what the model gets."""

    target: str
    valid: bool
    form: str | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    result: ValidationResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def semantics(self) -> str:
        return SEMANTICS[self.target]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "valid": self.valid,
            "form": self.form,
            "semantics": self.semantics,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
            "notes": list(self.notes),
        }


def _problem(kind: str, message: str, fix: str | None = None, severity: str = "error") -> Problem:
    return Problem(kind=kind, message=message, fix=fix, stage="parse", target="input", severity=severity)


def _as_bytes(body: str | bytes | dict | list) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, allow_nan=True).encode("utf-8")


def check_request(
    doc: ModelDocument,
    body: str | bytes | dict | list,
    target: str,
    *,
    pandas_major: int | None = None,
) -> RequestCheck:
    """Check a request body (JSON text/bytes/object; CSV text for ``mlflow``) against the model's
    signature as ``target`` parses and enforces it. Never raises for a bad body.

    ``pandas_major`` (Azure only): the pandas major version of the deployment environment (default:
    the model's pinned pandas, else 3); Azure's script reads the input example only under pandas 2.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")

    raw = _as_bytes(body)
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    is_json = head[:1] in (b"{", b"[")
    check = RequestCheck(target, False, None)
    if not is_json:
        if target != "mlflow":
            where = "Azure ML online endpoints (use a batch endpoint for CSV files)" if target == "azureml" else "Databricks Model Serving requests"
            check.errors.append(_problem("content_type", f"{where} take JSON bodies only", "send JSON"))
            return check
        try:
            p = read_csv_input(raw)
        except InputReadError as exc:
            check.errors.append(_problem(exc.kind, exc.message))
            return check
        check.form = "csv"
        check.notes.append("sent as Content-Type: text/csv (CSV bodies cannot carry params)")
        return _finish_mlflow(doc, check, p)
    try:
        p = read_json_input(raw)
    except InputReadError as exc:
        check.errors.append(_problem(exc.kind, exc.message, "send valid JSON"))
        return check
    if target == "azureml":
        major = pandas_major if pandas_major is not None else model_pandas_major(doc)
        return validate_azure(doc, p.document, check, pandas_major=major, read_problems=p.problems)
    doc_obj = p.document
    check.form = p.json_form
    if target == "databricks":
        if len(raw) > DATABRICKS_MAX_REQUEST_BYTES:
            check.errors.append(_problem(
                "too_large",
                f"the request is {len(raw):,} bytes; Databricks Model Serving accepts at most 16 MB per request",
                "split the input into several requests",
            ))
        if isinstance(doc_obj, dict) and isinstance(doc_obj.get("dataframe_split"), list):
            check.errors.append(_problem(
                "payload_format",
                "dataframe_split is wrapped in a list; MLflow's parser (which Databricks serving runs) "
                "expects the split dict itself",
                'send {"dataframe_split": {"columns": [...], "data": [...]}}',
            ))
            return check
        if isinstance(doc_obj, dict) and "params" in doc_obj:
            check.warnings.append(_problem(
                "params_unverified",
                "params are passed by MLflow's scoring protocol; Databricks' docs do not state it "
                "for custom models (not verified)",
                severity="warning",
            ))
    if isinstance(doc_obj, dict) and "input_data" in doc_obj and not any(
        k in doc_obj for k in ("dataframe_split", "dataframe_records", "instances", "inputs")
    ):
        check.errors.append(_problem(
            "payload_format",
            "this is an Azure ML body (input_data); MLflow-protocol servers need dataframe_split, "
            "dataframe_records, instances or inputs",
            "generate the request for this target: mlmanager payload MODEL --target " + target,
        ))
        return check
    return _finish_mlflow(doc, check, p)


def _finish_mlflow(doc: ModelDocument, check: RequestCheck, p: Any) -> RequestCheck:
    result = validate_input(doc.signature, p, "serving", doc.is_signature_from_type_hint is True)
    check.result = result
    check.errors.extend(result.errors)
    check.warnings.extend(result.warnings)
    check.valid = not check.errors
    return check
