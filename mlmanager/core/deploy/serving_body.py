"""An in-memory input (DataFrame, arrays, objects) as the body of an MLflow scoring server's
``POST /invocations`` request (``dataframe_split`` / ``inputs`` + ``params``), and as a ``curl`` command.
"""

from __future__ import annotations

import json
import math
import shlex
from typing import Any

from mlmanager.core.jsonsafe import json_default, to_jsonable

INVOCATIONS_URL = "http://127.0.0.1:5000/invocations"


def frame_split_json(frame: Any) -> str:
    """``{"columns": [...], "data": [[...]]}`` for a DataFrame, every value exact.

    Floats keep their shortest round-trip repr (float32 ones as numpy prints them: ``12.9``,
    not ``12.8999996185``), NaN/NaT become null, datetimes ISO text, bytes base64.
    """
    names = [c if isinstance(c, (str, int, float, bool)) or c is None else str(c) for c in frame.columns]
    columns = [_column_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = [list(r) for r in zip(*columns)] if columns else [[] for _ in range(len(frame))]
    return json.dumps({"columns": names, "data": rows}, default=json_default, allow_nan=False,
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
    return to_jsonable(series.tolist())


def serving_body_text(value: Any, params: dict[str, Any] | None = None) -> str:
    """The input as the body of a ``POST /invocations`` (application/json) request."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        body = '{"dataframe_split": ' + frame_split_json(value)
    elif isinstance(value, np.ndarray):
        body = '{"inputs": ' + json.dumps(to_jsonable(value.tolist()), default=json_default, allow_nan=False)
    elif isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
        body = '{"inputs": ' + json.dumps(
            {str(k): to_jsonable(v.tolist()) for k, v in value.items()}, default=json_default, allow_nan=False
        )
    else:
        body = '{"inputs": ' + json.dumps(to_jsonable(value), default=json_default, allow_nan=False)
    if params:
        body += ', "params": ' + json.dumps(to_jsonable(params), default=json_default, allow_nan=False)
    return body + "}"


def curl_command(body_text: str, url: str = INVOCATIONS_URL) -> str:
    """A ready ``curl`` command that posts ``body_text`` to a local MLflow model server."""
    return (
        f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"--data {shlex.quote(body_text)}"
    )
