"""Qt-free helpers shared by the Predict tab and its input helper process.

* the input as a table (``to_display_frame``), whatever form it came in;
* rows typed in the grid -> a DataFrame (or tensor) in the signature's types;
* data-side fixes (rename, drop, cast a column) applied to a table;
* the input as an MLflow scoring-server request (``dataframe_split`` / ``inputs`` + ``params``)
  and as a ``curl`` command.

pandas/numpy are imported inside the functions (the module is imported by the GUI at start).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import shlex
from dataclasses import dataclass
from typing import Any

INVOCATIONS_URL = "http://127.0.0.1:5000/invocations"

#: MLflow DataType -> the dtype a typed grid column gets (what MLflow's own casts produce)
GRID_DTYPES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "str",
    "binary": "object",
    "datetime": "datetime64[ns]",
}
CASTABLE = ("boolean", "integer", "long", "float", "double", "string", "datetime")


# ---------------------------------------------------------------------------------------------
# Display


def to_display_frame(value: Any) -> Any:
    """The input as a table: DataFrames as they are, arrays as numbered columns, anything
    else as one ``value`` column of JSON text."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame(name=value.name if value.name is not None else 0)
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return pd.DataFrame({0: value})
        if value.ndim == 2:
            return pd.DataFrame(value)
        return pd.DataFrame({0: list(value)})
    if hasattr(value, "toarray"):  # sparse matrices
        return pd.DataFrame(value.toarray())
    if isinstance(value, dict) and value:
        cols = list(value.values())
        lengths = {len(c) if hasattr(c, "__len__") and not isinstance(c, (str, bytes, dict)) else -1 for c in cols}
        if len(lengths) == 1 and -1 not in lengths:
            out = {}
            for key, col in value.items():
                arr = np.asarray(col) if not isinstance(col, list) else col
                if isinstance(arr, np.ndarray) and arr.ndim > 1:
                    out[key] = list(arr)
                else:
                    out[key] = arr
            try:
                return pd.DataFrame(out)
            except (TypeError, ValueError):
                pass
        return pd.DataFrame({"value": [json.dumps(value, default=_json_default)]})
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        try:
            return pd.DataFrame(value)
        except (TypeError, ValueError):
            pass
    if isinstance(value, list):
        try:
            arr = np.asarray(value)
            if arr.dtype != object and arr.ndim in (1, 2):
                return to_display_frame(arr)
        except (TypeError, ValueError):
            pass
        return pd.DataFrame({"value": [json.dumps(v, default=_json_default) for v in value]})
    return pd.DataFrame({"value": [json.dumps(value, default=_json_default)]})


# ---------------------------------------------------------------------------------------------
# Typed rows


def parse_datetime(text: Any) -> Any:
    """ISO text (or a datetime) -> pandas Timestamp; None/'' -> NaT."""
    import pandas as pd

    if text is None or (isinstance(text, str) and not text.strip()):
        return pd.NaT
    return pd.Timestamp(text)


def frame_from_rows(columns: list[Any], types: list[str | None], rows: list[list[Any]]) -> Any:
    """A DataFrame of typed-in rows, each column in the dtype MLflow would give its type.

    ``types`` holds the signature type per column (``None``/composite: values kept as typed).
    A column that cannot take its dtype (an empty cell in an integer column...) keeps the
    values as typed, so validation reports it like it would for the same DataFrame.
    """
    import pandas as pd

    data: dict[Any, Any] = {}
    for j, name in enumerate(columns):
        values = [row[j] if j < len(row) else None for row in rows]
        t = types[j] if j < len(types) else None
        data[name] = _typed_column(values, t)
    frame = pd.DataFrame(data, columns=columns) if columns else pd.DataFrame(index=range(len(rows)))
    return frame


def _typed_column(values: list[Any], t: str | None) -> Any:
    import pandas as pd

    if t == "binary":
        return pd.Series([_b64(v) for v in values], dtype=object)
    if t == "datetime":
        try:
            return pd.Series([parse_datetime(v) for v in values], dtype="datetime64[ns]")
        except (TypeError, ValueError):
            return pd.Series(values, dtype=object)
    if t in GRID_DTYPES:
        try:
            if t == "string":
                return pd.Series([None if v is None else str(v) for v in values], dtype=object)
            if any(v is None for v in values) and t in ("integer", "long", "boolean"):
                return pd.Series(values, dtype=object)
            return pd.Series(values).astype(GRID_DTYPES[t])
        except (TypeError, ValueError, OverflowError):
            return pd.Series(values, dtype=object)
    return pd.Series(values, dtype=object)


def _b64(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return base64.b64decode(v, validate=False)
        except ValueError:
            return v.encode("utf-8")
    return v


def tensor_from_rows(rows: list[Any], dtype: str) -> Any:
    """Tensor rows (each a number or a nested list) -> an ndarray of ``dtype``."""
    import numpy as np

    return np.asarray(rows, dtype=np.dtype(dtype))


# ---------------------------------------------------------------------------------------------
# Data-side fixes


@dataclass(frozen=True)
class Fix:
    """One data-side change: ``rename`` column -> to, ``drop`` column, ``cast`` column -> type."""

    op: str
    column: Any
    to: Any = None

    def describe(self) -> str:
        if self.op == "rename":
            return f"rename column {self.column!r} to {self.to!r}"
        if self.op == "drop":
            return f"drop the extra column {self.column!r}"
        return f"cast column {self.column!r} to {self.to}"

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "column": self.column, "to": self.to}

    @classmethod
    def from_json(cls, data: Any) -> Fix:
        if not isinstance(data, dict) or data.get("op") not in ("rename", "drop", "cast"):
            raise ValueError("invalid fix")
        return cls(data["op"], data.get("column"), data.get("to"))


