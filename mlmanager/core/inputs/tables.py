"""Inputs as tables: any input value shown as a table, and rows typed in a grid as a
DataFrame (or tensor) in the signature's types.

Data-side fixes live in ``fixes``; the input as a scoring-server request body in
``mlmanager.core.deploy.serving_body``. pandas/numpy are imported inside the functions (the
module is imported by the GUI at start).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mlmanager.core.jsonsafe import json_default
from mlmanager.core.signature.schema import NUMPY_DTYPES

#: MLflow DataType -> the dtype a typed grid column gets (what MLflow's own casts produce):
#: ``DataType.to_numpy()``, except that bytes stay an object column
GRID_DTYPES = {**NUMPY_DTYPES, "binary": "object"}


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
        return pd.DataFrame({"value": [json.dumps(value, default=json_default)]})
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
        return pd.DataFrame({"value": [json.dumps(v, default=json_default) for v in value]})
    return pd.DataFrame({"value": [json.dumps(value, default=json_default)]})


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
