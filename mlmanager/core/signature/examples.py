"""``input_example.json`` / ``serving_input_example.json`` in every form MLflow ever wrote (§5).

Parsing gives plain Python (lists/dicts, NaN as float NaN, ``"NaT"`` and base64 strings kept as
text). ``to_dataframe()`` / ``to_model_input()`` import pandas/numpy lazily and rebuild what
MLflow's ``_read_example`` returns, including the cast of each column to the signature's type.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.signature.schema import NUMPY_DTYPES, PANDAS_DTYPES

if TYPE_CHECKING:
    from mlmanager.core.model.mlmodel import ModelDocument

EXAMPLE_TYPES = ("dataframe", "ndarray", "json_object", "sparse_matrix_csr", "sparse_matrix_csc")
MAX_EXAMPLE_BYTES = 32 << 20
SERVING_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")



@dataclass
class InputExample:
    """A parsed example. ``kind``: one of EXAMPLE_TYPES (or ``serving`` for a serving request body)."""

    kind: str
    columns: list[Any] | None
    data: Any
    params: dict[str, Any] | None = None
    path: str | None = None
    index: list[Any] | None = None
    orient: str | None = None  # dataframe: split | values | records
    unwrapped: bool = False  # a <= 2.15 ``{"inputs": ...}`` wrapper was removed
    schema_inputs: list[dict[str, Any]] | None = field(default=None, repr=False)

    def rows(self) -> list[list[Any]]:
        """Row-major data for display (dataframe examples; others best effort)."""
        if self.kind == "dataframe" and isinstance(self.data, list):
            return [list(r) if isinstance(r, (list, tuple)) else [r] for r in self.data]
        if isinstance(self.data, dict):
            cols = list(self.data.values())
            n = max((len(c) for c in cols if isinstance(c, list)), default=1)
            return [[c[i] if isinstance(c, list) and i < len(c) else c for c in cols] for i in range(n)]
        if isinstance(self.data, list):
            return [r if isinstance(r, list) else [r] for r in self.data]
        return [[self.data]]

    def to_dataframe(self, schema_inputs: list[dict[str, Any]] | None = None) -> Any:
        """A pandas DataFrame as MLflow's ``_read_example`` builds it (dataframe examples),
        or ``pd.DataFrame(...)`` of the model input for the other kinds."""
        import pandas as pd

        schema = self.schema_inputs if schema_inputs is None else schema_inputs
        if self.kind == "dataframe":
            try:
                df = pd.DataFrame(index=self.index, columns=self.columns, data=self.data)
            except Exception as exc:  # noqa: BLE001 - pandas raises many types
                raise InvalidError(f"input example is not a valid table: {exc}", self.path) from None
            return cast_dataframe(df, schema, self.path) if schema else df
        value = self.to_model_input(schema)
        if isinstance(value, pd.DataFrame):
            return value
        if hasattr(value, "toarray"):
            value = value.toarray()
        try:
            return pd.DataFrame(value)
        except Exception:  # noqa: BLE001
            return pd.DataFrame([value])

    def to_model_input(self, schema_inputs: list[dict[str, Any]] | None = None) -> Any:
        """What ``mlflow.models.utils._read_example`` returns for this example."""
        schema = self.schema_inputs if schema_inputs is None else schema_inputs
        if self.kind == "dataframe":
            return self.to_dataframe(schema)
        if self.kind == "json_object":
            return self.data
        if self.kind == "ndarray":
            return _cast_inputs(self.data, schema, self.path)
        if self.kind in ("sparse_matrix_csr", "sparse_matrix_csc"):
            from scipy.sparse import csc_matrix, csr_matrix

            d = self.data
            cls = csc_matrix if self.kind == "sparse_matrix_csc" else csr_matrix
            try:
                return cls((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))
            except Exception as exc:  # noqa: BLE001
                raise InvalidError(f"invalid sparse matrix example: {exc}", self.path) from None
        return self.data

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "columns": self.columns,
            "data": self.data,
            "params": self.params,
            "path": self.path,
            "orient": self.orient,
        }


# ---------------------------------------------------------------------------------------------
# Parsing


def _json_error_position(text: str, exc: json.JSONDecodeError) -> str:
    return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"


def parse_json_bytes(raw: bytes, path: str | None = None) -> Any:
    """Parse JSON as MLflow does (``json.loads``: NaN/Infinity accepted), with clear errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelReadError(f"not valid UTF-8 at byte {exc.start}", path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelReadError(f"invalid JSON at {_json_error_position(text, exc)}", path) from None
    except RecursionError:
        raise ModelReadError("JSON nested too deeply", path) from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise ModelReadError(f"invalid JSON: {exc}", path) from None


def _records_to_split(records: list[Any]) -> tuple[list[Any], list[list[Any]]]:
    columns: list[Any] = []
    seen: set[Any] = set()
    for row in records:
        for k in row:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    return columns, [[row.get(c) for c in columns] for row in records]


def parse_example(obj: Any, info: Mapping[str, Any], path: str | None = None) -> InputExample:
    """Interpret a parsed ``input_example.json`` according to ``saved_input_example_info``."""
    kind = info.get("type")
    if kind not in EXAMPLE_TYPES:
        raise InvalidError(
            f"unsupported input example type {kind!r} (expected one of {', '.join(EXAMPLE_TYPES)})",
            path,
        )
    params = None
    if info.get("params"):  # MLflow: any truthy value (written as the string 'true')
        if not isinstance(obj, dict) or "inputs" not in obj:
            raise InvalidError("example with params must be {\"inputs\": ..., \"params\": ...}", path)
        params = obj.get("params")
        if params is not None and not isinstance(params, dict):
            raise InvalidError("example params must be a JSON object", path)
        obj = obj["inputs"]
    ex = InputExample(kind=kind, columns=None, data=obj, params=params, path=path)
    if kind == "dataframe":
        ex.orient = str(info.get("pandas_orient") or "split")
        if isinstance(obj, dict) and "data" not in obj and set(obj) == {"inputs"}:
            obj = obj["inputs"]
            ex.unwrapped = True
        if isinstance(obj, dict):
            extra = set(obj) - {"columns", "data", "index"}
            if "data" not in obj or extra:
                raise InvalidError(
                    "dataframe example must have 'data' and optionally 'columns'/'index'"
                    + (f" (unexpected keys: {sorted(map(str, extra))})" if extra else ""),
                    path,
                )
            ex.columns = obj.get("columns")
            ex.index = obj.get("index")
            ex.data = obj["data"]
            if not isinstance(ex.data, list):
                raise InvalidError("dataframe example 'data' must be a list of rows", path)
        elif isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
            ex.orient = "records"
            ex.columns, ex.data = _records_to_split(obj)
        elif isinstance(obj, list):
            ex.data = obj
        else:
            raise InvalidError("dataframe example must be a JSON object or a list of rows", path)
    elif kind == "ndarray":
        wrapped = info.get("format") == "tf-serving" or (
            isinstance(obj, dict) and set(obj) == {"inputs"} and "serving_input_path" not in info
        )
        if wrapped and isinstance(obj, dict) and "inputs" in obj:
            obj = obj["inputs"]
            ex.unwrapped = True
        ex.data = obj
        ex.columns = list(obj) if isinstance(obj, dict) else None
    elif kind in ("sparse_matrix_csr", "sparse_matrix_csc"):
        if not isinstance(obj, dict) or not {"data", "indices", "indptr", "shape"} <= set(obj):
            raise InvalidError("sparse example needs data, indices, indptr and shape", path)
    else:  # json_object
        ex.columns = list(obj) if isinstance(obj, dict) else None
    return ex


def example_from_request_body(obj: Any, path: str | None = None) -> InputExample:
    """Interpret a scoring-server request body (``serving_input_example.json``)."""
    if not isinstance(obj, dict):
        return InputExample(kind="json_object", columns=None, data=obj, path=path)
    present = [k for k in SERVING_KEYS if k in obj]
    params = obj.get("params") if isinstance(obj.get("params"), dict) else None
    if len(present) != 1:
        # chat-style request bodies are stored without a wrapper
        return InputExample(kind="json_object", columns=list(obj), data=obj, path=path)
    key = present[0]
    value = obj[key]
    if key == "dataframe_split":
        ex = parse_example(value, {"type": "dataframe", "pandas_orient": "split"}, path)
    elif key == "dataframe_records":
        if not isinstance(value, list):
            raise InvalidError("dataframe_records must be a list of records", path)
        ex = parse_example(value, {"type": "dataframe", "pandas_orient": "records"}, path)
        ex.orient = "records"
    else:
        ex = InputExample(
            kind="ndarray",
            columns=list(value) if isinstance(value, dict) else None,
            data=value,
            path=path,
            orient=key,
        )
    ex.params = params
    return ex


def _schema_inputs(doc: ModelDocument) -> list[dict[str, Any]] | None:
    sig = doc.signature
    if sig is None:
        return None
    return sig.to_canonical().get("inputs")


def _example_path(info: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = info.get(key, default)
    return value if isinstance(value, str) and value else None


def load_input_example(doc: ModelDocument) -> InputExample | None:
    """The saved ``input_example.json`` (None when the model has none)."""
    info = doc.saved_input_example_info
    if info is None:
        return None
    rel = _example_path(info, "artifact_path", "input_example.json")
    if rel is None:
        raise InvalidError("saved_input_example_info.artifact_path is not a file name", doc.location)
    where = f"{doc.location.rstrip('/')}/{rel}"
    raw = doc.files.read_bytes(rel, max_bytes=MAX_EXAMPLE_BYTES)
    ex = parse_example(parse_json_bytes(raw, where), info, where)
    ex.path = rel
    ex.schema_inputs = _schema_inputs(doc)
    return ex


def load_serving_example(doc: ModelDocument) -> InputExample | None:
    """The saved ``serving_input_example.json`` (>= 2.16), or None."""
    info = doc.saved_input_example_info or {}
    rel = _example_path(info, "serving_input_path", None)
    if rel is None:
        return None
    where = f"{doc.location.rstrip('/')}/{rel}"
    raw = doc.files.read_bytes(rel, max_bytes=MAX_EXAMPLE_BYTES)
    ex = example_from_request_body(parse_json_bytes(raw, where), where)
    ex.path = rel
    ex.schema_inputs = _schema_inputs(doc)
    return ex


# ---------------------------------------------------------------------------------------------
# Building pandas / numpy values (lazy imports)


def _spec_name(spec: Mapping[str, Any]) -> Any:
    return spec.get("name")


def cast_dataframe(df: Any, schema: list[dict[str, Any]], path: str | None = None) -> Any:
    """MLflow's ``cast_df_types_according_to_schema`` on the canonical schema list."""
    import numpy as np
    import pandas as pd

    if not schema:
        return df
    has_names = _spec_name(schema[0]) is not None
    is_tensor = schema[0].get("type") == "tensor"
    if has_names:
        pairs = [(_spec_name(s), s) for s in schema]
    elif is_tensor and len(schema) == 1:
        pairs = [(c, schema[0]) for c in df.columns]
    else:
        n = min(len(schema), len(df.columns))
        pairs = list(zip(list(df.columns[:n]), schema[:n]))
    columns = set(df.columns)
    for col, spec in pairs:
        if col not in columns:
            continue
        t = spec.get("type")
        try:
            if t == "binary":
                df[col] = df[col].map(_b64decode)
            elif t == "tensor":
                dtype = np.dtype(spec["tensor-spec"]["dtype"])
                if dtype == np.dtype(bytes):
                    df[col] = df[col].map(lambda x: bytes(x, "utf8") if isinstance(x, str) else x)
                elif is_tensor and len(df) and isinstance(df[col].iloc[0], list):
                    pass
                else:
                    df[col] = df[col].astype(dtype)
            elif t in ("array", "object", "map", "any", "sparkml_vector"):
                pass
            elif t == "datetime":
                parsed = pd.to_datetime(df[col])
                if pd.api.types.is_datetime64_any_dtype(parsed) and getattr(parsed.dt, "unit", "ns") != "ns":
                    parsed = parsed.dt.as_unit("ns")
                df[col] = parsed
            elif t in PANDAS_DTYPES:
                target = np.dtype(PANDAS_DTYPES[t])
                if target.kind == "O" and isinstance(df[col].dtype, pd.StringDtype):
                    continue
                df[col] = df[col].astype(target)
        except Exception as exc:  # noqa: BLE001 - pandas/numpy raise many types
            raise InvalidError(
                f"input example column {col!r} cannot be converted to {t}: {exc}", path
            ) from None
    return df


def _b64decode(x: Any) -> Any:
    if isinstance(x, str):
        return base64.decodebytes(x.encode("utf8"))
    return x


def _convert(data: Any, spec: Mapping[str, Any] | None) -> Any:
    import numpy as np

    if spec is None:
        return np.array(data)
    t = spec.get("type")
    if t == "tensor":
        return np.array(data, dtype=np.dtype(spec["tensor-spec"]["dtype"]))
    if t in NUMPY_DTYPES:
        dtype = np.dtype(NUMPY_DTYPES[t])
        if isinstance(data, list):
            return np.array(data, dtype)
        return np.array([data], dtype)[0]
    return data


def _cast_inputs(data: Any, schema: list[dict[str, Any]] | None, path: str | None) -> Any:
    """MLflow's ``_cast_schema_type`` for ndarray examples."""
    try:
        types = {s["name"]: s for s in schema or [] if s.get("name") is not None}
        if schema and len(types) == 1 and isinstance(data, list) and not any(isinstance(x, dict) for x in data):
            data = {next(iter(types)): data}
        if isinstance(data, dict):
            return {k: _convert(v, types.get(k)) for k, v in data.items()}
        if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
            return [{k: _convert(v, types.get(k)) for k, v in row.items()} for row in data]
        return _convert(data, schema[0] if schema else None)
    except InvalidError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InvalidError(f"input example does not match the input schema: {exc}", path) from None