def apply_fixes(frame: Any, fixes: list[Fix]) -> tuple[Any, list[str]]:
    """Apply ``fixes`` to a copy of ``frame``; returns it and one note per fix that failed."""
    notes: list[str] = []
    out = frame.copy()
    for fix in fixes:
        if fix.column not in out.columns:
            notes.append(f"could not {fix.describe()}: there is no such column")
            continue
        try:
            if fix.op == "rename":
                out = out.rename(columns={fix.column: fix.to})
            elif fix.op == "drop":
                out = out.drop(columns=[fix.column])
            elif fix.op == "cast":
                out[fix.column] = cast_series(out[fix.column], str(fix.to))
        except (TypeError, ValueError, OverflowError) as exc:
            notes.append(f"could not {fix.describe()}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return out, notes


def cast_series(series: Any, t: str) -> Any:
    """Cast a column to an MLflow type without silently losing information."""
    import numpy as np
    import pandas as pd

    if t not in CASTABLE:
        raise ValueError(f"{t} columns cannot be cast automatically")
    if t == "string":
        return series.map(lambda v: v if v is None or isinstance(v, str) or _is_nan(v) else str(v)).astype(object)
    if t == "datetime":
        return pd.to_datetime(series, format="ISO8601").astype("datetime64[ns]")
    if t == "boolean":
        if series.dtype == bool:
            return series
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}

        def to_bool(v: Any) -> Any:
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            if isinstance(v, (int, np.integer)) and v in (0, 1):
                return bool(v)
            if isinstance(v, str) and v.strip().lower() in mapping:
                return mapping[v.strip().lower()]
            raise ValueError(f"{v!r} is not true/false")

        return series.map(to_bool).astype(bool)
    numeric = pd.to_numeric(series, errors="raise") if series.dtype.kind not in "biuf" else series
    target = np.dtype(GRID_DTYPES[t])
    if target.kind in "iu":
        values = numeric.to_numpy(dtype="float64", na_value=np.nan) if numeric.dtype.kind == "f" else None
        if values is not None:
            if np.isnan(values).any():
                raise ValueError("the column has missing values, which an integer column cannot hold")
            if (values != np.round(values)).any():
                raise ValueError("the column has non-integral numbers")
        info = np.iinfo(target)
        if len(numeric) and (numeric.min() < info.min or numeric.max() > info.max):
            raise ValueError(f"values are outside the {target} range")
    return numeric.astype(target)


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


# ---------------------------------------------------------------------------------------------
# Scoring-server requests


def _json_default(o: Any) -> Any:
    if isinstance(o, (bytes, bytearray)):
        return base64.b64encode(bytes(o)).decode("ascii")
    if isinstance(o, (dt.datetime, dt.date, dt.time)):
        return o.isoformat()
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def _clean(value: Any) -> Any:
    """NaN/inf -> None, recursively (JSON has no NaN; MLflow's server reads null as NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def frame_split_json(frame: Any) -> str:
    """``{"columns": [...], "data": [[...]]}`` for a DataFrame, every value exact.

    Floats keep their shortest round-trip repr (float32 ones as numpy prints them: ``12.9``,
    not ``12.8999996185``), NaN/NaT become null, datetimes ISO text, bytes base64.
    """
    names = [c if isinstance(c, (str, int, float, bool)) or c is None else str(c) for c in frame.columns]
    columns = [_column_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = [list(r) for r in zip(*columns)] if columns else [[] for _ in range(len(frame))]
    return json.dumps({"columns": names, "data": rows}, default=_json_default, allow_nan=False,
                      separators=(",", ":"))


def _column_values(series: Any) -> list[Any]:
    import numpy as np

    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, np.dtype) and kind == "f":
        arr = series.to_numpy()
        values = arr.astype(str).astype(np.float64).tolist() if arr.dtype.itemsize < 8 else arr.tolist()
        if np.isnan(arr).any() or np.isinf(arr).any():
            values = [None if not math.isfinite(v) else v for v in values]
        return values
    if isinstance(dtype, np.dtype) and kind in "iub":
        return series.to_numpy().tolist()
    if kind == "M" or str(dtype).startswith("datetime64"):
        return [None if v is None or v != v else v.isoformat() for v in series.tolist()]
    return [_plain(v) for v in series.tolist()]


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if type(v).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "tolist") and not hasattr(v, "isoformat"):
        return _plain(v.tolist())
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def serving_payload_text(value: Any, params: dict[str, Any] | None = None) -> str:
    """The input as the body of a ``POST /invocations`` (application/json) request."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        body = '{"dataframe_split": ' + frame_split_json(value)
    elif isinstance(value, np.ndarray):
        body = '{"inputs": ' + json.dumps(_clean(value.tolist()), default=_json_default, allow_nan=False)
    elif isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
        body = '{"inputs": ' + json.dumps(
            {str(k): _clean(v.tolist()) for k, v in value.items()}, default=_json_default, allow_nan=False
        )
    else:
        body = '{"inputs": ' + json.dumps(_clean(value), default=_json_default, allow_nan=False)
    if params:
        body += ', "params": ' + json.dumps(_clean(params), default=_json_default, allow_nan=False)
    return body + "}"


def curl_command(payload_text: str, url: str = INVOCATIONS_URL) -> str:
    """A ready ``curl`` command that posts ``payload_text`` to a local MLflow model server."""
    return (
        f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"--data {shlex.quote(payload_text)}"
    )
